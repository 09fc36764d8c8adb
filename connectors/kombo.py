"""Kombo unified ATS API connector: one API over many ATSs (ReachMee, Jobylon, Recruitee, SmartRecruiters,
Workday, SuccessFactors, Personio, Bullhorn, Teamtailor…). Candidates in with their applications, notes and
tags out, signed webhooks verified.

Kombo's model: a *candidate* embeds its *applications* (each with `outcome`, `current_stage`, `job`), so one
stream, `GET /ats/candidates`, gives both; Kombo ids (not the ATS's `remote_id`) are the stable keys. Every
request names the integration (one customer's ATS) in `X-Integration-Id`.

Sources followed (read, then written up in our own words):
- Kombo's generated SDKs, which carry its OpenAPI models: kombohq/python-sdk (src/kombo/models/
  getatscandidatesop.py and getatscandidatespositiveresponse.py: `cursor`, `page_size` ≤ 250 (default 100),
  `updated_after` matching a candidate when it or its applications or tags changed, `ids`, `include_deleted`,
  the envelope `{"status": "success", "data": {"next", "results"}}`, every field below;
  postatsapplicationsapplicationidnotes*.py and postatscandidatescandidateidtags*.py: the writes;
  getintegrationsintegrationidpositiveresponse.py: `data.tool.id`; komboatserror.py: the error codes;
  datachangedwebhookpayload.py, syncfinishedwebhookpayload.py, webhook*op.py: bodies and `X-Kombo-Signature`)
  and kombohq/typescript-sdk (docs/sdks/ats/README.md: the permissions "Add notes" and "Manage tags";
  docs/models/*: example bodies).
- docs.kombo.dev: /webhooks (HMAC-SHA256 of the request body with the Kombo webhook secret, digested as
  base64url without '=' padding, in `X-Kombo-Signature`; the sync-finished body and its sync_state values),
  /api-reference/data-changed, /ats/guides/data-changed-migration (data-changed replaces sync-finished; a
  periodic full fetch stays the safety net), /guides/errors (`{"status": "error", "error": {code, title,
  message, log_url}}`; PLATFORM.RATE_LIMIT_EXCEEDED and a load balancer's 503 are safe to retry),
  /ats/guides/concurrency-limiting (writes are capped per integration; 429 with
  PLATFORM.CONCURRENCY_LIMIT_EXCEEDED), /ats/implementation-guide/tracking-created-applications (outcome
  HIRED/DECLINED/PENDING; by default Kombo only syncs applications created through Kombo).

Ids: every Kombo id in the SDKs' examples is a string of letters and digits (`26vafvWSRmbhNcxJYqjCzuJg`), and an
integration id is the tool's slug, a colon and such a string (`reachmee:8d1hpPsbjxUkoCoa1veLZGe5`, the data-changed
example); an id of any other shape is refused before it reaches a path (connectors/ids.py).

How Kombo's fields map:
- Outcome: PENDING → active, HIRED → hired, DECLINED (rejected, or the candidate withdrew) → not hired. A
  null outcome (Kombo could not tell) is read as not hired when `rejected_at` is set, else active.
- closed_at is `rejected_at`; Kombo has no hire date, so a hire's closed_at stays None.
- Stages: Kombo exposes only the application's `current_stage`, no history and no time it was reached, so
  `stages` holds that one stage with `reached_at` None. For a rejected application it is the stage the
  process ended in, which is what "met" needs; stages passed earlier are not invented.
- Source: Kombo has one `source` text per candidate, given to each of its applications; its kind is read
  from words in the text (referral, agency, event, sourced, applied). Kombo has no referrer or credited-to
  user at all: `referrer` is always None.
- Notes go on an application (Kombo has no candidate notes): the candidate's most recently created one.
  Kombo answers a note with an empty `data` object, so `Note.ats_id` is that application's id.

Unconfirmed, and what this module assumes:
- Rate limit: Kombo documents neither numbers nor quota headers for it. No `RateLimitHeaders` are set; the
  client waits out a 429, honouring `Retry-After` when sent and backing off with jitter when not.
- An unknown integration id: assumed to answer 404 (PLATFORM.INTEGRATION_NOT_FOUND); read as AuthError,
  since a list endpoint has no record to miss.
- A refused API key: assumed 401; an API key cannot be refreshed, so the first 401 is final.
- The cursor: sent back with the same filters, as Kombo's own fetching example does.
- A tag written through Kombo shows on the candidate's next read (add_tag reads before it writes, so a
  second call is a no-op).
- Deliveries: Kombo signs no timestamp, so no replay window can be enforced; the event `id` is assumed to
  stay the same on a retried delivery and is the dedupe key. Kombo sends every integration's events to each
  webhook URL of the account: a delivery names its integration (`integration_of`), and the app must drop
  deliveries for an integration that is not the installation's.
- data-changed asks for a sync only when a model that moves `GET /ats/candidates?updated_after=` changed
  (ats_candidates, ats_applications, ats_join_candidates_tags): Kombo documents that changes to a job, a
  stage or a tag's own record do not.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from connectors.base import Connector, LookupCache, Record
from connectors.errors import AuthError, Fatal, MalformedResponse, NotFound, WebhookRejected
from connectors.http import ApiKeyAuth, HttpClient, Policy, json_body
from connectors.ids import IdShape
from connectors.types import (
    Application,
    Candidate,
    Note,
    Outcome,
    Source,
    SourceKind,
    StageReached,
    WebhookEvent,
    classify_stage,
)

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.kombo.dev/v1"
MAX_PAGE_SIZE = 250
ID = IdShape("Kombo", "strings of letters and digits", re.compile(r"[A-Za-z0-9]{1,64}"))
INTEGRATION_ID = IdShape("Kombo", "a tool's slug, a colon and letters and digits",
                         re.compile(r"[a-z0-9_-]{1,64}:[A-Za-z0-9]{1,64}"))
SIGNATURE_HEADER = "X-Kombo-Signature"
# The webhook events this connector handles. data-changed is Kombo's current event; sync-finished is the
# older one, still sent to accounts that subscribe to it.
EVENTS: tuple[str, ...] = ("data-changed", "sync-finished")
# Models whose change moves GET /ats/candidates?updated_after=… (per Kombo's table for that filter).
CANDIDATE_MODELS = frozenset({"ats_candidates", "ats_applications", "ats_join_candidates_tags"})
USABLE_SYNC_STATES = frozenset({"SUCCEEDED", "PARTIALLY_FAILED"})  # the sync left data worth reading
OUTCOMES = {"PENDING": Outcome.ACTIVE, "HIRED": Outcome.HIRED, "DECLINED": Outcome.NOT_HIRED}

# Fields Kombo documents as always present (nullable or not) that this connector reads.
CANDIDATE_FIELDS = ("id", "first_name", "last_name", "company", "title", "source", "remote_url", "changed_at",
                    "applications", "tags")
APPLICATION_FIELDS = ("id", "outcome", "rejection_reason_name", "rejected_at", "changed_at", "remote_created_at",
                      "current_stage", "job")

# Kombo's `source` is free text: its kind is read from words in it, most specific first.
_SOURCE_WORDS = (
    (SourceKind.REFERRAL, ("referr", "referal", "anbefal", "henvis", "tips")),
    (SourceKind.AGENCY, ("agency", "byrå", "byra", "headhunt", "bemanning", "rekrutteringsfirma")),
    (SourceKind.EVENT, ("event", "fair", "messe", "booth", "stand", "meetup", "conference", "konferanse",
                        "career day", "karrieredag")),
    (SourceKind.SOURCED, ("sourc", "prospect", "linkedin", "outreach", "hunt")),
    (SourceKind.APPLIED, ("website", "career", "karriere", "job board", "jobboard", "finn", "applied", "direct",
                          "nettside", "søknad", "application")),
)


class KomboConnector(Connector):
    vendor: ClassVar[str] = "kombo"
    streams: ClassVar[tuple[str, ...]] = ("candidates",)
    credential_fields: ClassVar[tuple[str, ...]] = ("api_key", "integration_id")
    candidate_id_shape: ClassVar[IdShape] = ID

    def __init__(self, base_url: str, credentials: Mapping[str, str], *, policy: Policy | None = None,
                 sleep: Callable[[float], None] | None = None, page_size: int = MAX_PAGE_SIZE,
                 cache: LookupCache | None = None) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"Kombo pages hold 1 to {MAX_PAGE_SIZE} records")
        super().__init__(base_url, credentials, policy=policy, sleep=sleep, cache=cache)
        self.page_size = page_size
        self.integration_id = credentials["integration_id"]
        self._tool: str | None = None

    def _client(self, credentials: Mapping[str, str], policy: Policy,
                sleep: Callable[[float], None] | None) -> HttpClient:
        # No quota headers are documented: rate limiting rests on 429 (+ Retry-After when sent) in the client.
        return HttpClient(self.base_url, ApiKeyAuth.bearer("Kombo", credentials["api_key"]), policy=policy,
                          headers={"X-Integration-Id": credentials["integration_id"]}, sleep=sleep or time.sleep)

    # --- reads ------------------------------------------------------------------------------------

    def read(self, stream: str, since: datetime | None) -> Iterator[list[Record]]:
        if stream not in self.streams:
            raise ValueError(f"Kombo has no stream {stream!r}")
        params = {"updated_after": to_kombo_time(since)} if since is not None else {}
        for page in self._pages("ats/candidates", params):
            records: list[Record] = []
            for raw in page:
                candidate, applications = self._parse(raw)
                records.append(candidate)
                records.extend(applications)
            yield records

    def fetch_candidate(self, candidate_id: str) -> tuple[Candidate, list[Application]]:
        return self._parse(self._raw_candidate(candidate_id))

    def reaches(self) -> str | None:
        """The underlying ATS's tool id in Kombo ("reachmee", "jobylon", …), read once and kept in the cache:
        it names no one and changes only if the integration is replaced."""
        if self._tool is None:
            cached = self.cache.get("integration_tool") if self.cache is not None else None
            self._tool = cached.decode() if cached else self._read_tool()
            if self.cache is not None and not cached:
                self.cache.set("integration_tool", self._tool.encode())
        return self._tool

    def _read_tool(self) -> str:
        path = f"integrations/{INTEGRATION_ID.check(self.integration_id, 'integration')}"
        try:
            data = _data(self.http.get_json(path), f"GET {path}")
        except NotFound:
            raise AuthError(f"Kombo knows no integration {self.integration_id}") from None
        tool = data.get("tool")
        if not isinstance(tool, dict) or not isinstance(tool.get("id"), str) or not tool["id"]:
            raise MalformedResponse(f"GET {path}: the integration names no tool id")
        if "category" not in data:
            raise MalformedResponse(f"GET {path}: the integration has no category")
        if data["category"] != "ATS":
            raise Fatal(f"Kombo integration {self.integration_id} is a {data['category']} integration, not an ATS")
        return tool["id"]

    def _pages(self, path: str, params: Mapping[str, Any], page_size: int | None = None
               ) -> Iterator[list[dict[str, Any]]]:
        """Kombo's cursor pages: `data.next` goes back as `cursor` with the same filters; null ends the list."""
        cursor: str | None = None
        while True:
            query = {**params, "page_size": page_size or self.page_size, **({"cursor": cursor} if cursor else {})}
            try:
                data = _data(self.http.get_json(path, query), f"GET {path}")
            except NotFound:
                # a list has no record to miss: the integration itself is unknown (deleted, or a wrong id)
                raise AuthError(f"Kombo knows no integration {self.integration_id}") from None
            if not isinstance(data.get("results"), list) or "next" not in data:
                raise MalformedResponse(f"GET {path}: expected data with results and next")
            if not all(isinstance(item, dict) for item in data["results"]):
                raise MalformedResponse(f"GET {path}: a result that is not an object")
            yield data["results"]
            cursor = data["next"]
            if cursor is None:
                return
            if not isinstance(cursor, str) or not cursor:
                raise MalformedResponse(f"GET {path}: next is neither a cursor nor null")

    def _raw_candidate(self, candidate_id: str) -> dict[str, Any]:
        """Kombo has no single-candidate endpoint: the list filtered by id. Deleted candidates are left out."""
        candidate_id = ID.check(candidate_id, "candidate")
        for page in self._pages("ats/candidates", {"ids": candidate_id}, page_size=1):
            for raw in page:
                if raw.get("id") == candidate_id:
                    return raw
        raise NotFound(f"Kombo has no candidate {candidate_id}")

    def _parse(self, raw: dict[str, Any]) -> tuple[Candidate, list[Application]]:
        candidate = _candidate(raw)
        source = _source(raw["source"])
        return candidate, [_application(item, candidate.ats_id, source) for item in raw["applications"]]

    # --- writes -----------------------------------------------------------------------------------

    def add_note(self, candidate_id: str, body: str) -> Note:
        if not body.strip():
            raise ValueError("a note needs some text")
        raw = self._raw_candidate(candidate_id)
        application = _latest_application(raw)
        path = f"ats/applications/{ID.check(application['id'], 'application')}/notes"
        response = self.http.request("POST", path, json={"content": body, "content_type": "PLAIN_TEXT"})
        _data(json_body(response, f"POST {path}"), f"POST {path}")
        return Note(ats_id=str(application["id"]), candidate_id=candidate_id, body=body,
                    created_at=datetime.now(UTC))

    def add_tag(self, candidate_id: str, tag: str) -> None:
        if not tag.strip():
            raise ValueError("a tag needs a name")
        raw = self._raw_candidate(candidate_id)
        if tag in _tag_names(raw):
            return
        path = f"ats/candidates/{ID.check(candidate_id, 'candidate')}/tags"
        response = self.http.request("POST", path, json={"tag": {"name": tag}})
        _data(json_body(response, f"POST {path}"), f"POST {path}")

    # --- webhooks ---------------------------------------------------------------------------------

    @staticmethod
    def verify_webhook(secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None
                       ) -> WebhookEvent:
        """`secret` is the Kombo webhook secret of the account. Kombo signs the raw body (base64url HMAC-SHA256,
        no padding) and no timestamp, so `now` has nothing to bound: replays are caught by deduplicating on the
        event id. Kombo's events name an integration, never a record: data-changed and a usable sync-finished
        set `sync_wanted`. Other signed events (integration-created, …) pass through with nothing wanted."""
        if not secret:
            raise WebhookRejected("no Kombo webhook secret is configured for this installation")
        given = _header(headers, SIGNATURE_HEADER)
        if not given:
            raise WebhookRejected(f"the delivery has no {SIGNATURE_HEADER} header")
        # Kombo sends no '=' padding; a padded value is the same signature
        presented = given.strip().rstrip("=").encode("utf-8", "surrogatepass")
        if not hmac.compare_digest(sign(secret, body).encode(), presented):
            raise WebhookRejected(f"the {SIGNATURE_HEADER} signature does not match the body")
        return _event(_delivery(body))

    @staticmethod
    def concerns(event: WebhookEvent, credentials: Mapping[str, str]) -> bool:
        """Kombo has one webhook secret per account and posts every integration's events to each URL: only the
        installation's own integration is ours."""
        return integration_of(event) == credentials.get("integration_id")


def integration_of(event: WebhookEvent) -> str | None:
    """The Kombo integration a verified delivery is about: the app compares it with the installation's
    integration_id, because Kombo posts every integration's events to each of the account's webhook URLs."""
    data = event.payload.get("data") if isinstance(event.payload, dict) else None
    if not isinstance(data, dict):
        return None
    found = data.get("integration_id") or (data.get("id") if event.action.startswith("integration-") else None)
    return str(found) if found else None


def sign(secret: str, body: bytes) -> str:
    """Kombo's signature of a delivery: base64url of HMAC-SHA256(secret, raw body), without '=' padding."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


# --- parsing ----------------------------------------------------------------------------------------

def _data(body: Any, what: str) -> dict[str, Any]:
    """The `data` of Kombo's `{"status": "success", "data": …}` envelope."""
    if not isinstance(body, dict) or body.get("status") != "success":
        raise MalformedResponse(f"{what}: the answer is not Kombo's success envelope")
    if not isinstance(body.get("data"), dict):
        raise MalformedResponse(f"{what}: the answer has no data object")
    for warning in body.get("warnings") or []:
        if isinstance(warning, dict):
            log.info("%s: Kombo warns: %s", what, warning.get("message"))
    return body["data"]


def _require(record: Mapping[str, Any], names: tuple[str, ...], what: str) -> None:
    """Kombo sends every documented field, null when it has no value: a missing one is a broken answer."""
    missing = [name for name in names if name not in record]
    if missing:
        raise MalformedResponse(f"a Kombo {what} without {', '.join(missing)}")


def _candidate(raw: dict[str, Any]) -> Candidate:
    _require(raw, CANDIDATE_FIELDS, "candidate")
    if not isinstance(raw["id"], str) or not raw["id"]:
        raise MalformedResponse("a Kombo candidate without an id")
    if not isinstance(raw["applications"], list) or not isinstance(raw["tags"], list):
        raise MalformedResponse(f"Kombo candidate {raw['id']}: applications and tags must be lists")
    emails = [e.get("email_address") for e in raw.get("email_addresses") or [] if isinstance(e, dict)]
    phones = [p.get("phone_number") for p in raw.get("phone_numbers") or [] if isinstance(p, dict)]
    return Candidate(
        ats_id=raw["id"], first_name=_text(raw["first_name"]) or "", last_name=_text(raw["last_name"]) or "",
        updated_at=_required_time(raw["changed_at"], "changed_at"),
        emails=tuple(dict.fromkeys(str(e) for e in emails if e)),
        phones=tuple(dict.fromkeys(str(p) for p in phones if p)),
        employer=_text(raw["company"]), title=_text(raw["title"]), linkedin_url=_linkedin(raw.get("social_media")),
        tags=_tag_names(raw), url=_text(raw["remote_url"]))


def _application(raw: Any, candidate_id: str, source: Source | None) -> Application:
    if not isinstance(raw, dict):
        raise MalformedResponse(f"Kombo candidate {candidate_id}: an application that is not an object")
    _require(raw, APPLICATION_FIELDS, "application")
    if not isinstance(raw["id"], str) or not raw["id"]:
        raise MalformedResponse(f"Kombo candidate {candidate_id}: an application without an id")
    rejected_at = _time(raw["rejected_at"], "rejected_at")
    outcome = _outcome(raw["outcome"], rejected_at)
    job = raw["job"]
    if job is not None and (not isinstance(job, dict) or "id" not in job):
        raise MalformedResponse(f"Kombo application {raw['id']}: a job without an id")
    return Application(
        ats_id=raw["id"], candidate_id=candidate_id, updated_at=_required_time(raw["changed_at"], "changed_at"),
        outcome=outcome, job_id=str(job["id"]) if job and job["id"] else None,
        job_name=_text(job.get("name")) if job else None,
        applied_at=_time(raw["remote_created_at"], "remote_created_at"),
        closed_at=rejected_at if outcome is Outcome.NOT_HIRED else None,
        rejection_reason=_text(raw["rejection_reason_name"]) if outcome is Outcome.NOT_HIRED else None,
        stages=_stages(raw["current_stage"], raw["id"]), source=source)


def _outcome(value: Any, rejected_at: datetime | None) -> Outcome:
    if value is None:  # Kombo could not tell: a rejection date still says it ended
        return Outcome.NOT_HIRED if rejected_at else Outcome.ACTIVE
    if value not in OUTCOMES:
        raise MalformedResponse(f"an application outcome Kombo does not document: {value!r}")
    return OUTCOMES[value]


def _stages(stage: Any, application_id: str) -> tuple[StageReached, ...]:
    """The one stage Kombo knows: the current one. A stage without a name cannot be classified: left out."""
    if stage is None:
        return ()
    if not isinstance(stage, dict) or "id" not in stage or "name" not in stage:
        raise MalformedResponse(f"Kombo application {application_id}: a current_stage without id or name")
    name = _text(stage["name"])
    if not name:
        return ()
    return (StageReached(str(stage["id"]), name, classify_stage(name), None),)


def _source(text: Any) -> Source | None:
    name = _text(text)
    return Source(name=name, kind=source_kind(name)) if name else None


def source_kind(text: str) -> SourceKind:
    lowered = text.casefold()
    for kind, words in _SOURCE_WORDS:
        if any(word in lowered for word in words):
            return kind
    return SourceKind.OTHER


def _latest_application(raw: dict[str, Any]) -> dict[str, Any]:
    """Notes go on the most recently created application, where a recruiter looks first."""
    applications = [a for a in raw["applications"] if isinstance(a, dict) and a.get("id")]
    if not applications:
        raise Fatal(f"Kombo candidate {raw['id']} has no application to write a note on")
    epoch = datetime.min.replace(tzinfo=UTC)
    return max(applications, key=lambda a: _time(a.get("remote_created_at"), "remote_created_at") or epoch)


def _tag_names(raw: Mapping[str, Any]) -> tuple[str, ...]:
    names = []
    for tag in raw["tags"]:
        if not isinstance(tag, dict) or "name" not in tag:
            raise MalformedResponse(f"Kombo candidate {raw.get('id')}: a tag without a name")
        if tag["name"]:
            names.append(str(tag["name"]))
    return tuple(dict.fromkeys(names))


def _linkedin(accounts: Any) -> str | None:
    for account in accounts or []:
        if isinstance(account, dict) and account.get("link"):
            link = str(account["link"])
            if "linkedin.com" in link.casefold() or str(account.get("type") or "").upper() == "LINKEDIN":
                return link
    return None


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def to_kombo_time(moment: datetime) -> str:
    """Kombo's `YYYY-MM-DDTHH:mm:ss.sssZ` (a naive time is taken as UTC)."""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _time(value: Any, name: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedResponse(f"{name} is not an ISO 8601 time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise MalformedResponse(f"{name} is not an ISO 8601 time: {value[:40]!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _required_time(value: Any, name: str) -> datetime:
    moment = _time(value, name)
    if moment is None:
        raise MalformedResponse(f"a Kombo record with a null {name}")
    return moment


# --- webhooks ---------------------------------------------------------------------------------------

def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.casefold()
    return next((value for key, value in headers.items() if key.casefold() == wanted), None)


def _delivery(body: bytes) -> dict[str, Any]:
    try:
        delivery = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookRejected("the body is not JSON") from None
    if not isinstance(delivery, dict):
        raise WebhookRejected("the body is not a JSON object")
    for name in ("id", "type"):
        if not isinstance(delivery.get(name), str) or not delivery[name]:
            raise WebhookRejected(f"the delivery has no {name}")
    if not isinstance(delivery.get("data"), dict):
        raise WebhookRejected("the delivery has no data object")
    return delivery


def _event(delivery: dict[str, Any]) -> WebhookEvent:
    kind, data = delivery["type"], delivery["data"]
    wanted, occurred_at = False, None
    if kind in EVENTS:
        for name in ("integration_id", "integration_category"):
            if not isinstance(data.get(name), str) or not data[name]:
                raise WebhookRejected(f"the {kind} delivery names no {name}")
        is_ats = data["integration_category"] == "ATS"
        if kind == "data-changed":
            wanted = is_ats and bool(_changed_models(data) & CANDIDATE_MODELS)
        else:
            if not isinstance(data.get("sync_state"), str):
                raise WebhookRejected("the sync-finished delivery has no sync_state")
            wanted = is_ats and data["sync_state"] in USABLE_SYNC_STATES
            occurred_at = _delivery_time(data.get("sync_ended_at"))
    return WebhookEvent(event_id=delivery["id"], action=kind, candidate_id=None, occurred_at=occurred_at,
                        payload=delivery, sync_wanted=wanted)


def _changed_models(data: Mapping[str, Any]) -> set[str]:
    models = data.get("changed_models")
    if not isinstance(models, list) or not all(isinstance(m, dict) and isinstance(m.get("name"), str)
                                               for m in models):
        raise WebhookRejected("the data-changed delivery has no list of changed_models")
    return {m["name"] for m in models}


def _delivery_time(value: Any) -> datetime | None:
    try:
        return _time(value, "sync_ended_at")
    except MalformedResponse:
        raise WebhookRejected("sync_ended_at is not an ISO 8601 time") from None
