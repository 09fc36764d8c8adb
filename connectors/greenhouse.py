"""Greenhouse Harvest API v3 connector (v1/v2 are switched off; this speaks v3 only).

Sources followed (stored copies, read late 2026; facts restated in our own words):
- harvestdocs.greenhouse.io guides. Authentication: custom integrations use the OAuth client-credentials grant at
  https://auth.greenhouse.io/token with the client id/secret as HTTP Basic, a form body `grant_type=client_credentials`
  and an optional `sub=<numeric user id>` naming the acting user. Pagination: cursor pages; the next URL arrives in
  `Link: <...>; rel="next"` (no prev/last), `per_page` and filters go on the first request only, and a request with
  `cursor` must carry no other query parameter. Standardizations: ISO 8601 UTC `*_at` fields, parents' ids on
  children, `created_at`/`updated_at` on (nearly) every resource. READ/WRITE migration guides: the v1 activity feed
  became `/v3/notes`, tags became `/v3/candidate_tags` + `/v3/applied_candidate_tags`. Partner OAuth guide: access
  tokens live one hour.
- grnhse/greenhouse-api-docs, source/includes/webhooks/_introduction.md and _candidate_events.md: the
  `Signature: sha256 <hex>` header (HMAC-SHA256 of the raw body with the hook's secret key), the per-delivery
  `Greenhouse-Event-ID` header (outside the signature), unicode escaped before signing, and where each action's
  payload keeps the candidate
  (`payload.application.candidate.id`, `payload.candidate.id`, `payload.person.id`, `payload.candidate_id`);
  `merge_candidate` carries the delete payload plus `person.new_candidate_id`, the surviving candidate.
  The bodies of every event Brobygger listens to are in connectors/fixtures/greenhouse/.
- The v3 rejection-reasons reference: the built-in reasons are listed only with `include_defaults=true`.
- airbytehq/airbyte source-greenhouse (manifest.yaml, CONTRIBUTING.md; built on the v3 spec): `per_page` 1-500 with a
  default of 100, 422 for a cursor combined with other parameters, the `updated_at=gte|<ISO>` filter form (checked
  there against the docs' request builder), pages ordered by id descending, `*_ids` filters capped at 50 ids, and the
  field lists used below: applications (`candidate_id`, `job_id`, `status`, `rejected_at`, `rejection_reason_id`,
  `source_id`, `referrer_id`, `job_interview_stage_id`, `stage_name`), candidates, sources (`type` = sourcing
  strategy `{id, name}`), referrers (`name`, `user_id`; `applications.referrer_id` points at a referrer, not a user),
  rejection_reasons (`type.key`), application_stages (stage history: `application_id`, `job_interview_stage_id`,
  `entered_at`, `exited_at`, `current`), applied_candidate_tags (`candidate_id`, `candidate_tag_id`).
- Public v3 client code (a Greenhouse MCP server's client, tests and migration notes checked against a live account;
  a TypeScript Harvest v3 client): v3 has no `/{collection}/{id}` read routes, so one record is read with `ids=`;
  cross-reference filters are plural (`candidate_ids`, `application_ids`); `POST /v3/notes` needs `note_type: "NOTE"`
  and a `visibility`; `POST /v3/applied_candidate_tags` takes `candidate_id` + `candidate_tag_id` and a tag must first
  exist in `/v3/candidate_tags` (created with `{name}`); Greenhouse does not check that a note's `candidate_id` exists,
  so a note aimed at a wrong id becomes an orphan nobody can delete through the API.

Unconfirmed, and what this module assumes:
- Token expiry: one flow reports an absolute `expires_at`, another client reads `expires_in`; the shared
  OAuthClientCredentials accepts either. The one-hour lifetime is documented for the partner flow only.
- Quota window: secondary sources disagree (fixed 30 s vs rolling 10 s). Nothing is hard-coded: the shared client
  reads X-RateLimit-Remaining/Reset and Retry-After.
- Date filter syntax: one public client claims `updated_at[gte]=...`; we send `updated_at=gte|<ISO>` as the contract,
  Airbyte and the docs' request builder do.
- Application status: the v3 schema says `in_process` for live applications while webhooks still say `active`; both
  read as ACTIVE, `converted` (a prospect moved onto a job) too, `hired` as HIRED, `rejected` as NOT_HIRED.
- Stages reached come from `/v3/application_stages` (filtered by `application_ids`) named through
  `/v3/job_interview_stages`. When an application has no history rows, the current stage (`stage_name` /
  `job_interview_stage_id`) stands in; v3 clears the current stage on closed applications, so those then carry none.
- Sourcing-strategy names (Referral, Prospecting, Agencies, In person event, Company marketing, Third-party boards,
  ...) are matched by keyword, v1 keys (referrals, attend_events, ...) too.
- Note visibility values (`public`, `private`, `admin_only`) are seen only in client code; notes are written `public`
  so the whole hiring team sees the follow-up. Applying a tag twice is avoided by reading the applied tags first.
- The ping sent when a hook is saved is not documented in detail: an `action` of `ping`, or a body naming a
  `web_hook_id` without an action, counts as the ping. Greenhouse signs no timestamp, so `now` cannot bound replays;
  the app dedupes on the event id. That id is the SHA-256 of the raw body, the only thing Greenhouse signs: the
  Greenhouse-Event-ID header is not signed, so anyone holding one captured delivery could replay it under fresh
  headers as often as they liked. A retry carries the same body and so the same id. Two events with byte-identical
  bodies describe the same state of the candidate, so the second has nothing to add: its job would re-read the
  same candidate (and the periodic sync remains the safety net).
- The candidate page URL follows webhook payloads (`https://app.greenhouse.io/people/<id>`); the optional
  credential `app_url` overrides the host.
- Every documented field this module reads is taken to be present on every row, null when it has no value, as the
  v3 examples and the schema's nullable types show it (connectors/fixtures/greenhouse holds each response's
  documented shape): a row without one is refused as malformed rather than read as empty (`_FIELDS`). The create
  answers are taken to be the created record as the list shows it.
Scopes a credential needs: candidates, applications, application_stages, job_interview_stages, jobs, sources,
referrers, users, rejection_reasons, candidate_tags and applied_candidate_tags (list), notes, candidate_tags and
applied_candidate_tags (create).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from connectors.base import Connector, LookupCache, Record
from connectors.errors import Fatal, MalformedResponse, NotFound, WebhookRejected
from connectors.http import HttpClient, OAuthClientCredentials, Policy, RateLimitHeaders, json_body
from connectors.ids import DECIMAL, IdShape
from connectors.lookups import Lookup
from connectors.pagination import link_header_pages
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

TOKEN_URL = "https://auth.greenhouse.io/token"
APP_URL = "https://app.greenhouse.io"
LOOKUP_PAGE = 500  # v3's largest page: lookup tables come in as few requests as possible
MAX_IDS = 50  # v3 refuses more ids than this in one `*_ids` filter
NOTE_VISIBILITY = "public"
ID = IdShape("Greenhouse", "decimal integers", DECIMAL)  # v3 Standardizations: integer ids
_EARLIEST = datetime.min.replace(tzinfo=UTC)

_STATUS_OUTCOMES = {"hired": Outcome.HIRED, "rejected": Outcome.NOT_HIRED}
# The documented members of each list's rows that this module reads. v3 sends them null when empty; a row without
# one is a changed or broken answer, refused instead of read as an empty value (a missing `status` would read as
# a live application, a missing `application_id` as a process without history).
_FIELDS: dict[str, tuple[str, ...]] = {
    "candidates": ("id", "first_name", "last_name", "company", "title", "email_addresses", "phone_numbers",
                   "social_media_addresses", "tags", "updated_at"),
    "applications": ("id", "candidate_id", "job_id", "status", "created_at", "updated_at", "rejected_at",
                     "rejection_reason_id", "source_id", "referrer_id", "job_interview_stage_id", "stage_name"),
    "application_stages": ("id", "application_id", "job_interview_stage_id", "entered_at", "exited_at"),
    "job_interview_stages": ("id", "name"),
    "jobs": ("id", "name"),
    "sources": ("id", "name", "type"),
    "rejection_reasons": ("id", "name"),
    "referrers": ("id", "name", "user_id"),
    "users": ("id", "name", "first_name", "last_name", "primary_email"),
    "candidate_tags": ("id", "name"),
    "applied_candidate_tags": ("id", "candidate_id", "candidate_tag_id"),
}
_VALUE_LISTS = ("email_addresses", "phone_numbers", "social_media_addresses")  # `[{value, type}]` on candidates
_SOURCE_WORDS = (
    (SourceKind.REFERRAL, ("referral",)),
    (SourceKind.AGENCY, ("agenc",)),
    (SourceKind.EVENT, ("event",)),
    (SourceKind.SOURCED, ("prospect", "sourced", "sourcing")),
    (SourceKind.APPLIED, ("board", "marketing", "social", "mygreenhouse", "applied", "website", "career")),
)


class GreenhouseConnector(Connector):
    vendor: ClassVar[str] = "greenhouse"
    candidate_id_shape: ClassVar[IdShape] = ID
    streams: ClassVar[tuple[str, ...]] = ("candidates", "applications")
    credential_fields: ClassVar[tuple[str, ...]] = ("client_id", "client_secret")
    rate_limit: ClassVar[RateLimitHeaders] = RateLimitHeaders(
        "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Limit")
    page_size: int = 100  # records per sync page; v3 allows 1-500

    def __init__(self, base_url: str, credentials: Mapping[str, str], *, policy: Policy | None = None,
                 sleep: Callable[[float], None] | None = None, cache: LookupCache | None = None) -> None:
        user_id = credentials.get("user_id") or None
        if user_id is not None and not str(user_id).isdigit():
            raise ValueError("greenhouse user_id must be the numeric id of a Greenhouse user")
        self._user_id = int(user_id) if user_id is not None else None
        self._app_url = (credentials.get("app_url") or APP_URL).rstrip("/")
        # Jobs, stages, sources and rejection reasons name no one: shared through the cache. Referrers and
        # users are people: read per connector only.
        self._jobs = Lookup(lambda: self._all("jobs"), cache=cache, name="jobs")
        self._job_stages = Lookup(lambda: self._all("job_interview_stages"), cache=cache, name="job_interview_stages")
        self._sources = Lookup(lambda: self._all("sources"), cache=cache, name="sources")
        # Without include_defaults=true v3 lists only the reasons a customer added, not the built-in ones.
        self._rejection_reasons = Lookup(lambda: self._all("rejection_reasons", {"include_defaults": "true"}),
                                         cache=cache, name="rejection_reasons")
        self._referrers = Lookup(lambda: self._all("referrers"))
        self._users = Lookup(lambda: self._all("users"))
        self._tag_ids: dict[str, int] | None = None
        super().__init__(base_url, credentials, policy=policy, sleep=sleep, cache=cache)

    def _client(self, credentials: Mapping[str, str], policy: Policy,
                sleep: Callable[[float], None] | None) -> HttpClient:
        pacing = {"sleep": sleep} if sleep is not None else {}
        token_url = credentials.get("token_url") or TOKEN_URL
        extra = {"sub": str(self._user_id)} if self._user_id is not None else None
        auth = OAuthClientCredentials(token_url, credentials["client_id"], credentials["client_secret"], extra=extra,
                                      client=HttpClient(token_url, policy=policy, **pacing))
        return HttpClient(self.base_url, auth, policy=policy, rate_limit=self.rate_limit, **pacing)

    # --- reads ------------------------------------------------------------------------------------

    def read(self, stream: str, since: datetime | None) -> Iterator[list[Record]]:
        if stream not in self.streams:
            raise ValueError(f"greenhouse has no stream {stream!r}; streams are {', '.join(self.streams)}")
        params: dict[str, Any] = {"per_page": self.page_size}
        if since is not None:
            params["updated_at"] = f"gte|{_iso(since)}"
        for page in link_header_pages(self.http, stream, params):
            rows = _records(page, stream)
            yield list(self._candidates(rows) if stream == "candidates" else self._applications(rows))

    def fetch_candidate(self, candidate_id: str) -> tuple[Candidate, list[Application]]:
        candidate = self._candidate(self._candidate_row(candidate_id))
        params = {"candidate_ids": candidate.ats_id, "per_page": LOOKUP_PAGE}
        # the filter is the server's; a page that ignored it must not hand this person someone else's processes
        rows = [row for page in link_header_pages(self.http, "applications", params)
                for row in _records(page, "applications") if str(row["candidate_id"]) == candidate.ats_id]
        return candidate, list(self._applications(rows))

    def _candidate_row(self, candidate_id: str) -> dict[str, Any]:
        """v3 has no per-record read route: one candidate is a list filtered by `ids`."""
        wanted = _numeric_id(candidate_id)
        rows = _records(self.http.get_json("candidates", {"ids": wanted, "per_page": 1}), "candidates")
        match = next((row for row in rows if row.get("id") == wanted), None)
        if match is None:
            raise NotFound(f"greenhouse candidate {wanted} not found")
        return match

    def _all(self, resource: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        query = {"per_page": LOOKUP_PAGE, **(params or {})}
        return [row for page in link_header_pages(self.http, resource, query) for row in _records(page, resource)]

    # --- mapping ----------------------------------------------------------------------------------

    def _candidates(self, rows: list[dict[str, Any]]) -> Iterator[Candidate]:
        return (self._candidate(row) for row in rows)

    def _candidate(self, row: dict[str, Any]) -> Candidate:
        candidate_id = _field(row, "id", "candidate")
        socials = _values(row.get("social_media_addresses"))
        return Candidate(
            ats_id=str(candidate_id), first_name=row.get("first_name") or "", last_name=row.get("last_name") or "",
            updated_at=_required_time(row, "updated_at", "candidate"), emails=_values(row.get("email_addresses")),
            phones=_values(row.get("phone_numbers")), employer=row.get("company") or None,
            title=row.get("title") or None,
            linkedin_url=next((url for url in socials if "linkedin.com" in url.casefold()), None),
            tags=tuple(tag for tag in row.get("tags") or () if isinstance(tag, str)),
            url=f"{self._app_url}/people/{candidate_id}")

    def _applications(self, rows: list[dict[str, Any]]) -> Iterator[Application]:
        history = self._stage_history([row["id"] for row in rows if row.get("id") is not None])
        return (self._application(row, history.get(row.get("id"), [])) for row in rows)

    def _stage_history(self, application_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        """Every stage each application entered, in batches the `application_ids` filter accepts."""
        history: dict[int, list[dict[str, Any]]] = {}
        for start in range(0, len(application_ids), MAX_IDS):
            batch = ",".join(str(i) for i in application_ids[start:start + MAX_IDS])
            for row in self._all("application_stages", {"application_ids": batch}):
                history.setdefault(row.get("application_id"), []).append(row)
        return history

    def _application(self, row: dict[str, Any], history: list[dict[str, Any]]) -> Application:
        rejected_at = _time(row.get("rejected_at"), "application rejected_at")
        outcome = _outcome(row.get("status"), rejected_at)
        stages = self._stages(row, history)
        job = self._jobs.get(row.get("job_id"))
        reason = self._rejection_reasons.get(row.get("rejection_reason_id"))
        return Application(
            ats_id=str(_field(row, "id", "application")),
            candidate_id=str(_field(row, "candidate_id", "application")),
            updated_at=_required_time(row, "updated_at", "application"), outcome=outcome,
            job_id=_text(row.get("job_id")), job_name=(job or {}).get("name"),
            applied_at=_time(row["created_at"], "application created_at"),
            closed_at=_closed_at(outcome, rejected_at, history),
            rejection_reason=(reason or {}).get("name") if outcome is Outcome.NOT_HIRED else None,
            stages=stages, source=self._source(row.get("source_id")), referrer=self._referrer(row.get("referrer_id")))

    def _stages(self, row: dict[str, Any], history: list[dict[str, Any]]) -> tuple[StageReached, ...]:
        if history:
            ordered = sorted(history, key=lambda h: (_time(h.get("entered_at"), "stage entered_at") or _EARLIEST,
                                                     h.get("id") or 0))
            return tuple(self._stage(h.get("job_interview_stage_id"), _time(h.get("entered_at"), "entered_at"))
                         for h in ordered)
        current_id = row.get("job_interview_stage_id")
        if current_id is None and not row.get("stage_name"):
            return ()
        return (self._stage(current_id, None, row.get("stage_name")),)

    def _stage(self, stage_id: Any, reached_at: datetime | None, name: str | None = None) -> StageReached:
        name = name or (self._job_stages.get(stage_id) or {}).get("name") or f"Stage {stage_id}"
        return StageReached(ats_id=str(stage_id), name=name, kind=classify_stage(name), reached_at=reached_at)

    def _source(self, source_id: Any) -> Source | None:
        row = self._sources.get(source_id)
        if row is None:
            return None
        strategy = row.get("type")
        strategy_name = str(strategy.get("name") or strategy.get("key") or "") if isinstance(strategy, dict) \
            else str(strategy or "")
        name = row.get("name") or row.get("public_name") or strategy_name or f"Source {source_id}"
        return Source(name=name, kind=_source_kind(strategy_name) or _source_kind(name) or SourceKind.OTHER)

    def _referrer(self, referrer_id: Any) -> Referrer | None:
        row = self._referrers.get(referrer_id)
        if row is None:
            return None
        user_id = row.get("user_id")
        user = self._users.get(user_id) or {}
        name = row.get("name") or user.get("name") or " ".join(
            part for part in (user.get("first_name"), user.get("last_name")) if part) or f"Referrer {referrer_id}"
        return Referrer(name=name, email=user.get("primary_email") or None, ats_user_id=_text(user_id),
                        is_employee=user_id is not None)

    # --- writes -----------------------------------------------------------------------------------

    def add_note(self, candidate_id: str, body: str) -> Note:
        if not body.strip():
            raise ValueError("a note needs a body")
        target = self._candidate_row(candidate_id)["id"]  # v3 would file a note on a missing id as an orphan
        note: dict[str, Any] = {"candidate_id": target, "body": body, "note_type": "NOTE",
                                "visibility": NOTE_VISIBILITY}
        if self._user_id is not None:
            note["user_id"] = self._user_id
        created = _answer(self.http.request("POST", "notes", json=note), "notes", ("id", "body", "created_at"))
        return Note(ats_id=str(created["id"]), candidate_id=str(target), body=str(created["body"]),
                    created_at=_required_time(created, "created_at", "note"))

    def add_tag(self, candidate_id: str, tag: str) -> None:
        name = tag.strip()
        if not name:
            raise ValueError("a tag needs a name")
        target = self._candidate_row(candidate_id)["id"]
        tag_id = self._tag_id(name)
        if self._tagged(target, tag_id):
            return  # already tagged: tagging is idempotent
        try:
            response = self.http.request("POST", "applied_candidate_tags",
                                         json={"candidate_id": target, "candidate_tag_id": tag_id})
        except Fatal:
            if not self._tagged(target, tag_id):  # another writer may have tagged the candidate in between
                raise
            return
        _answer(response, "applied_candidate_tags", ("id", "candidate_id", "candidate_tag_id"))

    def _tagged(self, candidate_id: int, tag_id: int) -> bool:
        applied = self.http.get_json("applied_candidate_tags",
                                     {"candidate_ids": candidate_id, "candidate_tag_ids": tag_id, "per_page": 1})
        # matched here too: a page that ignored the filters must not read as "already tagged"
        return any(row["candidate_id"] == candidate_id and row["candidate_tag_id"] == tag_id
                   for row in _records(applied, "applied_candidate_tags"))

    def _tag_id(self, name: str) -> int:
        """The catalogue id of a tag name (names are unique and case-sensitive), creating the tag when new."""
        if self._tag_ids is None or name not in self._tag_ids:
            self._tag_ids = self._tag_catalogue()
        if name in self._tag_ids:
            return self._tag_ids[name]
        try:
            created = _answer(self.http.request("POST", "candidate_tags", json={"name": name}), "candidate_tags",
                              ("id",))
        except Fatal:
            self._tag_ids = self._tag_catalogue()  # someone may have created it since we looked
            if name in self._tag_ids:
                return self._tag_ids[name]
            raise
        if not isinstance(created["id"], int):
            raise MalformedResponse("POST /candidate_tags: the answer carries no tag id")
        self._tag_ids[name] = created["id"]
        return created["id"]

    def _tag_catalogue(self) -> dict[str, int]:
        return {row["name"]: row["id"] for row in self._all("candidate_tags")
                if isinstance(row.get("name"), str) and isinstance(row.get("id"), int)}

    # --- webhooks ---------------------------------------------------------------------------------

    @staticmethod
    def verify_webhook(secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None
                       ) -> WebhookEvent:
        """Check `Signature: sha256 <hex>` against the raw bytes (never re-serialised JSON: Greenhouse signs its
        own escaping), then parse. `now` is unused: Greenhouse signs no timestamp to hold a replay window to."""
        if not secret:
            raise WebhookRejected("no webhook secret is configured for this installation")
        lowered = {name.lower(): value for name, value in headers.items()}
        _check_signature(secret, lowered.get("signature"), body)
        try:
            document = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            raise WebhookRejected("the body is not valid JSON") from None
        if not isinstance(document, dict):
            raise WebhookRejected("the body is not a JSON object")
        action = document.get("action")
        payload = document.get("payload")
        payload = payload if isinstance(payload, dict) else {}
        is_ping = action == "ping" or (action is None and ("web_hook_id" in document or "web_hook_id" in payload))
        if not is_ping and not (isinstance(action, str) and action):
            raise WebhookRejected("the body names no action")
        event_id = f"sha256:{hashlib.sha256(body).hexdigest()}"  # what is signed, never the unsigned header
        if is_ping:
            return WebhookEvent(event_id=event_id, action="ping", candidate_id=None, occurred_at=None, is_ping=True,
                                payload=payload)
        _check_documented_ids(action, payload)
        application = payload.get("application")
        person = payload.get("person")
        return WebhookEvent(
            event_id=event_id, action=action, candidate_id=_webhook_candidate_id(payload), occurred_at=None,
            payload=payload, resource_id=_text(application.get("id")) if isinstance(application, dict) else None,
            merged_into=_text(person.get("new_candidate_id")) if isinstance(person, dict) else None)


def _check_signature(secret: str, header: str | None, body: bytes) -> None:
    if not header:
        raise WebhookRejected("missing Signature header")
    algorithm, _, digest = header.strip().partition(" ")
    digest = digest.strip().lower()
    if algorithm.lower() != "sha256" or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise WebhookRejected("malformed Signature header: expected 'sha256 <64 hex digits>'")
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, digest):
        raise WebhookRejected("signature does not match the body")


# Where each action's documented payload names its records (connectors/fixtures/greenhouse): a delivery of one of
# these actions without them is refused rather than read as an event about no one.
DOCUMENTED_IDS: dict[str, tuple[tuple[str, ...], ...]] = {
    **{action: (("application", "id"), ("application", "candidate", "id")) for action in (
        "reject_candidate", "hire_candidate", "candidate_stage_change", "new_candidate_application",
        "new_prospect_application")},
    "update_candidate": (("candidate", "id"),),
    "delete_candidate": (("person", "id"),),
    "merge_candidate": (("person", "id"), ("person", "new_candidate_id")),
    "candidate_anonymized": (("candidate_id",),),
}


def _check_documented_ids(action: str, payload: Mapping[str, Any]) -> None:
    for path in DOCUMENTED_IDS.get(action, ()):
        node: Any = payload
        for step in path:
            node = node.get(step) if isinstance(node, dict) else None
        if isinstance(node, bool) or not isinstance(node, int | str) or node == "":
            raise WebhookRejected(f"a {action} delivery without payload.{'.'.join(path)}")


def _webhook_candidate_id(payload: Mapping[str, Any]) -> str | None:
    """Application events nest the candidate in the application; candidate events carry it as `candidate`,
    deletes and merges as `person`, anonymisation as a bare `candidate_id`."""
    application = payload.get("application")
    if isinstance(application, dict):
        nested = application.get("candidate")
        if isinstance(nested, dict) and nested.get("id") is not None:
            return str(nested["id"])
        if application.get("candidate_id") is not None:
            return str(application["candidate_id"])
    for key in ("candidate", "person"):
        holder = payload.get(key)
        if isinstance(holder, dict) and holder.get("id") is not None:
            return str(holder["id"])
    return _text(payload.get("candidate_id"))


# --- small readers ----------------------------------------------------------------------------------


def _records(body: Any, what: str) -> list[dict[str, Any]]:
    """A page's rows, each holding the documented members this module reads (`_FIELDS`)."""
    if not isinstance(body, list) or not all(isinstance(row, dict) for row in body):
        raise MalformedResponse(f"GET /{what}: expected a JSON array of objects")
    for row in body:
        _require(row, _FIELDS.get(what, ("id",)), f"GET /{what}")
        if what == "candidates":
            _check_candidate_lists(row)
        elif what == "sources" and row["type"] is not None and (
                not isinstance(row["type"], dict) or "name" not in row["type"]):
            raise MalformedResponse(f"GET /sources: source {row['id']} has a sourcing strategy without a name")
    return body


def _require(row: Mapping[str, Any], names: tuple[str, ...], where: str) -> None:
    missing = [name for name in names if name not in row]
    if "id" in names and "id" not in missing and row["id"] is None:
        missing.insert(0, "id")
    if missing:
        raise MalformedResponse(f"{where}: a record without {', '.join(missing)}")


def _check_candidate_lists(row: Mapping[str, Any]) -> None:
    for name in _VALUE_LISTS:
        items = row[name]
        if items is None:
            continue
        if not isinstance(items, list) or not all(isinstance(item, dict) and "value" in item for item in items):
            raise MalformedResponse(f"GET /candidates: candidate {row['id']} has {name} entries without a value")
    if row["tags"] is not None and not isinstance(row["tags"], list):
        raise MalformedResponse(f"GET /candidates: candidate {row['id']} has tags that are not a list")


def _answer(response: Any, resource: str, names: tuple[str, ...]) -> dict[str, Any]:
    """A create's answer: the created record, holding the members this module reads."""
    created = json_body(response, f"POST /{resource}")
    if not isinstance(created, dict):
        raise MalformedResponse(f"POST /{resource}: the answer is not a JSON object")
    _require(created, names, f"POST /{resource}")
    return created


def _field(row: Mapping[str, Any], key: str, what: str) -> Any:
    value = row.get(key)
    if value is None:
        raise MalformedResponse(f"a greenhouse {what} arrived without {key}")
    return value


def _required_time(row: Mapping[str, Any], key: str, what: str) -> datetime:
    value = _time(row.get(key), f"{what} {key}")
    if value is None:
        raise MalformedResponse(f"a greenhouse {what} arrived without {key}")
    return value


def _time(value: Any, what: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise MalformedResponse(f"unreadable greenhouse {what}: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds, as v3 writes them; truncating only widens a `gte` bound."""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _values(items: Any) -> tuple[str, ...]:
    """`[{value, type}]` lists (emails, phones, social profiles) -> their values."""
    return tuple(str(item["value"]) for item in items or () if isinstance(item, dict) and item.get("value"))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _numeric_id(candidate_id: str) -> int:
    return int(ID.check(candidate_id, "candidate"))


def _outcome(status: Any, rejected_at: datetime | None) -> Outcome:
    outcome = _STATUS_OUTCOMES.get(str(status or "").casefold())
    if outcome is not None:
        return outcome
    return Outcome.NOT_HIRED if rejected_at is not None else Outcome.ACTIVE


def _closed_at(outcome: Outcome, rejected_at: datetime | None, history: list[dict[str, Any]]) -> datetime | None:
    """Rejections carry their time; v3 gives no hire time, so a hire closes when its last stage was left."""
    if outcome is Outcome.NOT_HIRED:
        return rejected_at
    if outcome is Outcome.HIRED:
        exits = [t for t in (_time(h.get("exited_at"), "stage exited_at") for h in history) if t is not None]
        return max(exits, default=None)
    return None


def _source_kind(label: str) -> SourceKind | None:
    lowered = label.casefold()
    for kind, words in _SOURCE_WORDS:
        if any(word in lowered for word in words):
            return kind
    return None
