"""A message's e-mail, as the delivery machinery sends it: from the tenant's mail server and address when
it has set them (else the deployment's), with the writing recruiter as Reply-To, so answers reach a person.
A note to a referrer carries a one-click opt-out link (in the text and in `List-Unsubscribe`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from plugin import mail
from plugin.core.actors import Actor, audit
from plugin.errors import NotFoundError
from plugin.i18n import force_locale, gettext
from plugin.messages import messages, referrer_notes
from plugin.models import Delivery, Message, Recruiter, Reference, Referral, Tenant
from plugin.security import Vault


@dataclass(frozen=True)
class Server:
    """Where a mail goes out: the deployment's, unless the tenant set its own."""

    smtp_url: str
    sender: str


@dataclass(frozen=True)
class Outgoing:
    message: Message
    mail: mail.Mail
    server: Server


def set_server(session: Session, tenant_id: uuid.UUID, vault: Vault, smtp_url: str, sender: str,
               actor: Actor) -> Tenant:
    """The tenant's own mail server for its recruiters' messages; the URL (with its password) is encrypted."""
    tenant = _tenant(session, tenant_id)
    tenant.smtp_url_encrypted, tenant.mail_sender = vault.encrypt(smtp_url), sender
    audit(session, tenant_id, actor, "update", "tenant", tenant_id, ["smtp_url", "mail_sender"])
    session.commit()
    return tenant


def clear_server(session: Session, tenant_id: uuid.UUID, actor: Actor) -> Tenant:
    """Back to the deployment's server and sender."""
    tenant = _tenant(session, tenant_id)
    tenant.smtp_url_encrypted = tenant.mail_sender = None
    audit(session, tenant_id, actor, "update", "tenant", tenant_id, ["smtp_url", "mail_sender"])
    session.commit()
    return tenant


def server_info(tenant: Tenant, vault: Vault) -> dict[str, object]:
    """What may be shown of the tenant's server: whether it has one, its host and its sender; no password."""
    if not tenant.smtp_url_encrypted:
        return {"own": False, "host": None, "sender": tenant.mail_sender, "readable": True}
    try:
        host = urlsplit(vault.decrypt(tenant.smtp_url_encrypted)).hostname
    except ValueError:  # stored under a key the deployment no longer has: set it again (UnreadableServer)
        return {"own": True, "host": None, "sender": tenant.mail_sender, "readable": False}
    return {"own": True, "host": host, "sender": tenant.mail_sender, "readable": True}


def _tenant(session: Session, tenant_id: uuid.UUID) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFoundError(f"No tenant with id {tenant_id}.")
    return tenant


class UnreadableServer(Exception):
    """The tenant's server is stored under a key the deployment no longer has: sending through the deployment's
    server instead would send the tenant's mail from where it did not choose, so nothing is sent."""


def server_for(tenant: Tenant, deployment: Server, vault: Vault | None) -> Server:
    if tenant.smtp_url_encrypted and vault is not None:
        try:
            smtp_url = vault.decrypt(tenant.smtp_url_encrypted)
        except ValueError:
            raise UnreadableServer("The tenant's mail server cannot be read with the configured encryption keys; "
                                   "an admin must set it again.") from None
        return Server(smtp_url, tenant.mail_sender or deployment.sender)
    return Server(deployment.smtp_url, tenant.mail_sender or deployment.sender)


def outgoing(session: Session, delivery: Delivery, deployment: Server, vault: Vault | None, *, mail_id: str,
             app_url: str, secret_key: str, now: datetime) -> Outgoing | str:
    """The e-mail of a message's delivery, or why it may not go (a block reason) — the recipient is checked
    again here, since consent can lapse or a person ask not to be contacted after the author pressed send."""
    message = session.get(Message, uuid.UUID(str(delivery.payload["message_id"])))
    if message is None or message.status != "queued":
        return messages.ERASED if message is None else f"not queued: {message.status}"
    to = messages.recipient(session, message, now)
    if to.blocked is not None or not to.email:
        return to.blocked or messages.NO_ADDRESS
    tenant = session.get(Tenant, message.tenant_id)
    assert tenant is not None
    author = session.get(Recruiter, message.author_id) if message.author_id else None
    text, unsubscribe = message.body, None
    if message.kind == "referrer_note":
        referral = session.get(Referral, message.referral_id)
        reference = session.get(Reference, referral.reference_id) if referral else None
        if reference is not None:
            unsubscribe = referrer_notes.opt_out_url(secret_key, app_url, reference)
            with force_locale(message.language):
                footer = gettext("Do you not want notes like this one? Say so with one click: %(url)s",
                                 url=unsubscribe)
            text = f"{text}\n\n--\n{footer}"
    built = mail.Mail(to=to.email, subject=message.subject, text=text, html=None, message_id=mail_id,
                      unsubscribe=unsubscribe, reply_to=author.email if author else None,
                      automatic=author is None or bool(delivery.payload.get("automatic")))
    return Outgoing(message, built, server_for(tenant, deployment, vault))
