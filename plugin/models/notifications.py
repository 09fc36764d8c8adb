"""What Brobygger tells recruiters, and the e-mails that carry it.

A Notice is one thing a recruiter should know (a follow-up due, someone losing touch, a snooze waking
up, a referral moving on); a Delivery is one e-mail (a daily digest, the monthly report). Both carry a
unique key per tenant, so the cron tick can run twice, or after Redis lost everything, and still create
each of them once; a Delivery moves pending → sending → sent (or skipped, failed) exactly once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plugin.models.base import Base, IdMixin, TenantMixin, utcnow


class Notice(IdMixin, TenantMixin, Base):
    __tablename__ = "notices"

    recruiter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recruiters.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))  # due, losing_touch, waking_up, referral_status
    subject_type: Mapped[str] = mapped_column(String(16))  # followup, person, referral
    subject_id: Mapped[uuid.UUID]
    key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    digested_at: Mapped[datetime | None]  # set when a sent digest carried it

    __table_args__ = (
        UniqueConstraint("tenant_id", "key"),
        Index("ix_notices_recruiter_undigested", "recruiter_id", "digested_at"),
    )


class Delivery(IdMixin, TenantMixin, Base):
    __tablename__ = "deliveries"

    recruiter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("recruiters.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))  # digest, monthly_report
    key: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, sending, sent, skipped, failed
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    message_id: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)  # ids and parameters, never personal data

    __table_args__ = (
        UniqueConstraint("tenant_id", "key"),
        Index("ix_deliveries_status_due", "status", "due_at"),
    )
