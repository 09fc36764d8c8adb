"""The Ashby connector against the Ashby simulator over real HTTP on 127.0.0.1, and against Ashby's documented
shapes (connectors/fixtures/ashby, served by Replay): no HTTP mocks anywhere.

Datasets are small and windows tight so the file runs in seconds; every fault is injected in the simulator, and
every claim is checked against the dataset or the simulator's request log (`sim.requests`, and `sim.calls` for the
JSON bodies, since every Ashby call is a POST).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from connectors.ashby import EVENTS, TOKEN_SLACK, AshbyConnector
from connectors.base import Record
from connectors.errors import AuthError, Fatal, MalformedResponse, NotFound, Retriable, WebhookRejected
from connectors.fixtures import Fixture, load
from connectors.http import Policy
from connectors.simulators.ashby import AshbySimulator
from connectors.simulators.base import Fault, serve
from connectors.simulators.dataset import Dataset, SimCandidate, generate
from connectors.simulators.replay import Replay
from connectors.types import Application, Candidate, Outcome, Referrer, Source, SourceKind, StageKind
from tests.connectors.switch import Switch

KEY = "ashby-test-key"
SECRET = "ashby-webhook-secret-token"
OUTCOMES = {"active": Outcome.ACTIVE, "rejected": Outcome.NOT_HIRED, "hired": Outcome.HIRED}
SOURCE_KINDS = {"referral": SourceKind.REFERRAL, "sourced": SourceKind.SOURCED, "applied": SourceKind.APPLIED,
                "agency": SourceKind.AGENCY, "event": SourceKind.EVENT}


class _Cache:
    """A LookupCache as the app hands one over: shared by every connector of one installation."""

    def __init__(self) -> None:
        self.entries: dict[str, bytes] = {}

    def get(self, key: str) -> bytes | None:
        return self.entries.get(key)

    def set(self, key: str, value: bytes) -> None:
        self.entries[key] = value


def _policy(max_attempts: int = 5) -> Policy:
    return Policy(timeout=(1, 0.5), backoff_base=0.01, backoff_cap=0.2, max_attempts=max_attempts)


@contextmanager
def ashby(dataset: Dataset, *, page_size: int = 25, sleep: Callable[[float], None] | None = None,
          max_attempts: int = 5, cache: _Cache | None = None, **simulator: Any
          ) -> Iterator[tuple[AshbySimulator, AshbyConnector]]:
    sim = AshbySimulator(dataset, api_key=KEY, **{"rate_limit": 1000, "window_seconds": 1.0, "slow_seconds": 1.5,
                                                  **simulator})
    with serve(sim) as url:
        yield sim, AshbyConnector(url, {"api_key": KEY}, policy=_policy(max_attempts), sleep=sleep,
                                  page_size=page_size, cache=cache)


def read_all(connector: AshbyConnector, since: datetime | None = None) -> list[list[Record]]:
    return [page for stream in connector.streams for page in connector.read(stream, since)]


def split(pages: list[list[Record]]) -> tuple[list[Candidate], list[Application]]:
    records = [r for page in pages for r in page]
    return ([r for r in records if isinstance(r, Candidate)], [r for r in records if isinstance(r, Application)])


def calls(sim: AshbySimulator, method: str, start: int = 0) -> list[dict[str, Any]]:
    return [body for name, body in sim.calls[start:] if name == method]


# --- reads ------------------------------------------------------------------------------------------

def test_full_read_equals_the_dataset() -> None:
    dataset = generate(60)
    with ashby(dataset) as (sim, connector):
        pages = read_all(connector)
    candidates, applications = split(pages)

    people = {c.ats_id: c for c in candidates}
    assert set(people) == {sim.candidate_id(c.id) for c in dataset.candidates}
    for expected in dataset.candidates:
        got = people[sim.candidate_id(expected.id)]
        assert (got.first_name, got.last_name, got.employer, got.title, got.linkedin_url) == (
            expected.first_name, expected.last_name, expected.employer, expected.title, expected.linkedin_url)
        assert (got.emails, got.phones, got.tags) == (tuple(expected.emails), tuple(expected.phones),
                                                      tuple(expected.tags))
        assert got.updated_at == expected.updated_at
        assert got.url == f"https://app.ashbyhq.com/candidates/{got.ats_id}"

    by_id = {a.ats_id: a for a in applications}
    assert set(by_id) == {sim.application_id(a.id) for a in dataset.applications()}
    for expected in dataset.applications():
        got = by_id[sim.application_id(expected.id)]
        assert got.candidate_id == sim.candidate_id(expected.candidate_id)
        assert got.outcome == OUTCOMES[expected.status]
        assert (got.applied_at, got.closed_at, got.job_name) == (expected.applied_at, expected.closed_at,
                                                                 expected.job_name)
        # the closing Archived/Hired stage is the outcome, not a stage reached
        assert [(s.name, s.reached_at) for s in got.stages] == [(s.name, s.reached_at) for s in expected.stages]
        assert got.met == expected.met
        assert got.rejection_reason == (expected.rejection_reason if expected.status == "rejected" else None)
        assert got.source == Source(expected.source_name, SOURCE_KINDS[expected.source_kind])
        referrer = expected.referrer
        employee = referrer is not None and referrer.user_id is not None
        # A referrer outside the company has no Ashby user: Ashby cannot name them.
        assert got.referrer == (Referrer(referrer.name, referrer.email, sim.user_id(referrer.user_id),
                                         is_employee=True) if employee else None)

    met_not_hired = {a.candidate_id for a in applications if a.met_not_hired} - {
        a.candidate_id for a in applications if a.outcome == Outcome.HIRED}
    assert met_not_hired == {sim.candidate_id(c.id) for c in dataset.candidates if c.met_not_hired}
    assert len(met_not_hired) >= 10
    assert any(a.referrer for a in applications)
    assert {a.source.kind for a in applications if a.source} == set(SourceKind) - {SourceKind.OTHER}
    # the credited user of a sourced application is its sourcer, not a referrer
    assert all(a.referrer is None for a in applications if a.source and a.source.kind is SourceKind.SOURCED)

    # Cost stays proportional: list pages of 25, then one history call per application.
    n_candidates, n_applications = len(dataset.candidates), len(dataset.applications())
    listed = calls(sim, "candidate.list")
    assert len(listed) == math.ceil(n_candidates / 25)
    assert len(calls(sim, "application.list")) == math.ceil(n_applications / 25)
    assert len(calls(sim, "application.listHistory")) == n_applications
    assert all(body["limit"] == 25 for body in listed)
    assert "cursor" not in listed[0] and all("cursor" in body for body in listed[1:])
    assert not any("syncToken" in body for name, body in sim.calls)
    assert {r.method for r in sim.requests} == {"POST"}


def test_incremental_read_uses_the_sync_token_and_costs_what_changed() -> None:
    dataset = generate(60)
    with ashby(dataset) as (sim, connector):
        sync_started = datetime.now(UTC)
        read_all(connector)
        changed_at = dataset.now + timedelta(hours=2)
        dataset.touch([3, 17], changed_at)
        first = len(sim.calls)
        # the engine's bookmark: its last sync's start minus five minutes
        pages = read_all(connector, sync_started - timedelta(minutes=5))
    candidates, applications = split(pages)
    touched = [dataset.candidates[2], dataset.candidates[16]]

    assert {c.ats_id for c in candidates} == {sim.candidate_id(c.id) for c in touched}
    assert all(c.title and c.title.endswith("(updated)") for c in candidates)
    assert {a.ats_id for a in applications} == {sim.application_id(a.id) for c in touched for a in c.applications}
    assert all(a.updated_at == changed_at for a in applications)

    later = sim.calls[first:]
    assert [name for name, _ in later if name.endswith(".list")] == ["candidate.list", "application.list"]
    assert all("syncToken" in body for name, body in later if name.endswith(".list"))
    assert len(calls(sim, "application.listHistory", first)) == sum(len(c.applications) for c in touched)


def test_a_since_older_than_the_stored_token_reads_everything() -> None:
    dataset = generate(30)
    with ashby(dataset) as (sim, connector):
        sync_started = datetime.now(UTC)
        read_all(connector)
        first = len(sim.calls)
        pages = read_all(connector, sync_started - TOKEN_SLACK - timedelta(minutes=1))
    candidates, applications = split(pages)
    assert len(candidates) == len(dataset.candidates) and len(applications) == len(dataset.applications())
    assert not any("syncToken" in body for _, body in sim.calls[first:])


def test_the_token_is_kept_in_the_installation_cache_for_the_next_connector() -> None:
    dataset = generate(30)
    cache = _Cache()
    with ashby(dataset, cache=cache) as (sim, connector):
        sync_started = datetime.now(UTC)
        read_all(connector)
        assert set(cache.entries) == {"sync_token:candidates", "sync_token:applications"}
        assert all(b"@" not in value for value in cache.entries.values())  # a token and a time, no personal data
        dataset.touch([5], dataset.now + timedelta(hours=1))
        fresh = AshbyConnector(connector.base_url, {"api_key": KEY}, policy=_policy(), cache=cache)
        first = len(sim.calls)
        candidates, _ = split(read_all(fresh, sync_started - timedelta(minutes=5)))
    assert [c.ats_id for c in candidates] == [sim.candidate_id(5)]
    assert all("syncToken" in body for name, body in sim.calls[first:] if name.endswith(".list"))


def test_a_token_taken_before_the_last_page_is_not_kept() -> None:
    """The token may be used only once the caller has taken every page: a sync killed mid-stream re-reads."""
    dataset = generate(60)
    with ashby(dataset, page_size=10) as (sim, connector):
        sync_started = datetime.now(UTC)
        pages = connector.read("candidates", None)
        for _ in range(math.ceil(len(dataset.candidates) / 10)):
            next(pages)  # every page fetched, the last one (with its token) too, but not yet consumed to the end
        pages.close()
        first = len(sim.calls)
        list(connector.read("candidates", sync_started - timedelta(minutes=5)))
    assert "syncToken" not in calls(sim, "candidate.list", first)[0]


def test_an_expired_sync_token_falls_back_to_a_full_sync() -> None:
    dataset = generate(30)
    with ashby(dataset) as (sim, connector):
        sync_started = datetime.now(UTC)
        read_all(connector)
        sim.expire_tokens()
        dataset.touch([4], dataset.now + timedelta(hours=1))
        first = len(sim.calls)
        since = sync_started - timedelta(minutes=5)
        candidates, applications = split(read_all(connector, since))
        assert len(candidates) == len(dataset.candidates) and len(applications) == len(dataset.applications())
        for method in ("candidate.list", "application.list"):  # one refused request, then a full pass
            carried = ["syncToken" in body for body in calls(sim, method, first)]
            assert carried[0] and not any(carried[1:]) and len(carried) >= 2
        # the full pass earned fresh tokens: the next read is incremental again
        dataset.touch([9], dataset.now + timedelta(hours=3))
        candidates, _ = split(read_all(connector, since))
    assert [c.ats_id for c in candidates] == [sim.candidate_id(9)]


def test_an_incremental_sync_too_large_falls_back_to_a_full_sync() -> None:
    dataset = generate(30)
    with ashby(dataset, page_size=5, max_incremental_pages=1) as (sim, connector):
        sync_started = datetime.now(UTC)
        list(connector.read("candidates", None))
        dataset.touch(list(range(1, 12)), dataset.now + timedelta(hours=1))  # 11 changes > 1 page of 5
        first = len(sim.calls)
        candidates, _ = split(list(connector.read("candidates", sync_started - timedelta(minutes=5))))
    assert len(candidates) == len(dataset.candidates)
    assert ["syncToken" in body for body in calls(sim, "candidate.list", first)][:2] == [True, False]


def test_fetch_candidate_returns_the_candidate_and_all_their_applications() -> None:
    dataset = generate(60)
    target = next(c for c in dataset.candidates if len(c.applications) == 2)
    with ashby(dataset) as (sim, connector):
        candidate, applications = connector.fetch_candidate(sim.candidate_id(target.id))
        with pytest.raises(NotFound, match="candidate_not_found"):
            connector.fetch_candidate(sim.candidate_id(9999))
        dataset.candidates[0].deleted = True
        with pytest.raises(NotFound):
            connector.fetch_candidate(sim.candidate_id(1))
    assert (candidate.ats_id, candidate.first_name, candidate.emails) == (
        sim.candidate_id(target.id), target.first_name, tuple(target.emails))
    assert {a.ats_id for a in applications} == {sim.application_id(a.id) for a in target.applications}
    assert [a.met for a in applications] == [a.met for a in target.applications]


def test_deleted_candidates_leave_the_lists() -> None:
    dataset = generate(20)
    dataset.candidates[4].deleted = True
    with ashby(dataset) as (sim, connector):
        candidates, applications = split(read_all(connector))
    assert sim.candidate_id(5) not in {c.ats_id for c in candidates}
    assert sim.candidate_id(5) not in {a.candidate_id for a in applications}
    assert len(candidates) == 19


# --- faults -----------------------------------------------------------------------------------------

def test_a_429_storm_finishes_waiting_as_long_as_retry_after_says() -> None:
    dataset = generate(8)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    limit = 5
    with ashby(dataset, page_size=100, sleep=sleep, rate_limit=limit, window_seconds=1.0) as (sim, connector):
        _, applications = split(read_all(connector))
    assert len(applications) == len(dataset.applications())

    refused = [r for r in sim.requests if r.status == 429]
    accepted = [r for r in sim.requests if r.status != 429]
    assert sim.over_quota == len(refused) == connector.http.stats["rate_limited"] >= 1
    # Every wait is a whole Retry-After of at least a second, never a jittered backoff (capped at 0.2 s).
    assert len(waits) == len(refused) and all(w >= 1 and w == int(w) for w in waits)
    assert sim.over_quota <= len(accepted) // limit


def test_5xx_is_retried_then_the_read_succeeds() -> None:
    dataset = generate(30)
    with ashby(dataset) as (sim, connector):
        sim.inject(Fault.SERVER_ERROR, 2)
        candidates, _ = split(list(connector.read("candidates", None)))
    assert len(candidates) == len(dataset.candidates)
    assert [r.status for r in sim.requests[:3]] == [503, 503, 200]
    assert connector.http.stats["retries"] == 2


def test_persistent_5xx_ends_in_a_clear_retriable_error() -> None:
    with ashby(generate(10), max_attempts=3) as (sim, connector):
        sim.inject(Fault.SERVER_ERROR, 10)
        with pytest.raises(Retriable, match=r"POST /candidate.list: failed after 3 attempts, last: HTTP 503"):
            list(connector.read("candidates", None))
    assert [r.status for r in sim.requests] == [503, 503, 503]


def test_a_slow_answer_times_out_and_is_retried() -> None:
    dataset = generate(30)
    with ashby(dataset) as (sim, connector):
        sim.inject(Fault.SLOW)
        candidates, _ = split(list(connector.read("candidates", None)))
    assert len(candidates) == len(dataset.candidates)
    assert connector.http.stats["retries"] == 1


def test_persistently_slow_answers_end_in_a_clear_error() -> None:
    with ashby(generate(10), max_attempts=3) as (sim, connector):
        sim.inject(Fault.SLOW, 3)
        started = time.monotonic()
        with pytest.raises(Retriable, match=r"failed after 3 attempts, last: ReadTimeout"):
            list(connector.read("candidates", None))
        assert time.monotonic() - started < 3  # three 0.5 s read timeouts, not three 1.5 s answers
    assert len(sim.requests) == 3


def test_a_key_revoked_mid_sync_fails_after_exactly_one_refused_request() -> None:
    with ashby(generate(40), page_size=10) as (sim, connector):
        pages = connector.read("candidates", None)
        assert next(pages)
        sim.api_key = "a-rotated-key"
        before = len(sim.requests)
        with pytest.raises(AuthError, match="HTTP 403"):
            next(pages)
    assert [r.status for r in sim.requests[before:]] == [403]


def test_a_missing_key_is_refused_once_without_a_second_try() -> None:
    with ashby(generate(5)) as (sim, connector):
        connector.http.auth = None  # a request that carries no key at all
        with pytest.raises(AuthError, match="HTTP 401"):
            list(connector.read("candidates", None))
    assert [r.status for r in sim.requests] == [401]


def test_a_malformed_page_raises_malformed_response() -> None:
    with ashby(generate(10)) as (sim, connector):
        sim.inject(Fault.MALFORMED)
        with pytest.raises(MalformedResponse, match="not valid JSON"):
            list(connector.read("candidates", None))
    assert sim.requests[-1].path == "/candidate.list"


def test_the_simulator_refuses_what_ashby_refuses() -> None:
    dataset = generate(5)
    sim = AshbySimulator(dataset, api_key=KEY)
    with serve(sim) as url:
        def post(method: str, body: Any, auth: tuple[str, str] | None = (KEY, "")) -> requests.Response:
            return requests.post(f"{url}/{method}", json=body, auth=auth, timeout=5)

        def refused(method: str, body: Any) -> str:
            response = post(method, body)
            envelope = response.json()
            assert response.status_code == 200 and envelope["success"] is False  # logical errors answer 200
            assert envelope["errors"] == [envelope["errorInfo"]["code"]] and envelope["errorInfo"]["requestId"]
            return envelope["errorInfo"]["code"]

        assert refused("candidate.list", {"limit": 101}) == "invalid_input"
        assert refused("candidate.list", {"createdAfter": "2026-01-01"}) == "invalid_input"
        assert refused("candidate.list", {"cursor": "bm90LWEtY3Vyc29y"}) == "invalid_next_cursor"
        assert refused("candidate.list", {"syncToken": "not-a-token"}) == "sync_token_invalid"
        assert refused("application.list", {"expand": ["referrals"]}) == "invalid_input"
        assert refused("application.info", {"applicationId": "0000"}) == "application_not_found"
        assert refused("candidate.createNote", {"candidateId": sim.candidate_id(1), "note": {"value": "x"}}) == (
            "invalid_input")
        assert refused("candidate.addTag", {"candidateId": sim.candidate_id(1), "tagId": "nope"}) == "tag_not_found"
        # a cursor is bound to the pass's filters
        first = post("candidate.list", {"limit": 2}).json()
        assert refused("candidate.list", {"limit": 2, "cursor": first["nextCursor"], "createdAfter": 0}) == (
            "invalid_next_cursor")
        # a token from one list does not open another
        token = post("candidate.list", {}).json()["syncToken"]
        assert refused("application.list", {"syncToken": token}) == "sync_token_invalid"

        missing = post("candidate.list", {}, auth=None)
        assert missing.status_code == 401 and missing.json()["success"] is False
        wrong = post("candidate.list", {}, auth=("not-the-key", ""))
        assert wrong.status_code == 403 and wrong.json()["success"] is False
        assert requests.get(f"{url}/candidate.list", auth=(KEY, ""), timeout=5).status_code == 405
        assert "X-RateLimit-Remaining" not in post("candidate.list", {}).headers


def test_an_error_envelope_becomes_a_typed_error() -> None:
    with ashby(generate(5)) as (_, connector):
        with pytest.raises(Fatal, match=r"candidate.list: invalid_input: limit must be"):
            connector._call("candidate.list", {"limit": 500})
        with pytest.raises(Retriable, match="invalid_next_cursor"):
            connector._call("candidate.list", {"cursor": "bm90LWEtY3Vyc29y"})
        with pytest.raises(NotFound, match="application_not_found"):
            connector._call("application.info", {"applicationId": "0000"})


def test_credentials_and_page_size_are_checked() -> None:
    with pytest.raises(ValueError, match="api_key"):
        AshbyConnector("https://api.ashbyhq.com", {})
    with pytest.raises(ValueError, match="1 to 100"):
        AshbyConnector("https://api.ashbyhq.com", {"api_key": KEY}, page_size=101)
    with pytest.raises(ValueError, match="no stream"):
        next(AshbyConnector("https://api.ashbyhq.com", {"api_key": KEY}).read("opportunities", None))


# --- writes -----------------------------------------------------------------------------------------

def test_note_and_tag_land_on_the_candidate() -> None:
    dataset = generate(20)
    target = dataset.candidates[6]
    with ashby(dataset) as (sim, connector):
        note = connector.add_note(sim.candidate_id(target.id), "Kaffe neste uke?")
        connector.add_tag(sim.candidate_id(target.id), "brobygger-warm")
        connector.add_tag(sim.candidate_id(target.id), "brobygger-warm")
        candidate, _ = connector.fetch_candidate(sim.candidate_id(target.id))

    assert [(n["id"], n["content"], n["type"], n["sendNotifications"]) for n in target.notes] == [
        (note.ats_id, "Kaffe neste uke?", "text/plain", False)]
    assert note.candidate_id == sim.candidate_id(target.id) and note.created_at is not None
    assert target.tags.count("brobygger-warm") == 1
    assert "brobygger-warm" in candidate.tags
    writes = [name for name, _ in sim.calls if name in ("candidate.createNote", "candidateTag.create",
                                                        "candidate.addTag")]
    assert writes == ["candidate.createNote", "candidateTag.create", "candidate.addTag"]  # the second tag: a no-op
    assert calls(sim, "candidate.addTag")[0] == {"candidateId": sim.candidate_id(target.id),
                                                 "tagId": sim.tag_id("brobygger-warm")}


def test_a_note_is_not_posted_twice_after_a_5xx() -> None:
    dataset = generate(5)
    with ashby(dataset) as (sim, connector):
        sim.inject(Fault.SERVER_ERROR)
        with pytest.raises(Retriable, match="not retried"):
            connector.add_note(sim.candidate_id(1), "Kaffe?")
    assert [r.path for r in sim.requests] == ["/candidate.createNote"]


def test_writes_to_a_deleted_candidate_are_not_found() -> None:
    dataset = generate(5)
    dataset.candidates[1].deleted = True
    with ashby(dataset) as (sim, connector):
        with pytest.raises(NotFound):
            connector.add_note(sim.candidate_id(2), "Kaffe?")
        with pytest.raises(NotFound):
            connector.add_tag(sim.candidate_id(2), "warm")


# --- webhooks ---------------------------------------------------------------------------------------

@pytest.fixture
def hooks() -> tuple[AshbySimulator, Dataset]:
    dataset = generate(5)
    return AshbySimulator(dataset), dataset


def _latest(candidate: SimCandidate) -> int:
    return max(candidate.applications, key=lambda a: (a.applied_at, a.id)).id


@pytest.mark.parametrize("event", EVENTS)
def test_every_event_verifies_and_names_its_records(hooks: tuple[AshbySimulator, Dataset], event: str) -> None:
    sim, dataset = hooks
    candidate = dataset.candidates[1]
    body, headers = sim.webhook_delivery(SECRET, event, candidate)
    verified = AshbyConnector.verify_webhook(SECRET, headers, body)
    delivery = json.loads(body)
    assert (verified.event_id, verified.action, verified.candidate_id) == (
        delivery["webhookActionId"], event, sim.candidate_id(candidate.id))
    assert not verified.is_ping and not verified.sync_wanted
    if event.startswith("application") or event in ("candidateStageChange", "candidateHire"):
        assert verified.resource_id == sim.application_id(_latest(candidate))
        assert verified.occurred_at is not None
    else:
        assert verified.resource_id is None
    assert verified.merged_into == (sim.candidate_id(dataset.candidates[2].id) if event == "candidateMerge" else None)


def test_a_ping_verifies_as_a_ping(hooks: tuple[AshbySimulator, Dataset]) -> None:
    sim, dataset = hooks
    body, headers = sim.webhook_delivery(SECRET, "ping", dataset.candidates[0])
    verified = AshbyConnector.verify_webhook(SECRET, headers, body)
    assert verified.is_ping and verified.candidate_id is None and verified.action == "ping"
    # A ping without webhookActionId (the ping's schema lists none) is keyed by its body.
    bare = json.dumps({"action": "ping", "data": {"webhookActionType": "ping"}}).encode()
    first = AshbyConnector.verify_webhook(SECRET, _signed(bare), bare)
    assert first.is_ping and first.event_id == AshbyConnector.verify_webhook(SECRET, _signed(bare), bare).event_id


def test_a_replayed_delivery_keeps_its_event_id(hooks: tuple[AshbySimulator, Dataset]) -> None:
    sim, dataset = hooks
    body, headers = sim.webhook_delivery(SECRET, "candidateHire", dataset.candidates[0])
    first = AshbyConnector.verify_webhook(SECRET, headers, body)
    again = AshbyConnector.verify_webhook(SECRET, headers, body, now=time.time() + 3600)
    other, other_headers = sim.webhook_delivery(SECRET, "candidateHire", dataset.candidates[0])
    assert first.event_id == again.event_id
    assert AshbyConnector.verify_webhook(SECRET, other_headers, other).event_id != first.event_id


def test_the_signature_header_is_found_in_any_case(hooks: tuple[AshbySimulator, Dataset]) -> None:
    sim, dataset = hooks
    body, headers = sim.webhook_delivery(SECRET, "applicationUpdate", dataset.candidates[0])
    lowered = {name.lower(): value for name, value in headers.items()}
    assert AshbyConnector.verify_webhook(SECRET, lowered, body).event_id


def _signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"Ashby-Signature": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def _edit(body: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    delivery = json.loads(body)
    change(delivery)
    return json.dumps(delivery).encode()


# (body change, header change, secret, reason)
REJECTIONS: dict[str, tuple[Callable[[bytes], bytes], Callable[[dict[str, str], bytes], dict[str, str]], str, str]] = {
    "tampered body": (lambda b: b.replace(b"applicationUpdate", b"applicationSubmit"), lambda h, b: h, SECRET,
                      "does not match"),
    "wrong secret": (lambda b: b, lambda h, b: h, "another-secret", "does not match"),
    "missing header": (lambda b: b, lambda h, b: {}, SECRET, "no Ashby-Signature"),
    "empty header": (lambda b: b, lambda h, b: {"Ashby-Signature": ""}, SECRET, "no Ashby-Signature"),
    "no algorithm": (lambda b: b, lambda h, b: {"Ashby-Signature": h["Ashby-Signature"].partition("=")[2]}, SECRET,
                     "sha256=<hex>"),
    "other algorithm": (lambda b: b, lambda h, b: {"Ashby-Signature": "sha1=" + h["Ashby-Signature"][7:]}, SECRET,
                        "sha256=<hex>"),
    "garbled digest": (lambda b: b, lambda h, b: {"Ashby-Signature": "sha256=zz\udcff"}, SECRET, "does not match"),
    "no secret configured": (lambda b: b, lambda h, b: h, "", "no secret token"),
    "not JSON": (lambda b: b"action=ping", lambda h, b: _signed(b), SECRET, "not JSON"),
    "a JSON array": (lambda b: b"[]", lambda h, b: _signed(b), SECRET, "not a JSON object"),
    "no webhookActionId": (lambda b: _edit(b, lambda d: d.pop("webhookActionId")), lambda h, b: _signed(b), SECRET,
                           "no webhookActionId"),
    "no candidate id": (lambda b: _edit(b, lambda d: d["data"]["application"]["candidate"].pop("id")),
                        lambda h, b: _signed(b), SECRET, "data.application.candidate.id"),
}


@pytest.mark.parametrize("case", sorted(REJECTIONS))
def test_a_bad_delivery_is_rejected_with_its_reason(hooks: tuple[AshbySimulator, Dataset], case: str) -> None:
    sim, dataset = hooks
    body, headers = sim.webhook_delivery(SECRET, "applicationUpdate", dataset.candidates[0])
    change_body, change_headers, secret, reason = REJECTIONS[case]
    changed = change_body(body)
    with pytest.raises(WebhookRejected, match=reason):
        AshbyConnector.verify_webhook(secret, change_headers(headers, changed), changed)


# --- the documented shapes (connectors/fixtures/ashby) ----------------------------------------------

FIXTURES = load("ashby")
BY_NAME = {f.name: f for f in FIXTURES}
CANDIDATE_ID = BY_NAME["candidate_info"].body["results"]["id"]






def _exercise(url: str) -> tuple[tuple[Candidate, list[Application]], list[Record]]:
    """Every call the connector makes, against whatever the server answers."""
    connector = AshbyConnector(url, {"api_key": KEY}, policy=_policy(max_attempts=1))
    fetched = connector.fetch_candidate(CANDIDATE_ID)
    records = [r for stream in connector.streams for page in connector.read(stream, None) for r in page]
    connector.add_note(CANDIDATE_ID, "Kaffe neste uke?")
    connector.add_tag(CANDIDATE_ID, "brobygger-warm")
    return fetched, records


def test_the_documented_shapes_read_as_expected(replay_server: tuple[Switch, str]) -> None:
    switch, url = replay_server
    switch.app = Replay(FIXTURES)
    (candidate, applications), records = _exercise(url)
    assert (candidate.first_name, candidate.last_name, candidate.employer, candidate.title) == (
        "Åse", "Øvrebø", "Cognite", "Data Engineer")
    assert candidate.emails == ("ase.ovrebo@mail.example", "ase@cognite.example")
    assert candidate.linkedin_url == "https://www.linkedin.com/in/ase-ovrebo" and candidate.tags == ("python",)
    [application] = applications
    assert application.outcome == Outcome.NOT_HIRED and application.met_not_hired
    assert [s.name for s in application.stages] == ["Application Review", "Phone Screen", "Technical Interview"]
    assert [s.kind for s in application.stages] == [StageKind.APPLIED, StageKind.SCREEN, StageKind.INTERVIEW]
    assert application.closed_at == datetime(2026, 8, 20, 10, 5, 31, 772000, tzinfo=UTC)
    assert application.rejection_reason == "Hired someone else"
    assert application.source == Source("Employee Referral", SourceKind.REFERRAL)
    assert application.referrer == Referrer("Ingrid Hansen", "ingrid@company.example",
                                            "e9ed20fd-d45f-4aad-8a00-a19bfba0083e", is_employee=True)
    assert records == [candidate, application]
    assert ("POST", "/candidate.addTag") in switch.app.requests


REQUIRED = [(f.name, path) for f in FIXTURES if not f.is_webhook for path in f.required]


@pytest.mark.parametrize(("name", "path"), REQUIRED, ids=[f"{n}:{p}" for n, p in REQUIRED])
def test_a_response_without_a_documented_field_is_refused(replay_server: tuple[Switch, str], name: str,
                                                          path: str) -> None:
    switch, url = replay_server
    switch.app = Replay(FIXTURES, overrides={name: BY_NAME[name].without(path)})
    with pytest.raises(MalformedResponse):
        _exercise(url)


WEBHOOKS = [f for f in FIXTURES if f.is_webhook]


@pytest.mark.parametrize("fixture", WEBHOOKS, ids=[f.name for f in WEBHOOKS])
def test_every_documented_delivery_verifies_as_expected(fixture: Fixture) -> None:
    body = fixture.encoded()
    verified = AshbyConnector.verify_webhook(SECRET, _signed(body), body)
    assert fixture.expect
    for name, value in fixture.expect.items():
        assert getattr(verified, name) == value, name


def test_every_handled_event_has_a_documented_body() -> None:
    assert set(EVENTS) | {"ping"} == {f.event for f in WEBHOOKS}


WEBHOOK_REQUIRED = [(f, path) for f in WEBHOOKS for path in f.required]


@pytest.mark.parametrize(("fixture", "path"), WEBHOOK_REQUIRED, ids=[f"{f.name}:{p}" for f, p in WEBHOOK_REQUIRED])
def test_a_delivery_without_a_documented_field_is_rejected(fixture: Fixture, path: str) -> None:
    body = fixture.encoded(fixture.without(path))
    with pytest.raises(WebhookRejected):
        AshbyConnector.verify_webhook(SECRET, _signed(body), body)
