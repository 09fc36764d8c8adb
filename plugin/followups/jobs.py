"""Notification jobs: what is due becomes notices and digest rows, and digest rows become e-mails.
They receive ids (and the tick's minute), never ORM objects or personal data."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from flask import current_app
from redis.exceptions import RedisError

from plugin.extension import State, get_state
from plugin.followups import deliveries, notices
from plugin.messages import referrer_notes
from plugin.models import utcnow
from plugin.queueing import enqueue_on
from plugin.reports import monthly_email

log = logging.getLogger(__name__)


def mail_settings(state: State) -> deliveries.MailSettings:
    return deliveries.MailSettings(smtp_url=state.setting("SMTP_URL"), sender=state.setting("MAIL_FROM"),
                                   outbox=state.instance_path / "outbox", base_url=state.setting("BASE_URL"),
                                   templates=current_app.jinja_env,
                                   app_url=state.setting("BASE_URL").rstrip("/") + state.url_prefix,
                                   secret_key=state.setting("SECRET_KEY"), vault=state.vault)


# The minute of the last pass that finished. Only a hint: without it (Redis flushed) a pass reads the whole
# window, and whatever a pass misses, the digest's sweep finds.
PASS_MARK = "brobygger:notices:previous-pass"


def collect(minute: str) -> dict[str, int]:
    """The tick's minute (ISO 8601, UTC): wake ended snoozes, create notices and today's digest rows,
    and start sending the new rows (the next tick would enqueue them anyway)."""
    state = get_state()
    now = datetime.fromisoformat(minute)
    stored = state.redis.get(PASS_MARK)
    marked = datetime.fromisoformat(stored.decode()) if stored else None
    # Long ago, or a pass for a later minute ran first: look at everything.
    previous = marked if marked is not None and now - notices.WINDOW < marked <= now else None
    with state.sessions() as session:
        counts = notices.collect(session, now, previous).as_dict()
        created = deliveries.create_digests(session, now, previous) + monthly_email.create_deliveries(session, now)
    if marked is None or now > marked:
        state.redis.set(PASS_MARK, now.isoformat(), ex=int(notices.WINDOW.total_seconds()))
    if created:  # rows this call inserted: nobody can have used their job ids, so one round trip for all
        pipe = state.redis.pipeline()
        for delivery_id in created:
            enqueue_on(pipe, state.queue, deliveries.JOB, str(delivery_id), job_id=deliveries.job_id(delivery_id, 0))
        try:
            pipe.execute()
        except RedisError as exc:
            log.warning("could not enqueue %d deliveries (%s); the cron tick will retry", len(created),
                        type(exc).__name__)
    return {**counts, "deliveries": len(created)}


def collect_people(minute: str) -> dict[str, int]:
    """Losing touch and referral news (hourly: see `notices.collect_people`), and the notes that tell
    referrers what became of their referrals."""
    state = get_state()
    now = datetime.fromisoformat(minute)
    with state.sessions() as session:
        counts = notices.collect_people(session, now).as_dict()
        return {**counts, "referrer_notes": referrer_notes.collect(session, now)}


def send_delivery(delivery_id: str) -> str:
    state = get_state()
    with state.sessions() as session:
        return deliveries.send(session, mail_settings(state), uuid.UUID(delivery_id), utcnow())
