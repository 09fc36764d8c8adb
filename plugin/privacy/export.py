"""The data-subject access export (art. 15): everything held about a person, as JSON."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.core.actors import Actor, audit
from plugin.core.lookup import get_owned
from plugin.models import (
    AtsApplication,
    AuditEvent,
    Cadence,
    FollowUp,
    Person,
    PersonEmail,
    PersonLink,
    Reference,
    Referral,
    Role,
    ShortlistEntry,
    Touchpoint,
)

READS = ("view", "export")


def export(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, actor: Actor) -> dict[str, Any]:
    """Everything Brobygger holds about one person, as JSON-ready data; the export itself is audited."""
    person = get_owned(session, Person, tenant_id, person_id, "person")
    pid = person.id
    given = list(session.scalars(select(Reference).where(Reference.tenant_id == tenant_id, Reference.person_id == pid)))

    def rows(model: Any, *where: Any, order: Any = None) -> list[dict[str, Any]]:
        query = select(model).where(model.tenant_id == tenant_id, *where)
        return [_row(r) for r in session.scalars(query.order_by(order, model.id) if order is not None else query)]

    shortlists = [{**_row(entry), "role_title": title} for entry, title in session.execute(
        select(ShortlistEntry, Role.title).join(Role, Role.id == ShortlistEntry.role_id)
        .where(ShortlistEntry.tenant_id == tenant_id, ShortlistEntry.person_id == pid))]
    data = {
        "person": _row(person, skip={"name_key", "last_name_key", "employer_key"}),
        "emails": rows(PersonEmail, PersonEmail.person_id == pid, order=PersonEmail.position),
        "ats_links": rows(PersonLink, PersonLink.person_id == pid),
        "touchpoints": rows(Touchpoint, Touchpoint.person_id == pid, order=Touchpoint.occurred_at),
        "followups": rows(FollowUp, FollowUp.person_id == pid, order=FollowUp.due_at),
        "cadence": rows(Cadence, Cadence.person_id == pid),
        "referrals_received": rows(Referral, Referral.person_id == pid, order=Referral.referred_at),
        "reference": [_row(r) for r in given],
        "referrals_given": rows(Referral, Referral.reference_id.in_([r.id for r in given]),
                                order=Referral.referred_at),
        "shortlists": shortlists,
        "ats_applications": rows(AtsApplication, AtsApplication.person_id == pid),
        # What was done to their data; reads (views, exports) stay in the admins' trail, so an export is
        # the same document however often it is asked for.
        "audit_events": rows(AuditEvent, AuditEvent.entity_id.in_(entity_ids(session, tenant_id, pid)),
                             AuditEvent.action.not_in(READS), order=AuditEvent.at),
    }
    audit(session, tenant_id, actor, "export", "person", pid)
    session.commit()
    return data


def _row(row: Any, skip: Iterable[str] = ()) -> dict[str, Any]:
    leave = {"tenant_id", *skip}
    return {c.key: _json(getattr(row, c.key)) for c in row.__table__.columns if c.key not in leave}


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def entity_ids(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID) -> set[uuid.UUID]:
    """The person and the records about them: what the audit trail 'about a person' covers."""
    ids = {person_id}
    for model in (Touchpoint, FollowUp, Referral):
        ids.update(session.scalars(select(model.id).where(model.tenant_id == tenant_id,  # type: ignore[attr-defined]
                                                          model.person_id == person_id)))  # type: ignore[attr-defined]
    return ids
