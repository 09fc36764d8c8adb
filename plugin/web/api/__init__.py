"""The REST API under `/api/v1`, with its OpenAPI document at `/api/v1/openapi.json`."""

from __future__ import annotations

from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import Flask
from flask_smorest import Api, Blueprint
from marshmallow import Schema

from ...config import PREFIX
from ..auth import audit_views, require_api_key
from . import cadences as _cadences
from . import followups as _followups
from . import installations as _installations
from . import people as _people
from . import privacy as _privacy
from . import recruiters as _recruiters
from . import reference_scores as _reference_scores
from . import references as _references
from . import referrals as _referrals
from . import reports as _reports
from . import roles as _roles
from . import sidebar as _sidebar

BLUEPRINTS: list[Blueprint] = [
    _people.blp,
    _followups.blp,
    _installations.blp,
    _recruiters.blp,
    _references.blp,
    _referrals.blp,
    _roles.blp,
    _cadences.blp,
    _reference_scores.blp,
    _reports.blp,
    _privacy.blp,
    _sidebar.blp,
]

for _bp in BLUEPRINTS:
    _bp.before_request(require_api_key)
_people.blp.after_request(audit_views)


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
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": base,
        "OPENAPI_JSON_PATH": "openapi.json",
    }.items():
        app.config.setdefault(PREFIX + key, value)
    api = _Api(app, config_prefix=PREFIX.rstrip("_"), spec_kwargs={
        "security": [{"bearerAuth": []}],
        "marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=_schema_name)})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for bp in BLUEPRINTS:
        api.register_blueprint(bp, url_prefix=f"{base}{bp.url_prefix}")
    return BLUEPRINTS
