"""References: the people, recruiters and outsiders who refer others to the tenant.

Outputs carry a `display_name`, set on each loaded row by `_with_display_names` with one query for a
whole page, since a reference names its referrer through one of three different links.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plugin.core import guards
from plugin.core.actors import Actor, audit
from plugin.core.lookup import check_owned, get_owned
from plugin.core.pagination import Page, paginate
from plugin.errors import ConflictError, InvalidError
from plugin.models import Person, Recruiter, Reference

LINKS = {"person_id": Person, "recruiter_id": Recruiter}


def _with_display_names(session: Session, references: list[Reference]) -> list[Reference]:
    """Set `display_name` on each reference: one joined query for the lot, never one per row."""
    if not references:
        return references
    rows = session.execute(
        select(Reference.id, Reference.name, Recruiter.name, Person.first_name, Person.last_name)
        .outerjoin(Person, Person.id == Reference.person_id)
        .outerjoin(Recruiter, Recruiter.id == Reference.recruiter_id)
        .where(Reference.id.in_([r.id for r in references])))
    names = {id_: name or recruiter or f"{first} {last}".strip()
             for id_, name, recruiter, first, last in rows}
    for reference in references:
        reference.display_name = names[reference.id]  # type: ignore[attr-defined]  # output only, not a column
    return references


def _normalised(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Names without stray spaces and lower-case e-mail addresses, so that outsiders can be matched; a blank
    name is no name."""
    data = dict(data)
    if data.get("name") is not None:
        data["name"] = guards.squeeze(data["name"])
        if not data["name"]:
            raise InvalidError("The referrer's name must not be blank.", {prefix + "name": ["Must not be blank."]})
    if data.get("email") is not None:
        data["email"] = data["email"].lower()
    return data


def _check_links(session: Session, tenant_id: uuid.UUID, data: dict[str, Any], prefix: str) -> None:
    for field, model in LINKS.items():
        check_owned(session, model, tenant_id, data.get(field), prefix + field)


def _linked(session: Session, tenant_id: uuid.UUID, data: dict[str, Any]) -> tuple[str, Reference] | None:
    """The existing reference for the person or recruiter in `data`, with the field that links it."""
    for field in LINKS:
        if data.get(field) is not None:
            found = session.scalars(select(Reference).where(
                Reference.tenant_id == tenant_id, getattr(Reference, field) == data[field])).first()
            return (field, found) if found else None
    return None


def _same_outsider(session: Session, tenant_id: uuid.UUID, name: str, email: str | None) -> Reference | None:
    """An outsider with this name (any case) and the same e-mail address, or none on both sides.

    SQLite's lower() folds ASCII only (not Æ, Ø, Å), so names are compared in Python; the length narrows
    the candidates in SQL first.
    """
    candidates = session.scalars(select(Reference).where(
        Reference.tenant_id == tenant_id, Reference.person_id.is_(None), Reference.recruiter_id.is_(None),
        Reference.email.is_(None) if email is None else Reference.email == email,
        func.length(Reference.name) == len(name)).order_by(Reference.id))
    return next((r for r in candidates if r.name is not None and r.name.lower() == name.lower()), None)


def _add(session: Session, tenant_id: uuid.UUID, data: dict[str, Any], actor: Actor) -> Reference:
    reference = Reference(tenant_id=tenant_id, **data)
    session.add(reference)
    session.flush()
    audit(session, tenant_id, actor, "create", "reference", reference.id, data)
    return reference


def create(session: Session, tenant_id: uuid.UUID, data: dict[str, Any], actor: Actor) -> Reference:
    """Add a referrer; a person or recruiter has at most one reference, so a second one is a 409."""
    data = _normalised(data)
    _check_links(session, tenant_id, data, "")
    existing = _linked(session, tenant_id, data)
    if existing:
        field, reference = existing
        raise ConflictError(f"This referrer already has reference {reference.id}.",
                            {field: [f"Has reference {reference.id}."]})
    reference = _add(session, tenant_id, data, actor)
    session.commit()
    return _with_display_names(session, [reference])[0]


def find_or_add(session: Session, tenant_id: uuid.UUID, data: dict[str, Any], actor: Actor,
                field: str) -> Reference:
    """The referrer's reference, made if there is none yet; not committed, so that it belongs to the
    caller's transaction. Errors name `field` (the request field the referrer came in)."""
    data = _normalised(data, field + ".")
    _check_links(session, tenant_id, data, field + ".")
    existing = _linked(session, tenant_id, data)
    if existing:
        return existing[1]
    if data.get("name") is not None:
        outsider = _same_outsider(session, tenant_id, data["name"], data.get("email"))
        if outsider:
            return outsider
    return _add(session, tenant_id, data, actor)


def get(session: Session, tenant_id: uuid.UUID, reference_id: uuid.UUID) -> Reference:
    return _with_display_names(session, [get_owned(session, Reference, tenant_id, reference_id, "reference")])[0]


def update(session: Session, tenant_id: uuid.UUID, reference_id: uuid.UUID, data: dict[str, Any],
           actor: Actor) -> Reference:
    reference = get_owned(session, Reference, tenant_id, reference_id, "reference")
    data = _normalised(data)
    if "name" in data and (reference.person_id or reference.recruiter_id):
        raise InvalidError("Only an outsider's reference has a name of its own.",
                           {"name": ["The referrer's name comes from their person or recruiter record."]})
    for key, value in data.items():
        setattr(reference, key, value)
    audit(session, tenant_id, actor, "update", "reference", reference.id, data)
    session.commit()
    return _with_display_names(session, [reference])[0]


def list_(session: Session, tenant_id: uuid.UUID, *, kind: str | None = None, limit: int,
          cursor: str | None = None) -> Page:
    query = select(Reference).where(Reference.tenant_id == tenant_id)
    if kind:
        query = query.where(Reference.kind == kind)
    # Ids are UUIDv7, so id order is creation order.
    page = paginate(session, query, [Reference.id], limit, cursor)
    _with_display_names(session, page.items)
    return page
