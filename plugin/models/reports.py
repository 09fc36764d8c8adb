"""Stored monthly reports: a past month's figures stay as they were sent, until regenerated on purpose."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plugin.models.base import Base, IdMixin, TenantMixin, utcnow


class ReportSnapshot(IdMixin, TenantMixin, Base):
    __tablename__ = "report_snapshots"

    kind: Mapped[str] = mapped_column(String(32), default="referrals")
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM, in the tenant's time zone
    generated_at: Mapped[datetime] = mapped_column(default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)  # aggregates and ids; no free text

    __table_args__ = (UniqueConstraint("tenant_id", "kind", "month"),)
