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
        page = referrals.list_(db_session(), tenant_id(), **page_args(args))
        referrals.with_notes(db_session(), tenant_id(), page.items)
        return page_body(page)

    @blp.arguments(ReferralIn)
    @blp.response(201, ReferralOut)
    @blp.alt_response(200, schema=ReferralOut, description="The same referrer had referred this person already: "
                      "the existing referral, merged (its note appended), not a second one.")
    def post(self, data: dict) -> object:
        """Record a referral; the referrer is a reference_id or an inline referrer, found or added.

        A repeat by the same referrer is merged into the existing referral (200); a different referrer of an
        already-referred person is recorded with credited=false unless `credited: true` is sent."""
        referral, created = referrals.create(db_session(), tenant_id(), data, actor())
        return referrals.with_notes(db_session(), tenant_id(), [referral])[0], 201 if created else 200


@blp.route("/<uuid:referral_id>")
class ReferralById(MethodView):
    @blp.response(200, ReferralOut)
    def get(self, referral_id: uuid.UUID) -> object:
        referral = referrals.get(db_session(), tenant_id(), referral_id)
        return referrals.with_notes(db_session(), tenant_id(), [referral])[0]

    @blp.arguments(ReferralPatch)
    @blp.response(200, ReferralOut)
    def patch(self, data: dict, referral_id: uuid.UUID) -> object:
        """Change some fields; a new status restarts status_changed_at."""
        referral = referrals.update(db_session(), tenant_id(), referral_id, data, actor())
        return referrals.with_notes(db_session(), tenant_id(), [referral])[0]


@blp.route("/<uuid:referral_id>/credit", methods=["POST"])
@blp.response(200, ReferralOut)
def give_credit(referral_id: uuid.UUID) -> object:
    """Move the credit for the referred person to this referral; every other referral of the person loses it."""
    referral = referrals.give_credit(db_session(), tenant_id(), referral_id, actor())
    return referrals.with_notes(db_session(), tenant_id(), [referral])[0]
