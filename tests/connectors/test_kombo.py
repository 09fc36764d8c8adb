"""The Kombo connector against the Kombo simulator and against Kombo's documented shapes (the fixtures), over
real HTTP on 127.0.0.1: no HTTP mocks anywhere.

Datasets are small and windows tight so the file runs in seconds; every fault is injected in the simulator, and
every claim is checked against the dataset, the simulator's request log or the fixture.
"""

from __future__ import annotations

import base64
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

from connectors.base import Record
from connectors.errors import AuthError, Fatal, MalformedResponse, NotFound, Retriable, WebhookRejected
from connectors.fixtures import Fixture, load, webhooks
from connectors.http import Policy
from connectors.kombo import EVENTS, KomboConnector, integration_of, source_kind, to_kombo_time
from connectors.simulators.base import Fault, serve
from connectors.simulators.dataset import Dataset, SimCandidate, generate
from connectors.simulators.kombo import KomboSimulator
from connectors.simulators.replay import Replay
from connectors.types import Application, Candidate, Outcome, Source, SourceKind

KEY = "kombo-test-key"
HOOK_SECRET = "kombo-webhook-secret"
OUTCOMES = {"active": Outcome.ACTIVE, "rejected": Outcome.NOT_HIRED, "hired": Outcome.HIRED}
SOURCE_KINDS = {"referral": SourceKind.REFERRAL, "sourced": SourceKind.SOURCED, "applied": SourceKind.APPLIED,
                "agency": SourceKind.AGENCY, "event": SourceKind.EVENT}
FIXTURES = load("kombo")
BY_NAME = {f.name: f for f in FIXTURES}
FIXTURE_INTEGRATION = BY_NAME["integration"].body["data"]["id"]


def fast_policy(max_attempts: int = 5) -> Policy:
    return Policy(timeout=(1, 0.5), backoff_base=0.01, backoff_cap=0.2, max_attempts=max_attempts)


@contextmanager
def kombo(dataset: Dataset, *, page_size: int = 25, sleep: Callable[[float], None] | None = None,
          max_attempts: int = 5, integration_id: str | None = None,
          **simulator: Any) -> Iterator[tuple[KomboSimulator, KomboConnector]]:
    sim = KomboSimulator(dataset, api_key=KEY, **{"rate_limit": 1000, "window_seconds": 1.0, "slow_seconds": 1.5,
                                                  **simulator})
    with serve(sim) as url:
        credentials = {"api_key": KEY, "integration_id": integration_id or sim.integration_id}
        yield sim, KomboConnector(f"{url}/v1", credentials, policy=fast_policy(max_attempts), sleep=sleep,
                                  page_size=page_size)


def split(pages: list[list[Record]]) -> tuple[list[Candidate], list[Application]]:
    records = [r for page in pages for r in page]
    return ([r for r in records if isinstance(r, Candidate)], [r for r in records if isinstance(r, Application)])


def candidate_source(candidate: SimCandidate) -> Source:
    """Kombo keeps one source per candidate: the simulator gives it the first application's."""
    first = candidate.applications[0]
    return Source(first.source_name, SOURCE_KINDS[first.source_kind])


# --- reads ------------------------------------------------------------------------------------------

def test_full_read_equals_the_dataset() -> None:
    dataset = generate(60)
    with kombo(dataset) as (sim, connector):
        pages = list(connector.read("candidates", None))
    candidates, applications = split(pages)

    for page in pages:  # each candidate once, before the applications that name it
        seen: set[str] = set()
        for record in page:
            if isinstance(record, Candidate):
                assert record.ats_id not in seen
                seen.add(record.ats_id)
            else:
                assert record.candidate_id in seen

    people = {c.ats_id: c for c in candidates}
    assert set(people) == {sim.candidate_id(c.id) for c in dataset.candidates}
    for expected in dataset.candidates:
        got = people[sim.candidate_id(expected.id)]
        assert (got.first_name, got.last_name, got.employer, got.title, got.linkedin_url) == (
            expected.first_name, expected.last_name, expected.employer, expected.title, expected.linkedin_url)
        assert (got.emails, got.phones, got.tags) == (tuple(expected.emails), tuple(expected.phones),
                                                      tuple(expected.tags))
        assert got.updated_at == expected.updated_at
        assert got.url == f"https://reachmee.example/candidate/{expected.id}"

    by_id = {a.ats_id: a for a in applications}
    assert set(by_id) == {sim.application_id(a.id) for a in dataset.applications()}
    for expected in dataset.applications():
        owner = dataset.candidates[expected.candidate_id - 1]
        got = by_id[sim.application_id(expected.id)]
        assert got.candidate_id == sim.candidate_id(expected.candidate_id)
        assert got.outcome == OUTCOMES[expected.status]
        assert (got.job_name, got.applied_at, got.updated_at) == (expected.job_name, expected.applied_at,
                                                                  expected.updated_at)
        # Kombo gives a rejection date but no hire date
        assert got.closed_at == (expected.closed_at if expected.status == "rejected" else None)
        assert got.rejection_reason == (expected.rejection_reason if expected.status == "rejected" else None)
        # Kombo knows only the current stage: the last one reached, with no date
        assert [(s.name, s.reached_at) for s in got.stages] == [(expected.stages[-1].name, None)]
        assert got.met == expected.met
        assert got.source == candidate_source(owner)
        assert got.referrer is None  # Kombo's model has no referrer

    met_not_hired = {a.candidate_id for a in applications if a.met_not_hired} - {
        a.candidate_id for a in applications if a.outcome == Outcome.HIRED}
    assert met_not_hired == {sim.candidate_id(c.id) for c in dataset.candidates if c.met_not_hired}
    assert len(met_not_hired) >= 10
    assert {a.source.kind for a in applications if a.source} == set(SOURCE_KINDS.values())

    asked = [dict(r.query) for r in sim.requests]
    assert [r.path for r in sim.requests] == ["/v1/ats/candidates"] * len(pages)
    assert len(pages) == math.ceil(len(dataset.candidates) / 25)
    assert all(q["page_size"] == "25" for q in asked)
    assert "cursor" not in asked[0] and all("cursor" in q for q in asked[1:])


def test_incremental_read_returns_only_the_changed_with_one_request() -> None:
    dataset = generate(60)
    with kombo(dataset) as (sim, connector):
        list(connector.read("candidates", None))
        changed_at = dataset.now + timedelta(hours=2)
        dataset.touch([3, 17], changed_at)
        since = dataset.now + timedelta(hours=1, milliseconds=250)
        first = len(sim.requests)
        pages = list(connector.read("candidates", since))
    candidates, applications = split(pages)
    touched = [dataset.candidates[2], dataset.candidates[16]]

    assert {c.ats_id for c in candidates} == {sim.candidate_id(c.id) for c in touched}
    assert {a.ats_id for a in applications} == {sim.application_id(a.id) for c in touched for a in c.applications}
    assert all(c.title and c.title.endswith("(updated)") for c in candidates)
    assert all(a.updated_at == changed_at for a in applications)
    later = sim.requests[first:]
    assert len(later) == 1  # proportional to the change: one page
    assert dict(later[0].query)["updated_after"] == to_kombo_time(since) == "2026-11-01T01:00:00.250Z"


def test_an_application_change_alone_brings_its_candidate() -> None:
    """Kombo's updated_after matches a candidate whose applications changed even if its own record did not."""
    dataset = generate(20)
    target = next(c for c in dataset.candidates if any(a.status == "active" for a in c.applications))
    changed = next(a for a in target.applications if a.status == "active")
    changed.updated_at = dataset.now + timedelta(hours=3)
    with kombo(dataset) as (sim, connector):
        candidates, applications = split(list(connector.read("candidates", dataset.now + timedelta(hours=1))))
    assert [c.ats_id for c in candidates] == [sim.candidate_id(target.id)]
    assert candidates[0].updated_at == target.updated_at < dataset.now  # the candidate's own changed_at
    assert sim.application_id(changed.id) in {a.ats_id for a in applications}


def test_fetch_candidate_returns_the_candidate_and_all_their_applications() -> None:
    dataset = generate(60)
    target = next(c for c in dataset.candidates if len(c.applications) == 2)
    with kombo(dataset) as (sim, connector):
        candidate, applications = connector.fetch_candidate(sim.candidate_id(target.id))
        with pytest.raises(NotFound):
            connector.fetch_candidate(sim.candidate_id(9999))
    assert (candidate.ats_id, candidate.first_name, candidate.emails) == (
        sim.candidate_id(target.id), target.first_name, tuple(target.emails))
    assert {a.ats_id for a in applications} == {sim.application_id(a.id) for a in target.applications}
    assert dict(sim.requests[0].query)["ids"] == sim.candidate_id(target.id)


def test_a_deleted_candidate_is_gone_for_reads_and_writes() -> None:
    dataset = generate(10)
    target = dataset.candidates[3]
    with kombo(dataset) as (sim, connector):
        candidate_id = sim.candidate_id(target.id)
        application = sim.application_id(target.applications[0].id)
        target.deleted = True
        with pytest.raises(NotFound):
            connector.fetch_candidate(candidate_id)
        candidates, _ = split(list(connector.read("candidates", None)))
        assert candidate_id not in {c.ats_id for c in candidates}
        with pytest.raises(NotFound):
            connector.http.request("POST", f"ats/applications/{application}/notes",
                                   json={"content": "Hei", "content_type": "PLAIN_TEXT"})
        shown = connector.http.get_json("ats/candidates", {"ids": candidate_id, "include_deleted": "true"})
    assert shown["data"]["results"][0]["remote_deleted_at"] is not None


def test_reaches_names_the_underlying_ats_and_reads_it_once() -> None:
    class Cache(dict):
        def get(self, key: str) -> bytes | None:  # type: ignore[override]
            return super().get(key)

        def set(self, key: str, value: bytes) -> None:
            self[key] = value

    cache = Cache()
    with kombo(generate(3), tool="jobylon") as (sim, connector):
        connector.cache = cache
        assert connector.reaches() == connector.reaches() == "jobylon"
        again = KomboConnector(connector.base_url, {"api_key": KEY, "integration_id": sim.integration_id},
                               cache=cache)
        assert again.reaches() == "jobylon"
    assert [r.path for r in sim.requests] == [f"/v1/integrations/{sim.integration_id}"]
    assert cache["integration_tool"] == b"jobylon"


def test_an_unknown_integration_is_an_auth_error_not_a_missing_candidate() -> None:
    with kombo(generate(5), integration_id="reachmee:doesNotExist") as (sim, connector):
        with pytest.raises(AuthError, match="no integration reachmee:doesNotExist"):
            connector.fetch_candidate(sim.candidate_id(1))
        with pytest.raises(AuthError, match="no integration"):
            connector.reaches()
    assert [r.status for r in sim.requests] == [404, 404]


def test_source_kinds_are_read_from_the_source_text() -> None:
    assert source_kind("Employee referral") == SourceKind.REFERRAL
    assert source_kind("Agency: Hays") == SourceKind.AGENCY
    assert source_kind("JavaZone booth") == SourceKind.EVENT
    assert source_kind("LinkedIn (Prospecting)") == SourceKind.SOURCED
    assert source_kind("Company website") == SourceKind.APPLIED
    assert source_kind("Finn.no") == SourceKind.APPLIED
    assert source_kind("Something else") == SourceKind.OTHER


# --- faults -----------------------------------------------------------------------------------------

def test_a_429_storm_finishes_waiting_as_long_as_retry_after_says() -> None:
    dataset = generate(60)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    limit = 2
    with kombo(dataset, page_size=10, sleep=sleep, rate_limit=limit, window_seconds=1.0) as (sim, connector):
        candidates, _ = split(list(connector.read("candidates", None)))
    assert len(candidates) == len(dataset.candidates)

    refused = [r for r in sim.requests if r.status == 429]
    accepted = [r for r in sim.requests if r.status != 429]
    assert sim.over_quota == len(refused) == connector.http.stats["rate_limited"] >= 1
    assert len(waits) == len(refused) and all(w >= 1 and w == int(w) for w in waits)
    assert sim.over_quota <= len(accepted) // limit


def test_the_429_answer_is_kombos_error_and_carries_no_undocumented_quota_headers() -> None:
    with kombo(generate(5), rate_limit=1) as (sim, connector):
        url = connector.http.url("ats/candidates")
        headers = {"Authorization": f"Bearer {KEY}", "X-Integration-Id": sim.integration_id}
        assert requests.get(url, headers=headers, timeout=5).status_code == 200
        refused = requests.get(url, headers=headers, timeout=5)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["status"] == "error"
    assert refused.json()["error"]["code"] == "PLATFORM.RATE_LIMIT_EXCEEDED"
    assert not any(name.lower().startswith("x-ratelimit") for name in refused.headers)


def test_5xx_is_retried_then_the_read_succeeds() -> None:
    dataset = generate(60)
    with kombo(dataset) as (sim, connector):
        sim.inject(Fault.SERVER_ERROR, 2)
        candidates, _ = split(list(connector.read("candidates", None)))
    assert len(candidates) == len(dataset.candidates)
    assert [r.status for r in sim.requests[:3]] == [503, 503, 200]
    assert connector.http.stats["retries"] == 2


def test_persistent_5xx_ends_in_a_clear_retriable_error() -> None:
    with kombo(generate(60), max_attempts=3) as (sim, connector):
        sim.inject(Fault.SERVER_ERROR, 10)
        with pytest.raises(Retriable, match=r"GET /v1/ats/candidates: failed after 3 attempts, last: HTTP 503"):
            list(connector.read("candidates", None))
    assert [r.status for r in sim.requests] == [503, 503, 503]


def test_a_slow_answer_times_out_and_is_retried() -> None:
    dataset = generate(60)
    with kombo(dataset) as (sim, connector):
        sim.inject(Fault.SLOW)
        candidates, _ = split(list(connector.read("candidates", None)))
    assert len(candidates) == len(dataset.candidates)
    assert connector.http.stats["retries"] == 1


def test_persistently_slow_answers_end_in_a_clear_error() -> None:
    with kombo(generate(60), max_attempts=3) as (sim, connector):
        sim.inject(Fault.SLOW, 3)
        started = time.monotonic()
        with pytest.raises(Retriable, match=r"failed after 3 attempts, last: ReadTimeout"):
            list(connector.read("candidates", None))
        assert time.monotonic() - started < 3
    assert len(sim.requests) == 3


def test_a_key_revoked_mid_sync_fails_after_exactly_one_refused_request() -> None:
    with kombo(generate(60), page_size=10) as (sim, connector):
        pages = connector.read("candidates", None)
        assert next(pages)
        sim.api_key = "a-rotated-key"
        before = len(sim.requests)
        with pytest.raises(AuthError, match="cannot be refreshed"):
            next(pages)
    assert [r.status for r in sim.requests[before:]] == [401]


def test_a_malformed_page_raises_malformed_response() -> None:
    with kombo(generate(60)) as (sim, connector):
        sim.inject(Fault.MALFORMED)
        with pytest.raises(MalformedResponse, match="not valid JSON"):
            list(connector.read("candidates", None))
    assert sim.requests[-1].path == "/v1/ats/candidates"


def test_the_simulator_refuses_what_kombo_refuses() -> None:
    with kombo(generate(30)) as (sim, connector):
        for params, reason in [({"page_size": 251}, "page_size"), ({"updated_after": "yesterday"}, "updated_after"),
                               ({"updated_after": "2026-10-01T00:00:00"}, "time zone"),
                               ({"cursor": "bm90LWEtY3Vyc29y"}, "cursor"), ({"include_deleted": "yes"}, "true")]:
            with pytest.raises(Fatal, match=rf"HTTP 400.*{reason}"):
                connector.http.get_json("ats/candidates", params)
        first = connector.http.get_json("ats/candidates", {"page_size": 5})
        with pytest.raises(Fatal, match=r"HTTP 400.*other filters"):
            connector.http.get_json("ats/candidates", {"cursor": first["data"]["next"], "updated_after":
                                                       "2026-01-01T00:00:00.000Z"})
        with pytest.raises(Fatal, match=r"HTTP 400.*non-empty"):
            connector.http.request("POST", f"ats/candidates/{sim.candidate_id(1)}/tags", json={"tag": {}})
        with pytest.raises(Fatal, match=r"HTTP 400.*PLAIN_TEXT"):
            connector.http.request("POST", f"ats/applications/{sim.application_id(1)}/notes",
                                   json={"content": "x", "content_type": "HTML"})
        no_integration = requests.get(connector.http.url("ats/candidates"), timeout=5,
                                      headers={"Authorization": f"Bearer {KEY}"})
        no_key = requests.get(connector.http.url("ats/candidates"), timeout=5,
                              headers={"X-Integration-Id": sim.integration_id})
    assert no_integration.status_code == 400 and "X-Integration-Id" in no_integration.json()["error"]["message"]
    assert no_key.status_code == 401
    assert set(no_key.json()["error"]) == {"code", "title", "message", "log_url"}
    assert no_key.json()["error"]["code"] == "PLATFORM.AUTHENTICATION_INVALID"


def test_credentials_and_page_size_are_checked() -> None:
    with pytest.raises(ValueError, match="integration_id"):
        KomboConnector("https://api.kombo.dev/v1", {"api_key": KEY})
    with pytest.raises(ValueError, match="api_key"):
        KomboConnector("https://api.kombo.dev/v1", {"integration_id": "x:y"})
    with pytest.raises(ValueError, match="1 to 250"):
        KomboConnector("https://api.kombo.dev/v1", {"api_key": KEY, "integration_id": "x:y"}, page_size=251)


# --- writes -----------------------------------------------------------------------------------------

def test_note_goes_on_the_latest_application_and_tag_is_written_once() -> None:
    dataset = generate(60)
    target = next(c for c in dataset.candidates if len(c.applications) == 2)
    latest = max(target.applications, key=lambda a: a.applied_at)
    with kombo(dataset) as (sim, connector):
        candidate_id = sim.candidate_id(target.id)
        note = connector.add_note(candidate_id, "Kaffe neste uke?")
        connector.add_tag(candidate_id, "brobygger-warm")
        connector.add_tag(candidate_id, "brobygger-warm")
        candidate, _ = connector.fetch_candidate(candidate_id)

    assert [(n["application_id"], n["content"], n["content_type"]) for n in target.notes] == [
        (sim.application_id(latest.id), "Kaffe neste uke?", "PLAIN_TEXT")]
    assert (note.ats_id, note.candidate_id) == (sim.application_id(latest.id), candidate_id)
    assert target.tags.count("brobygger-warm") == 1
    assert "brobygger-warm" in candidate.tags
    writes = [r.path for r in sim.requests if r.method == "POST"]
    assert writes == [f"/v1/ats/applications/{sim.application_id(latest.id)}/notes",
                      f"/v1/ats/candidates/{candidate_id}/tags"]  # the second tag was a no-op


def test_a_note_needs_an_application_to_go_on() -> None:
    dataset = generate(5)
    dataset.candidates[0].applications.clear()
    with kombo(dataset) as (sim, connector), pytest.raises(Fatal, match="no application"):
        connector.add_note(sim.candidate_id(1), "Hei")
    assert not [r for r in sim.requests if r.method == "POST"]


# --- webhooks ---------------------------------------------------------------------------------------

@pytest.fixture
def hooks() -> tuple[KomboSimulator, Dataset]:
    dataset = generate(5)
    return KomboSimulator(dataset), dataset


def test_events_are_the_ones_with_fixtures() -> None:
    assert set(EVENTS) == set(webhooks("kombo"))


@pytest.mark.parametrize("event", EVENTS)
def test_every_event_verifies_and_asks_for_a_sync_of_its_integration(hooks: tuple[KomboSimulator, Dataset],
                                                                     event: str) -> None:
    sim, dataset = hooks
    body, headers = sim.webhook_delivery(HOOK_SECRET, event, dataset.candidates[1])
    verified = KomboConnector.verify_webhook(HOOK_SECRET, headers, body)
    delivery = json.loads(body)
    assert (verified.event_id, verified.action, verified.candidate_id, verified.resource_id) == (
        delivery["id"], event, None, None)
    assert verified.sync_wanted and not verified.is_ping
    assert integration_of(verified) == sim.integration_id
    assert "=" not in headers["X-Kombo-Signature"]


def test_a_change_the_candidates_list_cannot_show_asks_for_nothing(hooks: tuple[KomboSimulator, Dataset]) -> None:
    sim, dataset = hooks
    body, headers = sim.webhook_delivery(HOOK_SECRET, "data-changed", dataset.candidates[0],
                                         changed_models=["ats_jobs", "ats_users"])
    assert not KomboConnector.verify_webhook(HOOK_SECRET, headers, body).sync_wanted
    body, headers = sim.webhook_delivery(HOOK_SECRET, "sync-finished", dataset.candidates[0],
                                         sync_state="AUTHENTICATION_FAILED")
    assert not KomboConnector.verify_webhook(HOOK_SECRET, headers, body).sync_wanted


def test_a_sync_finished_event_says_when(hooks: tuple[KomboSimulator, Dataset]) -> None:
    sim, dataset = hooks
    now = time.time() - 120
    body, headers = sim.webhook_delivery(HOOK_SECRET, "sync-finished", dataset.candidates[0], now=now)
    verified = KomboConnector.verify_webhook(HOOK_SECRET, headers, body)
    assert verified.occurred_at is not None and abs(verified.occurred_at.timestamp() - now) < 0.001


def test_a_replayed_delivery_keeps_its_event_id(hooks: tuple[KomboSimulator, Dataset]) -> None:
    sim, dataset = hooks
    body, headers = sim.webhook_delivery(HOOK_SECRET, "data-changed", dataset.candidates[0])
    first = KomboConnector.verify_webhook(HOOK_SECRET, headers, body)
    again = KomboConnector.verify_webhook(HOOK_SECRET, headers, body, now=time.time() + 3600)
    other, other_headers = sim.webhook_delivery(HOOK_SECRET, "data-changed", dataset.candidates[0])
    assert first.event_id == again.event_id
    assert KomboConnector.verify_webhook(HOOK_SECRET, other_headers, other).event_id != first.event_id


def test_an_unlisted_signed_event_passes_through_asking_for_nothing() -> None:
    body = json.dumps({"id": "evt1", "type": "integration-deleted", "data": {"id": "reachmee:abc", "tool":
                       "reachmee", "category": "ATS"}}).encode()
    verified = KomboConnector.verify_webhook(HOOK_SECRET, {"X-Kombo-Signature": _sign(HOOK_SECRET, body)}, body)
    assert (verified.action, verified.sync_wanted, integration_of(verified)) == (
        "integration-deleted", False, "reachmee:abc")


def _sign(secret: str, body: bytes) -> str:
    return base64.urlsafe_b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode().rstrip("=")


def _resigned(change: Callable[[dict[str, Any]], None]) -> Callable[[bytes, dict[str, str]], tuple[bytes, dict]]:
    def apply(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict]:
        delivery = json.loads(body)
        change(delivery)
        changed = json.dumps(delivery).encode()
        return changed, {**headers, "X-Kombo-Signature": _sign(HOOK_SECRET, changed)}
    return apply


REJECTIONS: dict[str, tuple[Callable[[bytes, dict[str, str]], tuple[bytes, dict]], str, str]] = {
    "tampered body": (lambda b, h: (b.replace(b"ats_candidates", b"ats_candidatez"), h), HOOK_SECRET,
                      "does not match"),
    "re-serialised body": (lambda b, h: (json.dumps(json.loads(b), indent=2).encode(), h), HOOK_SECRET,
                           "does not match"),
    "wrong secret": (lambda b, h: (b, h), "another-secret", "does not match"),
    "missing header": (lambda b, h: (b, {"Content-Type": "application/json"}), HOOK_SECRET, "no X-Kombo-Signature"),
    "garbled header": (lambda b, h: (b, {**h, "X-Kombo-Signature": "%%%not-base64ø"}), HOOK_SECRET,
                       "does not match"),
    "hex instead of base64url": (lambda b, h: (b, {**h, "X-Kombo-Signature": hmac.new(
        HOOK_SECRET.encode(), b, hashlib.sha256).hexdigest()}), HOOK_SECRET, "does not match"),
    "not JSON": (lambda b, h: (b"id=1", {**h, "X-Kombo-Signature": _sign(HOOK_SECRET, b"id=1")}), HOOK_SECRET,
                 "not JSON"),
    "a JSON array": (lambda b, h: (b"[]", {**h, "X-Kombo-Signature": _sign(HOOK_SECRET, b"[]")}), HOOK_SECRET,
                     "not a JSON object"),
    "no changed_models list": (_resigned(lambda d: d["data"].update(changed_models="ats_candidates")), HOOK_SECRET,
                               "changed_models"),
    "no secret configured": (lambda b, h: (b, h), "", "no Kombo webhook secret"),
}


@pytest.mark.parametrize("case", sorted(REJECTIONS))
def test_a_bad_delivery_is_rejected_with_its_reason(hooks: tuple[KomboSimulator, Dataset], case: str) -> None:
    sim, dataset = hooks
    body, headers = sim.webhook_delivery(HOOK_SECRET, "data-changed", dataset.candidates[0])
    change, secret, reason = REJECTIONS[case]
    changed_body, changed_headers = change(body, headers)
    with pytest.raises(WebhookRejected, match=reason):
        KomboConnector.verify_webhook(secret, changed_headers, changed_body)


def test_the_signature_header_is_found_in_any_case_and_with_padding(hooks: tuple[KomboSimulator, Dataset]) -> None:
    sim, dataset = hooks
    body, headers = sim.webhook_delivery(HOOK_SECRET, "data-changed", dataset.candidates[0])
    signature = headers["X-Kombo-Signature"]
    padded = signature + "=" * (-len(signature) % 4)
    assert KomboConnector.verify_webhook(HOOK_SECRET, {"x-kombo-signature": padded}, body).sync_wanted


# --- the documented shapes (fixtures) ---------------------------------------------------------------

@contextmanager
def replay(overrides: dict[str, Any] | None = None) -> Iterator[tuple[Replay, KomboConnector]]:
    app = Replay(FIXTURES, overrides)
    with serve(app) as url:
        yield app, KomboConnector(f"{url}/v1", {"api_key": KEY, "integration_id": FIXTURE_INTEGRATION},
                                  policy=fast_policy())


def _exercise(connector: KomboConnector, fixture: Fixture) -> None:
    """Make the connector read the one fixture (after whatever it must read first)."""
    first = BY_NAME["candidates_page"].body["data"]["results"][0]["id"]
    if fixture.name == "candidates_page":
        list(connector.read("candidates", None))
        connector.fetch_candidate(first)
    elif fixture.name == "integration":
        connector.reaches()
    elif fixture.name == "note_added":
        connector.add_note(first, "Kaffe?")
    elif fixture.name == "tag_added":
        connector.add_tag(first, "brobygger-warm")
    else:
        raise AssertionError(f"no use for fixture {fixture.name}")


def test_every_fixture_has_a_source_and_its_required_paths() -> None:
    assert {f.name for f in FIXTURES} == {"candidates_page", "integration", "note_added", "tag_added",
                                          "webhook_data_changed", "webhook_sync_finished"}
    for fixture in FIXTURES:
        assert fixture.source and fixture.required
        for path in fixture.required:
            fixture.without(path)  # every required path exists in the documented body


def test_the_connector_reads_the_documented_shapes() -> None:
    page = BY_NAME["candidates_page"].body["data"]["results"]
    with replay() as (app, connector):
        candidates, applications = split(list(connector.read("candidates", None)))
        candidate, own = connector.fetch_candidate(page[0]["id"])
        tool = connector.reaches()
        note = connector.add_note(page[1]["id"], "Kaffe?")
        connector.add_tag(page[1]["id"], "python")  # Lars has no python tag: written
        connector.add_tag(page[0]["id"], "python")  # Ingrid has it: nothing written
    assert tool == BY_NAME["integration"].expect["tool"]
    assert [c.ats_id for c in candidates] == [c["id"] for c in page]
    assert len(applications) == 3 and len(own) == 1
    assert (candidate.first_name, candidate.last_name, candidate.emails, candidate.phones) == (
        "Ingrid", "Løvås", ("ingrid.lovas@mail.example",), ("+47 912 34 567",))
    assert (candidate.employer, candidate.title, candidate.tags) == ("Cognite", "Data Engineer", ("python",))
    assert candidate.linkedin_url == "https://www.linkedin.com/in/ingrid-lovas"
    declined, hired, pending = applications
    assert (declined.outcome, declined.rejection_reason, declined.met, declined.met_not_hired) == (
        Outcome.NOT_HIRED, "Hired someone else", True, True)
    assert declined.closed_at == datetime(2026, 9, 18, 9, 30, tzinfo=UTC)
    assert declined.source == Source("Employee referral", SourceKind.REFERRAL)
    assert (hired.outcome, hired.closed_at, hired.job_name) == (Outcome.HIRED, None, "Engineering Manager, Payments")
    assert (pending.outcome, [s.name for s in pending.stages], pending.met) == (Outcome.ACTIVE, ["Phone Screen"], True)
    assert pending.source == Source("LinkedIn (sourced)", SourceKind.SOURCED)
    assert note.ats_id == "Wm5tX9qR2vLk7nBc4YpS8hJd"  # Lars's most recently created application
    posts = [path for method, path in app.requests if method == "POST"]
    assert posts == ["/v1/ats/applications/Wm5tX9qR2vLk7nBc4YpS8hJd/notes",
                     f"/v1/ats/candidates/{page[1]['id']}/tags"]


READ_CASES = [(f.name, path) for f in FIXTURES if not f.is_webhook for path in f.required]


@pytest.mark.parametrize(("name", "path"), READ_CASES, ids=[f"{n}:{p}" for n, p in READ_CASES])
def test_a_response_without_a_documented_field_is_refused_loudly(name: str, path: str) -> None:
    fixture = BY_NAME[name]
    with replay({name: fixture.without(path)}) as (_, connector), pytest.raises(MalformedResponse):
        _exercise(connector, fixture)


@pytest.mark.parametrize("fixture", [f for f in FIXTURES if f.is_webhook], ids=lambda f: f.name)
def test_every_documented_delivery_verifies_as_expected(fixture: Fixture) -> None:
    body = fixture.encoded()
    verified = KomboConnector.verify_webhook(HOOK_SECRET, {"X-Kombo-Signature": _sign(HOOK_SECRET, body)}, body)
    for key, value in fixture.expect.items():
        got = integration_of(verified) if key == "integration_id" else getattr(verified, key)
        assert got == value, key


HOOK_CASES = [(f.name, path) for f in FIXTURES if f.is_webhook for path in f.required]


@pytest.mark.parametrize(("name", "path"), HOOK_CASES, ids=[f"{n}:{p}" for n, p in HOOK_CASES])
def test_a_delivery_without_a_documented_field_is_rejected(name: str, path: str) -> None:
    body = BY_NAME[name].encoded(BY_NAME[name].without(path))
    with pytest.raises(WebhookRejected):
        KomboConnector.verify_webhook(HOOK_SECRET, {"X-Kombo-Signature": _sign(HOOK_SECRET, body)}, body)
