"""Cadences per person, the losing-touch list, the tenant's rule settings and role suggestions."""

from __future__ import annotations

import uuid
from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import abort

from ...schemas.cadences import (
    CadenceIn,
    CadenceOut,
    LosingTouchPage,
    SuggestionList,
    SuggestionQuery,
    TenantSettingsOut,
    TenantSettingsPatch,
)
from ...schemas.common import PageQuery
from ...services import cadences, matching, tenant_settings
from .common import Blueprint, actor, db_session, page_args, page_body, tenant_id

blp = Blueprint("cadences", __name__, url_prefix="",
                description="Keep-in-touch cadences, who is losing touch, rule settings and role suggestions.")


@blp.route("/people/<uuid:person_id>/cadence")
class PersonCadence(MethodView):
    @blp.response(200, CadenceOut)
    def get(self, person_id: uuid.UUID) -> object:
        """The person's cadence and its state now (404 when the person has none yet)."""
        return cadences.get(db_session(), tenant_id(), person_id)

    @blp.arguments(CadenceIn)
    @blp.response(200, CadenceOut)
    def put(self, data: dict, person_id: uuid.UUID) -> object:
        """Set the rhythm by tier or explicit days; this also accepts a proposed cadence."""
        return cadences.set_for_person(db_session(), tenant_id(), person_id, data, actor())


@blp.route("/people/<uuid:person_id>/cadence/accept", methods=["POST"])
@blp.response(200, CadenceOut)
def accept_cadence(person_id: uuid.UUID) -> object:
    """Accept the cadence a rule proposed; accepting an active one changes nothing."""
    return cadences.accept(db_session(), tenant_id(), person_id, actor())


@blp.route("/recruiters/<uuid:recruiter_id>/losing-touch")
@blp.arguments(PageQuery, location="query")
@blp.response(200, LosingTouchPage)
def losing_touch(args: dict, recruiter_id: uuid.UUID) -> dict:
    """The recruiter's people whose active cadence is past its maximum, longest silence first."""
    return page_body(cadences.losing_touch(db_session(), tenant_id(), recruiter_id, **page_args(args)))


def _settings_body(settings: tenant_settings.TenantSettings) -> dict[str, Any]:
    return {"data": settings.as_dict()}


@blp.route("/tenant/settings")
class TenantSettings(MethodView):
    @blp.response(200, TenantSettingsOut)
    def get(self) -> dict:
        """The tenant's rule switches, cadence tiers and calendar settings, defaults filled in."""
        return _settings_body(tenant_settings.load(db_session(), tenant_id()))

    @blp.arguments(TenantSettingsPatch)
    @blp.response(200, TenantSettingsOut)
    def patch(self, data: dict) -> dict:
        """Change some settings; needs an API key with the 'admin' scope."""
        if "admin" not in g.get("api_scopes", frozenset()):
            abort(403, message="This API key lacks the 'admin' scope.")
        return _settings_body(tenant_settings.update(db_session(), tenant_id(), data, actor()))


@blp.route("/roles/<uuid:role_id>/suggestions")
@blp.arguments(SuggestionQuery, location="query")
@blp.response(200, SuggestionList)
def suggestions(args: dict, role_id: uuid.UUID) -> dict:
    """Passive people matching the role's title, keywords and location, each with the words that matched."""
    return {"data": matching.suggest(db_session(), tenant_id(), role_id, limit=args["limit"])}
