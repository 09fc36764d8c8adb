"""The message pages: a recruiter's messages, writing one, a colleague reading it, and a referrer's opt-out.

GET /messages: the signed-in recruiter's messages in three sections: waiting for them to read (a colleague
asked them, or any admin), their own drafts (those sent back first, with the reader's comment) and what they
sent recently. GET /messages/new?person_id=…[&followup_id=…][&role_id=…][&template=…][&channel=linkedin]
drafts a message from a template (or opens the recruiter's open draft to that person about the same thing)
and answers 303 to its page, GET /messages/<id>: its author writes there (subject, text, the reason line,
e-mail or LinkedIn, a live tone check), asks a colleague to read it and sends it; the colleague edits,
comments, approves or sends it back; everyone who may see it sees the trail, with what an edit changed in
the text. A message of another tenant, or one the recruiter is neither author nor reader of, is a 404 like
an unknown id. The POSTs (/messages/<id>/save, ask-review, comment, approve, return, send, discard,
restart) are plain forms with the CSRF token: each saves the text the form carries first (an author's
"Send" sends what is on the screen), acts, and comes back with a flash in the recruiter's language; a
refusal of the service is that flash. POST /messages/tone is the page script's tone check (JSON, the CSRF
token in a header).

GET/POST /referrers/opt-out/<token>: the link in a note to a referrer. It works without signing in, so its
blueprint has no session or CSRF check: the signed token is the credential (as /unsubscribe/<token>). GET
only asks (mail scanners follow links); POST opts out, from the page's button or from a mail program's
one-click button (RFC 8058: `List-Unsubscribe=One-Click`).
"""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from plugin import error_texts
from plugin.errors import ConflictError, DomainError, InvalidError, NotFoundError, envelope
from plugin.extension import db_session, get_state
from plugin.i18n import force_locale, gettext, language_code, lazy_gettext, select_locale
from plugin.login import account
from plugin.messages import messages, referrer_notes, templates, tone
from plugin.models import FollowUp, Message, MessageEvent, Person, Recruiter, Referral, Role, Tenant, utcnow
from plugin.tenancy import settings as tenant_settings

bp = Blueprint("brobygger_messages", __name__)
account.setup(bp)

SENT = ("sent", "queued", "blocked", "failed")  # "Sent recently"
SENT_LIMIT = 20
REOPEN = ("draft", "changes_requested")  # an open draft /messages/new opens again rather than starting another
MAX_TONE_TEXT = 20_000  # a subject and a text at their longest, with room to spare

STATUS_LABELS: dict[str, Any] = {
    "draft": lazy_gettext("draft"), "in_review": lazy_gettext("waiting to be read"),
    "changes_requested": lazy_gettext("sent back"), "approved": lazy_gettext("approved"),
    "queued": lazy_gettext("queued"), "sent": lazy_gettext("sent"), "blocked": lazy_gettext("not sent"),
    "failed": lazy_gettext("failed"), "discarded": lazy_gettext("discarded"),
}
EVENT_LABELS: dict[str, Any] = {
    "drafted": lazy_gettext("Wrote the draft"), "edited": lazy_gettext("Edited"),
    "submitted": lazy_gettext("Asked for a review"), "commented": lazy_gettext("Commented"),
    "approved": lazy_gettext("Approved"), "returned": lazy_gettext("Sent it back"),
    "queued": lazy_gettext("Queued the e-mail"), "sent": lazy_gettext("Sent"),
    "copied": lazy_gettext("Copied the text for LinkedIn"), "blocked": lazy_gettext("Not sent"),
    "failed": lazy_gettext("The mail server did not take it"), "discarded": lazy_gettext("Discarded"),
}
FIELD_LABELS: dict[str, Any] = {
    "subject": lazy_gettext("the subject"), "body": lazy_gettext("the text"),
    "reason": lazy_gettext("the reason line"), "important": lazy_gettext("the mark as important"),
    "channel": lazy_gettext("e-mail or LinkedIn"),
}
TEMPLATE_LABELS: dict[str, Any] = {
    "keep_in_touch": lazy_gettext("Keep in touch"), "thank_after_meeting": lazy_gettext("Thank you for meeting"),
    "unadvertised_role": lazy_gettext("A role not advertised yet"),
}
CASE_LABELS: dict[str, Any] = {
    "first_contact": lazy_gettext("first contacts"),
    "confidential_role": lazy_gettext("messages about a confidential role"),
    "important": lazy_gettext("messages marked important"),
}
TONE_KIND_LABELS: dict[str, Any] = {
    "intensifier": lazy_gettext("Intensifier"), "superlative": lazy_gettext("Superlative"),
    "exclamations": lazy_gettext("Exclamation marks"), "unbacked_claim": lazy_gettext("Claim without a figure"),
    "cliche": lazy_gettext("Cliché"),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


# --- one line per message ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Line:
    """A message as the lists show it: to whom, by whom, and (for a draft sent back) the reader's comment."""

    message: Message
    recipient: str
    author: str
    comment: str = ""

    @property
    def when(self) -> datetime:
        return self.message.sent_at or self.message.updated_at


def lines(session: Any, items: Iterable[Message], comments: Mapping[uuid.UUID, str] | None = None) -> list[Line]:
    """Lines for `items` with a query for the people and one for the recruiters, however many there are."""
    items = list(items)
    person_ids = {m.person_id for m in items if m.person_id}
    people = {row.id: row for row in session.execute(
        select(Person.id, Person.first_name, Person.last_name, Person.anonymised_at)
        .where(Person.id.in_(person_ids)))} if person_ids else {}
    author_ids = {m.author_id for m in items if m.author_id}
    names = dict(session.execute(select(Recruiter.id, Recruiter.name).where(Recruiter.id.in_(author_ids))).all()) \
        if author_ids else {}
    now = utcnow()
    out = []
    for message in items:
        if message.kind == "referrer_note":
            found = messages.recipient(session, message, now).name
            recipient = gettext("%(name)s (referrer)", name=found) if found else gettext("A referrer")
        else:
            person = people.get(message.person_id) if message.person_id else None
            recipient = (gettext("An erased person") if person is None or person.anonymised_at
                         else f"{person.first_name} {person.last_name}".strip())
        out.append(Line(message, recipient, names.get(message.author_id, "") if message.author_id else "",
                        (comments or {}).get(message.id, "")))
    return out


def _return_comments(session: Any, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The last "send back" comment of each message."""
    if not ids:
        return {}
    rows = session.execute(select(MessageEvent.message_id, MessageEvent.comment).where(
        MessageEvent.message_id.in_(ids), MessageEvent.kind == "returned")
        .order_by(MessageEvent.created_at, MessageEvent.id)).all()
    return {message_id: comment for message_id, comment in rows}  # the latest wins


def _waiting_count() -> int:
    """For the page header: how many messages wait for the signed-in recruiter to read them."""
    me = account.current_recruiter()
    return messages.count_to_review(db_session(), me.tenant_id, me) if me is not None else 0


def _waiting() -> list[Message]:
    """For the queue page: the messages waiting for the signed-in recruiter to read them."""
    me = account.current_recruiter()
    return messages.to_review(db_session(), me.tenant_id, me) if me is not None else []


# Every page's header shows the count; the queue includes templates/brobygger/_messages_waiting.html. Template
# globals, so the follow-ups package (which messages build on) need not import this one.
bp.add_app_template_global(_waiting_count, "brobygger_messages_waiting")
bp.add_app_template_global(_waiting, "brobygger_messages_to_review")
bp.add_app_template_global(lambda waiting: lines(db_session(), waiting), "brobygger_message_lines")
bp.add_app_template_global(status_label, "brobygger_message_status")


# --- the list -----------------------------------------------------------------------------------------------

@bp.get("/messages")
@account.require_recruiter
def list_messages() -> Any:
    me = account.recruiter()
    session = db_session()
    waiting = messages.to_review(session, me.tenant_id, me)
    drafts = messages.of_author(session, me.tenant_id, me, messages.OPEN)
    drafts.sort(key=lambda m: m.status != "changes_requested")  # sent back first; otherwise newest first
    sent = messages.of_author(session, me.tenant_id, me, SENT, limit=SENT_LIMIT)
    comments = _return_comments(session, [m.id for m in drafts if m.status == "changes_requested"])
    return render_template("brobygger/messages.html", waiting=lines(session, waiting),
                           drafts=lines(session, drafts, comments), sent=lines(session, sent),
                           status_label=status_label)


# --- a new draft ----------------------------------------------------------------------------------------------

def _uuid_arg(name: str) -> uuid.UUID | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        abort(404)


@bp.get("/messages/new")
@account.require_recruiter
def new() -> Any:
    me = account.recruiter()
    session = db_session()
    person_id, followup_id, role_id = _uuid_arg("person_id"), _uuid_arg("followup_id"), _uuid_arg("role_id")
    if person_id is None:
        abort(404)
    template = request.args.get("template", "").strip()
    template = template if template in templates.FOR_PEOPLE else ""
    channel = "linkedin" if request.args.get("channel") == "linkedin" else ""
    existing = _open_draft(me, person_id, followup_id, role_id, template, channel)
    if existing is not None:
        return redirect(url_for(".message_page", message_id=existing.id), code=303)
    data: dict[str, object] = {"person_id": person_id}
    for key, value in (("followup_id", followup_id), ("role_id", role_id), ("template", template),
                       ("channel", channel)):
        if value:
            data[key] = value
    try:
        message = messages.start(session, me.tenant_id, me, data, account.actor())
    except NotFoundError:
        abort(404)  # another tenant's person, follow-up or role, as an unknown one
    except DomainError as exc:  # the person may not be contacted; a follow-up about someone else
        session.rollback()
        flash(_refusal(exc))
        return redirect(url_for(".list_messages"), code=303)
    return redirect(url_for(".message_page", message_id=message.id), code=303)


def _open_draft(me: Recruiter, person_id: uuid.UUID, followup_id: uuid.UUID | None, role_id: uuid.UUID | None,
                template: str, channel: str) -> Message | None:
    """The recruiter's unsent draft to this person about the same thing: opening the sidebar's link twice
    opens one draft, not two."""
    query = select(Message).where(Message.tenant_id == me.tenant_id, Message.author_id == me.id,
                                  Message.person_id == person_id, Message.kind == "outreach",
                                  Message.status.in_(REOPEN),
                                  Message.followup_id == followup_id if followup_id else Message.followup_id.is_(None))
    for column, value in ((Message.role_id, role_id), (Message.template, template), (Message.channel, channel)):
        if value:
            query = query.where(column == value)
    return db_session().scalar(query.order_by(Message.updated_at.desc(), Message.id).limit(1))


# --- one message ----------------------------------------------------------------------------------------------

def _visible(message_id: uuid.UUID) -> Message:
    """The message, if the signed-in recruiter is its author, its reader, or may read it; else a 404."""
    me = account.recruiter()
    message = db_session().scalar(select(Message).where(Message.tenant_id == me.tenant_id, Message.id == message_id))
    if message is None or not (message.author_id == me.id or message.reviewer_id == me.id
                               or messages.may_review(message, me)):
        abort(404)
    return message


@dataclass(frozen=True)
class Step:
    """One line of the trail."""

    event: MessageEvent
    who: str
    what: str
    comment: str
    diff: list[tuple[str, str]]  # (same | add | del | gap, line)


def _trail(session: Any, message: Message) -> list[Step]:
    events = messages.events(session, message)
    actor_ids = {e.actor_id for e in events if e.actor_id}
    names = dict(session.execute(select(Recruiter.id, Recruiter.name).where(Recruiter.id.in_(actor_ids))).all()) \
        if actor_ids else {}
    steps = []
    for event in events:
        comment = event.comment
        if event.kind == "edited":
            changed = [name.strip() for name in comment.split(",")]
            fields = [str(FIELD_LABELS[name]) for name in changed if name in FIELD_LABELS]
            comment = gettext("Changed %(fields)s.", fields=", ".join(fields)) if fields else ""
        elif event.kind == "blocked":
            comment = messages.block_text(comment)
        diff = _diff(event.body_before, event.body_after) if event.body_before is not None \
            and event.body_after is not None else []
        steps.append(Step(event, names.get(event.actor_id, "") if event.actor_id else "Brobygger",
                          str(EVENT_LABELS.get(event.kind, event.kind)), comment, diff))
    return steps


def _diff(before: str, after: str) -> list[tuple[str, str]]:
    """The lines an edit removed and added, with a line of context around each change."""
    out: list[tuple[str, str]] = []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=1):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            if out:
                out.append(("gap", "…"))
            continue
        out.append(({"+": "add", "-": "del"}.get(line[:1], "same"), line[1:]))
    return out


def _tone(text: str, language: str, additions: Mapping[str, list[str]]) -> dict[str, Any]:
    """The tone check with the tenant's own words (the settings hold only words the check takes: their schema
    refuses others when stored and drops them when read)."""
    language = language_code(language) or "en"
    language = language if language in tone.LANGUAGES else "en"
    return tone.check(text, language, additions).to_dict()


def tone_text(subject: str, body: str) -> str:
    """What the tone check reads: the subject and the text (the page's script sends the same)."""
    return f"{subject}\n\n{body}" if subject.strip() else body


@bp.get("/messages/<uuid:message_id>")
@account.require_recruiter
def message_page(message_id: uuid.UUID) -> Any:
    message = _visible(message_id)
    me = account.recruiter()
    session = db_session()
    is_author = message.author_id == me.id
    editing = is_author and message.status in messages.EDITABLE
    reviewing = messages.may_review(message, me)
    settings = tenant_settings.load_messages(session, me.tenant_id)
    colleagues = list(session.scalars(select(Recruiter).where(
        Recruiter.tenant_id == me.tenant_id, Recruiter.active.is_(True), Recruiter.id != me.id)
        .order_by(Recruiter.name, Recruiter.id)))
    people = {r.id: r.name for r in colleagues} | {me.id: me.name}
    open_ = message.status in messages.OPEN
    needs = messages.needs_review(session, message) if open_ else message.needs_review
    # Whether it would need a reader unmarked, so that ticking "important" can say so at once (message.js).
    unmarked = Message(tenant_id=message.tenant_id, kind=message.kind, person_id=message.person_id,
                       role_id=message.role_id, important=False)  # transient: never added to the session
    needs_unmarked = messages.needs_review(session, unmarked) if editing else needs
    events = _trail(session, message)
    returned = next((s.comment for s in reversed(events) if s.event.kind == "returned"), "") \
        if message.status == "changes_requested" else ""
    recipient = messages.recipient(session, message, utcnow())
    return render_template(
        "brobygger/message.html", message=message, me=me, is_author=is_author, editing=editing,
        reviewing=reviewing, recipient=recipient,
        blocked=messages.block_text(recipient.blocked) if recipient.blocked and open_ else "",
        author=people.get(message.author_id) or _name(session, message.author_id),
        reviewer=people.get(message.reviewer_id) or _name(session, message.reviewer_id),
        role=session.get(Role, message.role_id) if message.role_id else None,
        followup=session.get(FollowUp, message.followup_id) if message.followup_id else None,
        needs_review=needs, needs_unmarked=needs_unmarked, important_counts="important" in settings.review,
        cases=[str(CASE_LABELS[c]) for c in settings.review if c in CASE_LABELS],
        colleagues=colleagues, any_admin=any(r.is_admin for r in colleagues),
        may_send=editing and message.status in ("draft", "approved") and (message.status == "approved" or not needs),
        report=_tone(tone_text(message.subject, message.body), message.language, settings.tone_additions)
        if editing or reviewing else None,
        trail=events, returned=returned, status_label=status_label, tone_kinds=TONE_KIND_LABELS,
        template_labels=TEMPLATE_LABELS,
        restartable=editing and message.kind == "outreach" and message.person_id is not None)


def _name(session: Any, recruiter_id: uuid.UUID | None) -> str:
    return session.scalar(select(Recruiter.name).where(Recruiter.id == recruiter_id)) or "" if recruiter_id else ""


# --- acting on a message ---------------------------------------------------------------------------------------

def _refusal(exc: DomainError) -> str:
    """A service's refusal in the recruiter's language: its message when the catalogue has it (the services
    write theirs with gettext), else what each of its fields says, else a plain sentence for its status."""
    said = error_texts.sentence(exc.message, fallback=lambda: "")
    if said:
        return said
    parts = [error_texts.sentence(text, fallback=lambda: "") for texts in exc.errors.values() for text in texts]
    return " ".join(p for p in dict.fromkeys(parts) if p) or error_texts.status_sentence(exc.status)


def _field(name: str) -> str:
    """A form field as typed: a browser sends a textarea's line breaks as CRLF, the page showed LF."""
    return request.form.get(name, "").replace("\r\n", "\n").replace("\r", "\n")


def _save_edits(message: Message, me: Recruiter) -> None:
    """Save the text the form carries, when the sender may change it: the author all of it, the reader the
    subject and the text. Unchanged fields change nothing (and leave an approval standing)."""
    if "body" not in request.form:
        return
    if messages.may_review(message, me):
        names: tuple[str, ...] = ("subject", "body")
    elif message.author_id == me.id and message.status in messages.EDITABLE:
        names = ("subject", "body", "reason", "important", "channel")
    else:
        return
    changes: dict[str, object] = {}
    for name in names:
        if name == "important":
            changes[name] = "important" in request.form  # an unticked box is not sent at all
        elif name in request.form:
            changes[name] = _field(name).strip() if name in ("subject", "reason", "channel") else _field(name)
    messages.edit(db_session(), message, me, changes, account.actor())


def _reviewer_name(message: Message) -> str:
    if message.reviewer_id is None:
        return gettext("an admin")
    return _name(db_session(), message.reviewer_id)


def _save(message: Message, me: Recruiter) -> tuple[str, str | None]:
    _save_edits(message, me)
    return gettext("Saved."), None


def _ask_review(message: Message, me: Recruiter) -> tuple[str, str | None]:
    _save_edits(message, me)
    choice = request.form.get("reviewer", "").strip()
    if not choice:
        raise InvalidError(gettext("Choose who should read the message."))
    try:
        reviewer_id = None if choice == "any" else uuid.UUID(choice)
    except ValueError:
        raise NotFoundError(gettext("Choose a colleague to read the message.")) from None
    messages.ask_review(db_session(), message, me, reviewer_id, account.actor())
    return gettext("Sent to %(name)s to read.", name=_reviewer_name(message)), None


def _comment(message: Message, me: Recruiter) -> tuple[str, str | None]:
    _save_edits(message, me)
    messages.comment(db_session(), message, me, _field("comment"), account.actor())
    return gettext("Comment added."), None


def _approve(message: Message, me: Recruiter) -> tuple[str, str | None]:
    _save_edits(message, me)
    session = db_session()
    if not messages.may_review(message, me):  # refused before the comment is written, not after
        raise ConflictError(gettext("Only the reader the author chose can approve the message."))
    if _field("comment").strip():
        messages.comment(session, message, me, _field("comment"), account.actor())
    messages.approve(session, message, me, account.actor())
    return gettext("Approved. %(name)s can send it now.", name=_name(session, message.author_id)), None


def _send_back(message: Message, me: Recruiter) -> tuple[str, str | None]:
    _save_edits(message, me)
    messages.send_back(db_session(), message, me, _field("comment"), account.actor())
    return gettext("Sent back to %(name)s with your comment.", name=_name(db_session(), message.author_id)), None


def _send(message: Message, me: Recruiter) -> tuple[str, str | None]:
    _save_edits(message, me)
    messages.send(db_session(), message, me, account.actor())
    if message.channel == "linkedin":
        return gettext("Logged as sent on LinkedIn."), None
    return gettext("The e-mail is queued and goes out in a minute or two."), None


def _discard(message: Message, me: Recruiter) -> tuple[str, str | None]:
    messages.discard(db_session(), message, me, account.actor())
    return gettext("The draft is discarded."), url_for(".list_messages")


def _restart(message: Message, me: Recruiter) -> tuple[str, str | None]:
    """Start over from a template: a new draft to the same person about the same thing, keeping the reason
    line; the old draft is discarded."""
    session = db_session()
    template = request.form.get("template", "")
    if template not in templates.FOR_PEOPLE:
        raise InvalidError(gettext("Choose one of the templates."))
    if not (message.author_id == me.id and message.status in messages.EDITABLE and message.person_id):
        raise ConflictError(gettext("This message cannot be changed now."))
    data: dict[str, object] = {"person_id": message.person_id, "template": template, "channel": message.channel,
                               "language": message.language}
    if message.followup_id:
        data["followup_id"] = message.followup_id
    if message.role_id:
        data["role_id"] = message.role_id
    reason, important = message.reason, message.important
    fresh = messages.start(session, me.tenant_id, me, data, account.actor())
    if reason.strip() or important:
        messages.edit(session, fresh, me, {"reason": reason, "important": important}, account.actor())
    messages.discard(session, message, me, account.actor())
    return gettext("A new draft from the template; the old one is discarded."), \
        url_for(".message_page", message_id=fresh.id)


ACTIONS = {"save": _save, "ask-review": _ask_review, "comment": _comment, "approve": _approve,
           "return": _send_back, "send": _send, "discard": _discard, "restart": _restart}


@bp.post("/messages/<uuid:message_id>/<action>")
@account.require_recruiter
def act(message_id: uuid.UUID, action: str) -> Any:
    handler = ACTIONS.get(action)
    if handler is None:
        abort(404)
    message = _visible(message_id)
    me = account.recruiter()
    here = url_for(".message_page", message_id=message_id)
    try:
        said, target = handler(message, me)
    except DomainError as exc:
        db_session().rollback()
        flash(_refusal(exc))
        return redirect(here)
    flash(said)
    return redirect(target or here)


@bp.post("/messages/tone")
@account.require_recruiter
def tone_check() -> Any:
    """The page script's live check: {text, language} → the score and the flags, whose why and suggestion are
    in the message's language (the tone module's word lists)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        return envelope(422, gettext("Something in the form was not recognised. Reload the page and try again."))
    if len(data["text"]) > MAX_TONE_TEXT:
        return envelope(422, gettext("The text is too long to check."))
    me = account.recruiter()
    additions = tenant_settings.load_messages(db_session(), me.tenant_id).tone_additions
    return jsonify(_tone(data["text"], str(data.get("language") or select_locale()), additions))


# --- a referrer's opt-out ---------------------------------------------------------------------------------------

opt_out_bp = Blueprint("brobygger_referrer_opt_out", __name__)
opt_out_bp.after_request(account.harden)


@opt_out_bp.route("/referrers/opt-out/<token>", methods=["GET", "POST"])
def opt_out(token: str) -> Any:
    session = db_session()
    try:
        reference = referrer_notes.opt_out_target(session, get_state().setting("SECRET_KEY"), token)
    except NotFoundError:
        abort(404, gettext("This link is not valid. If you want no more notes about your referrals, answer the "
                           "note you got and ask us to stop."))
    if request.method == "POST":
        referrer_notes.opt_out(session, reference)
    tenant = session.get(Tenant, reference.tenant_id)
    language = _referrer_language(reference.tenant_id, reference.id)
    with force_locale(language):  # the page speaks to the referrer in the language of their notes
        return render_template("brobygger/referrer_opt_out.html", lang=language,
                               opted_out=reference.notes_opted_out_at is not None,
                               company=tenant.name if tenant else "", action=url_for(".opt_out", token=token))


def _referrer_language(tenant_id: uuid.UUID, reference_id: uuid.UUID) -> str:
    """The language of the last note written to the referrer; else the browser's."""
    written = db_session().scalar(
        select(Message.language).join(Referral, Referral.id == Message.referral_id)
        .where(Message.tenant_id == tenant_id, Referral.reference_id == reference_id,
               Message.kind == "referrer_note").order_by(Message.created_at.desc()).limit(1))
    return language_code(written) or select_locale()
