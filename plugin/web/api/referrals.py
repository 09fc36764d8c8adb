"""/referrals: each act of referring someone."""

from __future__ import annotations

import uuid

from flask.views import MethodView

from ...schemas.referrals import ReferralIn, ReferralOut, ReferralPage, ReferralPatch, ReferralQuery
from ...services import referrals
from .common import Blueprint, actor, db_session, page_args, page_body, tenant_id

blp = Blueprint("referrals", __name__, url_prefix="/referrals", description="Who referred whom, and how it went.")


@blp.route("")
class Referrals(MethodView):
    @blp.arguments(ReferralQuery, location="query")
    @blp.response(200, ReferralPage)
    def get(self, args: dict) -> dict:
        """List referrals by the time they were made, oldest first."""
        return page_body(referrals.list_(db_session(), tenant_id(), **page_args(args)))

    @blp.arguments(ReferralIn)
    @blp.response(201, ReferralOut)
    def post(self, data: dict) -> object:
        """Record a referral; the referrer is a reference_id or an inline referrer, found or added."""
        return referrals.create(db_session(), tenant_id(), data, actor())


@blp.route("/<uuid:referral_id>")
class ReferralById(MethodView):
    @blp.response(200, ReferralOut)
    def get(self, referral_id: uuid.UUID) -> object:
        return referrals.get(db_session(), tenant_id(), referral_id)

    @blp.arguments(ReferralPatch)
    @blp.response(200, ReferralOut)
    def patch(self, data: dict, referral_id: uuid.UUID) -> object:
        """Change some fields; a new status restarts status_changed_at."""
        return referrals.update(db_session(), tenant_id(), referral_id, data, actor())
