"""Vendor-neutral records: what every connector yields, whatever its ATS calls things."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Outcome(StrEnum):
    ACTIVE = "active"  # still in process
    HIRED = "hired"
    NOT_HIRED = "not_hired"  # rejected, archived without hire, or withdrawn


class StageKind(StrEnum):
    """How far a process got. Brobygger only keeps warm those who were actually met."""

    APPLIED = "applied"
    SCREEN = "screen"
    INTERVIEW = "interview"
    OFFER = "offer"
    OTHER = "other"


MET_STAGES = frozenset({StageKind.SCREEN, StageKind.INTERVIEW, StageKind.OFFER})

_STAGE_WORDS = (
    (StageKind.OFFER, ("offer", "tilbud")),
    (StageKind.INTERVIEW, ("interview", "intervju", "onsite", "on-site", "case", "assessment", "panel", "final")),
    (StageKind.SCREEN, ("screen", "phone", "telefon", "call", "first meeting", "førstegangs")),
    (StageKind.APPLIED, ("applied", "application review", "new", "lead", "inbox", "sourced", "søkt")),
)


def classify_stage(name: str) -> StageKind:
    """Map a free-text stage name (every ATS lets customers name their own) to a kind."""
    lowered = name.casefold()
    for kind, words in _STAGE_WORDS:
        if any(word in lowered for word in words):
            return kind
    return StageKind.OTHER


class SourceKind(StrEnum):
    REFERRAL = "referral"
    SOURCED = "sourced"
    APPLIED = "applied"
    AGENCY = "agency"
    EVENT = "event"
    OTHER = "other"


@dataclass(frozen=True)
class Source:
    name: str
    kind: SourceKind


@dataclass(frozen=True)
class Referrer:
    """Who referred the candidate, as far as the ATS knows: often only a name, sometimes a user id."""

    name: str
    email: str | None = None
    ats_user_id: str | None = None
    is_employee: bool = False


@dataclass(frozen=True)
class StageReached:
    ats_id: str
    name: str
    kind: StageKind
    reached_at: datetime | None


@dataclass(frozen=True)
class Candidate:
    ats_id: str
    first_name: str
    last_name: str
    updated_at: datetime
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    employer: str | None = None
    title: str | None = None
    linkedin_url: str | None = None
    tags: tuple[str, ...] = ()
    url: str | None = None  # the candidate's page in the ATS


@dataclass(frozen=True)
class Application:
    ats_id: str
    candidate_id: str
    updated_at: datetime
    outcome: Outcome
    job_id: str | None = None
    job_name: str | None = None
    applied_at: datetime | None = None
    closed_at: datetime | None = None  # rejected, archived or hired at
    rejection_reason: str | None = None
    stages: tuple[StageReached, ...] = ()
    source: Source | None = None
    referrer: Referrer | None = None

    @property
    def met(self) -> bool:
        return any(stage.kind in MET_STAGES for stage in self.stages)

    @property
    def met_not_hired(self) -> bool:
        """Rejected or archived without hire after at least a screening or an interview."""
        return self.outcome == Outcome.NOT_HIRED and self.met


@dataclass(frozen=True)
class Note:
    ats_id: str
    candidate_id: str
    body: str
    created_at: datetime | None = None


@dataclass(frozen=True)
class WebhookEvent:
    """A verified delivery: what happened, to whom, and the id to dedupe it by.

    `resource_id` is the record the event is about when that is not the candidate (an application or an
    opportunity): a body that names only the application lets the job ask the ATS for its candidate, and a
    deletion of one opportunity removes that one. `merged_into` is the surviving candidate of a merge.
    `sync_wanted` marks an event that says something changed without saying what (Kombo's data-changed):
    the job runs an incremental sync of the installation instead of reading one candidate."""

    event_id: str
    action: str
    candidate_id: str | None
    occurred_at: datetime | None
    is_ping: bool = False
    payload: dict = field(default_factory=dict, compare=False, repr=False)
    resource_id: str | None = None
    merged_into: str | None = None
    sync_wanted: bool = False
