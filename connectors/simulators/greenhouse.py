"""Greenhouse Harvest v3, simulated: renders a Dataset the way v3 answers, unpleasant parts included.

What it imitates (sources and open questions are listed in connectors/greenhouse.py):
- `POST /token`: the client-credentials grant with HTTP Basic client id/secret and `grant_type=client_credentials`,
  an optional `sub` (a user id); answers `access_token`, `token_type`, `expires_at` (ISO) and `expires_in`.
  A wrong client gets 401 `invalid_client`. Besides the default client, `accounts` holds other customers' clients
  (`account_credentials(n)`): each is an account of its own, its tokens counted against its own quota window, so one
  customer's requests never spend another's quota.
- Every `/v3` route wants `Authorization: Bearer <live token>` (401 otherwise, expired tokens too) and counts against
  a fixed quota window; every answer past authentication carries X-RateLimit-Limit/Remaining/Reset (Reset in
  seconds), and a spent window gets 429 with Retry-After (both from the base class).
- Lists are bare JSON arrays ordered by id descending. `per_page` is 1-500 (default 100). While more rows remain,
  `Link: <...>; rel="next"` points at a URL whose only parameter is an opaque `cursor` that remembers the first
  request's filters; a request with `cursor` and anything else, an unknown parameter, a bad `per_page`, a bad id list
  (more than 50 ids) or a bad date filter gets 422 with `{"errors": [...]}`.
- `/v3/rejection_reasons` lists Greenhouse's built-in reasons (the dataset's REJECTIONS) only with
  `include_defaults=true`; reasons the customer added always.
- Filters: `ids`, the plural cross-references (`candidate_ids`, `application_ids`, `job_ids`, `candidate_tag_ids`),
  `status`, and `updated_at` / `created_at` as `op|ISO` pairs (gte, lte, gt, lt; chainable: `gte|A|lte|B`).
- Records are flat (children name their parent by id). Live applications read `in_process`; closed ones have no
  current stage; the stage history lives in `/v3/application_stages` against per-job `/v3/job_interview_stages`.
  `referrer_id` points at `/v3/referrers`, whose `user_id` points at `/v3/users`.
- Writes: `POST /v3/notes` (needs `note_type: "NOTE"` and a `visibility`; a note for a missing candidate is stored as
  an orphan in `orphan_notes`, as reported of the live API), `POST /v3/candidate_tags`, `POST` and
  `DELETE /v3/applied_candidate_tags`. Unknown body fields get 422. Notes and tags land on the dataset candidate.
- `GET /v3/candidates/{id}` is served because it was asked for, although public client code reports that live v3
  has no per-record read routes; the connector reads one candidate with `ids=` instead.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import copy
import hashlib
import hmac
import itertools
import json
import uuid
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from connectors.fixtures import webhooks
from connectors.simulators.base import Simulator
from connectors.simulators.dataset import JOBS, REJECTIONS, SOURCES, STAGES, Dataset, SimApplication, SimCandidate

MAX_PER_PAGE = 500
DEFAULT_PER_PAGE = 100
MAX_IDS = 50
VISIBILITIES = frozenset({"public", "private", "admin_only"})
WEBHOOK_ACTIONS = ("reject_candidate", "hire_candidate", "candidate_stage_change", "update_candidate",
                   "delete_candidate", "merge_candidate", "candidate_anonymized", "new_candidate_application",
                   "new_prospect_application", "ping")

_DATES = ("updated_at", "created_at")
_COMMON = {"ids", *_DATES}
_LIST_FILTERS: dict[str, set[str]] = {
    "candidates": _COMMON,
    "applications": _COMMON | {"candidate_ids", "job_ids", "status"},
    "application_stages": _COMMON | {"application_ids"},
    "job_interview_stages": _COMMON | {"job_ids"},
    "jobs": _COMMON,
    "sources": _COMMON,
    "users": _COMMON | {"show_service_accounts"},
    "referrers": _COMMON,
    "rejection_reasons": _COMMON | {"include_defaults"},
    "candidate_tags": _COMMON,
    "applied_candidate_tags": _COMMON | {"candidate_ids", "candidate_tag_ids"},
    "notes": _COMMON | {"candidate_ids", "application_ids"},
}
_STRATEGIES = {"referral": (1, "Referral"), "sourced": (2, "Prospecting"), "applied": (3, "Company marketing"),
               "agency": (4, "Agencies"), "event": (5, "In person event")}
_WE_REJECTED = {"id": 1, "key": "WE_REJECTED_THEM", "name": "We rejected them"}
_THEY_REJECTED = {"id": 2, "key": "THEY_REJECTED_US", "name": "They rejected us"}
_OPERATORS: dict[str, Callable[[datetime, datetime], bool]] = {
    "gte": lambda a, b: a >= b, "lte": lambda a, b: a <= b, "gt": lambda a, b: a > b, "lt": lambda a, b: a < b}

_ROUTES = Map([
    Rule("/token", endpoint="token", methods=["POST"]),
    *(Rule(f"/v3/{name}", endpoint=name, methods=["GET"]) for name in _LIST_FILTERS),
    Rule("/v3/candidates/<int:item_id>", endpoint="candidate", methods=["GET"]),
    Rule("/v3/notes", endpoint="create_note", methods=["POST"]),
    Rule("/v3/candidate_tags", endpoint="create_candidate_tag", methods=["POST"]),
    Rule("/v3/applied_candidate_tags", endpoint="apply_tag", methods=["POST"]),
    Rule("/v3/applied_candidate_tags/<int:item_id>", endpoint="remove_applied_tag", methods=["DELETE"]),
])


class _Invalid(Exception):
    """A request v3 refuses with 422."""


class _Table:
    """A lookup table (stage names, sources, referrers, ...) whose ids are positions, read from the dataset once
    rather than for every row rendered. A key it does not hold rebuilds it, so names the dataset gains later are
    still found; listing the table rebuilds it too."""

    def __init__(self, build: Callable[[], list[Any]]) -> None:
        self._build = build
        self._positions: dict[Hashable, int] | None = None

    def keys(self) -> list[Any]:
        keys = self._build()
        self._positions = {}
        for position, key in enumerate(keys):
            self._positions.setdefault(key, position)
        return keys

    def position(self, key: Hashable) -> int:
        if self._positions is None or key not in self._positions:
            self.keys()
        assert self._positions is not None
        return self._positions[key]


CLIENT_ID = "brobygger-client"  # the simulator's default OAuth client (demo and tests)
CLIENT_SECRET = "brobygger-secret"


def account_credentials(number: int) -> tuple[str, str]:
    """The client id and secret of another account (1, 2, …): what `--accounts N` serves besides the default."""
    return f"{CLIENT_ID}-{number}", f"{CLIENT_SECRET}-{number}"


class GreenhouseSimulator(Simulator):
    def __init__(self, dataset: Dataset, *, client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET,
                 accounts: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(dataset, **kwargs)
        self.client_id = client_id
        self.client_secret = client_secret
        self.accounts = dict(accounts or {})  # other accounts' client id -> secret; each has its own quota
        self._token_clients: dict[str, str] = {}  # token -> the other account's client id that got it
        self.orphan_notes: list[dict[str, Any]] = []
        self._tag_names: list[str] = []  # the tag catalogue; a tag's id is its index + 1
        self._subjects: dict[str, int | None] = {}  # token -> acting user (`sub`)
        self._note_ids = itertools.count(1)
        self._stage_table = _Table(self._stage_names)
        self._sources = _Table(self._source_table)
        self._referrers = _Table(self._referrer_table)
        self._rejections = _Table(self._rejection_names)
        self._by_id: tuple[int, dict[int, SimApplication], list[int]] | None = None

    # --- base-class hooks -------------------------------------------------------------------------

    def is_public(self, request: Request) -> bool:
        return request.path == "/token"

    def account(self, request: Request) -> str | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        with self._lock:
            return self._token_clients.get(token.strip())

    def authenticate(self, request: Request) -> Response | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token or not self.token_valid(token.strip()):
            return self.json({"error": "invalid_token", "error_description": "missing, unknown or expired token"},
                             401, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return None

    def route(self, request: Request) -> Response:
        endpoint, args = _ROUTES.bind_to_environ(request.environ).match()
        if endpoint in _LIST_FILTERS:
            return self._list(request, endpoint)
        return getattr(self, f"_{endpoint}")(request, **args)

    # --- token ------------------------------------------------------------------------------------

    def _token(self, request: Request) -> Response:
        auth = request.authorization
        client = self._client(auth.username or "", auth.password or "") \
            if auth is not None and auth.type == "basic" else None
        if client is None:
            return self.json({"error": "invalid_client"}, 401, {"WWW-Authenticate": 'Basic realm="greenhouse"'})
        if request.form.get("grant_type") != "client_credentials":
            return self.json({"error": "unsupported_grant_type"}, 400)
        sub = request.form.get("sub")
        if sub is not None and not any(str(user.id) == sub for user in self.data.users):
            return self.json({"error": "invalid_request", "error_description": "sub is not a user"}, 400)
        token, expires_at = self.issue_token()
        with self._lock:
            self._subjects[token] = int(sub) if sub is not None else None
            if client != self.client_id:
                self._token_clients[token] = client
        return self.json({"access_token": token, "token_type": "Bearer",
                          "expires_at": _ts(datetime.fromtimestamp(expires_at, UTC)),
                          "expires_in": int(self.token_lifetime)})

    def _client(self, client_id: str, secret: str) -> str | None:
        """The client id when the pair is the default client's or another account's, else None."""
        if hmac.compare_digest(client_id, self.client_id):
            return client_id if hmac.compare_digest(secret, self.client_secret) else None
        expected = self.accounts.get(client_id)
        return client_id if expected is not None and hmac.compare_digest(secret, expected) else None

    def _acting_user(self, request: Request) -> int | None:
        token = request.headers.get("Authorization", "").partition(" ")[2].strip()
        with self._lock:
            return self._subjects.get(token)

    # --- lists ------------------------------------------------------------------------------------

    def _list(self, request: Request, name: str) -> Response:
        try:
            query, after = _list_query(request)
            per_page, filters = _parse_filters(query, _LIST_FILTERS[name])
        except _Invalid as exc:
            return self.json({"errors": [str(exc)]}, 422)
        rows = (row for row in self._descending(name, filters, after) if _matches(row, filters))
        if name == "rejection_reasons" and query.get("include_defaults") != "true":
            rows = (row for row in rows if row["name"] not in REJECTIONS)  # the built-in reasons stay out
        page = list(itertools.islice(rows, per_page + 1))
        headers = {"Link": _next_link(request, query, page[per_page - 1]["id"])} if len(page) > per_page else {}
        return self.json(page[:per_page], 200, headers)

    def _descending(self, name: str, filters: dict[str, Any], after: int | None) -> Iterator[dict[str, Any]]:
        """Rows by id descending, below the cursor. The large collections render only the rows a page reaches
        (and only those an id or date filter can match), so a page costs the same on the last page of 100,000
        candidates as on the first."""
        if name == "candidates":
            return self._candidates_descending(filters, after)
        if name == "applications":
            return self._applications_descending(filters, after)
        if name == "application_stages" and "application_ids" in filters:
            applications = self._applications_by_id(filters["application_ids"])
            rows = [row for application in applications for row in self._stage_rows(application)]
        else:
            rows = getattr(self, f"_{name}_rows")()
        rows.sort(key=lambda row: row["id"], reverse=True)
        return (row for row in rows if after is None or row["id"] < after)

    def _candidates_descending(self, filters: dict[str, Any], after: int | None) -> Iterator[dict[str, Any]]:
        if "ids" in filters:
            chosen: Iterable[SimCandidate] = sorted(
                (c for c in map(self.data.candidate, filters["ids"]) if c is not None), key=lambda c: -c.id)
        else:  # a candidate's id is its position + 1 (Dataset.candidate relies on it too)
            top = len(self.data.candidates) if after is None else min(after - 1, len(self.data.candidates))
            chosen = (self.data.candidates[index] for index in range(top - 1, -1, -1))
        for candidate in chosen:
            if (after is None or candidate.id < after) and not candidate.deleted \
                    and _dates_allow(candidate.updated_at, filters.get("updated_at")):
                yield _candidate_row(candidate)

    def _applications_descending(self, filters: dict[str, Any], after: int | None) -> Iterator[dict[str, Any]]:
        if "ids" in filters:
            chosen: Iterable[SimApplication] = sorted(self._applications_by_id(filters["ids"]), key=lambda a: -a.id)
        elif "candidate_ids" in filters:
            chosen = sorted((a for c in map(self.data.candidate, filters["candidate_ids"]) if c is not None
                             for a in c.applications), key=lambda a: -a.id)
        else:
            _, by_id, ids = self._application_index()
            top = len(ids) if after is None else bisect.bisect_left(ids, after)
            chosen = (by_id[ids[index]] for index in range(top - 1, -1, -1))
        for application in chosen:
            if (after is None or application.id < after) and self.data.candidate(application.candidate_id) \
                    and _dates_allow(application.updated_at, filters.get("updated_at")):
                yield self._application_row(application)

    def _application_index(self) -> tuple[int, dict[int, SimApplication], list[int]]:
        """Applications by id and their ids in order, built once: a dataset gains no applications after it is
        generated (candidates' applications change state, never number), so the candidate count keys it."""
        if self._by_id is None or self._by_id[0] != len(self.data.candidates):
            by_id = {a.id: a for c in self.data.candidates for a in c.applications}
            self._by_id = (len(self.data.candidates), by_id, sorted(by_id))
        return self._by_id

    def _applications_by_id(self, ids: Iterable[int]) -> list[SimApplication]:
        by_id = self._application_index()[1]
        found = (by_id.get(i) for i in ids)
        return [a for a in found if a is not None and self.data.candidate(a.candidate_id) is not None]

    def _candidate(self, request: Request, item_id: int) -> Response:
        found = self.data.candidate(item_id)
        return self.json(_candidate_row(found)) if found else self.error(404, "Resource not found")

    # --- rendering ----------------------------------------------------------------------------------

    def _live(self) -> list[SimCandidate]:
        return [candidate for candidate in self.data.candidates if not candidate.deleted]

    def _candidates_rows(self) -> list[dict[str, Any]]:
        return [_candidate_row(candidate) for candidate in self._live()]

    def _applications_rows(self) -> list[dict[str, Any]]:
        return [self._application_row(application) for application in self.data.applications()]

    def _application_row(self, application: SimApplication) -> dict[str, Any]:
        current = application.stages[-1] if application.status == "active" and application.stages else None
        stage_id = self._job_stage_id(application.job_id, current.name) if current else None
        return {
            "id": application.id, "candidate_id": application.candidate_id, "job_id": application.job_id,
            "prospect": False, "prospective_job_ids": [],
            "status": "in_process" if application.status == "active" else application.status,
            "created_at": _ts(application.applied_at), "updated_at": _ts(application.updated_at),
            "last_activity_at": _ts(application.updated_at),
            "rejected_at": _ts(application.closed_at) if application.status == "rejected" else None,
            "rejection_reason_id": self._rejection_id(application.rejection_reason)
            if application.status == "rejected" else None,
            "job_interview_stage_id": stage_id, "stage_id": stage_id,
            "stage_name": current.name if current else None,
            "source_id": self._source_id(application.source_name, application.source_kind),
            "referrer_id": self._referrer_id(application.referrer) if application.referrer else None,
            "recruiter_id": None, "coordinator_id": None, "job_post_id": None,
        }

    def _application_stages_rows(self) -> list[dict[str, Any]]:
        return [row for application in self.data.applications() for row in self._stage_rows(application)]

    def _stage_rows(self, application: SimApplication) -> list[dict[str, Any]]:
        rows = []
        closed = application.status != "active"
        for index, stage in enumerate(application.stages):
            last = index == len(application.stages) - 1
            exited = application.stages[index + 1].reached_at if not last else (
                application.closed_at if closed else None)
            rows.append({"id": stage.id, "application_id": application.id,
                         "job_interview_stage_id": self._job_stage_id(application.job_id, stage.name),
                         "entered_at": _ts(stage.reached_at), "exited_at": _ts(exited) if exited else None,
                         "current": last and not closed, "created_at": _ts(stage.reached_at),
                         "updated_at": _ts(application.updated_at)})
        return rows

    def _stage_names(self) -> list[str]:
        names = [name for name, _ in STAGES]
        for application in self.data.applications():
            names += [stage.name for stage in application.stages if stage.name not in names]
        return names

    def _job_stage_id(self, job_id: int, name: str) -> int:
        return job_id * 100 + self._stage_table.position(name)

    def _job_interview_stages_rows(self) -> list[dict[str, Any]]:
        names = self._stage_table.keys()
        return [{"id": job["id"] * 100 + index, "job_id": job["id"], "name": name, "sort_order": index,
                 "active": True, "created_at": job["created_at"], "updated_at": job["updated_at"]}
                for job in self._jobs_rows() for index, name in enumerate(names)]

    def _jobs_rows(self) -> list[dict[str, Any]]:
        names = dict(enumerate(JOBS, start=1))
        names.update({application.job_id: application.job_name for application in self.data.applications()})
        stamp = _ts(self.data.now)
        return [{"id": job_id, "name": name, "status": "open", "confidential": False, "created_at": stamp,
                 "updated_at": stamp} for job_id, name in sorted(names.items())]

    def _source_table(self) -> list[tuple[str, str]]:
        table = list(SOURCES)
        for candidate in self.data.candidates:
            table += [(a.source_name, a.source_kind) for a in candidate.applications
                      if (a.source_name, a.source_kind) not in table]
        return table

    def _source_id(self, name: str, kind: str) -> int:
        return self._sources.position((name, kind)) + 1

    def _sources_rows(self) -> list[dict[str, Any]]:
        stamp = _ts(self.data.now)
        return [{"id": index, "name": name, "created_at": stamp, "updated_at": stamp,
                 "type": dict(zip(("id", "name"), _STRATEGIES.get(kind, (9, "Other")), strict=True))}
                for index, (name, kind) in enumerate(self._sources.keys(), start=1)]

    def _referrer_table(self) -> list[tuple[str, int | None]]:
        table: list[tuple[str, int | None]] = []
        for candidate in self.data.candidates:
            table += [key for key in ((a.referrer.name, a.referrer.user_id) for a in candidate.applications
                                      if a.referrer) if key not in table]
        return table

    def _referrer_id(self, referrer: Any) -> int:
        return self._referrers.position((referrer.name, referrer.user_id)) + 1

    def _referrers_rows(self) -> list[dict[str, Any]]:
        stamp = _ts(self.data.now)
        return [{"id": index, "name": name, "user_id": user_id, "created_at": stamp, "updated_at": stamp}
                for index, (name, user_id) in enumerate(self._referrers.keys(), start=1)]

    def _users_rows(self) -> list[dict[str, Any]]:
        stamp = _ts(self.data.now)
        rows = []
        for user in self.data.users:
            first, _, last = user.name.partition(" ")
            rows.append({"id": user.id, "first_name": first, "last_name": last, "name": user.name,
                         "primary_email": user.email, "emails": [user.email], "deactivated": False,
                         "site_admin": False, "employee_id": None, "created_at": stamp, "updated_at": stamp})
        return rows

    def _rejection_names(self) -> list[str]:
        names = list(REJECTIONS)
        for application in self.data.applications():
            if application.rejection_reason and application.rejection_reason not in names:
                names.append(application.rejection_reason)
        return names

    def _rejection_id(self, name: str | None) -> int | None:
        return self._rejections.position(name) + 1 if name else None

    def _rejection_reasons_rows(self) -> list[dict[str, Any]]:
        stamp = _ts(self.data.now)
        return [{"id": index, "name": name, "created_at": stamp, "updated_at": stamp,
                 "type": _THEY_REJECTED if "withdr" in name.casefold() else _WE_REJECTED}
                for index, name in enumerate(self._rejections.keys(), start=1)]

    def _tag_catalogue(self) -> list[str]:
        for candidate in self.data.candidates:
            self._tag_names += [tag for tag in candidate.tags if tag not in self._tag_names]
        return self._tag_names

    def _candidate_tags_rows(self) -> list[dict[str, Any]]:
        stamp = _ts(self.data.now)
        return [{"id": index, "name": name, "created_at": stamp, "updated_at": stamp}
                for index, name in enumerate(self._tag_catalogue(), start=1)]

    def _applied_candidate_tags_rows(self) -> list[dict[str, Any]]:
        catalogue = self._tag_catalogue()
        return [{"id": candidate.id * 1000 + catalogue.index(tag) + 1, "candidate_id": candidate.id,
                 "candidate_tag_id": catalogue.index(tag) + 1, "created_at": _ts(candidate.updated_at),
                 "updated_at": _ts(candidate.updated_at)}
                for candidate in self._live() for tag in candidate.tags]

    def _notes_rows(self) -> list[dict[str, Any]]:
        return [note for candidate in self._live() for note in candidate.notes]

    # --- writes -----------------------------------------------------------------------------------

    def _create_note(self, request: Request) -> Response:
        try:
            body = _body(request, required={"candidate_id": int, "body": str, "note_type": str, "visibility": str},
                         optional={"user_id": int, "application_id": int})
            if body["note_type"] != "NOTE":
                raise _Invalid("note_type must be NOTE")
            if body["visibility"] not in VISIBILITIES:
                raise _Invalid(f"visibility must be one of {', '.join(sorted(VISIBILITIES))}")
            if not body["body"].strip():
                raise _Invalid("body must not be blank")
        except _Invalid as exc:
            return self.json({"errors": [str(exc)]}, 422)
        now = _ts(datetime.now(UTC))
        note = {"id": next(self._note_ids), "candidate_id": body["candidate_id"],
                "application_id": body.get("application_id"),
                "user_id": body.get("user_id", self._acting_user(request)), "body": body["body"],
                "visibility": body["visibility"], "type": "NOTE", "created_at": now, "updated_at": now}
        candidate = self.data.candidate(body["candidate_id"])
        (candidate.notes if candidate else self.orphan_notes).append(note)  # v3 does not check the candidate id
        return self.json(note, 201)

    def _create_candidate_tag(self, request: Request) -> Response:
        try:
            name = _body(request, required={"name": str}, optional={})["name"].strip()
            if not name or name in self._tag_catalogue():
                raise _Invalid("name must be present and unique")
        except _Invalid as exc:
            return self.json({"errors": [str(exc)]}, 422)
        self._tag_names.append(name)
        stamp = _ts(datetime.now(UTC))
        return self.json({"id": len(self._tag_names), "name": name, "created_at": stamp, "updated_at": stamp}, 201)

    def _apply_tag(self, request: Request) -> Response:
        try:
            body = _body(request, required={"candidate_id": int, "candidate_tag_id": int}, optional={})
            catalogue = self._tag_catalogue()
            candidate = self.data.candidate(body["candidate_id"])
            if candidate is None:
                raise _Invalid("candidate_id does not name a candidate")
            if not 1 <= body["candidate_tag_id"] <= len(catalogue):
                raise _Invalid("candidate_tag_id does not name a candidate tag")
            name = catalogue[body["candidate_tag_id"] - 1]
            if name in candidate.tags:
                raise _Invalid("the tag is already applied to this candidate")
        except _Invalid as exc:
            return self.json({"errors": [str(exc)]}, 422)
        candidate.tags.append(name)
        candidate.updated_at = datetime.now(UTC)
        row = next(r for r in self._applied_candidate_tags_rows()
                   if r["candidate_id"] == candidate.id and r["candidate_tag_id"] == body["candidate_tag_id"])
        return self.json(row, 201)

    def _remove_applied_tag(self, request: Request, item_id: int) -> Response:
        row = next((r for r in self._applied_candidate_tags_rows() if r["id"] == item_id), None)
        candidate = self.data.candidate(row["candidate_id"]) if row else None
        if row is None or candidate is None:
            return self.error(404, "Resource not found")
        candidate.tags.remove(self._tag_catalogue()[row["candidate_tag_id"] - 1])
        candidate.updated_at = datetime.now(UTC)
        return self.json({"id": item_id, "message": "deleted"})


# --- query parsing ------------------------------------------------------------------------------------


def _list_query(request: Request) -> tuple[dict[str, str], int | None]:
    """The effective query: the first request's own, or the one a cursor carries (then nothing else may come)."""
    pairs = list(request.args.items(multi=True))
    if "cursor" not in request.args:
        if len({key for key, _ in pairs}) != len(pairs):
            raise _Invalid("a query parameter is repeated")
        return dict(pairs), None
    if len(pairs) != 1:
        raise _Invalid("cursor must be the only query parameter; the other parameters live inside it")
    raw = request.args["cursor"]
    try:
        state = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        return dict(state["q"]), int(state["after"])
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise _Invalid("the cursor is not one this server issued") from None


def _next_link(request: Request, query: dict[str, str], last_id: int) -> str:
    cursor = base64.urlsafe_b64encode(json.dumps({"q": query, "after": last_id}).encode()).decode().rstrip("=")
    return f'<{request.host_url.rstrip("/")}{request.path}?{urlencode({"cursor": cursor})}>; rel="next"'


def _parse_filters(query: dict[str, str], allowed: set[str]) -> tuple[int, dict[str, Any]]:
    unknown = sorted(set(query) - allowed - {"per_page"})
    if unknown:
        raise _Invalid(f"Invalid query params: {', '.join(unknown)}")
    per_page = query.get("per_page", str(DEFAULT_PER_PAGE))
    if not per_page.isdigit() or not 1 <= int(per_page) <= MAX_PER_PAGE:
        raise _Invalid(f"per_page must be between 1 and {MAX_PER_PAGE}")
    filters: dict[str, Any] = {}
    for key, value in query.items():
        if key == "ids" or key.endswith("_ids"):
            filters[key] = _id_list(key, value)
        elif key in _DATES:
            filters[key] = _date_filter(key, value)
        elif key == "status":
            filters[key] = value
        elif key == "include_defaults" and value not in ("true", "false"):
            raise _Invalid("include_defaults must be true or false")
    return int(per_page), filters


def _id_list(key: str, value: str) -> set[int]:
    parts = [part.strip() for part in value.split(",")]
    if not parts or not all(part.isdigit() for part in parts):
        raise _Invalid(f"{key} must be comma-separated integers")
    if len(parts) > MAX_IDS:
        raise _Invalid(f"{key} accepts at most {MAX_IDS} ids")
    return {int(part) for part in parts}


def _date_filter(key: str, value: str) -> list[tuple[str, datetime]]:
    parts = value.split("|")
    if len(parts) % 2:
        raise _Invalid(f"{key} must be operator|datetime pairs, e.g. gte|2026-01-01T00:00:00Z")
    bounds = []
    for operator, moment in zip(parts[::2], parts[1::2], strict=True):
        if operator not in _OPERATORS:
            raise _Invalid(f"{key}: unknown operator {operator!r}; use gte, lte, gt or lt")
        try:
            bounds.append((operator, _parse_ts(moment)))
        except ValueError:
            raise _Invalid(f"{key}: {moment!r} is not an ISO 8601 datetime") from None
    return bounds


def _dates_allow(moment: datetime, bounds: list[tuple[str, datetime]] | None) -> bool:
    """A date filter checked on the dataset's own time (at the millisecond a row shows) before rendering."""
    if not bounds:
        return True
    shown = moment.astimezone(UTC).replace(microsecond=moment.microsecond // 1000 * 1000)
    return all(_OPERATORS[op](shown, bound) for op, bound in bounds)


def _matches(row: dict[str, Any], filters: dict[str, Any]) -> bool:
    for key, wanted in filters.items():
        if key == "ids":
            ok = row["id"] in wanted
        elif key.endswith("_ids"):
            ok = row.get(key[:-4] + "_id") in wanted
        elif key in _DATES:
            ok = row.get(key) is not None and all(
                _OPERATORS[op](_parse_ts(row[key]), bound) for op, bound in wanted)
        else:
            ok = row.get(key) == wanted
        if not ok:
            return False
    return True


def _body(request: Request, *, required: dict[str, type], optional: dict[str, type]) -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise _Invalid("the body must be a JSON object")
    extra = sorted(set(body) - set(required) - set(optional))
    if extra:
        raise _Invalid(f"disallowed additional properties: {', '.join(extra)}")
    missing = sorted(set(required) - set(body))
    if missing:
        raise _Invalid(f"missing required properties: {', '.join(missing)}")
    for key, kind in {**required, **optional}.items():
        if key in body and (not isinstance(body[key], kind) or isinstance(body[key], bool)):
            raise _Invalid(f"{key} must be of type {kind.__name__}")
    return body


def _ts(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _parse_ts(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _candidate_row(candidate: SimCandidate) -> dict[str, Any]:
    return {
        "id": candidate.id, "first_name": candidate.first_name, "last_name": candidate.last_name,
        "preferred_name": None, "company": candidate.employer, "title": candidate.title, "private": False,
        "can_email": True, "time_zone": None, "linked_user_ids": [], "custom_fields": {},
        "email_addresses": [{"value": email, "type": "personal"} for email in candidate.emails],
        "phone_numbers": [{"value": phone, "type": "mobile"} for phone in candidate.phones],
        "social_media_addresses": [{"value": candidate.linkedin_url}] if candidate.linkedin_url else [],
        "website_addresses": [], "addresses": [], "tags": list(candidate.tags),
        "created_at": _ts(min((a.applied_at for a in candidate.applications), default=candidate.updated_at)),
        "updated_at": _ts(candidate.updated_at), "last_activity_at": _ts(candidate.updated_at),
    }


# --- webhooks -----------------------------------------------------------------------------------------


def webhook_delivery(secret: str, action: str, candidate: SimCandidate | None, *, event_id: str | None = None,
                     merged_into: SimCandidate | None = None) -> tuple[bytes, dict[str, str]]:
    """A signed delivery as Greenhouse sends it: the documented body of the action (its fixture) with this
    candidate's values, non-ASCII and HTML-significant characters escaped, `Signature: sha256 <hex>` computed
    over exactly those bytes, and a unique `Greenhouse-Event-ID`. The ping's body is not documented: we send
    `{"action": "ping", "payload": {"web_hook_id": …}}`."""
    if action not in WEBHOOK_ACTIONS:
        raise ValueError(f"unknown webhook action {action!r}; known: {', '.join(WEBHOOK_ACTIONS)}")
    if candidate is None and action != "ping":
        raise ValueError(f"{action} needs a candidate")
    if action == "merge_candidate" and merged_into is None:
        raise ValueError("merge_candidate needs the surviving candidate")
    if candidate is None:
        document: dict[str, Any] = {"action": action, "payload": {"web_hook_id": 4242}}
    else:
        document = copy.deepcopy(webhooks("greenhouse")[action].body)
        for key, ours in _webhook_payload(action, candidate, merged_into).items():
            documented = document["payload"].get(key)
            document["payload"][key] = {**documented, **ours} if isinstance(documented, dict) else ours
    body = _escaped_json(document)
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "Signature": f"sha256 {digest}",
                  "Greenhouse-Event-ID": event_id or str(uuid.uuid4())}


def _escaped_json(document: Any) -> bytes:
    """JSON with unicode as \\uXXXX and <, >, & escaped too, the way Greenhouse's encoder writes it."""
    text = json.dumps(document, ensure_ascii=True, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    return text.encode("ascii")


def _webhook_payload(action: str, candidate: SimCandidate, merged_into: SimCandidate | None) -> dict[str, Any]:
    if action == "update_candidate":
        return {"candidate": _webhook_candidate(candidate)}
    if action in ("delete_candidate", "merge_candidate"):
        person = {"id": candidate.id, "first_name": candidate.first_name, "last_name": candidate.last_name,
                  "company": candidate.employer, "title": candidate.title, "is_private": False, "can_email": True}
        if merged_into is not None:
            person["new_candidate_id"] = merged_into.id
        else:
            person["deleted_application_ids"] = [a.id for a in candidate.applications]
        return {"person": person}
    if action == "candidate_anonymized":
        return {"candidate_id": candidate.id, "anonymized_fields": ["full_name", "email_addresses"]}
    wanted = {"reject_candidate": "rejected", "hire_candidate": "hired"}.get(action, "active")
    application = next((a for a in candidate.applications if a.status == wanted), candidate.applications[0])
    return {"application": _webhook_application(application, candidate)}


def _webhook_candidate(candidate: SimCandidate) -> dict[str, Any]:
    return {
        "id": candidate.id, "first_name": candidate.first_name, "last_name": candidate.last_name,
        "title": candidate.title, "company": candidate.employer, "external_id": None, "photo_url": None,
        "url": f"https://app.greenhouse.io/people/{candidate.id}", "is_private": False, "can_email": True,
        "phone_numbers": [{"value": phone, "type": "mobile"} for phone in candidate.phones],
        "email_addresses": [{"value": email, "type": "personal"} for email in candidate.emails],
        "social_media_addresses": [{"value": candidate.linkedin_url}] if candidate.linkedin_url else [],
        "addresses": [], "website_addresses": [], "tags": list(candidate.tags), "custom_fields": {},
    }


def _webhook_application(application: SimApplication, candidate: SimCandidate) -> dict[str, Any]:
    referrer = application.referrer
    credited = None if referrer is None else (
        {"id": referrer.user_id, "email": referrer.email, "name": referrer.name, "employee_id": None}
        if referrer.user_id is not None else {"name": referrer.name})
    stage = application.stages[-1] if application.stages else None
    return {
        "id": application.id, "status": application.status, "prospect": False,
        "applied_at": _ts(application.applied_at), "last_activity_at": _ts(application.updated_at),
        "rejected_at": _ts(application.closed_at) if application.status == "rejected" else None,
        "url": f"https://app.greenhouse.io/people/{candidate.id}?application_id={application.id}",
        "source": {"id": _source_index(application.source_name), "public_name": application.source_name},
        "credited_to": credited,
        "rejection_reason": _webhook_rejection(application.rejection_reason),
        "current_stage": {"id": stage.id, "name": stage.name, "interviews": []} if stage else None,
        "candidate": _webhook_candidate(candidate),
        "jobs": [{"id": application.job_id, "name": application.job_name, "status": "open"}],
        "custom_fields": {},
    }


def _webhook_rejection(reason: str | None) -> dict[str, Any] | None:
    if not reason:
        return None
    kind = _THEY_REJECTED if "withdr" in reason.casefold() else _WE_REJECTED
    index = REJECTIONS.index(reason) + 1 if reason in REJECTIONS else None
    return {"id": index, "name": reason, "type": {"id": kind["id"], "name": kind["name"]}}


def _source_index(name: str) -> int | None:
    return next((index for index, (source, _) in enumerate(SOURCES, start=1) if source == name), None)
