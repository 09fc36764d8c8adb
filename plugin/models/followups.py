"""Scheduled future touches: the rows the cron tick reads."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from plugin.models.base import Base, IdMixin, TenantMixin, TimestampMixin
from plugin.models.enums import FollowUpStatus, db_enum


class FollowUp(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "followups"

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("recruiters.id", ondelete="SET NULL"))
    role_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("roles.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text)  # why this touch: required, the article's "be targeted"
    # A reason a rule wrote is also kept as its template's key and parameters, so each reader sees it in their
    # own language (followups/reasons.py); `reason` keeps the tenant's wording for search and the API.
    reason_key: Mapped[str | None] = mapped_column(String(64))
    reason_params: Mapped[dict[str, Any] | None]
    kind: Mapped[str] = mapped_column(String(32), default="manual")  # which rule created it
    due_at: Mapped[datetime]
    status: Mapped[FollowUpStatus] = mapped_column(db_enum(FollowUpStatus, "followup_status"),
                                                   default=FollowUpStatus.OPEN)
    snoozed_until: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")
    completed_at: Mapped[datetime | None]
    touchpoint_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("touchpoints.id", ondelete="SET NULL"))

    __table_args__ = (
        Index("ix_followups_queue", "tenant_id", "owner_id", "status", "due_at"),
        Index("ix_followups_tick", "status", "due_at"),
        # The minute pass: what changed since its previous run, and the snoozes ending within the wake-up notice.
        Index("ix_followups_changed", "updated_at"),
        Index("ix_followups_snoozed", "status", "snoozed_until"),
        Index("ix_followups_person", "tenant_id", "person_id"),
    )
