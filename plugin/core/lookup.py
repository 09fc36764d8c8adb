"""Tenant-scoped loading: the one way services fetch a row by id."""

from __future__ import annotations

import uuid
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.errors import ConflictError, InvalidError, NotFoundError
from plugin.models import Person

T = TypeVar("T")


def get_owned(session: Session, model: type[T], tenant_id: uuid.UUID, entity_id: uuid.UUID,
              label: str | None = None) -> T:
    """The row if it belongs to the tenant; otherwise 404 — another tenant's id looks like no id at all."""
    row = session.scalars(
        select(model).where(model.id == entity_id, model.tenant_id == tenant_id)  # type: ignore[attr-defined]
    ).first()
    if row is None:
        name = label or model.__name__.lower()
        raise NotFoundError(f"No {name} with id {entity_id}.")
    return row


def check_owned(session: Session, model: type[T], tenant_id: uuid.UUID, entity_id: uuid.UUID | None,
                field: str) -> None:
    """Validate a reference in a request body: an unknown or foreign id is a 422 on that field."""
    if entity_id is None:
        return
    found = session.scalar(
        select(model.id).where(model.id == entity_id, model.tenant_id == tenant_id)  # type: ignore[attr-defined]
    )
    if found is None:
        raise InvalidError(f"{field} does not name a known record.", {field: ["Unknown id."]})


def get_live_person(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID) -> Person:
    """The tenant's person, unless anonymised (409): nothing more may be recorded about them."""
    person = get_owned(session, Person, tenant_id, person_id, "person")
    if person.anonymised_at is not None:
        raise ConflictError(f"Person {person_id} is anonymised.")
    return person
