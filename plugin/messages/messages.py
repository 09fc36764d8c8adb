"""Messages to people: a draft from a template, an optional second reader, and sending — exactly once, and
never to someone we may not contact.

The life of a message (models/messages.py): the author drafts it (`start`, `edit`); when the tenant's rule
(`MessageSettings.review`) says it needs a second reader, the author asks a colleague or "any admin"
(`ask_review`); the reviewer comments, edits (the trail keeps the text before and after), approves or sends
it back; the author sends it (`send`). An author's edit after approval voids the approval. Sending checks
the recipient again at the moment it is asked for and again in the worker: a person marked do-not-contact,
whose consent has lapsed, or who was erased, gets nothing, and the author is told why in a sentence.

An e-mail becomes a Delivery (kind "message") that the delivery machinery sends exactly once
(followups/deliveries.py asks `compose` for the mail and calls `sent` in the transaction that marks it
sent). A LinkedIn message is copied by the recruiter into LinkedIn; `send` then logs it. Either way the
sent message is a touchpoint, which resets the person's cadence, and the follow-up it answered is done.

Texts for the user (refusals) come through gettext: pages and the sidebar show them in the recruiter's
language, the API in English.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, or_, select, update
from sqlalchemy.orm import Session

from plugin.core.actors import Actor, audit
from plugin.core.lookup import get_owned
from plugin.core.pagination import Page, paginate
from plugin.errors import ConflictError, InvalidError, NotFoundError
from plugin.followups import reasons
from plugin.i18n import force_locale, gettext, pick_language
from plugin.messages import templates
from plugin.models import (
    Delivery,
    FollowUp,
    FollowUpStatus,
    LawfulBasis,
    Message,
    MessageEvent,
    Person,
    Recruiter,
    Reference,
    Referral,
    Role,
    RoleStatus,
    Tenant,
    Touchpoint,
    TouchpointKind,
    utcnow,
)
from plugin.people import people
from plugin.queueing import enqueue_after_commit
from plugin.tenancy import settings as tenant_settings

KIND = "message"  # Delivery.kind of a message's e-mail
JOB = "plugin.followups.jobs.send_delivery"
CHANNELS = ("email", "linkedin")
EDITABLE = ("draft", "changes_requested", "approved")
OPEN = ("draft", "in_review", "changes_requested", "approved")
FINAL = ("queued", "sent", "blocked", "failed", "discarded")
CONTACT_KINDS = (TouchpointKind.MEETING, TouchpointKind.INTERVIEW, TouchpointKind.CALL, TouchpointKind.MESSAGE,
                 TouchpointKind.EVENT)

# Why a message may not go out (Message.blocked_reason), as the author is told.
NO_ADDRESS, DO_NOT_CONTACT, CONSENT_LAPSED, ERASED, OPTED_OUT = (
    "no_address", "do_not_contact", "consent_lapsed", "erased", "opted_out")


def block_text(reason: str) -> str:
    texts = {
        NO_ADDRESS: gettext("We have no e-mail address for the recipient. Add one, or write on LinkedIn."),
        DO_NOT_CONTACT: gettext("The person does not want to be contacted. Nothing was sent."),
        CONSENT_LAPSED: gettext("The person's consent has lapsed. Renew it before you write. Nothing was sent."),
        ERASED: gettext("The person has been erased. Nothing was sent."),
        OPTED_OUT: gettext("The referrer has asked not to get notes about their referrals. Nothing was sent."),
    }
    return texts.get(reason, reason)


class Blocked(ConflictError):
    """Sending refused because of the recipient; `reason` is one of the block reasons above."""

    def __init__(self, reason: str) -> None:
        super().__init__(block_text(reason), {"recipient": [block_text(reason)]})
        self.reason = reason


@dataclass(frozen=True)
class Recipient:
    name: str
    first_name: str
    email: str | None
    blocked: str | None


# --- reading ----------------------------------------------------------------------------------------------

def get(session: Session, tenant_id: uuid.UUID, message_id: uuid.UUID) -> Message:
    return get_owned(session, Message, tenant_id, message_id, "message")


def list_(session: Session, tenant_id: uuid.UUID, *, status: str | None = None,
          person_id: uuid.UUID | None = None, author_id: uuid.UUID | None = None, limit: int,
          cursor: str | None = None) -> Page:
    """The tenant's messages, newest first."""
    query = select(Message).where(Message.tenant_id == tenant_id)
    for column, value in ((Message.status, status), (Message.person_id, person_id), (Message.author_id, author_id)):
        if value is not None:
            query = query.where(column == value)
    return paginate(session, query, [Message.created_at, Message.id], limit, cursor, descending=True)


def of_delivery(session: Session, delivery: Delivery) -> Message | None:
    return session.scalar(select(Message).where(Message.tenant_id == delivery.tenant_id,
                                                Message.delivery_id == delivery.id))


def events(session: Session, message: Message) -> list[MessageEvent]:
    return list(session.scalars(select(MessageEvent).where(MessageEvent.message_id == message.id)
                                .order_by(MessageEvent.created_at, MessageEvent.id)))


def may_review(message: Message, me: Recruiter) -> bool:
    """The named reviewer, or any admin but the author when the review is for any admin."""
    if message.status != "in_review" or message.author_id == me.id or not me.active:
        return False
    return message.reviewer_id == me.id or (message.any_admin and me.is_admin)


def _waiting_for(tenant_id: uuid.UUID, me: Recruiter) -> list[ColumnElement[bool]]:
    mine = Message.reviewer_id == me.id
    return [Message.tenant_id == tenant_id, Message.status == "in_review",
            or_(mine, Message.any_admin.is_(True)) if me.is_admin else mine,
            or_(Message.author_id.is_(None), Message.author_id != me.id)]


def to_review(session: Session, tenant_id: uuid.UUID, me: Recruiter, limit: int = 50) -> list[Message]:
    """Messages waiting for `me` to read them, oldest first (the queue's section)."""
    query = select(Message).where(*_waiting_for(tenant_id, me))
    return list(session.scalars(query.order_by(Message.updated_at, Message.id).limit(limit)))


def count_to_review(session: Session, tenant_id: uuid.UUID, me: Recruiter) -> int:
    """How many `to_review` holds: every page's header shows it, so one COUNT, no rows."""
    return session.scalar(select(func.count()).select_from(Message).where(*_waiting_for(tenant_id, me))) or 0


def of_author(session: Session, tenant_id: uuid.UUID, me: Recruiter, statuses: tuple[str, ...] = OPEN,
              limit: int = 50) -> list[Message]:
    return list(session.scalars(select(Message).where(
        Message.tenant_id == tenant_id, Message.author_id == me.id, Message.status.in_(statuses))
        .order_by(Message.updated_at.desc(), Message.id).limit(limit)))


# --- recipients -----------------------------------------------------------------------------------------

def _consent_lapsed(person: Person, now: datetime) -> bool:
    return person.lawful_basis == LawfulBasis.CONSENT and (person.consent_expires_at is None
                                                           or person.consent_expires_at <= now)


def _person_block(person: Person, now: datetime) -> str | None:
    if person.anonymised_at is not None:
        return ERASED
    if person.do_not_contact:
        return DO_NOT_CONTACT
    if _consent_lapsed(person, now):
        return CONSENT_LAPSED
    return None


def recipient(session: Session, message: Message, now: datetime) -> Recipient:
    """Who the message goes to, their address, and why it may not go (None: it may)."""
    if message.kind == "referrer_note":
        return _referrer(session, message, now)
    person = session.get(Person, message.person_id) if message.person_id else None
    if person is None:
        return Recipient("", "", None, ERASED)
    email = person.emails[0].email if person.emails else None
    blocked = _person_block(person, now)
    if blocked is None and message.channel == "email" and not email:
        blocked = NO_ADDRESS
    return Recipient(f"{person.first_name} {person.last_name}".strip(), person.first_name, email, blocked)


def _referrer(session: Session, message: Message, now: datetime) -> Recipient:
    referral = session.get(Referral, message.referral_id) if message.referral_id else None
    reference = session.get(Reference, referral.reference_id) if referral else None
    if reference is None:
        return Recipient("", "", None, ERASED)
    if reference.notes_opted_out_at is not None:
        return Recipient(reference.name or "", _first(reference.name), reference.email, OPTED_OUT)
    if reference.person_id:
        person = session.get(Person, reference.person_id)
        assert person is not None
        email = reference.email or (person.emails[0].email if person.emails else None)
        blocked = _person_block(person, now) or (None if email else NO_ADDRESS)
        return Recipient(f"{person.first_name} {person.last_name}".strip(), person.first_name, email, blocked)
    if reference.recruiter_id:
        colleague = session.get(Recruiter, reference.recruiter_id)
        assert colleague is not None
        return Recipient(colleague.name, _first(colleague.name), colleague.email, None)
    return Recipient(reference.name or "", _first(reference.name), reference.email,
                     None if reference.email else NO_ADDRESS)


def _first(name: str | None) -> str:
    return (name or "").strip().split(" ")[0]


# --- drafting ---------------------------------------------------------------------------------------------

def record(session: Session, message: Message, actor_id: uuid.UUID | None, kind: str, comment: str = "",
           before: str | None = None, after: str | None = None) -> None:
    session.add(MessageEvent(tenant_id=message.tenant_id, message_id=message.id, actor_id=actor_id, kind=kind,
                             comment=comment, body_before=before, body_after=after))


def start(session: Session, tenant_id: uuid.UUID, author: Recruiter, data: dict[str, object],
          actor: Actor) -> Message:
    """A draft to a person, filled from a template: `person_id`, and optionally `followup_id` (its role and
    reason come along), `role_id`, `template` (one of templates.FOR_PEOPLE), `channel`, `language`."""
    person = people.get(session, tenant_id, uuid.UUID(str(data["person_id"])))
    followup = None
    if data.get("followup_id"):
        followup = get_owned(session, FollowUp, tenant_id, uuid.UUID(str(data["followup_id"])), "followup")
        if followup.person_id != person.id:
            raise InvalidError(gettext("The follow-up is about someone else."),
                               {"followup_id": ["Belongs to another person."]})
    role_id = data.get("role_id") or (followup.role_id if followup else None)
    role = get_owned(session, Role, tenant_id, uuid.UUID(str(role_id)), "role") if role_id else None
    blocked = _person_block(person, utcnow())
    if blocked is not None:
        raise Blocked(blocked)
    tenant = session.get(Tenant, tenant_id)
    assert tenant is not None
    language = str(data.get("language") or pick_language(spoken=person.languages or (),
                                                         default=tenant.default_language))
    channel = str(data.get("channel") or "email")
    key = str(data.get("template") or (templates.FOR_PEOPLE[2] if role else templates.FOR_PEOPLE[0]))
    if key not in templates.FOR_PEOPLE:
        raise InvalidError(f"No template {key!r} for a person.", {"template": [
            f"One of: {', '.join(templates.FOR_PEOPLE)}."]})
    wording = templates.wording(session, tenant_id, key, language)
    with force_locale(language):
        reason = reasons.text(followup) if followup else ""
    values = {"first_name": person.first_name, "reason": reason, "role": role.title if role else "",
              "sender": author.name}
    message = Message(tenant_id=tenant_id, kind="outreach", channel=channel, template=key, language=language,
                      person_id=person.id, followup_id=followup.id if followup else None,
                      role_id=role.id if role else None, author_id=author.id,
                      subject=templates.fill(wording.subject, values), body=templates.fill(wording.body, values))
    session.add(message)
    session.flush()
    message.needs_review = needs_review(session, message)
    record(session, message, author.id, "drafted")
    audit(session, tenant_id, actor, "create", "message", message.id, ["person_id", "template", "channel"])
    session.commit()
    return message


def needs_review(session: Session, message: Message) -> bool:
    """Whether the tenant's rule wants a second reader for this message now."""
    cases = tenant_settings.load_messages(session, message.tenant_id).review
    if "important" in cases and message.important:
        return True
    if ("confidential_role" in cases and message.role_id is not None
            and session.scalar(select(Role.status).where(Role.id == message.role_id)) == RoleStatus.CONFIDENTIAL):
        return True
    if "first_contact" in cases and message.kind == "outreach" and message.person_id is not None:
        met = session.scalar(select(exists().where(Touchpoint.tenant_id == message.tenant_id,
                                                   Touchpoint.person_id == message.person_id,
                                                   Touchpoint.kind.in_(CONTACT_KINDS))))
        if not met:
            return True
    return False


def _is_author(message: Message, me: Recruiter) -> bool:
    return message.author_id == me.id


def edit(session: Session, message: Message, me: Recruiter, changes: dict[str, object], actor: Actor) -> Message:
    """The author edits their draft (an approved one goes back to draft); the reviewer edits what they read.
    `changes` may hold subject, body, reason, important, channel."""
    reviewer = may_review(message, me)
    if not (reviewer or (_is_author(message, me) and message.status in EDITABLE)):
        raise ConflictError(gettext("This message cannot be changed now."))
    allowed = {"subject", "body", "reason", "important", "channel"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidError(f"Unknown fields: {', '.join(sorted(unknown))}.", {k: ["Unknown field."] for k in unknown})
    _check_lengths(changes)
    if "channel" in changes and changes["channel"] not in CHANNELS:
        raise InvalidError(gettext("Choose e-mail or LinkedIn."), {"channel": [f"One of: {', '.join(CHANNELS)}."]})
    before = message.body
    changed = [key for key, value in changes.items() if getattr(message, key) != value]
    if not changed:
        return message
    for key in changed:
        setattr(message, key, changes[key])
    if message.status in ("approved", "changes_requested") and _is_author(message, me):
        message.status = "draft"  # a reader's approval or return covers the text they read, not a later one
    message.needs_review = needs_review(session, message)
    record(session, message, me.id, "edited", before=before if "body" in changed else None,
           after=message.body if "body" in changed else None, comment=", ".join(changed))
    audit(session, message.tenant_id, actor, "update", "message", message.id, changed)
    session.commit()
    return message


LIMITS = {"subject": 200, "body": templates.MAX_BODY, "reason": 1000}


def _check_lengths(changes: dict[str, object]) -> None:
    errors = {key: [gettext("At most %(n)s characters.", n=limit)] for key, limit in LIMITS.items()
              if isinstance(changes.get(key), str) and len(str(changes[key])) > limit}
    if errors:
        raise InvalidError(gettext("The message is too long."), errors)


def _complete(message: Message) -> None:
    """A message says why it is sent: a reason line, and a text (and a subject, for an e-mail)."""
    errors: dict[str, list[str]] = {}
    if not message.reason.strip():
        errors["reason"] = [gettext("Write why you are getting in touch now, and why you.")]
    if not message.body.strip():
        errors["body"] = [gettext("Write the message.")]
    if message.channel == "email" and not message.subject.strip():
        errors["subject"] = [gettext("Write a subject.")]
    if errors:
        raise InvalidError(" ".join(m for ms in errors.values() for m in ms), errors)


def ask_review(session: Session, message: Message, me: Recruiter, reviewer_id: uuid.UUID | None,
               actor: Actor) -> Message:
    """Hand the message to a colleague (`reviewer_id`), or to any admin (None)."""
    if not _is_author(message, me) or message.status not in ("draft", "changes_requested"):
        raise ConflictError(gettext("Only the author can ask for a review of a draft."))
    _complete(message)
    if reviewer_id is not None:
        reviewer = session.scalar(select(Recruiter).where(Recruiter.tenant_id == message.tenant_id,
                                                          Recruiter.id == reviewer_id, Recruiter.active.is_(True)))
        if reviewer is None:
            raise NotFoundError(gettext("Choose a colleague to read the message."))
        if reviewer.id == me.id:
            raise InvalidError(gettext("Someone other than you must read the message."),
                               {"reviewer_id": ["Not the author."]})
    elif not session.scalar(select(exists().where(Recruiter.tenant_id == message.tenant_id,
                                                  Recruiter.is_admin.is_(True), Recruiter.active.is_(True),
                                                  Recruiter.id != me.id))):
        raise InvalidError(gettext("There is no other admin to read the message. Choose a colleague."),
                           {"reviewer_id": ["No admin besides the author."]})
    message.reviewer_id, message.any_admin, message.status = reviewer_id, reviewer_id is None, "in_review"
    record(session, message, me.id, "submitted")
    audit(session, message.tenant_id, actor, "update", "message", message.id, ["status", "reviewer_id"])
    session.commit()
    return message


def comment(session: Session, message: Message, me: Recruiter, text: str, actor: Actor) -> Message:
    if not (may_review(message, me) or _is_author(message, me)):
        raise NotFoundError(gettext("The message was not found."))
    if not text.strip():
        raise InvalidError(gettext("Write a comment."), {"comment": ["Must not be blank."]})
    _check_lengths({"reason": text})
    record(session, message, me.id, "commented", comment=text.strip())
    audit(session, message.tenant_id, actor, "comment", "message", message.id)
    session.commit()
    return message


def approve(session: Session, message: Message, me: Recruiter, actor: Actor) -> Message:
    if not may_review(message, me):
        raise ConflictError(gettext("Only the reader the author chose can approve the message."))
    message.status, message.reviewer_id = "approved", me.id
    record(session, message, me.id, "approved")
    audit(session, message.tenant_id, actor, "approve", "message", message.id)
    session.commit()
    return message


def send_back(session: Session, message: Message, me: Recruiter, text: str, actor: Actor) -> Message:
    if not may_review(message, me):
        raise ConflictError(gettext("Only the reader the author chose can send the message back."))
    if not text.strip():
        raise InvalidError(gettext("Write what should change."), {"comment": ["Must not be blank."]})
    message.status, message.reviewer_id = "changes_requested", me.id
    record(session, message, me.id, "returned", comment=text.strip())
    audit(session, message.tenant_id, actor, "return", "message", message.id)
    session.commit()
    return message


def discard(session: Session, message: Message, me: Recruiter, actor: Actor) -> Message:
    if not _is_author(message, me) or message.status not in OPEN:
        raise ConflictError(gettext("This message cannot be discarded now."))
    message.status = "discarded"
    record(session, message, me.id, "discarded")
    audit(session, message.tenant_id, actor, "discard", "message", message.id)
    session.commit()
    return message


# --- sending ----------------------------------------------------------------------------------------------

def send(session: Session, message: Message, me: Recruiter, actor: Actor, now: datetime | None = None) -> Message:
    """The author sends: an e-mail is queued for the worker, a LinkedIn message (copied by the author) is
    logged as sent. Refused without the approval the rule asks for, or when the recipient may not be
    contacted (nothing is written then)."""
    now = now or utcnow()
    if not _is_author(message, me) or message.status not in ("draft", "approved"):
        raise ConflictError(gettext("This message cannot be sent now."))
    _complete(message)
    message.needs_review = needs_review(session, message)
    if message.needs_review and message.status != "approved":
        session.rollback()
        raise ConflictError(gettext("A colleague must read and approve this message before it is sent."),
                            {"status": ["Needs approval."]})
    return dispatch(session, message, me.id, actor, now)


def dispatch(session: Session, message: Message, actor_id: uuid.UUID | None, actor: Actor,
              now: datetime) -> Message:
    """Queue the e-mail, or log the LinkedIn message as sent; the caller has checked the approval."""
    to = recipient(session, message, now)
    if to.blocked is not None:
        session.rollback()
        raise Blocked(to.blocked)
    # One conditional UPDATE takes the message out of draft, so a second send of it (a double click, another
    # tab) finds it taken instead of logging the LinkedIn message twice or failing on the delivery's key.
    taken = session.execute(update(Message).where(Message.id == message.id, Message.status.in_(("draft", "approved")))
                            .values(status="sent" if message.channel == "linkedin" else "queued")
                            .execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        session.rollback()
        raise ConflictError(gettext("This message has been sent already."), {"status": ["Sent already."]})
    if message.channel == "linkedin":
        record(session, message, actor_id, "copied")
        sent(session, message, now)
    else:
        delivery = Delivery(tenant_id=message.tenant_id, recruiter_id=message.author_id, kind=KIND,
                            key=f"message:{message.id}", due_at=now, status="pending", attempts=0,
                            payload={"message_id": str(message.id), "automatic": actor_id is None})
        session.add(delivery)
        session.flush()
        message.delivery_id, message.status = delivery.id, "queued"
        record(session, message, actor_id, "queued")
        enqueue_after_commit(session, JOB, str(delivery.id), job_id=f"delivery-{delivery.id}-0")
    audit(session, message.tenant_id, actor, "send", "message", message.id, [message.channel])
    session.commit()
    return message


def sent(session: Session, message: Message, now: datetime) -> None:
    """The message went out: it is a touch (resetting the cadence), and the follow-up it answered is done.
    In the caller's transaction."""
    message.status, message.sent_at = "sent", now
    record(session, message, None, "sent")
    person_id = message.person_id
    if message.kind != "outreach" or person_id is None:
        return
    touch = people.add_touchpoint(session, message.tenant_id, person_id, {
        "kind": TouchpointKind.MESSAGE, "occurred_at": now, "summary": message.subject or message.body[:200],
        "recruiter_id": message.author_id}, Actor.system())
    message.touchpoint_id = touch.id
    if message.followup_id:
        followup = session.get(FollowUp, message.followup_id)
        if followup is not None and followup.status in (FollowUpStatus.OPEN, FollowUpStatus.SNOOZED):
            followup.status, followup.completed_at, followup.touchpoint_id = FollowUpStatus.DONE, now, touch.id


def blocked_in_worker(session: Session, message: Message, reason: str) -> None:
    """The recipient became unreachable between the send and the worker: nothing goes out."""
    message.status, message.blocked_reason = "blocked", reason
    record(session, message, None, "blocked", comment=reason)


def failed_in_worker(session: Session, message: Message, error: str) -> None:
    message.status = "failed"
    record(session, message, None, "failed", comment=error[:500])
