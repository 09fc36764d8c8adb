"""The sidebar's quick actions (small JSON bodies from our own script) and the launch-URL token exchange."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from plugin.core.schemas import NOT_BLANK, BaseSchema, Flag, day, exactly_one_of, matching, name, one_of, text
from plugin.followups.schemas import SNOOZE_PRESETS
from plugin.models import ReferenceKind, ReferralChannel, TouchpointKind

FOLLOWUP_PRESETS = ("1w", "1m", "3m", "6m")


class TouchIn(BaseSchema):
    kind = one_of(TouchpointKind, load_default=TouchpointKind.CALL.value)
    summary = text(5000, load_default="")
    occurred_on = day(load_default=None, metadata={
        "description": "The recruiter's local day, today or earlier; defaults to now."})


class FollowUpIn(BaseSchema):
    json_schema = exactly_one_of("preset", "due_on")
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=2000),
                                                    matching(NOT_BLANK, "Must not be blank.")])
    preset = fields.String(validate=validate.OneOf(FOLLOWUP_PRESETS))
    due_on = day(metadata={"description": "The recruiter's local day, today or later."})

    @validates_schema
    def _exactly_one(self, data: dict, **_: object) -> None:
        if ("preset" in data) == ("due_on" in data):
            raise ValidationError("Give exactly one of preset and due_on.", "preset")


class SnoozeIn(BaseSchema):
    followup_id = fields.UUID(required=True)
    preset = fields.String(required=True, validate=validate.OneOf(SNOOZE_PRESETS))


class DoneIn(BaseSchema):
    followup_id = fields.UUID(required=True)
    kind = one_of(TouchpointKind, load_default=TouchpointKind.MESSAGE.value)
    summary = text(5000, load_default="")


class ReferralIn(BaseSchema):
    """Someone referred this person: a named referrer (found again by name and e-mail), or the recruiter."""

    referrer_is_me = Flag(load_default=False)
    referrer_name = name(200, blank_ok=True)
    referrer_email = fields.Email(validate=validate.Length(max=254))
    referrer_kind = one_of(ReferenceKind, load_default=ReferenceKind.OUTSIDER.value)
    channel = one_of(ReferralChannel, load_default=ReferralChannel.WORD_OF_MOUTH.value)
    prompted = Flag(load_default=False)
    note = text(5000, load_default="")

    @validates_schema
    def _someone(self, data: dict[str, Any], **_: object) -> None:
        if not data.get("referrer_is_me") and not data.get("referrer_name"):
            raise ValidationError("Name the referrer.", "referrer_name")


class ShortlistIn(BaseSchema):
    role_id = fields.UUID(required=True)
    note = text(2000, load_default="")


class LaunchContext(BaseSchema):
    """Whom the sidebar opens on: a person, or an ATS candidate; nothing of the other kind beside it."""

    json_schema = {"oneOf": [{"required": ["person_id"], "maxProperties": 1},
                             {"required": ["vendor", "candidate_id"], "maxProperties": 2}]}
    person_id = fields.UUID()
    vendor = fields.String(validate=validate.Length(min=1, max=32))
    candidate_id = fields.String(validate=validate.Length(min=1, max=64))

    @validates_schema
    def _one_subject(self, data: dict[str, Any], **_: object) -> None:
        if set(data) not in ({"person_id"}, {"vendor", "candidate_id"}):
            raise ValidationError("Give person_id, or vendor and candidate_id.", "_schema")


class LaunchUrlIn(BaseSchema):
    sub = text(254, required=True, min_length=1, metadata={"description": "The recruiter: ATS user id or e-mail."})
    ctx = fields.Nested(LaunchContext, required=True)


class LaunchUrlOut(Schema):
    url = fields.String(metadata={"description": "Open within two minutes, once: GET it in the iframe."})
    expires_at = fields.DateTime()


class TeamtailorCodeIn(BaseSchema):
    installation_id = fields.UUID(required=True)


class TeamtailorCodeOut(Schema):
    code = fields.String(metadata={"description": "Paste into Teamtailor's activation form for Brobygger."})
