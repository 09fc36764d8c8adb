"""Messages a recruiter writes to a person, or Brobygger drafts to a referrer, and the trail of their review.

A Message moves draft → (in_review → approved | changes_requested → in_review …) → queued → sent, or ends
blocked (the recipient may not be contacted), failed (the mail server never took it) or discarded. Only an
approved message, or one its tenant's four-eyes rule lets through, is queued; the e-mail itself is a
Delivery (kind "message"), so it goes out exactly once like every other e-mail. Each step is a MessageEvent:
who did what, their comment, and the text before and after an edit, which is how an author sees what their
reviewer changed.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plugin.models.base import Base, IdMixin, TenantMixin, TimestampMixin, utcnow


class Message(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "messages"

    kind: Mapped[str] = mapped_column(String(24), default="outreach")  # outreach, referrer_note
    channel: Mapped[str] = mapped_column(String(16), default="email")  # email, linkedin (copied, then logged)
    template: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8), default="nb")
    # To a person (outreach), or to the referrer of a referral (referrer_note): erasing either removes it.
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    referral_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    followup_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("followups.id", ondelete="SET NULL"))
    role_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("roles.id", ondelete="SET NULL"))
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("recruiters.id", ondelete="SET NULL"))
    reviewer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("recruiters.id", ondelete="SET NULL"))
    any_admin: Mapped[bool] = mapped_column(default=False)  # the review is for whichever admin takes it
    subject: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")  # why now, why you: required before sending
    important: Mapped[bool] = mapped_column(default=False)
    needs_review: Mapped[bool] = mapped_column(default=False)  # decided by the tenant's rule at submission
    status: Mapped[str] = mapped_column(String(24), default="draft")
    blocked_reason: Mapped[str | None] = mapped_column(String(32))
    key: Mapped[str | None] = mapped_column(String(200))  # referrer notes: one per referral and status
    delivery_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("deliveries.id", ondelete="SET NULL"))
    touchpoint_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("touchpoints.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("tenant_id", "key"),
        Index("ix_messages_review", "tenant_id", "status", "reviewer_id"),
        Index("ix_messages_author", "tenant_id", "author_id", "status"),
        Index("ix_messages_person", "tenant_id", "person_id"),
        Index("ix_messages_referral", "tenant_id", "referral_id"),
    )


class MessageEvent(IdMixin, TenantMixin, Base):
    __tablename__ = "message_events"

    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("recruiters.id", ondelete="SET NULL"))
    # drafted, edited, submitted, commented, approved, returned, queued, sent, blocked, failed, discarded, copied
    kind: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    body_before: Mapped[str | None] = mapped_column(Text)
    body_after: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_message_events_message", "message_id", "created_at"),)


class MessageTemplate(IdMixin, TenantMixin, TimestampMixin, Base):
    """A tenant's own wording of one template in one language; without a row the built-in wording holds."""

    __tablename__ = "message_templates"

    key: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("tenant_id", "key", "language"),)
