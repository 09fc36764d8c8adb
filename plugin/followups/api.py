"""/followups and their actions (complete, snooze, reschedule, reassign, cancel); a person's keep-in-touch
cadence and the recruiter's losing-touch list."""

from __future__ import annotations

import uuid

from flask.views import MethodView

from plugin.core.api import Blueprint, actor, db_session, page_args, page_body, tenant_id
from plugin.core.schemas import PageQuery
from plugin.followups import cadences, followups
from plugin.followups.schemas import (
    CadenceIn,
    CadenceOut,
    CancelIn,
    CompleteIn,
    CompletionOut,
    FollowUpIn,
    FollowUpOut,
    FollowUpPage,
    FollowUpQuery,
    LosingTouchPage,
    ReassignIn,
    RescheduleIn,
    SnoozeIn,
)

# --- /followups -------------------------------------------------------------------------------------------

followups_blp = Blueprint("followups", __name__, url_prefix="/followups",
                description="Scheduled future touches with a person, each with a reason.")


@followups_blp.route("")
class FollowUps(MethodView):
    @followups_blp.arguments(FollowUpQuery, location="query")
    @followups_blp.response(200, FollowUpPage)
    def get(self, args: dict) -> dict:
        """Follow-ups in due order, filtered by owner, person, status and due time."""
        return page_body(followups.search(db_session(), tenant_id(), **page_args(args)))

    @followups_blp.arguments(FollowUpIn)
    @followups_blp.response(201, FollowUpOut)
    def post(self, data: dict) -> object:
        """Schedule a follow-up; the owner defaults to the person's owner."""
        return followups.create(db_session(), tenant_id(), data, actor())


@followups_blp.route("/<uuid:followup_id>")
class FollowUpById(MethodView):
    @followups_blp.response(200, FollowUpOut)
    def get(self, followup_id: uuid.UUID) -> object:
        return followups.get(db_session(), tenant_id(), followup_id)


@followups_blp.route("/<uuid:followup_id>/complete", methods=["POST"])
@followups_blp.arguments(CompleteIn, required=False)
@followups_blp.response(200, CompletionOut)
def complete(data: dict, followup_id: uuid.UUID) -> object:
    """Mark done: logs the touchpoint, and books the next follow-up if `next` is given."""
    return followups.complete(db_session(), tenant_id(), followup_id, data, actor())


@followups_blp.route("/<uuid:followup_id>/snooze", methods=["POST"])
@followups_blp.arguments(SnoozeIn)
@followups_blp.response(200, FollowUpOut)
def snooze(data: dict, followup_id: uuid.UUID) -> object:
    """Put off until a preset (1w, 1m, 2m, 6m) or an explicit future time."""
    return followups.snooze(db_session(), tenant_id(), followup_id, data, actor())


@followups_blp.route("/<uuid:followup_id>/reschedule", methods=["POST"])
@followups_blp.arguments(RescheduleIn)
@followups_blp.response(200, FollowUpOut)
def reschedule(data: dict, followup_id: uuid.UUID) -> object:
    """Set a new due time; a snoozed follow-up becomes open."""
    return followups.reschedule(db_session(), tenant_id(), followup_id, data["due_at"], actor())


@followups_blp.route("/<uuid:followup_id>/reassign", methods=["POST"])
@followups_blp.arguments(ReassignIn)
@followups_blp.response(200, FollowUpOut)
def reassign(data: dict, followup_id: uuid.UUID) -> object:
    """Hand the follow-up to another recruiter."""
    return followups.reassign(db_session(), tenant_id(), followup_id, data["owner_id"], actor())


@followups_blp.route("/<uuid:followup_id>/cancel", methods=["POST"])
@followups_blp.arguments(CancelIn, required=False)
@followups_blp.response(200, FollowUpOut)
def cancel(data: dict, followup_id: uuid.UUID) -> object:
    """Call the follow-up off; it stays on record as cancelled."""
    return followups.cancel(db_session(), tenant_id(), followup_id, data.get("note"), actor())


# --- cadences -------------------------------------------------------------------------------------------------

cadences_blp = Blueprint("cadences", __name__, url_prefix="",
                description="Keep-in-touch cadences and who is losing touch.")


@cadences_blp.route("/people/<uuid:person_id>/cadence")
class PersonCadence(MethodView):
    @cadences_blp.response(200, CadenceOut)
    def get(self, person_id: uuid.UUID) -> object:
        """The person's cadence and its state now (404 when the person has none yet)."""
        return cadences.get(db_session(), tenant_id(), person_id)

    @cadences_blp.arguments(CadenceIn)
    @cadences_blp.response(200, CadenceOut)
    def put(self, data: dict, person_id: uuid.UUID) -> object:
        """Set the rhythm by tier or explicit days; this also accepts a proposed cadence."""
        return cadences.set_for_person(db_session(), tenant_id(), person_id, data, actor())


@cadences_blp.route("/people/<uuid:person_id>/cadence/accept", methods=["POST"])
@cadences_blp.response(200, CadenceOut)
def accept_cadence(person_id: uuid.UUID) -> object:
    """Accept the cadence a rule proposed; accepting an active one changes nothing."""
    return cadences.accept(db_session(), tenant_id(), person_id, actor())


@cadences_blp.route("/recruiters/<uuid:recruiter_id>/losing-touch")
@cadences_blp.arguments(PageQuery, location="query")
@cadences_blp.response(200, LosingTouchPage)
def losing_touch(args: dict, recruiter_id: uuid.UUID) -> dict:
    """The recruiter's people whose active cadence is past its maximum, longest silence first."""
    return page_body(cadences.losing_touch(db_session(), tenant_id(), recruiter_id, **page_args(args)))
