"""The API's schemas for follow-ups (scheduled future touches, and what a recruiter does with them),
cadences and the losing-touch list."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from plugin.core.schemas import BaseSchema, PageQuery, exactly_one_of, one_of, page_of, text, when, whole
from plugin.models import FollowUpStatus, TouchpointKind
from plugin.people.schemas import TouchpointOut
from plugin.tenancy.settings import MAX_DAYS, TIER_NAME_LENGTH

# --- follow-ups ----------------------------------------------------------------------------------------------

SNOOZE_PRESETS = ("1w", "1m", "2m", "6m")  # one week, or one, two or six calendar months


# Rules that depend on today cannot be JSON Schema bounds: the descriptions state them (see core/guards.py).
DUE_RULE = ("Today or a later day in the owner's time zone (the tenant's when nobody owns the follow-up); an "
            "earlier day is a 422.")


def _reason() -> fields.String:
    return text(2000, required=True, min_length=1, metadata={"description": "Why this touch."})


def _due(**kw: Any) -> fields.AwareDateTime:
    return when(required=True, metadata={"description": DUE_RULE, **kw.pop("metadata", {})}, **kw)


class FollowUpIn(BaseSchema):
    person_id = fields.UUID(required=True)
    reason = _reason()
    due_at = _due(metadata={"description": "Today or a later day in the owner's time zone (the person's owner "
                                           "when owner_id is not given; the tenant's when nobody owns the "
                                           "follow-up); an earlier day is a 422."})
    owner_id = fields.UUID(allow_none=True, metadata={
        "description": "Defaults to the person's owner; null leaves the follow-up unassigned."})
    role_id = fields.UUID(allow_none=True)


class FollowUpOut(Schema):
    id = fields.UUID()
    person_id = fields.UUID()
    owner_id = fields.UUID(allow_none=True)
    role_id = fields.UUID(allow_none=True)
    reason = fields.String()
    kind = fields.String()
    due_at = fields.DateTime()
    status = fields.String()
    snoozed_until = fields.DateTime(allow_none=True)
    note = fields.String()
    completed_at = fields.DateTime(allow_none=True)
    touchpoint_id = fields.UUID(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class FollowUpQuery(PageQuery):
    owner_id = fields.UUID(load_default=None)
    person_id = fields.UUID(load_default=None)
    status = fields.List(one_of(FollowUpStatus), load_default=None, metadata={
        "description": "Repeat to match any of several statuses: `?status=open&status=snoozed`."})
    due_from = when(load_default=None, metadata={"description": "Due at or after this time."})
    due_to = when(load_default=None, metadata={"description": "Due before this time (exclusive)."})

    @validates_schema
    def _ordered(self, data: dict, **_: object) -> None:
        if data.get("due_from") and data.get("due_to") and data["due_to"] <= data["due_from"]:
            raise ValidationError("Must be after due_from.", "due_to")


FollowUpPage = page_of(FollowUpOut, "FollowUpPage")


class NextFollowUpIn(BaseSchema):
    due_at = _due()
    reason = _reason()


class CompleteIn(BaseSchema):
    kind = one_of(TouchpointKind, load_default=TouchpointKind.MESSAGE.value)
    occurred_at = when(metadata={"description": (
        "When the touch happened, defaults to now: today or an earlier day in the owner's time zone (the "
        "tenant's when nobody owns the follow-up); a later day is a 422.")})
    summary = text(5000, load_default="")
    next = fields.Nested(NextFollowUpIn, allow_none=True, metadata={
        "description": "Schedule the next follow-up for the same person, owner and role."})


class CompletionOut(Schema):
    followup = fields.Nested(FollowUpOut)
    touchpoint = fields.Nested(TouchpointOut)
    next = fields.Nested(FollowUpOut, allow_none=True)


class SnoozeIn(BaseSchema):
    json_schema = exactly_one_of("preset", "until")
    preset = fields.String(validate=validate.OneOf(SNOOZE_PRESETS), metadata={
        "description": "1w: a week; 1m, 2m, 6m: calendar months (31 January + 1m = end of February)."})
    until = when(metadata={"description": "A time after now (an earlier one is a 422)."})
    note = text(2000)

    @validates_schema
    def _exactly_one(self, data: dict, **_: object) -> None:
        if ("preset" in data) == ("until" in data):
            message = "Give exactly one of preset and until."
            raise ValidationError({"preset": [message], "until": [message]})


class RescheduleIn(BaseSchema):
    due_at = _due()


class ReassignIn(BaseSchema):
    owner_id = fields.UUID(required=True)


class CancelIn(BaseSchema):
    note = text(2000)


# --- cadences -------------------------------------------------------------------------------------------------

def _days(**kw: Any) -> fields.Integer:
    return whole(1, MAX_DAYS, **kw)


class CadenceIn(BaseSchema):
    json_schema = {"anyOf": [{"required": ["tier"]}, {"required": ["ideal_days", "max_days"]}]}
    tier = text(TIER_NAME_LENGTH, min_length=1, metadata={
        "description": "A tier of the tenant's `cadence_tiers`; its days apply unless given explicitly."})
    ideal_days = _days(metadata={"description": "Due this many days after the last touch; at most max_days."})
    max_days = _days(metadata={"description": "Losing touch this many days after the last touch."})
    status = fields.String(load_default="active", validate=validate.OneOf(("active", "paused")), metadata={
        "description": "Setting a cadence accepts it (active); `paused` stops it counting as due."})

    @validates_schema
    def _complete(self, data: dict, **_: object) -> None:
        if not data.get("tier") and not ("ideal_days" in data and "max_days" in data):
            raise ValidationError("Give a tier, or both ideal_days and max_days.", "tier")
        if "ideal_days" in data and "max_days" in data and data["ideal_days"] > data["max_days"]:
            raise ValidationError("Must not exceed max_days.", "ideal_days")


class CadenceOut(Schema):
    person_id = fields.UUID()
    tier = fields.String()
    ideal_days = fields.Integer()
    max_days = fields.Integer()
    status = fields.String(metadata={"description": "active, proposed (by a rule, to accept) or paused."})
    last_touch_at = fields.DateTime(allow_none=True)
    state = fields.String(metadata={"description": "no_touch_yet, on_track, due (past the ideal interval) or "
                                                   "losing_touch (past the maximum)."})
    days_since_touch = fields.Integer(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    losing_touch_at = fields.DateTime(allow_none=True)


class LosingTouchOut(Schema):
    person_id = fields.UUID()
    full_name = fields.String()
    tier = fields.String()
    max_days = fields.Integer()
    last_touch_at = fields.DateTime()
    days_since_touch = fields.Integer()
    losing_touch_at = fields.DateTime()


LosingTouchPage = page_of(LosingTouchOut, "LosingTouchPage")
