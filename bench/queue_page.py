"""The follow-up queue page for a recruiter with 10,000 open follow-ups (aim: median under 25 ms).

Its own PostgreSQL database (brobygger_bench_queue, next to BROBYGGER_BENCH_DATABASE_URL) and Redis database
(BROBYGGER_BENCH_REDIS_URL, else 127.0.0.1:6379/8). One tenant: the bench recruiter's 10,000 open follow-ups
fill every section (overdue over 18 months, today, the rest of the week and the next working day, later),
with 500 snoozed ones (some waking up), 1,000 of their people losing touch, 20,000 done or cancelled
follow-ups of theirs and 40,000 of nine colleagues beside them, and a touch for each person; all dates
relative to the moment of generation (a reused data set keeps growing its overdue section).

Timed through the Flask test client, signed in by a real sign-in link, after warm-up requests: GET /queue
(five sections of 25 rows, their totals, the filter lists), and the script's round trip of `d` then `u`
(POST …/done and POST …/undo with `Accept: application/json`). The statements of one page are captured and
run again under EXPLAIN ANALYZE to find sequential scans of large tables.

    python -m bench.queue_page [--quick] [--rebuild]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, insert, select, text

from bench.common import ENCRYPTION_KEY, SECRET_KEY, database_url, ensure_database, p95, read_marker, with_database
from bench.section import Row, Section
from bench.tick import Capture, explain, short
from plugin import create_app, migrate
from plugin.db import make_engine
from plugin.extension import get_state
from plugin.login import links
from plugin.models import Cadence, FollowUp, FollowUpStatus, Person, Recruiter, Touchpoint, TouchpointKind
from plugin.tenancy import tenants

AIM_MS = 25
WARMUP = 5
DATA_VERSION = 1  # raised whenever the generated data changes: an older data set is rebuilt
REDIS_URL = os.environ.get("BROBYGGER_BENCH_REDIS_URL") or "redis://127.0.0.1:6379/8"
FULL = {"open": 10_000, "snoozed": 500, "losing_touch": 1_000, "history": 20_000, "colleagues": 40_000}
COLLEAGUES = 9
BATCH = 5_000


def counts(quick: bool) -> dict[str, int]:
    return {k: v // 10 for k, v in FULL.items()} if quick else dict(FULL)


def make_app(url: str) -> Flask:
    return create_app({
        "INSTANCE_PATH": os.path.join(tempfile.gettempdir(), "brobygger-bench-queue-instance"),
        "BROBYGGER_DATABASE_URL": url,
        "BROBYGGER_REDIS_URL": REDIS_URL,
        "BROBYGGER_SECRET_KEY": SECRET_KEY,
        "BROBYGGER_ENCRYPTION_KEYS": ENCRYPTION_KEY,
        "BROBYGGER_BASE_URL": "http://brobygger.bench",
    })


# --- the data ------------------------------------------------------------------------------------------------

def _due(i: int, total: int, now: datetime) -> datetime:
    """The i-th open follow-up's due time: 60 % overdue (up to 18 months), 3 % today, 7 % over the next four
    days (the rest of the week, or the next working day), the rest up to six months ahead."""
    share = i / total
    if share < 0.60:
        return now - timedelta(days=1 + (i * 548) // int(total * 0.60), minutes=i % 600)
    if share < 0.63:
        return now + timedelta(minutes=(i % 50) - 25)
    if share < 0.70:
        return now + timedelta(days=1 + i % 4, minutes=i % 300)
    return now + timedelta(days=5 + i % 180)


def _rows(session: Any, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        session.execute(insert(model), rows[start:start + BATCH])


def generate(app: Flask, n: dict[str, int], log: Callable[[str], None]) -> dict[str, Any]:
    state = get_state(app)
    started = time.perf_counter()
    now = datetime.now(UTC)
    with state.sessions() as session:
        tenant_id = tenants.create(session, state.vault, "Queue bench tenant").tenant.id
        recruiters = [Recruiter(id=uuid.uuid4(), tenant_id=tenant_id, email=f"r{i}@queue-bench.example",
                                name=f"Recruiter {i}", time_zone="Europe/Oslo") for i in range(COLLEAGUES + 1)]
        session.add_all(recruiters)
        session.commit()
        me, others = recruiters[0].id, [r.id for r in recruiters[1:]]

        people: list[dict[str, Any]] = []
        followups: list[dict[str, Any]] = []
        touches: list[dict[str, Any]] = []
        cadences: list[dict[str, Any]] = []

        def person(owner: uuid.UUID, i: int) -> uuid.UUID:
            pid = uuid.uuid4()
            people.append({"id": pid, "tenant_id": tenant_id, "first_name": f"Ola{i}", "last_name": "Bench",
                           "owner_id": owner, "name_key": f"ola{i} bench", "last_name_key": "bench"})
            touches.append({"id": uuid.uuid4(), "tenant_id": tenant_id, "person_id": pid, "recruiter_id": owner,
                            "kind": TouchpointKind.CALL, "occurred_at": now - timedelta(days=30 + i % 400)})
            return pid

        def followup(owner: uuid.UUID, pid: uuid.UUID, i: int, due: datetime, status: FollowUpStatus,
                     **extra: Any) -> None:
            followups.append({"id": uuid.uuid4(), "tenant_id": tenant_id, "person_id": pid, "owner_id": owner,
                              "reason": f"Ask about the platform team ({i})", "due_at": due, "status": status,
                              **extra})

        for i in range(n["open"]):
            followup(me, person(me, i), i, _due(i, n["open"], now), FollowUpStatus.OPEN)
        for i in range(n["snoozed"]):
            until = now + timedelta(days=1 + i % 30, minutes=i)
            followup(me, person(me, n["open"] + i), i, until, FollowUpStatus.SNOOZED, snoozed_until=until)
        mine = [p["id"] for p in people]
        for i in range(n["losing_touch"]):
            pid = person(me, len(mine) + i)
            cadences.append({"id": uuid.uuid4(), "tenant_id": tenant_id, "person_id": pid, "ideal_days": 90,
                             "max_days": 180, "last_touch_at": now - timedelta(days=181 + i % 300), "status": "active"})
        for i in range(n["history"]):
            status = FollowUpStatus.DONE if i % 5 else FollowUpStatus.CANCELLED
            followup(me, mine[i % len(mine)], i, now - timedelta(days=1 + i % 548), status,
                     completed_at=now - timedelta(days=i % 548) if status == FollowUpStatus.DONE else None)
        for i in range(n["colleagues"]):
            owner = others[i % len(others)]
            pid = person(owner, 100_000 + i) if i % 4 == 0 else people[-1]["id"]
            status = (FollowUpStatus.OPEN, FollowUpStatus.DONE, FollowUpStatus.DONE, FollowUpStatus.SNOOZED)[i % 4]
            due = now + timedelta(days=(i % 720) - 360)
            followup(owner, pid, i, due, status, **({"snoozed_until": due} if status == FollowUpStatus.SNOOZED else {}))
        log(f"inserting {len(people):,} people, {len(followups):,} follow-ups, {len(touches):,} touches, "
            f"{len(cadences):,} cadences")
        _rows(session, Person, people)
        _rows(session, Touchpoint, touches)
        _rows(session, Cadence, cadences)
        _rows(session, FollowUp, followups)
        session.commit()
        open_mine = session.scalar(select(func.count()).select_from(FollowUp).where(
            FollowUp.owner_id == me, FollowUp.status == FollowUpStatus.OPEN))
    with state.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    facts = {"version": DATA_VERSION, "counts": n, "tenant_id": str(tenant_id), "recruiter_id": str(me),
             "generated_at": now.isoformat(), "open_mine": open_mine, "people": len(people),
             "followups": len(followups), "build_seconds": round(time.perf_counter() - started, 1)}
    with state.engine.begin() as conn:
        read_marker(conn)
        conn.execute(text("INSERT INTO bench_marker (key, value) VALUES ('queue', CAST(:v AS jsonb)) "
                          "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"),
                     {"v": json.dumps(facts)})
    return facts


def marker(app: Flask) -> dict[str, Any] | None:
    with get_state(app).engine.begin() as conn:
        read_marker(conn)  # creates the marker table when missing
        row = conn.execute(text("SELECT value FROM bench_marker WHERE key = 'queue'")).first()
        return row[0] if row else None


def prepare(quick: bool, rebuild: bool, log: Callable[[str], None]) -> tuple[Flask, dict[str, Any]]:
    url = with_database(database_url(), "brobygger_bench_queue_quick" if quick else "brobygger_bench_queue")
    wanted = counts(quick)
    for attempt in range(2):
        ensure_database(url, drop=rebuild or attempt == 1)
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        app = make_app(url)
        facts = marker(app)
        if facts is not None and facts.get("version") == DATA_VERSION and facts["counts"] == wanted:
            return app, facts
        with get_state(app).engine.connect() as conn:
            empty = not conn.execute(text("SELECT count(*) FROM tenants")).scalar()
        if empty:
            facts = generate(app, wanted, log)
            log(f"built in {facts['build_seconds']} s")
            return app, facts
        get_state(app).engine.dispose()  # an older or differently sized data set: start over once
    raise RuntimeError("could not build the queue bench data set")


# --- the run ---------------------------------------------------------------------------------------------------

def ms(seconds: float) -> str:
    value = seconds * 1000
    return f"{value:,.0f} ms" if value >= 100 else f"{value:.1f} ms"


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def signed_in(app: Flask, recruiter_id: str) -> FlaskClient:
    state = get_state(app)
    client = app.test_client()
    with state.sessions() as session:
        token = links.make_token(state.setting("SECRET_KEY"), session.get(Recruiter, uuid.UUID(recruiter_id)), "mail")
    assert client.get(f"/login/{token}").status_code == 302
    return client


def csrf_token(client: FlaskClient) -> str:
    with client.session_transaction() as session:
        return str(session["brobygger_csrf"])


def run(quick: bool = False, rebuild: bool = False, log: Callable[[str], None] | None = None) -> Section:
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    app, facts = prepare(quick, rebuild, log)
    state = get_state(app)
    state.redis.flushdb()  # this benchmark's own Redis database: used sign-in links, undo records
    repetitions = 10 if quick else 40
    client = signed_in(app, facts["recruiter_id"])

    cpu: list[float] = []

    def page() -> float:
        holder: dict[str, Any] = {}
        started = time.process_time()
        seconds = timed(lambda: holder.setdefault("r", client.get("/queue")))
        cpu.append(time.process_time() - started)
        assert holder["r"].status_code == 200, holder["r"].status_code
        return seconds

    for _ in range(WARMUP):
        page()
    cpu.clear()
    load = os.getloadavg()[0]
    pages = [page() for _ in range(repetitions)]
    cpu_median = statistics.median(cpu)
    with Capture(state.engine) as sql:
        page()
    plans = explain(app, sql.seen)

    token = csrf_token(client)
    with state.sessions() as session:
        target = session.scalar(select(FollowUp.id).where(
            FollowUp.owner_id == uuid.UUID(facts["recruiter_id"]), FollowUp.status == FollowUpStatus.OPEN)
            .order_by(FollowUp.due_at).limit(1))

    def round_trip() -> float:
        def both() -> None:
            for action in ("done", "undo"):
                answer = client.post(f"/queue/{target}/{action}", data={"csrf_token": token},
                                     headers={"Accept": "application/json"})
                assert answer.status_code == 200, (action, answer.status_code, answer.get_data(as_text=True))
        return timed(both)

    for _ in range(2):
        round_trip()
    trips = [round_trip() for _ in range(repetitions)]
    with state.engine.connect() as conn:
        pg = conn.execute(text("SHOW server_version")).scalar()
    state.engine.dispose()
    return section(facts, quick, pages, trips, sql, plans, str(pg), cpu_median, load)


def section(facts: dict[str, Any], quick: bool, pages: list[float], trips: list[float], sql: Capture,
            plans: list[Any], pg: str, cpu: float, load: float) -> Section:
    n = facts["counts"]
    median = statistics.median(pages) * 1000
    rows = [
        Row(f"queue for a recruiter with {facts['open_mine']:,} open follow-ups", f"median ms of GET /queue "
            f"({len(pages)} requests)", f"median {ms(median / 1000)}, p95 {ms(p95(pages))}",
            f"median < {AIM_MS} ms", median < AIM_MS),
        Row("queue: done then undo from the keyboard", f"POST …/done + POST …/undo as the script sends them "
            f"({len(trips)} pairs)", f"median {ms(statistics.median(trips))}, p95 {ms(p95(trips))}", "-", None),
    ]
    method = [
        f"- Data: {facts['open_mine']:,} open follow-ups of the bench recruiter in every section, "
        f"{n['snoozed']:,} snoozed, {n['losing_touch']:,} people losing touch, {n['history']:,} done or cancelled, "
        f"{n['colleagues']:,} follow-ups of {COLLEAGUES} colleagues; {facts['people']:,} people, a touch each "
        f"(built in {facts['build_seconds']} s on {facts['generated_at'][:10]}, reused until `--rebuild`). "
        f"PostgreSQL {pg}, one process on a shared 2-core machine.",
        f"- Flask test client, signed in by a real sign-in link; {WARMUP} warm-up requests, then {len(pages)} "
        f"timed (time.perf_counter around each; the app process's own CPU time, a figure other load on the machine "
        f"hardly moves, was {ms(cpu)} at the median; load average {load:.1f} as the timing began). Done-then-undo "
        "uses one open follow-up over and over (the undo takes back the touch and the cadence reset the "
        "completion made).",
        f"- Reproduce: `.venv/bin/python -m bench.queue_page{' --quick' if quick else ''}`.",
    ]
    ranked = sorted(plans, key=lambda p: p.ms, reverse=True)
    scans = [f"{s} in `{short(p.statement, 90)}`" for p in plans for s in p.large_scans]
    found = [
        f"One page sends {sql.count} statements ({ms(sql.seconds)} on the engine); their number does not grow "
        "with the rows shown (no N+1: tests/followups/test_queue_page.py counts them).",
        f"Slowest under EXPLAIN ANALYZE: {ranked[0].ms:.1f} ms `{short(ranked[0].statement, 100)}` "
        f"({ranked[0].top}).",
        "Every statement under EXPLAIN ANALYZE, slowest first: "
        + "; ".join(f"{p.ms:.1f} ms `{short(p.statement, 60)}`" for p in ranked) + ".",
        ("Sequential scans of large tables: " + "; ".join(scans)) if scans else
        "No statement reads a large table sequentially.",
    ]
    return Section("Queue page", rows, method, found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the data, 10 repetitions")
    parser.add_argument("--rebuild", action="store_true", help="drop the data set and generate it again")
    args = parser.parse_args(argv)
    print("\n".join(run(quick=args.quick, rebuild=args.rebuild).markdown()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
