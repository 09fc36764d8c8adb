"""The Greenhouse Harvest v3 connector against its simulator, over real HTTP on 127.0.0.1.

No mocks: the simulator is the server, its request log is the evidence, and the dataset is the truth a sync must
reproduce. Faults (5xx, slow answers, broken JSON, expired tokens, a spent quota) are switched on in the simulator.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from connectors.errors import AuthError, MalformedResponse, NotFound, Retriable, WebhookRejected
from connectors.fixtures import load
from connectors.greenhouse import GreenhouseConnector
from connectors.http import Policy
from connectors.simulators.base import Fault
from connectors.simulators.dataset import REJECTIONS, Dataset, generate
from connectors.simulators.greenhouse import GreenhouseSimulator, account_credentials, webhook_delivery
from connectors.simulators.replay import Replay
from connectors.types import Application, Candidate, Outcome, Referrer, Source, SourceKind
from tests.connectors.switch import Switch

CLIENT_ID = "gh-client"
CLIENT_SECRET = "gh-secret"
HOOK_SECRET = "hook-secret-key"


def fast_policy(**overrides: Any) -> Policy:
    return Policy(**{"timeout": (1, 0.5), "backoff_base": 0.01, "backoff_cap": 0.2, **overrides})


@pytest.fixture
def dataset() -> Dataset:
    return generate(60)


@pytest.fixture
def sim(dataset: Dataset) -> GreenhouseSimulator:
    return GreenhouseSimulator(dataset, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, rate_limit=1000,
                               window_seconds=1, slow_seconds=1.5)






@pytest.fixture
def url(sim: GreenhouseSimulator, server: tuple[Switch, str]) -> str:
    switch, base = server
    switch.app = sim
    return base


def connect(url: str, *, secret: str = CLIENT_SECRET, page_size: int = 10, policy: Policy | None = None,
            sleep: Any = None, **credentials: str) -> GreenhouseConnector:
    connector = GreenhouseConnector(
        f"{url}/v3", {"client_id": CLIENT_ID, "client_secret": secret, "token_url": f"{url}/token", **credentials},
        policy=policy or fast_policy(), sleep=sleep)
    connector.page_size = page_size
    return connector


def read_all(connector: GreenhouseConnector, stream: str, since: Any = None) -> list[Any]:
    return [record for page in connector.read(stream, since) for record in page]


def v3_requests(sim: GreenhouseSimulator, path: str | None = None, method: str = "GET") -> list[Any]:
    return [r for r in sim.requests if r.path.startswith("/v3") and r.method == method
            and (path is None or r.path == path)]


# --- reads ------------------------------------------------------------------------------------------


def test_full_read_equals_the_dataset(sim: GreenhouseSimulator, url: str, dataset: Dataset) -> None:
    connector = connect(url)
    candidates: list[Candidate] = read_all(connector, "candidates")
    applications: list[Application] = read_all(connector, "applications")

    truth = {c.id: c for c in dataset.candidates}
    assert sorted(int(c.ats_id) for c in candidates) == sorted(truth)
    for candidate in candidates:
        source = truth[int(candidate.ats_id)]
        assert (candidate.first_name, candidate.last_name, candidate.employer) == (
            source.first_name, source.last_name, source.employer)
        assert candidate.emails == tuple(source.emails) and candidate.linkedin_url == source.linkedin_url
        assert candidate.url == f"https://app.greenhouse.io/people/{source.id}"

    sim_apps = {a.id: a for a in dataset.applications()}
    assert sorted(int(a.ats_id) for a in applications) == sorted(sim_apps)
    for application in applications:
        source = sim_apps[int(application.ats_id)]
        expected_outcome = {"active": Outcome.ACTIVE, "hired": Outcome.HIRED, "rejected": Outcome.NOT_HIRED}
        assert application.outcome is expected_outcome[source.status]
        assert [s.name for s in application.stages] == [s.name for s in source.stages]
        assert [s.kind.value for s in application.stages] == [s.kind for s in source.stages]
        assert application.source is not None
        assert (application.source.name, application.source.kind) == (source.source_name,
                                                                       SourceKind(source.source_kind))
        assert application.rejection_reason == source.rejection_reason
        assert application.job_name == source.job_name
        assert application.closed_at == source.closed_at  # rejected_at, or for a hire the last stage's exit
        if source.referrer is None:
            assert application.referrer is None
        else:
            assert application.referrer is not None
            assert application.referrer.name == source.referrer.name
            assert application.referrer.email == source.referrer.email
            assert application.referrer.is_employee is (source.referrer.user_id is not None)

    hired = {a.candidate_id for a in applications if a.outcome is Outcome.HIRED}
    met_not_hired = {int(a.candidate_id) for a in applications if a.met_not_hired and a.candidate_id not in hired}
    assert met_not_hired == {c.id for c in dataset.candidates if c.met_not_hired}
    assert len(met_not_hired) > 5  # the dataset holds enough of the people Brobygger exists for
    assert len(v3_requests(sim, "/v3/candidates")) == 6  # 60 candidates, 10 a page: the cursor was followed
    for table in ("sources", "referrers", "users", "rejection_reasons", "jobs", "job_interview_stages"):
        assert len(v3_requests(sim, f"/v3/{table}")) == 1, f"{table} was not read exactly once"


def test_incremental_read_returns_only_touched_candidates(sim: GreenhouseSimulator, url: str,
                                                          dataset: Dataset) -> None:
    connector = connect(url)
    read_all(connector, "candidates")
    read_all(connector, "applications")
    full = len(v3_requests(sim))

    dataset.touch([5, 23, 41], at=dataset.now + timedelta(hours=1))
    before = len(v3_requests(sim))
    candidates = read_all(connector, "candidates", dataset.now)
    applications = read_all(connector, "applications", dataset.now)
    incremental = v3_requests(sim)[before:]

    assert {c.ats_id for c in candidates} == {"5", "23", "41"}
    assert sorted(a.ats_id for a in applications) == sorted(
        str(a.id) for i in (5, 23, 41) for a in dataset.candidates[i - 1].applications)
    assert ("updated_at", "gte|2026-11-01T00:00:00.000Z") in incremental[0].query
    assert len(incremental) <= 4 < full  # a page of each stream and one stage-history batch, not the whole ATS


def test_cursor_is_the_only_parameter_after_the_first_page(sim: GreenhouseSimulator, url: str) -> None:
    connector = connect(url)
    read_all(connector, "candidates")
    read_all(connector, "applications")
    followed = [r for r in sim.requests if any(key == "cursor" for key, _ in r.query)]
    assert followed, "the read never followed a Link header"
    assert all(len(r.query) == 1 for r in followed)
    assert all(r.status == 200 for r in sim.requests if r.path.startswith("/v3"))
    firsts = [r for r in v3_requests(sim, "/v3/candidates") if not any(k == "cursor" for k, _ in r.query)]
    assert [dict(r.query).get("per_page") for r in firsts] == ["10"]


def _token(url: str) -> dict[str, str]:
    answer = requests.post(f"{url}/token", auth=(CLIENT_ID, CLIENT_SECRET),
                           data={"grant_type": "client_credentials"}, timeout=5)
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0 and body["expires_at"].endswith("Z")
    return {"Authorization": f"Bearer {body['access_token']}"}


def test_simulator_refuses_what_v3_refuses(url: str) -> None:
    auth = _token(url)
    first = requests.get(f"{url}/v3/candidates", params={"per_page": 5}, headers=auth, timeout=5)
    assert first.status_code == 200 and len(first.json()) == 5
    assert set(first.links) == {"next"} and first.headers["X-RateLimit-Limit"] == "1000"
    next_url = first.links["next"]["url"]
    assert requests.get(next_url, headers=auth, timeout=5).status_code == 200
    mixed = requests.get(next_url + "&per_page=5", headers=auth, timeout=5)
    assert mixed.status_code == 422 and mixed.json()["errors"]
    assert requests.get(f"{url}/v3/candidates", params={"per_page": 501}, headers=auth, timeout=5).status_code == 422
    assert requests.get(f"{url}/v3/candidates", params={"updated_after": "2026-01-01"}, headers=auth,
                        timeout=5).status_code == 422
    assert requests.get(f"{url}/v3/candidates", headers={"Authorization": "Bearer nope"}, timeout=5).status_code == 401
    wrong = requests.post(f"{url}/token", auth=(CLIENT_ID, "wrong"), data={"grant_type": "client_credentials"},
                          timeout=5)
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"


# --- faults -----------------------------------------------------------------------------------------


def test_a_429_storm_is_waited_out(dataset: Dataset, server: tuple[Switch, str]) -> None:
    sim = GreenhouseSimulator(dataset, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, rate_limit=10,
                              window_seconds=1)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    switch, url = server
    switch.app = sim
    sim.window.started, sim.window.used = time.monotonic(), sim.window.limit  # the window is already spent
    connector = connect(url, page_size=20, sleep=sleep)
    candidates = read_all(connector, "candidates")
    applications = read_all(connector, "applications")

    assert len(candidates) == 60 and len(applications) == len(dataset.applications())
    refused = [r for r in sim.requests if r.status == 429]
    assert len(refused) == sim.over_quota == 1  # refused once, then never again
    assert waits[0] >= 1.0  # the wait after the 429 was the Retry-After the simulator sent (at least 1 s)
    assert connector.http.stats["rate_limited"] == 1
    assert connector.http.stats["throttled"] >= 1  # later windows were waited out before they were refused


def test_each_account_has_its_own_quota(dataset: Dataset, server: tuple[Switch, str]) -> None:
    other_id, other_secret = account_credentials(1)
    sim = GreenhouseSimulator(dataset, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, rate_limit=2,
                              window_seconds=30, accounts={other_id: other_secret})
    switch, url = server
    switch.app = sim

    def token(client: str, secret: str) -> requests.Response:
        return requests.post(f"{url}/token", auth=(client, secret), data={"grant_type": "client_credentials"},
                             timeout=5)

    def jobs(answer: requests.Response) -> requests.Response:
        bearer = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        return requests.get(f"{url}/v3/jobs", headers=bearer, timeout=5)

    mine, theirs = token(CLIENT_ID, CLIENT_SECRET), token(other_id, other_secret)
    assert [jobs(mine).status_code for _ in range(3)] == [200, 200, 429]  # the default client's window is spent
    other = jobs(theirs)
    assert other.status_code == 200 and other.headers["X-RateLimit-Remaining"] == "1"
    assert token(other_id, CLIENT_SECRET).status_code == 401  # another account's secret is no good
    assert {r.account for r in sim.requests if r.metered} == {None, other_id}


def test_server_errors_are_retried(sim: GreenhouseSimulator, url: str) -> None:
    sim.inject(Fault.SERVER_ERROR, times=2)
    assert len(read_all(connect(url), "candidates")) == 60
    assert [r.status for r in v3_requests(sim)][:3] == [503, 503, 200]


def test_persistent_server_errors_raise_retriable(sim: GreenhouseSimulator, url: str) -> None:
    sim.inject(Fault.SERVER_ERROR, times=3)
    with pytest.raises(Retriable, match=r"GET /v3/candidates: failed after 3 attempts, last: HTTP 503"):
        read_all(connect(url, policy=fast_policy(max_attempts=3)), "candidates")


def test_timeouts_are_retried_then_raise_when_persistent(sim: GreenhouseSimulator, url: str) -> None:
    sim.inject(Fault.SLOW, times=1)
    assert len(read_all(connect(url, policy=fast_policy(max_attempts=3)), "candidates")) == 60
    sim.inject(Fault.SLOW, times=3)
    with pytest.raises(Retriable, match=r"failed after 3 attempts, last: ReadTimeout"):
        read_all(connect(url, policy=fast_policy(max_attempts=3)), "candidates")


def test_token_expiry_mid_read_refreshes_once(sim: GreenhouseSimulator, url: str) -> None:
    pages = connect(url).read("candidates", None)
    first = next(pages)
    sim.inject(Fault.EXPIRE_TOKENS)
    rest = [record for page in pages for record in page]
    assert len(first) + len(rest) == 60
    assert len([r for r in sim.requests if r.path == "/token"]) == 2
    assert [r.status for r in v3_requests(sim)].count(401) == 1


def test_wrong_client_secret_is_an_auth_error(url: str) -> None:
    with pytest.raises(AuthError, match="credentials refused"):
        read_all(connect(url, secret="not-the-secret"), "candidates")


def test_a_malformed_page_is_reported(sim: GreenhouseSimulator, url: str) -> None:
    sim.inject(Fault.MALFORMED)
    with pytest.raises(MalformedResponse, match="not valid JSON"):
        read_all(connect(url), "candidates")


# --- single candidate and writes ---------------------------------------------------------------------


def test_fetch_candidate_sees_a_fresh_rejection(url: str, dataset: Dataset) -> None:
    candidate_id = next(c.id for c in dataset.candidates if any(a.status == "active" for a in c.applications))
    rejected = dataset.reject(candidate_id, at=dataset.now, reason="Timing")
    candidate, applications = connect(url).fetch_candidate(str(candidate_id))
    assert candidate.ats_id == str(candidate_id)
    match = next(a for a in applications if a.ats_id == str(rejected.id))
    assert match.outcome is Outcome.NOT_HIRED and match.met_not_hired
    assert match.rejection_reason == "Timing" and match.closed_at == dataset.now
    assert {a.ats_id for a in applications} == {str(a.id) for a in dataset.candidate(candidate_id).applications}


def test_built_in_rejection_reasons_are_read_with_include_defaults(sim: GreenhouseSimulator, url: str,
                                                                   dataset: Dataset) -> None:
    """v3 lists Greenhouse's built-in rejection reasons only with include_defaults=true; without it every
    rejection for a built-in reason would read as one without a reason."""
    token = sim.issue_token()[0]
    plain = requests.get(f"{url}/v3/rejection_reasons", headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert not {row["name"] for row in plain.json()} & set(REJECTIONS)
    rejected = next(a for a in dataset.applications() if a.status == "rejected" and a.rejection_reason in REJECTIONS)
    _, applications = connect(url).fetch_candidate(str(rejected.candidate_id))
    assert next(a for a in applications if a.ats_id == str(rejected.id)).rejection_reason == rejected.rejection_reason
    asked = [dict(r.query) for r in v3_requests(sim, "/v3/rejection_reasons")]
    assert asked[-1].get("include_defaults") == "true"


def test_fetch_unknown_candidate_is_not_found(url: str) -> None:
    with pytest.raises(NotFound):
        connect(url).fetch_candidate("9999")


def test_add_note_lands_on_the_candidate(sim: GreenhouseSimulator, url: str, dataset: Dataset) -> None:
    note = connect(url, user_id="2").add_note("7", "Met at JavaZone: keep warm for the platform role")
    stored = dataset.candidate(7).notes
    assert len(stored) == 1 and stored[0]["body"] == "Met at JavaZone: keep warm for the platform role"
    assert note.ats_id == str(stored[0]["id"]) and note.candidate_id == "7" and note.created_at is not None
    assert stored[0]["user_id"] == 2 and stored[0]["type"] == "NOTE"


def test_a_note_for_a_missing_candidate_writes_nothing(sim: GreenhouseSimulator, url: str) -> None:
    with pytest.raises(NotFound):
        connect(url).add_note("9999", "hello")
    assert sim.orphan_notes == [] and v3_requests(sim, "/v3/notes", "POST") == []


def test_a_tag_applied_by_someone_else_meanwhile_is_no_error(sim: GreenhouseSimulator, url: str,
                                                              dataset: Dataset) -> None:
    connector = connect(url)
    real_check = connector._tagged
    checks: list[bool] = []

    def racing_check(candidate_id: int, tag_id: int) -> bool:
        """The first check sees no tag; another writer applies it before our POST arrives."""
        if not checks:
            dataset.candidate(9).tags.append("python-mentor")
            checks.append(False)
            return False
        checks.append(real_check(candidate_id, tag_id))
        return checks[-1]

    connector.add_tag("10", "python-mentor")  # puts the tag in the catalogue
    connector._tagged = racing_check  # type: ignore[method-assign]
    connector.add_tag("9", "python-mentor")
    assert checks == [False, True]
    assert [r.status for r in v3_requests(sim, "/v3/applied_candidate_tags", "POST")] == [201, 422]
    assert dataset.candidate(9).tags.count("python-mentor") == 1


def test_add_tag_is_idempotent(sim: GreenhouseSimulator, url: str, dataset: Dataset) -> None:
    connector = connect(url)
    connector.add_tag("7", "brobygger: keep warm")
    connector.add_tag("7", "brobygger: keep warm")
    assert dataset.candidate(7).tags.count("brobygger: keep warm") == 1
    assert len(v3_requests(sim, "/v3/applied_candidate_tags", "POST")) == 1
    assert len(v3_requests(sim, "/v3/candidate_tags", "POST")) == 1  # created once, then found in the catalogue
    connector.add_tag("8", "brobygger: keep warm")
    assert "brobygger: keep warm" in dataset.candidate(8).tags
    assert len(v3_requests(sim, "/v3/candidate_tags", "POST")) == 1


# --- webhooks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["reject_candidate", "hire_candidate", "candidate_stage_change",
                                    "update_candidate", "delete_candidate", "candidate_anonymized"])
def test_a_valid_delivery_is_parsed(dataset: Dataset, action: str) -> None:
    body, headers = webhook_delivery(HOOK_SECRET, action, dataset.candidate(12), event_id="evt-123")
    lowered = {name.lower(): value for name, value in headers.items()}
    event = GreenhouseConnector.verify_webhook(HOOK_SECRET, lowered, body, now=time.time())
    assert (event.action, event.candidate_id, event.is_ping) == (action, "12", False)
    assert event.event_id == "sha256:" + hashlib.sha256(body).hexdigest()


def test_unicode_is_verified_against_the_raw_bytes(dataset: Dataset) -> None:
    candidate = next(c for c in dataset.candidates if not (c.first_name + c.last_name).isascii())
    body, headers = webhook_delivery(HOOK_SECRET, "update_candidate", candidate)
    assert body.isascii() and b"\\u00" in body
    event = GreenhouseConnector.verify_webhook(HOOK_SECRET, headers, body)
    assert event.payload["candidate"]["first_name"] + event.payload["candidate"]["last_name"] == (
        candidate.first_name + candidate.last_name)
    reserialised = json.dumps(json.loads(body), ensure_ascii=False).encode()
    with pytest.raises(WebhookRejected, match="does not match"):
        GreenhouseConnector.verify_webhook(HOOK_SECRET, headers, reserialised)


def test_a_tampered_body_is_rejected(dataset: Dataset) -> None:
    body, headers = webhook_delivery(HOOK_SECRET, "reject_candidate", dataset.candidate(12))
    with pytest.raises(WebhookRejected, match="does not match"):
        GreenhouseConnector.verify_webhook(HOOK_SECRET, headers, body.replace(b"reject_candidate", b"hire_candidate"))


def test_a_wrong_secret_is_rejected(dataset: Dataset) -> None:
    body, headers = webhook_delivery("another-secret", "reject_candidate", dataset.candidate(12))
    with pytest.raises(WebhookRejected, match="does not match"):
        GreenhouseConnector.verify_webhook(HOOK_SECRET, headers, body)


def test_a_missing_signature_is_rejected(dataset: Dataset) -> None:
    body, headers = webhook_delivery(HOOK_SECRET, "reject_candidate", dataset.candidate(12))
    del headers["Signature"]
    with pytest.raises(WebhookRejected, match="missing Signature"):
        GreenhouseConnector.verify_webhook(HOOK_SECRET, headers, body)


@pytest.mark.parametrize("mangle", [
    lambda h: h.replace("sha256 ", "sha1 "),
    lambda h: h.replace("sha256 ", "sha256="),
    lambda h: h.split(" ")[1],
    lambda h: h[:-2],
    lambda h: h[:-2] + "zz",
])
def test_a_malformed_signature_header_is_rejected(dataset: Dataset, mangle: Any) -> None:
    body, headers = webhook_delivery(HOOK_SECRET, "reject_candidate", dataset.candidate(12))
    headers["Signature"] = mangle(headers["Signature"])
    with pytest.raises(WebhookRejected, match="malformed Signature"):
        GreenhouseConnector.verify_webhook(HOOK_SECRET, headers, body)


def test_a_signed_body_that_is_not_json_is_rejected() -> None:
    body = b"not json"
    signature = "sha256 " + hmac.new(HOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    with pytest.raises(WebhookRejected, match="not valid JSON"):
        GreenhouseConnector.verify_webhook(HOOK_SECRET, {"Signature": signature}, body)


def test_a_replayed_body_keeps_its_event_id_whatever_the_unsigned_header_says(dataset: Dataset) -> None:
    """Greenhouse signs the body, not the Greenhouse-Event-ID header: the id is the body's digest."""
    body, headers = webhook_delivery(HOOK_SECRET, "hire_candidate", dataset.candidate(12))
    first = GreenhouseConnector.verify_webhook(HOOK_SECRET, headers, body)
    renamed = GreenhouseConnector.verify_webhook(HOOK_SECRET, {**headers, "Greenhouse-Event-ID": "evt-new"}, body)
    del headers["Greenhouse-Event-ID"]
    bare = GreenhouseConnector.verify_webhook(HOOK_SECRET, headers, body)
    other_body, other_headers = webhook_delivery(HOOK_SECRET, "reject_candidate", dataset.candidate(12))
    other = GreenhouseConnector.verify_webhook(HOOK_SECRET, other_headers, other_body)
    assert first.event_id == renamed.event_id == bare.event_id == "sha256:" + hashlib.sha256(body).hexdigest()
    assert other.event_id != first.event_id


def test_the_ping_is_recognised() -> None:
    body, headers = webhook_delivery(HOOK_SECRET, "ping", None, event_id="ping-1")
    event = GreenhouseConnector.verify_webhook(HOOK_SECRET, headers, body)
    assert event.is_ping and event.candidate_id is None and event.event_id.startswith("sha256:")


def test_an_empty_secret_rejects_everything(dataset: Dataset) -> None:
    body, headers = webhook_delivery("", "update_candidate", dataset.candidate(12))
    with pytest.raises(WebhookRejected, match="no webhook secret"):
        GreenhouseConnector.verify_webhook("", headers, body)


# --- the documented shapes (fixtures) ---------------------------------------------------------------
# connectors/fixtures/greenhouse: every v3 response the connector reads or writes, in the documented shape, served
# as it is by Replay (query strings ignored, so a filter the connector sends is not applied for it).

RESPONSES = {fixture.name: fixture for fixture in load("greenhouse") if not fixture.is_webhook}
INGRID, LARS = (str(row["id"]) for row in RESPONSES["candidates"].body)
NEW_TAG = RESPONSES["candidate_tag_created"].body["name"]
NOTE_BODY = RESPONSES["note_created"].body["body"]


def replayed(server: tuple[Switch, str], overrides: dict[str, Any] | None = None
             ) -> tuple[Replay, GreenhouseConnector]:
    """The fixtures behind the module's one server (a body swapped where `overrides` says), and a fresh connector."""
    switch, base = server
    switch.app = Replay(RESPONSES.values(), overrides)
    return switch.app, connect(base)


def _app_stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_every_response_fixture_is_sourced_and_a_last_page() -> None:
    assert set(RESPONSES) == {
        "token", "candidates", "applications", "application_stages", "job_interview_stages", "jobs", "sources",
        "rejection_reasons", "referrers", "users", "candidate_tags", "applied_candidate_tags", "note_created",
        "candidate_tag_created", "applied_tag_created"}
    assert len({fixture.endpoint for fixture in RESPONSES.values()}) == len(RESPONSES)
    for fixture in RESPONSES.values():
        assert fixture.source and fixture.required, fixture.name
        for path in fixture.required:
            fixture.without(path)  # every required path exists in the documented body
        if fixture.method_and_path[0] == "GET":  # v3 lists are bare arrays; the last page has no next link
            assert isinstance(fixture.body, list) and fixture.body, fixture.name
            assert 'rel="next"' not in " ".join(fixture.headers.values()), fixture.name


def test_the_connector_reads_the_documented_shapes(server: tuple[Switch, str]) -> None:
    app, connector = replayed(server)
    candidate, own = connector.fetch_candidate(INGRID)
    with pytest.raises(NotFound):
        connector.fetch_candidate("99")
    candidates = read_all(connector, "candidates")
    applications = {a.ats_id: a for a in read_all(connector, "applications")}
    note = connector.add_note(LARS, NOTE_BODY)
    connector.add_tag(INGRID, "python")  # applied already (applied_candidate_tags): nothing written
    connector.add_tag(LARS, NEW_TAG)  # not in the catalogue: created, then applied

    documented = RESPONSES["candidates"].body[0]
    assert [c.ats_id for c in candidates] == [INGRID, LARS]
    assert (candidate.ats_id, candidate.first_name, candidate.last_name) == (
        INGRID, documented["first_name"], documented["last_name"])
    assert candidate.emails == tuple(e["value"] for e in documented["email_addresses"])
    assert candidate.phones == ("+47 912 34 567",) and candidate.tags == ("python",)
    assert (candidate.employer, candidate.title) == ("Cognite", "Data Engineer")
    assert candidate.linkedin_url == "https://www.linkedin.com/in/ingrid-lovas"
    assert candidate.updated_at == _app_stamp(documented["updated_at"])
    assert candidate.url == f"https://app.greenhouse.io/people/{INGRID}"
    assert [a.ats_id for a in own] == ["71830441"]  # Lars's processes on the same (unfiltered) page are not hers

    rejected, hired, active = applications["71830441"], applications["71830442"], applications["71830450"]
    assert (rejected.candidate_id, rejected.outcome, rejected.rejection_reason) == (
        INGRID, Outcome.NOT_HIRED, "Lacking skill(s)/qualification(s)")
    assert rejected.closed_at == datetime(2026, 9, 18, 9, 30, tzinfo=UTC)
    assert rejected.applied_at == datetime(2026, 8, 2, 7, 15, tzinfo=UTC)
    assert [s.name for s in rejected.stages] == ["Application Review", "Phone Screen", "Onsite"]
    assert rejected.stages[1].reached_at == datetime(2026, 8, 5, 10, 0, tzinfo=UTC)
    assert rejected.met_not_hired and rejected.job_name == "Senior Backend Engineer"
    assert rejected.source == Source("Referral", SourceKind.REFERRAL)
    assert rejected.referrer == Referrer("Kari Nordmann", "kari.nordmann@company.example", "902311", True)
    assert (hired.outcome, hired.job_name, hired.rejection_reason, hired.referrer) == (
        Outcome.HIRED, "Engineering Manager, Payments", None, None)
    assert [s.name for s in hired.stages] == ["Application Review", "Phone Screen", "Offer"]
    assert hired.closed_at == datetime(2026, 7, 30, 10, 0, tzinfo=UTC)  # the hire left its last stage then
    assert hired.source == Source("LinkedIn (Prospecting)", SourceKind.SOURCED)
    assert (active.outcome, active.closed_at, [s.name for s in active.stages]) == (
        Outcome.ACTIVE, None, ["Application Review", "Phone Screen"])
    assert active.met and active.updated_at == datetime(2026, 10, 2, 8, 0, 3, 120000, tzinfo=UTC)

    assert (note.ats_id, note.candidate_id, note.body) == ("667120003", LARS, NOTE_BODY)
    assert note.created_at == datetime(2026, 12, 4, 20, 15, tzinfo=UTC)
    posts = [path for method, path in app.requests if method == "POST"]
    assert posts == ["/token", "/v3/notes", "/v3/candidate_tags", "/v3/applied_candidate_tags"]
    gets = {path for method, path in app.requests if method == "GET"}
    assert gets == {path for f in RESPONSES.values() if f.method_and_path[0] == "GET"
                    for path in [f.method_and_path[1]]}  # every documented list was read


def _fetch(connector: GreenhouseConnector) -> Any:
    return connector.fetch_candidate(INGRID)


def _read(stream: str) -> Callable[[GreenhouseConnector], Any]:
    return lambda connector: read_all(connector, stream)


def _tag(connector: GreenhouseConnector) -> Any:
    return connector.add_tag(LARS, NEW_TAG)


# what makes the connector read each response (each use must refuse the body without a documented field)
USES: dict[str, list[Callable[[GreenhouseConnector], Any]]] = {
    "token": [_fetch],
    "candidates": [_fetch, _read("candidates")],
    "applications": [_fetch, _read("applications")],
    **{name: [_read("applications")] for name in ("application_stages", "job_interview_stages", "jobs", "sources",
                                                  "rejection_reasons", "referrers", "users")},
    **{name: [_tag] for name in ("candidate_tags", "applied_candidate_tags", "candidate_tag_created",
                                 "applied_tag_created")},
    "note_created": [lambda connector: connector.add_note(LARS, NOTE_BODY)],
}
REQUIRED = [(name, path) for name, fixture in sorted(RESPONSES.items()) for path in fixture.required]


def test_every_response_fixture_has_a_use() -> None:
    assert set(USES) == set(RESPONSES)


@pytest.mark.parametrize(("name", "path"), REQUIRED, ids=[f"{name}:{path}" for name, path in REQUIRED])
def test_a_response_without_a_documented_field_is_refused_loudly(server: tuple[Switch, str], name: str,
                                                                 path: str) -> None:
    without = RESPONSES[name].without(path)
    for use in USES[name]:
        _, connector = replayed(server, {name: without})
        with pytest.raises(MalformedResponse):
            use(connector)
