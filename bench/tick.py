"""The cron tick over 1,000,000 follow-ups (aim: p95 under 50 ms per tick).

`brobygger cron` enqueues `plugin.cron.tick` every minute; a worker runs it, and every minute it enqueues
`plugin.followups.jobs.collect`, the job that reads the follow-ups (wakes ended snoozes, creates the due and
waking-up notices, today's digest rows). A minute's tick here is both, called as the worker calls them,
in one process against PostgreSQL (database brobygger_bench_tick) and Redis db 10:

* first tick of a new minute: `now` moves one minute per repetition past the data set's anchor, so each
  finds that minute's news (follow-ups entering the window, snoozes ending, digest times passing);
* steady tick: the same minute again, which must find nothing new (checked: no job, notice or row added).

Also timed: the hourly `collect_people` (cadences and referrals) and a tick after Redis lost every job
(it re-enqueues every unfinished row). Each statement of one tick and of `collect_people` is then run
under EXPLAIN ANALYZE (in a transaction rolled back) to find sequential scans of large tables.

    python -m bench.tick [--quick] [--rebuild]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import event, text

from bench import tick_data
from bench.common import database_url, ensure_database, p95, with_database
from bench.section import Row, Section
from plugin import cron, migrate
from plugin.db import make_engine
from plugin.extension import get_state
from plugin.followups import jobs as notify
from plugin.health.jobs import pulse
from plugin.queueing import enqueue_unique

AIM_MS = 50
WARMUP = 3
LARGE_TABLE_ROWS = 10_000  # a sequential scan reading more rows than this is a finding


def ms(seconds: float) -> str:
    value = seconds * 1000
    return f"{value:,.0f} ms" if value >= 100 else f"{value:.1f} ms"


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def minute(now: datetime) -> str:
    return now.isoformat(timespec="minutes")


@dataclass
class MinuteTick:
    tick: float  # seconds in cron.tick
    collect: float  # seconds in notify.collect
    jobs: int
    news: dict[str, int]

    @property
    def total(self) -> float:
        return self.tick + self.collect


def one_minute(now: datetime) -> MinuteTick:
    """What a worker runs for the minute `now`: the tick, then the collect job it enqueued."""
    tick_s, added = timed(lambda: cron.tick(now))
    collect_s, news = timed(lambda: notify.collect(minute(now)))
    return MinuteTick(tick_s, collect_s, len(added), news)


# --- EXPLAIN ANALYZE ------------------------------------------------------------------------------------------

@dataclass
class Plan:
    statement: str
    ms: float
    top: str  # the plan's first node lines
    large_scans: list[str]  # "Seq Scan on t (N rows read)"


class Capture:
    """Statements sent through the engine while active, as (statement, driver parameters), and their time."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.seen: list[tuple[str, Any]] = []
        self.seconds = 0.0
        self.count = 0

    def _before(self, _c: Any, _cur: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        context._tick_bench_t0 = time.perf_counter()
        head = statement.lstrip().split(None, 1)[0].upper()
        if head in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH"):
            self.seen.append((statement, parameters[0] if many else parameters))

    def _after(self, _c: Any, _cur: Any, _st: str, _p: Any, context: Any, _many: bool) -> None:
        self.seconds += time.perf_counter() - context._tick_bench_t0
        self.count += 1

    def __enter__(self) -> Capture:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def _node_line(node: dict[str, Any]) -> str:
    where = f" on {node['Relation Name']}" if "Relation Name" in node else ""
    index = f" using {node['Index Name']}" if "Index Name" in node else ""
    return f"{node['Node Type']}{where}{index} ({node.get('Actual Total Time', 0):.1f} ms, " \
           f"{node.get('Actual Rows', 0) * node.get('Actual Loops', 1):,.0f} rows)"


def explain(app: Flask, statements: list[tuple[str, Any]]) -> list[Plan]:
    """EXPLAIN (ANALYZE, BUFFERS) each statement in its own transaction, rolled back: writes change nothing."""
    plans = []
    with get_state(app).engine.connect() as conn:
        for statement, parameters in statements:
            trans = conn.begin()
            try:
                doc = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement,
                                           parameters).scalar()
            finally:
                trans.rollback()
            root = doc[0]["Plan"]
            scans = [f"Seq Scan on {n['Relation Name']} "
                     f"({(n['Actual Rows'] + n.get('Rows Removed by Filter', 0)) * n['Actual Loops']:,.0f} rows read)"
                     for n in _nodes(root) if n["Node Type"] == "Seq Scan"
                     and (n["Actual Rows"] + n.get("Rows Removed by Filter", 0)) * n["Actual Loops"] > LARGE_TABLE_ROWS]
            top = " → ".join(_node_line(n) for n in list(_nodes(root))[:4])
            plans.append(Plan(" ".join(statement.split()), doc[0]["Execution Time"], top, scans))
    return plans


def short(statement: str, limit: int = 160) -> str:
    return statement if len(statement) <= limit else statement[:limit] + "…"


# --- the run --------------------------------------------------------------------------------------------------

def prepare(quick: bool, rebuild: bool, log: Callable[[str], None]) -> tuple[Flask, dict[str, Any]]:
    """The data set (generated when missing, or when its scale is not the one asked for) and the app."""
    scale = 0.05 if quick else 1.0
    name = "brobygger_bench_tick_quick" if quick else "brobygger_bench_tick"
    url = with_database(database_url(), name)
    ensure_database(url, drop=rebuild)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    app = tick_data.make_app(url)
    facts = tick_data.marker(app)
    if facts is None or facts["scale"] != scale or facts.get("version") != tick_data.DATA_VERSION:
        with get_state(app).engine.connect() as conn:
            partial = conn.execute(text("SELECT count(*) FROM tenants")).scalar()
        if partial:  # an interrupted or differently scaled data set: start over
            get_state(app).engine.dispose()
            ensure_database(url, drop=True)
            engine = make_engine(url)
            migrate.upgrade(engine)
            engine.dispose()
            app = tick_data.make_app(url)
        facts = tick_data.generate(app, tick_data.counts(scale), scale, log=log)
        log(f"built in {facts['build_seconds']} s")
    else:
        migrate.upgrade(get_state(app).engine)  # a new index from a later migration reaches reused data
    return app, facts


def run(quick: bool = False, rebuild: bool = False, log: Callable[[str], None] | None = None) -> Section:
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    app, facts = prepare(quick, rebuild, log)
    anchor = datetime.fromisoformat(facts["anchor"])
    repetitions = 8 if quick else 30
    hours = 3 if quick else 5
    state = get_state(app)
    undone = tick_data.rearm(app, anchor)
    log(f"re-armed past the anchor {anchor:%Y-%m-%d %H:%M} UTC: {undone}")
    with app.app_context():
        for _ in range(WARMUP):  # the anchor's minute is already collected: warm caches and connections
            one_minute(anchor)
        first = []
        for i in range(1, repetitions + 1):
            now = anchor + timedelta(minutes=i)
            tick_data.worker_caught_up(app, now - timedelta(minutes=1))  # outside the timing
            first.append(one_minute(now))
        last = anchor + timedelta(minutes=repetitions)
        tick_data.worker_caught_up(app, last)
        steady = [one_minute(last) for _ in range(repetitions)]
        people = [timed(lambda h=h: notify.collect_people(minute(anchor + timedelta(hours=h))))
                  for h in range(1, hours + 1)]
        lost = []
        for _ in range(5):
            state.redis.flushdb()
            lost.append(timed(lambda: cron.tick(last)))
        # The tick before its one-round-trip check: a full enqueue attempt for every id that already exists.
        ids = lost[-1][1]
        attempts = [timed(lambda: [enqueue_unique(state.queue, pulse, job_id=i) for i in ids])[0] for _ in range(5)]
        tick_data.worker_caught_up(app, last)
        one_minute(last)  # the pass's mark, which the Redis flushes above took, is back
        with Capture(state.engine) as minute_sql:
            captured = one_minute(last + timedelta(minutes=1))
        with Capture(state.engine) as people_sql:
            notify.collect_people(minute(anchor + timedelta(hours=hours + 1)))
    plans = explain(app, minute_sql.seen) + explain(app, people_sql.seen)
    tick_data.rearm(app, anchor)
    with state.engine.connect() as conn:
        pg = conn.execute(text("SHOW server_version")).scalar()
    state.engine.dispose()
    return section(facts, quick, first, steady, people, lost, plans, minute_sql, captured, attempts, str(pg))


def section(facts: dict[str, Any], quick: bool, first: list[MinuteTick], steady: list[MinuteTick],
            people: list[tuple[float, Any]], lost: list[tuple[float, list[str]]], plans: list[Plan],
            minute_sql: Capture, captured: MinuteTick, attempts: list[float], pg: str) -> Section:
    a = facts["actual"]
    n = len(first)
    news = {k: sum(t.news[k] for t in first) for k in first[0].news if k not in ("losing_touch", "referral_status")}
    steady_news = sum(sum(t.news.values()) + t.jobs for t in steady)

    def figure(samples: list[float]) -> str:
        return f"median {ms(statistics.median(samples))}, p95 {ms(p95(samples))}"

    def aimed(name: str, measure: str, samples: list[float], also: bool = True, extra: str = "") -> Row:
        return Row(name, measure, figure(samples), f"p95 < {AIM_MS} ms{extra}", p95(samples) * 1000 < AIM_MS and also)

    rows = [
        aimed("`cron.tick`, first of a new minute", f"the scheduler's function, {n} minutes", [t.tick for t in first]),
        aimed("`cron.tick`, steady (same minute again)", f"{n} runs", [t.tick for t in steady], steady_news == 0,
              ", adds nothing"),
        aimed("minute's work, first of a new minute", f"`cron.tick` + the `notify.collect` job, {n} minutes",
              [t.total for t in first]),
        aimed("minute's work, steady", f"`cron.tick` + `notify.collect`, {n} runs", [t.total for t in steady],
              steady_news == 0, ", adds nothing"),
        Row("hourly `collect_people`", f"cadences + referrals, {len(people)} hours", figure([s for s, _ in people]),
            "-", None),
        Row("`cron.tick` after Redis lost every job", f"re-enqueues unfinished rows, {len(lost)} runs",
            f"{figure([s for s, _ in lost])}; {len(lost[0][1])} jobs", "-", None),
    ]
    by_status = ", ".join(f"{k} {v:,}" for k, v in sorted(facts["actual"]["followups_by_status"].items()))
    method = [
        f"- Data: {a['followups']:,} follow-ups ({by_status}) over {a['tenants']} tenants, {a['recruiters']} "
        f"recruiters and {a['people']:,} people; {a['notices']:,} notices, {a['deliveries']:,} deliveries, "
        f"{a['webhook_deliveries']:,} webhook deliveries, {a['writebacks']:,} write-backs, {a['cadences']:,} "
        f"cadences, {a['referrals']:,} referrals (at generation); PostgreSQL {pg}, Redis db 10, one process on a "
        "shared 2-core machine. Generated with set-based SQL (`bench/tick_data.py`), reused between runs "
        "(`--rebuild` starts over).",
        f"- `cron.tick(now)` is what `brobygger cron` enqueues every minute; the minute's work adds the "
        f"`plugin.followups.jobs.collect` job the tick enqueues (the one that reads follow-ups), both called "
        f"directly as a worker calls them (no queue latency). After {WARMUP} warm-up minutes at the data's "
        f"anchor: {n} minutes at anchor + 1 … {n} min (first of a new minute; together they found {news}), "
        f"then {n} runs of the last minute again (steady: {steady_news} jobs or rows added). Outside the "
        "timings, before each minute, the work a worker keeping up would have done is marked done (digests sent, "
        "the day's retention run); at the start and end, what minutes past the anchor changed is undone.",
        f"- `collect_people` (enqueued hourly) timed at {len(people)} successive hours; the Redis-lost tick runs "
        f"after FLUSHDB, {len(lost)} times. The statements of one minute ({len(minute_sql.seen)}) and of one "
        "`collect_people` were captured with SQLAlchemy events and run again under EXPLAIN ANALYZE, each in a "
        "transaction rolled back.",
        f"- Reproduce: `.venv/bin/python -m bench.tick{' --quick' if quick else ''}`.",
    ]
    return Section("Cron tick", rows, method, found(first, steady, plans, minute_sql, captured, attempts,
                                                     len(lost[-1][1])))


def found(first: list[MinuteTick], steady: list[MinuteTick], plans: list[Plan], minute_sql: Capture,
          captured: MinuteTick, attempts: list[float], ids: int) -> list[str]:
    ranked = sorted(plans, key=lambda p: p.ms, reverse=True)
    slowest = ranked[0]
    minute_slowest = max(plans[:len(minute_sql.seen)], key=lambda p: p.ms)
    out = [
        f"`cron.tick` is {statistics.median(t.tick for t in first) / statistics.median(t.total for t in first):.0%} "
        "of a minute's median: it only enqueues, asks Redis in one pipeline of EXISTS which of its job ids exist, "
        "and enqueues the new ones together in one MULTI/EXEC that WATCHes their ids (`queueing.enqueue_new`: "
        "four round trips however many). A full enqueue attempt for every id instead: for the "
        f"{ids} ids a steady tick finds taken here that alone takes {ms(statistics.median(attempts))} (median of "
        f"5) against {ms(statistics.median(t.tick for t in steady))} for the whole steady tick now.",
        f"One instrumented minute took {ms(captured.total)}, {ms(minute_sql.seconds)} of it in "
        f"{minute_sql.count} SQL statements (time on the engine); the rest is Python (ORM rows, job arguments) "
        "and Redis.",
        f"The slowest statement takes {slowest.ms:.1f} ms under EXPLAIN ANALYZE: `{short(slowest.statement)}`; "
        f"plan: {slowest.top}. The minute's own slowest: {minute_slowest.ms:.1f} ms "
        f"`{short(minute_slowest.statement, 80)}` ({minute_slowest.top.split(' → ')[-1]}). Told the previous "
        "pass's minute (kept in Redis), a minute reads only the window's new edge and the follow-ups changed "
        "since, so its cost follows a minute's news, not the rows near now nor the million.",
        "Next slowest: " + "; ".join(f"{p.ms:.1f} ms `{short(p.statement, 80)}` ({p.top.split(' → ')[-1]})"
                                     for p in ranked[1:4]) + f". {len(plans)} statements in all.",
    ]
    scans = [(p, s) for p in plans for s in p.large_scans]
    if scans:
        out.append("Sequential scans of large tables: " + "; ".join(
            f"{s} in `{short(p.statement, 90)}` ({p.ms:.1f} ms)" for p, s in scans)
            + ". These are the hourly `collect_people` statements (cadences and referrals have no index for "
              "their conditions, as `plugin/followups/notices.py` says); the per-minute statements all read index "
              "ranges.")
    else:
        out.append(f"No statement reads more than {LARGE_TABLE_ROWS:,} rows of a table sequentially.")
    return [f"{i}. {line}" for i, line in enumerate(out, 1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 % of the data, 8 repetitions")
    parser.add_argument("--rebuild", action="store_true", help="drop the data set and generate it again")
    args = parser.parse_args(argv)
    print("\n".join(run(quick=args.quick, rebuild=args.rebuild).markdown()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
