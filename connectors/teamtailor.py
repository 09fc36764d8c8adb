"""Teamtailor public API (JSON:API) connector.

What it relies on, and where that was checked (stored copies of public material, late 2026):

* Teamtailor's API documentation source, github.com/Teamtailor/docs (published as docs.teamtailor.com):
  the `Authorization: Token token=<key>` header; `X-Api-Version` is required on every request; the
  quota headers `X-Rate-Limit-*`, which source/includes/_rate_limit.md.erb says "contain static values" (so
  they are ignored and the client paces itself, see RATE_PER_SECOND); `page[size]`
  (default 10, max 30) and `page[number]`, `links.next`, `meta.record-count`; job-application attributes
  `created-at`, `rejected-at`, `changed-stage-at` and relationships `candidate`, `job`, `stage`,
  `reject-reason`; stage `stage-type` ∈ Inbox / In process / Hired; `POST /v1/notes` with the text in the
  attribute `note` and `candidate` / `user` relationships; `PATCH /v1/candidates/{id}`; `/v1/referrals`
  with a `user` relationship (the user who made the referral) and `filter[candidate]`.
* Teamtailor's partner documentation source, github.com/Teamtailor/tt-partner-docs (partner.teamtailor.com,
  "Company Webhooks", source/includes/company_webhooks/): the events `candidate.*` and `job_application.*`
  (`create|update|destroy`); the body `{"payload": {"event_name", "data"}, "signature"}`; the job-application
  payload's attribute list, which names no candidate (_payloads.md.erb); the `TT-Signature` header; signature
  v2 = base64 of `t=<unix seconds>,v2=<hex>` with hex = HMAC-SHA256(key, `<t>.` + the raw request body)
  (_signatures.md.erb as fixed in November 2025; it said the JSON text of `payload` before); legacy v1 =
  base64 of the hex HMAC-SHA256 of `payload.data.id`, deprecated but still selectable per webhook; and "no
  retry mechanism": a delivery that fails is only logged by Teamtailor.
* Teamtailor's own Ruby client, github.com/Teamtailor/teamtailor-rb: the candidate attribute `referred`,
  406 for a missing or bad API version, 30 records per page, `reject-reason` as a relationship, and the
  user attributes `name`, `email`, `login-email`, `username`. Its recorded answers
  (spec/fixtures/v1/job_application_included_candidate_job.json, referrals.json) show that a relationship
  carries its linkage (`data`) only when the request included it, links alone otherwise: every relationship
  read here is therefore included, and an included relationship without `data` is a malformed answer.
  The documented shapes are in connectors/fixtures/teamtailor.
* Ids: every resource id in the API documentation's examples and in teamtailor-rb's recorded answers is a
  JSON:API string of decimal digits (`"id": "17"`); an id of any other shape is refused before it reaches a
  path (connectors/ids.py).
* Public client code by others: `filter[updated-at][from]` on `/candidates` and `/job-applications` (a
  TypeScript client and an Airbyte-style Python source), `include=job-applications.stage` and
  `job-applications.reject-reason` (a PHP client that notes these nested includes are undocumented but
  accepted), and candidate pages at `https://app.teamtailor.com/companies/<company id>/candidates/<id>`.

Where this differs from ../shared/ats-contracts.md:
* The v2 signature is checked over the raw body first and then, for senders that follow the page's earlier
  wording, over the exact bytes of the `payload` member and its compact re-serialisation.
* The event id is `<event>:<resource id>:<t>`: Teamtailor sends no delivery id, and the resource id alone
  would let `candidate.update` of candidate 5 and `job_application.update` of application 5 in the same
  second shadow each other.

Unconfirmed, and what we assumed:
* The stage history of an application: the API gives only the current stage and `changed-stage-at`, so
  `stages` holds that one stage. (A rejected application stays in the stage it was rejected from, which is
  what "met" needs.) The candidate's activity log has stage moves, but costs a request per candidate.
* Whether an application-only change (a stage move, a rejection) bumps the candidate's `updated-at`. An
  incremental read therefore also pages `/job-applications` changed since the bookmark and fetches the
  candidates the first pass did not return.
* The referring employee: the `user` of the candidate's referral in `/v1/referrals` (include=user,candidate,job;
  `filter[candidate]` for single candidates, the whole list once for a full read). When no referral names
  a user we fall back to a generic "Employee referral" referrer with `is_employee=True`, since Teamtailor's
  `referred` means an employee referral. The referral's own name/email are the *candidate's*, not the
  referrer's.
* The timestamp tolerance: Teamtailor states none; we use 300 s, Stripe's default, in both directions.
  Legacy v1 signatures carry no timestamp: a v1 delivery's event id holds a digest of its body instead.
* `job_application.*` payloads carry no candidate (the documented attribute list has none): the event names
  the application as its resource, and the job reads `GET /v1/job-applications/<id>?include=candidate`.
* The candidate page URL needs the company id (the optional credential `company_id`); without it `url` is
  None. NA-stack accounts use `https://api.na.teamtailor.com/v1`; their app host was not checked.
* Teamtailor takes no idempotency key, so a note POST that times out is not retried (the shared client
  refuses to resend a write that may have been applied) and surfaces as Retriable to the caller.

Teamtailor never retries a webhook, so a delivery missed while Brobygger is down is gone for good: the cron
poller (an incremental `read`) is the safety net, not a fallback.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from connectors.base import Connector, LookupCache, Record
from connectors.errors import MalformedResponse, NotFound, WebhookRejected
from connectors.http import HttpClient, Policy, StaticAuth, TokenBucket, json_body
from connectors.ids import DECIMAL, IdShape
from connectors.pagination import json_api_pages
from connectors.types import (
    Application,
    Candidate,
    Note,
    Outcome,
    Referrer,
    Source,
    SourceKind,
    StageReached,
    WebhookEvent,
    classify_stage,
)

BASE_URL = "https://api.teamtailor.com/v1"
API_VERSION = "20240404"
JSON_API = "application/vnd.api+json"
PAGE_SIZE = 30  # Teamtailor's maximum
# Teamtailor's X-Rate-Limit-* headers carry static values (its rate-limit page says so and asks for "common
# sense"), so they are not read at all: the client paces itself at a configured rate and takes a 429 as the
# correction. 5 requests a second with bursts of 10 keeps a 30-record page sync at 150 records a second.
RATE_PER_SECOND = 5.0
RATE_BURST = 10
CANDIDATE_INCLUDES = "job-applications,job-applications.stage,job-applications.job,job-applications.reject-reason"
APP_URL = "https://app.teamtailor.com/companies/{company}/candidates/{candidate}"
SIGNATURE_HEADER = "TT-Signature"
SIGNATURE_TOLERANCE = 300  # seconds either way; Teamtailor states none, Stripe's default
HIRED_STAGE_TYPE = "hired"
GENERIC_REFERRER = Referrer(name="Employee referral", is_employee=True)
ID = IdShape("Teamtailor", "strings of decimal digits", DECIMAL)


class TeamtailorConnector(Connector):
    vendor: ClassVar[str] = "teamtailor"
    streams: ClassVar[tuple[str, ...]] = ("candidates",)
    credential_fields: ClassVar[tuple[str, ...]] = ("api_key",)
    candidate_id_shape: ClassVar[IdShape] = ID

    def __init__(self, base_url: str = BASE_URL, credentials: Mapping[str, str] | None = None, *,
                 policy: Policy | None = None, sleep: Callable[[float], None] | None = None,
                 cache: LookupCache | None = None, rate: float = RATE_PER_SECOND, burst: int = RATE_BURST) -> None:
        credentials = credentials or {}
        self._pace = TokenBucket(rate, burst)
        self._totals: dict[str, int | None] = {}  # meta.record-count of each stream's listing
        super().__init__(base_url, credentials, policy=policy, sleep=sleep, cache=cache)
        self.user_id = credentials.get("user_id") or None  # the Teamtailor user notes are written as
        self.company_id = credentials.get("company_id") or None  # only for links to candidate pages

    def _client(self, credentials: Mapping[str, str], policy: Policy,
                sleep: Callable[[float], None] | None) -> HttpClient:
        # An API key cannot be refreshed: StaticAuth.refresh() says so, and the client fails on the first 401.
        auth = StaticAuth("Authorization", f"Token token={credentials['api_key']}")
        headers = {"X-Api-Version": API_VERSION, "Accept": JSON_API, "Content-Type": JSON_API}
        return HttpClient(self.base_url, auth, policy=policy, headers=headers, sleep=sleep, pace=self._pace)

    # --- reads ------------------------------------------------------------------------------------

    def read(self, stream: str, since: datetime | None) -> Iterator[list[Record]]:
        if stream not in self.streams:
            raise ValueError(f"teamtailor has no stream {stream!r}")
        params: dict[str, str] = {"include": CANDIDATE_INCLUDES}
        if since is not None:
            params["filter[updated-at][from]"] = _iso(since)
        seen: set[str] = set()
        referrals = _Referrals(self, bulk=since is None)
        self._totals[stream] = None
        for number, document in enumerate(_pages(self.http, "candidates", params, size=PAGE_SIZE)):
            if number == 0:
                self._totals[stream] = _record_count(document)
            included = _Included(document.get("included"))
            page: list[Record] = []
            for resource in document["data"]:
                candidate, applications = self._records(resource, included, referrals)
                seen.add(candidate.ats_id)
                page += [candidate, *applications]
            if page:
                yield page
        if since is not None:
            yield from self._candidates_of_changed_applications(since, seen)

    def total(self, stream: str) -> int | None:
        """The first page's `meta.record-count` (candidates changed since the bookmark, or all of them). An
        incremental read may yield a few more: candidates whose applications changed without them."""
        return self._totals.get(stream)

    def _candidates_of_changed_applications(self, since: datetime, seen: set[str]) -> Iterator[list[Record]]:
        """Candidates whose applications changed without their own `updated-at` moving (unconfirmed either
        way), fetched whole so that the engine sees every application of theirs."""
        params = {"filter[updated-at][from]": _iso(since), "include": "candidate"}
        for document in _pages(self.http, "job-applications", params, size=PAGE_SIZE):
            page: list[Record] = []
            for application in document["data"]:
                application = _resource(application, "job application")
                candidate_id = _to_one_id(application, "candidate", f"job application {application['id']}")
                if candidate_id is None or candidate_id in seen:
                    continue
                seen.add(candidate_id)
                candidate, applications = self.fetch_candidate(candidate_id)
                page += [candidate, *applications]
            if page:
                yield page

    def fetch_candidate(self, candidate_id: str) -> tuple[Candidate, list[Application]]:
        path = f"candidates/{ID.check(candidate_id, 'candidate')}"
        document = self.http.get_json(path, {"include": CANDIDATE_INCLUDES})
        if not isinstance(document, dict):
            raise MalformedResponse(f"GET {path}: expected a JSON:API document")
        return self._records(document.get("data"), _Included(document.get("included")), _Referrals(self))

    def candidate_for(self, action: str, resource_id: str) -> str | None:
        """A job_application event carries the application's attributes but no candidate (the company-webhook
        payload list names none): read the application with its candidate linkage."""
        if not action.startswith("job_application."):
            return None
        try:
            document = self.http.get_json(f"job-applications/{ID.check(resource_id, 'job application')}",
                                          {"include": "candidate"})
        except NotFound:
            return None
        application = _resource(_data(document, "GET job-applications"), "job application")
        return _to_one_id(application, "candidate", f"job application {application['id']}")

    def _records(self, resource: Any, included: _Included, referrals: _Referrals
                 ) -> tuple[Candidate, list[Application]]:
        resource = _resource(resource, "candidate")
        attributes = resource["attributes"]
        candidate = self._candidate(resource["id"], attributes)
        where = f"candidate {candidate.ats_id}"
        referred_by = referrals.of(candidate.ats_id) if _member(attributes, "referred", where) else []
        linkages = _included_linkage(resource, "job-applications", where)
        if not isinstance(linkages, list) or not all(isinstance(item, dict) for item in linkages):
            raise MalformedResponse(f"{where}: job-applications linkage is not a list of resource identifiers")
        applications = []
        for reference in linkages:
            application = included.get(reference)
            if application is None:
                raise MalformedResponse(f"candidate {candidate.ats_id}: job application {reference.get('id')} "
                                        "is linked but not included")
            applications.append(_application(_resource(application, "job application"), candidate.ats_id,
                                             attributes, included, referred_by))
        return candidate, applications

    def _candidate(self, candidate_id: str, attributes: Mapping[str, Any]) -> Candidate:
        where = f"candidate {candidate_id}"
        tags = _tags(attributes, where)
        return Candidate(
            ats_id=candidate_id,
            first_name=_text(_member(attributes, "first-name", where)) or "",
            last_name=_text(_member(attributes, "last-name", where)) or "",
            updated_at=_required_time(attributes, "updated-at", where),
            emails=_present(_member(attributes, "email", where)),
            phones=_present(attributes.get("phone")),
            linkedin_url=_text(attributes.get("linkedin-url")),
            tags=tuple(str(tag) for tag in tags),
            url=APP_URL.format(company=self.company_id, candidate=candidate_id) if self.company_id else None)

    def referrals(self, candidate_id: str | None = None) -> Iterator[tuple[str, str | None, Referrer]]:
        """(candidate id, job id, referring employee) of every referral, or of one candidate's. Teamtailor
        names the employee as the referral's `user`; referrals without one are skipped. `job` is included
        because a JSON:API server gives a relationship's linkage only when it is included: without it the
        referral's job id is never there to match an application by."""
        params = {"include": "user,candidate,job"}
        if candidate_id is not None:
            params["filter[candidate]"] = candidate_id
        for document in _pages(self.http, "referrals", params, size=PAGE_SIZE):
            included = _Included(document.get("included"))
            for referral in document["data"]:
                referral = _resource(referral, "referral")
                where = f"referral {referral['id']}"
                user = _included_one(referral, "user", included, where)
                referred = _to_one_id(referral, "candidate", where)
                job = _to_one_id(referral, "job", where)
                if user is not None and referred is not None:
                    yield referred, job, _referrer(user)

    # --- writes -----------------------------------------------------------------------------------

    def add_note(self, candidate_id: str, body: str) -> Note:
        relationships: dict[str, Any] = {"candidate": {"data": {"type": "candidates",
                                                                "id": ID.check(candidate_id, "candidate")}}}
        if self.user_id:
            relationships["user"] = {"data": {"type": "users", "id": self.user_id}}
        document = {"data": {"type": "notes", "attributes": {"note": body}, "relationships": relationships}}
        response = self.http.request("POST", "notes", json=document)
        note = _resource(_data(json_body(response, "POST notes"), "POST notes"), "note")
        return Note(ats_id=note["id"], candidate_id=str(candidate_id),
                    body=_text(note["attributes"].get("note")) or body,
                    created_at=_time(note["attributes"].get("created-at"), f"note {note['id']}"))

    def add_tag(self, candidate_id: str, tag: str) -> None:
        """Teamtailor replaces the whole tag list on PATCH: read it, add ours once, write it back."""
        path = f"candidates/{ID.check(candidate_id, 'candidate')}"
        candidate = _resource(_data(self.http.get_json(path), f"GET {path}"), "candidate")
        # A candidate without its `tags` member must not be written: the PATCH would replace the tags we
        # could not see with ours alone.
        tags = list(_tags(candidate["attributes"], f"GET {path}"))
        if any(existing.casefold() == tag.casefold() for existing in tags):
            return
        update = {"data": {"id": str(candidate_id), "type": "candidates", "attributes": {"tags": [*tags, tag]}}}
        response = self.http.request("PATCH", path, json=update)
        # Teamtailor answers with the updated candidate: it must show the tag, or the write did not take.
        answer = _resource(_data(json_body(response, f"PATCH {path}"), f"PATCH {path}"), "candidate")
        if not any(written.casefold() == tag.casefold() for written in _tags(answer["attributes"], f"PATCH {path}")):
            raise MalformedResponse(f"PATCH {path}: the answer's tags do not show {tag!r}")

    # --- webhooks ---------------------------------------------------------------------------------

    @staticmethod
    def verify_webhook(secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None
                       ) -> WebhookEvent:
        """v2 (`t=…,v2=…`) is checked over `<t>.` + the raw body, as the signature page has said since its
        fix of November 2025, and, failing that, over `<t>.` + the `payload` member (what the page said
        before). The legacy v1 signature, still selectable per webhook, is the base64 of the hex HMAC of
        `payload.data.id` alone: it proves the sender knew the key and names a record, nothing more, so the
        event is taken as a hint and everything is read from the API (a deletion is believed only when the
        API agrees)."""
        header = _header(headers, SIGNATURE_HEADER)
        if not header:
            raise WebhookRejected(f"missing {SIGNATURE_HEADER} header")
        decoded = _decoded_signature(header)
        text, payload = _webhook_payload(body)
        if _is_v1(decoded):
            resource_id = _resource_id(payload)
            if not hmac.compare_digest(_hex_hmac(secret, resource_id.encode("utf-8", "surrogatepass")).encode(),
                                       decoded.encode()):
                raise WebhookRejected("v1 signature does not match the payload's data.id (wrong key?)")
            digest = hashlib.sha256(body).hexdigest()[:24]
            return _webhook_event(payload, f"v1:{digest}", None)
        timestamp, signatures = _parse_v2(decoded)
        skew = (time.time() if now is None else now) - timestamp
        if abs(skew) > SIGNATURE_TOLERANCE:
            raise WebhookRejected(f"signature timestamp is {abs(skew):.0f} s from now, outside the "
                                  f"{SIGNATURE_TOLERANCE} s tolerance (stale or replayed)")
        expected = [_sign(secret, timestamp, signed) for signed in [text, *_signed_texts(text, payload)]]
        if not any(hmac.compare_digest(want.encode(), given.encode()) for want in expected for given in signatures):
            raise WebhookRejected("signature does not match the body (wrong key or altered body)")
        return _webhook_event(payload, str(timestamp), datetime.fromtimestamp(timestamp, UTC))


class _Referrals:
    """Referring employees by candidate. A full read pages through all referrals once, on the first
    referred candidate; an incremental read or a single fetch asks per referred candidate, so its cost
    follows the changes rather than the size of the account."""

    def __init__(self, connector: TeamtailorConnector, *, bulk: bool = False) -> None:
        self._connector = connector
        self._bulk = bulk
        self._index: dict[str, list[tuple[str | None, Referrer]]] | None = None

    def of(self, candidate_id: str) -> list[tuple[str | None, Referrer]]:
        if not self._bulk:
            return [(job, referrer) for _, job, referrer in self._connector.referrals(candidate_id)]
        if self._index is None:
            self._index = {}
            for candidate, job, referrer in self._connector.referrals():
                self._index.setdefault(candidate, []).append((job, referrer))
        return self._index.get(candidate_id, [])


# --- JSON:API helpers -----------------------------------------------------------------------------


def _pages(client: HttpClient, path: str, params: Mapping[str, Any], size: int) -> Iterator[dict[str, Any]]:
    """JSON:API list pages. Every Teamtailor list carries a top-level `links` object (first/last, and next
    while more remain, per the pagination page): a page without one could be a cut-off list, not the last
    page, so it is refused rather than taken as the end."""
    for document in json_api_pages(client, path, params, size=size):
        if not isinstance(document.get("links"), dict):
            raise MalformedResponse(f"GET {path}: a list page without its pagination links")
        yield document


def _record_count(document: Mapping[str, Any]) -> int | None:
    """`meta.record-count` when it is a count; it only feeds a progress display, so anything else is None."""
    meta = document.get("meta")
    count = meta.get("record-count") if isinstance(meta, dict) else None
    return count if isinstance(count, int) and not isinstance(count, bool) and count >= 0 else None


class _Included:
    """A compound document's `included` resources, found by (type, id)."""

    def __init__(self, resources: Any) -> None:
        if resources is None:
            resources = []
        if not isinstance(resources, list):
            raise MalformedResponse("`included` is not a list")
        self._by_key = {(r.get("type"), str(r.get("id"))): r for r in resources if isinstance(r, dict)}

    def get(self, reference: Mapping[str, Any] | None) -> dict[str, Any] | None:
        if not reference:
            return None
        return self._by_key.get((reference.get("type"), str(reference.get("id"))))


def _data(document: Any, where: str) -> Any:
    if not isinstance(document, dict) or "data" not in document:
        raise MalformedResponse(f"{where}: expected a JSON:API document with data")
    return document["data"]


def _resource(value: Any, what: str) -> dict[str, Any]:
    """A resource object with a string id and an attributes object, or MalformedResponse."""
    if not isinstance(value, dict) or value.get("id") in (None, ""):
        raise MalformedResponse(f"{what}: expected a JSON:API resource with an id")
    attributes = value.get("attributes", {})
    if not isinstance(attributes, dict):
        raise MalformedResponse(f"{what} {value['id']}: attributes is not an object")
    return {**value, "id": str(value["id"]), "attributes": attributes}


def _relationship_data(resource: Mapping[str, Any], name: str) -> Any:
    """`relationships.<name>.data`, or None where any level is missing or not an object."""
    relationships = resource.get("relationships")
    relationship = relationships.get(name) if isinstance(relationships, dict) else None
    return relationship.get("data") if isinstance(relationship, dict) else None


def _linkage(resource: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    data = _relationship_data(resource, name)
    return data if isinstance(data, dict) else None


def _linked_id(resource: Mapping[str, Any], name: str) -> str | None:
    linkage = _linkage(resource, name)
    return str(linkage["id"]) if linkage and linkage.get("id") is not None else None


def _included_linkage(resource: Mapping[str, Any], name: str, where: str) -> Any:
    """`relationships.<name>.data` of a relationship the request included. A JSON:API server gives the
    linkage (null or [] when empty) exactly for included relationships; without it an empty relationship
    cannot be told from a missing one, so its absence is a malformed answer, not an empty one."""
    relationships = resource.get("relationships")
    relationship = relationships.get(name) if isinstance(relationships, dict) else None
    if not isinstance(relationship, dict) or "data" not in relationship:
        raise MalformedResponse(f"{where}: no linkage (data) for the included relationship {name}")
    return relationship["data"]


def _to_one_id(resource: Mapping[str, Any], name: str, where: str) -> str | None:
    """The id a to-one included relationship links to, None when it links to nothing."""
    linkage = _included_linkage(resource, name, where)
    if linkage is None:
        return None
    identifier = linkage.get("id") if isinstance(linkage, dict) else None
    if identifier in (None, "") or isinstance(identifier, bool | dict | list):
        raise MalformedResponse(f"{where}: the {name} linkage has no id")
    return str(identifier)


def _included_one(resource: Mapping[str, Any], name: str, included: _Included, where: str) -> dict[str, Any] | None:
    """The included resource a to-one relationship links to; None when it links to nothing."""
    if _to_one_id(resource, name, where) is None:
        return None
    found = included.get(_linkage(resource, name))
    if found is None:
        raise MalformedResponse(f"{where}: {name} {_linkage(resource, name)} is linked but not included")
    return _resource(found, name)


def _member(attributes: Mapping[str, Any], name: str, where: str) -> Any:
    """A documented attribute the connector relies on: present (its value may be null), or MalformedResponse."""
    if name not in attributes:
        raise MalformedResponse(f"{where}: missing {name}")
    return attributes[name]


def _tags(attributes: Mapping[str, Any], where: str) -> tuple[str, ...]:
    tags = _member(attributes, "tags", where)
    if tags is None:
        return ()
    if not isinstance(tags, list):
        raise MalformedResponse(f"{where}: tags is not a list")
    return tuple(str(tag) for tag in tags)


# --- records --------------------------------------------------------------------------------------


def _application(resource: dict[str, Any], candidate_id: str, candidate: Mapping[str, Any], included: _Included,
                 referrals: list[tuple[str | None, Referrer]]) -> Application:
    attributes = resource["attributes"]
    where = f"job application {resource['id']}"
    stage = _included_one(resource, "stage", included, where)
    job = _included_one(resource, "job", included, where)
    changed_stage_at = _time(_member(attributes, "changed-stage-at", where), where)
    rejected_at = _time(_member(attributes, "rejected-at", where), where)
    outcome, closed_at = _outcome(stage, rejected_at, changed_stage_at)
    source = _source(candidate, attributes)
    job_id = _to_one_id(resource, "job", where)
    return Application(
        ats_id=resource["id"], candidate_id=candidate_id,
        updated_at=_required_time(attributes, "updated-at", where),
        outcome=outcome, job_id=job_id,
        job_name=_text(_member(job["attributes"], "title", f"job {job['id']}")) if job else None,
        applied_at=_time(_member(attributes, "created-at", where), where), closed_at=closed_at,
        rejection_reason=_reject_reason(resource, included, where),
        stages=_stages(stage, changed_stage_at), source=source,
        referrer=_pick_referrer(referrals, job_id) if source.kind is SourceKind.REFERRAL else None)


def _outcome(stage: Mapping[str, Any] | None, rejected_at: datetime | None, changed_stage_at: datetime | None
             ) -> tuple[Outcome, datetime | None]:
    """Hired when the application sits in the job's Hired stage; not hired once rejected; else active."""
    stage_type = str(_member(stage["attributes"], "stage-type", f"stage {stage['id']}") or "") if stage else ""
    if stage_type.casefold() == HIRED_STAGE_TYPE:
        return Outcome.HIRED, changed_stage_at
    if rejected_at is not None:
        return Outcome.NOT_HIRED, rejected_at
    return Outcome.ACTIVE, None


def _stages(stage: Mapping[str, Any] | None, changed_stage_at: datetime | None) -> tuple[StageReached, ...]:
    """Only the current stage: Teamtailor's API keeps no stage history on the application."""
    if stage is None:
        return ()
    name = _text(_member(stage["attributes"], "name", f"stage {stage['id']}")) or ""
    return (StageReached(ats_id=str(stage.get("id")), name=name, kind=classify_stage(name),
                         reached_at=changed_stage_at),)


def _reject_reason(resource: Mapping[str, Any], included: _Included, where: str) -> str | None:
    """Older API versions give a string attribute, newer ones a `reject-reason` relationship (included)."""
    attributes = resource["attributes"]
    if isinstance(attributes.get("reject-reason"), str):
        return attributes["reject-reason"] or None
    reason = _included_one(resource, "reject-reason", included, where)
    return _text(_member(reason["attributes"], "reason", f"reject reason {reason['id']}")) if reason else None


def _source(candidate: Mapping[str, Any], application: Mapping[str, Any]) -> Source:
    """Referred is per candidate; sourced and referring site are per application when given."""
    if candidate.get("referred"):
        return Source("Employee referral", SourceKind.REFERRAL)
    sourced = application["sourced"] if "sourced" in application else candidate.get("sourced")
    if sourced:
        return Source("Sourced", SourceKind.SOURCED)
    site = _text(application.get("referring-site")) or _text(candidate.get("referring-site"))
    return Source(site, SourceKind.APPLIED) if site else Source("Unknown", SourceKind.OTHER)


def _referrer(user: Mapping[str, Any]) -> Referrer:
    """The user's `name` and `email` must be there (null is allowed: `login-email` and `username` stand in)."""
    attributes, where = user["attributes"], f"user {user['id']}"
    name = _text(_member(attributes, "name", where)) or _text(attributes.get("username")) or GENERIC_REFERRER.name
    email = _text(_member(attributes, "email", where)) or _text(attributes.get("login-email"))
    return Referrer(name=name, email=email, ats_user_id=user["id"], is_employee=True)


def _pick_referrer(referrals: list[tuple[str | None, Referrer]], job_id: str | None) -> Referrer:
    """The referral for this application's job, else the candidate's first, else a generic employee."""
    for referral_job, referrer in referrals:
        if job_id is not None and referral_job == job_id:
            return referrer
    return referrals[0][1] if referrals else GENERIC_REFERRER


# --- values ---------------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _present(value: Any) -> tuple[str, ...]:
    text = _text(value)
    return (text,) if text else ()


def _time(value: Any, where: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise MalformedResponse(f"{where}: unreadable timestamp {str(value)[:40]!r}") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def _required_time(attributes: Mapping[str, Any], name: str, where: str) -> datetime:
    value = _time(attributes.get(name), where)
    if value is None:
        raise MalformedResponse(f"{where}: missing {name}")
    return value


def _iso(moment: datetime) -> str:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


# --- webhook helpers ------------------------------------------------------------------------------


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.casefold()
    return next((value for key, value in headers.items() if key.casefold() == wanted), None)


def _decoded_signature(header: str) -> str:
    try:
        return base64.b64decode(header.strip(), validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise WebhookRejected(f"{SIGNATURE_HEADER} is not base64 of a v2 or v1 signature") from None


def _is_v1(decoded: str) -> bool:
    """A v1 signature decodes to 64 hex digits; a v2 one to `t=…,v2=…`."""
    return len(decoded) == 64 and all(c in "0123456789abcdef" for c in decoded.lower())


def _parse_v2(decoded: str) -> tuple[int, list[str]]:
    """`t=<unix>,v2=<hex>` → (t, [hex, …])."""
    fields: dict[str, list[str]] = {}
    for part in decoded.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    if "t" not in fields or "v2" not in fields:
        raise WebhookRejected(f"{SIGNATURE_HEADER} carries neither a v2 signature (t=…,v2=…) nor a v1 one")
    try:
        timestamp = int(fields["t"][0])
    except ValueError:
        raise WebhookRejected(f"{SIGNATURE_HEADER} has an unreadable timestamp") from None
    return timestamp, fields["v2"]


def _hex_hmac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _resource_id(payload: Mapping[str, Any]) -> str:
    data = payload.get("data")
    if not isinstance(data, dict) or data.get("id") in (None, "") or isinstance(data.get("id"), bool | dict | list):
        raise WebhookRejected("payload lacks data.id")
    return str(data["id"])


def _webhook_payload(body: bytes) -> tuple[str, dict[str, Any]]:
    try:
        text = body.decode("utf-8")
        document = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        raise WebhookRejected("body is not UTF-8 JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("payload"), dict):
        raise WebhookRejected("body has no payload object")
    return text, document["payload"]


def _signed_texts(text: str, payload: dict[str, Any]) -> list[str]:
    """The payload's JSON text as Teamtailor signed it: the exact bytes of the `payload` member where they
    can be found, then the compact serialisation `JSON.stringify` produces."""
    texts = []
    exact = _raw_member(text, "payload", payload)
    if exact is not None:
        texts.append(exact)
    compact = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    if compact not in texts:
        texts.append(compact)
    return texts


def _raw_member(text: str, name: str, expected: Any) -> str | None:
    """The raw text of a top-level member's value, if found and equal to what the parser saw."""
    start = text.find(f'"{name}"')
    if start < 0:
        return None
    position = start + len(name) + 2
    while position < len(text) and text[position] in " \t\r\n:":
        position += 1
    try:
        value, end = json.JSONDecoder().raw_decode(text, position)
    except ValueError:
        return None
    return text[position:end] if value == expected else None


def _sign(secret: str, timestamp: int, signed: str) -> str:
    """`surrogatepass`: re-serialised, a lone surrogate (a \\u escape in the body) is text Teamtailor never
    signed; it must fail to match, not fail to encode."""
    return _hex_hmac(secret, f"{timestamp}.{signed}".encode("utf-8", "surrogatepass"))


def _webhook_event(payload: dict[str, Any], stamp: str, occurred_at: datetime | None) -> WebhookEvent:
    """The event id is `<event>:<resource id>:<stamp>` (the signed time, or a digest of a v1 body): Teamtailor
    sends no delivery id, and the resource id alone would let `candidate.update` of candidate 5 and
    `job_application.update` of application 5 shadow each other."""
    event = payload.get("event_name")
    if not isinstance(event, str) or not event:
        raise WebhookRejected("payload lacks event_name")
    resource_id = _resource_id(payload)
    kind = event.partition(".")[0]
    data = payload["data"]
    if kind == "candidate":
        candidate_id, resource = resource_id, None
    elif kind == "job_application":
        candidate_id, resource = _application_candidate(data), resource_id
    else:
        candidate_id, resource = None, None
    return WebhookEvent(event_id=f"{event}:{resource_id}:{stamp}", action=event, candidate_id=candidate_id,
                        occurred_at=occurred_at, payload=payload, resource_id=resource)


def _application_candidate(data: Mapping[str, Any]) -> str | None:
    """The documented job_application payload names no candidate; a linkage or an id attribute is used when
    present, else the job asks the API (TeamtailorConnector.candidate_for)."""
    linked = _linked_id(data, "candidate")
    if linked is not None:
        return linked
    attributes = data.get("attributes")
    attributes = attributes if isinstance(attributes, dict) else {}
    value = attributes.get("candidate-id", attributes.get("candidate_id"))
    return str(value) if value not in (None, "") and not isinstance(value, bool | dict | list) else None
