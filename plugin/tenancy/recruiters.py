"""Recruiters: the tenant's users of Brobygger."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.core.actors import Actor, audit
from plugin.core.lookup import get_owned
from plugin.core.pagination import Page, paginate
from plugin.errors import ConflictError
from plugin.models import Recruiter


def _check_email_free(session: Session, tenant_id: uuid.UUID, email: str, recruiter_id: uuid.UUID | None) -> None:
    query = select(Recruiter.id).where(Recruiter.tenant_id == tenant_id, Recruiter.email == email)
    if recruiter_id:
        query = query.where(Recruiter.id != recruiter_id)
    if session.scalar(query) is not None:
        raise ConflictError("A recruiter with this e-mail address exists already.", {"email": ["Taken."]})


def add(session: Session, tenant_id: uuid.UUID, data: dict[str, Any], actor: Actor) -> Recruiter:
    data = {**data, "email": data["email"].lower()}
    _check_email_free(session, tenant_id, data["email"], None)
    recruiter = Recruiter(tenant_id=tenant_id, **data)
    session.add(recruiter)
    session.flush()
    audit(session, tenant_id, actor, "create", "recruiter", recruiter.id, data)
    session.commit()
    return recruiter


def get(session: Session, tenant_id: uuid.UUID, recruiter_id: uuid.UUID) -> Recruiter:
    return get_owned(session, Recruiter, tenant_id, recruiter_id, "recruiter")


def update(session: Session, tenant_id: uuid.UUID, recruiter_id: uuid.UUID, data: dict[str, Any],
           actor: Actor) -> Recruiter:
    recruiter = get(session, tenant_id, recruiter_id)
    if "email" in data:
        data = {**data, "email": data["email"].lower()}
        _check_email_free(session, tenant_id, data["email"], recruiter.id)
    for key, value in data.items():
        setattr(recruiter, key, value)
    audit(session, tenant_id, actor, "update", "recruiter", recruiter.id, data)
    session.commit()
    return recruiter


def list_(session: Session, tenant_id: uuid.UUID, *, limit: int, cursor: str | None = None) -> Page:
    query = select(Recruiter).where(Recruiter.tenant_id == tenant_id)
    return paginate(session, query, [Recruiter.email, Recruiter.id], limit, cursor)
