"""Who is acting, and the audit trail it leaves."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from plugin.models import AuditEvent, Origin


@dataclass(frozen=True)
class Actor:
    type: str  # api_key, recruiter, system
    id: str | None
    surface: Origin

    @classmethod
    def system(cls, surface: Origin = Origin.SYSTEM) -> Actor:
        return cls("system", None, surface)


def audit(session: Session, tenant_id: uuid.UUID, actor: Actor, action: str, entity_type: str,
          entity_id: uuid.UUID, fields: Iterable[str] = ()) -> None:
    """Record an action in the caller's transaction; `fields` names what changed, never the values."""
    session.add(AuditEvent(tenant_id=tenant_id, actor_type=actor.type, actor_id=actor.id, action=action,
                           entity_type=entity_type, entity_id=entity_id, surface=actor.surface,
                           details={"fields": sorted(fields)} if fields else {}))
