"""Ids never steer a request: an id that is not the vendor's documented shape (from a webhook, a sidebar launch,
an answer) is refused with InvalidId before anything is sent, so `../../admin/secret?x=1` can no longer make a
connector call `GET /admin/secret?x=1` with the tenant's credentials. Each vendor's simulator is served over
real HTTP behind a recorder of every request that reaches it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from connectors.base import Connector
from connectors.errors import InvalidId
from connectors.http import ApiKeyAuth, HttpClient
from connectors.simulators.dataset import generate
from tests.connectors.switch import Switch
from tests.kits import FAST, KITS

HOSTILE = ["../../admin/secret?x=1", "12/../../admin", "12?x=1", "12#x", "%2e%2e%2fadmin", "12/notes", " 12",
           "12\n", ""]
# Every way in that takes an id; candidate_for only where the vendor reads a record to find the candidate.
CALLS: dict[str, Callable[[Connector, str], Any]] = {
    "fetch_candidate": lambda c, id_: c.fetch_candidate(id_),
    "add_note": lambda c, id_: c.add_note(id_, "Keep in touch"),
    "add_tag": lambda c, id_: c.add_tag(id_, "brobygger"),
}
RESOURCE_EVENTS = {"lever": "candidateStageChange", "teamtailor": "job_application.update"}


class Recorder:
    """Hands each request to the simulator and keeps its path and query."""

    def __init__(self, app: Any) -> None:
        self.app, self.seen = app, []

    def __call__(self, environ: dict, start_response: Any) -> Any:
        self.seen.append(environ["PATH_INFO"] + ("?" + environ["QUERY_STRING"] if environ["QUERY_STRING"] else ""))
        return self.app(environ, start_response)


def _ok(environ: dict, start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b"{}"]


@pytest.fixture
def recorded(server: tuple[Switch, str]) -> Iterator[tuple[Switch, str]]:
    yield server
    server[0].app = None


def _connector(vendor: str, recorded: tuple[Switch, str]) -> tuple[Connector, Recorder]:
    switch, url = recorded
    kit = KITS[vendor]
    sim = kit.simulator(generate(3, seed=4))
    switch.app = recorder = Recorder(sim)
    connector = kit.connector_class(url + kit.api_path, kit.credentials(sim, url), policy=FAST)
    return connector, recorder


@pytest.mark.parametrize("vendor", sorted(KITS))
@pytest.mark.parametrize("call", sorted(CALLS))
def test_a_hostile_candidate_id_sends_nothing(recorded: tuple[Switch, str], vendor: str, call: str) -> None:
    connector, recorder = _connector(vendor, recorded)
    for hostile in HOSTILE:
        with pytest.raises(InvalidId, match="ids are"):
            CALLS[call](connector, hostile)
    assert recorder.seen == []


@pytest.mark.parametrize("vendor", sorted(RESOURCE_EVENTS))
def test_a_hostile_resource_id_from_a_webhook_sends_nothing(recorded: tuple[Switch, str], vendor: str) -> None:
    connector, recorder = _connector(vendor, recorded)
    for hostile in HOSTILE:
        with pytest.raises(InvalidId, match="ids are"):
            connector.candidate_for(RESOURCE_EVENTS[vendor], hostile)
    assert recorder.seen == []


@pytest.mark.parametrize("vendor", sorted(KITS))
def test_the_launch_context_check_knows_each_vendors_ids(vendor: str) -> None:
    """What the sidebar asks before it keeps a launch's candidate id: the vendor's own ids pass, hostile ones not."""
    kit = KITS[vendor]
    data = generate(3, seed=4)
    genuine = kit.candidate_id(kit.simulator(data), data.candidates[0])
    assert kit.connector_class.check_candidate_id(genuine) == genuine
    for hostile in HOSTILE:
        with pytest.raises(InvalidId):
            kit.connector_class.check_candidate_id(hostile)


def test_a_kombo_integration_id_is_checked_before_its_path(recorded: tuple[Switch, str]) -> None:
    switch, url = recorded
    kit = KITS["kombo"]
    sim = kit.simulator(generate(3, seed=4))
    switch.app = recorder = Recorder(sim)
    connector = kit.connector_class(url + kit.api_path, {"api_key": sim.api_key,  # type: ignore[attr-defined]
                                                          "integration_id": "reachmee:x/../../admin"}, policy=FAST)
    with pytest.raises(InvalidId, match="integration ids"):
        connector.reaches()
    assert recorder.seen == []


@pytest.mark.parametrize("path", ["candidates/../../admin", "./admin", "candidates//x", "candidates?x=1",
                                  "candidates#x", "candidates/%2e%2e", "javascript:alert(1)", "a\\b"])
def test_the_client_sends_only_plain_relative_paths(recorded: tuple[Switch, str], path: str) -> None:
    """The net under every connector: a path built without a check still cannot leave the API root."""
    switch, url = recorded
    switch.app = recorder = Recorder(_ok)
    client = HttpClient(f"{url}/v1", ApiKeyAuth.bearer("Test", "secret-key"), policy=FAST)
    with pytest.raises(InvalidId, match="plain relative path"):
        client.request("GET", path)
    assert client.request("GET", "candidates/12").status_code == 200
    assert recorder.seen == ["/v1/candidates/12"]


def test_the_client_follows_links_on_its_own_origin_only(recorded: tuple[Switch, str]) -> None:
    """A next-page link naming another host would otherwise receive the API key."""
    switch, url = recorded
    switch.app = recorder = Recorder(_ok)
    client = HttpClient(f"{url}/v1", ApiKeyAuth.bearer("Test", "secret-key"), policy=FAST)
    with pytest.raises(InvalidId, match="refused to follow"):
        client.request("GET", "http://elsewhere.example/v1/candidates?page=2")
    assert client.request("GET", f"{url}/v1/candidates?page=2").status_code == 200
    assert recorder.seen == ["/v1/candidates?page=2"]
