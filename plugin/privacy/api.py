"""GDPR endpoints: export (art. 15), erase (art. 17), the art. 14 notice, consent links, the privacy
settings, who will be anonymised, and the audit trail (tenant admins only)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from plugin.core.api import Blueprint, actor, db_session, page_args, page_body, requires_scope, tenant_id
from plugin.core.schemas import BaseSchema, PageQuery, page_of, text, when
from plugin.extension import get_state
from plugin.mail import Mail, send
from plugin.privacy import privacy

blp = Blueprint("privacy", __name__, url_prefix="",
                description="Privacy: export, erasure, art. 14 notices, consent links, retention, the audit trail.")


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
    send_email = fields.Boolean(load_default=False)


class ConsentLinkOut(Schema):
    url = fields.String()
    expires_at = fields.DateTime()
    language = fields.String()
    emailed = fields.Boolean()


class SettingsOut(Schema):
    data = fields.Dict()


def _days(name: str) -> fields.Integer:
    low, high = privacy.RANGES[name]
    return fields.Integer(strict=True, validate=validate.Range(min=low, max=high))


class SettingsPatch(BaseSchema):
    consent_months = _days("consent_months")
    consent_extend_months = _days("consent_extend_months")
    consent_renewal_days = _days("consent_renewal_days")
    retention_months = _days("retention_months")
    anonymise_grace_days = _days("anonymise_grace_days")
    art14_notice_days = _days("art14_notice_days")
    privacy_contact = text(254)


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


@blp.route("/people/<uuid:person_id>/export")
class Export(MethodView):
    @requires_scope("admin")
    @blp.response(200)
    def get(self, person_id: uuid.UUID) -> dict[str, Any]:
        """Everything held about the person, as JSON (a data-subject access request). Admin scope."""
        return privacy.export(db_session(), tenant_id(), person_id, actor())


@blp.route("/people/<uuid:person_id>/erase")
class Erase(MethodView):
    @requires_scope("admin")
    @blp.response(200, ErasureOut)
    def post(self, person_id: uuid.UUID) -> object:
        """Erase the person at once; their identifiers are fingerprinted so they are not re-imported. Admin scope."""
        return privacy.erase(db_session(), tenant_id(), person_id, actor())


@blp.route("/people/<uuid:person_id>/art14-notice")
class Art14Notice(MethodView):
    @blp.response(200, NoticeOut)
    def get(self, person_id: uuid.UUID) -> object:
        """The ready art. 14 notice for the person, in their language."""
        return privacy.notice(db_session(), tenant_id(), person_id)


@blp.route("/people/<uuid:person_id>/art14-sent")
class Art14Sent(MethodView):
    @blp.arguments(NoticeSentIn)
    @blp.response(200, NoticeSentIn)
    def post(self, data: dict, person_id: uuid.UUID) -> dict[str, Any]:
        """Record that the art. 14 notice was sent (now, or at `sent_at`); its task is done."""
        person = privacy.mark_notice_sent(db_session(), tenant_id(), person_id, actor(), data["sent_at"])
        return {"sent_at": person.art14_notice_sent_at}


@blp.route("/people/<uuid:person_id>/consent-link")
class ConsentLink(MethodView):
    @blp.arguments(ConsentLinkIn)
    @blp.response(201, ConsentLinkOut)
    def post(self, data: dict, person_id: uuid.UUID) -> dict[str, Any]:
        """A signed, single-use renewal link; the URL is shown only now. `send_email` mails it to the person."""
        state = get_state()
        session = db_session()
        link = privacy.consent_link(session, tenant_id(), person_id, actor(), secret=state.setting("SECRET_KEY"),
                                    base_url=state.setting("BASE_URL") + state.url_prefix,
                                    days=state.setting("CONSENT_LINK_DAYS"))
        emailed = data["send_email"] and privacy.mail_consent_link(session, tenant_id(), person_id, link, _mailer())
        return {"url": link.url, "expires_at": link.expires_at, "language": link.language, "emailed": emailed}


def _mailer() -> Any:
    state = get_state()

    def deliver(to: str, subject: str, body: str) -> None:
        message_id = f"<consent-{uuid.uuid4().hex}@brobygger>"
        send(Mail(to=to, subject=subject, text=body, html=None, message_id=message_id),
             smtp_url=state.setting("SMTP_URL"), sender=state.setting("MAIL_FROM"),
             outbox=state.instance_path / "outbox")
    return deliver


@blp.route("/privacy/settings")
class Settings(MethodView):
    @blp.response(200, SettingsOut)
    def get(self) -> dict[str, Any]:
        """Consent validity, renewal window, retention, grace period and notice deadline, defaults filled in."""
        return {"data": vars(privacy.load_settings(db_session(), tenant_id()))}

    @requires_scope("admin")
    @blp.arguments(SettingsPatch)
    @blp.response(200, SettingsOut)
    def patch(self, data: dict) -> dict[str, Any]:
        """Change some privacy settings. Admin scope."""
        return {"data": vars(privacy.update_settings(db_session(), tenant_id(), data, actor()))}


@blp.route("/people/<uuid:person_id>/retention")
class Retention(MethodView):
    @blp.response(200, RetentionOut)
    def get(self, person_id: uuid.UUID) -> object:
        """When the person's lawful basis lapses and when they will be anonymised."""
        return privacy.retention(db_session(), tenant_id(), person_id, datetime.now(UTC))


@blp.route("/audit")
class Audit(MethodView):
    @requires_scope("admin")
    @blp.arguments(AuditQuery, location="query")
    @blp.response(200, AuditPage)
    def get(self, args: dict) -> dict[str, Any]:
        """The audit trail, newest first: who did what to which record, from which surface. Admin scope."""
        query = page_args(args)
        return page_body(privacy.audit_events(
            db_session(), tenant_id(), entity=query["entity"], person_id=query["person_id"], actor=query["actor"],
            at_from=query["from_"], at_to=query["to"], limit=query["limit"], cursor=query["cursor"]))
