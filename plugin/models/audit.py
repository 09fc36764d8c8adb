"""The audit trail: who did what to which record, from which surface. No personal data in here."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from plugin.models.base import Base, IdMixin, TenantMixin, utcnow
from plugin.models.enums import Origin, db_enum


class AuditEvent(IdMixin, TenantMixin, Base):
    __tablename__ = "audit_events"

    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_type: Mapped[str] = mapped_column(String(16))  # api_key, recruiter, system
    actor_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))  # create, update, delete, view, export, erase
    entity_type: Mapped[str] = mapped_column(String(32))
    # No foreign key: the trail outlives the record it describes.
    entity_id: Mapped[uuid.UUID]
    surface: Mapped[Origin] = mapped_column(db_enum(Origin, "origin"))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)  # field names only, never values

    __table_args__ = (
        Index("ix_audit_events_entity", "tenant_id", "entity_type", "entity_id"),
        Index("ix_audit_events_tenant_at", "tenant_id", "at"),
    )
