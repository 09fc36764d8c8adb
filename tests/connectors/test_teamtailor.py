"""The Teamtailor connector against its simulator over real HTTP, compared with the dataset it renders."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from connectors.errors import AuthError, MalformedResponse, Retriable, WebhookRejected
from connectors.fixtures import Fixture, load
from connectors.http import Policy
from connectors.simulators.base import Fault, LoggedRequest, serve
from connectors.simulators.dataset import Dataset, SimCandidate, generate
from connectors.simulators.replay import Replay
from connectors.simulators.teamtailor import TeamtailorSimulator
from connectors.teamtailor import API_VERSION, GENERIC_REFERRER, TeamtailorConnector
from connectors.types import Application, Candidate, Outcome, Referrer, Source, SourceKind, StageKind
from tests.connectors.switch import Switch

KEY = "tt-test-admin-key"
SECRET = "tt-webhook-signature-key"
COMPANY = "Zx81Qk2"
FAST = Policy(timeout=(1, 0.5), max_attempts=3, backoff_base=0.01, backoff_cap=0.2)
OUTCOMES = {"active": Outcome.ACTIVE, "rejected": Outcome.NOT_HIRED, "hired": Outcome.HIRED}


@contextmanager
def teamtailor(dataset: Dataset | None = None, *, sleep: Any = None, **options: Any
               ) -> Iterator[tuple[TeamtailorSimulator, TeamtailorConnector, str]]:
    options = {"rate_limit": 1000, "window_seconds": 1.0, **options}
    simulator = TeamtailorSimulator(dataset or generate(60), api_key=KEY, **options)
    with serve(simulator) as url:
        connector = TeamtailorConnector(f"{url}/v1", {"api_key": KEY, "user_id": "2", "company_id": COMPANY},
                                        policy=FAST, sleep=sleep)
        yield simulator, connector, url


def read_all(connector: TeamtailorConnector, since: Any = None) -> tuple[dict[str, Candidate], dict[str, Application]]:
    records = [record for page in connector.read("candidates", since) for record in page]
    candidates = {r.ats_id: r for r in records if isinstance(r, Candidate)}
    applications = {r.ats_id: r for r in records if isinstance(r, Application)}
    assert len(candidates) + len(applications) == len(records), "a record came twice"
    return candidates, applications


def statuses(simulator: TeamtailorSimulator, path: str | None = None) -> list[int]:
    return [r.status for r in simulator.requests if path is None or r.path == path]


def referred(candidate: SimCandidate) -> bool:
    return any(a.source_kind == "referral" for a in candidate.applications)


def expected_referrers(data: Dataset, candidate: SimCandidate) -> set[Referrer]:
    users = {u.id: u for u in data.users}
    found = {Referrer(users[a.referrer.user_id].name, users[a.referrer.user_id].email, str(a.referrer.user_id), True)
             for a in candidate.applications if a.referrer and a.referrer.user_id}
    return found or {GENERIC_REFERRER}


# --- reads ----------------------------------------------------------------------------------------


@dataclass
class FullRead:
    data: Dataset
    requests: list[LoggedRequest]
    candidates: dict[str, Candidate]
    applications: dict[str, Application]


@pytest.fixture(scope="module")
def full_read() -> FullRead:
    """One full read of 75 candidates (three pages), shared by the tests that only look at its result."""
    data = generate(75)
    with teamtailor(data) as (simulator, connector, _):
        candidates, applications = read_all(connector)
    return FullRead(data, list(simulator.requests), candidates, applications)


def test_full_read_equals_the_dataset(full_read: FullRead) -> None:
    data, candidates, applications = full_read.data, full_read.candidates, full_read.applications
    assert set(candidates) == {str(c.id) for c in data.candidates}
    assert set(applications) == {str(a.id) for a in data.applications()}
    for truth in data.candidates:
        got = candidates[str(truth.id)]
        assert (got.first_name, got.last_name, got.updated_at) == (truth.first_name, truth.last_name, truth.updated_at)
        assert got.emails == tuple(truth.emails[:1]) and got.phones == tuple(truth.phones[:1])
        assert got.linkedin_url == truth.linkedin_url and got.tags == tuple(truth.tags)
        assert got.url == f"https://app.teamtailor.com/companies/{COMPANY}/candidates/{truth.id}"

    for candidate in data.candidates:
        for truth in candidate.applications:
            got = applications[str(truth.id)]
            assert got.candidate_id == str(candidate.id) and got.outcome is OUTCOMES[truth.status]
            assert got.applied_at == truth.applied_at and got.updated_at == truth.updated_at
            assert got.closed_at == truth.closed_at
            assert (got.job_id, got.job_name, got.rejection_reason) == (str(truth.job_id), truth.job_name,
                                                                        truth.rejection_reason)
            (stage,) = got.stages
            if truth.status == "hired":
                assert stage.name == "Hired"
            else:
                assert stage.kind is StageKind(truth.stages[-1].kind)
                assert stage.reached_at == truth.stages[-1].reached_at

    by_candidate: dict[str, list[Application]] = defaultdict(list)
    for application in applications.values():
        by_candidate[application.candidate_id].append(application)
    hired = {cid for cid, apps in by_candidate.items() if any(a.outcome is Outcome.HIRED for a in apps)}
    met_not_hired = {cid for cid, apps in by_candidate.items()
                     if cid not in hired and any(a.met_not_hired for a in apps)}
    assert met_not_hired == {str(c.id) for c in data.candidates if c.met_not_hired} != set()
    assert hired == {str(c.id) for c in data.candidates if any(a.status == "hired" for a in c.applications)} != set()


def test_sources_and_referrers_follow_the_candidate(full_read: FullRead) -> None:
    data, applications = full_read.data, full_read.applications
    referral_reads = [r for r in full_read.requests if r.path == "/v1/referrals"]
    assert len(referral_reads) == 1 and "filter[candidate]" not in dict(referral_reads[0].query), \
        "a full read pages through the referrals once instead of asking per candidate"

    kinds = set()
    for candidate in data.candidates:
        for truth in candidate.applications:
            got = applications[str(truth.id)]
            kinds.add(got.source.kind)
            if referred(candidate):
                assert got.source.kind is SourceKind.REFERRAL
                assert got.referrer in expected_referrers(data, candidate)
            elif truth.source_kind == "sourced":
                assert got.source.kind is SourceKind.SOURCED and got.referrer is None
            else:
                assert (got.source.kind, got.source.name) == (SourceKind.APPLIED, truth.source_name)
    assert kinds == {SourceKind.REFERRAL, SourceKind.SOURCED, SourceKind.APPLIED}
    named = [a.referrer for a in applications.values() if a.referrer and a.referrer.ats_user_id]
    assert named and all(r.is_employee and r.email for r in named)


def test_pages_never_exceed_thirty(full_read: FullRead) -> None:
    pages = [dict(r.query) for r in full_read.requests if r.path == "/v1/candidates"]
    assert len(full_read.candidates) == 75 and len(pages) == 3
    assert all(int(page["page[size]"]) <= 30 for page in pages)
    assert [page["page[number]"] for page in pages] == ["1", "2", "3"]


def incremental_cost(data: Dataset, connector: TeamtailorConnector, simulator: TeamtailorSimulator,
                     changed: list[int], day: int) -> tuple[dict[str, Candidate], dict[str, Application], int]:
    """Change these candidates on `day` after the dataset's now, read since then; count the requests."""
    changed_at = data.now + timedelta(days=day)
    data.touch(changed, changed_at)
    before = len(simulator.requests)
    candidates, applications = read_all(connector, since=changed_at - timedelta(minutes=5))
    spent = simulator.requests[before:]
    assert all("filter[updated-at][from]" in dict(r.query) for r in spent if r.path != "/v1/referrals")
    assert all("filter[candidate]" in dict(r.query) for r in spent if r.path == "/v1/referrals")
    return candidates, applications, len(spent)


def test_incremental_reads_return_only_the_changes_at_a_cost_that_follows_them() -> None:
    data = generate(120)
    with teamtailor(data) as (simulator, connector, _):
        read_all(connector)
        for day, changed in enumerate(([5, 23, 41], list(range(50, 90))), start=1):
            candidates, applications, cost = incremental_cost(data, connector, simulator, changed, day)
            assert set(candidates) == {str(cid) for cid in changed}
            assert set(applications) == {str(a.id) for cid in changed for a in data.candidates[cid - 1].applications}
            pages = -(-len(changed) // 30)  # candidates, then the applications pass
            assert cost == 2 * pages + sum(referred(data.candidates[cid - 1]) for cid in changed)

        candidate = next(c for c in data.candidates
                         if not any(a.status == "hired" for a in c.applications)
                         and any(a.status == "active" for a in c.applications))
        rejected_at = data.now + timedelta(days=3)
        application = data.reject(candidate.id, rejected_at, reason="Timing")
        candidates, applications = read_all(connector, since=rejected_at - timedelta(minutes=5))
    assert set(candidates) == {str(candidate.id)}
    got = applications[str(application.id)]
    assert got.outcome is Outcome.NOT_HIRED and got.met_not_hired
    assert (got.rejection_reason, got.closed_at) == ("Timing", rejected_at)


def test_incremental_read_catches_an_application_only_change() -> None:
    """If a rejection does not move the candidate's own updated-at, the second pass still finds it."""
    data = generate(60)
    with teamtailor(data) as (_, connector, _):
        candidate = next(c for c in data.candidates if any(a.status == "active" for a in c.applications))
        untouched = candidate.updated_at
        application = data.reject(candidate.id, data.now + timedelta(days=2))
        candidate.updated_at = untouched
        candidates, applications = read_all(connector, since=data.now + timedelta(days=1))
    assert set(candidates) == {str(candidate.id)}
    assert applications[str(application.id)].outcome is Outcome.NOT_HIRED
    assert {a.ats_id for a in applications.values()} == {str(a.id) for a in candidate.applications}


# --- faults ---------------------------------------------------------------------------------------


def test_static_quota_headers_are_ignored_and_the_configured_rate_keeps_under_the_limit() -> None:
    """Teamtailor's X-Rate-Limit-* headers carry static values (its rate-limit page). Here they always say the
    quota is spent with 10 s to go: a client that believed them would idle 10 s before every request. The
    real limit (6 a second) is kept by the client's own pace (4 a second, no burst): no 429 at all."""
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    simulator = TeamtailorSimulator(generate(240), api_key=KEY, rate_limit=6, window_seconds=1.0,
                                    static_quota=(50, 0, 10))
    with serve(simulator) as url:
        connector = TeamtailorConnector(f"{url}/v1", {"api_key": KEY}, policy=FAST, sleep=sleep, rate=4, burst=1)
        candidates, _ = read_all(connector)
    assert len(candidates) == 240 and len(simulator.requests) > 6
    assert simulator.over_quota == 0, "the configured pace kept under the real limit"
    assert connector.http.stats["throttled"] >= 1 and max(waits) < 1.0, "paced, never parked on a static header"


def test_a_429_is_retried_after_retry_after() -> None:
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    with teamtailor(sleep=sleep, rate_limit=2, window_seconds=1.0) as (simulator, connector, url):
        headers = {"Authorization": f"Token token={KEY}", "X-Api-Version": API_VERSION}
        for _ in range(2):  # another integration spends the window
            assert requests.get(f"{url}/v1/stages", headers=headers, timeout=2).status_code == 200
        candidate, _ = connector.fetch_candidate("1")
    assert candidate.ats_id == "1"
    refused = [r for r in simulator.requests if r.status == 429]
    assert len(refused) == 1 and simulator.over_quota == 1
    assert 1.0 in waits, "Retry-After: 1 was honoured"


def test_server_errors_are_retried_then_given_up_clearly() -> None:
    with teamtailor() as (simulator, connector, _):
        simulator.inject(Fault.SERVER_ERROR, times=2)
        candidate, _ = connector.fetch_candidate("3")
        assert candidate.ats_id == "3" and statuses(simulator) == [503, 503, 200]

        simulator.inject(Fault.SERVER_ERROR, times=5)
        with pytest.raises(Retriable, match=r"GET /v1/candidates/3: failed after 3 attempts, last: HTTP 503"):
            connector.fetch_candidate("3")
    assert statuses(simulator)[3:] == [503, 503, 503]


def test_slow_answers_time_out_and_are_retried() -> None:
    with teamtailor(slow_seconds=1.5) as (simulator, connector, _):
        simulator.inject(Fault.SLOW, times=1)
        candidate, _ = connector.fetch_candidate("4")
        assert candidate.ats_id == "4" and connector.http.stats["retries"] == 1

        simulator.inject(Fault.SLOW, times=3)
        with pytest.raises(Retriable, match=r"failed after 3 attempts, last: ReadTimeout"):
            connector.fetch_candidate("4")


def test_a_revoked_key_fails_after_one_refused_request() -> None:
    with teamtailor() as (simulator, connector, _):
        pages = connector.read("candidates", None)
        assert next(pages)
        simulator.revoke_key()
        with pytest.raises(AuthError, match="HTTP 401"):
            list(pages)
    assert statuses(simulator).count(401) == 1
    assert simulator.requests[-1].status == 401


def test_a_malformed_page_is_a_malformed_response() -> None:
    with teamtailor() as (simulator, connector, _):
        simulator.inject(Fault.MALFORMED)
        with pytest.raises(MalformedResponse, match="not valid JSON"):
            read_all(connector)


# --- writes ---------------------------------------------------------------------------------------


def test_a_note_is_written_on_the_candidate_as_the_configured_user() -> None:
    data = generate(60)
    with teamtailor(data) as (simulator, connector, _):
        note = connector.add_note("7", "Met at JavaZone; ask again in the spring.")
    stored = data.candidate(7).notes
    assert [(n["note"], n["user_id"]) for n in stored] == [("Met at JavaZone; ask again in the spring.", 2)]
    assert (note.ats_id, note.candidate_id, note.body) == (str(stored[0]["id"]), "7", stored[0]["note"])
    assert note.created_at is not None
    assert [(r.method, r.path, r.status) for r in simulator.requests] == [("POST", "/v1/notes", 201)]


def test_a_note_that_times_out_is_not_sent_twice() -> None:
    """Teamtailor takes no idempotency key: a POST that got no answer may have been applied."""
    with teamtailor(slow_seconds=1.5) as (simulator, connector, _):
        simulator.inject(Fault.SLOW)
        with pytest.raises(Retriable, match="not retried"):
            connector.add_note("7", "Slow day at the ATS.")
    assert [(r.method, r.path) for r in simulator.requests] == [("POST", "/v1/notes")]


def test_tagging_twice_leaves_one_tag_and_keeps_the_others() -> None:
    data = generate(60)
    before = list(data.candidate(8).tags)
    with teamtailor(data) as (simulator, connector, _):
        connector.add_tag("8", "brobygger-warm")
        connector.add_tag("8", "Brobygger-Warm")
    assert data.candidate(8).tags == [*before, "brobygger-warm"]
    assert [r.method for r in simulator.requests] == ["GET", "PATCH", "GET"]


# --- the simulator's contract ---------------------------------------------------------------------


def test_the_simulator_refuses_what_teamtailor_refuses() -> None:
    with teamtailor() as (_, _, url):
        good = {"Authorization": f"Token token={KEY}", "X-Api-Version": API_VERSION}
        too_big = requests.get(f"{url}/v1/candidates", params={"page[size]": 31}, headers=good, timeout=2)
        no_key = requests.get(f"{url}/v1/candidates", headers={"X-Api-Version": API_VERSION}, timeout=2)
        no_version = requests.get(f"{url}/v1/candidates", headers={"Authorization": good["Authorization"]}, timeout=2)
        stages = requests.get(f"{url}/v1/stages", params={"page[size]": 30}, headers=good, timeout=2)
    assert too_big.status_code == 400 and too_big.json()["errors"][0]["status"] == "400"
    assert no_key.status_code == 401 and no_key.json()["errors"][0]["title"] == "Unauthorized"
    assert no_version.status_code == 406 and "X-Api-Version" in no_version.json()["errors"]["detail"]
    assert {s["attributes"]["stage-type"] for s in stages.json()["data"]} == {"Inbox", "In process", "Hired"}
    assert "next" not in stages.json()["links"] and stages.headers["X-Rate-Limit-Remaining"].isdigit()


# --- webhooks -------------------------------------------------------------------------------------

T = 1_800_000_000


def delivery(event: str = "candidate.update", t: int = T, key: str = SECRET) -> tuple[bytes, dict[str, str]]:
    data = generate(3)
    return TeamtailorSimulator(data).webhook_delivery(key, event, data.candidates[0], t=t)


def verify(body: bytes, headers: dict[str, str], now: float = T + 5) -> Any:
    return TeamtailorConnector.verify_webhook(SECRET, headers, body, now=now)


def test_a_valid_candidate_delivery() -> None:
    body, headers = delivery()
    event = verify(body, headers)
    assert (event.action, event.candidate_id, event.event_id) == ("candidate.update", "1", f"candidate.update:1:{T}")
    assert event.occurred_at is not None and event.occurred_at.timestamp() == T
    assert json.loads(body)["signature"]  # the body carries one too (its v1 value: it cannot sign itself)


def test_a_job_application_delivery_names_its_application_and_the_api_its_candidate() -> None:
    """The documented job_application payload carries no candidate: the event names the application, and the
    connector reads its candidate from the API (include=candidate)."""
    body, headers = delivery("job_application.update")
    assert "candidate" not in json.dumps(json.loads(body)["payload"]["data"].get("relationships", {}))
    event = verify(body, {k.lower(): v for k, v in headers.items()})
    application_id = json.loads(body)["payload"]["data"]["id"]
    assert (event.action, event.candidate_id, event.resource_id) == ("job_application.update", None, application_id)
    assert event.event_id == f"job_application.update:{application_id}:{T}"
    with teamtailor(generate(3)) as (simulator, connector, _):
        assert connector.candidate_for(event.action, application_id) == "1"
        assert connector.candidate_for(event.action, "999999") is None
    asked = [r for r in simulator.requests if r.path == f"/v1/job-applications/{application_id}"]
    assert [dict(r.query) for r in asked] == [{"include": "candidate"}]


def test_a_legacy_v1_delivery_verifies_against_its_data_id() -> None:
    data = generate(3)
    body, headers = TeamtailorSimulator(data).webhook_delivery(SECRET, "candidate.update", data.candidates[0],
                                                               version="v1")
    event = verify(body, headers, now=T + 10 ** 6)  # v1 signs no time: no window to fall outside
    assert (event.action, event.candidate_id, event.occurred_at) == ("candidate.update", "1", None)
    assert event.event_id.startswith("candidate.update:1:v1:")
    with pytest.raises(WebhookRejected, match="v1 signature does not match"):
        TeamtailorConnector.verify_webhook("someone-elses-key", headers, body, now=T)


def test_a_replayed_delivery_has_the_same_event_id() -> None:
    body, headers = delivery()
    assert verify(body, headers).event_id == verify(body, headers, now=T + 60).event_id


def test_the_raw_body_is_what_v2_signs_and_the_payload_member_is_still_accepted() -> None:
    """Since November 2025 Teamtailor's page says v2 signs `<t>.` + the raw body; before, it said the JSON text
    of `payload`. A delivery signed either way verifies; the same body re-indented by a proxy does not."""
    body, headers = delivery()
    assert verify(body, headers).candidate_id == "1"
    payload = json.dumps(json.loads(body)["payload"], separators=(",", ":"), ensure_ascii=False)
    digest = hmac.new(SECRET.encode(), f"{T}.{payload}".encode(), hashlib.sha256).hexdigest()
    assert verify(body, {"TT-Signature": b64(f"t={T},v2={digest}")}).candidate_id == "1"
    with pytest.raises(WebhookRejected, match="does not match"):
        verify(json.dumps(json.loads(body), indent=2).encode(), headers)


def tampered() -> tuple[bytes, dict[str, str]]:
    body, headers = delivery()
    document = json.loads(body)
    document["payload"]["data"]["attributes"]["email"] = "attacker@evil.example"
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode(), headers


def header_only(value: str) -> tuple[bytes, dict[str, str]]:
    return delivery()[0], {"TT-Signature": value}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


LEGACY_V1_OTHER_KEY = b64(hmac.new(b"someone-elses-key", b"1", hashlib.sha256).hexdigest())


@pytest.mark.parametrize(("make", "now", "reason"), [
    (tampered, T + 5, "does not match"),
    (lambda: delivery(key="someone-elses-key"), T + 5, "does not match"),
    (lambda: (delivery()[0], {"Content-Type": "application/json"}), T + 5, "missing TT-Signature"),
    (delivery, T + 301, "outside the 300 s tolerance"),
    (delivery, T - 301, "outside the 300 s tolerance"),
    (lambda: header_only("%%% not base64 %%%"), T + 5, "not base64"),
    (lambda: header_only(b64("hello there")), T + 5, "neither a v2 signature"),
    (lambda: header_only(LEGACY_V1_OTHER_KEY), T + 5, "v1 signature does not match"),
    (lambda: header_only(b64("t=soon,v2=abc")), T + 5, "unreadable timestamp"),
    (lambda: (b"not json", delivery()[1]), T + 5, "not UTF-8 JSON"),
], ids=["tampered-body", "wrong-key", "missing-header", "stale", "future", "garbage", "no-fields", "legacy-v1",
        "bad-timestamp", "bad-body"])
def test_bad_deliveries_are_rejected(make: Any, now: float, reason: str) -> None:
    body, headers = make()
    with pytest.raises(WebhookRejected, match=reason):
        verify(body, headers, now=now)


# --- the documented shapes (fixtures) ---------------------------------------------------------------

FIXTURES = [f for f in load("teamtailor") if not f.is_webhook]
BY_NAME = {f.name: f for f in FIXTURES}
KARI = BY_NAME["candidate"].expect["candidate_id"]  # the candidate every fixture links up with
APPLICATION = BY_NAME["job_application"].body["data"]["id"]
SINCE = datetime(2026, 11, 20, tzinfo=UTC)






def replayed(server: tuple[Switch, str], overrides: dict[str, Any] | None = None
             ) -> tuple[Replay, TeamtailorConnector]:
    switch, base = server
    switch.app = Replay(FIXTURES, overrides)
    connector = TeamtailorConnector(f"{base}/v1", {"api_key": KEY, "user_id": "4468", "company_id": COMPANY},
                                    policy=FAST, rate=1000, burst=1000)
    return switch.app, connector


def _exercise(connector: TeamtailorConnector, fixture: Fixture) -> None:
    """Make the connector read the one fixture (after whatever it must read first)."""
    if fixture.name in ("candidates_page", "referrals_page"):
        read_all(connector)  # Kari is referred: a full read pages the referrals once
    elif fixture.name == "job_applications_page":
        read_all(connector, SINCE)
    elif fixture.name == "candidate":
        connector.fetch_candidate(KARI)
        connector.add_tag(KARI, "brobygger-warm")
    elif fixture.name == "candidate_updated":
        connector.add_tag(KARI, "brobygger-warm")
    elif fixture.name == "job_application":
        connector.candidate_for("job_application.update", APPLICATION)
    elif fixture.name == "note_created":
        connector.add_note(KARI, "Kaffe neste uke?")
    else:
        raise AssertionError(f"no use for fixture {fixture.name}")


def test_every_response_fixture_has_a_source_and_its_required_paths() -> None:
    assert set(BY_NAME) == {"candidates_page", "candidate", "candidate_updated", "job_applications_page",
                            "job_application", "referrals_page", "note_created"}
    for fixture in FIXTURES:
        assert fixture.source and fixture.required
        for path in fixture.required:
            fixture.without(path)  # every required path exists in the documented body
        if isinstance(fixture.body.get("data"), list):  # a list page: the last one, by Teamtailor's links
            assert "next" not in fixture.body["links"] and {"first", "last"} <= set(fixture.body["links"])


def test_the_connector_reads_the_documented_shapes(replay_server: tuple[Switch, str]) -> None:
    app, connector = replayed(replay_server)
    candidates, applications = read_all(connector)
    again, changed = read_all(connector, SINCE)
    kari, own = connector.fetch_candidate(KARI)
    named = connector.candidate_for("job_application.update", APPLICATION)
    note = connector.add_note(KARI, "Kaffe neste uke?")
    connector.add_tag(KARI, "brobygger-warm")
    connector.add_tag(KARI, "Python")  # already there: nothing written

    page = BY_NAME["candidates_page"].body["data"]
    assert list(candidates) == [c["id"] for c in page] == ["3071", "3072", "3073"]
    assert (again, changed) == (candidates, applications)  # the changed applications are Kari's, read already
    assert kari == candidates[KARI] and [a.ats_id for a in own] == BY_NAME["candidate"].expect["applications"]
    assert own == [applications[a.ats_id] for a in own]
    assert (kari.first_name, kari.last_name, kari.emails, kari.phones, kari.tags) == (
        "Kari", "Nordmann", ("kari.nordmann@example.com",), ("+47 91234567",), ("python",))
    assert kari.linkedin_url == "https://www.linkedin.com/in/kari-nordmann"
    assert kari.updated_at == datetime(2026, 11, 25, 15, 20, 45, 200000, tzinfo=UTC)
    assert kari.url == f"https://app.teamtailor.com/companies/{COMPANY}/candidates/3071"
    assert (candidates["3072"].phones, candidates["3072"].linkedin_url, candidates["3072"].tags) == ((), None, ())

    rejected, hired = applications["88120"], applications["88121"]
    assert (rejected.outcome, rejected.rejection_reason, rejected.job_id, rejected.job_name) == (
        Outcome.NOT_HIRED, "Not a fit", "44", "Senior Backend Developer")
    assert rejected.closed_at == datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    assert rejected.applied_at == datetime(2026, 10, 1, 7, 15, 2, 330000, tzinfo=UTC)
    assert [(s.ats_id, s.name, s.reached_at) for s in rejected.stages] == [
        ("2203", "Technical Interview", datetime(2026, 11, 20, 13, 3, 10, 512000, tzinfo=UTC))]
    assert rejected.stages[0].kind == StageKind.INTERVIEW and rejected.met and rejected.met_not_hired
    assert (hired.outcome, hired.job_name, hired.rejection_reason) == (Outcome.HIRED, "Engineering Manager", None)
    assert hired.closed_at == datetime(2026, 11, 25, 15, 20, 45, 118000, tzinfo=UTC)
    assert [s.name for s in hired.stages] == ["Hired"]
    # Kari was referred for each job by a different colleague: the referral's job picks the referrer
    assert rejected.source == hired.source == Source("Employee referral", SourceKind.REFERRAL)
    assert rejected.referrer == Referrer("Jonas Brusman", "jonas@example.com", "4468", True)
    assert hired.referrer == Referrer("Sigrid Aas", "sigrid.aas@example.com", "4471", True)

    inbox, sourced = applications["88130"], applications["88131"]
    assert (inbox.candidate_id, inbox.outcome, [s.name for s in inbox.stages], inbox.job_name) == (
        "3072", Outcome.ACTIVE, ["Inbox"], "Data Analyst")
    assert (inbox.source, inbox.referrer, inbox.closed_at) == (Source("LinkedIn", SourceKind.APPLIED), None, None)
    assert (sourced.candidate_id, sourced.outcome, [s.name for s in sourced.stages]) == (
        "3073", Outcome.ACTIVE, ["Technical Interview"])
    assert sourced.source == Source("Sourced", SourceKind.SOURCED)

    assert named == BY_NAME["job_application"].expect["candidate_id"] == KARI
    expected_note = BY_NAME["note_created"].expect
    assert (note.ats_id, note.candidate_id, note.body) == (expected_note["ats_id"], KARI, expected_note["body"])
    assert note.created_at == datetime(2026, 12, 1, 9, 14, 2, 731000, tzinfo=UTC)
    writes = [request for request in app.requests if request[0] in ("POST", "PATCH")]
    assert writes == [("POST", "/v1/notes"), ("PATCH", "/v1/candidates/3071")]  # the second tag was a no-op
    assert ("GET", "/v1/referrals") in app.requests and ("GET", "/v1/job-applications") in app.requests


READ_CASES = [(f.name, path) for f in FIXTURES for path in f.required]


@pytest.mark.parametrize(("name", "path"), READ_CASES, ids=[f"{n}:{p}" for n, p in READ_CASES])
def test_a_response_without_a_documented_field_is_refused_loudly(replay_server: tuple[Switch, str], name: str,
                                                                 path: str) -> None:
    fixture = BY_NAME[name]
    _, connector = replayed(replay_server, {name: fixture.without(path)})
    with pytest.raises(MalformedResponse):
        _exercise(connector, fixture)


def test_a_tag_the_answer_does_not_show_was_not_written(replay_server: tuple[Switch, str]) -> None:
    untagged = copy.deepcopy(BY_NAME["candidate_updated"].body)
    untagged["data"]["attributes"]["tags"] = ["python"]
    _, connector = replayed(replay_server, {"candidate_updated": untagged})
    with pytest.raises(MalformedResponse, match="do not show 'brobygger-warm'"):
        connector.add_tag(KARI, "brobygger-warm")


def test_a_candidate_read_without_its_tags_is_never_patched(replay_server: tuple[Switch, str]) -> None:
    """The PATCH replaces the whole tag list: written without the tags we could not see, it would erase them."""
    app, connector = replayed(replay_server, {"candidate": BY_NAME["candidate"].without("data.attributes.tags")})
    with pytest.raises(MalformedResponse, match="missing tags"):
        connector.add_tag(KARI, "brobygger-warm")
    assert app.requests == [("GET", f"/v1/candidates/{KARI}")]


def test_referrals_are_asked_with_their_job_since_only_included_relationships_carry_linkage() -> None:
    """Teamtailor's recorded answers (teamtailor-rb's fixtures) give a relationship's `data` only when it was
    included: without include=job a referral never names the job that picks the referrer of an application."""
    with teamtailor(generate(30)) as (simulator, connector, _):
        read_all(connector)
        referred_candidate = next(c for c in simulator.data.candidates if referred(c))
        connector.fetch_candidate(str(referred_candidate.id))
    asked = [dict(r.query) for r in simulator.requests if r.path == "/v1/referrals"]
    assert len(asked) == 2 and all(set(q["include"].split(",")) == {"user", "candidate", "job"} for q in asked)
