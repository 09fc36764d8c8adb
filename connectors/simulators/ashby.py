"""An Ashby public API simulator: the deterministic dataset rendered as Ashby candidates and applications.

Ashby's API is RPC over HTTP: every call is `POST /<category>.<method>` with a JSON object as its body, HTTP Basic
auth with the API key as user name and an empty password, and an answer in one envelope. Shapes follow Ashby's
OpenAPI document (mirrored in api-evangelist/ashby-hq, openapi/_original/ashby-openapi.yml) and the guides on
developers.ashbyhq.com; the fixtures in connectors/fixtures/ashby/ hold the documented bodies this renders.

As strict as Ashby documents it:
- A missing key is refused with 401, a wrong or deactivated one with 403 (docs/authentication). Both carry the
  error envelope; the codes in it are not documented (assumed: `unauthenticated`, `invalid_api_key`).
- Logical failures answer **HTTP 200** with `{"success": false, "errors": [code], "errorInfo": {code, message,
  requestId}}` (the spec's error response): `invalid_input` for a body that is not an object, a `limit` outside
  1 to 100 or an unknown `expand`; `candidate_not_found` / `application_not_found` (the first assumed by analogy,
  the second listed in the spec) for unknown or deleted records; `invalid_next_cursor` for a cursor that was not
  issued for the same method and filters; `sync_token_invalid`, `sync_token_expired` and
  `incremental_sync_too_large` for sync tokens (codes from Ashby's changelog, 2026-05-14 and 2026-08-04).
- Lists answer `{"success": true, "results": [...], "moreDataAvailable": bool, "nextCursor"?}`; the last page of
  a list that supports incremental sync (candidate.list, application.list) carries a `syncToken`. A token names
  the state at the *start* of the pass that earned it, so nothing changed during a long pass is lost (assumed:
  the docs only call it "the last time the data was successfully synced"). Later pages of a pass repeat the
  first request's filters, the token included, with the `cursor`.
- 429 with `Retry-After` once the base class's window is spent. Ashby documents no quota headers for these
  endpoints, so the base class's `X-RateLimit-*` headers are stripped.

Dataset → Ashby: each job has its own interview plan whose stages are the dataset's stage names (Application
Review is a `PreInterviewScreen` stage, Offer an `Offer` stage, the rest `Active`) plus the system stages Hired
and Archived. A rejection moves the application to Archived with an archive reason (`RejectedByCandidate` for
"Withdrew", else `RejectedByOrg`); a hire to Hired. Each stage reached is one `application.listHistory` entry,
the terminal stage last. Sources carry a source type: Referral, Outbound (sourced), Inbound (applied), Agency,
Event (assumed names: Ashby's default source types are not listed in its docs). `creditedToUser` is the
employee who referred a referred application and the recruiter who sourced a sourced one; a referrer outside the
company has no Ashby user, so such an application is credited to no one. Notes and tags written through the API
land on the dataset candidate.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.wrappers import Request, Response

from connectors.fixtures import webhooks
from connectors.simulators.base import Simulator
from connectors.simulators.dataset import STAGES, Dataset, SimApplication, SimCandidate, SimUser

NAMESPACE = uuid.UUID("0b7f3c1e-5a2d-4e8f-9c6b-3d1a2e4f5b60")
MAX_LIMIT = 100
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
STATUSES = {"active": "Active", "rejected": "Archived", "hired": "Hired"}
# The interview-plan stage types; every other dataset stage is an Active (interviewing) stage.
STAGE_TYPES = {"Application Review": "PreInterviewScreen", "Offer": "Offer", "Hired": "Hired", "Archived": "Archived"}
TERMINAL_STAGES = {"rejected": "Archived", "hired": "Hired"}  # the system stage a closed application sits in
SOURCE_TYPES = {"referral": "Referral", "sourced": "Outbound", "applied": "Inbound", "agency": "Agency",
                "event": "Event"}
# An HTTP-level refusal's code in the error envelope (the envelope is documented; these codes are assumed, bar 429's,
# which the spec shows for report.generate).
HTTP_CODES = {401: "unauthenticated", 403: "invalid_api_key", 404: "not_found", 405: "method_not_allowed",
              429: "rate_limit_exceeded", 503: "service_unavailable"}
EXPANDABLE = {"application.list": frozenset({"openings"}),
              "application.info": frozenset({"openings", "applicationFormSubmissions", "referrals"})}


def ashby_id(kind: str, key: object) -> str:
    """Ashby ids are UUIDs; deterministic ones let tests name the records they expect."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


def iso(moment: datetime) -> str:
    """Ashby's timestamps: ISO 8601 in UTC with milliseconds and a Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Refused(Exception):
    """A call Ashby answers with HTTP 200 and `success: false`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class AshbySimulator(Simulator):
    sends_quota_headers = False  # none are documented

    def __init__(self, dataset: Dataset, *, api_key: str = "ashby-test-key", max_incremental_pages: int = 20,
                 **kwargs: Any) -> None:
        super().__init__(dataset, **kwargs)
        self.api_key = api_key  # change it to revoke the key mid-sync
        self.max_incremental_pages = max_incremental_pages
        self.tag_titles: set[str] = set()  # tags created through candidateTag.create
        self.calls: list[tuple[str, dict[str, Any]]] = []  # (method, JSON body) of every call that was dispatched
        self._token_generation = 0  # bumped by expire_tokens(): older sync tokens answer sync_token_expired
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "candidate.list": self._candidate_list,
            "candidate.info": self._candidate_info,
            "candidate.createNote": self._create_note,
            "candidate.addTag": self._add_tag,
            "candidateTag.create": self._create_tag,
            "application.list": self._application_list,
            "application.info": self._application_info,
            "application.listHistory": self._list_history,
        }

    # --- ids tests can compute ----------------------------------------------------------------------

    def candidate_id(self, sim_candidate_id: int) -> str:
        return ashby_id("candidate", sim_candidate_id)

    def application_id(self, sim_application_id: int) -> str:
        return ashby_id("application", sim_application_id)

    def user_id(self, sim_user_id: int) -> str:
        return ashby_id("user", sim_user_id)

    def tag_id(self, title: str) -> str:
        return ashby_id("tag", title)

    def expire_tokens(self) -> None:
        """Ashby's API keys do not expire; its sync tokens do. Every sync token issued so far stops working."""
        super().expire_tokens()
        self._token_generation += 1

    # --- the base class's hooks -----------------------------------------------------------------------

    def authenticate(self, request: Request) -> Response | None:
        auth = request.authorization
        given = auth.username if auth is not None and auth.type == "basic" else None
        if not given:
            return self.error(401, "Missing API key: send it as the Basic auth user name with an empty password")
        if not hmac.compare_digest(given.encode(), self.api_key.encode()):
            return self.error(403, "The API key is invalid or has been deactivated")
        return None

    def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        return self.json(_envelope(HTTP_CODES.get(status, "error"), message), status, headers)

    def route(self, request: Request) -> Response:
        handler = self._methods.get(request.path.strip("/"))
        if handler is None:
            return self.error(404, f"No such endpoint: {request.path}")
        if request.method != "POST":
            return self.error(405, "Every Ashby endpoint takes POST")
        try:
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                raise Refused("invalid_input", "Request payload is malformed: send a JSON object")
            self.calls.append((request.path.strip("/"), body))
            return self.json({"success": True, **handler(body)})
        except Refused as refused:
            return self.json(_envelope(refused.code, refused.message))

    # --- reads ----------------------------------------------------------------------------------------

    def _candidate_list(self, body: dict[str, Any]) -> dict[str, Any]:
        after = _created_after(body)
        candidates = [c for c in self._candidates() if after is None or self._candidate_created(c) >= after]
        return self._sync_page("candidate.list", body, candidates, lambda c: c.updated_at, self._render_candidate)

    def _application_list(self, body: dict[str, Any]) -> dict[str, Any]:
        after = _created_after(body)
        expand = _expand("application.list", body)
        status, job_id = body.get("status"), body.get("jobId")
        if status is not None and status not in STATUSES.values() and status != "Lead":
            raise Refused("invalid_input", "status must be one of Hired, Archived, Active, Lead")
        applications = [a for a in self._applications()
                        if (after is None or a.applied_at >= after) and (status is None or STATUSES[a.status] == status)
                        and (job_id is None or ashby_id("job", a.job_id) == job_id)]
        return self._sync_page("application.list", body, applications, lambda a: a.updated_at,
                               lambda a: self._render_application(a, expand))

    def _candidate_info(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"results": self._render_candidate(self._candidate(_string(body, "id")))}

    def _application_info(self, body: dict[str, Any]) -> dict[str, Any]:
        expand = _expand("application.info", body)
        application = self._application(_string(body, "applicationId"))
        return {"results": {**self._render_application(application, expand),
                            "applicationHistory": self._history(application)}}

    def _list_history(self, body: dict[str, Any]) -> dict[str, Any]:
        application = self._application(_string(body, "applicationId"))
        entries = self._history(application)
        limit = _limit(body)
        start = self._cursor_position(body, "application.listHistory")
        page = entries[start:start + limit]
        more = start + limit < len(entries)
        answer: dict[str, Any] = {"results": page, "moreDataAvailable": more}
        if more:
            answer["nextCursor"] = _encode({"at": start + limit, "for": _fingerprint("application.listHistory", body)})
        return answer

    def _sync_page(self, method: str, body: dict[str, Any], records: list[Any], updated: Callable[[Any], datetime],
                   render: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
        """One page of a list that supports incremental sync. The cursor carries the pass's starting mark (the
        latest change when the pass began): the sync token of the last page is that mark."""
        limit = _limit(body)
        fingerprint = _fingerprint(method, body)
        if body.get("cursor") is not None:
            position = _decode_cursor(body["cursor"], fingerprint)
            try:
                after, mark = int(position["after"]), datetime.fromisoformat(position["mark"])
            except (KeyError, TypeError, ValueError):
                raise Refused("invalid_next_cursor", "The cursor cannot be decoded: restart the pass") from None
        else:
            after, mark = None, max((updated(r) for r in records), default=EPOCH)
        since = self._sync_since(method, body)
        if since is not None:
            records = [r for r in records if updated(r) > since]
            if body.get("cursor") is None and len(records) > limit * self.max_incremental_pages:
                raise Refused("incremental_sync_too_large", "Too many changes for an incremental sync: discard the "
                                                            "sync token and run a full sync")
        remaining = [r for r in records if after is None or r.id > after]
        page, more = remaining[:limit], len(remaining) > limit
        answer: dict[str, Any] = {"results": [render(r) for r in page], "moreDataAvailable": more}
        if more:
            answer["nextCursor"] = _encode({"after": page[-1].id, "mark": mark.isoformat(), "for": fingerprint})
        else:
            answer["syncToken"] = _encode({"method": method, "mark": mark.isoformat(), "gen": self._token_generation})
        return answer

    def _sync_since(self, method: str, body: dict[str, Any]) -> datetime | None:
        token = body.get("syncToken")
        if token is None:
            return None
        try:
            decoded = _decode(token)
            mark = datetime.fromisoformat(decoded["mark"])
        except (Refused, KeyError, TypeError, ValueError):
            raise Refused("sync_token_invalid", "The sync token cannot be decoded: run a full sync") from None
        if decoded.get("method") != method:
            raise Refused("sync_token_invalid", f"The sync token was not issued by {method}: run a full sync")
        if decoded.get("gen") != self._token_generation:
            raise Refused("sync_token_expired", "The sync token has expired: discard it and run a full sync")
        return mark

    def _cursor_position(self, body: dict[str, Any], method: str) -> int:
        if body.get("cursor") is None:
            return 0
        position = _decode_cursor(body["cursor"], _fingerprint(method, body))
        if not isinstance(position.get("at"), int):
            raise Refused("invalid_next_cursor", "The cursor cannot be decoded")
        return position["at"]

    # --- writes ---------------------------------------------------------------------------------------

    def _create_note(self, body: dict[str, Any]) -> dict[str, Any]:
        candidate = self._candidate(_string(body, "candidateId"))
        note = body.get("note")
        if isinstance(note, str):
            note = {"type": "text/plain", "value": note}
        if (not isinstance(note, dict) or note.get("type") not in ("text/plain", "text/html")
                or not isinstance(note.get("value"), str) or not note["value"].strip()):
            raise Refused("invalid_input", "note needs a type of text/plain or text/html and a non-empty value")
        created = {"id": str(uuid.uuid4()), "createdAt": iso(datetime.now(UTC)),
                   "isPrivate": bool(body.get("isPrivate")), "content": note["value"],
                   "author": self._render_user(self.data.users[0], short=True)}
        candidate.notes.append({**created, "type": note["type"],
                                "sendNotifications": bool(body.get("sendNotifications"))})
        return {"results": created}

    def _create_tag(self, body: dict[str, Any]) -> dict[str, Any]:
        title = _string(body, "title").strip()
        self.tag_titles.add(title)  # an existing title returns the existing tag, as documented
        return {"results": {"id": self.tag_id(title), "title": title, "isArchived": False}}

    def _add_tag(self, body: dict[str, Any]) -> dict[str, Any]:
        candidate = self._candidate(_string(body, "candidateId"))
        tag_id = _string(body, "tagId")
        known = {self.tag_id(t): t for c in self.data.candidates for t in c.tags} | {
            self.tag_id(t): t for t in self.tag_titles}
        if tag_id not in known:
            raise Refused("tag_not_found", f"No candidate tag with id {tag_id}")
        if known[tag_id] not in candidate.tags:
            candidate.tags.append(known[tag_id])
        return {"results": self._render_candidate(candidate)}

    # --- webhooks -------------------------------------------------------------------------------------

    def webhook_delivery(self, secret: str, event: str, candidate: SimCandidate, *, now: float | None = None,
                         merged_into: SimCandidate | None = None) -> tuple[bytes, dict[str, str]]:
        """A delivery as Ashby sends it: the documented body of the event (its fixture) with this candidate's
        records and a fresh `webhookActionId`, signed as `Ashby-Signature: sha256=<hex HMAC-SHA256 of the raw
        body>`. Ashby signs no timestamp, so `now` changes nothing; it is taken for the common interface. The
        body is sent as UTF-8, not \\u-escaped: the signature covers exactly these bytes. A merge names
        `merged_into` as the survivor (by default the next candidate of the dataset)."""
        fixture = webhooks("ashby").get(event)
        if fixture is None:
            raise ValueError(f"Ashby documents no {event!r} webhook in connectors/fixtures/ashby")
        body = copy.deepcopy(fixture.body)
        body["webhookActionId"] = str(uuid.uuid4())
        data = body["data"]
        if "application" in data:
            application = max(candidate.applications, key=lambda a: (a.applied_at, a.id))
            data["application"] = self._render_application(application, frozenset())
            if isinstance(data.get("offer"), dict):
                data["offer"]["applicationId"] = self.application_id(application.id)
        if "candidate" in data:
            data["candidate"]["id"] = self.candidate_id(candidate.id)
        if "deletedCandidate" in data:
            survivor = merged_into or self.data.candidates[candidate.id % len(self.data.candidates)]
            data["deletedCandidate"]["id"] = self.candidate_id(candidate.id)
            data["mergedCandidate"]["id"] = self.candidate_id(survivor.id)
        raw = json.dumps(body, ensure_ascii=False).encode()
        signature = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
        return raw, {"Content-Type": "application/json", "Ashby-Signature": f"sha256={signature}"}

    # --- rendering ------------------------------------------------------------------------------------

    def _candidates(self) -> list[SimCandidate]:
        return [c for c in self.data.candidates if not c.deleted]

    def _applications(self) -> list[SimApplication]:
        return sorted(self.data.applications(), key=lambda a: a.id)

    def _candidate(self, candidate_id: str) -> SimCandidate:
        found = next((c for c in self._candidates() if self.candidate_id(c.id) == candidate_id), None)
        if found is None:
            raise Refused("candidate_not_found", f"No candidate with id {candidate_id}")
        return found

    def _application(self, application_id: str) -> SimApplication:
        found = next((a for a in self._applications() if self.application_id(a.id) == application_id), None)
        if found is None:
            raise Refused("application_not_found", f"No application with id {application_id}")
        return found

    def _candidate_created(self, candidate: SimCandidate) -> datetime:
        return min((a.applied_at for a in candidate.applications), default=candidate.updated_at)

    def _render_candidate(self, candidate: SimCandidate) -> dict[str, Any]:
        cid = self.candidate_id(candidate.id)
        emails = [{"value": e, "type": "Personal", "isPrimary": i == 0} for i, e in enumerate(candidate.emails)]
        phones = [{"value": p, "type": "Personal", "isPrimary": i == 0} for i, p in enumerate(candidate.phones)]
        first = min(candidate.applications, key=lambda a: a.applied_at, default=None)
        body: dict[str, Any] = {
            "id": cid,
            "createdAt": iso(self._candidate_created(candidate)),
            "updatedAt": iso(candidate.updated_at),
            "name": f"{candidate.first_name} {candidate.last_name}",
            "emailAddresses": emails,
            "phoneNumbers": phones,
            "socialLinks": [{"type": "LinkedIn", "url": candidate.linkedin_url}] if candidate.linkedin_url else [],
            "tags": [{"id": self.tag_id(t), "title": t, "isArchived": False} for t in candidate.tags],
            "position": candidate.title,
            "company": candidate.employer,
            "applicationIds": [self.application_id(a.id) for a in candidate.applications],
            "fileHandles": [],
            "customFields": [],
            "profileUrl": f"https://app.ashbyhq.com/candidates/{cid}",
            "timezone": "Europe/Oslo",
        }
        if emails:
            body["primaryEmailAddress"] = emails[0]
        if phones:
            body["primaryPhoneNumber"] = phones[0]
        if first is not None:
            body["source"] = self._render_source(first)
            credited = self._credited(first)
            if credited is not None:
                body["creditedToUser"] = self._render_user(credited)
        return body

    def _render_application(self, application: SimApplication, expand: frozenset[str]) -> dict[str, Any]:
        candidate = next(c for c in self.data.candidates if c.id == application.candidate_id)
        recruiter = self._recruiter(application)
        embedded: dict[str, Any] = {"id": self.candidate_id(candidate.id),
                                    "name": f"{candidate.first_name} {candidate.last_name}"}
        if candidate.emails:
            embedded["primaryEmailAddress"] = {"value": candidate.emails[0], "type": "Personal", "isPrimary": True}
        if candidate.phones:
            embedded["primaryPhoneNumber"] = {"value": candidate.phones[0], "type": "Personal", "isPrimary": True}
        body: dict[str, Any] = {
            "id": self.application_id(application.id),
            "createdAt": iso(application.applied_at),
            "updatedAt": iso(application.updated_at),
            "status": STATUSES[application.status],
            "customFields": [],
            "candidate": embedded,
            "currentInterviewStage": self._current_stage(application),
            "source": self._render_source(application),
            "job": {"id": ashby_id("job", application.job_id), "title": application.job_name,
                    "locationId": ashby_id("location", "Oslo"), "departmentId": ashby_id("department", "Engineering")},
            "hiringTeam": [{"email": recruiter.email, **_names(recruiter.name), "role": "Recruiter",
                            "userId": self.user_id(recruiter.id)}],
            "appliedViaJobPostingId": ashby_id("posting", application.job_id),
        }
        if application.status == "rejected" and application.closed_at is not None:
            reason = application.rejection_reason or "Other"
            body["archiveReason"] = {"id": ashby_id("archive-reason", reason), "text": reason,
                                     "reasonType": "RejectedByCandidate" if reason == "Withdrew" else "RejectedByOrg",
                                     "isArchived": False, "customFields": []}
            body["archivedAt"] = iso(application.closed_at)
        credited = self._credited(application)
        if credited is not None:
            body["creditedToUser"] = self._render_user(credited)
        if "openings" in expand:
            body["openings"] = []
        if "referrals" in expand and application.referrer and application.referrer.user_id:
            user = self.data.users[application.referrer.user_id - 1]
            body["referrals"] = [{"user": self._render_user(user), "referredAt": iso(application.applied_at)}]
        return body

    def _current_stage(self, application: SimApplication) -> dict[str, Any]:
        name = TERMINAL_STAGES.get(application.status) or application.stages[-1].name
        return self._stage(application.job_id, name)

    def _stage(self, job_id: int, name: str) -> dict[str, Any]:
        names = [n for n, _ in STAGES] + ["Hired", "Archived"]
        return {"id": ashby_id("stage", (job_id, name)), "title": name, "type": STAGE_TYPES.get(name, "Active"),
                "orderInInterviewPlan": names.index(name),
                "interviewStageGroupId": ashby_id("stage-group", (job_id, name)),
                "interviewPlanId": ashby_id("plan", job_id)}

    def _history(self, application: SimApplication) -> list[dict[str, Any]]:
        """Every stage the application entered, in order; a closed application ends in Archived or Hired."""
        visits = [(s.name, s.reached_at) for s in application.stages]
        terminal = TERMINAL_STAGES.get(application.status)
        if terminal and application.closed_at is not None:
            visits.append((terminal, application.closed_at))
        actor = self.user_id(self._recruiter(application).id)
        entries = []
        for number, (name, entered) in enumerate(visits):
            stage = self._stage(application.job_id, name)
            entry: dict[str, Any] = {"id": ashby_id("history", (application.id, number)), "stageId": stage["id"],
                                     "title": name, "enteredStageAt": iso(entered), "stageNumber": number,
                                     "allowedActions": ["set_entered_at"], "actorId": actor}
            if number + 1 < len(visits):
                entry["leftStageAt"] = iso(visits[number + 1][1])
            entries.append(entry)
        return entries

    def _render_source(self, application: SimApplication) -> dict[str, Any]:
        kind = SOURCE_TYPES[application.source_kind]
        return {"id": ashby_id("source", application.source_name), "title": application.source_name,
                "isArchived": False,
                "sourceType": {"id": ashby_id("source-type", kind), "title": kind, "isArchived": False}}

    def _recruiter(self, application: SimApplication) -> SimUser:
        return self.data.users[application.id % len(self.data.users)]

    def _credited(self, application: SimApplication) -> SimUser | None:
        """The employee who referred it, or the recruiter who sourced it; no one for anything else."""
        if application.source_kind == "referral":
            user_id = application.referrer.user_id if application.referrer else None
            return self.data.users[user_id - 1] if user_id else None
        return self._recruiter(application) if application.source_kind == "sourced" else None

    def _render_user(self, user: SimUser, *, short: bool = False) -> dict[str, Any]:
        body = {"id": self.user_id(user.id), **_names(user.name), "email": user.email}
        if short:
            return body
        return {**body, "globalRole": "Limited Access", "isEnabled": True, "updatedAt": iso(self.data.now)}


# --- request parsing --------------------------------------------------------------------------------

def _envelope(code: str, message: str) -> dict[str, Any]:
    return {"success": False, "errors": [code],
            "errorInfo": {"code": code, "message": message, "requestId": secrets.token_hex(13).upper()}}


def _names(name: str) -> dict[str, str]:
    first, _, last = name.partition(" ")
    return {"firstName": first, "lastName": last}


def _string(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise Refused("invalid_input", f"{name} is required and must be a string")
    return value


def _limit(body: dict[str, Any]) -> int:
    limit = body.get("limit", MAX_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int | float) or limit != int(limit) or not (
            1 <= limit <= MAX_LIMIT):
        raise Refused("invalid_input", f"limit must be a number from 1 to {MAX_LIMIT}")
    return int(limit)


def _created_after(body: dict[str, Any]) -> datetime | None:
    value = body.get("createdAfter")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refused("invalid_input", "createdAfter must be an integer: milliseconds since the Unix epoch")
    return EPOCH + timedelta(milliseconds=value)


def _expand(method: str, body: dict[str, Any]) -> frozenset[str]:
    wanted = body.get("expand", [])
    if not isinstance(wanted, list) or not all(isinstance(w, str) for w in wanted):
        raise Refused("invalid_input", "expand must be a list of strings")
    unknown = set(wanted) - EXPANDABLE[method]
    if unknown:
        raise Refused("invalid_input", f"{method} cannot expand {', '.join(sorted(unknown))}")
    return frozenset(wanted)


def _fingerprint(method: str, body: dict[str, Any]) -> str:
    """What a cursor is bound to: the method and every filter of the pass, the sync token included."""
    filters = {k: v for k, v in body.items() if k not in ("cursor", "limit")}
    return hashlib.sha256(json.dumps([method, filters], sort_keys=True).encode()).hexdigest()[:16]


def _encode(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _decode(token: Any) -> dict[str, Any]:
    if not isinstance(token, str):
        raise Refused("invalid_input", "tokens are strings")
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error):
        raise Refused("invalid_input", "the token cannot be decoded") from None
    if not isinstance(decoded, dict):
        raise Refused("invalid_input", "the token cannot be decoded")
    return decoded


def _decode_cursor(cursor: Any, fingerprint: str) -> dict[str, Any]:
    try:
        position = _decode(cursor)
    except Refused:
        raise Refused("invalid_next_cursor", "The cursor cannot be decoded: restart the pass") from None
    if position.get("for") != fingerprint:
        raise Refused("invalid_next_cursor", "The cursor was issued for another request: send the same filters")
    return position
