"""A Lever Data API v1 simulator: the deterministic dataset rendered as Lever contacts and opportunities.

It is as strict as the connector needs Lever to be: Basic auth with the API key as user name; `limit` of
at most 100; opaque `offset` tokens that are refused when unknown or reused with other filters; times in
epoch milliseconds everywhere, and a 400 for a time filter that is not an integer (ISO dates included);
error bodies `{"code", "message"}`; 429 with `Retry-After` once the quota is spent. Lever documents no
quota headers, so the base class's `X-RateLimit-*` headers are stripped from every response; `bucket=(10, 20)`
limits as Lever documents (a token bucket of 10 a second with bursts of 20), else the base's fixed window
applies. Webhook bodies follow the documented shapes in connectors/fixtures/lever/.

Dataset → Lever: a dataset candidate is a contact, each of their applications an opportunity; a rejection
is an archive with a non-hired reason, a hire an archive with the hired reason; the dataset's source kind
becomes `origin` (an event becomes `sourced`: Lever has no event origin) and its name the one `sources`
entry; a referrer becomes a referral form naming the Lever user (employees) or only filled-in fields.
Tags and notes written through the API land on the dataset candidate, so every opportunity of the
contact shows them.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from connectors.fixtures import webhooks
from connectors.simulators.base import Bucket, Simulator
from connectors.simulators.dataset import REJECTIONS, STAGES, Dataset, SimApplication, SimCandidate, SimReferrer

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NAMESPACE = uuid.UUID("5f0c7a8e-1d2b-4c3a-9e8f-0a1b2c3d4e5f")
MAX_LIMIT = 100
HIRED_REASON = "Hired"
ORIGINS = {"referral": "referred", "sourced": "sourced", "applied": "applied", "agency": "agency",
           "event": "sourced"}
EXPANDABLE = frozenset({"applications", "stage", "owner", "followers", "sourcedBy", "contact"})
ERROR_CODES = {400: "BadRequestError", 401: "UnauthorizedError", 403: "ForbiddenError", 404: "ResourceNotFound",
               405: "MethodNotAllowed", 429: "TooManyRequests", 500: "InternalServerError",
               503: "ServiceUnavailable"}

ROUTES = Map([
    Rule("/v1/opportunities", methods=["GET"], endpoint="list_opportunities"),
    Rule("/v1/opportunities/<opp>", methods=["GET"], endpoint="get_opportunity"),
    Rule("/v1/opportunities/<opp>/referrals", methods=["GET"], endpoint="referrals"),
    Rule("/v1/opportunities/<opp>/notes", methods=["POST"], endpoint="add_note"),
    Rule("/v1/opportunities/<opp>/addTags", methods=["POST"], endpoint="add_tags"),
    Rule("/v1/opportunities/<opp>/removeTags", methods=["POST"], endpoint="remove_tags"),
    Rule("/v1/stages", methods=["GET"], endpoint="stages"),
    Rule("/v1/archive_reasons", methods=["GET"], endpoint="archive_reasons"),
    Rule("/v1/users", methods=["GET"], endpoint="users"),
], strict_slashes=False)


def ms(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(milliseconds=1)


def lever_id(kind: str, key: object) -> str:
    """Lever ids are UUIDs; deterministic ones let tests name the records they expect."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


class LeverSimulator(Simulator):
    sends_quota_headers = False  # none are documented

    def __init__(self, dataset: Dataset, *, api_key: str = "lever-test-key", bucket: tuple[float, int] | None = None,
                 **kwargs: Any) -> None:
        """`bucket` = (rate, burst) limits requests as Lever documents (10 a second, bursts of 20) instead of
        the base class's fixed window."""
        super().__init__(dataset, **kwargs)
        self.api_key = api_key  # change it to revoke the key mid-sync
        if bucket is not None:
            self.window = Bucket(*bucket)

    # --- ids tests can compute ----------------------------------------------------------------------

    def contact_id(self, candidate_id: int) -> str:
        return lever_id("contact", candidate_id)

    def opportunity_id(self, application_id: int) -> str:
        return lever_id("opportunity", application_id)

    def user_id(self, user_id: int) -> str:
        return lever_id("user", user_id)

    # --- the base class's hooks -----------------------------------------------------------------------

    def authenticate(self, request: Request) -> Response | None:
        auth = request.authorization
        given = auth.username if auth is not None and auth.type == "basic" else None
        if not given or not hmac.compare_digest(given.encode(), self.api_key.encode()):
            return self.error(401, "Invalid API key. Please check your credentials and try again.")
        return None

    def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        return self.json({"code": ERROR_CODES.get(status, "Error"), "message": message}, status, headers)

    def route(self, request: Request) -> Response:
        endpoint, args = ROUTES.bind_to_environ(request.environ).match()
        return getattr(self, f"_{endpoint}")(request, **args)

    # --- reads ----------------------------------------------------------------------------------------

    def _list_opportunities(self, request: Request) -> Response:
        limit = _limit(request)
        expand = _expand(request)
        selected = [a for a in self._applications() if self._matches(a, request)]
        fingerprint = _fingerprint(request)
        after = _decode_offset(request.args.get("offset"), fingerprint)
        if after is not None:
            selected = [a for a in selected if a.id > after]
        page = selected[:limit]
        has_next = len(selected) > limit
        body: dict[str, Any] = {"data": [self._render(a, expand) for a in page], "hasNext": has_next}
        if has_next:
            body["next"] = _encode_offset(page[-1].id, fingerprint)
        return self.json(body)

    def _get_opportunity(self, request: Request, opp: str) -> Response:
        return self.json({"data": self._render(self._find(opp), _expand(request))})

    def _referrals(self, request: Request, opp: str) -> Response:
        _limit(request)
        application = self._find(opp)
        forms = [self._referral(application, application.referrer)] if application.referrer else []
        return self.json({"data": forms, "hasNext": False})

    def _stages(self, request: Request) -> Response:
        _limit(request)
        return self.json({"data": [{"id": lever_id("stage", name), "text": name} for name, _ in STAGES],
                          "hasNext": False})

    def _archive_reasons(self, request: Request) -> Response:
        _limit(request)
        used = [a.rejection_reason for a in self._applications() if a.rejection_reason]
        reasons = [{"id": lever_id("reason", text), "text": text, "status": "active", "type": "non-hired"}
                   for text in dict.fromkeys([*REJECTIONS, *used])]
        reasons.append({"id": lever_id("reason", HIRED_REASON), "text": HIRED_REASON, "status": "active",
                        "type": "hired"})
        return self.json({"data": reasons, "hasNext": False})

    def _users(self, request: Request) -> Response:
        _limit(request)
        return self.json({"data": [{"id": self.user_id(u.id), "name": u.name, "email": u.email,
                                    "username": u.email.split("@")[0], "accessRole": "team member",
                                    "deactivatedAt": None} for u in self.data.users], "hasNext": False})

    # --- writes ---------------------------------------------------------------------------------------

    def _add_note(self, request: Request, opp: str) -> Response:
        application = self._find(opp)
        acting = self._perform_as(request)
        value = _json(request).get("value")
        if not isinstance(value, str) or not value.strip():
            raise BadRequest("A note needs a non-empty value")
        note_id = str(uuid.uuid4())
        candidate = self._candidate_of(application)
        candidate.notes.append({"id": note_id, "opportunityId": opp, "value": value, "performAs": acting,
                                "createdAt": ms(datetime.now(UTC))})
        return self.json({"data": {"noteId": note_id}})

    def _add_tags(self, request: Request, opp: str) -> Response:
        candidate = self._candidate_of(self._find(opp))
        self._perform_as(request)
        for tag in _tags(request):
            if tag not in candidate.tags:
                candidate.tags.append(tag)
        return self.json({"data": self._render(self._find(opp), set())})

    def _remove_tags(self, request: Request, opp: str) -> Response:
        candidate = self._candidate_of(self._find(opp))
        self._perform_as(request)
        removed = set(_tags(request))
        candidate.tags[:] = [t for t in candidate.tags if t not in removed]
        return self.json({"data": self._render(self._find(opp), set())})

    def _perform_as(self, request: Request) -> str | None:
        acting = request.args.get("perform_as")
        if acting is not None and acting not in {self.user_id(u.id) for u in self.data.users}:
            raise BadRequest(f"perform_as names no user: {acting}")
        return acting

    # --- webhooks -------------------------------------------------------------------------------------

    def webhook_delivery(self, signature_token: str, event: str, candidate: SimCandidate, *,
                         token: str | None = None, triggered_at_ms: int | None = None, now: float | None = None,
                         opportunity: SimApplication | None = None) -> tuple[bytes, dict[str, str]]:
        """A delivery shaped as Lever documents it (the event's fixture, with this contact's ids): the signature
        covers `token + triggeredAt`, never the body. `opportunity` is the one the event concerns (by default
        the contact's latest)."""
        fixture = webhooks("lever").get(event)
        if fixture is None:
            raise ValueError(f"Lever documents no {event!r} webhook")
        body = copy.deepcopy(fixture.body)
        token = token or secrets.token_hex(16)
        at = time.time() if now is None else now
        triggered_at = int(at * 1000) if triggered_at_ms is None else triggered_at_ms
        signature = hmac.new(signature_token.encode(), f"{token}{triggered_at}".encode(), hashlib.sha256).hexdigest()
        body.update(token=token, triggeredAt=triggered_at, signature=signature)
        body["data"] = {**body["data"], **self._event_data(event, candidate, opportunity)}
        return json.dumps(body).encode(), {"Content-Type": "application/json"}

    def _event_data(self, event: str, candidate: SimCandidate, opportunity: SimApplication | None) -> dict[str, Any]:
        contact = self.contact_id(candidate.id)
        if event in ("contactCreated", "contactUpdated"):
            return {"contactId": contact}
        application = opportunity or max(candidate.applications, key=lambda a: a.applied_at)
        opp = self.opportunity_id(application.id)
        data: dict[str, Any] = {"opportunityId": opp, "candidateId": opp, "contactId": contact}
        if event == "applicationCreated":
            data |= {"applicationId": lever_id("application", application.id),
                     "postingId": lever_id("posting", application.job_id)}
        elif event == "candidateStageChange":
            names = [s.name for s in application.stages]
            data |= {"fromStageId": lever_id("stage", names[-2]) if len(names) > 1 else None,
                     "toStageId": lever_id("stage", names[-1])}
        elif event in ("candidateArchiveChange", "candidateHired"):
            data |= {"fromArchived": None, "toArchived": self._archived(application)}
        elif event == "candidateDeleted":
            data |= {"deletedBy": self.user_id(self.data.users[0].id)}
        elif event.startswith("interview"):
            data |= {"interviewId": lever_id("interview", application.id), "panelId": lever_id("panel", application.id)}
        return data

    # --- rendering ------------------------------------------------------------------------------------

    def _applications(self) -> list[SimApplication]:
        return sorted(self.data.applications(), key=lambda a: a.id)

    def _candidate_of(self, application: SimApplication) -> SimCandidate:
        candidate = self.data.candidate(application.candidate_id)
        if candidate is None:
            raise NotFound("Opportunity not found")
        return candidate

    def _find(self, opp: str) -> SimApplication:
        found = next((a for a in self._applications() if self.opportunity_id(a.id) == opp), None)
        if found is None:
            raise NotFound(f"Opportunity {opp} not found")
        return found

    def _updated(self, application: SimApplication) -> datetime:
        return max(application.updated_at, self._candidate_of(application).updated_at)

    def _matches(self, application: SimApplication, request: Request) -> bool:
        updated = ms(self._updated(application))
        start, end = _ms_arg(request, "updated_at_start"), _ms_arg(request, "updated_at_end")
        contacts = _csv(request.args.getlist("contact_id"))
        origins = _csv(request.args.getlist("origin"))
        archived = request.args.get("archived")
        if archived not in (None, "true", "false"):
            raise BadRequest("archived must be true or false")
        return ((start is None or updated >= start) and (end is None or updated <= end)
                and (not contacts or self.contact_id(application.candidate_id) in contacts)
                and (not origins or ORIGINS[application.source_kind] in origins)
                and (archived is None or (archived == "true") == (application.status != "active")))

    def _render(self, application: SimApplication, expand: set[str]) -> dict[str, Any]:
        candidate = self._candidate_of(application)
        opp = self.opportunity_id(application.id)
        owner = self.data.users[application.id % len(self.data.users)]
        stage_name = application.stages[-1].name
        stage_id = lever_id("stage", stage_name)
        return {
            "id": opp,
            "name": f"{candidate.first_name} {candidate.last_name}",
            "headline": f"{candidate.title} at {candidate.employer}",
            "contact": self.contact_id(candidate.id),
            "emails": list(candidate.emails),
            "phones": [{"type": "mobile", "value": p} for p in candidate.phones],
            "confidentiality": "non-confidential",
            "location": "Oslo",
            "links": [candidate.linkedin_url] if candidate.linkedin_url else [],
            "createdAt": ms(application.applied_at),
            "updatedAt": ms(self._updated(application)),
            "lastInteractionAt": ms(self._updated(application)),
            "lastAdvancedAt": ms(application.stages[-1].reached_at),
            "snoozedUntil": None,
            "archivedAt": None,  # deprecated top-level fields, still sent
            "archiveReason": None,
            "stage": {"id": stage_id, "text": stage_name} if "stage" in expand else stage_id,
            "stageChanges": [{"toStageId": lever_id("stage", s.name), "toStageIndex": _stage_index(s.name),
                              "updatedAt": ms(s.reached_at), "userId": self.user_id(owner.id)}
                             for s in application.stages],
            "owner": ({"id": self.user_id(owner.id), "name": owner.name, "email": owner.email}
                      if "owner" in expand else self.user_id(owner.id)),
            "tags": list(candidate.tags),
            "sources": [application.source_name],
            "origin": ORIGINS[application.source_kind],
            "sourcedBy": None,
            "applications": ([{"id": lever_id("application", application.id), "type": "posting",
                               "opportunityId": opp, "posting": lever_id("posting", application.job_id),
                               "createdAt": ms(application.applied_at)}]
                             if "applications" in expand else [lever_id("application", application.id)]),
            "followers": [self.user_id(owner.id)],
            "archived": self._archived(application),
            "urls": {"list": "https://hire.lever.co/candidates", "show": f"https://hire.lever.co/candidates/{opp}"},
            "isAnonymized": False,
            "dataProtection": None,
        }

    def _archived(self, application: SimApplication) -> dict[str, Any] | None:
        if application.status == "active" or application.closed_at is None:
            return None
        text = HIRED_REASON if application.status == "hired" else application.rejection_reason or REJECTIONS[0]
        return {"archivedAt": ms(application.closed_at), "reason": lever_id("reason", text)}

    def _referral(self, application: SimApplication, referrer: SimReferrer) -> dict[str, Any]:
        referred_at = ms(application.applied_at)
        return {
            "id": lever_id("referral", application.id), "type": "referral", "text": "Referral",
            "instructions": "Ask about how they know the candidate", "baseTemplateId": lever_id("form", "referral"),
            "user": self.user_id(referrer.user_id or self.data.users[0].id),
            "referrer": self.user_id(referrer.user_id) if referrer.user_id else None,
            "stage": lever_id("stage", application.stages[0].name),
            "fields": [
                {"type": "text", "text": "Name of referrer", "required": True, "value": referrer.name},
                {"type": "text", "text": "Referrer email", "required": False, "value": referrer.email},
                {"type": "textarea", "text": "Relationship", "required": False, "value": "Former colleague"},
            ],
            "createdAt": referred_at, "completedAt": referred_at,
        }


# --- request parsing --------------------------------------------------------------------------------

def _limit(request: Request) -> int:
    raw = request.args.get("limit", str(MAX_LIMIT))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadRequest(f"limit must be an integer from 1 to {MAX_LIMIT}")
    return int(raw)


def _expand(request: Request) -> set[str]:
    wanted = set(_csv(request.args.getlist("expand")))
    unknown = wanted - EXPANDABLE
    if unknown:
        raise BadRequest(f"Cannot expand {', '.join(sorted(unknown))}")
    return wanted


def _ms_arg(request: Request, name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    if not raw.isdigit():
        raise BadRequest(f"{name} must be a timestamp in milliseconds since the epoch")
    return int(raw)


def _csv(values: Iterable[str]) -> list[str]:
    return [part for value in values for part in value.split(",") if part]


def _fingerprint(request: Request) -> str:
    """What an offset token is bound to: the filters and sort it was issued for."""
    items = sorted((k, v) for k, v in request.args.items(multi=True) if k not in ("offset", "limit"))
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()[:16]


def _encode_offset(after: int, fingerprint: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after, "for": fingerprint}).encode()).decode()


def _decode_offset(token: str | None, fingerprint: str) -> int | None:
    if token is None:
        return None
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, binascii.Error):
        raise BadRequest("Invalid offset token: could not be decoded") from None
    if not isinstance(decoded, dict) or not isinstance(decoded.get("after"), int):
        raise BadRequest("Invalid offset token: could not be decoded")
    if decoded.get("for") != fingerprint:
        raise BadRequest("Invalid offset token: Offset token is invalid for sort")
    return decoded["after"]


def _json(request: Request) -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object")
    return body


def _tags(request: Request) -> list[str]:
    tags = _json(request).get("tags")
    if not isinstance(tags, list) or not tags or not all(isinstance(t, str) and t for t in tags):
        raise BadRequest("tags must be a non-empty list of strings")
    return tags


def _stage_index(name: str) -> int:
    return next(i for i, (stage, _) in enumerate(STAGES) if stage == name)
