"""The messages API's schemas: drafts and their trail, the tone check, templates, the tenant's mail server."""

from __future__ import annotations

from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, validate

from plugin.core.schemas import BaseSchema, PageQuery, language, matching, page_of, text
from plugin.messages import messages, templates
from plugin.tenancy.settings import MessageSettingsSchema

SMTP_URL = r"^smtps?://([A-Za-z0-9._~%!$&'()*+,;=-]+(:[A-Za-z0-9._~%!$&'()*+,;=-]*)?@)?[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$"
STATUSES = ("draft", "in_review", "changes_requested", "approved", "queued", "sent", "blocked", "failed",
            "discarded")


class ToneCheckIn(BaseSchema):
    text = text(20_000, required=True)
    language = language(metadata={"description": "nb or en; the tenant's language when left out."})


class ToneFlagOut(Schema):
    kind = fields.String(metadata={"description": "intensifier, superlative, exclamations, unbacked_claim, cliche"})
    start = fields.Integer(metadata={"description": "Offset of the flagged text in `text` (characters)."})
    end = fields.Integer()
    text = fields.String()
    why = fields.String()
    suggestion = fields.String()


class ToneCheckOut(Schema):
    score = fields.Integer(metadata={"description": "0 to 100; 100 is plain and honest."})
    language = fields.String()
    flags = fields.List(fields.Nested(ToneFlagOut))


class MessageIn(BaseSchema):
    author_id = fields.UUID(required=True, metadata={"description": "The recruiter who writes it."})
    person_id = fields.UUID(required=True)
    followup_id = fields.UUID(metadata={"description": "The follow-up it answers: its reason and role come "
                                                      "along, and sending it completes the follow-up."})
    role_id = fields.UUID()
    template = fields.String(validate=validate.OneOf(templates.FOR_PEOPLE))
    channel = fields.String(validate=validate.OneOf(messages.CHANNELS))
    language = language()


class MessageEventOut(Schema):
    kind = fields.String()
    actor_id = fields.UUID(allow_none=True)
    comment = fields.String()
    body_before = fields.String(allow_none=True)
    body_after = fields.String(allow_none=True)
    created_at = fields.DateTime()


class MessageOut(Schema):
    id = fields.UUID()
    kind = fields.String(metadata={"description": "outreach (to a person) or referrer_note"})
    channel = fields.String()
    template = fields.String(allow_none=True)
    language = fields.String()
    person_id = fields.UUID(allow_none=True)
    referral_id = fields.UUID(allow_none=True)
    followup_id = fields.UUID(allow_none=True)
    role_id = fields.UUID(allow_none=True)
    author_id = fields.UUID(allow_none=True)
    reviewer_id = fields.UUID(allow_none=True)
    any_admin = fields.Boolean()
    subject = fields.String()
    body = fields.String()
    reason = fields.String()
    important = fields.Boolean()
    needs_review = fields.Boolean()
    status = fields.String()
    blocked_reason = fields.String(allow_none=True)
    sent_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class MessageDetailOut(MessageOut):
    events = fields.List(fields.Nested(MessageEventOut))


MessagePage = page_of(MessageOut, "MessagePage")


class MessageQuery(PageQuery):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    person_id = fields.UUID(load_default=None)
    author_id = fields.UUID(load_default=None)


class MessageSettingsOut(Schema):
    data = fields.Nested(MessageSettingsSchema)


def _wording(max_length: int) -> fields.String:
    """Text with `{{`/`}}` for braces and only the known placeholders, not blank (templates.check says why)."""
    return fields.String(required=True, validate=validate.Length(min=1, max=max_length), metadata={
        "pattern": templates.TEXT_PATTERN,
        "description": "Placeholders: " + ", ".join(f"{{{p}}}" for p in sorted(templates.PLACEHOLDERS))
                       + "; `{{` and `}}` for a brace itself."})


class TemplateIn(BaseSchema):
    subject = _wording(templates.MAX_SUBJECT)
    body = _wording(templates.MAX_BODY)


class TemplateOut(Schema):
    key = fields.String()
    language = fields.String()
    subject = fields.String()
    body = fields.String()
    own = fields.Boolean(metadata={"description": "The tenant's own wording (else the built-in one)."})


class TemplateList(Schema):
    data = fields.List(fields.Nested(TemplateOut))
    placeholders = fields.List(fields.String())


def _port_in_range(value: str) -> None:
    try:
        _ = urlsplit(value).port
    except ValueError:
        raise ValidationError("The port must be between 0 and 65535.") from None


class MailServerIn(BaseSchema):
    smtp_url = fields.String(required=True, validate=[validate.Length(max=500), matching(
        SMTP_URL, "Must be smtp://user:password@host:port or smtps://…"), _port_in_range], metadata={
        "pattern": SMTP_URL, "description": "Port 0 to 65535."})
    sender = fields.Email(required=True, validate=validate.Length(max=254))


class MailServerOut(Schema):
    own = fields.Boolean(metadata={"description": "Whether the tenant's recruiters' messages go through its own "
                                                 "server (else the deployment's)."})
    host = fields.String(allow_none=True, metadata={"description": "The server's host; its password is never shown."})
    sender = fields.String(allow_none=True)
    readable = fields.Boolean(metadata={"description": "False when the stored server cannot be decrypted with the "
                                                      "deployment's keys: messages fail until an admin sets it "
                                                      "again."})

