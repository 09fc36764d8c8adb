"""Retention: a basis lapses when consent expires, or, for legitimate interest, `retention_months`
(default 24) after the last touch (or collection). After `anonymise_grace_days` (default 7) the daily
job anonymises the person; until then the queue can list them (`will_be_anonymised`)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from redis import Redis
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from plugin.core.dates import add_months
from plugin.core.lookup import get_owned
from plugin.models import LawfulBasis, Person, Tenant, Touchpoint, utcnow
from plugin.privacy.consent import renewal_prompts
from plugin.privacy.erasure import anonymise
from plugin.privacy.tasks import PRIVACY_ACTOR
from plugin.tenancy.settings import PrivacySettings, load_privacy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pending:
    person_id: uuid.UUID
    reason: str  # consent_expired, retention_expired
    lapsed_at: datetime
    anonymise_at: datetime


def will_be_anonymised(session: Session, tenant_id: uuid.UUID, now: datetime,
                       within_days: int | None = None) -> list[Pending]:
    """People whose basis has lapsed (or lapses) so that the daily job anonymises them by `now` plus
    `within_days` (default: the grace period); overdue ones included. For the queue's warning."""
    settings = load_privacy(session, tenant_id)
    within = timedelta(days=settings.anonymise_grace_days if within_days is None else within_days)
    grace = timedelta(days=settings.anonymise_grace_days)
    horizon = now + within - grace  # a basis lapsed by here is anonymised by now + within
    last = (select(Touchpoint.person_id, func.max(Touchpoint.occurred_at).label("at"))
            .where(Touchpoint.tenant_id == tenant_id).group_by(Touchpoint.person_id).subquery())
    consent_cut, retention_cut = (add_months(horizon, -settings.consent_months),
                                  add_months(horizon, -settings.retention_months))
    is_consent = Person.lawful_basis == LawfulBasis.CONSENT
    rows = session.execute(select(Person.id, Person.lawful_basis, Person.consent_expires_at, Person.collected_at,
                                  last.c.at).outerjoin(last, last.c.person_id == Person.id).where(
        Person.tenant_id == tenant_id, Person.anonymised_at.is_(None),
        or_(and_(is_consent, Person.consent_expires_at <= horizon),
            and_(is_consent, Person.consent_expires_at.is_(None), Person.collected_at <= consent_cut),
            and_(~is_consent, Person.collected_at <= retention_cut,
                 or_(last.c.at.is_(None), last.c.at <= retention_cut))))).all()
    pending = []
    for person_id, basis, expires, collected, touched in rows:
        reason, lapsed = _lapse(settings, basis, expires, collected, touched)
        if lapsed <= horizon:
            pending.append(Pending(person_id, reason, lapsed, lapsed + grace))
    return sorted(pending, key=lambda p: (p.anonymise_at, p.person_id))


def _lapse(settings: PrivacySettings, basis: str, expires: datetime | None, collected: datetime,
           touched: datetime | None) -> tuple[str, datetime]:
    """(reason, when the basis lapses): consent at its expiry; legitimate interest `retention_months`
    after the later of collection and the last touch."""
    if basis == LawfulBasis.CONSENT:
        return "consent_expired", expires or add_months(collected, settings.consent_months)
    return "retention_expired", add_months(max(collected, touched or collected), settings.retention_months)


@dataclass(frozen=True)
class Retention:
    person_id: uuid.UUID
    lawful_basis: str
    reason: str  # what will end the basis: consent_expired, retention_expired
    lapses_at: datetime
    anonymise_at: datetime
    will_be_anonymised: bool  # the basis has lapsed: the daily job anonymises at `anonymise_at`
    anonymised_at: datetime | None


def retention(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, now: datetime) -> Retention:
    """When one person's basis lapses and when they would be anonymised (the sidebar's and queue's warning)."""
    person = get_owned(session, Person, tenant_id, person_id, "person")
    settings = load_privacy(session, tenant_id)
    touched = session.scalar(select(func.max(Touchpoint.occurred_at)).where(
        Touchpoint.tenant_id == tenant_id, Touchpoint.person_id == person.id))
    reason, lapsed = _lapse(settings, person.lawful_basis, person.consent_expires_at, person.collected_at, touched)
    return Retention(person.id, str(person.lawful_basis), reason, lapsed,
                     lapsed + timedelta(days=settings.anonymise_grace_days), lapsed <= now, person.anonymised_at)


@dataclass
class DailyResult:
    renewal_prompts: int = 0
    anonymised: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


RETENTION_DONE = "brobygger:privacy-daily-done:"
RETENTION_DONE_TTL = 3 * 86400
RETENTION_TIMEOUT = 3600


def retention_due(session: Session, redis: Redis, now: datetime) -> list[tuple[uuid.UUID, str]]:
    """(tenant, day) for each tenant whose retention run today is not done yet: the cron tick enqueues one
    job for each under an id of tenant and day, so a tick every minute runs each tenant once a day."""
    day = f"{now:%Y%m%d}"
    tenant_ids = list(session.scalars(select(Tenant.id).order_by(Tenant.id)))
    pipe = redis.pipeline(transaction=False)  # one round trip for all tenants, not one each
    for tenant_id in tenant_ids:
        pipe.exists(f"{RETENTION_DONE}{day}:{tenant_id}")
    return [(tenant_id, day) for tenant_id, done in zip(tenant_ids, pipe.execute(), strict=True) if not done]


def mark_retention_done(redis: Redis, tenant_id: uuid.UUID | str, day: str) -> None:
    redis.set(f"{RETENTION_DONE}{day}:{tenant_id}", "1", ex=RETENTION_DONE_TTL)


def run_daily(session: Session, tenant_id: uuid.UUID, now: datetime | None = None) -> DailyResult:
    """The daily retention work of one tenant: renewal prompts, then anonymise whoever is past the grace.
    Idempotent, so a second run in a day (or after a lost Redis) changes nothing."""
    now = now or utcnow()
    result = DailyResult(renewal_prompts=len(renewal_prompts(session, tenant_id, now)))
    session.commit()
    for item in will_be_anonymised(session, tenant_id, now, within_days=0):
        anonymise(session, tenant_id, item.person_id, PRIVACY_ACTOR, now=now, details=[item.reason])
        session.commit()
        result.anonymised += 1
    log.info("privacy daily run for tenant %s: %s", tenant_id, result.as_dict())
    return result
