"""People the tenant keeps warm, and what happened with them."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plugin.models.base import Base, IdMixin, TenantMixin, TimestampMixin, utcnow
from plugin.models.enums import LawfulBasis, Origin, PipelineStatus, TouchpointKind, db_enum


def _prefix_index(name: str, *columns: str) -> Index:
    """(tenant, key) index that PostgreSQL can also use for `LIKE 'prefix%'` whatever the collation."""
    return Index(name, *columns, postgresql_ops={columns[-1]: "text_pattern_ops"})


class Person(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "people"

    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100), default="")
    linkedin_url: Mapped[str | None] = mapped_column(String(500))
    employer: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    location: Mapped[str | None] = mapped_column(String(200))
    phones: Mapped[list[Any]] = mapped_column(default=list)
    languages: Mapped[list[Any]] = mapped_column(default=list)
    interests: Mapped[list[Any]] = mapped_column(default=list)
    work_history: Mapped[list[Any]] = mapped_column(default=list)  # [{employer, title, start, end}]
    tags: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[PipelineStatus] = mapped_column(db_enum(PipelineStatus, "pipeline_status"),
                                                   default=PipelineStatus.PASSIVE)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("recruiters.id", ondelete="SET NULL"))

    # Privacy (GDPR art. 6 basis, art. 14 notice, consent for future roles).
    lawful_basis: Mapped[LawfulBasis] = mapped_column(db_enum(LawfulBasis, "lawful_basis"),
                                                      default=LawfulBasis.LEGITIMATE_INTEREST)
    data_source: Mapped[str] = mapped_column(String(200), default="manual")
    collected_at: Mapped[datetime] = mapped_column(default=utcnow)
    art14_notice_sent_at: Mapped[datetime | None]
    consent_expires_at: Mapped[datetime | None]
    do_not_contact: Mapped[bool] = mapped_column(default=False)
    anonymised_at: Mapped[datetime | None]  # names, contact details, free text and ATS ids are gone

    # Folded search keys (see `fold`), kept in step with the fields above by a mapper event.
    name_key: Mapped[str] = mapped_column(String(201), default="")
    last_name_key: Mapped[str] = mapped_column(String(100), default="")
    employer_key: Mapped[str] = mapped_column(String(200), default="")

    emails: Mapped[list[PersonEmail]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="PersonEmail.position",
        lazy="selectin")
    ats_links: Mapped[list[PersonLink]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    __table_args__ = (
        _prefix_index("ix_people_tenant_name_key", "tenant_id", "name_key"),
        _prefix_index("ix_people_tenant_last_name_key", "tenant_id", "last_name_key"),
        _prefix_index("ix_people_tenant_employer_key", "tenant_id", "employer_key"),
        Index("ix_people_tenant_owner", "tenant_id", "owner_id"),
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def email_addresses(self) -> list[str]:
        return [e.email for e in self.emails]


# Letters that Unicode does not decompose into a base letter and a mark, written as Norwegian, Danish and German
# names are typed on keyboards without them: Ø as o, Æ as ae, Å as aa (the older spelling, "Aase" for "Åse"), ß as ss.
_SPELLED_OUT = str.maketrans({"ø": "o", "æ": "ae", "å": "aa", "ß": "ss", "đ": "d", "ð": "d", "þ": "th", "ł": "l",
                              "œ": "oe"})


def fold(text: str) -> str:
    """A search key: case-folded, Nordic letters spelled out, other accents dropped (é → e, ö → o), so
    `odeg` finds Ødegård, `aase` finds Åse and `bjornstad` finds Bjørnstad. Queries are folded the same way."""
    spelled = text.casefold().translate(_SPELLED_OUT)
    return "".join(c for c in unicodedata.normalize("NFKD", spelled) if not unicodedata.combining(c))


@event.listens_for(Person, "before_insert")
@event.listens_for(Person, "before_update")
def _refresh_search_keys(_mapper: Any, _conn: Any, person: Person) -> None:
    person.name_key = fold(person.full_name)[:201]
    person.last_name_key = fold(person.last_name or "")[:100]
    person.employer_key = fold(person.employer or "")[:200]


class PersonEmail(IdMixin, TenantMixin, Base):
    """One e-mail address of a person; unique per tenant, so it identifies the person (ATS matching)."""

    __tablename__ = "person_emails"

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))  # stored lower-case
    position: Mapped[int] = mapped_column(default=0)
    person: Mapped[Person] = relationship(back_populates="emails")

    __table_args__ = (
        UniqueConstraint("tenant_id", "email"),
        Index("ix_person_emails_person", "person_id"),
        _prefix_index("ix_person_emails_tenant_email_prefix", "tenant_id", "email"),
    )


class PersonLink(IdMixin, TenantMixin, Base):
    """A person's record in one ATS installation."""

    __tablename__ = "person_links"

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    installation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("installations.id", ondelete="CASCADE"))
    ats_id: Mapped[str] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(String(500))
    synced_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("installation_id", "ats_id"),
        Index("ix_person_links_person", "person_id"),
    )


class Touchpoint(IdMixin, TenantMixin, Base):
    __tablename__ = "touchpoints"

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    recruiter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("recruiters.id", ondelete="SET NULL"))
    kind: Mapped[TouchpointKind] = mapped_column(db_enum(TouchpointKind, "touchpoint_kind"))
    occurred_at: Mapped[datetime]
    summary: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[Origin] = mapped_column(db_enum(Origin, "origin"), default=Origin.API)
    # Stable id of the source event (ATS stage change, interview) so that a re-sync creates nothing new.
    external_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_touchpoints_person_time", "tenant_id", "person_id", "occurred_at"),
        UniqueConstraint("tenant_id", "external_id"),
    )


class Cadence(IdMixin, TenantMixin, TimestampMixin, Base):
    """Keep-in-touch rhythm for one person: due after `ideal_days`, losing touch after `max_days`."""

    __tablename__ = "cadences"

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), unique=True)
    tier: Mapped[str] = mapped_column(String(32), default="standard")
    ideal_days: Mapped[int] = mapped_column(default=90)
    max_days: Mapped[int] = mapped_column(default=180)
    last_touch_at: Mapped[datetime | None]
    # active; proposed (suggested by a rule, waiting for the owner to accept); paused
    status: Mapped[str] = mapped_column(String(16), default="active")

    __table_args__ = (Index("ix_cadences_tenant_last_touch", "tenant_id", "last_touch_at"),)
