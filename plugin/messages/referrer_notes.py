"""Referrers hear back: when a referral's status changes, its referrer gets a short note in their language.

The minute's work (`notices.collect`'s neighbour in the cron jobs) looks at the referrals whose status
changed in the last two days and writes one note per referral and status (the message's unique `key`), so
a tick that runs twice, or a status set back and forth, writes each note once. Whatever changed the status
— a recruiter on a page, the API, an ATS sync — the note follows, without each path having to remember.
A referral recorded after the fact (an ATS's first sync brings years of them) is no news: it gets a note
when its status next changes.

By default the note is a draft for the referred person's owner (else the first active admin) to read and
send; a tenant that sets `referrer_notes: auto` has it sent at once (marked Auto-Submitted, as no one
pressed send), and `off` writes none. A referrer without an e-mail address, one who opted out, or
one who may not be contacted gets none. The note's opt-out link is signed for that referrer alone and
never expires, like the recruiters' unsubscribe links.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.core.actors import Actor, audit
from plugin.core.signed import BadToken, Signer
from plugin.errors import NotFoundError
from plugin.i18n import pick_language
from plugin.messages import messages, templates
from plugin.models import Message, Person, Recruiter, Reference, Referral, Tenant, utcnow
from plugin.tenancy import settings as tenant_settings

WINDOW = timedelta(days=2)  # older changes were written about already, or predate the feature
RECORDED_AS_IS = timedelta(seconds=1)  # a status this close to the row's creation came with the row
OPT_OUT_PURPOSE = "brobygger.referrer_opt_out"
SYSTEM = Actor.system()


def note_key(referral_id: uuid.UUID, status: str) -> str:
    return f"referral:{referral_id}:{status}"


def collect(session: Session, now: datetime) -> int:
    """Write the notes for recent status changes; returns how many were written. Commits."""
    rows = session.execute(
        select(Referral, Reference, Person, Tenant)
        .join(Reference, Reference.id == Referral.reference_id)
        .join(Person, Person.id == Referral.person_id)
        .join(Tenant, Tenant.id == Referral.tenant_id)
        .where(Referral.status_changed_at >= now - WINDOW, Referral.status_changed_at <= now,
               Referral.status.in_(list(templates.REFERRER_NOTES)), Reference.notes_opted_out_at.is_(None))
    ).all()
    if not rows:
        return 0
    keys = {note_key(referral.id, referral.status) for referral, *_ in rows}
    taken = set(session.scalars(select(Message.key).where(Message.key.in_(keys))))
    written = 0
    for referral, reference, person, tenant in rows:
        key = note_key(referral.id, referral.status)
        if key in taken or person.anonymised_at is not None or _old_news(referral, now):
            continue
        settings = tenant_settings.messages_of(tenant.settings)
        if settings.referrer_notes == "off":
            continue
        message = _write(session, tenant, referral, reference, person, key, now)
        if message is None:
            continue
        written += 1
        if settings.referrer_notes == "auto":  # `_write` found the referrer reachable: dispatch commits
            messages.dispatch(session, message, None, SYSTEM, now)
        else:
            session.commit()
    return written


def _old_news(referral: Referral, now: datetime) -> bool:
    """A referral recorded after the fact (an ATS's first sync, a migration through the API) arrives in the
    status it reached long ago: made in that status, and referred before the window. Nothing happened now to
    tell the referrer about; without this, connecting an ATS would write to every past referrer."""
    return referral.referred_at < now - WINDOW and referral.status_changed_at - referral.created_at < RECORDED_AS_IS


def _write(session: Session, tenant: Tenant, referral: Referral, reference: Reference, person: Person, key: str,
           now: datetime) -> Message | None:
    author_id = person.owner_id
    if author_id is None:
        author_id = session.scalar(select(Recruiter.id).where(Recruiter.tenant_id == tenant.id,
                                                              Recruiter.is_admin.is_(True),
                                                              Recruiter.active.is_(True)).order_by(Recruiter.email))
    author = session.get(Recruiter, author_id) if author_id else None
    draft = Message(tenant_id=tenant.id, kind="referrer_note", channel="email", referral_id=referral.id,
                    author_id=author.id if author else None, key=key, language="en")
    to = messages.recipient(session, draft, now)
    if to.blocked is not None:
        return None
    language = _language(session, reference, tenant)
    template = templates.REFERRER_NOTES[referral.status]
    wording = templates.wording(session, tenant.id, template, language)
    values = {"first_name": to.first_name, "person": person.first_name, "sender": author.name if author else ""}
    draft.language, draft.template = language, template
    draft.subject = templates.fill(wording.subject, values)
    draft.body = templates.fill(wording.body, values)
    draft.reason = templates.fill(wording.subject, values)  # the status change is why we write
    session.add(draft)
    session.flush()
    messages.record(session, draft, None, "drafted")
    audit(session, tenant.id, SYSTEM, "create", "message", draft.id, ["referral_id", "template"])
    return draft


def _language(session: Session, reference: Reference, tenant: Tenant) -> str:
    """The referrer's: a colleague's setting, the languages a tracked referrer speaks, else the tenant's."""
    if reference.recruiter_id:
        return pick_language(session.scalar(select(Recruiter.language).where(
            Recruiter.id == reference.recruiter_id)), default=tenant.default_language)
    spoken = session.scalar(select(Person.languages).where(Person.id == reference.person_id)) \
        if reference.person_id else None
    return pick_language(spoken=spoken or (), default=tenant.default_language)


# --- the one-click opt-out --------------------------------------------------------------------------------

def opt_out_token(secret_key: str, reference: Reference) -> str:
    return Signer(secret_key, OPT_OUT_PURPOSE, timed=False).sign({"t": str(reference.tenant_id),
                                                                  "r": str(reference.id)})


def opt_out_url(secret_key: str, app_url: str, reference: Reference) -> str:
    return f"{app_url.rstrip('/')}/referrers/opt-out/{opt_out_token(secret_key, reference)}"


def opt_out_target(session: Session, secret_key: str, token: str) -> Reference:
    """The referrer a link names; NotFoundError for a forged or altered link, or a referrer who is gone."""
    try:
        claims = Signer(secret_key, OPT_OUT_PURPOSE, timed=False).read(token)
        tenant_id, reference_id = uuid.UUID(claims["t"]), uuid.UUID(claims["r"])
    except (BadToken, KeyError, TypeError, ValueError, AttributeError):
        raise NotFoundError("This link is not valid.") from None
    reference = session.get(Reference, reference_id)
    if reference is None or reference.tenant_id != tenant_id:
        raise NotFoundError("This link is not valid.")
    return reference


def opt_out(session: Session, reference: Reference, now: datetime | None = None) -> None:
    """No more notes to this referrer; drafts not yet sent to them are dropped. Twice changes nothing."""
    if reference.notes_opted_out_at is None:
        reference.notes_opted_out_at = now or utcnow()
        for draft in session.scalars(select(Message).join(Referral, Referral.id == Message.referral_id).where(
                Message.tenant_id == reference.tenant_id, Referral.reference_id == reference.id,
                Message.kind == "referrer_note", Message.status.in_(messages.OPEN))):
            draft.status, draft.blocked_reason = "blocked", messages.OPTED_OUT
            messages.record(session, draft, None, "blocked", comment=messages.OPTED_OUT)  # the trail says why
        audit(session, reference.tenant_id, Actor("referrer", str(reference.id), SYSTEM.surface), "opt_out",
              "reference", reference.id)
    session.commit()
