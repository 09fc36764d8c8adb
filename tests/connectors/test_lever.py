"""The Lever connector against the Lever simulator and against Lever's documented shapes (the fixtures), over
real HTTP on 127.0.0.1: no HTTP mocks anywhere.

Datasets are small and windows tight so the file runs in seconds; every fault is injected in the
simulator, and every claim is checked against the dataset or the simulator's request log.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.base import Record
from connectors.errors import AuthError, Fatal, MalformedResponse, NotFound, Retriable, WebhookRejected
from connectors.fixtures import load
from connectors.http import Policy
from connectors.lever import WEBHOOK_TOLERANCE, LeverConnector, from_ms, to_ms
from connectors.simulators.base import Fault, serve
from connectors.simulators.dataset import Dataset, SimCandidate, generate
from connectors.simulators.lever import LeverSimulator, lever_id
from connectors.simulators.replay import Replay
from connectors.types import Application, Candidate, Outcome, Referrer, Source, SourceKind
from tests.connectors.switch import Switch

KEY = "lever-test-key"
SIGNING_TOKEN = "lever-webhook-signature-token"
OUTCOMES = {"active": Outcome.ACTIVE, "rejected": Outcome.NOT_HIRED, "hired": Outcome.HIRED}
# Lever has no event origin: an event-sourced candidate is entered as `sourced`, and reads back so.
SOURCE_KINDS = {"referral": SourceKind.REFERRAL, "sourced": SourceKind.SOURCED, "applied": SourceKind.APPLIED,
                "agency": SourceKind.AGENCY, "event": SourceKind.SOURCED}


@contextmanager
def lever(dataset: Dataset, *, page_size: int = 25, credentials: dict[str, str] | None = None,
          sleep: Callable[[float], None] | None = None, max_attempts: int = 5,
          **simulator: Any) -> Iterator[tuple[LeverSimulator, LeverConnector]]:
    sim = LeverSimulator(dataset, api_key=KEY, **{"rate_limit": 1000, "window_seconds": 1.0, "slow_seconds": 1.5,
                                                  **simulator})
    policy = Policy(timeout=(1, 0.5), backoff_base=0.01, backoff_cap=0.2, max_attempts=max_attempts)
    with serve(sim) as url:
        yield sim, LeverConnector(f"{url}/v1", {"api_key": KEY, **(credentials or {})}, policy=policy,
                                  sleep=sleep, page_size=page_size)


def split(pages: list[list[Record]]) -> tuple[list[Candidate], list[Application]]:
    records = [r for page in pages for r in page]
    return ([r for r in records if isinstance(r, Candidate)], [r for r in records if isinstance(r, Application)])


def contact(candidate: SimCandidate) -> str:
    return lever_id("contact", candidate.id)


# --- reads ------------------------------------------------------------------------------------------

def test_full_read_equals_the_dataset() -> None:
    dataset = generate(60)
    with lever(dataset) as (sim, connector):
        pages = list(connector.read("opportunities", None))
    candidates, applications = split(pages)

    for page in pages:  # each contact once per page, before the opportunities that name it
        seen: set[str] = set()
        for record in page:
            if isinstance(record, Candidate):
                assert record.ats_id not in seen
                seen.add(record.ats_id)
            else:
                assert record.candidate_id in seen

    people = {c.ats_id: c for c in candidates}
    assert set(people) == {contact(c) for c in dataset.candidates}
    for expected in dataset.candidates:
        got = people[contact(expected)]
        assert (got.first_name, got.last_name, got.employer, got.title, got.linkedin_url) == (
            expected.first_name, expected.last_name, expected.employer, expected.title, expected.linkedin_url)
        assert (got.emails, got.phones, got.tags) == (tuple(expected.emails), tuple(expected.phones),
                                                      tuple(expected.tags))
        assert got.url is not None and got.url.startswith("https://hire.lever.co/candidates/")

    by_id = {a.ats_id: a for a in applications}
    assert set(by_id) == {sim.opportunity_id(a.id) for a in dataset.applications()}
    for expected in dataset.applications():
        got = by_id[sim.opportunity_id(expected.id)]
        assert got.candidate_id == lever_id("contact", expected.candidate_id)
        assert got.outcome == OUTCOMES[expected.status]
        assert (got.applied_at, got.closed_at) == (expected.applied_at, expected.closed_at)
        assert [(s.name, s.reached_at) for s in got.stages] == [(s.name, s.reached_at) for s in expected.stages]
        assert got.met == expected.met
        assert got.rejection_reason == (expected.rejection_reason if expected.status == "rejected" else None)
        assert got.source == Source(expected.source_name, SOURCE_KINDS[expected.source_kind])
        referrer = expected.referrer
        assert got.referrer == (referrer and Referrer(
            referrer.name, referrer.email, sim.user_id(referrer.user_id) if referrer.user_id else None,
            is_employee=referrer.user_id is not None))

    met_not_hired = {a.candidate_id for a in applications if a.met_not_hired} - {
        a.candidate_id for a in applications if a.outcome == Outcome.HIRED}
    assert met_not_hired == {contact(c) for c in dataset.candidates if c.met_not_hired}
    assert len(met_not_hired) >= 10
    assert {a.ats_id for a in applications if a.outcome == Outcome.HIRED} == {
        sim.opportunity_id(a.id) for a in dataset.applications() if a.status == "hired"}
    assert any(a.referrer and a.referrer.is_employee for a in applications)
    assert any(a.referrer and not a.referrer.is_employee for a in applications)

    # Cost stays proportional: one referrals call per referred opportunity, each catalogue read once.
    paths = [r.path for r in sim.requests]
    assert sum(p.endswith("/referrals") for p in paths) == sum(
        a.source_kind == "referral" for a in dataset.applications())
    assert paths.count("/v1/stages") == paths.count("/v1/archive_reasons") == paths.count("/v1/users") == 1
    pages_asked = [dict(r.query) for r in sim.requests if r.path == "/v1/opportunities"]
    assert len(pages_asked) == len(pages) == math.ceil(len(dataset.applications()) / 25)
    assert all(q["limit"] == "25" for q in pages_asked)
    assert "offset" not in pages_asked[0] and all("offset" in q for q in pages_asked[1:])


def test_incremental_read_returns_only_the_changed_and_asks_in_milliseconds() -> None:
    dataset = generate(60)
    with lever(dataset) as (sim, connector):
        list(connector.read("opportunities", None))
        changed_at = dataset.now + timedelta(hours=2)
        dataset.touch([3, 17], changed_at)
        since = dataset.now + timedelta(hours=1, milliseconds=250)
        first = len(sim.requests)
        pages = list(connector.read("opportunities", since))
    candidates, applications = split(pages)
    touched = [dataset.candidates[2], dataset.candidates[16]]

    assert {c.ats_id for c in candidates} == {contact(c) for c in touched}
    assert {a.ats_id for a in applications} == {sim.opportunity_id(a.id) for c in touched for a in c.applications}
    assert all(c.title and c.title.endswith("(updated)") for c in candidates)
    assert all(a.updated_at == changed_at for a in applications)

    asked = [dict(r.query) for r in sim.requests[first:] if r.path == "/v1/opportunities"]
    assert [q["updated_at_start"] for q in asked] == [str(to_ms(since))]
    assert int(asked[0]["updated_at_start"]) == int(since.timestamp()) * 1000 + 250  # milliseconds, not seconds
    later = {r.path for r in sim.requests[first:]}
    assert not later & {"/v1/stages", "/v1/archive_reasons"}  # cached once per connector


def test_fetch_candidate_returns_the_contact_and_all_their_opportunities() -> None:
    dataset = generate(60)
    target = next(c for c in dataset.candidates if len(c.applications) == 2)
    with lever(dataset) as (sim, connector):
        candidate, applications = connector.fetch_candidate(contact(target))
        with pytest.raises(NotFound):
            connector.fetch_candidate(lever_id("contact", 9999))
    assert (candidate.ats_id, candidate.first_name, candidate.emails) == (
        contact(target), target.first_name, tuple(target.emails))
    assert {a.ats_id for a in applications} == {sim.opportunity_id(a.id) for a in target.applications}
    assert dict(sim.requests[0].query)["contact_id"] == contact(target)


# --- faults -----------------------------------------------------------------------------------------

def test_a_429_storm_finishes_waiting_as_long_as_retry_after_says() -> None:
    dataset = generate(60)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    limit = 10
    with lever(dataset, page_size=100, sleep=sleep, rate_limit=limit, window_seconds=1.0) as (sim, connector):
        _, applications = split(list(connector.read("opportunities", None)))
    assert len(applications) == len(dataset.applications())

    refused = [r for r in sim.requests if r.status == 429]
    accepted = [r for r in sim.requests if r.status != 429]
    assert sim.over_quota == len(refused) == connector.http.stats["rate_limited"] >= 1
    # Each 429 is followed by a whole Retry-After of at least a second, never a jittered backoff (capped at
    # 0.2 s); any other wait is the client's own pacing (its token bucket), which a slow machine can need.
    assert len(waits) == len(refused) + connector.http.stats["throttled"]
    assert sum(1 for w in waits if w >= 1 and w == int(w)) == len(refused)
    # Bound: Retry-After runs to the end of the window, so a window refuses at most the one request that
    # found it spent, and only after accepting its full quota. Hence refusals ≤ accepted // quota.
    assert sim.over_quota <= len(accepted) // limit


def test_5xx_is_retried_then_the_read_succeeds() -> None:
    dataset = generate(60)
    with lever(dataset) as (sim, connector):
        sim.inject(Fault.SERVER_ERROR, 2)
        _, applications = split(list(connector.read("opportunities", None)))
    assert len(applications) == len(dataset.applications())
    assert [r.status for r in sim.requests[:3]] == [503, 503, 200]
    assert connector.http.stats["retries"] == 2


def test_persistent_5xx_ends_in_a_clear_retriable_error() -> None:
    with lever(generate(60), max_attempts=3) as (sim, connector):
        sim.inject(Fault.SERVER_ERROR, 10)
        with pytest.raises(Retriable, match=r"GET /v1/opportunities: failed after 3 attempts, last: HTTP 503"):
            list(connector.read("opportunities", None))
    assert [r.status for r in sim.requests] == [503, 503, 503]


def test_a_slow_answer_times_out_and_is_retried() -> None:
    dataset = generate(60)
    with lever(dataset) as (sim, connector):
        sim.inject(Fault.SLOW)
        _, applications = split(list(connector.read("opportunities", None)))
    assert len(applications) == len(dataset.applications())
    assert connector.http.stats["retries"] == 1


def test_persistently_slow_answers_end_in_a_clear_error() -> None:
    with lever(generate(60), max_attempts=3) as (sim, connector):
        sim.inject(Fault.SLOW, 3)
        started = time.monotonic()
        with pytest.raises(Retriable, match=r"failed after 3 attempts, last: ReadTimeout"):
            list(connector.read("opportunities", None))
        assert time.monotonic() - started < 3  # three 0.5 s read timeouts, not three 1.5 s answers
    assert len(sim.requests) == 3


def test_a_key_revoked_mid_sync_fails_after_exactly_one_refused_request() -> None:
    with lever(generate(60), page_size=10) as (sim, connector):
        pages = connector.read("opportunities", None)
        assert next(pages)
        sim.api_key = "a-rotated-key"
        before = len(sim.requests)
        with pytest.raises(AuthError, match="cannot be refreshed"):
            next(pages)
    assert [r.status for r in sim.requests[before:]] == [401]


def test_a_malformed_page_raises_malformed_response() -> None:
    with lever(generate(60)) as (sim, connector):
        list(connector.read("opportunities", None))  # the stage and archive-reason catalogues are now cached
        sim.inject(Fault.MALFORMED)
        with pytest.raises(MalformedResponse, match="not valid JSON"):
            list(connector.read("opportunities", None))
    assert sim.requests[-1].path == "/v1/opportunities"


def test_the_simulator_refuses_what_lever_refuses() -> None:
    with lever(generate(5)) as (_, connector):
        with pytest.raises(Fatal, match=r"HTTP 400.*limit"):
            connector.http.get_json("opportunities", {"limit": 101})
        with pytest.raises(Fatal, match=r"HTTP 400.*milliseconds"):
            connector.http.get_json("opportunities", {"updated_at_start": "2026-10-01T00:00:00Z"})
        with pytest.raises(Fatal, match=r"HTTP 400.*Invalid offset token"):
            connector.http.get_json("opportunities", {"offset": "bm90LWEtdG9rZW4="})


def test_credentials_and_page_size_are_checked() -> None:
    with pytest.raises(ValueError, match="api_key"):
        LeverConnector("https://api.lever.co/v1", {})
    with pytest.raises(ValueError, match="1 to 100"):
        LeverConnector("https://api.lever.co/v1", {"api_key": KEY}, page_size=101)


# --- writes -----------------------------------------------------------------------------------------

def test_note_and_tag_are_written_to_the_latest_opportunity_as_the_configured_user() -> None:
    dataset = generate(60)
    target = next(c for c in dataset.candidates if len(c.applications) == 2)
    latest = max(target.applications, key=lambda a: a.applied_at)
    acting = lever_id("user", dataset.users[1].id)
    with lever(dataset, credentials={"user_id": acting}) as (sim, connector):
        note = connector.add_note(contact(target), "Kaffe neste uke?")
        connector.add_tag(contact(target), "brobygger-warm")
        connector.add_tag(contact(target), "brobygger-warm")
        candidate, _ = connector.fetch_candidate(contact(target))

    assert [(n["id"], n["opportunityId"], n["value"], n["performAs"]) for n in target.notes] == [
        (note.ats_id, sim.opportunity_id(latest.id), "Kaffe neste uke?", acting)]
    assert note.candidate_id == contact(target)
    assert target.tags.count("brobygger-warm") == 1
    assert "brobygger-warm" in candidate.tags
    writes = [r for r in sim.requests if r.method == "POST"]
    assert [r.path.rsplit("/", 1)[-1] for r in writes] == ["notes", "addTags"]  # the second tag was a no-op
    assert all(dict(r.query)["perform_as"] == acting for r in writes)


# --- webhooks ---------------------------------------------------------------------------------------

@pytest.fixture
def hooks() -> tuple[LeverSimulator, Dataset]:
    dataset = generate(5)
    return LeverSimulator(dataset), dataset


@pytest.mark.parametrize("event", ["applicationCreated", "candidateStageChange", "candidateArchiveChange",
                                   "candidateHired", "candidateDeleted", "interviewCreated", "interviewUpdated",
                                   "contactUpdated"])
def test_a_valid_delivery_verifies_and_names_the_contact(hooks: tuple[LeverSimulator, Dataset], event: str) -> None:
    sim, dataset = hooks
    body, headers = sim.webhook_delivery(SIGNING_TOKEN, event, dataset.candidates[1])
    verified = LeverConnector.verify_webhook(SIGNING_TOKEN, headers, body)
    delivery = json.loads(body)
    assert (verified.event_id, verified.action, verified.candidate_id) == (
        delivery["token"], event, contact(dataset.candidates[1]))
    assert verified.occurred_at is not None
    assert abs((verified.occurred_at - datetime.now(UTC)).total_seconds()) < 5
    assert not verified.is_ping


def test_each_webhook_has_its_own_token_and_any_of_them_verifies(hooks: tuple[LeverSimulator, Dataset]) -> None:
    """Lever gives every webhook (one per event type) its own signature token: with only the first token
    entered, archive, hire and delete deliveries were refused. An installation holds them all."""
    sim, dataset = hooks
    tokens = {"candidateStageChange": "token-stage", "candidateArchiveChange": "token-archive",
              "candidateHired": "token-hired", "candidateDeleted": "token-deleted"}
    for event, token in tokens.items():
        body, headers = sim.webhook_delivery(token, event, dataset.candidates[0])
        assert LeverConnector.verify_any(list(tokens.values()), headers, body).action == event
        if token != "token-stage":
            with pytest.raises(WebhookRejected, match="does not match"):
                LeverConnector.verify_webhook("token-stage", headers, body)
    with pytest.raises(WebhookRejected, match="does not match"):
        LeverConnector.verify_any(["token-stage", "token-archive"], *reversed(
            sim.webhook_delivery("someone-elses", "candidateHired", dataset.candidates[0])))
    with pytest.raises(WebhookRejected, match="no webhook secret"):
        LeverConnector.verify_any([], {}, b"{}")


def test_candidate_deleted_names_the_one_opportunity(hooks: tuple[LeverSimulator, Dataset]) -> None:
    sim, dataset = hooks
    candidate = dataset.candidates[0]
    opportunity = candidate.applications[0]
    body, headers = sim.webhook_delivery(SIGNING_TOKEN, "candidateDeleted", candidate, opportunity=opportunity)
    event = LeverConnector.verify_webhook(SIGNING_TOKEN, headers, body)
    assert (event.candidate_id, event.resource_id) == (contact(candidate), sim.opportunity_id(opportunity.id))


def test_the_client_keeps_to_levers_documented_rate() -> None:
    """Lever limits each key to a token bucket of 10 requests a second with bursts of 20 and documents no quota
    headers: the client paces itself to it, so a long read meets no 429."""
    with lever(generate(60), page_size=3, bucket=(10, 20)) as (sim, connector):
        pages = list(connector.read("opportunities", None))
    assert len(sim.requests) > 30 and len({c.ats_id for c in split(pages)[0]}) == 60
    assert sim.over_quota == 0 and connector.http.stats["rate_limited"] == 0
    assert connector.http.stats["throttled"] > 0


def test_a_replayed_delivery_keeps_its_event_id(hooks: tuple[LeverSimulator, Dataset]) -> None:
    sim, dataset = hooks
    body, headers = sim.webhook_delivery(SIGNING_TOKEN, "candidateHired", dataset.candidates[0])
    first = LeverConnector.verify_webhook(SIGNING_TOKEN, headers, body)
    again = LeverConnector.verify_webhook(SIGNING_TOKEN, headers, body, now=time.time() + 60)
    other, _ = sim.webhook_delivery(SIGNING_TOKEN, "candidateHired", dataset.candidates[0])
    assert first.event_id == again.event_id
    assert LeverConnector.verify_webhook(SIGNING_TOKEN, headers, other).event_id != first.event_id


def test_a_delivery_without_data_is_a_ping(hooks: tuple[LeverSimulator, Dataset]) -> None:
    sim, dataset = hooks
    body, headers = sim.webhook_delivery(SIGNING_TOKEN, "candidateStageChange", dataset.candidates[0])
    ping = {**json.loads(body), "data": {}}
    verified = LeverConnector.verify_webhook(SIGNING_TOKEN, headers, json.dumps(ping).encode())
    assert verified.is_ping and verified.candidate_id is None


def test_data_is_outside_the_signature_so_the_event_is_only_a_hint(hooks: tuple[LeverSimulator, Dataset]) -> None:
    """Lever signs token + triggeredAt, not the body: a changed data block cannot be detected. The app must
    re-read the candidate from the API (fetch_candidate) instead of trusting data."""
    sim, dataset = hooks
    body, headers = sim.webhook_delivery(SIGNING_TOKEN, "candidateHired", dataset.candidates[0])
    forged = json.loads(body)
    forged["data"]["contactId"] = contact(dataset.candidates[4])
    verified = LeverConnector.verify_webhook(SIGNING_TOKEN, headers, json.dumps(forged).encode())
    assert verified.candidate_id == contact(dataset.candidates[4])


def _edit(body: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    delivery = json.loads(body)
    change(delivery)
    return json.dumps(delivery).encode()


REJECTIONS: dict[str, tuple[Callable[[bytes], bytes], str, str]] = {
    "tampered token": (lambda b: _edit(b, lambda d: d.update(token=d["token"][::-1])), SIGNING_TOKEN,
                       "signature does not match"),
    "tampered triggeredAt": (lambda b: _edit(b, lambda d: d.update(triggeredAt=d["triggeredAt"] + 1)),
                             SIGNING_TOKEN, "signature does not match"),
    "wrong signature token": (lambda b: b, "another-webhook-token", "signature does not match"),
    "missing signature": (lambda b: _edit(b, lambda d: d.pop("signature")), SIGNING_TOKEN, "no signature"),
    "missing token": (lambda b: _edit(b, lambda d: d.pop("token")), SIGNING_TOKEN, "no token"),
    "triggeredAt in seconds": (lambda b: _edit(b, lambda d: d.update(triggeredAt=str(d["triggeredAt"] / 1000))),
                               SIGNING_TOKEN, "epoch milliseconds"),
    "not JSON": (lambda b: b"token=abc&signature=def", SIGNING_TOKEN, "not JSON"),
    "a JSON array": (lambda b: b"[]", SIGNING_TOKEN, "not a JSON object"),
    "no secret configured": (lambda b: b, "", "no signature token"),
}


@pytest.mark.parametrize("case", sorted(REJECTIONS))
def test_a_bad_delivery_is_rejected_with_its_reason(hooks: tuple[LeverSimulator, Dataset], case: str) -> None:
    sim, dataset = hooks
    body, headers = sim.webhook_delivery(SIGNING_TOKEN, "candidateStageChange", dataset.candidates[0])
    change, secret, reason = REJECTIONS[case]
    with pytest.raises(WebhookRejected, match=reason):
        LeverConnector.verify_webhook(secret, headers, change(body))


@pytest.mark.parametrize(("offset", "reason"), [(-1, "old"), (1, "future")])
def test_a_delivery_outside_the_time_tolerance_is_rejected(hooks: tuple[LeverSimulator, Dataset], offset: int,
                                                           reason: str) -> None:
    sim, dataset = hooks
    now = time.time()
    triggered = int((now + offset * (WEBHOOK_TOLERANCE + 60)) * 1000)
    body, headers = sim.webhook_delivery(SIGNING_TOKEN, "candidateHired", dataset.candidates[0],
                                         triggered_at_ms=triggered)
    with pytest.raises(WebhookRejected, match=reason):
        LeverConnector.verify_webhook(SIGNING_TOKEN, headers, body, now=now)
    inside = int((now + offset * (WEBHOOK_TOLERANCE - 60)) * 1000)
    body, headers = sim.webhook_delivery(SIGNING_TOKEN, "candidateHired", dataset.candidates[0],
                                         triggered_at_ms=inside)
    assert LeverConnector.verify_webhook(SIGNING_TOKEN, headers, body, now=now).event_id


# --- the documented shapes (fixtures) ---------------------------------------------------------------

FIXTURES = load("lever")
BY_NAME = {f.name: f for f in FIXTURES}
RESPONSES = [f for f in FIXTURES if not f.is_webhook]
PAGE = BY_NAME["opportunities_page"].body["data"]
REFERRED, ARCHIVED, HIRED = PAGE  # Ingrid's referral (2026), Ingrid's archived application (2014), Lars's hire
INGRID, LARS = BY_NAME["opportunities_page"].expect["candidate_ids"]
STAGE_TEXT = {s["id"]: s["text"] for s in BY_NAME["stages"].body["data"]}
REASONS = {r["id"]: r for r in BY_NAME["archive_reasons"].body["data"]}
USERS = {u["id"]: u for u in BY_NAME["users"].body["data"]}






def replayed(server: tuple[Switch, str], overrides: dict[str, Any] | None = None) -> tuple[Replay, LeverConnector]:
    switch, url = server
    switch.app = Replay(FIXTURES, overrides)
    policy = Policy(timeout=(1, 0.5), backoff_base=0.01, backoff_cap=0.2, max_attempts=2)
    return switch.app, LeverConnector(f"{url}/v1", {"api_key": KEY}, policy=policy)


def _exercise(connector: LeverConnector, name: str) -> None:
    """Make the connector read the one fixture (after whatever it must read first)."""
    if name == "opportunity":
        connector.candidate_for("applicationCreated", REFERRED["id"])
    elif name == "note_created":
        connector.add_note(INGRID, "Kaffe?")
    elif name == "tags_added":
        connector.add_tag(INGRID, "brobygger-warm")
    elif name in ("opportunities_page", "referrals", "stages", "archive_reasons", "users"):
        list(connector.read("opportunities", None))
        connector.fetch_candidate(INGRID)
    else:
        raise AssertionError(f"no use for fixture {name}")


def test_every_response_fixture_has_a_source_its_required_paths_and_ids_that_link_up() -> None:
    assert {f.name for f in RESPONSES} == {"opportunities_page", "opportunity", "referrals", "stages",
                                           "archive_reasons", "users", "note_created", "tags_added"}
    for fixture in RESPONSES:
        assert fixture.source and fixture.endpoint.split(" ")[1].startswith("/v1/")
        assert fixture.required or fixture.name == "tags_added"  # the connector reads nothing from that answer
        for path in fixture.required:
            fixture.without(path)  # every required path exists in the documented body
        if isinstance(fixture.body.get("data"), list):  # a list: the last page by Lever's pagination
            assert fixture.body["hasNext"] is False and "next" not in fixture.body
    assert {o["contact"] for o in PAGE} == {INGRID, LARS}
    assert BY_NAME["opportunity"].body["data"]["id"] == REFERRED["id"] == BY_NAME["tags_added"].body["data"]["id"]
    assert BY_NAME["opportunity"].body["data"]["contact"] == INGRID
    assert max((o for o in PAGE if o["contact"] == INGRID), key=lambda o: o["createdAt"]) is REFERRED
    for opportunity in PAGE:
        assert opportunity["stage"]["id"] in STAGE_TEXT
        assert {c["toStageId"] for c in opportunity.get("stageChanges", [])} <= set(STAGE_TEXT)
        assert opportunity.get("archived") is None or opportunity["archived"]["reason"] in REASONS
    referral = BY_NAME["referrals"].body["data"][0]
    assert referral["referrer"] in USERS and referral["stage"] in STAGE_TEXT
    assert REFERRED["applications"][0]["user"] == referral["referrer"]


def test_the_connector_reads_the_documented_shapes(replay_server: tuple[Switch, str]) -> None:
    app, connector = replayed(replay_server)
    candidates, applications = split(list(connector.read("opportunities", None)))
    candidate, own = connector.fetch_candidate(INGRID)
    contact = connector.candidate_for("applicationCreated", REFERRED["id"])
    note = connector.add_note(INGRID, "Kaffe neste uke?")
    connector.add_tag(INGRID, "brobygger-warm")  # not on her latest opportunity: written
    connector.add_tag(INGRID, "python")  # already there: nothing written

    assert [c.ats_id for c in candidates] == [INGRID, LARS] and candidates[0] == candidate
    assert (candidate.first_name, candidate.last_name, candidate.emails, candidate.phones) == (
        "Ingrid", "Løvås", ("ingrid.lovas@mail.example",), ("+47 912 34 567",))
    # the headline is "typically a list of previous companies": the first is the employer, no title
    assert (candidate.employer, candidate.title, candidate.tags) == ("Cognite", None, ("python", "Oslo", "Graduate"))
    assert candidate.linkedin_url == "https://www.linkedin.com/in/ingrid-lovas"
    assert candidate.url == REFERRED["urls"]["show"] and candidate.updated_at == from_ms(REFERRED["updatedAt"])
    lars = candidates[1]
    assert (lars.first_name, lars.last_name, lars.employer, lars.title) == ("Lars", "Nilsen", "Vipps",
                                                                            "Backend Developer")

    by_id = {a.ats_id: a for a in applications}
    assert list(by_id) == [o["id"] for o in PAGE] and [a.ats_id for a in own] == [REFERRED["id"], ARCHIVED["id"]]
    referred, archived, hired = (by_id[o["id"]] for o in PAGE)

    assert (referred.candidate_id, referred.outcome, referred.closed_at, referred.rejection_reason) == (
        INGRID, Outcome.ACTIVE, None, None)
    assert referred.job_id == REFERRED["applications"][0]["posting"]
    assert (referred.applied_at, referred.updated_at) == (from_ms(REFERRED["createdAt"]),
                                                          from_ms(REFERRED["updatedAt"]))
    assert [(s.name, s.reached_at) for s in referred.stages] == [
        ("New applicant", from_ms(REFERRED["createdAt"])), ("Recruiter screen", datetime(2026, 9, 8, 10, tzinfo=UTC)),
        ("On-site interview", datetime(2026, 9, 22, 12, tzinfo=UTC))]
    assert referred.met and referred.source == Source("Referral", SourceKind.REFERRAL)
    kari = USERS[BY_NAME["referrals"].body["data"][0]["referrer"]]
    assert referred.referrer == Referrer(name="Kari Nordmann", email=kari["email"], ats_user_id=kari["id"],
                                         is_employee=True)

    # archived in 2014 for a non-hired reason; older than updatedAt and stageChanges, so it has neither
    assert (archived.outcome, archived.rejection_reason) == (Outcome.NOT_HIRED, "Underqualified")
    assert REASONS[ARCHIVED["archived"]["reason"]]["text"] == "Underqualified"
    assert archived.closed_at == from_ms(ARCHIVED["archived"]["archivedAt"]) == datetime(2014, 9, 2, 11, 40,
                                                                                         tzinfo=UTC)
    assert archived.updated_at == archived.applied_at == from_ms(ARCHIVED["createdAt"])
    assert [(s.name, s.reached_at) for s in archived.stages] == [("Phone interview",
                                                                  from_ms(ARCHIVED["lastAdvancedAt"]))]
    assert archived.source == Source("Finn.no", SourceKind.APPLIED) and archived.referrer is None

    # archived for the account's reason of type hired
    assert (hired.candidate_id, hired.outcome, hired.rejection_reason) == (LARS, Outcome.HIRED, None)
    assert REASONS[HIRED["archived"]["reason"]]["type"] == "hired"
    assert hired.closed_at == datetime(2026, 6, 20, 14, tzinfo=UTC)
    assert [s.name for s in hired.stages] == ["New lead", "Recruiter screen", "Offer"]
    assert hired.source == Source("LinkedIn", SourceKind.SOURCED) and hired.referrer is None

    assert contact == BY_NAME["opportunity"].expect["candidate_id"] == INGRID
    assert (note.ats_id, note.candidate_id, note.created_at) == (BY_NAME["note_created"].expect["note_id"], INGRID,
                                                                 None)
    posts = [path for method, path in app.requests if method == "POST"]
    assert posts == [f"/v1/opportunities/{REFERRED['id']}/notes", f"/v1/opportunities/{REFERRED['id']}/addTags"]
    for method, pattern, fixture in app.routes:  # every documented response was read
        assert any(m == method and pattern.match(path) for m, path in app.requests), fixture.name


def test_an_opportunity_whose_updated_at_is_null_counts_as_changed_when_created(
        replay_server: tuple[Switch, str]) -> None:
    """Lever documents updatedAt as "Timestamp or null": null reads like the example's missing member."""
    page = BY_NAME["opportunities_page"].body
    nulled = {**page, "data": [{**o, "updatedAt": None} for o in page["data"]]}
    _, connector = replayed(replay_server, {"opportunities_page": nulled})
    candidates, applications = split(list(connector.read("opportunities", None)))
    assert [a.updated_at for a in applications] == [from_ms(o["createdAt"]) for o in PAGE]
    assert candidates[0].updated_at == from_ms(REFERRED["createdAt"])


READ_CASES = [(f.name, path) for f in RESPONSES for path in f.required]


@pytest.mark.parametrize(("name", "path"), READ_CASES, ids=[f"{n}:{p}" for n, p in READ_CASES])
def test_a_response_without_a_documented_field_is_refused_loudly(replay_server: tuple[Switch, str], name: str,
                                                                 path: str) -> None:
    _, connector = replayed(replay_server, {name: BY_NAME[name].without(path)})
    with pytest.raises(MalformedResponse):
        _exercise(connector, name)
