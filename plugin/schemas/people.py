"""People and their touchpoints."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..models import LawfulBasis, PipelineStatus, TouchpointKind
from .common import BaseSchema, PageQuery, day, one_of, page_of, string_list, text, when


class WorkHistoryItem(BaseSchema):
    employer = text(200, required=True, min_length=1)
    title = text(200)
    start = day(allow_none=True)
    end = day(allow_none=True)

    @validates_schema
    def _ordered(self, data: dict, **_: object) -> None:
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise ValidationError("Must not be before start.", "end")


class PersonIn(BaseSchema):
    first_name = text(100, required=True, min_length=1)
    last_name = text(100)
    emails = fields.List(fields.Email(validate=validate.Length(max=254)), validate=validate.Length(max=10))
    phones = string_list(40, 10)
    linkedin_url = fields.Url(allow_none=True, validate=validate.Length(max=500))
    employer = text(200, allow_none=True)
    title = text(200, allow_none=True)
    location = text(200, allow_none=True)
    languages = string_list(40, 20)
    interests = string_list(100, 50)
    work_history = fields.List(fields.Nested(WorkHistoryItem), validate=validate.Length(max=50))
    tags = string_list(50, 50)
    status = one_of(PipelineStatus)
    owner_id = fields.UUID(allow_none=True)
    lawful_basis = one_of(LawfulBasis)
    data_source = text(200, min_length=1)
    collected_at = when()
    art14_notice_sent_at = when(allow_none=True)
    consent_expires_at = when(allow_none=True)
    do_not_contact = fields.Boolean()

    @validates_schema
    def _unique_emails(self, data: dict, **_: object) -> None:
        emails = [e.lower() for e in data.get("emails", [])]
        if len(emails) != len(set(emails)):
            raise ValidationError("Must not repeat an address.", "emails")


class AtsLinkOut(Schema):
    installation_id = fields.UUID()
    ats_id = fields.String()
    url = fields.String(allow_none=True)
    synced_at = fields.DateTime(allow_none=True)


class PersonOut(Schema):
    id = fields.UUID()
    first_name = fields.String()
    last_name = fields.String()
    full_name = fields.String()
    emails = fields.List(fields.String(), attribute="email_addresses")
    phones = fields.List(fields.String())
    linkedin_url = fields.String(allow_none=True)
    employer = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    location = fields.String(allow_none=True)
    languages = fields.List(fields.String())
    interests = fields.List(fields.String())
    work_history = fields.List(fields.Dict())
    tags = fields.List(fields.String())
    status = fields.String()
    owner_id = fields.UUID(allow_none=True)
    lawful_basis = fields.String()
    data_source = fields.String()
    collected_at = fields.DateTime()
    art14_notice_sent_at = fields.DateTime(allow_none=True)
    consent_expires_at = fields.DateTime(allow_none=True)
    do_not_contact = fields.Boolean()
    ats_links = fields.List(fields.Nested(AtsLinkOut))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class PersonQuery(PageQuery):
    q = text(100, load_default=None, metadata={
        "description": "Start of a first name, last name, full name, e-mail address or employer."})
    owner_id = fields.UUID(load_default=None)
    status = one_of(PipelineStatus, load_default=None)


PersonPage = page_of(PersonOut, "PersonPage")


class TouchpointIn(BaseSchema):
    kind = one_of(TouchpointKind, required=True)
    occurred_at = when(required=True)
    summary = text(5000)
    recruiter_id = fields.UUID(allow_none=True)


class TouchpointOut(Schema):
    id = fields.UUID()
    person_id = fields.UUID()
    recruiter_id = fields.UUID(allow_none=True)
    kind = fields.String()
    occurred_at = fields.DateTime()
    summary = fields.String()
    origin = fields.String()
    created_at = fields.DateTime()


TouchpointPage = page_of(TouchpointOut, "TouchpointPage")
