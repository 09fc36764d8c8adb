"""The audit trail: who did what to which record, filtered for an admin or a data-subject request."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from plugin.core.pagination import Page, paginate
from plugin.models import AuditEvent
from plugin.privacy.export import entity_ids


def audit_events(session: Session, tenant_id: uuid.UUID, *, entity: str | None = None,
                 person_id: uuid.UUID | None = None, actor: str | None = None, at_from: datetime | None = None,
                 at_to: datetime | None = None, limit: int, cursor: str | None = None) -> Page:
    """The tenant's audit trail, newest first; `at_from` inclusive, `at_to` exclusive."""
    query = select(AuditEvent).where(AuditEvent.tenant_id == tenant_id)
    if entity:
        query = query.where(AuditEvent.entity_type == entity)
    if person_id:
        query = query.where(AuditEvent.entity_id.in_(entity_ids(session, tenant_id, person_id)))
    if actor:
        query = query.where(or_(AuditEvent.actor_id == actor, AuditEvent.actor_type == actor))
    if at_from:
        query = query.where(AuditEvent.at >= at_from)
    if at_to:
        query = query.where(AuditEvent.at < at_to)
    return paginate(session, query, [AuditEvent.at, AuditEvent.id], limit, cursor, descending=True)
