"""Closed vocabularies of the domain, stored as short strings with a CHECK constraint."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum


class Vendor(StrEnum):
    GREENHOUSE = "greenhouse"
    LEVER = "lever"
    TEAMTAILOR = "teamtailor"
    KOMBO = "kombo"  # a unified API over 100+ ATSs (Webcruiter, Jobylon, ReachMee, …)
    ASHBY = "ashby"


class PipelineStatus(StrEnum):
    """Where a person stands with the tenant: the sidebar's status line."""

    PASSIVE = "passive"
    IN_PROCESS = "in_process"
    HIRED = "hired"


class LawfulBasis(StrEnum):
    LEGITIMATE_INTEREST = "legitimate_interest"
    CONSENT = "consent"


class TouchpointKind(StrEnum):
    MEETING = "meeting"
    INTERVIEW = "interview"
    CALL = "call"
    MESSAGE = "message"
    EVENT = "event"
    NOTE = "note"
    POSITIVE_MENTION = "positive_mention"  # someone spoke well of the company: counts for references


class FollowUpStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    SNOOZED = "snoozed"
    CANCELLED = "cancelled"


class RoleStatus(StrEnum):
    ANTICIPATED = "anticipated"
    CONFIDENTIAL = "confidential"
    ADVERTISED = "advertised"
    FILLED = "filled"
    DROPPED = "dropped"


class ReferenceKind(StrEnum):
    EMPLOYEE = "employee"
    OUTSIDER = "outsider"
    CANDIDATE = "candidate"
    CLIENT = "client"


class ReferralChannel(StrEnum):
    LINKEDIN = "linkedin"
    EVENT = "event"
    EMAIL = "email"
    PHONE = "phone"
    WORD_OF_MOUTH = "word_of_mouth"
    OTHER = "other"


class ReferralStatus(StrEnum):
    RECEIVED = "received"
    CONTACTED = "contacted"
    IN_PROCESS = "in_process"
    HIRED = "hired"
    NOT_HIRED = "not_hired"
    PARKED = "parked"


class Origin(StrEnum):
    """Which surface or process wrote a record (audit trail, touchpoint and referral sources)."""

    API = "api"
    SIDEBAR = "sidebar"
    CLI = "cli"
    SYNC = "sync"
    IMPORT = "import"
    SYSTEM = "system"


def db_enum(enum: type[StrEnum], name: str) -> Enum:
    return Enum(enum, name=name, native_enum=False, create_constraint=True, length=24,
                values_callable=lambda e: [m.value for m in e], validate_strings=True)
