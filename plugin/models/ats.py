"""What Brobygger keeps from the connected ATSs: applications, webhook deliveries, sync runs, write-backs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plugin.models.base import Base, IdMixin, TenantMixin, utcnow


class AtsApplication(IdMixin, TenantMixin, Base):
    """One application in an ATS, as last synced: the person's pipeline status and the report's
    hires-by-source and days-to-hire figures are derived from these rows."""

    __tablename__ = "ats_applications"

    installation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("installations.id", ondelete="CASCADE"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    ats_id: Mapped[str] = mapped_column(String(64))
    job_ref: Mapped[str | None] = mapped_column(String(64))
    job_name: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(16))  # active, hired, not_hired
    met: Mapped[bool] = mapped_column(default=False)  # reached a screening, interview or offer
    source_kind: Mapped[str | None] = mapped_column(String(16))
    source_name: Mapped[str | None] = mapped_column(String(200))
    rejection_reason: Mapped[str | None] = mapped_column(String(200))
    applied_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("installation_id", "ats_id"),
        Index("ix_ats_applications_person", "tenant_id", "person_id"),
        Index("ix_ats_applications_closed", "tenant_id", "outcome", "closed_at"),
    )


class WebhookDelivery(IdMixin, TenantMixin, Base):
    """A verified webhook delivery. The unique event id makes a repeated delivery a no-op; a row not yet
    processed is re-enqueued by the cron tick, so a delivery survives losing Redis."""

    __tablename__ = "webhook_deliveries"

    installation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("installations.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    candidate_ats_id: Mapped[str | None] = mapped_column(String(64))
    # The application or opportunity the event concerns, a merge's surviving candidate, and whether the event
    # asks for a sync because it names no record (see connectors.types.WebhookEvent).
    resource_ats_id: Mapped[str | None] = mapped_column(String(64))
    merged_into_ats_id: Mapped[str | None] = mapped_column(String(64))
    sync_wanted: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("installation_id", "event_id"),
        Index("ix_webhook_deliveries_pending", "processed_at", "received_at"),
    )


class SyncRun(IdMixin, TenantMixin, Base):
    """One sync of one installation: what an admin sees on the installation's status."""

    __tablename__ = "sync_runs"

    installation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("installations.id", ondelete="CASCADE"))
    full: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")  # running, ok, failed
    records: Mapped[int] = mapped_column(default=0)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_sync_runs_installation", "installation_id", "started_at"),)


class WriteBack(IdMixin, TenantMixin, Base):
    """A note or tag to write to the ATS, retried by a job; failures stay visible on the installation."""

    __tablename__ = "writebacks"

    installation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("installations.id", ondelete="CASCADE"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    candidate_ats_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))  # note, tag
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, done, failed
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_writebacks_installation_status", "installation_id", "status"),)
