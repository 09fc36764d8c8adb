"""What stays after a person is anonymised or erased: a salted fingerprint of each identifier, so the
same e-mail address or LinkedIn URL cannot be re-imported silently. No personal data is kept here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plugin.models.base import Base, IdMixin, TenantMixin, utcnow


class Fingerprint(IdMixin, TenantMixin, Base):
    __tablename__ = "fingerprints"

    kind: Mapped[str] = mapped_column(String(16))  # email, linkedin
    digest: Mapped[str] = mapped_column(String(64))  # HMAC-SHA256(tenant salt, normalised identifier), hex
    reason: Mapped[str] = mapped_column(String(16))  # anonymised, erased
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("tenant_id", "digest"),)
