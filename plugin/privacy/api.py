"""GDPR endpoints: export (art. 15), erase (art. 17), the art. 14 notice, consent links, the privacy
settings, who will be anonymised, and the audit trail (tenant admins only)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask.views import MethodView

from plugin.core.api import Blueprint, actor, db_session, page_args, page_body, requires_scope, tenant_id
from plugin.extension import get_state
from plugin.mail import Mail, send
from plugin.privacy import consent, erasure, export, notice, retention, tasks, trail
from plugin.privacy.schemas import (
    AuditPage,
    AuditQuery,
    ConsentLinkIn,
    ConsentLinkOut,
    ErasureOut,
    NoticeOut,
    NoticeSentIn,
    RetentionOut,
    SettingsOut,
)
from plugin.tenancy import settings as tenant_settings

blp = Blueprint("privacy", __name__, url_prefix="",
                description="Privacy: export, erasure, art. 14 notices, consent links, retention, the audit trail.")


@blp.route("/people/<uuid:person_id>/export")
class Export(MethodView):
    @requires_scope("admin")
    @blp.response(200)
    def get(self, person_id: uuid.UUID) -> dict[str, Any]:
        """Everything held about the person, as JSON (a data-subject access request). Admin scope."""
        return export.export(db_session(), tenant_id(), person_id, actor())


@blp.route("/people/<uuid:person_id>/erase")
class Erase(MethodView):
    @requires_scope("admin")
    @blp.response(200, ErasureOut)
    def post(self, person_id: uuid.UUID) -> object:
        """Erase the person at once; their identifiers are fingerprinted so they are not re-imported. Admin scope."""
        return erasure.erase(db_session(), tenant_id(), person_id, actor(), outbox=get_state().instance_path / "outbox")


@blp.route("/people/<uuid:person_id>/art14-notice")
class Art14Notice(MethodView):
    @blp.response(200, NoticeOut)
    @blp.alt_response(409, response="Conflict")  # the person is anonymised
    def get(self, person_id: uuid.UUID) -> object:
        """The ready art. 14 notice for the person, in their language."""
        return notice.notice(db_session(), tenant_id(), person_id)


@blp.route("/people/<uuid:person_id>/art14-sent")
class Art14Sent(MethodView):
    @blp.arguments(NoticeSentIn)
    @blp.response(200, NoticeSentIn)
    def post(self, data: dict, person_id: uuid.UUID) -> dict[str, Any]:
        """Record that the art. 14 notice was sent (now, or at `sent_at`); its task is done."""
        person = tasks.mark_notice_sent(db_session(), tenant_id(), person_id, actor(), data["sent_at"])
        return {"sent_at": person.art14_notice_sent_at}


@blp.route("/people/<uuid:person_id>/consent-link")
class ConsentLink(MethodView):
    @blp.arguments(ConsentLinkIn)
    @blp.response(201, ConsentLinkOut)
    def post(self, data: dict, person_id: uuid.UUID) -> dict[str, Any]:
        """A signed, single-use renewal link; the URL is shown only now. `send_email` mails it to the person."""
        state = get_state()
        session = db_session()
        link = consent.consent_link(session, tenant_id(), person_id, actor(), secret=state.setting("SECRET_KEY"),
                                    base_url=state.setting("BASE_URL") + state.url_prefix,
                                    days=state.setting("CONSENT_LINK_DAYS"))
        emailed = data["send_email"] and consent.mail_consent_link(session, tenant_id(), person_id, link, _mailer())
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
        return {"data": tenant_settings.load_privacy(db_session(), tenant_id()).as_dict()}

    @requires_scope("admin")
    @blp.arguments(tenant_settings.PrivacySettingsSchema(partial=True))
    @blp.response(200, SettingsOut)
    def patch(self, data: dict) -> dict[str, Any]:
        """Change some privacy settings. Admin scope."""
        return {"data": tenant_settings.update_privacy(db_session(), tenant_id(), data, actor()).as_dict()}


@blp.route("/people/<uuid:person_id>/retention")
class Retention(MethodView):
    @blp.response(200, RetentionOut)
    def get(self, person_id: uuid.UUID) -> object:
        """When the person's lawful basis lapses and when they will be anonymised."""
        return retention.retention(db_session(), tenant_id(), person_id, datetime.now(UTC))


@blp.route("/audit")
class Audit(MethodView):
    @requires_scope("admin")
    @blp.arguments(AuditQuery, location="query")
    @blp.response(200, AuditPage)
    def get(self, args: dict) -> dict[str, Any]:
        """The audit trail, newest first: who did what to which record, from which surface. Admin scope."""
        query = page_args(args)
        return page_body(trail.audit_events(
            db_session(), tenant_id(), entity=query["entity"], person_id=query["person_id"], actor=query["actor"],
            at_from=query["from_"], at_to=query["to"], limit=query["limit"], cursor=query["cursor"]))
