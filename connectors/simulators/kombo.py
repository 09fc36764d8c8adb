"""A Kombo unified ATS API simulator: the deterministic dataset rendered as Kombo candidates with their
embedded applications, behind one Kombo integration that reaches one underlying ATS.

Shapes follow connectors/fixtures/kombo (written from Kombo's generated OpenAPI models in kombohq/python-sdk
and kombohq/typescript-sdk, and from docs.kombo.dev): every answer is `{"status": "success", "data": …}`,
lists are `data: {"next": <cursor or null>, "results": [...]}`, every error is
`{"status": "error", "error": {"code", "title", "message", "log_url"}}` (docs.kombo.dev/guides/errors).

It is as strict as Kombo is documented to be, and where the documents are silent it refuses rather than
guesses: `Authorization: Bearer <api key>` (401, PLATFORM.AUTHENTICATION_INVALID), an `X-Integration-Id` on
every /ats request (400 without one, 404 PLATFORM.INTEGRATION_NOT_FOUND for an unknown one); `page_size`
from 1 to 250 (default 100); `updated_after` as an ISO 8601 time, matching a candidate whose own record or
whose applications or tags changed after it; an opaque `cursor` refused when unknown or reused with other
filters (400, PLATFORM.INPUT_INVALID); deleted candidates left out unless `include_deleted=true`; 429 with
PLATFORM.RATE_LIMIT_EXCEEDED and `Retry-After` once the window is spent. Kombo documents no quota headers
for its rate limit, so the base class's `X-RateLimit-*` headers are stripped. Assumed, not documented: the
statuses 401/404 for a refused key or integration, `Retry-After` on a 429, and how a cursor binds to filters.

Dataset → Kombo: a dataset candidate is a Kombo candidate; its applications are embedded with `outcome`
PENDING (active), DECLINED (rejected, with `rejected_at` and `rejection_reason_name`) or HIRED, and the last
stage reached as `current_stage` (Kombo keeps no stage history). Kombo's `source` is one text per candidate:
the candidate's first application's source name. Referrers have no place in Kombo's model and are dropped.
Notes (always on an application) and tags written through the API land on the dataset candidate.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from connectors.simulators.base import Simulator
from connectors.simulators.dataset import STAGES, Dataset, SimApplication, SimCandidate

MAX_PAGE_SIZE = 250
DEFAULT_PAGE_SIZE = 100
OUTCOMES = {"active": "PENDING", "rejected": "DECLINED", "hired": "HIRED"}
ERROR_CODES = {400: "PLATFORM.INPUT_INVALID", 401: "PLATFORM.AUTHENTICATION_INVALID",
               429: "PLATFORM.RATE_LIMIT_EXCEEDED"}
ERROR_TITLES = {400: "The input is invalid.", 401: "The API key is invalid.", 404: "Not found.",
                429: "Rate limit exceeded.", 503: "Service unavailable."}
CANDIDATE_MODELS = ("ats_candidates", "ats_applications")
_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"  # Kombo ids look like base58

ROUTES = Map([
    Rule("/v1/ats/candidates", methods=["GET"], endpoint="list_candidates"),
    Rule("/v1/ats/candidates/<candidate>/tags", methods=["POST"], endpoint="add_tag"),
    Rule("/v1/ats/applications/<application>/notes", methods=["POST"], endpoint="add_note"),
    Rule("/v1/integrations/<integration>", methods=["GET"], endpoint="integration"),
], strict_slashes=False)


def kombo_id(kind: str, key: object) -> str:
    """A 24-character id in Kombo's style; deterministic, so tests can name the records they expect."""
    number = int.from_bytes(hashlib.sha256(f"{kind}:{key}".encode()).digest(), "big")
    chars = []
    for _ in range(24):
        number, digit = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[digit])
    return "".join(chars)


def stamp(moment: datetime) -> str:
    """Kombo's time format: ISO 8601 in UTC with milliseconds and a Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class KomboSimulator(Simulator):
    sends_quota_headers = False  # none are documented

    def __init__(self, dataset: Dataset, *, api_key: str = "kombo-test-key", tool: str = "reachmee",
                 integration_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(dataset, **kwargs)
        self.api_key = api_key  # change it to revoke the key mid-sync
        self.tool = tool
        self.integration_id = integration_id or f"{tool}:{kombo_id('integration', tool)}"

    # --- ids tests can compute ----------------------------------------------------------------------

    def candidate_id(self, sim_candidate_id: int) -> str:
        return kombo_id("candidate", sim_candidate_id)

    def application_id(self, sim_application_id: int) -> str:
        return kombo_id("application", sim_application_id)

    # --- the base class's hooks -----------------------------------------------------------------------

    def authenticate(self, request: Request) -> Response | None:
        scheme, _, given = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), self.api_key.encode()):
            return self.error(401, "The API key in the Authorization header is missing or invalid.")
        if not request.path.startswith("/v1/ats/"):
            return None  # the integrations endpoints name the integration in the path
        integration = request.headers.get("X-Integration-Id")
        if not integration:
            return self.error(400, "The X-Integration-Id header is required for this endpoint.")
        if integration != self.integration_id:
            return self._fail(404, "PLATFORM.INTEGRATION_NOT_FOUND", f"No integration with the ID {integration}.")
        return None

    def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        return self._fail(status, ERROR_CODES.get(status), message, headers)

    def _fail(self, status: int, code: str | None, message: str, headers: dict[str, str] | None = None) -> Response:
        log = f"https://app.kombo.dev/env/test/logs/{kombo_id('log', time.time_ns())}"
        return self.json({"status": "error", "error": {"code": code, "title": ERROR_TITLES.get(status),
                                                       "message": message, "log_url": log}}, status, headers)

    def route(self, request: Request) -> Response:
        endpoint, args = ROUTES.bind_to_environ(request.environ).match()
        return getattr(self, f"_{endpoint}")(request, **args)

    # --- reads ----------------------------------------------------------------------------------------

    def _list_candidates(self, request: Request) -> Response:
        size = _page_size(request)
        include_deleted = _flag(request, "include_deleted")
        since = _time_arg(request, "updated_after")
        ids = {part for value in request.args.getlist("ids") for part in value.split(",") if part}
        selected = [c for c in self.data.candidates
                    if (include_deleted or not c.deleted) and (not ids or self.candidate_id(c.id) in ids)
                    and (since is None or _changed(c) > since)]
        fingerprint = _fingerprint(request)
        after = _decode_cursor(request.args.get("cursor"), fingerprint)
        if after is not None:
            selected = [c for c in selected if c.id > after]
        page = selected[:size]
        more = len(selected) > size
        return self.success({"next": _encode_cursor(page[-1].id, fingerprint) if more else None,
                             "results": [self._candidate(c) for c in page]})

    def _integration(self, request: Request, integration: str) -> Response:
        if integration != self.integration_id:
            return self._fail(404, "PLATFORM.INTEGRATION_NOT_FOUND", f"No integration with the ID {integration}.")
        label = self.tool.capitalize()
        assets = f"https://storage.googleapis.com/kombo-assets/integrations/{self.tool}"
        return self.success({
            "id": self.integration_id,
            "tool": {"id": self.tool, "label": label, "internal_label": None, "logo_url": f"{assets}/logo.svg",
                     "icon_url": f"{assets}/icon.svg"},
            "category": "ATS", "status": "ACTIVE", "setup_status": "COMPLETED",
            "end_user": {"organization_name": "Simulated customer", "creator_email": None, "origin_id": None},
            "scope_config": {"id": kombo_id("scope", self.tool), "name": "Brobygger"},
            "data_expired_at": None, "created_at": stamp(self.data.now), "beta": False,
            "read_models": [], "write_actions": [],
        })

    # --- writes ---------------------------------------------------------------------------------------

    def _add_note(self, request: Request, application: str) -> Response:
        found = self._application(application)
        body = _json(request)
        content = body.get("content")
        if not isinstance(content, str) or not content.strip():
            raise BadRequest("content must be a non-empty string")
        if body.get("content_type") != "PLAIN_TEXT":
            raise BadRequest("content_type must be PLAIN_TEXT")
        candidate = self._owner(found)
        candidate.notes.append({"id": str(uuid.uuid4()), "application_id": application, "content": content,
                                "content_type": "PLAIN_TEXT", "created_at": stamp(datetime.now(UTC))})
        return self.success({}, warnings=[])

    def _add_tag(self, request: Request, candidate: str) -> Response:
        found = next((c for c in self.data.candidates if not c.deleted and self.candidate_id(c.id) == candidate), None)
        if found is None:
            raise NotFound(f"No candidate with the ID {candidate}.")
        tag = _json(request).get("tag")
        name = tag.get("name") if isinstance(tag, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise BadRequest("tag.name must be a non-empty string")
        if name not in found.tags:  # Kombo finds the ATS's tag by name and adds it once
            found.tags.append(name)
        return self.success({}, warnings=[])

    # --- webhooks -------------------------------------------------------------------------------------

    def webhook_delivery(self, secret: str, event: str, candidate: SimCandidate, *, now: float | None = None,
                         event_id: str | None = None, changed_models: Sequence[str] = CANDIDATE_MODELS,
                         sync_state: str = "SUCCEEDED") -> tuple[bytes, dict[str, str]]:
        """A delivery as Kombo sends it: `X-Kombo-Signature` = base64url (no padding) of HMAC-SHA256 over the
        raw body. Kombo's events name the integration, never a record: `candidate` only says who changed."""
        moment = datetime.fromtimestamp(time.time() if now is None else now, UTC)
        data: dict[str, Any] = {"integration_id": self.integration_id, "integration_tool": self.tool,
                                "integration_category": "ATS"}
        if event == "data-changed":
            data["changed_models"] = [{"name": name} for name in changed_models]
        elif event == "sync-finished":
            data = {"sync_id": kombo_id("sync", moment.timestamp()), "sync_state": sync_state,
                    "sync_started_at": stamp(moment), "sync_ended_at": stamp(moment), "sync_duration_seconds": 0,
                    **data, "end_user": {"origin_id": None, "creator_email": None,
                                         "organization_name": "Simulated customer"},
                    "log_url": f"https://app.kombo.dev/env/test/logs/{kombo_id('log', candidate.id)}"}
        else:
            raise ValueError(f"Kombo sends no {event!r} webhook that concerns candidates")
        body = json.dumps({"id": event_id or kombo_id("event", secrets.token_hex(8)), "type": event, "data": data},
                          ensure_ascii=False).encode()
        digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
        signature = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        return body, {"Content-Type": "application/json", "X-Kombo-Signature": signature}

    # --- rendering ------------------------------------------------------------------------------------

    def success(self, data: Any, **extra: Any) -> Response:
        return self.json({"status": "success", "data": data, **extra})

    def _application(self, application: str) -> SimApplication:
        found = next((a for a in self.data.applications() if self.application_id(a.id) == application), None)
        if found is None:
            raise NotFound(f"No application with the ID {application}.")
        return found

    def _owner(self, application: SimApplication) -> SimCandidate:
        candidate = self.data.candidate(application.candidate_id)
        if candidate is None:
            raise NotFound("The application's candidate was deleted.")
        return candidate

    def _candidate(self, candidate: SimCandidate) -> dict[str, Any]:
        first = candidate.applications[0] if candidate.applications else None
        return {
            "id": self.candidate_id(candidate.id),
            "remote_id": str(candidate.id),
            "first_name": candidate.first_name,
            "last_name": candidate.last_name,
            "company": candidate.employer,
            "title": candidate.title,
            "confidential": False,
            "source": first.source_name if first else None,
            "phone_numbers": [{"phone_number": p, "type": "MOBILE"} for p in candidate.phones],
            "email_addresses": [{"email_address": e, "type": "PRIVATE"} for e in candidate.emails],
            "social_media": ([{"link": candidate.linkedin_url, "type": "LINKEDIN", "username": None}]
                             if candidate.linkedin_url else []),
            "location": {"city": "Oslo", "country": "NO", "raw": "Oslo, Norway", "state": None, "street_1": None,
                         "street_2": None, "zip_code": None},
            "custom_fields": {},
            "remote_url": f"https://{self.tool}.example/candidate/{candidate.id}",
            "remote_created_at": stamp(min(a.applied_at for a in candidate.applications) if first
                                       else candidate.updated_at),
            "remote_updated_at": stamp(candidate.updated_at),
            "changed_at": stamp(candidate.updated_at),
            "remote_deleted_at": stamp(candidate.updated_at) if candidate.deleted else None,
            "applications": [self._render_application(a) for a in candidate.applications],
            "tags": [{"id": kombo_id("tag", name), "name": name, "remote_id": str(_tag_number(name))}
                     for name in candidate.tags],
        }

    def _render_application(self, application: SimApplication) -> dict[str, Any]:
        rejected = application.status == "rejected"
        stage = application.stages[-1]
        return {
            "id": self.application_id(application.id),
            "remote_id": str(application.id),
            "outcome": OUTCOMES[application.status],
            "rejection_reason_name": application.rejection_reason if rejected else None,
            "rejected_at": stamp(application.closed_at) if rejected and application.closed_at else None,
            "remote_url": f"https://{self.tool}.example/application/{application.id}",
            "changed_at": stamp(application.updated_at),
            "remote_created_at": stamp(application.applied_at),
            "remote_updated_at": stamp(application.updated_at),
            "current_stage": {"id": kombo_id("stage", stage.name), "name": stage.name,
                              "remote_id": str(_stage_index(stage.name)), "index": _stage_index(stage.name)},
            "job": {"id": kombo_id("job", application.job_id), "name": application.job_name,
                    "remote_id": str(application.job_id)},
        }


# --- request parsing --------------------------------------------------------------------------------

def _changed(candidate: SimCandidate) -> datetime:
    """What `updated_after` compares: the candidate's own record or any of its applications."""
    return max([candidate.updated_at, *(a.updated_at for a in candidate.applications)])


def _page_size(request: Request) -> int:
    raw = request.args.get("page_size", str(DEFAULT_PAGE_SIZE))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise BadRequest(f"page_size must be an integer from 1 to {MAX_PAGE_SIZE}")
    return int(raw)


def _flag(request: Request, name: str) -> bool:
    raw = request.args.get(name, "false")
    if raw not in ("true", "false"):
        raise BadRequest(f"{name} must be true or false")
    return raw == "true"


def _time_arg(request: Request, name: str) -> datetime | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a date in the format YYYY-MM-DDTHH:mm:ss.sssZ") from None
    if moment.tzinfo is None:
        raise BadRequest(f"{name} must carry a time zone (YYYY-MM-DDTHH:mm:ss.sssZ)")
    return moment


def _fingerprint(request: Request) -> str:
    """What a cursor is bound to: the filters it was issued for (the page size may change)."""
    items = sorted((k, v) for k, v in request.args.items(multi=True) if k not in ("cursor", "page_size"))
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()[:16]


def _encode_cursor(after: int, fingerprint: str) -> str:
    return base64.b64encode(json.dumps({"after": after, "for": fingerprint}).encode()).decode()


def _decode_cursor(cursor: str | None, fingerprint: str) -> int | None:
    if cursor is None:
        return None
    try:
        decoded = json.loads(base64.b64decode(cursor.encode(), validate=True))
    except (ValueError, binascii.Error):
        raise BadRequest("The cursor is invalid.") from None
    if not isinstance(decoded, dict) or not isinstance(decoded.get("after"), int):
        raise BadRequest("The cursor is invalid.")
    if decoded.get("for") != fingerprint:
        raise BadRequest("The cursor was issued for other filters.")
    return decoded["after"]


def _json(request: Request) -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object")
    return body


def _stage_index(name: str) -> int:
    return next(i for i, (stage, _) in enumerate(STAGES) if stage == name)


def _tag_number(name: str) -> int:
    return int(hashlib.sha256(name.encode()).hexdigest()[:6], 16)
