"""Consent and its renewal. Consent lasts `consent_months` (default 12); `consent_renewal_days` (default
30) before it ends the owner is prompted and may send a signed, expiring link to a public page where
the person renews, extends or asks to be erased. Each link acts once: the page claims its nonce."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.core.actors import Actor, audit
from plugin.core.dates import add_months, local_day
from plugin.core.lookup import get_live_person
from plugin.core.signed import BadToken, Signer, claim_once, is_claimed, release_claim
from plugin.models import FollowUp, LawfulBasis, Origin, Person, Tenant, utcnow
from plugin.privacy import erasure, texts
from plugin.privacy.notice import language
from plugin.privacy.tasks import CONSENT_RENEWAL, add_task, complete_tasks
from plugin.tenancy import tenants
from plugin.tenancy.settings import PrivacySettings, privacy_of

DATA_SUBJECT = "data_subject"  # the person themselves, on the public consent page
LINK_SALT = "brobygger-consent-link"
USED_PREFIX = "consent-link-used:"  # the claim of a link's nonce


def renewal_prompts(session: Session, tenant_id: uuid.UUID, now: datetime) -> list[FollowUp]:
    """A `consent_renewal` task for each owner whose person's consent ends within the renewal window;
    due that many days before the expiry, so a task is made once per expiry date."""
    tenant = tenants.get(session, tenant_id)
    settings = privacy_of(tenant.settings)
    window = timedelta(days=settings.consent_renewal_days)
    people = list(session.scalars(select(Person).where(
        Person.tenant_id == tenant_id, Person.anonymised_at.is_(None), Person.lawful_basis == LawfulBasis.CONSENT,
        Person.consent_expires_at > now, Person.consent_expires_at <= now + window)))
    if not people:
        return []
    have = set(session.execute(select(FollowUp.person_id, FollowUp.due_at).where(
        FollowUp.tenant_id == tenant_id, FollowUp.kind == CONSENT_RENEWAL,
        FollowUp.person_id.in_([p.id for p in people]))).all())
    created = []
    for person in people:
        assert person.consent_expires_at is not None
        due = person.consent_expires_at - window
        if (person.id, due) in have:
            continue
        lang = language(person, tenant)
        reason = texts.renewal_task_reason(lang, person.consent_expires_at, tenant.time_zone)
        day = local_day(person.consent_expires_at, tenant.time_zone).isoformat()
        created.append(add_task(session, tenant_id, person, CONSENT_RENEWAL, due, reason, reason_params={"date": day}))
    return created


@dataclass(frozen=True)
class ConsentLink:
    url: str
    expires_at: datetime
    language: str


def consent_link(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, actor: Actor, *, secret: str,
                 base_url: str, days: int) -> ConsentLink:
    """A signed link for one person, valid `days`, usable once (its nonce is claimed on use)."""
    person = get_live_person(session, tenant_id, person_id)
    token = Signer(secret, LINK_SALT).sign({"t": str(tenant_id), "p": str(person.id), "n": secrets.token_urlsafe(12)})
    audit(session, tenant_id, actor, "consent_link", "person", person.id)
    session.commit()
    return ConsentLink(f"{base_url.rstrip('/')}/privacy/consent/{token}", utcnow() + timedelta(days=days),
                       language(person, tenants.get(session, tenant_id)))


@dataclass(frozen=True)
class LinkClaims:
    tenant_id: uuid.UUID
    person_id: uuid.UUID
    nonce: str

    @property
    def claim_key(self) -> str:
        return USED_PREFIX + self.nonce


class LinkUsed(Exception):
    """The link has acted once already."""


def read_link(token: str, *, secret: str, days: int) -> LinkClaims | None:
    """The link's claims, or None when it is forged, malformed or older than `days`."""
    try:
        data = Signer(secret, LINK_SALT).read(token, max_age=days * 86400)
        return LinkClaims(uuid.UUID(data["t"]), uuid.UUID(data["p"]), str(data["n"]))
    except (BadToken, KeyError, TypeError, ValueError):
        return None


def link_used(redis: Redis, claims: LinkClaims) -> bool:
    return is_claimed(redis, claims.claim_key)


def answer(session: Session, redis: Redis, claims: LinkClaims, action: str, settings: PrivacySettings,
           days: int) -> Person | None:
    """The person's answer on the consent page: "accept" or "extend" renews consent (the person is
    returned), "erase" erases them (None). The link's nonce is claimed first, so a link acts once
    (LinkUsed otherwise); if the answer fails, the claim is given back and the link may be used again."""
    if not claim_once(redis, claims.claim_key, days * 86400):
        raise LinkUsed()
    actor = Actor(DATA_SUBJECT, str(claims.person_id), Origin.SYSTEM)
    try:
        if action == "erase":
            erasure.erase(session, claims.tenant_id, claims.person_id, actor)
            return None
        months = settings.consent_months if action == "accept" else settings.consent_extend_months
        return renew_consent(session, claims.tenant_id, claims.person_id, months, actor)
    except Exception:
        release_claim(redis, claims.claim_key)
        raise


def consent_subject(session: Session, claims: LinkClaims) -> tuple[Tenant, Person] | None:
    """The tenant and person a link is for, unless the person is gone or anonymised."""
    person = session.scalar(select(Person).where(Person.id == claims.person_id,
                                                 Person.tenant_id == claims.tenant_id))
    if person is None or person.anonymised_at is not None:
        return None
    return tenants.get(session, claims.tenant_id), person


def renew_consent(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, months: int, actor: Actor,
                  now: datetime | None = None) -> Person:
    """Consent given (again) for `months` from now; open renewal tasks are done."""
    now = now or utcnow()
    person = get_live_person(session, tenant_id, person_id)
    person.lawful_basis = LawfulBasis.CONSENT
    person.consent_expires_at = add_months(now, months)
    complete_tasks(session, tenant_id, person.id, CONSENT_RENEWAL, now)
    audit(session, tenant_id, actor, "update", "person", person.id, ["lawful_basis", "consent_expires_at"])
    session.commit()
    return person


def mail_consent_link(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, link: ConsentLink,
                      send: Any) -> bool:
    """E-mail the link to the person's first address with `send(to, subject, text)`; False without one."""
    person = get_live_person(session, tenant_id, person_id)
    if not person.emails or person.do_not_contact:
        return False
    tenant = tenants.get(session, tenant_id)
    subject, text = texts.renewal_mail(
        link.language, controller=tenant.name, url=link.url, link_expires=link.expires_at,
        expires=person.consent_expires_at, zone=tenant.time_zone)
    send(person.emails[0].email, subject, text)
    return True
