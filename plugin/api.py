"""The REST API under `/api/v1`, with its OpenAPI document at `/api/v1/openapi.json`.

API authentication: `Authorization: Bearer <API key>` resolves the tenant once per request, onto `g`.
"""

from __future__ import annotations

import logging

from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import Flask, Response, current_app, g, request
from flask_smorest import Api, Blueprint
from marshmallow import Schema
from sqlalchemy.exc import SQLAlchemyError

from plugin.ats import api as ats_api
from plugin.config import PREFIX
from plugin.core import ratelimit
from plugin.core.actors import Actor, audit
from plugin.core.api import SCOPE_ATTRIBUTE, DocumentPlugin, too_many
from plugin.errors import envelope
from plugin.extension import db_session, get_state
from plugin.followups import api as followups_api
from plugin.messages import api as messages_api
from plugin.models import Origin
from plugin.people import api as people_api
from plugin.privacy import api as privacy_api
from plugin.reports import api as reports_api
from plugin.sidebar import api as sidebar_api
from plugin.tenancy import api as tenancy_api
from plugin.tenancy import tenants

log = logging.getLogger(__name__)
READ_METHODS = {"GET", "HEAD", "OPTIONS"}
# Reads of a person's record that the audit trail keeps ("who viewed which person"); exports audit themselves.
VIEWED = {"people.PersonById": "person_id", "people.Touchpoints": "person_id"}


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


BLUEPRINTS: list[Blueprint] = [
    people_api.people_blp,
    followups_api.followups_blp,
    ats_api.blp,
    tenancy_api.blp,
    tenancy_api.settings_blp,
    people_api.references_blp,
    people_api.referrals_blp,
    people_api.roles_blp,
    followups_api.cadences_blp,
    reports_api.scores_blp,
    reports_api.reports_blp,
    privacy_api.blp,
    sidebar_api.blp,
    messages_api.tone_blp,
    messages_api.blp,
    messages_api.templates_blp,
    messages_api.mail_blp,
]

for _bp in BLUEPRINTS:
    _bp.before_request(require_api_key)
people_api.people_blp.after_request(audit_views)


class _Api(Api):
    def _register_error_handlers(self) -> None:
        """The extension renders every error of the app's JSON paths in the one envelope."""


def _schema_name(schema: type[Schema] | Schema) -> str:
    """Component names for the OpenAPI document; a partial (PATCH) schema gets its own name."""
    name = resolve_schema_cls(schema).__name__  # type: ignore[union-attr]
    return name + "Patch" if isinstance(schema, Schema) and schema.partial else name


def register_api(app: Flask, url_prefix: str) -> list[Blueprint]:
    base = f"{url_prefix}/api/v1"
    for key, value in {
        "API_TITLE": "Brobygger API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.1.0",  # JSON Schema 2020-12: propertyNames, and null as a type
        "OPENAPI_URL_PREFIX": base,
        "OPENAPI_JSON_PATH": "openapi.json",
    }.items():
        app.config.setdefault(PREFIX + key, value)
    api = _Api(app, config_prefix=PREFIX.rstrip("_"), spec_kwargs={
        "security": [{"bearerAuth": []}],
        "marshmallow_plugin": DocumentPlugin(schema_name_resolver=_schema_name)})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for bp in BLUEPRINTS:
        api.register_blueprint(bp, url_prefix=f"{base}{bp.url_prefix}")
    return BLUEPRINTS
