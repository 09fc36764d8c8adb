"""Anonymisation and erasure (art. 17). Anonymisation removes names, contact details, free text, links
and ATS ids, and keeps the facts past reports count (referral month, channel, status, prompted;
application outcomes and dates; follow-up statuses and dates). Erasure does that at once, fingerprints
the identifiers so the person is not re-imported, and also removes what still points at the person in
the ATS (application ids, webhook candidate ids)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from plugin.core.actors import Actor, audit
from plugin.core.lookup import get_owned
from plugin.models import (
    AtsApplication,
    FollowUp,
    FollowUpStatus,
    Installation,
    Origin,
    Person,
    PersonLink,
    Reference,
    Referral,
    ShortlistEntry,
    Touchpoint,
    WebhookDelivery,
    WriteBack,
    utcnow,
)
from plugin.privacy.fingerprints import remember
from plugin.privacy.notice import source_category
from plugin.privacy.tasks import LIVE

log = logging.getLogger(__name__)
ANONYMISED_NAME = "Anonymised"


def anonymise(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, actor: Actor, *,
              now: datetime | None = None, reason: str = "anonymised", details: Sequence[str] = ()) -> Person:
    """Remove what identifies the person, keep what reports count; in the caller's transaction."""
    person = get_owned(session, Person, tenant_id, person_id, "person")
    now = now or utcnow()
    remember(session, tenant_id, person, reason)
    _strip_person(person)
    person.emails = []
    person.ats_links = []
    pid = person.id
    for model, values in ((Touchpoint, {"summary": "", "external_id": None}),
                          (FollowUp, {"reason": "", "note": ""}),
                          (Referral, {"note": "", "external_id": None}),
                          (ShortlistEntry, {"note": ""}),
                          (AtsApplication, {"rejection_reason": None})):
        session.execute(update(model).where(model.tenant_id == tenant_id, model.person_id == pid)  # type: ignore[attr-defined]
                        .values(**values).execution_options(synchronize_session="fetch"))
    # Future touches are pointless now; past ones keep their status, so past reports' overdue counts stay.
    session.execute(update(FollowUp).where(FollowUp.tenant_id == tenant_id, FollowUp.person_id == pid,
                                           FollowUp.status.in_(LIVE), FollowUp.due_at > now)
                    .values(status=FollowUpStatus.CANCELLED, completed_at=now)
                    .execution_options(synchronize_session="fetch"))
    given = select(Reference.id).where(Reference.tenant_id == tenant_id, Reference.person_id == pid)
    session.execute(update(Referral).where(Referral.tenant_id == tenant_id, Referral.reference_id.in_(given))
                    .values(note="").execution_options(synchronize_session="fetch"))  # notes of referrals given
    session.execute(update(Reference).where(Reference.tenant_id == tenant_id, Reference.person_id == pid)
                    .values(name=None, email=None, note="").execution_options(synchronize_session="fetch"))
    session.execute(delete(WriteBack).where(WriteBack.tenant_id == tenant_id, WriteBack.person_id == pid)
                    .execution_options(synchronize_session="fetch"))
    if person.anonymised_at is None:
        person.anonymised_at = now
    audit(session, tenant_id, actor, "anonymise", "person", pid, details)
    session.flush()
    return person


def _strip_person(person: Person) -> None:
    person.first_name, person.last_name = ANONYMISED_NAME, ""
    person.linkedin_url = person.employer = person.title = person.location = None
    person.phones, person.languages, person.interests, person.work_history, person.tags = [], [], [], [], []
    person.data_source = source_category(person.data_source)
    person.do_not_contact = True


def anonymise_person(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, actor: Actor) -> Person:
    person = anonymise(session, tenant_id, person_id, actor)
    session.commit()
    return person


@dataclass(frozen=True)
class Erasure:
    person_id: uuid.UUID
    ats_records: list[dict[str, str]]  # shown once, never stored: where to erase the person in the ATS
    ats_erasure: str  # what happened in the ATS


def erase(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, actor: Actor,
          now: datetime | None = None) -> Erasure:
    """Erase at once (art. 17): anonymise, then remove the ATS ids anonymisation still keeps. No ATS
    call is made: each linked installation gets an 'ATS erasure requested' audit event, and the
    caller gets the ATS records to erase there once, in the answer."""
    person = get_owned(session, Person, tenant_id, person_id, "person")
    records = [{"installation_id": str(link.installation_id), "vendor": str(vendor), "ats_id": link.ats_id}
               for link, vendor in session.execute(
                   select(PersonLink, Installation.vendor)
                   .join(Installation, Installation.id == PersonLink.installation_id)
                   .where(PersonLink.tenant_id == tenant_id, PersonLink.person_id == person.id))]
    if records:
        session.execute(update(WebhookDelivery).where(
            WebhookDelivery.tenant_id == tenant_id,
            WebhookDelivery.candidate_ats_id.in_({r["ats_id"] for r in records}),
            WebhookDelivery.installation_id.in_({uuid.UUID(r["installation_id"]) for r in records}))
            .values(candidate_ats_id=None).execution_options(synchronize_session="fetch"))
    anonymise(session, tenant_id, person.id, actor, now=now, reason="erased")
    for application in session.scalars(select(AtsApplication).where(
            AtsApplication.tenant_id == tenant_id, AtsApplication.person_id == person.id)):
        application.ats_id = f"erased-{uuid.uuid4().hex[:16]}"
    audit(session, tenant_id, actor, "erase", "person", person.id)
    for installation_id in sorted({r["installation_id"] for r in records}):
        audit(session, tenant_id, actor, "ats_erasure_requested", "installation", uuid.UUID(installation_id))
    session.commit()
    log.info("person %s erased in tenant %s (%d ATS records to erase there)", person.id, tenant_id, len(records))
    state = "requested: erase the listed records in the ATS" if records else "no ATS records"
    return Erasure(person.id, records, state)


def anonymise_linked(session: Session, installation: Installation, candidate_ats_id: str) -> int:
    """The ATS anonymised a candidate: anonymise the person linked to it, in the caller's transaction."""
    person_ids = list(session.scalars(select(PersonLink.person_id).where(
        PersonLink.installation_id == installation.id, PersonLink.ats_id == candidate_ats_id)))
    actor = Actor("system", f"{installation.vendor.value}-webhook", Origin.SYNC)
    for person_id in person_ids:
        anonymise(session, installation.tenant_id, person_id, actor, details=["ats_anonymised"])
    return len(person_ids)
