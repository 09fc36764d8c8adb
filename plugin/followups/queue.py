"""The follow-up queue: what a recruiter should do, in sections, at a given moment in their time zone.

Sections: overdue (due before today, local), today, this week (the rest of the local week, Monday to
Sunday; on a Friday or a weekend it runs to the end of the next working day, so Monday's follow-ups show,
or Tuesday's after Easter Monday), losing touch (people whose active cadence is past its maximum interval)
and waking up (snoozed follow-ups whose snooze ends within the tenant's `wake_notice_days`). A snoozed
follow-up whose snooze has ended counts as open again. Each section pages on its own keyset. A page of
every section comes in one statement (a UNION ALL of the sections, each with its people, roles and, for
those losing touch, their latest touch), whatever the page's length, and the sections' totals in one more.
The rows are plain read-only values with only what the page shows: nothing to lazy-load, no ORM identity map.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    cast,
    exists,
    func,
    literal_column,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from plugin.core import dates
from plugin.core.pagination import decode_cursor, encode_cursor  # the cursors `paginate` hands out elsewhere
from plugin.models import (
    Cadence,
    FollowUp,
    FollowUpStatus,
    Person,
    Role,
    ShortlistEntry,
    Touchpoint,
    TouchpointKind,
)
from plugin.models.base import UTCDateTime
from plugin.tenancy import settings as tenant_settings

SECTIONS = ("overdue", "today", "week", "losing_touch", "waking_up")
DEFAULT_WAKE_NOTICE_DAYS = tenant_settings.RULE_DEFAULTS.wake_notice_days
# Each section's keyset: its sort key, then the row's id (unique).
_ORDER: dict[str, tuple[InstrumentedAttribute[Any], InstrumentedAttribute[Any]]] = {
    "overdue": (FollowUp.due_at, FollowUp.id), "today": (FollowUp.due_at, FollowUp.id),
    "week": (FollowUp.due_at, FollowUp.id), "losing_touch": (Cadence.last_touch_at, Cadence.id),
    "waking_up": (FollowUp.snoozed_until, FollowUp.id),
}


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


@dataclass(slots=True)
class QueuePerson:
    """The person on a row, as the page shows them."""

    id: uuid.UUID
    first_name: str
    last_name: str
    owner_id: uuid.UUID | None

    @property
    def full_name(self) -> str:  # as Person.full_name
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(slots=True)
class QueueFollowUp:
    """A follow-up on a row: what the page shows and what the `reason` filter reads."""

    id: uuid.UUID
    owner_id: uuid.UUID | None
    due_at: datetime
    snoozed_until: datetime | None
    reason: str
    reason_key: str | None
    reason_params: dict[str, Any] | None


@dataclass(slots=True)
class QueueCadence:
    id: uuid.UUID
    last_touch_at: datetime
    max_days: int


@dataclass(slots=True)
class QueueTouch:
    kind: TouchpointKind
    occurred_at: datetime


@dataclass(slots=True)
class Row:
    person: QueuePerson
    followup: QueueFollowUp | None = None
    cadence: QueueCadence | None = None
    last_touch: QueueTouch | None = None  # for a losing-touch row
    role_title: str | None = None  # the follow-up's role

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


# --- what each section holds ------------------------------------------------------------------------------------
# The statements are built once per shape (database, which filters, which sections have a cursor) from named
# bind parameters and kept: building a SQLAlchemy statement this size costs more than running it. A request
# only supplies the values (`_values`).

@dataclass(frozen=True)
class _Shape:
    dialect: str
    role: bool = False
    tag: bool = False
    after: tuple[str, ...] = ()  # the sections given a cursor


def _shape(session: Session, filters: Filters, cursors: dict[str, str | None] | None = None) -> _Shape:
    return _Shape(session.get_bind().dialect.name, bool(filters.role_id), bool(filters.tag),
                  tuple(name for name in SECTIONS if (cursors or {}).get(name)))


def _values(tenant_id: uuid.UUID, filters: Filters, edges: Bounds, limit: int | None = None,
            cursors: dict[str, str | None] | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {"tenant_id": tenant_id, "owner_id": filters.owner_id, "now": edges.now,
                              "today": edges.today, "tomorrow": edges.tomorrow, "week_end": edges.week_end,
                              "wake_until": edges.wake_until, "role_id": filters.role_id, "tag": filters.tag}
    if limit is not None:
        values["limit"] = limit + 1  # one more than shown tells whether there is a next page
    for name in SECTIONS:
        if cursor := (cursors or {}).get(name):  # one that is not ours is refused here, as `paginate` refuses it
            values[f"{name}_key"], values[f"{name}_id"] = decode_cursor(cursor, list(_ORDER[name]))
    return values


def _at(name: str) -> BindParameter[datetime]:
    return bindparam(name, type_=UTCDateTime())


def _parts(shape: _Shape, name: str) -> list[list[ColumnElement[bool]]]:
    """A section as the WHERE clauses of parts that never overlap, each read in the section's order from an
    index: follow-ups through ix_followups_queue (tenant, owner, status, due), cadences through
    ix_cadences_tenant_last_touch. The section is their union."""
    if name == "losing_touch":
        return [_losing_touch(shape)]
    mine = [FollowUp.tenant_id == bindparam("tenant_id"), FollowUp.owner_id == bindparam("owner_id")]
    if shape.role:
        mine.append(FollowUp.role_id == bindparam("role_id"))
    if shape.tag:
        mine.append(FollowUp.person_id.in_(
            select(Person.id).where(Person.tenant_id == bindparam("tenant_id"), _has_tag(shape))))
    if name == "waking_up":
        return [[*mine, FollowUp.status == FollowUpStatus.SNOOZED, FollowUp.snoozed_until > _at("now"),
                 FollowUp.snoozed_until <= _at("wake_until")]]
    if name == "week":
        return [[*mine, FollowUp.status == FollowUpStatus.OPEN, FollowUp.due_at >= _at("tomorrow"),
                 FollowUp.due_at < _at("week_end")]]
    window = [FollowUp.due_at < _at("today")] if name == "overdue" else [FollowUp.due_at >= _at("today"),
                                                                         FollowUp.due_at < _at("tomorrow")]
    # Open, or snoozed with the snooze over, as two parts rather than one OR: each part reads the index in due
    # order and stops at the page's end, where the OR made PostgreSQL fetch and sort the whole backlog.
    return [[*mine, FollowUp.status == FollowUpStatus.OPEN, *window],
            [*mine, FollowUp.status == FollowUpStatus.SNOOZED, FollowUp.snoozed_until <= _at("now"), *window]]


def _losing_touch(shape: _Shape) -> list[ColumnElement[bool]]:
    """The same people as `cadences.losing_touch` (the owner's, active cadence, last touch + max_days at or
    before now, not do-not-contact), here with the queue's role and tag filters, which that query lacks.
    The person is checked by a correlated subquery on the primary key rather than a join: for the count,
    PostgreSQL chose a hash join that read every person of the tenant; this probes one person per cadence."""
    person = [Person.id == Cadence.person_id, Person.tenant_id == bindparam("tenant_id"),
              Person.do_not_contact.is_(False)]
    if shape.tag:
        person.append(_has_tag(shape))
    owner = select(Person.owner_id).where(*person).correlate(Cadence).scalar_subquery()
    where = [Cadence.tenant_id == bindparam("tenant_id"), Cadence.status == "active",
             Cadence.last_touch_at < _at("now"), _past_max_days(shape), owner == bindparam("owner_id")]
    if shape.role:  # losing-touch rows have no role of their own: the role's shortlist stands in
        where.append(Cadence.person_id.in_(select(ShortlistEntry.person_id).where(
            ShortlistEntry.tenant_id == bindparam("tenant_id"), ShortlistEntry.role_id == bindparam("role_id"))))
    return where


def _past_max_days(shape: _Shape) -> ColumnElement[bool]:
    """last_touch_at + max_days <= now, spelled per database (interval arithmetic is not portable)."""
    if shape.dialect == "postgresql":
        return Cadence.last_touch_at + func.make_interval(0, 0, 0, Cadence.max_days) <= _at("now")
    return func.julianday(_at("now")) - func.julianday(Cadence.last_touch_at) >= Cadence.max_days


def _has_tag(shape: _Shape) -> ColumnElement[bool]:
    """The person's JSON list of tags holds `tag` (JSONB containment on PostgreSQL, json_each on SQLite)."""
    if shape.dialect == "postgresql":
        return type_coerce(Person.tags, JSONB).contains(func.jsonb_build_array(bindparam("tag", type_=String)))
    values = func.json_each(Person.tags).table_valued("value")
    return exists(select(1).select_from(values).where(values.c.value == bindparam("tag", type_=String)))


# --- the totals -------------------------------------------------------------------------------------------------

def _counts(session: Session, tenant_id: uuid.UUID, filters: Filters, edges: Bounds) -> dict[str, int]:
    row = session.execute(_count_statement(_shape(session, filters)), _values(tenant_id, filters, edges)).one()
    return {name: int(row._mapping[name] or 0) for name in SECTIONS}


@lru_cache(maxsize=16)
def _count_statement(shape: _Shape) -> Select[Any]:
    """Every section's COUNT as a scalar subquery of one statement: one round trip, each part on its index."""
    totals = []
    for name in SECTIONS:
        table = Cadence if name == "losing_touch" else FollowUp
        parts = [select(func.count()).select_from(table).where(*where).scalar_subquery()
                 for where in _parts(shape, name)]
        total = parts[0]
        for part in parts[1:]:
            total = total + part
        totals.append(total.label(name))
    return select(*totals)


# --- the pages --------------------------------------------------------------------------------------------------

def _pages(session: Session, tenant_id: uuid.UUID, filters: Filters, edges: Bounds, limit: int,
           cursors: dict[str, str | None]) -> list[Section]:
    """One page of every section in one statement, ordered by section and key: a section is the first rows of
    its own (its parts merged)."""
    values = _values(tenant_id, filters, edges, limit, cursors)
    found: dict[str, list[Any]] = {name: [] for name in SECTIONS}
    for item in session.execute(_page_statement(_shape(session, filters, cursors)), values):
        found[SECTIONS[item.section]].append(item)
    return [_section(name, items, limit) for name, items in found.items()]


@lru_cache(maxsize=128)
def _page_statement(shape: _Shape) -> CompoundSelect:
    """Each part fetches up to `limit` rows after its section's cursor, in the section's order."""
    branches: list[Select[Any]] = []
    for number, name in enumerate(SECTIONS):
        order = _ORDER[name]
        after = _after(name, order) if name in shape.after else []
        for where in _parts(shape, name):
            part = [*where, *after]
            branches.append(_cadence_branch(number, part, order) if name == "losing_touch"
                            else _followup_branch(number, part, order))
    union = union_all(*branches)
    columns = union.selected_columns
    return union.order_by(columns.section, columns.sort_key, columns.row_id)


def _after(name: str, order: tuple[InstrumentedAttribute[Any], InstrumentedAttribute[Any]]) -> list[
        ColumnElement[bool]]:
    """Rows after the section's cursor in (key, id) order, as `paginate` pages; the key's own bound lets the
    index start there, on page 100 as on page 1."""
    key, row_id = order
    at, last = bindparam(f"{name}_key", type_=key.type), bindparam(f"{name}_id", type_=row_id.type)
    return [key >= at, or_(key > at, and_(key == at, row_id > last))]


# Every branch of the union has the same columns in the same order: a NULL of the column's type for what a
# branch lacks (the first branch's types decide how the union's values are read), and the section's number.
def _nothing(column: InstrumentedAttribute[Any], label: str) -> ColumnElement[Any]:
    return cast(null(), column.type).label(label)


def _number(section: int) -> ColumnElement[int]:
    return literal_column(str(section), Integer).label("section")


def _limit() -> BindParameter[int]:
    return bindparam("limit", type_=Integer)


def _followup_branch(number: int, where: list[ColumnElement[bool]],
                     order: tuple[InstrumentedAttribute[Any], InstrumentedAttribute[Any]]) -> Select[Any]:
    page = (select(FollowUp.id, FollowUp.person_id, FollowUp.owner_id, FollowUp.role_id, FollowUp.due_at,
                   FollowUp.snoozed_until, FollowUp.reason, FollowUp.reason_key, FollowUp.reason_params,
                   order[0].label("sort_at"))
            .where(*where).order_by(*order).limit(_limit()).subquery())
    return (select(_number(number), page.c.id.label("row_id"), page.c.sort_at.label("sort_key"),
                   Person.id.label("person_id"), Person.first_name, Person.last_name,
                   Person.owner_id.label("person_owner_id"), page.c.owner_id, page.c.due_at, page.c.snoozed_until,
                   page.c.reason, page.c.reason_key, page.c.reason_params, Role.title.label("role_title"),
                   _nothing(Cadence.max_days, "max_days"), _nothing(Touchpoint.kind, "touch_kind"),
                   _nothing(Touchpoint.occurred_at, "touch_at"))
            .select_from(page)
            .join(Person, and_(Person.id == page.c.person_id, Person.tenant_id == bindparam("tenant_id")))
            .outerjoin(Role, and_(Role.id == page.c.role_id, Role.tenant_id == bindparam("tenant_id"))))


def _cadence_branch(number: int, where: list[ColumnElement[bool]],
                    order: tuple[InstrumentedAttribute[Any], InstrumentedAttribute[Any]]) -> Select[Any]:
    page = (select(Cadence.id, Cadence.person_id, Cadence.max_days, order[0].label("sort_at"))
            .where(*where).order_by(*order).limit(_limit()).subquery())
    touch = aliased(Touchpoint)

    def latest(column: InstrumentedAttribute[Any]) -> ColumnElement[Any]:
        """The person's most recent touch (the greatest id among equally recent ones), one index probe each."""
        return (select(column).where(touch.tenant_id == bindparam("tenant_id"), touch.person_id == page.c.person_id)
                .order_by(touch.occurred_at.desc(), touch.id.desc()).limit(1).correlate(page).scalar_subquery())

    return (select(_number(number), page.c.id.label("row_id"), page.c.sort_at.label("sort_key"),
                   Person.id.label("person_id"), Person.first_name, Person.last_name,
                   Person.owner_id.label("person_owner_id"), _nothing(FollowUp.owner_id, "owner_id"),
                   _nothing(FollowUp.due_at, "due_at"), _nothing(FollowUp.snoozed_until, "snoozed_until"),
                   _nothing(FollowUp.reason, "reason"), _nothing(FollowUp.reason_key, "reason_key"),
                   _nothing(FollowUp.reason_params, "reason_params"), _nothing(Role.title, "role_title"),
                   page.c.max_days, latest(touch.kind).label("touch_kind"),
                   latest(touch.occurred_at).label("touch_at"))
            .select_from(page)
            .join(Person, and_(Person.id == page.c.person_id, Person.tenant_id == bindparam("tenant_id"))))


def _section(name: str, items: list[Any], limit: int) -> Section:
    shown = items[:limit]
    cursor = encode_cursor([shown[-1].sort_key, shown[-1].row_id]) if len(items) > limit else None
    return Section(name, [_row(name, item) for item in shown], cursor)


def _row(name: str, item: Any) -> Row:
    person = QueuePerson(item.person_id, item.first_name, item.last_name, item.person_owner_id)
    if name == "losing_touch":
        touch = QueueTouch(item.touch_kind, item.touch_at) if item.touch_at is not None else None
        return Row(person, cadence=QueueCadence(item.row_id, item.sort_key, item.max_days), last_touch=touch)
    return Row(person, QueueFollowUp(item.row_id, item.owner_id, item.due_at, item.snoozed_until, item.reason,
                                     item.reason_key, item.reason_params), role_title=item.role_title)
