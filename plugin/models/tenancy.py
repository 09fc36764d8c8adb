"""Tenants and what belongs to their set-up: API keys, ATS installations, recruiters."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plugin.models.base import Base, IdMixin, TenantMixin, TimestampMixin, utcnow
from plugin.models.enums import Vendor, db_enum


class Tenant(IdMixin, TimestampMixin, Base):
    __tablename__ = "tenants"

    name: Mapped[str] = mapped_column(String(200))
    default_language: Mapped[str] = mapped_column(String(8), default="nb")
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/Oslo")
    # HS256 key the ATS host signs sidebar launches with; Fernet-encrypted like every other secret.
    sidebar_secret_encrypted: Mapped[str] = mapped_column(Text)
    # Origins allowed to frame the sidebar (CSP frame-ancestors).
    ats_origins: Mapped[list[Any]] = mapped_column(default=list)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The tenant's own mail server for recruiters' messages (an smtp:// or smtps:// URL with its password,
    # Fernet-encrypted) and the From address to use with it; without them the deployment's are used.
    smtp_url_encrypted: Mapped[str | None] = mapped_column(Text)
    mail_sender: Mapped[str | None] = mapped_column(String(254))


class ApiKey(IdMixin, TenantMixin, Base):
    """A bearer key. Only its SHA-256 is stored: keys are 256-bit random, so a slow hash adds nothing."""

    __tablename__ = "api_keys"

    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))  # shown in listings so a key can be recognised
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[Any]] = mapped_column(default=lambda: ["read", "write", "admin"])
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_api_keys_tenant", "tenant_id"),)


class Installation(IdMixin, TenantMixin, TimestampMixin, Base):
    """A tenant's connection to one ATS."""

    __tablename__ = "installations"

    vendor: Mapped[Vendor] = mapped_column(db_enum(Vendor, "vendor"))
    name: Mapped[str] = mapped_column(String(200))
    base_url: Mapped[str] = mapped_column(String(500))
    credentials_encrypted: Mapped[str] = mapped_column(Text)  # JSON object, Fernet-encrypted
    webhook_secret_encrypted: Mapped[str] = mapped_column(Text)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (Index("ix_installations_tenant", "tenant_id"),)


class SyncBookmark(TenantMixin, Base):
    """Where the last committed sync of one stream of one installation got to (Singer-style state)."""

    __tablename__ = "sync_bookmarks"

    installation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), primary_key=True)
    stream: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Recruiter(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "recruiters"

    email: Mapped[str] = mapped_column(String(254))  # stored lower-case
    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/Oslo")
    language: Mapped[str] = mapped_column(String(8), default="nb")
    # Where the recruiter works (ISO 3166 country code): how dates and numbers read in English (GB or US
    # style); None reads as the language's home region.
    region: Mapped[str | None] = mapped_column(String(2))
    # {installation id: ATS user id}: who this recruiter is in each connected ATS.
    ats_user_ids: Mapped[dict[str, Any]] = mapped_column(default=dict)
    is_admin: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    # The daily digest goes out at this local time ("HH:MM" in `time_zone`), when anything is due.
    digest_time: Mapped[str] = mapped_column(String(5), default="07:30")
    digest_enabled: Mapped[bool] = mapped_column(default=True)
    # An admin receives the monthly referral report by e-mail unless they turn it off.
    monthly_report_enabled: Mapped[bool] = mapped_column(default=True)
    # SHA-256 of the secret in the recruiter's calendar feed URL; replacing it revokes the old URL.
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # A page session holds the value it began with; signing out raises it, so no copy of an older session
    # cookie works any more (the cookie itself is signed, not stored, and cannot be recalled).
    session_generation: Mapped[int] = mapped_column(default=0)

    __table_args__ = (UniqueConstraint("tenant_id", "email"),)


class BrowserToken(IdMixin, TenantMixin, Base):
    """A recruiter's browser extension, connected once: it may open the sidebar as that recruiter and nothing
    else (no API scope). Only the token's SHA-256 is kept; the recruiter sees and revokes it in their settings."""

    __tablename__ = "browser_tokens"

    recruiter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recruiters.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(100))  # the browser, as its user agent names it
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_browser_tokens_tenant_recruiter", "tenant_id", "recruiter_id"),)
