"""The tenancy API's schemas: recruiters (a tenant's users) and the rule settings."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from plugin.core.schemas import BaseSchema, Flag, language, matching, page_of, text, time_zone
from plugin.tenancy.recruiters import regions
from plugin.tenancy.settings import RuleSettingsSchema

CLOCK = "^([01][0-9]|2[0-3]):[0-5][0-9]$"


class RecruiterIn(BaseSchema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = text(200, required=True, min_length=1)
    time_zone = time_zone()
    language = language()
    region = fields.String(allow_none=True, validate=validate.OneOf(sorted(regions())), metadata={
        "description": "ISO 3166-1 alpha-2 country the recruiter works in: it picks the formats of dates and "
                       "numbers (en with US gives en-US); null for the language's own."})
    digest_time = fields.String(validate=matching(CLOCK, "Not a time of day as HH:MM."),
                                metadata={"pattern": CLOCK, "description": "Local time of the daily digest."})
    digest_enabled = Flag()
    monthly_report_enabled = Flag(metadata={"description": "The monthly report e-mail (sent to admins only)."})
    ats_user_ids = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=64)),
                               values=fields.String(validate=validate.Length(min=1, max=64)),
                               validate=validate.Length(max=20))
    is_admin = Flag()
    active = Flag()


class RecruiterOut(Schema):
    id = fields.UUID()
    email = fields.String()
    name = fields.String()
    time_zone = fields.String()
    language = fields.String()
    region = fields.String(allow_none=True)
    digest_time = fields.String()
    digest_enabled = fields.Boolean()
    monthly_report_enabled = fields.Boolean()
    ats_user_ids = fields.Dict()
    is_admin = fields.Boolean()
    active = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


RecruiterPage = page_of(RecruiterOut, "RecruiterPage")


class CalendarFeedOut(Schema):
    url = fields.String(metadata={"description": "The recruiter's secret ICS feed URL; shown once, only its hash "
                                                "is kept. A new one revokes the old."})


class RuleSettingsOut(Schema):
    data = fields.Nested(RuleSettingsSchema)
