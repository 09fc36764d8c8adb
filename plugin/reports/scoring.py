"""Reference scoring: who are the tenant's *active top references* (the founding article's term for people
who speak well of the company, or send it candidates, without being asked), who is rising, and who has
gone quiet.

What counts (the "events"), over the 12 months up to the moment scored:
- an **unprompted, credited** referral (a prompted one was asked for; a referral whose person another
  referrer was credited with first is not this reference's), weighted by the referral's current status:
  hired 5, in process 3, contacted 1, received 1, not hired 0.5, parked 0.5;
- a **positive mention**: a touchpoint of kind `positive_mention` on the reference's own person record,
  weight 1.

Each event's points are `weight * (365 - age in days) / 365`: linear decay, full points today, half at six
months, nothing after a year. The score is the sum. Linear decay (rather than a half-life) keeps the
arithmetic checkable by hand and computable in plain SQL on SQLite and PostgreSQL.

Worked example, scored on 1 March 2026: an unprompted referral made 73 days earlier and since hired gives
5 * (365 - 73) / 365 = 5 * 0.8 = 4.0 points; a positive mention 292 days earlier gives
1 * (365 - 292) / 365 = 0.2; a prompted referral gives nothing. Score 4.2: an active top reference.

Classes, decided in this order:
- `no_signal` — no counted event ever (yet);
- `gone_quiet` — was active (has counted events), but none in the last 182 days (six months);
- `active_top` — score ≥ 4.0 (e.g. one recent hire, or four recent referrals that got a reply);
- `rising` — score < 4.0, and the last 91 days earned at least as many points as the nine months before
  (the signal is growing) and at least 1 point;
- `steady` — active within six months, but neither top nor rising.

Everything is computed for all references of a tenant in a fixed number of queries: one aggregate per event
source (referrals, mentions) over any number of moments (the monthly report compares several), plus the
references themselves and, when reasons are wanted, one query per event source for the rows that counted.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, select
from sqlalchemy.orm import Session

from plugin.core.actors import Actor
from plugin.core.sql import epoch_days
from plugin.followups import cadences
from plugin.models import (
    Cadence,
    Origin,
    Person,
    Recruiter,
    Reference,
    Referral,
    ReferralStatus,
    Touchpoint,
    TouchpointKind,
    utcnow,
)
from plugin.tenancy import settings as tenant_settings

WINDOW_DAYS = 365
QUIET_DAYS = 182
RECENT_DAYS = 91
ACTIVE_TOP_SCORE = 4.0
RISING_MIN_RECENT = 1.0
MENTION_WEIGHT = 1.0
WEIGHTS: dict[str, float] = {
    ReferralStatus.HIRED: 5.0, ReferralStatus.IN_PROCESS: 3.0, ReferralStatus.CONTACTED: 1.0,
    ReferralStatus.RECEIVED: 1.0, ReferralStatus.NOT_HIRED: 0.5, ReferralStatus.PARKED: 0.5,
}
CLASSES = ("active_top", "rising", "steady", "gone_quiet", "no_signal")  # display order
SCORING_ACTOR = Actor("system", "reference_scoring", Origin.SYSTEM)


def _epoch(moment: datetime) -> float:
    return moment.astimezone(UTC).timestamp() / 86400.0


@dataclass(frozen=True)
class Reason:
    """One event that counted, with its arithmetic: `points = weight * decay`."""

    kind: str  # referral, positive_mention
    id: uuid.UUID  # the referral or the touchpoint
    person_id: uuid.UUID  # the person referred, or the reference's own person (a mention)
    at: datetime
    status: str | None  # a referral's status
    weight: float
    decay: float
    points: float


@dataclass(frozen=True)
class Totals:
    """A reference's aggregate at one moment."""

    score: float = 0.0
    recent: float = 0.0  # points from the last RECENT_DAYS
    last_event_at: datetime | None = None


@dataclass
class ReferenceScore:
    reference_id: uuid.UUID
    display_name: str
    kind: str
    person_id: uuid.UUID | None
    score: float
    recent: float
    last_event_at: datetime | None
    klass: str
    reasons: list[Reason] = field(default_factory=list)


def classify(totals: Totals, moment: datetime) -> str:
    """The class of one reference at `moment` (rules and thresholds in the module docstring)."""
    if totals.last_event_at is None:
        return "no_signal"
    if totals.last_event_at <= moment - timedelta(days=QUIET_DAYS):
        return "gone_quiet"
    if totals.score >= ACTIVE_TOP_SCORE - 1e-9:
        return "active_top"
    older = totals.score - totals.recent
    if totals.recent >= RISING_MIN_RECENT - 1e-9 and totals.recent >= older - 1e-9:
        return "rising"
    return "steady"


def _weight() -> ColumnElement[float]:
    return case(*((Referral.status == status, literal(weight)) for status, weight in WEIGHTS.items()), else_=0.0)


def _points(weight: Any, column: Any, moment: datetime, days: int) -> ColumnElement[float]:
    """weight * (days left in the window) / WINDOW_DAYS for events in (moment - days, moment], else 0."""
    start = moment - timedelta(days=days)
    decayed = weight * (epoch_days(column) - literal(_epoch(moment) - WINDOW_DAYS)) / literal(float(WINDOW_DAYS))
    return func.sum(case((and_(column > start, column <= moment), decayed), else_=0.0))


def _aggregate_columns(weight: Any, column: Any, moments: Sequence[datetime]) -> list[Any]:
    columns: list[Any] = []
    for moment in moments:
        columns += [_points(weight, column, moment, WINDOW_DAYS), _points(weight, column, moment, RECENT_DAYS),
                    func.max(case((column <= moment, column)))]
    return columns


def _counted_referrals(tenant_id: uuid.UUID) -> list[Any]:
    return [Referral.tenant_id == tenant_id, Referral.credited.is_(True), Referral.prompted.is_(False)]


def _mentions(tenant_id: uuid.UUID) -> list[Any]:
    return [Touchpoint.tenant_id == tenant_id, Touchpoint.kind == TouchpointKind.POSITIVE_MENTION,
            Reference.tenant_id == tenant_id]


def aggregate(session: Session, tenant_id: uuid.UUID, moments: Sequence[datetime]) -> dict[uuid.UUID, list[Totals]]:
    """{reference id: [Totals at each of `moments`]} for every reference with any counted event: two
    GROUP BY queries whatever the number of references, referrals or moments."""
    latest = max(moments)
    sums: dict[uuid.UUID, list[Totals]] = {}
    queries = [
        select(Referral.reference_id, *_aggregate_columns(_weight(), Referral.referred_at, moments))
        .where(*_counted_referrals(tenant_id), Referral.referred_at <= latest).group_by(Referral.reference_id),
        select(Reference.id, *_aggregate_columns(literal(MENTION_WEIGHT), Touchpoint.occurred_at, moments))
        .join(Touchpoint, Touchpoint.person_id == Reference.person_id)
        .where(*_mentions(tenant_id), Touchpoint.occurred_at <= latest).group_by(Reference.id),
    ]
    for query in queries:
        for row in session.execute(query):
            current = sums.setdefault(row[0], [Totals() for _ in moments])
            for i in range(len(moments)):
                score, recent, last = row[1 + 3 * i: 4 + 3 * i]
                current[i] = _add(current[i], float(score or 0), float(recent or 0), last)
    return sums


def _add(totals: Totals, score: float, recent: float, last: datetime | None) -> Totals:
    latest = max((t for t in (totals.last_event_at, last) if t is not None), default=None)
    return Totals(totals.score + score, totals.recent + recent, latest)


def classes_at(session: Session, tenant_id: uuid.UUID, moments: Sequence[datetime]) -> list[dict[uuid.UUID, Totals]]:
    """For each moment, {reference id: Totals} of the references with any counted event by then."""
    sums = aggregate(session, tenant_id, moments)
    return [{ref: totals[i] for ref, totals in sums.items() if totals[i].last_event_at is not None}
            for i in range(len(moments))]


def _references(session: Session, tenant_id: uuid.UUID) -> list[tuple[uuid.UUID, str, str, uuid.UUID | None]]:
    """(id, display name, kind, person id) of every reference, in one joined query."""
    rows = session.execute(
        select(Reference.id, Reference.name, Recruiter.name, Person.first_name, Person.last_name, Reference.kind,
               Reference.person_id)
        .outerjoin(Person, Person.id == Reference.person_id)
        .outerjoin(Recruiter, Recruiter.id == Reference.recruiter_id)
        .where(Reference.tenant_id == tenant_id))
    return [(id_, name or recruiter or f"{first} {last}".strip(), str(kind), person_id)
            for id_, name, recruiter, first, last, kind, person_id in rows]


def _reasons(session: Session, tenant_id: uuid.UUID, moment: datetime) -> dict[uuid.UUID, list[Reason]]:
    """Every event that counts at `moment`, with its points, by reference: two queries."""
    start = moment - timedelta(days=WINDOW_DAYS)
    found: dict[uuid.UUID, list[Reason]] = {}
    referrals = session.execute(
        select(Referral.reference_id, Referral.id, Referral.person_id, Referral.referred_at, Referral.status)
        .where(*_counted_referrals(tenant_id), Referral.referred_at > start, Referral.referred_at <= moment))
    for ref_id, id_, person_id, at, status in referrals:
        found.setdefault(ref_id, []).append(_reason("referral", id_, person_id, at, str(status), WEIGHTS[status],
                                                    moment))
    mentions = session.execute(
        select(Reference.id, Touchpoint.id, Touchpoint.person_id, Touchpoint.occurred_at)
        .join(Touchpoint, Touchpoint.person_id == Reference.person_id)
        .where(*_mentions(tenant_id), Touchpoint.occurred_at > start, Touchpoint.occurred_at <= moment))
    for ref_id, id_, person_id, at in mentions:
        found.setdefault(ref_id, []).append(_reason("positive_mention", id_, person_id, at, None, MENTION_WEIGHT,
                                                    moment))
    for reasons in found.values():
        reasons.sort(key=lambda r: (-r.points, r.at))
    return found


def _reason(kind: str, id_: uuid.UUID, person_id: uuid.UUID, at: datetime, status: str | None, weight: float,
            moment: datetime) -> Reason:
    decay = (WINDOW_DAYS - (moment - at).total_seconds() / 86400.0) / WINDOW_DAYS
    return Reason(kind, id_, person_id, at, status, weight, round(decay, 4), round(weight * decay, 2))


def scores(session: Session, tenant_id: uuid.UUID, *, now: datetime | None = None,
           with_reasons: bool = True) -> list[ReferenceScore]:
    """Every reference of the tenant with its score, class and (optionally) reasons, best first:
    by class (active top, rising, steady, gone quiet, no signal), then score, then name."""
    moment = now or utcnow()
    totals = aggregate(session, tenant_id, [moment])
    reasons = _reasons(session, tenant_id, moment) if with_reasons else {}
    result = []
    for ref_id, name, kind, person_id in _references(session, tenant_id):
        mine = totals.get(ref_id, [Totals()])[0]
        result.append(ReferenceScore(ref_id, name, kind, person_id, round(mine.score, 2), round(mine.recent, 2),
                                     mine.last_event_at, classify(mine, moment), reasons.get(ref_id, [])))
    result.sort(key=lambda s: (CLASSES.index(s.klass), -s.score, s.display_name.casefold(), s.reference_id))
    return result


def propose_keep_in_touch(session: Session, tenant_id: uuid.UUID, *, now: datetime | None = None,
                          actor: Actor = SCORING_ACTOR) -> list[Cadence]:
    """Propose a keep-in-touch cadence (status 'proposed', for the person's owner to accept) for every
    gone-quiet reference with a person record and no cadence yet — references are relationships too.
    Idempotent: a person who has any cadence gets nothing new. Recruiters and outsiders without a person
    record have no cadence to propose. Commits."""
    gone = [s.person_id for s in scores(session, tenant_id, now=now, with_reasons=False)
            if s.klass == "gone_quiet" and s.person_id is not None]
    created = cadences.propose(session, tenant_id, gone, tenant_settings.load_rules(session, tenant_id), actor)
    session.commit()
    return created
