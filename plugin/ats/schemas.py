"""Installations as the API shows them: never a credential or a secret."""

from __future__ import annotations

from marshmallow import Schema, fields


class InstallationOut(Schema):
    id = fields.UUID()
    vendor = fields.String()
    name = fields.String()
    base_url = fields.String()
    active = fields.Boolean()
    write_back = fields.Boolean()
    reaches = fields.String(allow_none=True, metadata={
        "description": "The ATS behind a unified API (Kombo), e.g. jobylon; null for a direct connection."})
    webhook_path = fields.String()
    created_at = fields.DateTime()


class SyncRunOut(Schema):
    started_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    full = fields.Boolean()
    status = fields.String()
    records = fields.Integer()
    counts = fields.Dict()
    error = fields.String(allow_none=True)


class WriteBackOut(Schema):
    id = fields.UUID()
    person_id = fields.UUID()
    kind = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()


class InstallationStatusOut(Schema):
    installation = fields.Nested(InstallationOut)
    bookmarks = fields.Dict(keys=fields.String(), values=fields.String())
    last_runs = fields.List(fields.Nested(SyncRunOut))
    pending_webhooks = fields.Integer()
    writebacks = fields.Dict(keys=fields.String(), values=fields.Integer(),
                             metadata={"description": "Write-backs by status: pending, done, failed."})
    failed_writebacks = fields.List(fields.Nested(WriteBackOut))


class InstallationList(Schema):
    data = fields.List(fields.Nested(InstallationOut))
