"""People: create, change, find, delete; and their touchpoints."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from plugin.core import guards
from plugin.core.actors import Actor, audit
from plugin.core.lookup import check_owned, get_owned
from plugin.core.pagination import Page, paginate
from plugin.errors import ConflictError, InvalidError
from plugin.followups import cadences, rules
from plugin.models import Person, PersonEmail, Recruiter, Touchpoint, utcnow, uuid7
from plugin.models.people import fold
from plugin.privacy import fingerprints, tasks


def _set_emails(session: Session, person: Person, emails: list[str]) -> None:
    wanted = [e.lower() for e in emails]
    taken = session.scalars(select(PersonEmail.email).where(
        PersonEmail.tenant_id == person.tenant_id, PersonEmail.email.in_(wanted),
        PersonEmail.person_id != person.id)).all()
    if taken:
        raise ConflictError("Another person already has this e-mail address.", {"emails": sorted(taken)})
    existing = {e.email: e for e in person.emails}
    person.emails = [existing.get(email) or PersonEmail(tenant_id=person.tenant_id, email=email)
                     for email in wanted]
    for position, row in enumerate(person.emails):
        row.position = position


def _names(data: dict[str, Any]) -> dict[str, Any]:
    """Names trimmed (inner runs of white space made one space); a first name is never blank."""
    data = dict(data)
    for key in ("first_name", "last_name"):
        if isinstance(data.get(key), str):
            data[key] = guards.squeeze(data[key])
    if data.get("first_name") == "":
        raise InvalidError("The first name must not be blank.", {"first_name": ["Must not be blank."]})
    return data


def _apply(session: Session, person: Person, data: dict[str, Any]) -> None:
    check_owned(session, Recruiter, person.tenant_id, data.get("owner_id"), "owner_id")
    # An erased person's address or profile never comes back silently (409 naming the field).
    fingerprints.check_not_erased(session, person.tenant_id, data.get("emails") or [], data.get("linkedin_url"))
    for key, value in data.items():
        if key == "emails":
            _set_emails(session, person, value)
        elif key == "work_history":
            person.work_history = [
                {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in item.items()} for item in value]
        else:
            setattr(person, key, value)


def create(session: Session, tenant_id: uuid.UUID, data: dict[str, Any], actor: Actor) -> Person:
    data = _names(data)
    person = Person(id=uuid7(), tenant_id=tenant_id)  # the id is needed before flush by _set_emails
    _apply(session, person, data)
    session.add(person)
    session.flush()
    tasks.on_created(session, tenant_id, [person])  # consent expiry, art. 14 notice task
    audit(session, tenant_id, actor, "create", "person", person.id, data)
    session.commit()
    return person


def get(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID) -> Person:
    return get_owned(session, Person, tenant_id, person_id, "person")


def update(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, data: dict[str, Any],
           actor: Actor) -> Person:
    person = get(session, tenant_id, person_id)
    if person.anonymised_at is not None:
        raise ConflictError("This person is anonymised; their details cannot be filled in again.")
    data = _names(data)
    _apply(session, person, data)
    audit(session, tenant_id, actor, "update", "person", person.id, data)
    session.commit()
    return person


def delete(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, actor: Actor) -> None:
    person = get(session, tenant_id, person_id)
    session.delete(person)
    audit(session, tenant_id, actor, "delete", "person", person_id)
    session.commit()


def search(session: Session, tenant_id: uuid.UUID, *, q: str | None = None, owner_id: uuid.UUID | None = None,
           status: str | None = None, limit: int, cursor: str | None = None) -> Page:
    query = select(Person).where(Person.tenant_id == tenant_id)
    if q:
        # One branch per prefix index, joined by UNION: an OR across the columns (and a subquery) would make
        # PostgreSQL filter every person of the tenant instead of reading four index ranges.
        prefix = _like_prefix(fold(q.strip()))
        branches = [select(Person.id).where(Person.tenant_id == tenant_id, key.like(prefix, escape="\\"))
                    for key in (Person.name_key, Person.last_name_key, Person.employer_key)]
        branches.append(select(PersonEmail.person_id).where(
            PersonEmail.tenant_id == tenant_id,
            PersonEmail.email.like(_like_prefix(q.strip().casefold()), escape="\\")))
        query = query.where(Person.id.in_(union(*branches)))
    if owner_id:
        query = query.where(Person.owner_id == owner_id)
    if status:
        query = query.where(Person.status == status)
    return paginate(session, query, [Person.name_key, Person.id], limit, cursor)


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def touchpoints(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, *, limit: int,
                cursor: str | None = None) -> Page:
    get(session, tenant_id, person_id)
    query = select(Touchpoint).where(Touchpoint.tenant_id == tenant_id, Touchpoint.person_id == person_id)
    return paginate(session, query, [Touchpoint.occurred_at, Touchpoint.id], limit, cursor, descending=True)


def log_touchpoint(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, data: dict[str, Any],
                   actor: Actor) -> Touchpoint:
    """Record a touch; any touch resets the person's keep-in-touch clock."""
    touchpoint = add_touchpoint(session, tenant_id, person_id, data, actor)
    session.commit()
    return touchpoint


def add_touchpoint(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, data: dict[str, Any],
                   actor: Actor) -> Touchpoint:
    """`log_touchpoint` without the commit, so another service can make a touch part of its own change.
    A touch happened today or earlier (today as the recruiter's, else the person's owner's, day)."""
    person = get(session, tenant_id, person_id)
    check_owned(session, Recruiter, tenant_id, data.get("recruiter_id"), "recruiter_id")
    guards.happened_by_today(session, tenant_id, data["occurred_at"], actor,
                             recruiter_id=data.get("recruiter_id") or person.owner_id)
    touchpoint = Touchpoint(tenant_id=tenant_id, person_id=person_id, origin=actor.surface, **data)
    session.add(touchpoint)
    session.flush()
    cadences.touched(session, tenant_id, {person_id: touchpoint.occurred_at})
    rules.after_touchpoints(session, tenant_id, [touchpoint], utcnow())
    audit(session, tenant_id, actor, "create", "touchpoint", touchpoint.id, data)
    return touchpoint
