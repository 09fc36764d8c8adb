"""/recruiters, and /tenant/settings (the follow-up rules, cadence tiers and calendar)."""

from __future__ import annotations

import uuid

from flask.views import MethodView

from plugin.core.api import Blueprint, actor, db_session, page_args, page_body, requires_scope, tenant_id
from plugin.core.schemas import PageQuery
from plugin.followups import calendar
from plugin.followups.views import feed_url
from plugin.tenancy import recruiters
from plugin.tenancy import settings as tenant_settings
from plugin.tenancy.schemas import CalendarFeedOut, RecruiterIn, RecruiterOut, RecruiterPage, RuleSettingsOut

blp = Blueprint("recruiters", __name__, url_prefix="/recruiters", description="The tenant's recruiters.")


@blp.route("")
class Recruiters(MethodView):
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, RecruiterPage)
    def get(self, args: dict) -> dict:
        return page_body(recruiters.list_(db_session(), tenant_id(), **page_args(args)))

    @requires_scope("admin")
    @blp.arguments(RecruiterIn)
    @blp.response(201, RecruiterOut)
    def post(self, data: dict) -> object:
        """Add a recruiter. Admin scope: an account may sign in and may itself be an admin."""
        return recruiters.add(db_session(), tenant_id(), data, actor())


@blp.route("/<uuid:recruiter_id>")
class RecruiterById(MethodView):
    @blp.response(200, RecruiterOut)
    def get(self, recruiter_id: uuid.UUID) -> object:
        return recruiters.get(db_session(), tenant_id(), recruiter_id)

    @requires_scope("admin")
    @blp.arguments(RecruiterIn(partial=True))
    @blp.response(200, RecruiterOut)
    def patch(self, data: dict, recruiter_id: uuid.UUID) -> object:
        """Change a recruiter. Admin scope: the e-mail is where sign-in links go, and `is_admin` is the role."""
        return recruiters.update(db_session(), tenant_id(), recruiter_id, data, actor())


@blp.route("/<uuid:recruiter_id>/calendar-token")
class CalendarToken(MethodView):
    @requires_scope("admin")
    @blp.response(201, CalendarFeedOut)
    def post(self, recruiter_id: uuid.UUID) -> dict:
        """Make a new calendar feed URL for the recruiter (revoking any older one); shown only this once.
        Admin scope: the URL is a lasting credential to that recruiter's queue."""
        return {"url": feed_url(calendar.new_token(db_session(), tenant_id(), recruiter_id, actor()))}

    @requires_scope("admin")
    @blp.response(204)
    def delete(self, recruiter_id: uuid.UUID) -> None:
        """Revoke the recruiter's calendar feed URL. Admin scope, like every change to a recruiter."""
        calendar.revoke(db_session(), tenant_id(), recruiter_id, actor())


settings_blp = Blueprint("tenant", __name__, url_prefix="/tenant", description="The tenant's settings.")


@settings_blp.route("/settings")
class RuleSettings(MethodView):
    @settings_blp.response(200, RuleSettingsOut)
    def get(self) -> dict:
        """The tenant's rule switches, cadence tiers and calendar settings, defaults filled in."""
        return {"data": tenant_settings.load_rules(db_session(), tenant_id()).as_dict()}

    @requires_scope("admin")
    @settings_blp.arguments(tenant_settings.RuleSettingsSchema(partial=True))
    @settings_blp.response(200, RuleSettingsOut)
    def patch(self, data: dict) -> dict:
        """Change some settings (`cadence_tiers`, when given, replaces every tier). Admin scope."""
        return {"data": tenant_settings.update_rules(db_session(), tenant_id(), data, actor()).as_dict()}
