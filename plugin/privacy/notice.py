"""The GDPR art. 14 notice: what a person collected from anyone but themselves is told, in their language.
Sources counted as the person themselves are `FIRST_HAND`; they need no notice."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.core.lookup import get_live_person
from plugin.i18n import pick_language
from plugin.models import LawfulBasis, Person, Recruiter, Tenant
from plugin.privacy import texts
from plugin.tenancy import tenants
from plugin.tenancy.settings import privacy_of

FIRST_HAND = frozenset({"manual", "self", "direct", "applied", "the person", "consent page"})


def language(person: Person, tenant: Tenant) -> str:
    """The person's language, the tenant's when they speak it (see `i18n.pick_language`)."""
    return pick_language(spoken=person.languages or (), default=tenant.default_language)


def source_category(data_source: str) -> str:
    text = (data_source or "").casefold()
    for category, words in (("referral", ("referr", "anbefal", "tips")), ("linkedin", ("linkedin",)),
                            ("sync", ("sync", "greenhouse", "lever", "teamtailor")),
                            ("import", ("import", "csv")), ("event", ("event", "arrangement", "konferanse"))):
        if any(word in text for word in words):
            return category
    return "other"


def is_first_hand(person: Person) -> bool:
    return (person.data_source or "").strip().casefold() in FIRST_HAND


@dataclass(frozen=True)
class Notice:
    language: str
    subject: str
    text: str


def notice(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID) -> Notice:
    """The art. 14 notice for one person, ready to send, in their language."""
    person = get_live_person(session, tenant_id, person_id)
    return compose(tenants.get(session, tenant_id), person, owner_emails(session, [person]).get(person.owner_id))


def owner_emails(session: Session, people: Sequence[Person]) -> dict[uuid.UUID | None, str]:
    """The e-mail of each person's owner, in one query (a notice names it when the tenant names no contact)."""
    owner_ids = {person.owner_id for person in people if person.owner_id is not None}
    if not owner_ids:
        return {}
    rows = session.execute(select(Recruiter.id, Recruiter.email).where(Recruiter.id.in_(owner_ids)))
    return {recruiter_id: email for recruiter_id, email in rows}


def compose(tenant: Tenant, person: Person, owner_email: str | None) -> Notice:
    """The notice, in the person's language; `owner_email` is the contact when the tenant names none."""
    lang = language(person, tenant)
    settings = privacy_of(tenant.settings)
    basis = str(person.lawful_basis)
    months = settings.consent_months if basis == LawfulBasis.CONSENT else settings.retention_months
    category = source_category(person.data_source)
    source = texts.source_text(lang, category, person.data_source)
    contact = settings.privacy_contact or owner_email or tenant.name
    text = texts.notice_text(lang, controller=tenant.name, contact=contact, source=source, basis=basis,
                             months=months)
    return Notice(lang, texts.notice_subject(lang, tenant.name), text)
