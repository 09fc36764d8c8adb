"""Who refers whom: references (the referrers) and referrals (each act of referring)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plugin.models.base import Base, IdMixin, TenantMixin, TimestampMixin, utcnow
from plugin.models.enums import Origin, ReferenceKind, ReferralChannel, ReferralStatus, db_enum


class Reference(IdMixin, TenantMixin, TimestampMixin, Base):
    """A referrer: a tracked person, one of the tenant's recruiters, or a named outsider with no record."""

    __tablename__ = "references"

    kind: Mapped[ReferenceKind] = mapped_column(db_enum(ReferenceKind, "reference_kind"))
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    recruiter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("recruiters.id", ondelete="CASCADE"))
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    note: Mapped[str] = mapped_column(Text, default="")
    # The referrer's one-click "no more notes about my referrals" (messages/referrer_notes.py).
    notes_opted_out_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("tenant_id", "person_id"),
        UniqueConstraint("tenant_id", "recruiter_id"),
        CheckConstraint("person_id IS NOT NULL OR recruiter_id IS NOT NULL OR name IS NOT NULL",
                        name="identified"),
    )


class Referral(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "referrals"

    reference_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("references.id", ondelete="CASCADE"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    role_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("roles.id", ondelete="SET NULL"))
    job_ref: Mapped[str | None] = mapped_column(String(200))  # an ATS job, when there is one
    channel: Mapped[ReferralChannel] = mapped_column(db_enum(ReferralChannel, "referral_channel"))
    prompted: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ReferralStatus] = mapped_column(db_enum(ReferralStatus, "referral_status"),
                                                   default=ReferralStatus.RECEIVED)
    note: Mapped[str] = mapped_column(Text, default="")
    referred_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    origin: Mapped[Origin] = mapped_column(db_enum(Origin, "origin"), default=Origin.API)
    external_id: Mapped[str | None] = mapped_column(String(200))
    # The first referrer of a person keeps the credit (for scores and the report) unless a recruiter moves it.
    credited: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (
        # One referral per referrer and person: a second report of it is a merge, not a new row.
        UniqueConstraint("tenant_id", "reference_id", "person_id"),
        UniqueConstraint("tenant_id", "external_id"),
        Index("ix_referrals_tenant_referred_at", "tenant_id", "referred_at"),
        Index("ix_referrals_tenant_person", "tenant_id", "person_id"),
        Index("ix_referrals_status_changed", "status_changed_at"),  # the referrer notes' sweep
    )
