"""The API's schemas for people and their touchpoints, references (the referrers) and referrals (each act
of referring), and roles (openings, often not yet advertised) with their shortlists and suggestions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from plugin.core.schemas import (
    BaseSchema,
    Flag,
    PageQuery,
    QueryFlag,
    day,
    exactly_one_of,
    name,
    one_of,
    page_of,
    string_list,
    text,
    web_url,
    when,
)
from plugin.models import (
    LawfulBasis,
    PipelineStatus,
    ReferenceKind,
    ReferralChannel,
    ReferralStatus,
    RoleStatus,
    TouchpointKind,
)

# --- people and touchpoints ----------------------------------------------------------------------------------

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
    first_name = name(100, required=True)
    last_name = name(100, blank_ok=True)
    emails = fields.List(fields.Email(validate=validate.Length(max=254)), validate=validate.Length(max=10))
    phones = string_list(40, 10)
    linkedin_url = web_url(allow_none=True)
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
    do_not_contact = Flag()

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
    occurred_at = when(required=True, metadata={"description": (
        "Today or an earlier day in the recruiter's time zone (recruiter_id's, else the person's owner's, else "
        "the tenant's); a later day is a 422: a touch still to come is a follow-up.")})
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


# --- references and referrals --------------------------------------------------------------------------------

IDENTITY = ("person_id", "recruiter_id", "name")


def _name(**kw: Any) -> fields.String:
    """An outsider's name: it is what identifies them, so a blank one is no name."""
    return name(200, **kw)


def _email(**kw: Any) -> fields.Email:
    return fields.Email(allow_none=True, validate=validate.Length(max=254), **kw)


def exactly_one(original: Any, names: tuple[str, ...]) -> None:
    """Raise on every one of `names` unless exactly one is given (judged on the raw input, so that a
    malformed value still counts as given and the message does not mislead)."""
    if not isinstance(original, Mapping):
        return
    given = [name for name in names if original.get(name) is not None]
    if len(given) != 1:
        message = "Give exactly one of " + ", ".join(names) + "."
        raise ValidationError({name: [message] for name in (given if len(given) > 1 else names)})


class ReferrerIn(BaseSchema):
    """Who refers: a tracked person, a recruiter, or a named outsider with no record."""

    json_schema = exactly_one_of(*IDENTITY)
    kind = one_of(ReferenceKind, required=True)
    person_id = fields.UUID()
    recruiter_id = fields.UUID()
    name = _name()
    email = _email()

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _one_identity(self, _data: dict, original: Any, **_: object) -> None:
        exactly_one(original, IDENTITY)


class ReferenceIn(ReferrerIn):
    note = text(5000)


class ReferencePatch(BaseSchema):
    """The identity link (person, recruiter) is fixed: a different referrer is a different reference."""

    refuse_empty = True
    kind = one_of(ReferenceKind)
    name = _name()
    email = _email()
    note = text(5000)


class ReferenceOut(Schema):
    id = fields.UUID()
    kind = fields.String()
    person_id = fields.UUID(allow_none=True)
    recruiter_id = fields.UUID(allow_none=True)
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    display_name = fields.String(metadata={
        "description": "The outsider's name, or the person's full name, or the recruiter's name."})
    note = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ReferenceQuery(PageQuery):
    kind = one_of(ReferenceKind, load_default=None)


ReferencePage = page_of(ReferenceOut, "ReferencePage")


class ReferralPatch(BaseSchema):
    refuse_empty = True
    status = one_of(ReferralStatus, metadata={
        "description": "received → contacted → in_process → hired / not_hired / parked; any may be set."})
    channel = one_of(ReferralChannel)
    prompted = Flag(metadata={"description": "Whether the referral was asked for."})
    note = text(5000)
    role_id = fields.UUID(allow_none=True)
    job_ref = text(200, allow_none=True, metadata={"description": "The ATS job, when there is one."})


class ReferralIn(ReferralPatch):
    refuse_empty = False
    json_schema = exactly_one_of("reference_id", "referrer")
    person_id = fields.UUID(required=True, metadata={"description": "The person referred."})
    reference_id = fields.UUID()
    referrer = fields.Nested(ReferrerIn, metadata={
        "description": "Instead of reference_id: the referrer's existing reference is found, or one is made; "
                       "not the person referred."})
    channel = one_of(ReferralChannel, required=True)
    prompted = Flag(required=True, metadata={"description": "Whether the referral was asked for."})
    referred_at = when(metadata={"description": "Defaults to now."})
    credited = Flag(metadata={"description": (
        "Who gets the credit for the person: by default the first referrer keeps it, so a later referrer's "
        "referral is recorded with credited=false; true moves the credit to this referral.")})

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _one_referrer(self, _data: dict, original: Any, **_: object) -> None:
        exactly_one(original, ("reference_id", "referrer"))


class ReferralOut(Schema):
    id = fields.UUID()
    reference_id = fields.UUID()
    person_id = fields.UUID()
    role_id = fields.UUID(allow_none=True)
    job_ref = fields.String(allow_none=True)
    channel = fields.String()
    prompted = fields.Boolean()
    status = fields.String()
    note = fields.String()
    referred_at = fields.DateTime()
    status_changed_at = fields.DateTime()
    origin = fields.String()
    credited = fields.Boolean(metadata={
        "description": "Whether this referrer holds the credit for the person (scores and the report count it)."})
    thank_you_note = fields.String(metadata={
        "description": "A short note to send the referrer for the current status, in their language."})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ReferralQuery(PageQuery):
    reference_id = fields.UUID(load_default=None)
    person_id = fields.UUID(load_default=None)
    status = one_of(ReferralStatus, load_default=None)
    channel = one_of(ReferralChannel, load_default=None)
    prompted = QueryFlag(load_default=None)
    referred_from = when(load_default=None, metadata={"description": "Referred at or after this time."})
    referred_to = when(load_default=None, metadata={"description": "Referred before this time."})

    @validates_schema
    def _ordered(self, data: dict, **_: object) -> None:
        if data.get("referred_from") and data.get("referred_to") and data["referred_to"] < data["referred_from"]:
            raise ValidationError("Must not be before referred_from.", "referred_to")


ReferralPage = page_of(ReferralOut, "ReferralPage")


# --- roles and shortlists ------------------------------------------------------------------------------------

ROLE_ORDERS = ("created_at", "title")


class RoleIn(BaseSchema):
    title = text(200, required=True, min_length=1)
    description = text(20000)
    status = one_of(RoleStatus, metadata={
        "description": "Moves forward only: anticipated → confidential → advertised → filled or dropped; "
                       "a dropped role may be re-opened as anticipated."})
    expected_opening_on = day(allow_none=True)
    location = text(200, allow_none=True)
    keywords = string_list(100, 50)
    owner_id = fields.UUID(allow_none=True)


class RoleOut(Schema):
    id = fields.UUID()
    title = fields.String()
    description = fields.String()
    status = fields.String()
    expected_opening_on = fields.Date(allow_none=True)
    location = fields.String(allow_none=True)
    keywords = fields.List(fields.String())
    owner_id = fields.UUID(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class RoleQuery(PageQuery):
    status = one_of(RoleStatus, load_default=None)
    order = fields.String(load_default="created_at", validate=validate.OneOf(ROLE_ORDERS), metadata={
        "description": "created_at (oldest first) or title (in the database's collation)."})


RolePage = page_of(RoleOut, "RolePage")


class ShortlistIn(BaseSchema):
    person_id = fields.UUID(required=True)
    note = text(2000, load_default="")


class ShortlistEntryOut(Schema):
    person_id = fields.UUID()
    full_name = fields.String()
    note = fields.String()
    added_at = fields.DateTime()


ShortlistPage = page_of(ShortlistEntryOut, "ShortlistPage")


class SuggestionQuery(BaseSchema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class SuggestedPerson(Schema):
    id = fields.UUID()
    full_name = fields.String()
    title = fields.String(allow_none=True)
    employer = fields.String(allow_none=True)
    location = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    interests = fields.List(fields.String())
    owner_id = fields.UUID(allow_none=True)


class SuggestionOut(Schema):
    person = fields.Nested(SuggestedPerson)
    score = fields.Integer()
    matched = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), metadata={
        "description": "Field (title, skills, employer, location) → the role's words that matched there."})


class SuggestionList(Schema):
    data = fields.List(fields.Nested(SuggestionOut))
