"""What each recruiter should be told, as Notice rows created exactly once.

A notice's key names its subject, its recruiter and the moment that makes it news (the due minute, the
snooze end, the last touch, the status change), so a rescheduled follow-up is news again while a second
tick, or a tick after Redis lost everything, finds nothing new: the unique (tenant_id, key) decides.

How it stays fast with a million follow-ups: every kind is one INSERT … SELECT run inside the database,
with NOT EXISTS on the unique key (an index probe per candidate, never a scan of notices) and ON
CONFLICT DO NOTHING for two ticks racing. Candidates come in two tiers:

* `collect`, every minute, across tenants: only a window around `now` — follow-ups due within a day
  either side of it and snoozes ending soon. Told the minute of the previous pass, it reads only the window's
  edge that time moved past since then (a range of `ix_followups_tick` on (status, due_at)) and the rows
  changed since shortly before it (`ix_followups_changed` on updated_at), so its cost follows a
  minute's news, not the rows near `now` nor the size of the table. `collect_people`, hourly:
  cadences and referrals that changed state within the last day (a scan of those smaller tables, which
  have no index for it; losing touch is counted in days, so an hour late is on time).
* `sweep`, once per recruiter per digest: the recruiter's whole backlog through `ix_followups_queue`
  (tenant, owner, status, due_at) and their people. It catches whatever the window cannot see — a
  follow-up created or rescheduled weeks into the past, days when no worker ran — so nothing is lost.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, reduce
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Text,
    bindparam,
    cast,
    exists,
    func,
    insert,
    literal,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from plugin.models import (
    Cadence,
    FollowUp,
    FollowUpStatus,
    Notice,
    Person,
    Recruiter,
    Reference,
    Referral,
    ReferralStatus,
    Tenant,
)
from plugin.tenancy import settings as tenant_settings

WINDOW = timedelta(days=1)  # how far either side of `now` a tick looks
# A change is found by its updated_at, stamped before its transaction commits: a pass looks this far before the
# previous one for changes that committed after that pass had read. A later commit still reaches the digest
# through `sweep`.
CHANGED_SLACK = timedelta(minutes=5)
REFERRAL_SWEEP = timedelta(days=7)  # older status changes are history, not news, on a first digest


# Keys, in Python. The SQL below builds the very same strings; the digest compares them to tell a notice
# that is still current from one its subject has moved past.

def _stamp(moment: datetime, seconds: bool = False) -> str:
    return moment.strftime("%Y%m%d%H%M%S" if seconds else "%Y%m%d%H%M")


def due_key(followup_id: uuid.UUID, owner_id: uuid.UUID, due_at: datetime) -> str:
    return f"due:{followup_id.hex}:{owner_id.hex}:{_stamp(due_at)}"


def wake_key(followup_id: uuid.UUID, owner_id: uuid.UUID, snoozed_until: datetime) -> str:
    return f"wake:{followup_id.hex}:{owner_id.hex}:{_stamp(snoozed_until)}"


def losing_key(cadence_id: uuid.UUID, owner_id: uuid.UUID, last_touch_at: datetime) -> str:
    return f"losing:{cadence_id.hex}:{owner_id.hex}:{_stamp(last_touch_at)}"


def referral_key(referral_id: uuid.UUID, recruiter_id: uuid.UUID, changed_at: datetime) -> str:
    return f"referral:{referral_id.hex}:{recruiter_id.hex}:{_stamp(changed_at, seconds=True)}"


@dataclass
class Counts:
    woken: int = 0
    due: int = 0
    waking_up: int = 0
    losing_touch: int = 0
    referral_status: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class _Dialect:
    """The dialect-specific spellings: uuid and time as key text, new ids, date arithmetic, upsert. Hashable,
    so a statement built from it can be kept per dialect."""

    name: str

    @property
    def pg(self) -> bool:
        return self.name == "postgresql"

    def hex(self, column: Any) -> ColumnElement[str]:
        # PostgreSQL prints uuids with dashes; SQLAlchemy stores them on SQLite as 32 hex digits already.
        return func.replace(cast(column, Text), "-", "") if self.pg else type_coerce(column, String)

    def stamp(self, column: Any, seconds: bool = False) -> ColumnElement[str]:
        if self.pg:
            return func.to_char(func.timezone("UTC", column), "YYYYMMDDHH24MI" + ("SS" if seconds else ""))
        return func.strftime("%Y%m%d%H%M" + ("%S" if seconds else ""), column)

    def key(self, prefix: str, subject: Any, recruiter: Any, moment: Any, seconds: bool = False) -> Any:
        parts = [literal(prefix + ":"), self.hex(subject), literal(":"), self.hex(recruiter), literal(":"),
                 self.stamp(moment, seconds)]
        return reduce(lambda a, b: a + b, [type_coerce(p, String) for p in parts])

    def new_id(self) -> Any:
        return func.gen_random_uuid() if self.pg else func.lower(func.hex(func.randomblob(16)))

    def past_max_days(self, now: datetime) -> ColumnElement[bool]:
        """last_touch_at + max_days <= now."""
        if self.pg:
            return Cadence.last_touch_at + func.make_interval(0, 0, 0, Cadence.max_days) <= now
        return func.julianday(literal(now, Cadence.last_touch_at.type)) - func.julianday(Cadence.last_touch_at) \
            >= Cadence.max_days

    def statement(self, kind: str, subject_type: str, tenant: Any, recruiter: Any, subject: Any, key: Any,
                  query: Select[Any]) -> Any:
        """INSERT INTO notices SELECT … WHERE <query's conditions> AND NOT EXISTS (that key), created at the
        bound parameter `now`."""
        table = Notice.__table__
        rows = query.with_only_columns(
            self.new_id(), tenant, recruiter, literal(kind), literal(subject_type), subject, key,
            bindparam("now", type_=table.c.created_at.type),
        ).where(~exists().where(Notice.tenant_id == tenant, Notice.key == key))
        columns = ["id", "tenant_id", "recruiter_id", "kind", "subject_type", "subject_id", "key", "created_at"]
        if self.pg:
            statement: Any = pg_insert(table).from_select(columns, rows).on_conflict_do_nothing()
        elif self.name == "sqlite":
            statement = sqlite_insert(table).from_select(columns, rows).on_conflict_do_nothing()
        else:
            statement = insert(table).from_select(columns, rows)
        return statement.returning(table.c.id)


class _Sql:
    """A session's notice statements: each runs inside the database and returns how many notices it created."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = _Dialect(session.get_bind().dialect.name)

    def run(self, statement: Any, **parameters: Any) -> int:
        # RETURNING counts what was inserted (psycopg reports no rowcount for INSERT … SELECT here).
        return len(self.session.execute(statement, parameters).all())

    def insert(self, kind: str, subject_type: str, now: datetime, tenant: Any, recruiter: Any, subject: Any,
               key: Any, query: Select[Any]) -> int:
        return self.run(self.dialect.statement(kind, subject_type, tenant, recruiter, subject, key, query), now=now)


# The kinds. `scope` narrows a query to one recruiter for the sweep; None means every tenant.

@dataclass(frozen=True)
class Scope:
    tenant_id: uuid.UUID
    recruiter_id: uuid.UUID


# The follow-up kinds run every minute, so their statements are built once per shape, with bound parameters:
# building one and its cache key costs more Python than PostgreSQL takes to run it.

@cache
def _due_statement(sql: _Dialect, since: bool, changed: bool, scoped: bool) -> Any:
    query = select(FollowUp.id).where(FollowUp.status == FollowUpStatus.OPEN, FollowUp.owner_id.is_not(None),
                                      FollowUp.due_at <= bindparam("until"))
    if since:
        query = query.where(FollowUp.due_at > bindparam("since"))
    if changed:
        query = query.where(FollowUp.updated_at > bindparam("changed_after"))
    if scoped:
        query = query.where(FollowUp.tenant_id == bindparam("tenant_id"),
                            FollowUp.owner_id == bindparam("recruiter_id"))
    key = sql.key("due", FollowUp.id, FollowUp.owner_id, FollowUp.due_at)
    return sql.statement("due", "followup", FollowUp.tenant_id, FollowUp.owner_id, FollowUp.id, key, query)


def _due(sql: _Sql, now: datetime, *, since: datetime | None, until: datetime, scope: Scope | None,
         changed_after: datetime | None = None) -> int:
    """Open follow-ups due in (since, until]; with `changed_after`, only those changed after it."""
    if since is not None and since >= until:
        return 0
    statement = _due_statement(sql.dialect, since is not None, changed_after is not None, scope is not None)
    return sql.run(statement, now=now, until=until, **_given(since=since, changed_after=changed_after),
                   **_scoped(scope))


@cache
def _waking_up_statement(sql: _Dialect, since: bool, changed: bool) -> Any:
    query = select(FollowUp.id).where(
        FollowUp.status == FollowUpStatus.SNOOZED, FollowUp.owner_id.is_not(None),
        FollowUp.snoozed_until > bindparam("now"), FollowUp.snoozed_until <= bindparam("horizon"),
        FollowUp.tenant_id.in_(bindparam("tenant_ids", expanding=True)))
    if since:
        query = query.where(FollowUp.snoozed_until > bindparam("entered_after"))
    if changed:
        query = query.where(FollowUp.updated_at > bindparam("changed_after"))
    key = sql.key("wake", FollowUp.id, FollowUp.owner_id, FollowUp.snoozed_until)
    return sql.statement("waking_up", "followup", FollowUp.tenant_id, FollowUp.owner_id, FollowUp.id, key, query)


def _waking_up(sql: _Sql, now: datetime, tenant_ids: list[uuid.UUID], days: int, *, since: datetime | None,
               changed_after: datetime | None = None) -> int:
    """Snoozes ending within `days` (with `since`: only those that came within `days` after `since`, as the
    minute pass asks; the recruiter's sweep asks for all; with `changed_after`: only those changed after it).
    The range runs on ix_followups_snoozed (status, snoozed_until)."""
    horizon = now + timedelta(days=days)
    entered_after = since + timedelta(days=days) if since is not None else None
    if entered_after is not None and entered_after >= horizon:
        return 0
    statement = _waking_up_statement(sql.dialect, since is not None, changed_after is not None)
    return sql.run(statement, now=now, horizon=horizon, tenant_ids=tenant_ids,
                   **_given(entered_after=entered_after, changed_after=changed_after))


def _given(**parameters: datetime | None) -> dict[str, datetime]:
    return {name: value for name, value in parameters.items() if value is not None}


def _scoped(scope: Scope | None) -> dict[str, uuid.UUID]:
    return {"tenant_id": scope.tenant_id, "recruiter_id": scope.recruiter_id} if scope else {}


def _losing_touch(sql: _Sql, now: datetime, *, since: datetime | None, scope: Scope | None) -> int:
    """Active cadences past their maximum interval, for the person's owner (as the queue counts them:
    a touch is needed to start the clock; people marked do-not-contact are left alone)."""
    query = (select(Cadence.id).join(Person, Person.id == Cadence.person_id)
             .where(Cadence.status == "active", Cadence.last_touch_at.is_not(None), Person.owner_id.is_not(None),
                    Person.do_not_contact.is_(False), sql.dialect.past_max_days(now)))
    if since is not None:  # crossed the line since `since`: it was not yet past then
        query = query.where(~sql.dialect.past_max_days(since))
    if scope:
        query = query.where(Person.tenant_id == scope.tenant_id, Person.owner_id == scope.recruiter_id,
                            Cadence.tenant_id == scope.tenant_id)
    key = sql.dialect.key("losing", Cadence.id, Person.owner_id, Cadence.last_touch_at)
    return sql.insert("losing_touch", "person", now, Cadence.tenant_id, Person.owner_id, Cadence.person_id, key,
                      query)


def _referral_changes(sql: _Sql, now: datetime, *, since: datetime, scope: Scope | None) -> int:
    """A referral that moved on, for whoever keeps the referrer (the recruiter who is the reference, or
    the owner of the reference's person) and for the referred person's owner; one notice each."""
    referrer = aliased(Person)
    referred = aliased(Person)
    base = (select(Referral.id).join(Reference, Reference.id == Referral.reference_id)
            .join(referred, referred.id == Referral.person_id)
            .outerjoin(referrer, referrer.id == Reference.person_id)
            .where(Referral.status != ReferralStatus.RECEIVED, Referral.status_changed_at > since,
                   Referral.status_changed_at <= now))
    created = 0
    for recruiter in (Reference.recruiter_id, referrer.owner_id, referred.owner_id):
        query = base.where(recruiter.is_not(None))
        if scope:
            query = query.where(Referral.tenant_id == scope.tenant_id, recruiter == scope.recruiter_id)
        key = sql.dialect.key("referral", Referral.id, recruiter, Referral.status_changed_at, seconds=True)
        created += sql.insert("referral_status", "referral", now, Referral.tenant_id, recruiter, Referral.id, key,
                              query)
    return created


def wake_ended_snoozes(session: Session, now: datetime, scope: Scope | None = None) -> int:
    """Snoozed follow-ups whose snooze has ended are open again (their due time stays as it is)."""
    statement = update(FollowUp).where(FollowUp.status == FollowUpStatus.SNOOZED, FollowUp.due_at <= now,
                                       FollowUp.snoozed_until <= now)
    if scope:
        statement = statement.where(FollowUp.tenant_id == scope.tenant_id, FollowUp.owner_id == scope.recruiter_id)
    result = session.execute(statement.values(status=FollowUpStatus.OPEN, updated_at=now)
                             .execution_options(synchronize_session=False))
    return result.rowcount or 0


def _wake_days(session: Session) -> dict[int, list[uuid.UUID]]:
    """Tenants grouped by their `wake_notice_days`, so each group is one statement."""
    groups: dict[int, list[uuid.UUID]] = {}
    for tenant_id, stored in session.execute(select(Tenant.id, Tenant.settings)):
        groups.setdefault(tenant_settings.rules_of(stored).wake_notice_days, []).append(tenant_id)
    return groups


def collect(session: Session, now: datetime, previous: datetime | None = None) -> Counts:
    """The minute's follow-up work across tenants: wake ended snoozes, then create the due and waking-up
    notices that became news near `now`. Commits.

    `previous` is the minute of the last pass that finished (None when unknown). Given it, the window is not
    read again: only its edge that time moved past since `previous`, and the follow-ups changed since shortly
    before it (created, rescheduled, reassigned, woken). Without it, or when it is older than the window,
    the whole window is read."""
    sql = _Sql(session)
    counts = Counts(woken=wake_ended_snoozes(session, now))
    groups = _wake_days(session)
    since = now - WINDOW
    if previous is None or previous <= since:
        counts.due = _due(sql, now, since=since, until=now + WINDOW, scope=None)
        counts.waking_up = sum(_waking_up(sql, now, ids, days, since=since) for days, ids in groups.items())
    else:
        changed = previous - CHANGED_SLACK
        counts.due = _due(sql, now, since=previous + WINDOW, until=now + WINDOW, scope=None) \
            + _due(sql, now, since=since, until=now + WINDOW, scope=None, changed_after=changed)
        counts.waking_up = sum(_waking_up(sql, now, ids, days, since=previous)
                               + _waking_up(sql, now, ids, days, since=since, changed_after=changed)
                               for days, ids in groups.items())
    session.commit()
    return counts


def collect_people(session: Session, now: datetime) -> Counts:
    """Losing touch and referral news across tenants. Cadences count in days and neither table has an
    index these conditions can use, so the tick runs this hourly, not every minute. Commits."""
    sql = _Sql(session)
    counts = Counts(losing_touch=_losing_touch(sql, now, since=now - WINDOW, scope=None),
                    referral_status=_referral_changes(sql, now, since=now - WINDOW, scope=None))
    session.commit()
    return counts


def sweep(session: Session, recruiter: Recruiter, now: datetime, until: datetime) -> Counts:
    """Everything one recruiter should hear of, whatever the windows missed: follow-ups due before
    `until` (the end of their local day), their people's cadences, referral changes of the last week,
    and snoozes ending soon. Commits."""
    sql = _Sql(session)
    scope = Scope(recruiter.tenant_id, recruiter.id)
    days = tenant_settings.load_rules(session, recruiter.tenant_id).wake_notice_days
    counts = Counts(woken=wake_ended_snoozes(session, now, scope))
    counts.due = _due(sql, now, since=None, until=until, scope=scope)
    counts.waking_up = _waking_up(sql, now, [recruiter.tenant_id], days, since=None)
    counts.losing_touch = _losing_touch(sql, now, since=None, scope=scope)
    counts.referral_status = _referral_changes(sql, now, since=now - REFERRAL_SWEEP, scope=scope)
    session.commit()
    return counts


def undigested(session: Session, recruiter: Recruiter, created_by: datetime) -> list[Notice]:
    """The recruiter's notices no digest has carried yet (ix_notices_recruiter_undigested)."""
    return list(session.scalars(select(Notice).where(
        Notice.recruiter_id == recruiter.id, Notice.tenant_id == recruiter.tenant_id, Notice.digested_at.is_(None),
        Notice.created_at <= created_by).order_by(Notice.created_at, Notice.key)))


def mark_digested(session: Session, notice_ids: list[uuid.UUID], at: datetime) -> int:
    """Settle notices a sent digest carried (or whose subject moved on); the caller commits."""
    settled = 0
    for start in range(0, len(notice_ids), 500):
        chunk = notice_ids[start:start + 500]
        settled += session.execute(
            update(Notice).where(Notice.id.in_(chunk), Notice.digested_at.is_(None)).values(digested_at=at)
            .execution_options(synchronize_session=False)).rowcount or 0
    return settled

