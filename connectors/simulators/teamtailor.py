"""A Teamtailor public API (JSON:API) simulator, rendering the deterministic dataset.

It behaves as Teamtailor's API documentation (github.com/Teamtailor/docs) and webhook documentation
(github.com/Teamtailor/tt-partner-docs) describe it: `Authorization: Token token=<key>` or 401, `X-Api-Version`
or 406, quota headers `X-Rate-Limit-*` that carry static values (the docs' rate-limit page says so) while the
real limit answers 429 with Retry-After,
`page[size]` capped at 30 (more is a 400 here), `links.next` only while more pages remain, dasherized
attributes, relationship linkage only for included relationships, and JSON:API error documents.

Teamtailor stages belong to a job: every job gets Inbox (type Inbox), the dataset's in-process stages, and
Hired (type Hired). An application sits in its latest stage; a rejected one stays where it was rejected.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import math
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from werkzeug.exceptions import BadRequest, Conflict, NotFound, UnprocessableEntity, UnsupportedMediaType
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from connectors.fixtures import webhooks
from connectors.simulators.base import QuotaHeaders, Simulator
from connectors.simulators.dataset import JOBS, REJECTIONS, STAGES, Dataset, SimApplication, SimCandidate, SimUser

JSON_API = "application/vnd.api+json"
MAX_PAGE_SIZE = 30
DEFAULT_PAGE_SIZE = 10
HIRED_INDEX = 99
LOCAL = timezone(timedelta(hours=1))  # Teamtailor renders times in the company's zone, e.g. +01:00
STAGE_NAMES = [name for name, _ in STAGES]
CANDIDATE_INCLUDES = {"job-applications", "job-applications.stage", "job-applications.job",
                      "job-applications.reject-reason"}
APPLICATION_INCLUDES = {"candidate", "stage", "job", "reject-reason"}
REFERRAL_INCLUDES = {"user", "candidate", "job"}


class TeamtailorSimulator(Simulator):
    quota_headers = QuotaHeaders("X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset")

    def __init__(self, dataset: Dataset, *, api_key: str = "tt-sim-admin-key",
                 static_quota: tuple[int, int, int] = (50, 49, 10), **kwargs: Any) -> None:
        """`static_quota` is what the X-Rate-Limit Limit, Remaining and Reset headers always say."""
        super().__init__(dataset, **kwargs)
        self.api_key = api_key
        self.static_quota = static_quota
        self._revoked = False
        self._writes = threading.Lock()
        self._note_ids = 0
        self._urls = Map([
            Rule("/v1/candidates", endpoint="candidates", methods=["GET"]),
            Rule("/v1/candidates/<int:candidate_id>", endpoint="candidate", methods=["GET", "PATCH"]),
            Rule("/v1/job-applications", endpoint="applications", methods=["GET"]),
            Rule("/v1/job-applications/<int:application_id>", endpoint="application", methods=["GET"]),
            Rule("/v1/stages", endpoint="stages", methods=["GET"]),
            Rule("/v1/referrals", endpoint="referrals", methods=["GET"]),
            Rule("/v1/notes", endpoint="notes", methods=["POST"]),
        ])

    def revoke_key(self) -> None:
        """An admin deletes the API key in Teamtailor's settings: every later request gets 401."""
        self._revoked = True

    # --- the base class's hooks -------------------------------------------------------------------

    def authenticate(self, request: Request) -> Response | None:
        if self._revoked or request.headers.get("Authorization") != f"Token token={self.api_key}":
            return self.error(401, "The API key is missing, invalid or revoked")
        if not request.headers.get("X-Api-Version"):
            # teamtailor-rb reads this one with `errors` as an object, not a list
            return self.json({"errors": {"status": "406", "title": "Not Acceptable",
                                         "detail": "The X-Api-Version header is required"}}, 406,
                             content_type=JSON_API)
        return None

    def _respond(self, request: Request) -> Response:
        response = super()._respond(request)
        limit, remaining, reset = self.static_quota
        response.headers.update({self.quota_headers.limit: str(limit), self.quota_headers.remaining: str(remaining),
                                 self.quota_headers.reset: str(reset)})
        return response

    def route(self, request: Request) -> Response:
        endpoint, arguments = self._urls.bind_to_environ(request.environ).match()
        return getattr(self, f"_{endpoint}")(request, **arguments)

    def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        body = {"errors": [{"status": str(status), "title": HTTP_STATUS_CODES.get(status, "Error"),
                            "detail": message}]}
        return self.json(body, status, headers, content_type=JSON_API)

    # --- endpoints --------------------------------------------------------------------------------

    def _candidates(self, request: Request) -> Response:
        includes = _includes(request, CANDIDATE_INCLUDES)
        since = _filter_from(request, {"filter[updated-at][from]"})
        candidates = [c for c in self.data.candidates
                      if not c.deleted and (since is None or c.updated_at >= since)]
        return self._list(request, candidates, lambda c, doc: self._candidate_resource(c, doc, includes))

    def _candidate(self, request: Request, candidate_id: int) -> Response:
        candidate = self.data.candidate(candidate_id)
        if candidate is None:
            raise NotFound(f"Candidate {candidate_id} not found")
        if request.method == "PATCH":
            self._update_candidate(request, candidate)
        includes = _includes(request, CANDIDATE_INCLUDES)
        document = _Document(request.host_url)
        document.body["data"] = self._candidate_resource(candidate, document, includes)
        return self._send(document)

    def _applications(self, request: Request) -> Response:
        includes = _includes(request, APPLICATION_INCLUDES)
        since = _filter_from(request, {"filter[updated-at][from]"})
        pairs = [(c, a) for c in self.data.candidates if not c.deleted for a in c.applications
                 if since is None or a.updated_at >= since]
        return self._list(request, pairs, lambda pair, doc: self._application_resource(*pair, doc, includes))

    def _application(self, request: Request, application_id: int) -> Response:
        includes = _includes(request, APPLICATION_INCLUDES)
        found = next(((c, a) for c in self.data.candidates if not c.deleted for a in c.applications
                      if a.id == application_id), None)
        if found is None:
            raise NotFound(f"Job application {application_id} not found")
        document = _Document(request.host_url)
        document.body["data"] = self._application_resource(*found, document, includes)
        return self._send(document)

    def _stages(self, request: Request) -> Response:
        _includes(request, set())
        _filter_from(request, set())
        stages = [(job, index) for job in range(1, len(JOBS) + 1) for index in [*range(len(STAGES)), HIRED_INDEX]]
        return self._list(request, stages, lambda stage, doc: self._stage_resource(*stage, doc))

    def _referrals(self, request: Request) -> Response:
        includes = _includes(request, REFERRAL_INCLUDES)
        unknown = [k for k in request.args if k.startswith("filter[") and k != "filter[candidate]"]
        if unknown:
            raise BadRequest(f"{unknown[0]} is not allowed")
        wanted = request.args.get("filter[candidate]")
        referrals = [(c, a) for c in self.data.candidates if not c.deleted for a in c.applications
                     if a.source_kind == "referral" and (wanted is None or str(c.id) == wanted)]
        return self._list(request, referrals, lambda pair, doc: self._referral_resource(*pair, doc, includes))

    def _notes(self, request: Request) -> Response:
        data = _write_data(request, "notes")
        text = (data.get("attributes") or {}).get("note")
        if not isinstance(text, str) or not text.strip():
            raise UnprocessableEntity("note can't be blank")
        candidate = self.data.candidate(_related_int(data, "candidate"))
        if candidate is None:
            raise UnprocessableEntity("candidate must exist")
        user_id = _related_int(data, "user", required=False)
        if user_id is not None and not any(u.id == user_id for u in self.data.users):
            raise UnprocessableEntity("user must exist")
        with self._writes:
            self._note_ids += 1
            note = {"id": self._note_ids, "note": text, "user_id": user_id, "created_at": datetime.now(UTC)}
            candidate.notes.append(note)
        document = _Document(request.host_url)
        document.body["data"] = {
            "id": str(note["id"]), "type": "notes", "links": {"self": document.url(f"notes/{note['id']}")},
            "attributes": {"note": text, "created-at": _ts(note["created_at"]), "private-note": False,
                           "candidate-id": candidate.id, "user-id": user_id}}
        return self._send(document, 201)

    def _update_candidate(self, request: Request, candidate: SimCandidate) -> None:
        data = _write_data(request, "candidates")
        if str(data.get("id")) != str(candidate.id):
            raise Conflict("data.id does not match the candidate in the URL")
        tags = (data.get("attributes") or {}).get("tags")
        if tags is not None:
            if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
                raise UnprocessableEntity("tags must be a list of strings")
            with self._writes:
                candidate.tags = list(tags)
                candidate.updated_at = datetime.now(UTC)

    # --- rendering --------------------------------------------------------------------------------

    def _list(self, request: Request, items: list[Any], render: Any) -> Response:
        size, number = _page(request)
        pages = max(1, math.ceil(len(items) / size))
        document = _Document(request.host_url)
        document.body["data"] = [render(item, document) for item in items[(number - 1) * size: number * size]]
        document.body["meta"] = {"record-count": len(items), "page-count": pages}
        links = {"first": _page_link(request, 1, size), "last": _page_link(request, pages, size)}
        if number < pages:
            links["next"] = _page_link(request, number + 1, size)
        if number > 1:
            links["prev"] = _page_link(request, number - 1, size)
        document.body["links"] = links
        return self._send(document)

    def _send(self, document: _Document, status: int = 200) -> Response:
        if document.included:
            document.body["included"] = list(document.included.values())
        return self.json(document.body, status, content_type=JSON_API)

    def _candidate_resource(self, candidate: SimCandidate, document: _Document, includes: set[str]) -> dict:
        nested = {name.removeprefix("job-applications.") for name in includes if name.startswith("job-applications.")}
        applications = None
        if "job-applications" in includes:
            applications = []
            for application in candidate.applications:
                applications.append(_ref("job-applications", application.id))
                document.include(self._application_resource(candidate, application, document, nested))
        return {
            "id": str(candidate.id), "type": "candidates",
            "links": {"self": document.url(f"candidates/{candidate.id}")},
            "attributes": _candidate_attributes(candidate),
            "relationships": {"job-applications": _relationship(document, "candidates", candidate.id,
                                                                "job-applications", applications,
                                                                applications is not None)}}

    def _application_resource(self, candidate: SimCandidate, application: SimApplication, document: _Document,
                              includes: set[str]) -> dict:
        stage_id, stage_index = self._current_stage(application)
        related: dict[str, Any] = {}
        if "candidate" in includes:
            related["candidate"] = _ref("candidates", candidate.id)
            document.include({"id": str(candidate.id), "type": "candidates",
                              "attributes": _candidate_attributes(candidate)})
        if "stage" in includes:
            related["stage"] = _ref("stages", stage_id)
            document.include(self._stage_resource(application.job_id, stage_index, document))
        if "job" in includes:
            related["job"] = _ref("jobs", application.job_id)
            document.include({"id": str(application.job_id), "type": "jobs",
                              "attributes": {"title": application.job_name, "status": "open"}})
        if "reject-reason" in includes:
            related["reject-reason"] = None
            if application.status == "rejected" and application.rejection_reason:
                reason_id = _reason_id(application.rejection_reason)
                related["reject-reason"] = _ref("reject-reasons", reason_id)
                document.include({"id": str(reason_id), "type": "reject-reasons",
                                  "attributes": {"reason": application.rejection_reason,
                                                 "rejected-by-company": application.rejection_reason != "Withdrew"}})
        names = ("candidate", "job", "stage", "reject-reason")
        return {
            "id": str(application.id), "type": "job-applications",
            "links": {"self": document.url(f"job-applications/{application.id}")},
            "attributes": _application_attributes(application),
            "relationships": {name: _relationship(document, "job-applications", application.id, name,
                                                  related.get(name), name in related) for name in names}}

    def _stage_resource(self, job_id: int, index: int, document: _Document) -> dict:
        name, stage_type = _stage_name_type(index)
        in_stage = [a for a in self.data.applications()
                    if a.job_id == job_id and self._current_stage(a)[1] == index]
        return {
            "id": str(_stage_id(job_id, index)), "type": "stages",
            "links": {"self": document.url(f"stages/{_stage_id(job_id, index)}")},
            "attributes": {"name": name, "stage-type": stage_type, "row-order": index,
                           "active-job-applications-count": sum(a.status != "rejected" for a in in_stage),
                           "rejected-job-applications-count": sum(a.status == "rejected" for a in in_stage)}}

    def _referral_resource(self, candidate: SimCandidate, application: SimApplication, document: _Document,
                           includes: set[str]) -> dict:
        related: dict[str, Any] = {}
        referrer = application.referrer
        if "user" in includes:
            user = next((u for u in self.data.users if referrer and u.id == referrer.user_id), None)
            related["user"] = _ref("users", user.id) if user else None
            if user:
                document.include(_user_resource(user, document))
        if "candidate" in includes:
            related["candidate"] = _ref("candidates", candidate.id)
            document.include({"id": str(candidate.id), "type": "candidates",
                              "attributes": _candidate_attributes(candidate)})
        if "job" in includes:
            related["job"] = _ref("jobs", application.job_id)
            document.include({"id": str(application.job_id), "type": "jobs",
                              "attributes": {"title": application.job_name}})
        return {
            "id": str(application.id), "type": "referrals",
            "links": {"self": document.url(f"referrals/{application.id}")},
            "attributes": {"comment": f"Worked with {candidate.first_name} before",
                           "created-at": _ts(application.applied_at),
                           "name": f"{candidate.first_name} {candidate.last_name}",
                           "email": candidate.emails[0] if candidate.emails else None,
                           "phone": candidate.phones[0] if candidate.phones else None},
            "relationships": {name: _relationship(document, "referrals", application.id, name, related.get(name),
                                                  name in related) for name in ("candidate", "job", "user")}}

    def _current_stage(self, application: SimApplication) -> tuple[int, int]:
        """(stage id, template index) of the stage the application sits in now."""
        if application.status == "hired":
            return _stage_id(application.job_id, HIRED_INDEX), HIRED_INDEX
        name = application.stages[-1].name if application.stages else STAGE_NAMES[0]
        index = STAGE_NAMES.index(name) if name in STAGE_NAMES else 0
        return _stage_id(application.job_id, index), index

    # --- webhooks ---------------------------------------------------------------------------------

    def webhook_delivery(self, key: str, event: str, candidate: SimCandidate, *, t: int | None = None,
                         version: str = "v2", now: float | None = None, application: SimApplication | None = None
                         ) -> tuple[bytes, dict[str, str]]:
        """A signed company-webhook delivery shaped as Teamtailor documents it (the fixture of the event, with
        this candidate's values): v2 signs `<t>.` + the raw body, v1 (legacy) the hex HMAC of `data.id`. A
        job_application payload names no candidate, as documented."""
        fixture = webhooks("teamtailor").get(event)
        if fixture is None:
            raise ValueError(f"Teamtailor documents no {event!r} company webhook")
        body = copy.deepcopy(fixture.body)
        data = body["payload"]["data"]
        if event.startswith("candidate."):
            data["id"] = str(candidate.id)
            if "attributes" in data:
                data["attributes"] = {**data["attributes"], **_candidate_attributes(candidate)}
        else:
            application = application or candidate.applications[0]
            data["id"] = str(application.id)
            if "attributes" in data:
                stage = _stage_name_type(self._current_stage(application)[1])[0]
                data["attributes"] = {**data["attributes"], "updated_at": _ts(application.updated_at),
                                      "job_id": application.job_id, "job_title": application.job_name,
                                      "stage_name": stage, "last_moved_at": _ts(application.updated_at),
                                      "rejected_at": _ts(application.closed_at)
                                      if application.status == "rejected" else None}
        if version == "v1":
            signature = base64.b64encode(_hex_hmac(key, data["id"]).encode()).decode()
            body["signature"] = signature
            return _compact(body).encode(), {"TT-Signature": signature, "Content-Type": "application/json"}
        timestamp = int(now if now is not None else time.time()) if t is None else t
        body["signature"] = base64.b64encode(_hex_hmac(key, data["id"]).encode()).decode()  # the v1 value
        raw = _compact(body)
        signature = base64.b64encode(f"t={timestamp},v2={_hex_hmac(key, f'{timestamp}.{raw}')}".encode()).decode()
        return raw.encode(), {"TT-Signature": signature, "Content-Type": "application/json"}


def _hex_hmac(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


class _Document:
    """A JSON:API document being built: top-level members plus de-duplicated `included` resources."""

    def __init__(self, host_url: str) -> None:
        self.base = host_url.rstrip("/") + "/v1/"
        self.body: dict[str, Any] = {}
        self.included: dict[tuple[str, str], dict] = {}

    def url(self, path: str) -> str:
        return self.base + path

    def include(self, resource: dict) -> None:
        self.included.setdefault((resource["type"], resource["id"]), resource)


# --- attributes -----------------------------------------------------------------------------------


def _candidate_attributes(candidate: SimCandidate) -> dict[str, Any]:
    referred = any(a.source_kind == "referral" for a in candidate.applications)
    site = next((a.source_name for a in candidate.applications if a.source_kind not in ("referral", "sourced")), None)
    created = min((a.applied_at for a in candidate.applications), default=candidate.updated_at)
    return {
        "first-name": candidate.first_name, "last-name": candidate.last_name,
        "email": candidate.emails[0] if candidate.emails else None,
        "phone": candidate.phones[0] if candidate.phones else None,
        "linkedin-url": candidate.linkedin_url, "linkedin-uid": None, "linkedin-profile": None,
        "picture": None, "pitch": None, "resume": None, "connected": False, "internal": False,
        "unsubscribed": False, "referred": referred,
        "sourced": any(a.source_kind == "sourced" for a in candidate.applications),
        "referring-site": site, "referring-url": None, "tags": list(candidate.tags),
        "created-at": _ts(created), "updated-at": _ts(candidate.updated_at)}


def _application_attributes(application: SimApplication) -> dict[str, Any]:
    if application.status == "hired":
        changed = application.closed_at
    else:
        changed = application.stages[-1].reached_at if application.stages else application.applied_at
    own_site = application.source_kind not in ("referral", "sourced")
    return {
        "created-at": _ts(application.applied_at), "updated-at": _ts(application.updated_at),
        "rejected-at": _ts(application.closed_at) if application.status == "rejected" else None,
        "changed-stage-at": _ts(changed), "cover-letter": None,
        "referring-site": application.source_name if own_site else None, "referring-url": None,
        "sourced": application.source_kind == "sourced"}


def _user_resource(user: SimUser, document: _Document) -> dict:
    return {"id": str(user.id), "type": "users", "links": {"self": document.url(f"users/{user.id}")},
            "attributes": {"name": user.name, "email": user.email, "login-email": user.email,
                           "username": user.email.partition("@")[0], "title": None, "role": "user"}}


def _stage_name_type(index: int) -> tuple[str, str]:
    if index == HIRED_INDEX:
        return "Hired", "Hired"
    if index == 0:
        return "Inbox", "Inbox"  # the dataset's first stage is the job's undeletable Inbox
    return STAGE_NAMES[index], "In process"


def _stage_id(job_id: int, index: int) -> int:
    return job_id * 100 + index


def _reason_id(reason: str) -> int:
    return REJECTIONS.index(reason) + 1 if reason in REJECTIONS else len(REJECTIONS) + 1


def _ref(kind: str, identifier: int | str) -> dict[str, str]:
    return {"type": kind, "id": str(identifier)}


def _relationship(document: _Document, owner: str, owner_id: int, name: str, data: Any,
                  linked: bool) -> dict[str, Any]:
    """Links always; `data` (linkage) only for relationships the request included, as JSON:API servers do."""
    relationship: dict[str, Any] = {"links": {"self": document.url(f"{owner}/{owner_id}/relationships/{name}"),
                                              "related": document.url(f"{owner}/{owner_id}/{name}")}}
    if linked:
        relationship["data"] = data
    return relationship


def _ts(moment: datetime | None) -> str | None:
    return moment.astimezone(LOCAL).isoformat(timespec="milliseconds") if moment else None


def _compact(value: Any) -> str:
    """JSON text as JavaScript's JSON.stringify writes it (Teamtailor's webhook sender is Node)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# --- request parsing ------------------------------------------------------------------------------


def _page(request: Request) -> tuple[int, int]:
    size = _positive(request.args.get("page[size]", str(DEFAULT_PAGE_SIZE)), "page[size]")
    if size > MAX_PAGE_SIZE:
        raise BadRequest(f"page[size] {size} exceeds the maximum of {MAX_PAGE_SIZE}")
    return size, _positive(request.args.get("page[number]", "1"), "page[number]")


def _positive(value: str, name: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise BadRequest(f"{name} must be a positive integer") from None
    if number < 1:
        raise BadRequest(f"{name} must be a positive integer")
    return number


def _includes(request: Request, allowed: set[str]) -> set[str]:
    names = {name for name in request.args.get("include", "").split(",") if name}
    unknown = sorted(names - allowed)
    if unknown:
        raise BadRequest(f"{unknown[0]} is not a valid includable relationship")
    return names


def _filter_from(request: Request, allowed: Iterable[str]) -> datetime | None:
    unknown = [k for k in request.args if k.startswith("filter[") and k not in allowed]
    if unknown:
        raise BadRequest(f"{unknown[0]} is not allowed")
    value = request.args.get("filter[updated-at][from]")
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"filter[updated-at][from] {value!r} is not a date") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _page_link(request: Request, number: int, size: int) -> str:
    query = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page[number]", "page[size]")]
    query += [("page[number]", str(number)), ("page[size]", str(size))]
    return f"{request.base_url}?{urlencode(query)}"


def _write_data(request: Request, kind: str) -> dict[str, Any]:
    if request.mimetype != JSON_API:
        raise UnsupportedMediaType(f"Content-Type must be {JSON_API}")
    try:
        document = json.loads(request.get_data(as_text=True))
    except ValueError:
        raise BadRequest("the body is not JSON") from None
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, dict) or data.get("type") != kind:
        raise Conflict(f"data.type must be {kind}")
    return data


def _related_int(data: dict[str, Any], name: str, *, required: bool = True) -> int | None:
    linkage = ((data.get("relationships") or {}).get(name) or {}).get("data")
    if linkage is None:
        if required:
            raise UnprocessableEntity(f"{name} relationship is required")
        return None
    try:
        return int(linkage["id"])
    except (TypeError, KeyError, ValueError):
        raise UnprocessableEntity(f"{name} relationship needs an id") from None
