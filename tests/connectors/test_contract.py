"""The contract every connector keeps, run the same way for every vendor (tests/kits.py): over real HTTP against
its simulator, a full read equals the dataset, an incremental read returns only what changed at a cost that
follows the changes, a 429 storm is waited out, a revoked or expired credential ends cleanly (or is refreshed),
a malformed page is reported as one; and every documented webhook body (connectors/fixtures/<vendor>), signed as
the vendor signs it, is read as its fixture says, while the same body without a documented field is refused.
The vendor's own test file goes deeper; this file is what a new vendor must pass first."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.base import Connector
from connectors.errors import AuthError, MalformedResponse, WebhookRejected
from connectors.fixtures import Fixture, load, vendors
from connectors.simulators.base import Fault, Simulator, serve
from connectors.simulators.dataset import Dataset, generate
from connectors.types import Application, Candidate, Outcome
from tests.kits import KITS, Kit

SECRET = "contract-webhook-secret"
OUTCOMES = {"active": Outcome.ACTIVE, "rejected": Outcome.NOT_HIRED, "hired": Outcome.HIRED}
VENDORS = sorted(KITS)


@contextmanager
def connected(kit: Kit, data: Dataset, **simulator: Any) -> Iterator[tuple[Simulator, Connector]]:
    sim = kit.simulator(data, **simulator)
    with serve(sim) as url:
        yield sim, kit.connector(sim, url)


def read_everything(connector: Connector, since: datetime | None = None) -> tuple[set[str], list[Application]]:
    candidates: set[str] = set()
    applications: list[Application] = []
    for stream in connector.streams:
        for page in connector.read(stream, since):
            candidates |= {r.ats_id for r in page if isinstance(r, Candidate)}
            applications += [r for r in page if isinstance(r, Application)]
    return candidates, applications


def test_every_registered_vendor_has_a_kit_and_fixtures() -> None:
    from connectors.registry import REGISTRY

    assert set(REGISTRY) == set(KITS) == set(vendors())


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_full_read_equals_the_dataset(vendor: str) -> None:
    kit, data = KITS[vendor], generate(40, seed=5)
    with connected(kit, data) as (sim, connector):
        candidates, applications = read_everything(connector)
    assert candidates == {kit.candidate_id(sim, c) for c in data.candidates}
    outcomes = {(a.candidate_id, a.outcome) for a in applications}
    assert outcomes == {(kit.candidate_id(sim, c), OUTCOMES[a.status]) for c in data.candidates for a in c.applications}


@pytest.mark.parametrize("vendor", VENDORS)
def test_an_incremental_read_returns_the_changes_at_a_cost_that_follows_them(vendor: str) -> None:
    kit, data = KITS[vendor], generate(120, seed=5)
    with connected(kit, data) as (sim, connector):
        read_everything(connector)
        full = len(sim.requests)
        started = datetime.now(UTC)
        data.touch([3, 17], started + timedelta(seconds=1))
        before = len(sim.requests)
        candidates, _ = read_everything(connector, started - timedelta(minutes=5))
        incremental = len(sim.requests) - before
    assert candidates == {kit.candidate_id(sim, data.candidates[2]), kit.candidate_id(sim, data.candidates[16])}
    # a dozen requests at most, and fewer than the full read wherever that took more than one page
    assert incremental <= 12 and (incremental < full or full == 1), (incremental, full)


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_429_storm_is_waited_out(vendor: str) -> None:
    kit, data = KITS[vendor], generate(12, seed=5)
    with connected(kit, data, rate_limit=4, window_seconds=0.25) as (sim, connector):
        candidates, _ = read_everything(connector)
        fetched = [connector.fetch_candidate(kit.candidate_id(sim, c))[0].ats_id for c in data.candidates[:4]]
    assert len(candidates) == 12 and fetched == [kit.candidate_id(sim, c) for c in data.candidates[:4]]
    # the limit was met, by 429s waited out or by pacing before them (quota headers, a documented rate)
    assert sim.over_quota + connector.http.stats["throttled"] > 0
    assert connector.http.stats["rate_limited"] == sim.over_quota


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_revoked_or_expired_credential_ends_cleanly_or_is_refreshed(vendor: str) -> None:
    kit, data = KITS[vendor], generate(40, seed=5)
    with connected(kit, data) as (sim, connector):
        candidate = data.candidates[0]
        connector.fetch_candidate(kit.candidate_id(sim, candidate))
        kit.revoke(sim)
        if kit.refreshes:
            fetched, _ = connector.fetch_candidate(kit.candidate_id(sim, candidate))
            assert fetched.ats_id == kit.candidate_id(sim, candidate)
        else:
            before = len(sim.requests)
            with pytest.raises(AuthError):
                connector.fetch_candidate(kit.candidate_id(sim, candidate))
            assert [r.status for r in sim.requests[before:]] in ([401], [403])


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_malformed_page_is_reported(vendor: str) -> None:
    kit, data = KITS[vendor], generate(10, seed=5)
    with connected(kit, data) as (sim, connector):
        connector.fetch_candidate(kit.candidate_id(sim, data.candidates[0]))  # reference lists read and cached
        sim.inject(Fault.MALFORMED, times=20)
        with pytest.raises(MalformedResponse):
            read_everything(connector)


WEBHOOKS = [fixture for vendor in VENDORS for fixture in load(vendor) if fixture.is_webhook]
EVENT_FIELDS = ("event_id", "action", "candidate_id", "resource_id", "merged_into", "is_ping", "sync_wanted")


@pytest.mark.parametrize("fixture", WEBHOOKS, ids=lambda f: f"{f.vendor}:{f.event}")
def test_a_documented_webhook_body_is_read_as_documented(fixture: Fixture) -> None:
    kit = KITS[fixture.vendor]
    assert kit.sign is not None
    body, headers = kit.sign(SECRET, fixture.body)
    event = kit.connector_class.verify_webhook(SECRET, headers, body)
    assert event.action == fixture.expect.get("action", fixture.event)
    for name in EVENT_FIELDS:
        if name in fixture.expect:
            assert getattr(event, name) == fixture.expect[name], name


REQUIRED = [(fixture, path) for fixture in WEBHOOKS for path in fixture.required]


@pytest.mark.parametrize(("fixture", "path"), REQUIRED, ids=lambda v: v if isinstance(v, str) else v.name)
def test_a_webhook_body_without_a_documented_field_is_refused(fixture: Fixture, path: str) -> None:
    kit = KITS[fixture.vendor]
    assert kit.sign is not None
    body, headers = kit.sign(SECRET, fixture.without(path))
    with pytest.raises(WebhookRejected):
        kit.connector_class.verify_webhook(SECRET, headers, body)
