"""Anonymisation and erasure (art. 17). Anonymisation removes names, contact details, free text, links
and ATS ids, and keeps the facts past reports count (referral month, channel, status, prompted;
application outcomes and dates; follow-up statuses and dates). Erasure does that at once, fingerprints
every identifier we match people on (e-mails, LinkedIn profile, ATS candidate ids) so the person is not
re-imported, removes what still points at the person in the ATS (application ids, webhook candidate ids),
and what names them elsewhere: mentions in other records' free text, and stored e-mails (see traces)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, delete, or_, select, update
from sqlalchemy.orm import Session

from plugin import mail
from plugin.core.actors import Actor, audit
from plugin.core.lookup import get_owned
from plugin.models import (
    AtsApplication,
    FollowUp,
    FollowUpStatus,
    Installation,
    Message,
    MessageEvent,
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
from plugin.privacy import fingerprints
from plugin.privacy.notice import source_category
from plugin.privacy.tasks import LIVE
from plugin.privacy.traces import Traces, scrub

log = logging.getLogger(__name__)
ANONYMISED_NAME = "Anonymised"


def anonymise(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, actor: Actor, *,
              now: datetime | None = None, reason: str = "anonymised", details: Sequence[str] = ()) -> Person:
    """Remove what identifies the person, keep what reports count; in the caller's transaction."""
    person = get_owned(session, Person, tenant_id, person_id, "person")
    now = now or utcnow()
    fingerprints.remember(session, tenant_id, person, reason)
    _strip_person(person)
    person.emails = []
    person.ats_links = []
    pid = person.id
    for model, values in ((Touchpoint, {"summary": "", "external_id": None}),
                          (FollowUp, {"reason": "", "note": "", "reason_key": None, "reason_params": None}),
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
    _forget_messages(session, tenant_id, pid, given)
    if person.anonymised_at is None:
        person.anonymised_at = now
    audit(session, tenant_id, actor, "anonymise", "person", pid, details)
    session.flush()
    return person


def _forget_messages(session: Session, tenant_id: uuid.UUID, pid: uuid.UUID, given: Select[Any]) -> None:
    """Messages to the person, and notes about referrals of or by them: their text is about the person."""
    about = select(Referral.id).where(Referral.tenant_id == tenant_id,
                                      or_(Referral.person_id == pid, Referral.reference_id.in_(given)))
    doomed = select(Message.id).where(Message.tenant_id == tenant_id,
                                      or_(Message.person_id == pid, Message.referral_id.in_(about)))
    session.execute(delete(MessageEvent).where(MessageEvent.tenant_id == tenant_id,
                                               MessageEvent.message_id.in_(doomed))
                    .execution_options(synchronize_session="fetch"))
    session.execute(delete(Message).where(Message.tenant_id == tenant_id, Message.id.in_(doomed))
                    .execution_options(synchronize_session="fetch"))


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
          now: datetime | None = None, outbox: Path | None = None) -> Erasure:
    """Erase at once (art. 17): anonymise, remove the ATS ids anonymisation still keeps, and the person's
    name and identifiers from other records' free text; then delete the e-mails in `outbox` (the development
    outbox) that name them. No ATS call is made: each linked installation gets an 'ATS erasure requested'
    audit event, and the caller gets the ATS records to erase there once, in the answer."""
    person = get_owned(session, Person, tenant_id, person_id, "person")
    traces = Traces.of(person)
    records = [{"installation_id": str(link.installation_id), "vendor": str(vendor), "ats_id": link.ats_id}
               for link, vendor in session.execute(
                   select(PersonLink, Installation.vendor)
                   .join(Installation, Installation.id == PersonLink.installation_id)
                   .where(PersonLink.tenant_id == tenant_id, PersonLink.person_id == person.id))]
    applications = list(session.scalars(select(AtsApplication).where(
        AtsApplication.tenant_id == tenant_id, AtsApplication.person_id == person.id)))
    named: dict[uuid.UUID, tuple[set[str], set[str]]] = {}  # installation → (candidate ids, application ids)
    for link in person.ats_links:
        named.setdefault(link.installation_id, (set(), set()))[0].add(link.ats_id)
    for application in applications:
        named.setdefault(application.installation_id, (set(), set()))[1].add(application.ats_id)
    for installation_id, (candidate_ids, application_ids) in named.items():
        _forget_deliveries(session, installation_id, candidate_ids, application_ids)
    anonymise(session, tenant_id, person.id, actor, now=now, reason="erased")
    for application in applications:
        application.ats_id = f"erased-{uuid.uuid4().hex[:16]}"
    mentions = scrub(session, tenant_id, traces)
    audit(session, tenant_id, actor, "erase", "person", person.id)
    for installation_id in sorted({r["installation_id"] for r in records}):
        audit(session, tenant_id, actor, "ats_erasure_requested", "installation", uuid.UUID(installation_id))
    session.commit()
    mails = _forget_mail(outbox, traces) if outbox else 0
    log.info("person %s erased in tenant %s (%d ATS records to erase there, %d mentions and %d stored e-mails "
             "removed)", person.id, tenant_id, len(records), mentions, mails)
    state = "requested: erase the listed records in the ATS" if records else "no ATS records"
    return Erasure(person.id, records, state)


def _forget_deliveries(session: Session, installation_id: uuid.UUID, candidates: Collection[str],
                       applications: Collection[str]) -> None:
    """An installation's webhook deliveries keep the ATS ids they named (a candidate, an application, a
    merge's survivor) only while those point at someone we keep."""
    for column, ids in ((WebhookDelivery.candidate_ats_id, candidates),
                        (WebhookDelivery.merged_into_ats_id, candidates),
                        (WebhookDelivery.resource_ats_id, applications)):
        if ids:
            session.execute(update(WebhookDelivery).where(WebhookDelivery.installation_id == installation_id,
                                                          column.in_(set(ids)))
                            .values({column.key: None}).execution_options(synchronize_session="fetch"))


def _forget_mail(outbox: Path, traces: Traces) -> int:
    """Delete the stored e-mails that name the person: they were sent, and a copy naming them is a trace."""
    doomed = [path for path, text in mail.outbox_texts(outbox) if traces.found_in(text)]
    for path in doomed:
        path.unlink(missing_ok=True)
    return len(doomed)


def forget_refused(session: Session, installation: Installation, candidate_id: str,
                   application_ids: Collection[str] = ()) -> None:
    """An erased person's candidate came back from the ATS and was refused: the webhook deliveries that
    named it forget its ids, so refusing leaves no trace either. In the caller's transaction."""
    _forget_deliveries(session, installation.id, {candidate_id}, application_ids)


def forget_if_erased(session: Session, installation: Installation, candidate_id: str) -> bool:
    """A webhook about a candidate we hold no link to (the ATS deleted or anonymised it, as erasure asks the
    recruiter to do there): when it is an erased person's, its deliveries forget the id. Caller's transaction."""
    if not fingerprints.blocked(session, installation.tenant_id, ats_ids=[candidate_id],
                                installation_id=installation.id):
        return False
    forget_refused(session, installation, candidate_id)
    return True


def anonymise_linked(session: Session, installation: Installation, candidate_ats_id: str) -> int:
    """The ATS anonymised a candidate: anonymise the person linked to it, in the caller's transaction."""
    person_ids = list(session.scalars(select(PersonLink.person_id).where(
        PersonLink.installation_id == installation.id, PersonLink.ats_id == candidate_ats_id)))
    actor = Actor("system", f"{installation.vendor.value}-webhook", Origin.SYNC)
    for person_id in person_ids:
        anonymise(session, installation.tenant_id, person_id, actor, details=["ats_anonymised"])
    if not person_ids:
        forget_if_erased(session, installation, candidate_ats_id)
    return len(person_ids)
