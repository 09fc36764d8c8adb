"""Ashby public API connector: candidates and applications in, notes and tags out, signed webhooks verified.

Ashby's API is RPC over HTTP: every call is `POST https://api.ashbyhq.com/<category>.<method>` with a JSON object
as its body and HTTP Basic auth with the API key as user name and an empty password. Every answer is an envelope:
`{"success": true, "results": ...}`, or `{"success": false, "errors": [...], "errorInfo": {code, message,
requestId}}` — and a logical failure (an unknown id, a bad input, an expired sync token) comes with **HTTP 200**,
so the envelope, not the status, decides. A Brobygger candidate is an Ashby candidate; an application is an
Ashby application (one candidate, one job).

Sources followed (read, then written up in our own words):
- Ashby's OpenAPI 3.1 document as mirrored in api-evangelist/ashby-hq (openapi/_original/ashby-openapi.yml):
  candidate.list / candidate.info (`name`, `emailAddresses`, `phoneNumbers`, `socialLinks` typed LinkedIn…,
  `tags`, `position`, `company`, `applicationIds`, `profileUrl`), application.list (`createdAfter`, `cursor`,
  `syncToken`, `limit` ≤ 100, `status`, `jobId`, `expand`), the application object (`status` ∈ Active, Hired,
  Archived, Lead; `currentInterviewStage` with `type`; `source` with `sourceType`; `archiveReason` with `text`
  and `reasonType`; `archivedAt`; `job`; `creditedToUser`), application.listHistory (`stageId`, `title`,
  `enteredStageAt`, `stageNumber`), candidate.createNote (`note: {type, value}`, `sendNotifications`),
  candidateTag.create (an existing title returns the existing tag), candidate.addTag (`candidateId`, `tagId`),
  the error envelope, and the webhook payloads (`action`, `data.application`, `data.candidate.id`,
  `data.deletedCandidate.id` / `data.mergedCandidate.id`, the ping's `data.webhookActionType`); its ids are
  strings in UUID format, as connectors/fixtures/ashby shows them.
- developers.ashbyhq.com: docs/authentication (401 for a missing key, 403 for a wrong or deactivated one or a
  missing permission, `Accept: application/json; version=1`), docs/pagination-and-incremental-sync (cursor
  pages until `moreDataAvailable` is false; the last page carries the `syncToken` for the next incremental
  pass), the changelog (2026-05-14: `incremental_sync_too_large` means discard the token and run a full sync;
  2026-08-04: `sync_token_expired`, `sync_token_invalid`, `next_cursor_expired`, `invalid_next_cursor`),
  docs/authenticating-webhooks (`Ashby-Signature: sha256=<hex HMAC-SHA256 of the raw body>` keyed with the
  webhook's secret token), docs/common-payload-data (`webhookActionId`, the same across retries and across
  webhooks for one event), docs/retries (up to 10 attempts with exponential backoff; 401, 403, 404, 405 and 410
  are not retried).

How `read(stream, since)` bridges a datetime to Ashby's sync tokens: Ashby has no "updated after" filter
(`createdAfter` sees new records only), so the only request proportional to the changes is one that carries the
`syncToken` of an earlier pass. After a pass has been consumed to its end, its token is kept in the LookupCache
(`sync_token:<stream>`, with the time the pass began; a token names no one) or, without a cache, in the
connector. A later read uses it when `since` is at most TOKEN_SLACK before that pass began: the sync engine's
bookmark is its own start minus five minutes, and anything that changed before the pass began was read by the
pass itself. An older `since` (a bookmark moved back), no stored token, or a token Ashby refuses
(`sync_token_expired`, `sync_token_invalid`, `incremental_sync_too_large`) means a full pass, as Ashby's guide
prescribes; it yields every record, and its last page earns a fresh token.

Mapping: Outcome follows `status` (Hired → hired, Archived → not hired, Active and Lead → active). The stages
reached are the application's history (application.listHistory, one call per application read), classified by
title; the closing Archived or Hired system stage (the current stage when it has that type) is the outcome, not
a stage reached, and is left out. `closed_at` is `archivedAt`, or, for a hire, when the Hired stage was entered.
The rejection reason is `archiveReason.text`. No reference list is read: application records embed their job,
source, archive reason and credited user.

Unconfirmed, and what we assumed:
- Ashby lists no default source types: the kind comes from words in `sourceType.title`, then in the source's
  own title (Referral, Agency, Event/fair/booth, Outbound/sourced, Inbound/applied/job board); anything else is
  OTHER.
- `creditedToUser` is read as the referrer only on a referral-sourced application (on others it is the user who
  sourced or is credited with it). A referrer who is no Ashby user has no place in these records, so such a
  referral reads back without a referrer.
- Whether a sync token marks the start or the end of the pass that earned it; the simulator assumes the start.
  Were it the end, a change made to an already-read record during a long full pass would wait for the next
  change or webhook.
- candidate.info's answer for an unknown id: an error envelope whose code ends in `_not_found` (the spec lists
  `application_not_found`; `candidate_not_found` is assumed by analogy). Both become NotFound.
- No rate limit is documented for these endpoints: 429s are waited out with `Retry-After` when sent and jittered
  backoff when not. No quota headers are documented, so none are read.
- `updatedAt` is optional on candidates in the spec: `createdAt` stands in, and a record with neither is refused.
- Notes have no author parameter: they are written as the user behind the API key, so no user id is needed.
- candidate.addTag with a tag the candidate already has is assumed harmless (tags are a set) and is retried
  freely; the connector checks the candidate's tags first anyway.
- The webhook payload schemas leave `webhookActionId` out, but the webhooks guide says every payload carries it:
  it is required, except on a ping, which falls back to a digest of its body. Ashby signs no timestamp, so a
  captured delivery can be replayed; deduplicating on `webhookActionId` is what stops it doing harm.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from connectors.base import Connector, LookupCache, Record
from connectors.errors import AuthError, Fatal, MalformedResponse, NotFound, Retriable, WebhookRejected
from connectors.http import ApiKeyAuth, HttpClient, Policy, json_body
from connectors.ids import UUID, IdShape
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

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.ashbyhq.com"
MAX_PAGE_SIZE = 100
ACCEPT = "application/json; version=1"  # as Ashby's authentication guide sends it
SIGNATURE_HEADER = "ashby-signature"
# The webhook events Brobygger subscribes to (manifest.yaml); the ping is answered too.
EVENTS: tuple[str, ...] = ("applicationSubmit", "applicationUpdate", "candidateStageChange", "candidateHire",
                           "candidateDelete", "candidateMerge")
APPLICATION_EVENTS = frozenset({"applicationSubmit", "applicationUpdate", "candidateStageChange", "candidateHire"})
# The engine's bookmark is its sync's start minus five minutes; the rest covers the time between that start and
# this stream's first request.
TOKEN_SLACK = timedelta(minutes=15)
LIST_METHODS = {"candidates": "candidate.list", "applications": "application.list"}
TOKEN_REFUSALS = frozenset({"sync_token_expired", "sync_token_invalid", "incremental_sync_too_large"})
CURSOR_REFUSALS = frozenset({"next_cursor_expired", "invalid_next_cursor"})
OUTCOMES = {"Active": Outcome.ACTIVE, "Lead": Outcome.ACTIVE, "Hired": Outcome.HIRED, "Archived": Outcome.NOT_HIRED}
CLOSING_STAGE_TYPES = frozenset({"Hired", "Archived"})
SOURCE_WORDS = (
    (SourceKind.REFERRAL, ("referral", "referred")),
    (SourceKind.AGENCY, ("agency",)),
    (SourceKind.EVENT, ("event", "fair", "conference", "meetup", "booth")),
    (SourceKind.SOURCED, ("outbound", "sourced", "sourcing", "prospect")),
    (SourceKind.APPLIED, ("inbound", "applied", "job board", "career", "website")),
)


class _MemoryCache:
    """Where the sync tokens live when the caller gives no LookupCache: this connector's lifetime."""

    def __init__(self) -> None:
        self._entries: dict[str, bytes] = {}

    def get(self, key: str) -> bytes | None:
        return self._entries.get(key)

    def set(self, key: str, value: bytes) -> None:
        self._entries[key] = value


class _SyncTokenRefused(Exception):
    """Ashby will not answer from this sync token: a full pass is due."""


@dataclass
class _Pass:
    """What the last page of a list told: the sync token for the next incremental pass."""

    sync_token: str | None = None


class AshbyConnector(Connector):
    vendor: ClassVar[str] = "ashby"
    streams: ClassVar[tuple[str, ...]] = ("candidates", "applications")
    credential_fields: ClassVar[tuple[str, ...]] = ("api_key",)
    # Ashby's ids travel in JSON bodies, never in a path; the shape still vets a launch's candidate id.
    candidate_id_shape: ClassVar[IdShape] = IdShape("Ashby", "UUIDs", UUID)

    def __init__(self, base_url: str, credentials: Mapping[str, str], *, policy: Policy | None = None,
                 sleep: Callable[[float], None] | None = None, page_size: int = MAX_PAGE_SIZE,
                 cache: LookupCache | None = None) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"Ashby pages hold 1 to {MAX_PAGE_SIZE} records")
        super().__init__(base_url, credentials, policy=policy, sleep=sleep, cache=cache)
        self.page_size = page_size
        self._tokens: LookupCache = cache if cache is not None else _MemoryCache()

    def _client(self, credentials: Mapping[str, str], policy: Policy,
                sleep: Callable[[float], None] | None) -> HttpClient:
        # No quota headers are documented: rate limiting rests on 429 + Retry-After in the client.
        return HttpClient(self.base_url, ApiKeyAuth.basic("Ashby", credentials["api_key"]), policy=policy,
                          sleep=sleep or time.sleep, headers={"Accept": ACCEPT})

    # --- the RPC call and its envelope -------------------------------------------------------------

    def _call(self, method: str, body: Mapping[str, Any], *, idempotent: bool = True) -> dict[str, Any]:
        """One RPC call. Reads are POSTs that change nothing, so they are retried like GETs; a write says so."""
        response = self.http.request("POST", method, json=dict(body), idempotent=idempotent)
        envelope = json_body(response, method)
        if not isinstance(envelope, dict):
            raise MalformedResponse(f"{method}: the answer is not a JSON object")
        if envelope.get("success") is True:
            return envelope
        if envelope.get("success") is False:
            raise _refusal(method, envelope, retrying_token="syncToken" in body)
        raise MalformedResponse(f"{method}: the answer has no success flag")

    def _result(self, method: str, body: Mapping[str, Any], *, idempotent: bool = True) -> dict[str, Any]:
        results = self._call(method, body, idempotent=idempotent).get("results")
        if not isinstance(results, dict):
            raise MalformedResponse(f"{method}: the answer has no results object")
        return results

    def _pages(self, method: str, params: Mapping[str, Any], finished: _Pass | None = None,
               limit: int = MAX_PAGE_SIZE) -> Iterator[list[dict[str, Any]]]:
        """Cursor pages: every request repeats the pass's filters (the sync token too) and adds the last
        `nextCursor`, until `moreDataAvailable` is false; that page's `syncToken` goes into `finished`."""
        cursor: str | None = None
        while True:
            envelope = self._call(method, {**params, "limit": limit, **({"cursor": cursor} if cursor else {})})
            results, more = envelope.get("results"), envelope.get("moreDataAvailable")
            if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
                raise MalformedResponse(f"{method}: the answer has no results list of objects")
            if not isinstance(more, bool):
                raise MalformedResponse(f"{method}: the answer does not say whether more data is available")
            yield results
            if not more:
                if finished is not None:
                    token = envelope.get("syncToken")
                    finished.sync_token = token if isinstance(token, str) and token else None
                return
            cursor = envelope.get("nextCursor")
            if not isinstance(cursor, str) or not cursor:
                raise MalformedResponse(f"{method}: more data is available but no nextCursor was given")

    # --- reads ------------------------------------------------------------------------------------

    def read(self, stream: str, since: datetime | None) -> Iterator[list[Record]]:
        if stream not in self.streams:
            raise ValueError(f"Ashby has no stream {stream!r}")
        method = LIST_METHODS[stream]
        token = self._stored_token(stream, since)
        started = datetime.now(UTC)
        finished = _Pass()
        if token is not None:
            try:
                for page in self._pages(method, {"syncToken": token}, finished, self.page_size):
                    yield self._records(stream, page)
            except _SyncTokenRefused as refused:
                log.info("Ashby %s: %s; running a full sync", method, refused)
                token = None
        if token is None:
            for page in self._pages(method, {}, finished, self.page_size):
                yield self._records(stream, page)
        # Only now, with every page taken by the caller, may the next read start from this pass's token.
        self._store_token(stream, finished.sync_token, started)

    def fetch_candidate(self, candidate_id: str) -> tuple[Candidate, list[Application]]:
        raw = self._result("candidate.info", {"id": self.check_candidate_id(candidate_id)})
        candidate = self._candidate(raw)
        application_ids = raw.get("applicationIds")
        if not isinstance(application_ids, list) or not all(isinstance(a, str) for a in application_ids):
            raise MalformedResponse("candidate.info: a candidate without applicationIds")
        applications = []
        for application_id in application_ids:
            application = _application_record(self._result("application.info", {"applicationId": application_id}))
            if application["candidate"]["id"] != candidate.ats_id:
                log.info("Ashby application %s now belongs to another candidate; skipped", application_id)
                continue
            applications.append(self._application(application))
        return candidate, applications

    def _records(self, stream: str, page: list[dict[str, Any]]) -> list[Record]:
        if stream == "candidates":
            return [self._candidate(item) for item in page]
        return [self._application(_application_record(item)) for item in page]

    def _candidate(self, raw: dict[str, Any]) -> Candidate:
        candidate_id, name = raw.get("id"), raw.get("name")
        if not isinstance(candidate_id, str) or not candidate_id or not isinstance(name, str):
            raise MalformedResponse("Ashby sent a candidate without an id or a name")
        first, _, last = name.strip().partition(" ")
        links = _objects(raw, "socialLinks")
        return Candidate(
            ats_id=candidate_id, first_name=first, last_name=last.strip(),
            updated_at=_time(raw.get("updatedAt") or raw.get("createdAt"), "a candidate's updatedAt"),
            emails=_values(raw, "emailAddresses", "value"), phones=_values(raw, "phoneNumbers", "value"),
            employer=_text(raw.get("company")), title=_text(raw.get("position")),
            linkedin_url=next((str(link["url"]) for link in links
                               if link.get("type") == "LinkedIn" and isinstance(link.get("url"), str)), None),
            tags=_values(raw, "tags", "title"), url=_text(raw.get("profileUrl")))

    def _application(self, raw: dict[str, Any]) -> Application:
        outcome = OUTCOMES[raw["status"]]
        history = [entry for page in self._pages("application.listHistory", {"applicationId": raw["id"]})
                   for entry in page]
        closing = _closing_stage(raw)
        visits = sorted((_visit(entry) for entry in history), key=lambda v: v[0])
        stages = tuple(StageReached(stage_id, title, classify_stage(title), entered)
                       for _, stage_id, title, entered in visits if stage_id != closing)
        closed_at = None
        if outcome is not Outcome.ACTIVE:
            entered_closing = [entered for _, stage_id, _, entered in visits if stage_id == closing]
            closed_at = (_time(raw["archivedAt"], "archivedAt") if raw.get("archivedAt")
                         else entered_closing[-1] if entered_closing else None)
        source = _source(raw.get("source"))
        job = raw["job"]
        return Application(
            ats_id=raw["id"], candidate_id=raw["candidate"]["id"], updated_at=_time(raw["updatedAt"], "updatedAt"),
            outcome=outcome, job_id=job["id"], job_name=_text(job.get("title")),
            applied_at=_time(raw["createdAt"], "createdAt"), closed_at=closed_at,
            rejection_reason=_archive_reason(raw.get("archiveReason")) if outcome is Outcome.NOT_HIRED else None,
            stages=stages, source=source,
            referrer=_referrer(raw.get("creditedToUser")) if source and source.kind is SourceKind.REFERRAL else None)

    # --- sync tokens --------------------------------------------------------------------------------

    def _stored_token(self, stream: str, since: datetime | None) -> str | None:
        """The token of an earlier pass, when it covers every change since `since`."""
        if since is None:
            return None
        raw = self._tokens.get(f"sync_token:{stream}")
        try:
            stored = json.loads(raw) if raw is not None else None
            token, began = stored["token"], datetime.fromisoformat(stored["began"])
        except (ValueError, TypeError, KeyError):
            return None  # nothing stored, or not by this module: a full pass is always correct
        since = since if since.tzinfo else since.replace(tzinfo=UTC)
        return token if isinstance(token, str) and since >= began - TOKEN_SLACK else None

    def _store_token(self, stream: str, token: str | None, began: datetime) -> None:
        if token is None:
            log.warning("Ashby %s: the last page carried no syncToken; the next read is a full pass", stream)
            return
        self._tokens.set(f"sync_token:{stream}", json.dumps({"token": token, "began": began.isoformat()}).encode())

    # --- writes ---------------------------------------------------------------------------------------

    def add_note(self, candidate_id: str, body: str) -> Note:
        if not body.strip():
            raise ValueError("a note needs some text")
        # Not repeatable: a retry after a lost answer could post the note twice.
        note = self._result("candidate.createNote", {"candidateId": self.check_candidate_id(candidate_id),
                                                     "note": {"type": "text/plain", "value": body},
                                                     "sendNotifications": False}, idempotent=False)
        if not isinstance(note.get("id"), str) or not note["id"]:
            raise MalformedResponse("candidate.createNote: the answer names no note id")
        created = note.get("createdAt")
        return Note(ats_id=note["id"], candidate_id=candidate_id, body=body,
                    created_at=_time(created, "a note's createdAt") if created else None)

    def add_tag(self, candidate_id: str, tag: str) -> None:
        if not tag.strip():
            raise ValueError("a tag needs a title")
        if tag in self._candidate(self._result("candidate.info", {"id": self.check_candidate_id(candidate_id)})).tags:
            return
        # candidateTag.create returns the existing tag for a title it knows, so it is safe to repeat.
        created = self._result("candidateTag.create", {"title": tag})
        if not isinstance(created.get("id"), str) or not created["id"]:
            raise MalformedResponse("candidateTag.create: the answer names no tag id")
        self._call("candidate.addTag", {"candidateId": candidate_id, "tagId": created["id"]})

    # --- webhooks ---------------------------------------------------------------------------------

    @staticmethod
    def verify_webhook(secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None
                       ) -> WebhookEvent:
        """`secret` is the webhook's secret token. The signature covers the raw body, so every field read here
        is authenticated. A signed action outside EVENTS is genuine and passes through (a refusal would only
        make Ashby retry it); the job decides what to do with it."""
        if not secret:
            raise WebhookRejected("no secret token is configured for this webhook")
        signature = next((value for name, value in headers.items() if name.lower() == SIGNATURE_HEADER), None)
        if not signature:
            raise WebhookRejected("the delivery has no Ashby-Signature header")
        algorithm, separator, digest = signature.strip().partition("=")
        if not separator or algorithm.lower() != "sha256" or not digest:
            raise WebhookRejected("the Ashby-Signature header is not of the form sha256=<hex>")
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        # `surrogatepass`: a header value no UTF-8 could produce must fail to match, not fail to encode
        if not hmac.compare_digest(expected.encode(), digest.lower().encode("utf-8", "surrogatepass")):
            raise WebhookRejected("the signature does not match the body")
        return _event(_delivery(body), body)


# --- webhook bodies ---------------------------------------------------------------------------------

def _delivery(body: bytes) -> dict[str, Any]:
    try:
        delivery = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookRejected("the body is not JSON") from None
    if not isinstance(delivery, dict):
        raise WebhookRejected("the body is not a JSON object")
    if not isinstance(delivery.get("action"), str) or not delivery["action"]:
        raise WebhookRejected("the delivery names no action")
    if not isinstance(delivery.get("data"), dict):
        raise WebhookRejected("the delivery has no data object")
    return delivery


def _event(delivery: dict[str, Any], body: bytes) -> WebhookEvent:
    action, data = delivery["action"], delivery["data"]
    action_id = delivery.get("webhookActionId")
    if action == "ping":
        if data.get("webhookActionType") != "ping":
            raise WebhookRejected("a ping whose data does not say ping")
        event_id = action_id if isinstance(action_id, str) and action_id else f"ping-{hashlib.sha256(body).hexdigest()}"
        return WebhookEvent(event_id=event_id, action=action, candidate_id=None, occurred_at=None, is_ping=True,
                            payload=delivery)
    if not isinstance(action_id, str) or not action_id:
        raise WebhookRejected("the delivery has no webhookActionId")
    candidate_id = resource_id = merged_into = None
    occurred_at = None
    if action in APPLICATION_EVENTS:
        application = _member(data, "application")
        resource_id = _id(application, "data.application")
        candidate_id = _id(_member(application, "candidate"), "data.application.candidate")
        occurred_at = _optional_time(application.get("updatedAt"))
    elif action == "candidateDelete":
        candidate_id = _id(_member(data, "candidate"), "data.candidate")
    elif action == "candidateMerge":
        candidate_id = _id(_member(data, "deletedCandidate"), "data.deletedCandidate")
        merged_into = _id(_member(data, "mergedCandidate"), "data.mergedCandidate")
    return WebhookEvent(event_id=action_id, action=action, candidate_id=candidate_id, occurred_at=occurred_at,
                        payload=delivery, resource_id=resource_id, merged_into=merged_into)


def _member(parent: dict[str, Any], name: str) -> dict[str, Any]:
    value = parent.get(name)
    if not isinstance(value, dict):
        raise WebhookRejected(f"the delivery has no {name} object")
    return value


def _id(record: dict[str, Any], where: str) -> str:
    value = record.get("id")
    if not isinstance(value, str) or not value:
        raise WebhookRejected(f"the delivery has no {where}.id")
    return value


def _optional_time(value: Any) -> datetime | None:
    try:
        return _time(value, "updatedAt") if value else None
    except MalformedResponse:
        return None  # informational only: the job re-reads the candidate from the API


# --- records ------------------------------------------------------------------------------------------

def _refusal(method: str, envelope: dict[str, Any], *, retrying_token: bool) -> Exception:
    """The typed error for an envelope with `success: false`."""
    info = envelope.get("errorInfo") if isinstance(envelope.get("errorInfo"), dict) else {}
    errors = envelope.get("errors") if isinstance(envelope.get("errors"), list) else []
    first = errors[0] if errors else None
    code = info.get("code") or (first.get("code") if isinstance(first, dict) else first) or "unknown_error"
    message = f"{method}: {code}: {info.get('message') or 'no message'}"
    if code in TOKEN_REFUSALS and retrying_token:
        return _SyncTokenRefused(message)
    if code in CURSOR_REFUSALS:
        return Retriable(f"{message} (the pass took too long; the next sync starts it again)")
    if str(code).endswith("_not_found"):
        return NotFound(message)
    if code == "missing_endpoint_permission":
        return AuthError(message)
    return Fatal(message)


def _application_record(raw: dict[str, Any]) -> dict[str, Any]:
    """An application with the fields every mapping step relies on checked once, so a gap fails loudly."""
    if not isinstance(raw.get("id"), str) or not raw["id"]:
        raise MalformedResponse("Ashby sent an application without an id")
    where = f"application {raw['id']}"
    if raw.get("status") not in OUTCOMES:
        raise MalformedResponse(f"{where}: unknown status {raw.get('status')!r}")
    for name in ("candidate", "currentInterviewStage", "job"):
        if not isinstance(raw.get(name), dict) or not isinstance(raw[name].get("id"), str) or not raw[name]["id"]:
            raise MalformedResponse(f"{where}: no {name} with an id")
    if not isinstance(raw["currentInterviewStage"].get("type"), str):
        raise MalformedResponse(f"{where}: its current stage has no type")
    for name in ("createdAt", "updatedAt"):
        if not raw.get(name):
            raise MalformedResponse(f"{where}: no {name}")
    return raw


def _closing_stage(raw: dict[str, Any]) -> str | None:
    """The id of the Archived or Hired system stage a closed application sits in: an outcome, not progress."""
    stage = raw["currentInterviewStage"]
    return stage["id"] if raw["status"] in ("Archived", "Hired") and stage["type"] in CLOSING_STAGE_TYPES else None


def _visit(entry: dict[str, Any]) -> tuple[int, str, str, datetime]:
    number, stage_id, title = entry.get("stageNumber"), entry.get("stageId"), entry.get("title")
    if (isinstance(number, bool) or not isinstance(number, int) or not isinstance(stage_id, str) or not stage_id
            or not isinstance(title, str)):
        raise MalformedResponse("application.listHistory: an entry without stageNumber, stageId or title")
    return number, stage_id, title, _time(entry.get("enteredStageAt"), "enteredStageAt")


def _source(raw: Any) -> Source | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("title"), str) or not raw["title"]:
        raise MalformedResponse("an application's source has no title")
    source_type = raw.get("sourceType")
    type_title = source_type.get("title") if isinstance(source_type, dict) else None
    return Source(name=raw["title"], kind=_source_kind(type_title, raw["title"]))


def _source_kind(*titles: Any) -> SourceKind:
    for title in titles:
        lowered = str(title or "").casefold()
        for kind, words in SOURCE_WORDS:
            if any(word in lowered for word in words):
                return kind
    return SourceKind.OTHER


def _referrer(user: Any) -> Referrer | None:
    if user is None:
        return None
    if not isinstance(user, dict) or not isinstance(user.get("id"), str) or not user["id"]:
        raise MalformedResponse("an application's creditedToUser has no id")
    name = " ".join(str(user.get(part) or "").strip() for part in ("firstName", "lastName")).strip()
    return Referrer(name=name or str(user.get("email") or user["id"]), email=_text(user.get("email")),
                    ats_user_id=user["id"], is_employee=True)


def _archive_reason(reason: Any) -> str | None:
    if reason is None:
        return None
    if not isinstance(reason, dict) or not isinstance(reason.get("text"), str):
        raise MalformedResponse("an application's archiveReason has no text")
    return reason["text"]


def _objects(raw: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = raw.get(name)
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise MalformedResponse(f"a candidate without a {name} list")
    return value


def _values(raw: dict[str, Any], name: str, member: str) -> tuple[str, ...]:
    """One member of every object in a list field, first seen first, without repeats."""
    values = []
    for item in _objects(raw, name):
        if not isinstance(item.get(member), str):
            raise MalformedResponse(f"a candidate's {name} entry without {member}")
        values.append(item[member])
    return tuple(dict.fromkeys(v for v in values if v))


def _text(value: Any) -> str | None:
    return (str(value).strip() or None) if value is not None else None


def _time(value: Any, what: str) -> datetime:
    """Ashby's timestamps are ISO 8601 with a Z (`2022-08-12T20:29:56.964Z`)."""
    if not isinstance(value, str) or not value:
        raise MalformedResponse(f"Ashby sent no {what}")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise MalformedResponse(f"Ashby sent an unreadable {what}: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
