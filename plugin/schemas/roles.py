"""Roles (openings, often not yet advertised) and their shortlists."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..models import RoleStatus
from .common import BaseSchema, PageQuery, day, one_of, page_of, string_list, text

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
