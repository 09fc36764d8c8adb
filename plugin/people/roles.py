"""Roles: create, change, find; their forward-only status; and who is shortlisted for them.

Every change re-runs the role opening rule (rules.refresh_role) in the same transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.core.actors import Actor, audit
from plugin.core.lookup import check_owned, get_owned
from plugin.core.pagination import Page, paginate
from plugin.errors import ConflictError, NotFoundError
from plugin.followups import rules
from plugin.models import Person, Recruiter, Role, RoleStatus, ShortlistEntry, utcnow

_S = RoleStatus
# A role only moves forward; filled is final, and a dropped role can be re-opened from the start.
TRANSITIONS: dict[RoleStatus, frozenset[RoleStatus]] = {
    _S.ANTICIPATED: frozenset({_S.CONFIDENTIAL, _S.ADVERTISED, _S.FILLED, _S.DROPPED}),
    _S.CONFIDENTIAL: frozenset({_S.ADVERTISED, _S.FILLED, _S.DROPPED}),
    _S.ADVERTISED: frozenset({_S.FILLED, _S.DROPPED}),
    _S.FILLED: frozenset(),
    _S.DROPPED: frozenset({_S.ANTICIPATED}),
}


@dataclass
class ShortlistItem:
    person_id: uuid.UUID
    full_name: str
    note: str
    added_at: datetime


def create(session: Session, tenant_id: uuid.UUID, data: dict[str, Any], actor: Actor) -> Role:
    """Any status is accepted at creation: a role may be recorded when it is already advertised."""
    check_owned(session, Recruiter, tenant_id, data.get("owner_id"), "owner_id")
    role = Role(tenant_id=tenant_id, **data)
    session.add(role)
    session.flush()
    audit(session, tenant_id, actor, "create", "role", role.id, data)
    rules.refresh_role(session, tenant_id, role, utcnow())
    session.commit()
    return role


def get(session: Session, tenant_id: uuid.UUID, role_id: uuid.UUID) -> Role:
    return get_owned(session, Role, tenant_id, role_id, "role")


def update(session: Session, tenant_id: uuid.UUID, role_id: uuid.UUID, data: dict[str, Any], actor: Actor) -> Role:
    role = get(session, tenant_id, role_id)
    check_owned(session, Recruiter, tenant_id, data.get("owner_id"), "owner_id")
    if data.get("status", role.status) == role.status:
        data = {k: v for k, v in data.items() if k != "status"}  # same status: nothing to move
    elif RoleStatus(data["status"]) not in TRANSITIONS[role.status]:
        raise ConflictError(f"A role cannot move from {role.status} to {data['status']}.",
                            {"status": [f"Not allowed from {role.status}."]})
    opening = role.expected_opening_on
    for key, value in data.items():
        setattr(role, key, value)
    audit(session, tenant_id, actor, "update", "role", role.id, data)
    rules.refresh_role(session, tenant_id, role, utcnow(), reschedule=role.expected_opening_on != opening)
    session.commit()
    return role


def list_(session: Session, tenant_id: uuid.UUID, *, status: str | None = None, order: str = "created_at",
          limit: int, cursor: str | None = None) -> Page:
    query = select(Role).where(Role.tenant_id == tenant_id)
    if status:
        query = query.where(Role.status == status)
    key = Role.title if order == "title" else Role.created_at
    return paginate(session, query, [key, Role.id], limit, cursor)


def shortlist(session: Session, tenant_id: uuid.UUID, role_id: uuid.UUID, *, limit: int,
              cursor: str | None = None) -> Page:
    """The role's shortlist in the order people were added, each with a name to show."""
    get(session, tenant_id, role_id)
    query = select(ShortlistEntry).where(ShortlistEntry.tenant_id == tenant_id, ShortlistEntry.role_id == role_id)
    page = paginate(session, query, [ShortlistEntry.added_at, ShortlistEntry.person_id], limit, cursor)
    ids = [entry.person_id for entry in page.items]
    names = {p.id: p.full_name for p in session.scalars(
        select(Person).where(Person.tenant_id == tenant_id, Person.id.in_(ids)))}
    return Page([_item(entry, names[entry.person_id]) for entry in page.items], page.next_cursor)


def _item(entry: ShortlistEntry, full_name: str) -> ShortlistItem:
    return ShortlistItem(entry.person_id, full_name, entry.note, entry.added_at)


def add_to_shortlist(session: Session, tenant_id: uuid.UUID, role_id: uuid.UUID, data: dict[str, Any],
                     actor: Actor) -> ShortlistItem:
    role = get(session, tenant_id, role_id)
    check_owned(session, Person, tenant_id, data["person_id"], "person_id")
    full_name = get_owned(session, Person, tenant_id, data["person_id"]).full_name
    if session.get(ShortlistEntry, (role.id, data["person_id"])) is not None:
        raise ConflictError("This person is on the role's shortlist already.", {"person_id": ["Already listed."]})
    entry = ShortlistEntry(tenant_id=tenant_id, role_id=role.id, **data)
    session.add(entry)
    session.flush()
    audit(session, tenant_id, actor, "update", "role", role.id, ["shortlist"])
    rules.refresh_role(session, tenant_id, role, utcnow())
    session.commit()
    return _item(entry, full_name)


def remove_from_shortlist(session: Session, tenant_id: uuid.UUID, role_id: uuid.UUID, person_id: uuid.UUID,
                          actor: Actor) -> None:
    role = get(session, tenant_id, role_id)
    entry = session.get(ShortlistEntry, (role.id, person_id))
    if entry is None:
        raise NotFoundError(f"No person with id {person_id} on this role's shortlist.")
    session.delete(entry)
    session.flush()
    audit(session, tenant_id, actor, "update", "role", role.id, ["shortlist"])
    rules.refresh_role(session, tenant_id, role, utcnow())
    session.commit()
