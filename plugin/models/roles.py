"""Openings, above all the unadvertised ones, and who is shortlisted for them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from plugin.models.base import Base, IdMixin, TenantMixin, TimestampMixin, utcnow
from plugin.models.enums import RoleStatus, db_enum


class Role(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "roles"

    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[RoleStatus] = mapped_column(db_enum(RoleStatus, "role_status"),
                                               default=RoleStatus.ANTICIPATED)
    expected_opening_on: Mapped[date | None]
    location: Mapped[str | None] = mapped_column(String(200))
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("recruiters.id", ondelete="SET NULL"))

    __table_args__ = (Index("ix_roles_tenant_status", "tenant_id", "status"),)


class ShortlistEntry(TenantMixin, Base):
    __tablename__ = "role_shortlist"

    role_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    note: Mapped[str] = mapped_column(Text, default="")
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_role_shortlist_person", "tenant_id", "person_id"),)
