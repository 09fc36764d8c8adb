"""The follow-up queue: what a recruiter should do, in sections, at a given moment in their time zone.

Sections: overdue (due before today, local), today, this week (the rest of the local week, Monday to
Sunday; on a Friday or a weekend it runs to the end of the next working day, so Monday's follow-ups show,
or Tuesday's after Easter Monday), losing touch (people whose active cadence is past its maximum interval)
and waking up (snoozed follow-ups whose snooze ends within the tenant's `wake_notice_days`). A snoozed
follow-up whose snooze has ended counts as open again. Each section pages on its own keyset; a page loads
its people, their latest touches and the follow-ups' roles in a fixed number of queries, whatever the
page's length, and the sections' totals in one more.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, exists, func, literal, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, lazyload, load_only

from plugin.core import dates
from plugin.core.pagination import paginate
from plugin.models import Cadence, FollowUp, FollowUpStatus, Person, Role, ShortlistEntry, Touchpoint
from plugin.tenancy import settings as tenant_settings

SECTIONS = ("overdue", "today", "week", "losing_touch", "waking_up")
DEFAULT_WAKE_NOTICE_DAYS = tenant_settings.RULE_DEFAULTS.wake_notice_days


@dataclass(frozen=True)
class Filters:
    owner_id: uuid.UUID
    role_id: uuid.UUID | None = None
    tag: str | None = None


@dataclass(frozen=True)
class Bounds:
    """The local day and week of `now`, as UTC instants."""

    now: datetime
    today: datetime
    tomorrow: datetime
    week_end: datetime
    wake_until: datetime
    # The next working day when "this week" reaches past Sunday to show it (a Friday, a weekend), else None.
    next_working_day: date | None = None


@dataclass
class Row:
    person: Person
    followup: FollowUp | None = None
    cadence: Cadence | None = None
    last_touch: Touchpoint | None = None  # for a losing-touch row
    role: Role | None = None

    @property
    def key(self) -> uuid.UUID:
        return self.followup.id if self.followup else self.person.id


@dataclass
class Section:
    name: str
    rows: list[Row] = field(default_factory=list)
    next_cursor: str | None = None


@dataclass
class Queue:
    """What the queue page shows: a page of each section, every section's total, and the day's edges."""

    sections: list[Section]
    counts: dict[str, int]
    edges: Bounds


def bounds(now: datetime, time_zone: str, wake_notice_days: int = DEFAULT_WAKE_NOTICE_DAYS,
           skip: bool = True) -> Bounds:
    """The edges of `now`'s local day and week; `skip` is the tenant's skip_weekends_and_holidays."""
    zone = ZoneInfo(time_zone)
    today = now.astimezone(zone).date()
    monday = today + timedelta(days=7 - today.weekday())
    following = dates.after(today, skip)

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(), zone).astimezone(UTC)

    return Bounds(now=now, today=midnight(today), tomorrow=midnight(today + timedelta(days=1)),
                  week_end=midnight(max(monday, following + timedelta(days=1))),
                  wake_until=now + timedelta(days=wake_notice_days),
                  next_working_day=following if following >= monday else None)


def edges_for(session: Session, tenant_id: uuid.UUID, now: datetime, time_zone: str) -> Bounds:
    rules = tenant_settings.load_rules(session, tenant_id)
    return bounds(now, time_zone, rules.wake_notice_days, rules.skip_weekends_and_holidays)


def load(session: Session, tenant_id: uuid.UUID, filters: Filters, *, now: datetime, time_zone: str, limit: int,
         cursors: dict[str, str | None] | None = None) -> Queue:
    """The page's sections and their totals at `now`."""
    edges = edges_for(session, tenant_id, now, time_zone)
    return Queue(_pages(session, tenant_id, filters, edges, limit, cursors or {}),
                 _counts(session, tenant_id, filters, edges), edges)


def build(session: Session, tenant_id: uuid.UUID, filters: Filters, *, now: datetime, time_zone: str, limit: int,
          cursors: dict[str, str | None] | None = None) -> list[Section]:
    """Every section's page for the filters; `cursors` names the page of each section (first by default)."""
    return _pages(session, tenant_id, filters, edges_for(session, tenant_id, now, time_zone), limit, cursors or {})


def counts(session: Session, tenant_id: uuid.UUID, filters: Filters, *, now: datetime,
           time_zone: str) -> dict[str, int]:
    """How many rows each section holds in all (the page shows one page of each)."""
    return _counts(session, tenant_id, filters, edges_for(session, tenant_id, now, time_zone))


def _pages(session: Session, tenant_id: uuid.UUID, filters: Filters, edges: Bounds, limit: int,
           cursors: dict[str, str | None]) -> list[Section]:
    pages = {}
    for name in SECTIONS:
        query, order = _section_query(session, tenant_id, filters, edges, name)
        pages[name] = paginate(session, query, order, limit, cursors.get(name))
    rows = _rows(session, tenant_id, [item for page in pages.values() for item in page.items])
    return [Section(name, [rows[item.id] for item in page.items], page.next_cursor) for name, page in pages.items()]


def _counts(session: Session, tenant_id: uuid.UUID, filters: Filters, edges: Bounds) -> dict[str, int]:
    """Every section's COUNT as a scalar subquery of one statement: one round trip, each on its own index."""
    totals = [select(func.count()).select_from(_section_query(session, tenant_id, filters, edges, name)[0]
                                               .order_by(None).subquery()).scalar_subquery().label(name)
              for name in SECTIONS]
    row = session.execute(select(*totals)).one()
    return {name: int(row._mapping[name] or 0) for name in SECTIONS}


def _section_query(session: Session, tenant_id: uuid.UUID, filters: Filters, edges: Bounds,
                   name: str) -> tuple[Select[Any], list[Any]]:
    if name == "losing_touch":
        return _losing_touch(session, tenant_id, filters, edges.now), [Cadence.last_touch_at, Cadence.id]
    query = select(FollowUp).where(FollowUp.tenant_id == tenant_id, FollowUp.owner_id == filters.owner_id)
    if filters.role_id:
        query = query.where(FollowUp.role_id == filters.role_id)
    if filters.tag:
        query = query.where(FollowUp.person_id.in_(
            select(Person.id).where(Person.tenant_id == tenant_id, _has_tag(session, filters.tag))))
    if name == "waking_up":
        return query.where(FollowUp.status == FollowUpStatus.SNOOZED, FollowUp.snoozed_until > edges.now,
                           FollowUp.snoozed_until <= edges.wake_until), [FollowUp.snoozed_until, FollowUp.id]
    if name == "week":
        return query.where(FollowUp.status == FollowUpStatus.OPEN, FollowUp.due_at >= edges.tomorrow,
                           FollowUp.due_at < edges.week_end), [FollowUp.due_at, FollowUp.id]
    actionable = or_(FollowUp.status == FollowUpStatus.OPEN,
                     and_(FollowUp.status == FollowUpStatus.SNOOZED, FollowUp.snoozed_until <= edges.now))
    window = FollowUp.due_at < edges.today if name == "overdue" else and_(FollowUp.due_at >= edges.today,
                                                                          FollowUp.due_at < edges.tomorrow)
    return query.where(actionable, window), [FollowUp.due_at, FollowUp.id]


def _losing_touch(session: Session, tenant_id: uuid.UUID, filters: Filters, now: datetime) -> Select[Any]:
    """The same people as `cadences.losing_touch` (the owner's, active cadence, last touch + max_days at or
    before now, not do-not-contact), here with the queue's role and tag filters, which that query lacks."""
    query = (select(Cadence).join(Person, Person.id == Cadence.person_id)
             .where(Cadence.tenant_id == tenant_id, Person.tenant_id == tenant_id, Cadence.status == "active",
                    Person.owner_id == filters.owner_id, Person.do_not_contact.is_(False),
                    Cadence.last_touch_at < now, _past_max_days(session, now)))
    if filters.role_id:  # losing-touch rows have no role of their own: the role's shortlist stands in
        query = query.where(Person.id.in_(select(ShortlistEntry.person_id).where(
            ShortlistEntry.tenant_id == tenant_id, ShortlistEntry.role_id == filters.role_id)))
    if filters.tag:
        query = query.where(_has_tag(session, filters.tag))
    return query


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _past_max_days(session: Session, now: datetime) -> ColumnElement[bool]:
    """last_touch_at + max_days <= now, spelled per database (interval arithmetic is not portable)."""
    if _dialect(session) == "postgresql":
        return Cadence.last_touch_at + func.make_interval(0, 0, 0, Cadence.max_days) <= now
    moment = literal(now, Cadence.last_touch_at.type)
    return func.julianday(moment) - func.julianday(Cadence.last_touch_at) >= Cadence.max_days


def _has_tag(session: Session, tag: str) -> ColumnElement[bool]:
    """The person's JSON list of tags holds `tag` (JSONB containment on PostgreSQL, json_each on SQLite)."""
    if _dialect(session) == "postgresql":
        return type_coerce(Person.tags, JSONB).contains([tag])
    values = func.json_each(Person.tags).table_valued("value")
    return exists(select(1).select_from(values).where(values.c.value == tag))


def _rows(session: Session, tenant_id: uuid.UUID, items: list[FollowUp | Cadence]) -> dict[uuid.UUID, Row]:
    """Rows keyed by follow-up or cadence id, with people, the latest touches of those losing touch and the
    follow-ups' roles loaded in three queries for the whole page (no query per row). A row's person has only
    what the page shows loaded (names, owner): anything else raises rather than costing a query per row."""
    person_ids = {item.person_id for item in items}
    role_ids = {item.role_id for item in items if isinstance(item, FollowUp) and item.role_id}
    shown = load_only(Person.id, Person.tenant_id, Person.first_name, Person.last_name, Person.owner_id,
                      raiseload=True)
    people = _by_id(session.scalars(select(Person).options(shown, lazyload(Person.emails),
                                                           lazyload(Person.ats_links))
                                    .where(Person.tenant_id == tenant_id, Person.id.in_(person_ids)))) \
        if person_ids else {}
    touches = latest_touches(session, tenant_id, {item.person_id for item in items if isinstance(item, Cadence)})
    roles = _by_id(session.scalars(select(Role).where(Role.tenant_id == tenant_id, Role.id.in_(role_ids)))) \
        if role_ids else {}
    rows = {}
    for item in items:
        row = Row(person=people[item.person_id], last_touch=touches.get(item.person_id))
        if isinstance(item, FollowUp):
            row.followup, row.role = item, roles.get(item.role_id) if item.role_id else None
        else:
            row.cadence = item
        rows[item.id] = row
    return rows


def _by_id(items: Iterable[Any]) -> dict[uuid.UUID, Any]:
    return {item.id: item for item in items}


def latest_touches(session: Session, tenant_id: uuid.UUID, person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID,
                                                                                                    Touchpoint]:
    """Each person's most recent touchpoint, in one query."""
    ids = list(person_ids)
    if not ids:
        return {}
    latest = (select(Touchpoint.person_id, func.max(Touchpoint.occurred_at).label("at"))
              .where(Touchpoint.tenant_id == tenant_id, Touchpoint.person_id.in_(ids))
              .group_by(Touchpoint.person_id).subquery())
    query = (select(Touchpoint).join(latest, and_(Touchpoint.person_id == latest.c.person_id,
                                                  Touchpoint.occurred_at == latest.c.at))
             .where(Touchpoint.tenant_id == tenant_id, Touchpoint.person_id.in_(ids)).order_by(Touchpoint.id))
    return {touch.person_id: touch for touch in session.scalars(query)}
