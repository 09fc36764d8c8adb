"""Referrals: who referred whom, through which channel, asked or unasked, and how it went."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import ConflictError, InvalidError, NotFoundError
from ..models import Person, Reference, Referral, Role, utcnow
from . import references, writeback
from .actors import Actor, audit
from .lookup import check_owned, get_owned
from .pagination import Page, paginate


def _referrer(session: Session, tenant_id: uuid.UUID, data: dict[str, Any], actor: Actor) -> tuple[str, Reference]:
    """The reference named by `reference_id`, or the one the inline `referrer` finds or makes; with the
    request field it came from, for error messages."""
    if data.get("referrer") is not None:
        return "referrer", references.find_or_add(session, tenant_id, data["referrer"], actor, "referrer")
    try:
        return "reference_id", get_owned(session, Reference, tenant_id, data["reference_id"])
    except NotFoundError:  # in a body, an unknown id is a bad field rather than a missing resource
        raise InvalidError("reference_id does not name a known record.", {"reference_id": ["Unknown id."]}) from None


WRITEBACK_TAG = "Brobygger referral"


def create(session: Session, tenant_id: uuid.UUID, data: dict[str, Any], actor: Actor) -> Referral:
    """Record a referral. An inline referrer's new reference belongs to the same transaction: nothing is
    committed unless the referral is, so a self-referral or duplicate leaves no stray reference behind."""
    person_id = data["person_id"]
    check_owned(session, Person, tenant_id, person_id, "person_id")
    check_owned(session, Role, tenant_id, data.get("role_id"), "role_id")
    field, reference = _referrer(session, tenant_id, data, actor)
    if reference.person_id == person_id:
        raise InvalidError("A referrer cannot refer themselves.", {field: ["Is the person referred."]})
    existing = session.scalar(select(Referral.id).where(
        Referral.tenant_id == tenant_id, Referral.reference_id == reference.id, Referral.person_id == person_id))
    if existing is not None:
        raise ConflictError(f"This referrer has already referred this person: referral {existing}.",
                            {field: [f"Already referred this person in referral {existing}."]})
    values = {k: v for k, v in data.items() if k not in ("referrer", "reference_id")}
    referral = Referral(tenant_id=tenant_id, reference_id=reference.id, origin=actor.surface, **values)
    session.add(referral)
    session.flush()
    audit(session, tenant_id, actor, "create", "referral", referral.id, data)
    prompted = "prompted" if referral.prompted else "unprompted"
    writeback.request(session, tenant_id, person_id, "note",
                      f"Brobygger: referral logged ({str(referral.channel).replace('_', ' ')}, {prompted}).")
    writeback.request(session, tenant_id, person_id, "tag", WRITEBACK_TAG)
    session.commit()
    return referral


def get(session: Session, tenant_id: uuid.UUID, referral_id: uuid.UUID) -> Referral:
    return get_owned(session, Referral, tenant_id, referral_id, "referral")


def update(session: Session, tenant_id: uuid.UUID, referral_id: uuid.UUID, data: dict[str, Any],
           actor: Actor) -> Referral:
    """Change a referral. Any status may be set (recruiters correct mistakes); a change of status
    restarts `status_changed_at`, which is how long it has been in that status."""
    referral = get(session, tenant_id, referral_id)
    check_owned(session, Role, tenant_id, data.get("role_id"), "role_id")
    if "status" in data and data["status"] != referral.status:
        referral.status_changed_at = utcnow()
    for key, value in data.items():
        setattr(referral, key, value)
    audit(session, tenant_id, actor, "update", "referral", referral.id, data)
    session.commit()
    return referral


def list_(session: Session, tenant_id: uuid.UUID, *, reference_id: uuid.UUID | None = None,
          person_id: uuid.UUID | None = None, status: str | None = None, channel: str | None = None,
          prompted: bool | None = None, referred_from: datetime | None = None,
          referred_to: datetime | None = None, limit: int, cursor: str | None = None) -> Page:
    """Referrals in the order they were made; `referred_from` is inclusive, `referred_to` exclusive."""
    query = select(Referral).where(Referral.tenant_id == tenant_id)
    for column, value in ((Referral.reference_id, reference_id), (Referral.person_id, person_id),
                          (Referral.status, status), (Referral.channel, channel), (Referral.prompted, prompted)):
        if value is not None:
            query = query.where(column == value)
    if referred_from is not None:
        query = query.where(Referral.referred_at >= referred_from)
    if referred_to is not None:
        query = query.where(Referral.referred_at < referred_to)
    return paginate(session, query, [Referral.referred_at, Referral.id], limit, cursor)
