"""The monthly referral report: what a head of recruiting reads on the 1st.

A month is `YYYY-MM` in the tenant's time zone: in Europe/Oslo a referral at 00:30 on the 1st belongs to
the new month although it is still the previous month in UTC. Every figure comes with the previous month
and the same month a year earlier. Figures count *credited* referrals only, so a person referred by two
people counts once (for the referrer with the credit).

- referrals: total, unprompted, prompted, distinct referrers; by channel; by referrer (top 10 of the month);
- the conversion ladder: how many of the month's referrals stand in each status now (for a stored month:
  when it was stored);
- hires by source: ATS applications hired (closed) in the month by source kind, where an application of a
  referred person counts as a referral; plus referrals marked hired in the month that no ATS knows as a
  hire. The referral share is referral hires / all hires (null when nobody was hired);
- days to hire: the median of closed - applied over the month's ATS hires, referrals vs other sources;
- active top references (see `scoring`): new this month (top at the month's end, not at the previous
  month's end), steady (top at both), gone quiet (went quiet during the month);
- follow-ups: completed in the month, and overdue (due in the month, not done by its end or by now);
- referrers who heard back: of the month's referrals, how many referrers got a note about it (sent, not
  drafted) within 7 days of referring, and that as a share (null for a month without referrals).

Aggregation happens in SQL (GROUP BY, window functions for medians), in a fixed number of queries for all
three periods at once, so the report costs the same whether a month has ten referrals or a hundred
thousand. A past month is stored as a `ReportSnapshot` the first time it is asked for and stays as it was
(what was e-mailed is what the page shows) until regenerated on purpose; the current month is live.
Snapshots hold aggregates and ids only; names are looked up when the report is shown.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plugin.core.sql import epoch_days
from plugin.errors import InvalidError
from plugin.models import (
    AtsApplication,
    FollowUp,
    FollowUpStatus,
    Message,
    Person,
    Recruiter,
    Reference,
    Referral,
    ReferralChannel,
    ReferralStatus,
    ReportSnapshot,
    Tenant,
    utcnow,
)
from plugin.reports import scoring

KIND = "referrals"
PERIODS = ("current", "previous", "last_year")
SOURCES = ("referral", "sourced", "applied", "agency", "event", "other")
TOP_REFERRERS = 10
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MIN_YEAR, MAX_YEAR = 2000, 2199


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def shift(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) in UTC of the month in `zone`."""
        nxt = self.shift(1)
        return (datetime(self.year, self.month, 1, tzinfo=zone).astimezone(UTC),
                datetime(nxt.year, nxt.month, 1, tzinfo=zone).astimezone(UTC))


def parse_month(text: str) -> Month:
    """`YYYY-MM` (months 01-12, years 2000-2199), or a 422 naming what is wrong."""
    match = _MONTH.match(text or "")
    if not match or not MIN_YEAR <= int(match.group(1)) <= MAX_YEAR:
        raise InvalidError(f"{text!r} is not a month: use YYYY-MM, e.g. 2026-03.",
                           {"month": ["Must be YYYY-MM with a month from 01 to 12 and a year from 2000 to 2199."]})
    return Month(int(match.group(1)), int(match.group(2)))


def current_month(zone: ZoneInfo, now: datetime | None = None) -> Month:
    local = (now or utcnow()).astimezone(zone)
    return Month(local.year, local.month)


@dataclass(frozen=True)
class Report:
    data: dict[str, Any]  # the stored figures (aggregates and ids)
    stored: bool  # a snapshot of a past month, rather than computed live
    generated_at: datetime


# --- building ---------------------------------------------------------------------------------------------

class _Ranges:
    """The three periods' UTC bounds, and a SQL label of the period a time column falls in."""

    def __init__(self, month: Month, zone: ZoneInfo, now: datetime) -> None:
        self.months = {"current": month, "previous": month.shift(-1), "last_year": month.shift(-12)}
        self.bounds = {name: m.bounds(zone) for name, m in self.months.items()}
        self.now = now

    def label(self, column: Any) -> Any:
        return case(*((and_(column >= start, column < end), literal(name))
                      for name, (start, end) in self.bounds.items()))

    def any(self, column: Any) -> Any:
        return or_(*(and_(column >= start, column < end) for start, end in self.bounds.values()))

    def cutoff(self, name: str) -> datetime:
        """The end of a period, or now when the period is not over."""
        return min(self.bounds[name][1], self.now)


def _triple() -> dict[str, Any]:
    return dict.fromkeys(PERIODS, 0)


def _referrals(session: Session, tenant_id: uuid.UUID, ranges: _Ranges) -> dict[str, Any]:
    """Totals, channels, prompted/unprompted and the ladder, from one GROUP BY over the three periods."""
    period = ranges.label(Referral.referred_at)
    rows = session.execute(
        select(period, Referral.channel, Referral.prompted, Referral.status, func.count())
        .where(Referral.tenant_id == tenant_id, Referral.credited.is_(True), ranges.any(Referral.referred_at))
        .group_by(period, Referral.channel, Referral.prompted, Referral.status))
    totals = {key: _triple() for key in ("total", "unprompted", "prompted")}
    channels = {str(c): _triple() for c in ReferralChannel}
    ladder = {str(s): _triple() for s in ReferralStatus}
    for name, channel, prompted, status, count in rows:
        totals["total"][name] += count
        totals["prompted" if prompted else "unprompted"][name] += count
        channels[str(channel)][name] += count
        ladder[str(status)][name] += count
    return {"totals": totals, "by_channel": [{"channel": c, **t} for c, t in channels.items()],
            "ladder": [{"status": s, **t} for s, t in ladder.items()]}


def _referrers(session: Session, tenant_id: uuid.UUID, ranges: _Ranges) -> tuple[dict[str, int], list[dict]]:
    """Distinct referrers per period, and the month's top referrers with their other periods' counts."""
    period = ranges.label(Referral.referred_at)
    unprompted = func.sum(case((Referral.prompted.is_(False), 1), else_=0))
    hired = func.sum(case((Referral.status == ReferralStatus.HIRED, 1), else_=0))
    rows = session.execute(
        select(period, Referral.reference_id, func.count(), unprompted, hired)
        .where(Referral.tenant_id == tenant_id, Referral.credited.is_(True), ranges.any(Referral.referred_at))
        .group_by(period, Referral.reference_id))
    distinct = _triple()
    per_reference: dict[uuid.UUID, dict[str, Any]] = {}
    for name, reference_id, count, unprompted_count, hired_count in rows:
        distinct[name] += 1
        entry = per_reference.setdefault(reference_id, {"reference_id": str(reference_id), **_triple(),
                                                        "unprompted": 0, "hired": 0})
        entry[name] = count
        if name == "current":
            entry["unprompted"], entry["hired"] = int(unprompted_count or 0), int(hired_count or 0)
    top = sorted((e for e in per_reference.values() if e["current"]),
                 key=lambda e: (-e["current"], -e["unprompted"], -e["hired"], e["reference_id"]))
    return distinct, top[:TOP_REFERRERS]


def _referred(tenant_id: uuid.UUID) -> Any:
    """An ATS application counts as a referral hire when its person had a credited referral before it closed."""
    return exists().where(Referral.tenant_id == tenant_id, Referral.person_id == AtsApplication.person_id,
                          Referral.credited.is_(True), Referral.referred_at <= AtsApplication.closed_at)


def _source(tenant_id: uuid.UUID) -> Any:
    known = case(*((AtsApplication.source_kind == kind, literal(kind)) for kind in SOURCES if kind != "referral"),
                 else_=literal("other"))
    return case((or_(AtsApplication.source_kind == "referral", _referred(tenant_id)), literal("referral")),
                else_=known)


def _hires(session: Session, tenant_id: uuid.UUID, ranges: _Ranges) -> dict[str, Any]:
    period, source = ranges.label(AtsApplication.closed_at), _source(tenant_id)
    by_source = {kind: _triple() for kind in SOURCES}
    for name, kind, count in session.execute(
            select(period, source, func.count())
            .where(AtsApplication.tenant_id == tenant_id, AtsApplication.outcome == "hired",
                   ranges.any(AtsApplication.closed_at))
            .group_by(period, source)):
        by_source[kind][name] += count
    # Referrals marked hired by a recruiter for people no ATS reports as hired (job-less referrals).
    known_hire = exists().where(AtsApplication.tenant_id == tenant_id, AtsApplication.person_id == Referral.person_id,
                                AtsApplication.outcome == "hired")
    period = ranges.label(Referral.status_changed_at)
    for name, count in session.execute(
            select(period, func.count())
            .where(Referral.tenant_id == tenant_id, Referral.credited.is_(True),
                   Referral.status == ReferralStatus.HIRED, ranges.any(Referral.status_changed_at), ~known_hire)
            .group_by(period)):
        by_source["referral"][name] += count
    total = {p: sum(t[p] for t in by_source.values()) for p in PERIODS}
    share = {p: (round(by_source["referral"][p] / total[p], 4) if total[p] else None) for p in PERIODS}
    return {"by_source": [{"source": k, **t} for k, t in by_source.items()], "total": total,
            "referral": dict(by_source["referral"]), "referral_share": share}


def _days_to_hire(session: Session, tenant_id: uuid.UUID, ranges: _Ranges) -> dict[str, Any]:
    """Median days from application to hire, referrals vs other sources: a window-function median in SQL
    (the middle row, or the mean of the two middle rows)."""
    period = ranges.label(AtsApplication.closed_at).label("period")
    group = case((_source(tenant_id) == "referral", literal("referral")), else_=literal("other")).label("grp")
    days = (epoch_days(AtsApplication.closed_at) - epoch_days(AtsApplication.applied_at)).label("days")
    ranked = select(period, group, days,
                    func.row_number().over(partition_by=[period, group], order_by=days).label("rn"),
                    func.count().over(partition_by=[period, group]).label("n")).where(
        AtsApplication.tenant_id == tenant_id, AtsApplication.outcome == "hired",
        AtsApplication.applied_at.is_not(None), ranges.any(AtsApplication.closed_at)).subquery()
    middle = or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2)
    out = {g: {"median": dict.fromkeys(PERIODS), "hires": _triple()} for g in ("referral", "other")}
    for name, grp, median, n in session.execute(
            select(ranked.c.period, ranked.c.grp, func.avg(ranked.c.days), func.max(ranked.c.n))
            .where(middle).group_by(ranked.c.period, ranked.c.grp)):
        out[grp]["median"][name] = round(float(median), 1)
        out[grp]["hires"][name] = int(n)
    return out


def _followups(session: Session, tenant_id: uuid.UUID, ranges: _Ranges) -> dict[str, Any]:
    """Completed in each period, and overdue: due in the period (up to now), not cancelled or snoozed, and
    not done by the period's end (or by now, for the current month). One query, six sums."""
    columns = []
    for name, (start, end) in ranges.bounds.items():
        cutoff = ranges.cutoff(name)
        columns.append(func.sum(case((and_(FollowUp.status == FollowUpStatus.DONE, FollowUp.completed_at >= start,
                                           FollowUp.completed_at < end), 1), else_=0)))
        columns.append(func.sum(case((and_(
            FollowUp.due_at >= start, FollowUp.due_at < cutoff,
            FollowUp.status.not_in([FollowUpStatus.CANCELLED, FollowUpStatus.SNOOZED]),
            or_(FollowUp.completed_at.is_(None), FollowUp.completed_at >= cutoff)), 1), else_=0)))
    row = session.execute(select(*columns).where(FollowUp.tenant_id == tenant_id)).one()
    return {"completed": {p: int(row[2 * i] or 0) for i, p in enumerate(PERIODS)},
            "overdue": {p: int(row[2 * i + 1] or 0) for i, p in enumerate(PERIODS)}}


HEARD_BACK_DAYS = 7


def _heard_back(session: Session, tenant_id: uuid.UUID, ranges: _Ranges, totals: dict[str, int]) -> dict[str, Any]:
    """Per period: the credited referrals whose referrer was sent a note within HEARD_BACK_DAYS, and the share."""
    noted = exists().where(Message.tenant_id == tenant_id, Message.referral_id == Referral.id,
                           Message.kind == "referrer_note", Message.status == "sent",
                           epoch_days(Message.sent_at) - epoch_days(Referral.referred_at) <= HEARD_BACK_DAYS)
    period = ranges.label(Referral.referred_at)
    counts = _triple()
    for name, count in session.execute(
            select(period, func.count()).where(Referral.tenant_id == tenant_id, Referral.credited.is_(True),
                                                ranges.any(Referral.referred_at), noted).group_by(period)):
        counts[name] = count
    return {"within_7_days": counts,
            "share": {p: (round(counts[p] / totals[p], 4) if totals[p] else None) for p in PERIODS}}


def _top_references(session: Session, tenant_id: uuid.UUID, ranges: _Ranges) -> dict[str, Any]:
    """Who became, stayed or stopped being an active top reference in each period: the scores at the end
    of each period and of the month before it, from one pair of aggregate queries."""
    # Per period: its end (or now), then its start, which is where the month before it ends.
    moments = [m for pair in zip([ranges.cutoff(p) for p in PERIODS], [ranges.bounds[p][0] for p in PERIODS],
                                 strict=True) for m in pair]
    states = scoring.classes_at(session, tenant_id, moments)
    counts: dict[str, dict[str, int]] = {key: _triple() for key in ("new", "steady", "gone_quiet", "active_top")}
    lists: dict[str, list[dict[str, Any]]] = {"new": [], "steady": [], "gone_quiet": []}
    for i, name in enumerate(PERIODS):
        end_moment, start_moment = moments[2 * i], moments[2 * i + 1]
        at_end, at_start = states[2 * i], states[2 * i + 1]
        for reference_id in set(at_end) | set(at_start):
            now_class = scoring.classify(at_end.get(reference_id, scoring.Totals()), end_moment)
            before = scoring.classify(at_start.get(reference_id, scoring.Totals()), start_moment)
            change = _change(before, now_class)
            counts["active_top"][name] += now_class == "active_top"
            if change:
                counts[change][name] += 1
                if name == "current":
                    totals = at_end.get(reference_id, scoring.Totals())
                    lists[change].append({"reference_id": str(reference_id), "score": round(totals.score, 2)})
    for entries in lists.values():
        entries.sort(key=lambda e: (-e["score"], e["reference_id"]))
    return {**lists, "counts": counts}


def _change(before: str, after: str) -> str | None:
    if after == "active_top":
        return "steady" if before == "active_top" else "new"
    if after == "gone_quiet" and before != "gone_quiet":
        return "gone_quiet"
    return None


def build(session: Session, tenant_id: uuid.UUID, month: Month, now: datetime | None = None) -> dict[str, Any]:
    """The report's figures for `month`, computed now."""
    tenant = session.get(Tenant, tenant_id)
    assert tenant is not None, tenant_id
    now = now or utcnow()
    zone = ZoneInfo(tenant.time_zone)
    ranges = _Ranges(month, zone, now)
    referrals = _referrals(session, tenant_id, ranges)
    distinct, top = _referrers(session, tenant_id, ranges)
    hires = _hires(session, tenant_id, ranges)
    followups = _followups(session, tenant_id, ranges)
    data = {
        "kind": KIND, "month": month.key, "time_zone": zone.key,
        "periods": {name: m.key for name, m in ranges.months.items()},
        "complete": ranges.bounds["current"][1] <= now, "generated_at": now.isoformat(),
        "referrals": {**referrals["totals"], "referrers": distinct},
        "by_channel": referrals["by_channel"], "by_referrer": top, "ladder": referrals["ladder"],
        "hires": hires, "days_to_hire": _days_to_hire(session, tenant_id, ranges),
        "top_references": _top_references(session, tenant_id, ranges), "followups": followups,
        "heard_back": _heard_back(session, tenant_id, ranges, referrals["totals"]["total"]),
    }
    data["empty"] = not (referrals["totals"]["total"]["current"] or hires["total"]["current"]
                         or followups["completed"]["current"] or followups["overdue"]["current"]
                         or any(data["top_references"][k] for k in ("new", "steady", "gone_quiet")))
    return data


# --- snapshots --------------------------------------------------------------------------------------------

def get(session: Session, tenant_id: uuid.UUID, month_text: str, *, regenerate: bool = False,
        now: datetime | None = None) -> Report:
    """The report for `month_text`: a past month from its snapshot (stored the first time it is asked
    for, replaced only when `regenerate`); the current or a future month live, never stored."""
    month = parse_month(month_text)
    now = now or utcnow()
    tenant = session.get(Tenant, tenant_id)
    assert tenant is not None, tenant_id
    if month.bounds(ZoneInfo(tenant.time_zone))[1] > now:
        return Report(build(session, tenant_id, month, now), False, now)
    snapshot = _snapshot(session, tenant_id, month.key)
    if snapshot is not None and not regenerate:
        return Report(snapshot.data, True, snapshot.generated_at)
    data = build(session, tenant_id, month, now)
    return _store(session, tenant_id, month.key, data, now)


def _snapshot(session: Session, tenant_id: uuid.UUID, key: str) -> ReportSnapshot | None:
    return session.scalars(select(ReportSnapshot).where(
        ReportSnapshot.tenant_id == tenant_id, ReportSnapshot.kind == KIND, ReportSnapshot.month == key)).first()


def _store(session: Session, tenant_id: uuid.UUID, key: str, data: dict[str, Any], now: datetime) -> Report:
    snapshot = _snapshot(session, tenant_id, key)
    if snapshot is None:
        snapshot = ReportSnapshot(tenant_id=tenant_id, kind=KIND, month=key)
        session.add(snapshot)
    snapshot.data, snapshot.generated_at = data, now
    try:
        session.commit()
    except IntegrityError:  # a concurrent first request stored it: theirs stands
        session.rollback()
        stored = _snapshot(session, tenant_id, key)
        assert stored is not None
        return Report(stored.data, True, stored.generated_at)
    return Report(data, True, now)


# --- presenting -------------------------------------------------------------------------------------------

def names(session: Session, tenant_id: uuid.UUID, data: dict[str, Any]) -> dict[str, str]:
    """{reference id: display name} for the references a report mentions, in one query; a reference removed
    since (or anonymised) simply has no name."""
    ids = {e["reference_id"] for e in data.get("by_referrer", [])}
    for key in ("new", "steady", "gone_quiet"):
        ids |= {e["reference_id"] for e in data.get("top_references", {}).get(key, [])}
    if not ids:
        return {}
    rows = session.execute(
        select(Reference.id, Reference.name, Recruiter.name, Person.first_name, Person.last_name)
        .outerjoin(Person, Person.id == Reference.person_id)
        .outerjoin(Recruiter, Recruiter.id == Reference.recruiter_id)
        .where(Reference.tenant_id == tenant_id, Reference.id.in_([uuid.UUID(i) for i in ids])))
    return {str(id_): name or recruiter or f"{first} {last}".strip() for id_, name, recruiter, first, last in rows}


def with_names(session: Session, tenant_id: uuid.UUID, report: Report) -> dict[str, Any]:
    """The report as shown (page, CSV, JSON, e-mail): the stored figures with referrer names filled in."""
    found = names(session, tenant_id, report.data)
    data = {**report.data, "stored": report.stored, "generated_at": report.generated_at}
    data["by_referrer"] = [{**e, "name": found.get(e["reference_id"])} for e in report.data["by_referrer"]]
    data["top_references"] = {**report.data["top_references"], **{
        key: [{**e, "name": found.get(e["reference_id"])} for e in report.data["top_references"][key]]
        for key in ("new", "steady", "gone_quiet")}}
    return data
