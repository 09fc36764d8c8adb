"""E-mail deliveries, exactly once: the database row decides, Redis only carries the work.

* Creating: one digest row per recruiter and local day, keyed f"digest:{recruiter_id}:{local_date}", made
  once the recruiter's local time has passed their digest time. A second tick, or one after Redis was
  flushed, finds the key taken and creates nothing.
* Claiming: a worker moves the row pending → sending with one conditional UPDATE and goes on only if it
  changed one row, so two jobs for the same row send once. A claim older than `STALE_CLAIM` belongs to a
  worker that died; it may be claimed again.
* Sending: the Message-ID is built from the row id, so a resend after a crash between the server's
  acceptance and our commit is recognisable as the same message. Sent rows, and the notices they carried,
  are marked in one transaction; a job that finds the row sent does nothing.
* Failing: each failure is counted on the row with its error and retried later (`BACKOFF`); after
  `MAX_ATTEMPTS` the row is failed with `last_error` kept. Its notices stay undigested, so the next
  day's digest carries them: nothing is lost.

The cron tick enqueues every pending row that is due and every stale claim, under job ids that carry
the attempt number: an attempt is enqueued once, and a new attempt is never blocked by the old job's id.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment
from sqlalchemy import and_, insert, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from plugin import mail
from plugin.followups import digest, notices
from plugin.messages import mailing, messages
from plugin.models import Delivery, Recruiter, uuid7
from plugin.reports import monthly_email
from plugin.security import Vault
from plugin.tenancy import recruiters

STALE_CLAIM = timedelta(minutes=10)  # far longer than one SMTP conversation (30 s timeout)
MAX_ATTEMPTS = 5
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))
DIGEST = "digest"
JOB = "plugin.followups.jobs.send_delivery"


@dataclass(frozen=True)
class MailSettings:
    """What sending needs from the app: where mail goes, who sends it, the links' base, the templates, and
    the key that signs each e-mail's unsubscribe link."""

    smtp_url: str
    sender: str
    outbox: Path
    base_url: str
    templates: Environment
    app_url: str  # BASE_URL with the mount point: the root of the links in our e-mails
    secret_key: str
    vault: Vault | None = None  # decrypts a tenant's own mail server for its recruiters' messages


def digest_key(recruiter_id: uuid.UUID, local_date: str) -> str:
    return f"digest:{recruiter_id}:{local_date}"


def message_id(delivery_id: uuid.UUID, base_url: str) -> str:
    """The same for every attempt of a delivery, so receivers can tell a resend from a new message."""
    host = urlsplit(base_url).hostname or "brobygger.invalid"
    return f"<delivery-{delivery_id}@{host}>"


def job_id(delivery_id: uuid.UUID, attempts: int) -> str:
    return f"delivery-{delivery_id}-{attempts}"


def _clock(value: str) -> tuple[int, int]:
    """"HH:MM" as (hour, minute); a malformed value falls back to the default 07:30."""
    try:
        hour, minute = (int(part) for part in value.split(":"))
    except (ValueError, AttributeError):
        return 7, 30
    return (hour, minute) if 0 <= hour < 24 and 0 <= minute < 60 else (7, 30)


def _digest_at(zone_name: str | None, digest_time: str, now: datetime) -> tuple[str, datetime] | None:
    """(local date, UTC time of today's digest) once the local clock in `zone_name` has passed `digest_time`."""
    zone = digest.zone_named(zone_name)
    local_now = now.astimezone(zone)
    hour, minute = _clock(digest_time)
    if (local_now.hour, local_now.minute) < (hour, minute):
        return None
    at = datetime.combine(local_now.date(), time(hour, minute), zone)
    return local_now.date().isoformat(), at.astimezone(UTC)


def create_digests(session: Session, now: datetime, previous: datetime | None = None) -> list[uuid.UUID]:
    """Today's digest row for every recruiter whose digest time has passed and who has none yet.
    Returns the ids created by this call. Commits.

    `previous` is the minute of the last pass that finished, if it was within the last day: a recruiter
    whose digest time had already passed then, and who has not changed since, was seen to by that pass,
    so each minute looks up only the few whose time has just come."""
    changed_after = previous - notices.CHANGED_SLACK if previous is not None else None
    moments: dict[tuple[str, str], tuple[str, datetime] | None] = {}  # many recruiters share a zone and a time
    wanted: dict[str, dict[str, object]] = {}
    for row in session.execute(select(Recruiter.id, Recruiter.tenant_id, Recruiter.time_zone, Recruiter.digest_time,
                                      Recruiter.updated_at)
                               .where(Recruiter.active.is_(True), Recruiter.digest_enabled.is_(True))):
        pair = (row.time_zone, row.digest_time)
        if pair not in moments:
            moments[pair] = _digest_at(row.time_zone, row.digest_time, now)
        when = moments[pair]
        if when is None:
            continue
        if changed_after is not None and previous is not None and when[1] <= previous \
                and row.updated_at <= changed_after:
            continue
        key = digest_key(row.id, when[0])
        wanted[key] = {"id": uuid7(), "tenant_id": row.tenant_id, "recruiter_id": row.id, "kind": DIGEST,
                       "key": key, "due_at": when[1], "status": "pending", "attempts": 0,
                       "payload": {"local_date": when[0]}}
    pairs = [(row["tenant_id"], key) for key, row in wanted.items()]
    for start in range(0, len(pairs), 500):  # (tenant_id, key) pairs, so the unique index answers
        for taken in session.scalars(select(Delivery.key).where(
                tuple_(Delivery.tenant_id, Delivery.key).in_(pairs[start:start + 500]))):
            wanted.pop(taken, None)
    if not wanted:
        return []
    _insert_ignoring_duplicates(session, list(wanted.values()))
    created = list(session.scalars(select(Delivery.id).where(
        Delivery.id.in_([row["id"] for row in wanted.values()]))))
    session.commit()
    return created


def _insert_ignoring_duplicates(session: Session, rows: list[dict[str, object]]) -> None:
    """A racing tick may have inserted the same key a moment ago: the unique key keeps one row."""
    dialect = session.get_bind().dialect.name
    table = Delivery.__table__
    if dialect == "postgresql":
        session.execute(pg_insert(table).values(rows).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite_insert(table).values(rows).on_conflict_do_nothing())
    else:
        session.execute(insert(table).values(rows))


def enqueueable(session: Session, now: datetime, limit: int = 500) -> list[tuple[uuid.UUID, int]]:
    """(id, attempts) of the deliveries a worker should attempt now: pending ones whose time has come,
    and ones whose claim is stale (the worker died). Uses ix_deliveries_status_due."""
    due = and_(Delivery.status == "pending", Delivery.due_at <= now)
    stale = and_(Delivery.status == "sending", Delivery.claimed_at < now - STALE_CLAIM)
    kinds = (DIGEST, monthly_email.KIND, messages.KIND)
    rows = session.execute(select(Delivery.id, Delivery.attempts).where(or_(due, stale), Delivery.kind.in_(kinds))
                           .order_by(Delivery.due_at).limit(limit))
    return [(row.id, row.attempts) for row in rows]


def claim(session: Session, delivery_id: uuid.UUID, now: datetime) -> bool:
    """pending (or stale sending) → sending, atomically; False when another worker has it or it is done."""
    claimable = or_(Delivery.status == "pending",
                    and_(Delivery.status == "sending", Delivery.claimed_at < now - STALE_CLAIM))
    result = session.execute(
        update(Delivery).where(Delivery.id == delivery_id, claimable)
        .values(status="sending", claimed_at=now, attempts=Delivery.attempts + 1)
        .execution_options(synchronize_session=False))
    session.commit()
    return result.rowcount == 1


def send(session: Session, settings: MailSettings, delivery_id: uuid.UUID, now: datetime) -> str:
    """Attempt one delivery; returns what happened (for the job's result)."""
    if not claim(session, delivery_id, now):
        status = session.scalar(select(Delivery.status).where(Delivery.id == delivery_id))
        return f"nothing to do: {status or 'no such delivery'}"
    delivery = session.get(Delivery, delivery_id, populate_existing=True)
    assert delivery is not None
    recruiter = session.get(Recruiter, delivery.recruiter_id) if delivery.recruiter_id else None
    if delivery.kind == monthly_email.KIND:
        return _send_monthly_report(session, settings, delivery, recruiter, now)
    if delivery.kind == messages.KIND:
        return _send_message(session, settings, delivery, now)
    if recruiter is None or not recruiter.active or not recruiter.digest_enabled:
        return _finish(session, delivery, "skipped", now, [])
    notices.sweep(session, recruiter, now, until=digest.local_day(recruiter, now).end)
    contents = digest.gather(session, recruiter, now)
    if contents.empty:
        return _finish(session, delivery, "skipped", now, contents.stale)
    links = recruiters.mail_links(settings.secret_key, settings.app_url, recruiter, DIGEST)
    rendered = digest.render(settings.templates, contents, recruiter, now, settings.app_url, links)
    message = mail.Mail(to=recruiter.email, subject=rendered.subject, text=rendered.text, html=rendered.html,
                        message_id=message_id(delivery.id, settings.base_url), unsubscribe=links.unsubscribe)
    session.commit()  # no transaction stays open while the SMTP server takes its time
    try:
        mail.send(message, smtp_url=settings.smtp_url, sender=settings.sender, outbox=settings.outbox)
    except mail.MailError as exc:
        return _failed_attempt(session, delivery, str(exc), now)
    delivery.message_id = message.message_id
    delivery.payload = {**delivery.payload, "notices": len(contents.carried)}
    return _finish(session, delivery, "sent", now, contents.carried + contents.stale)


def _send_monthly_report(session: Session, settings: MailSettings, delivery: Delivery, recruiter: Recruiter | None,
                         now: datetime) -> str:
    """The monthly referral report to an admin (still active, still an admin, still wanting it), once."""
    if recruiter is None or not recruiter.active or not recruiter.is_admin or not recruiter.monthly_report_enabled:
        return _finish(session, delivery, "skipped", now, [])
    message = monthly_report_mail(session, settings, recruiter, delivery.payload["month"], now,
                                  message_id(delivery.id, settings.base_url))
    session.commit()
    try:
        mail.send(message, smtp_url=settings.smtp_url, sender=settings.sender, outbox=settings.outbox)
    except mail.MailError as exc:
        return _failed_attempt(session, delivery, str(exc), now)
    delivery.message_id = message.message_id
    return _finish(session, delivery, "sent", now, [])


def _send_message(session: Session, settings: MailSettings, delivery: Delivery, now: datetime) -> str:
    """A recruiter's message (or a note to a referrer), once; sent, it becomes a touch in the same commit."""
    try:
        out = mailing.outgoing(session, delivery, mailing.Server(settings.smtp_url, settings.sender), settings.vault,
                               mail_id=message_id(delivery.id, settings.base_url), app_url=settings.app_url,
                               secret_key=settings.secret_key, now=now)
    except mailing.UnreadableServer as exc:  # no attempt can succeed: fail now, with the reason, not retry
        delivery.status, delivery.last_error = "failed", str(exc)
        message = messages.of_delivery(session, delivery)
        if message is not None:
            messages.failed_in_worker(session, message, str(exc))
        session.commit()
        return f"failed: {exc}"
    if isinstance(out, str):
        message = messages.of_delivery(session, delivery)
        if message is not None and message.status == "queued":
            messages.blocked_in_worker(session, message, out)
        return _finish(session, delivery, "skipped", now, [])
    session.commit()
    try:
        mail.send(out.mail, smtp_url=out.server.smtp_url, sender=out.server.sender, outbox=settings.outbox)
    except mail.MailError as exc:
        result = _failed_attempt(session, delivery, str(exc), now)
        if delivery.status == "failed":
            messages.failed_in_worker(session, out.message, str(exc))
            session.commit()
        return result
    delivery.message_id = out.mail.message_id
    messages.sent(session, out.message, now)
    return _finish(session, delivery, "sent", now, [])


def monthly_report_mail(session: Session, settings: MailSettings, recruiter: Recruiter, month: str, now: datetime,
                        mail_id: str) -> mail.Mail:
    """The monthly report e-mail to one admin: what the 1st sends, what the preview shows, what "send it now"
    sends. An invalid month raises InvalidError."""
    links = recruiters.mail_links(settings.secret_key, settings.app_url, recruiter, monthly_email.KIND)
    composed = monthly_email.compose(session, settings.templates, recruiter, month, settings.app_url, now, links)
    return mail.Mail(to=recruiter.email, subject=composed.subject, text=composed.text, html=composed.html,
                     message_id=mail_id, unsubscribe=links.unsubscribe)


def send_monthly_report_now(session: Session, settings: MailSettings, recruiter: Recruiter, month: str,
                            now: datetime) -> None:
    """An admin's "send it to me now": at once, outside the exactly-once rows (it is a copy on request, and
    the 1st still sends its own). Raises MailError when the server does not take it."""
    host = urlsplit(settings.base_url).hostname or "brobygger.invalid"
    message = monthly_report_mail(session, settings, recruiter, month, now,
                                  f"<monthly-report-{month}-{uuid7()}@{host}>")
    session.commit()  # no transaction stays open while the SMTP server takes its time
    mail.send(message, smtp_url=settings.smtp_url, sender=settings.sender, outbox=settings.outbox)


def _finish(session: Session, delivery: Delivery, status: str, now: datetime, settled: list[uuid.UUID]) -> str:
    delivery.status, delivery.last_error = status, None
    if status == "sent":
        delivery.sent_at = now
    notices.mark_digested(session, settled, now)
    session.commit()
    return status


def _failed_attempt(session: Session, delivery: Delivery, error: str, now: datetime) -> str:
    """Count the failure; retry after a pause, or give up after MAX_ATTEMPTS with the error kept."""
    delivery.last_error = error[:1000]
    delivery.claimed_at = None
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = "failed"
    else:
        delivery.status = "pending"
        delivery.due_at = now + BACKOFF[min(delivery.attempts, len(BACKOFF)) - 1]
    session.commit()
    return f"{delivery.status} after attempt {delivery.attempts}: {delivery.last_error}"
