"""API authentication: `Authorization: Bearer <API key>` resolves the tenant once per request, onto `g`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, current_app, g, request
from sqlalchemy.exc import SQLAlchemyError

from ..errors import envelope
from ..extension import db_session, get_state
from ..models import Origin
from ..services import ratelimit, tenants
from ..services.actors import Actor, audit
from .security import too_many

log = logging.getLogger(__name__)
READ_METHODS = {"GET", "HEAD", "OPTIONS"}
# Reads of a person's record that the audit trail keeps ("who viewed which person"); exports audit themselves.
VIEWED = {"people.PersonById": "person_id", "people.Touchpoints": "person_id"}
SCOPE_ATTRIBUTE = "_brobygger_scope"
F = TypeVar("F", bound=Callable[..., Any])


def requires_scope(scope: str) -> Callable[[F], F]:
    """Mark a view method as needing `scope` (e.g. 'admin') instead of the method's read/write scope;
    `require_api_key` enforces it before the view runs, so no view can forget the check."""
    def mark(view: F) -> F:
        setattr(view, SCOPE_ATTRIBUTE, scope)
        return view
    return mark


def _needed_scope() -> str:
    view = current_app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    method = getattr(view_class, request.method.lower(), None) if view_class else view
    marked = getattr(method, SCOPE_ATTRIBUTE, None)
    return marked or ("read" if request.method in READ_METHODS else "write")


def require_api_key():  # type: ignore[no-untyped-def]
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return _unauthorised("Send the API key as 'Authorization: Bearer <key>'.")
    api_key = tenants.authenticate(db_session(), key.strip())
    if api_key is None:
        return _unauthorised("The API key is unknown or revoked.")
    state = get_state()
    verdict = ratelimit.hit(state.redis, f"api:{api_key.id}", state.setting("RATE_LIMIT_API"),
                            state.setting("RATE_LIMIT_WINDOW"))
    if not verdict.allowed:
        return too_many(verdict)
    needed = _needed_scope()
    if needed not in api_key.scopes:
        return envelope(403, f"This API key lacks the '{needed}' scope.")
    g.tenant_id = api_key.tenant_id
    g.api_scopes = frozenset(api_key.scopes)  # views needing more than read/write (e.g. 'admin') check here
    g.actor = Actor("api_key", str(api_key.id), Origin.API)
    return None


def _unauthorised(message: str):  # type: ignore[no-untyped-def]
    return envelope(401, message, headers={"WWW-Authenticate": 'Bearer realm="brobygger"'})


def audit_views(response: Response) -> Response:
    """Record a successful read of a person's record; a failure to record never fails the read."""
    field = VIEWED.get(request.endpoint or "")
    person_id = (request.view_args or {}).get(field or "")
    if request.method != "GET" or response.status_code != 200 or person_id is None or "actor" not in g:
        return response
    session = db_session()
    try:
        audit(session, g.tenant_id, g.actor, "view", "person", person_id)
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        log.warning("view of person %s not audited: %s", person_id, type(exc).__name__)
    return response
