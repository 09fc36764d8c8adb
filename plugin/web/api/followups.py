"""/followups and their actions: complete, snooze, reschedule, reassign, cancel."""

from __future__ import annotations

import uuid

from flask.views import MethodView

from ...schemas.followups import (
    CancelIn,
    CompleteIn,
    CompletionOut,
    FollowUpIn,
    FollowUpOut,
    FollowUpPage,
    FollowUpQuery,
    ReassignIn,
    RescheduleIn,
    SnoozeIn,
)
from ...services import followups
from .common import Blueprint, actor, db_session, page_args, page_body, tenant_id

blp = Blueprint("followups", __name__, url_prefix="/followups",
                description="Scheduled future touches with a person, each with a reason.")


@blp.route("")
class FollowUps(MethodView):
    @blp.arguments(FollowUpQuery, location="query")
    @blp.response(200, FollowUpPage)
    def get(self, args: dict) -> dict:
        """Follow-ups in due order, filtered by owner, person, status and due time."""
        return page_body(followups.search(db_session(), tenant_id(), **page_args(args)))

    @blp.arguments(FollowUpIn)
    @blp.response(201, FollowUpOut)
    def post(self, data: dict) -> object:
        """Schedule a follow-up; the owner defaults to the person's owner."""
        return followups.create(db_session(), tenant_id(), data, actor())


@blp.route("/<uuid:followup_id>")
class FollowUpById(MethodView):
    @blp.response(200, FollowUpOut)
    def get(self, followup_id: uuid.UUID) -> object:
        return followups.get(db_session(), tenant_id(), followup_id)


@blp.route("/<uuid:followup_id>/complete", methods=["POST"])
@blp.arguments(CompleteIn, required=False)
@blp.response(200, CompletionOut)
def complete(data: dict, followup_id: uuid.UUID) -> object:
    """Mark done: logs the touchpoint, and books the next follow-up if `next` is given."""
    return followups.complete(db_session(), tenant_id(), followup_id, data, actor())


@blp.route("/<uuid:followup_id>/snooze", methods=["POST"])
@blp.arguments(SnoozeIn)
@blp.response(200, FollowUpOut)
def snooze(data: dict, followup_id: uuid.UUID) -> object:
    """Put off until a preset (1w, 1m, 2m, 6m) or an explicit future time."""
    return followups.snooze(db_session(), tenant_id(), followup_id, data, actor())


@blp.route("/<uuid:followup_id>/reschedule", methods=["POST"])
@blp.arguments(RescheduleIn)
@blp.response(200, FollowUpOut)
def reschedule(data: dict, followup_id: uuid.UUID) -> object:
    """Set a new due time; a snoozed follow-up becomes open."""
    return followups.reschedule(db_session(), tenant_id(), followup_id, data["due_at"], actor())


@blp.route("/<uuid:followup_id>/reassign", methods=["POST"])
@blp.arguments(ReassignIn)
@blp.response(200, FollowUpOut)
def reassign(data: dict, followup_id: uuid.UUID) -> object:
    """Hand the follow-up to another recruiter."""
    return followups.reassign(db_session(), tenant_id(), followup_id, data["owner_id"], actor())


@blp.route("/<uuid:followup_id>/cancel", methods=["POST"])
@blp.arguments(CancelIn, required=False)
@blp.response(200, FollowUpOut)
def cancel(data: dict, followup_id: uuid.UUID) -> object:
    """Call the follow-up off; it stays on record as cancelled."""
    return followups.cancel(db_session(), tenant_id(), followup_id, data.get("note"), actor())
