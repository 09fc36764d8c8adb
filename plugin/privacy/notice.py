"""The GDPR art. 14 notice: what a person collected from anyone but themselves is told, in their language.
Sources counted as the person themselves are `FIRST_HAND`; they need no notice."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from plugin.core.lookup import get_live_person
from plugin.i18n import pick_language
from plugin.models import (
    LawfulBasis,
    Person,
    Recruiter,
    Tenant,
)
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
    return compose(session, tenants.get(session, tenant_id), person)


def compose(session: Session, tenant: Tenant, person: Person) -> Notice:
    lang = language(person, tenant)
    settings = privacy_of(tenant.settings)
    basis = str(person.lawful_basis)
    months = settings.consent_months if basis == LawfulBasis.CONSENT else settings.retention_months
    category = source_category(person.data_source)
    source = texts.source_text(lang, category, person.data_source)
    contact = settings.privacy_contact or _owner_email(session, person) or tenant.name
    text = texts.notice_text(lang, controller=tenant.name, contact=contact, source=source, basis=basis,
                             months=months)
    return Notice(lang, texts.notice_subject(lang, tenant.name), text)


def _owner_email(session: Session, person: Person) -> str | None:
    owner = session.get(Recruiter, person.owner_id) if person.owner_id else None  # identity map: once per import
    return owner.email if owner else None
