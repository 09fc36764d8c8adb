"""The privacy API's input and output schemas."""

from __future__ import annotations

from marshmallow import Schema, fields

from plugin.core.schemas import BaseSchema, Flag, PageQuery, page_of, text, when


class ErasureOut(Schema):
    person_id = fields.UUID()
    ats_erasure = fields.String(metadata={"description": "What happened in the connected ATSs."})
    ats_records = fields.List(fields.Dict(), metadata={
        "description": "The person's records in each ATS, to erase there; shown only in this answer."})


class NoticeOut(Schema):
    language = fields.String()
    subject = fields.String()
    text = fields.String()


class NoticeSentIn(BaseSchema):
    sent_at = when(load_default=None)


class ConsentLinkIn(BaseSchema):
    send_email = Flag(load_default=False)


class ConsentLinkOut(Schema):
    url = fields.String()
    expires_at = fields.DateTime()
    language = fields.String()
    emailed = fields.Boolean()


class SettingsOut(Schema):
    data = fields.Dict()



class RetentionOut(Schema):
    person_id = fields.UUID()
    lawful_basis = fields.String()
    reason = fields.String(metadata={"description": "What ends the basis: consent_expired or retention_expired."})
    lapses_at = fields.DateTime()
    anonymise_at = fields.DateTime(metadata={"description": "When the daily job anonymises the person, unless "
                                                            "the basis is renewed or a touch is logged first."})
    will_be_anonymised = fields.Boolean(metadata={"description": "The basis has lapsed (in the grace period)."})
    anonymised_at = fields.DateTime(allow_none=True)


class AuditOut(Schema):
    id = fields.UUID()
    at = fields.DateTime()
    actor_type = fields.String()
    actor_id = fields.String(allow_none=True)
    action = fields.String()
    entity_type = fields.String()
    entity_id = fields.UUID()
    surface = fields.String()
    details = fields.Dict()


AuditPage = page_of(AuditOut, "AuditPage")


class AuditQuery(PageQuery):
    entity = text(32, load_default=None, metadata={"description": "Entity type: person, followup, …"})
    person_id = fields.UUID(load_default=None, metadata={"description": "Events about this person and their "
                                                                        "touchpoints, follow-ups and referrals."})
    actor = text(64, load_default=None, metadata={"description": "An actor id (API key id) or type."})
    from_ = when(load_default=None, data_key="from")
    to = when(load_default=None)
