"""Scale-out: many tenants, each behind its own rate-limited ATS account, synced by 1, 2 and 4 workers sharing one
PostgreSQL database and one Redis: how long the cron tick takes to enqueue a sync per installation (aim: under 1 s),
syncs completed per minute, the time from the tick until every installation is fresh, and where the CPU went.

    python -m bench.scaleout [--quick] [--installations N]

The world: 500 tenants (50 with --quick), each with one Greenhouse installation, created through the product's
services (`tenants.add`, `installations.add`) in the PostgreSQL database brobygger_bench_scale. Every
installation has credentials of its own on one Greenhouse simulator process (`python -m connectors.simulators
greenhouse --accounts N`), which keeps a quota window per account at Greenhouse's documented 50 requests per 10 s,
over the same 30 candidates per account. Redis db 7.

Each worker count starts from the same state: a copy of that database (CREATE DATABASE … TEMPLATE), Redis flushed,
today's retention runs marked done (as on every tick after a day's first, so the workers run syncs only), a fresh
simulator and N `brobygger worker` processes. Then `plugin.cron.tick` runs in this process, as a worker runs it,
twice: the first tick enqueues every installation's first sync (reading and creating its 30 candidates); once all
are fresh, one candidate per account is edited and the tick of the next sync slot enqueues the steady, incremental
syncs. Fresh means the installation's sync run finished ok (polled in `sync_runs` every 250 ms). CPU seconds come
from /proc: each worker with its work horses (reaped children count in its own figures), the simulator, the
PostgreSQL and Redis servers (whole servers: other clients of them count too), this process, and the machine's
busy time, whose rest is other load. Last, with the workers stopped, the tick is timed alone and split into its
parts, to say what its time is made of.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from flask import Flask
from redis import Redis
from rq import Worker
from sqlalchemy import select, text

from bench.common import (
    ENCRYPTION_KEY,
    SECRET_KEY,
    admin_engine,
    database_name,
    database_url,
    ensure_database,
    free_port,
    p95,
    with_database,
)
from bench.section import Row, Section
from bench.sync import _children, _process, _wait_for
from connectors.simulators.greenhouse import account_credentials
from plugin import create_app, cron, migrate
from plugin.ats import installations
from plugin.extension import get_state
from plugin.models import SyncRun, Tenant
from plugin.privacy import retention
from plugin.tenancy import tenants

DATABASE, RUN_DATABASE = "brobygger_bench_scale", "brobygger_bench_scale_run"
REDIS_URL = "redis://127.0.0.1:6379/7"
INSTALLATIONS, QUICK_INSTALLATIONS = 500, 50
CANDIDATES = 30  # per account: a sync reads a page of each stream and upserts 30 people, not a token's worth
TOUCHED = 1  # candidates per account changed before the steady (incremental) syncs
QUOTA, WINDOW_SECONDS = 50, 10.0  # Greenhouse's documented Harvest quota, per account
WORKER_COUNTS = (1, 2, 4)
TICK_AIM_SECONDS = 1.0
POLL_SECONDS = 0.25
GIVE_UP_SECONDS, QUICK_GIVE_UP_SECONDS = 600.0, 120.0
BEND_EFFICIENCY = 0.5  # adding workers bought less than half the proportional gain: the curve bent
CPU_BOUND = 0.85  # the machine's cores this busy: CPU is what binds
LOADED = 0.2  # other processes took more than this share of the busy time: the run was disturbed
TICK_REPEATS = 3
LATENCY_SECONDS = 0.15  # an assumed answer time of a real ATS over the internet, for the sizing's second figure
CLOCK = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1


# --- CPU from /proc ---------------------------------------------------------------------------------------


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process, the children it reaped (cutime, cstime) and its live descendants."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    own = sum(int(value) for value in fields[11:15]) / CLOCK  # utime, stime, cutime, cstime
    return own + sum(tree_cpu(child) for child in _children(pid))


def machine_busy() -> float:
    """CPU seconds all cores spent on anything but idling since boot (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = values
    return (user + nice + system + irq + softirq + steal) / CLOCK


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def parent_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])
    except (OSError, IndexError, ValueError):
        return None


@dataclass
class Cpu:
    """CPU seconds over one run, by who spent them; None where the server is not on this machine."""

    workers: float
    postgres: float | None
    redis: float | None
    simulator: float
    bench: float
    busy: float  # the whole machine
    wall: float

    @property
    def product(self) -> float:
        """What the product's side costs: the workers and the servers they use (not the simulated ATS)."""
        return self.workers + (self.postgres or 0.0) + (self.redis or 0.0)

    @property
    def other(self) -> float:
        return max(0.0, self.busy - self.product - self.simulator - self.bench)

    @property
    def utilisation(self) -> float:
        return self.busy / (self.wall * CORES) if self.wall else 0.0


@dataclass
class Meter:
    """Where the processes of one run are, to read their CPU seconds before and after."""

    workers: list[int]
    simulator: int
    postgres: int | None
    redis: int | None

    def read(self) -> tuple[float, ...]:
        return (sum(tree_cpu(pid) for pid in self.workers),
                tree_cpu(self.postgres) if self.postgres else math.nan,
                tree_cpu(self.redis) if self.redis else math.nan,
                tree_cpu(self.simulator), own_cpu(), machine_busy(), time.monotonic())

    @staticmethod
    def spent(before: tuple[float, ...], after: tuple[float, ...]) -> Cpu:
        workers, postgres, redis, simulator, bench, busy, wall = (b - a for a, b in zip(before, after, strict=True))
        return Cpu(workers, None if math.isnan(postgres) else postgres, None if math.isnan(redis) else redis,
                   simulator, bench, busy, wall)


def server_pids(app: Flask) -> tuple[int | None, int | None]:
    """The PostgreSQL postmaster (parent of this connection's backend) and the Redis server, when local."""
    state = get_state(app)
    with state.engine.connect() as conn:
        backend = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    postmaster = parent_of(int(backend))
    redis_pid = int(state.redis.info("server")["process_id"])
    return postmaster, redis_pid if Path(f"/proc/{redis_pid}").exists() else None


# --- the world ----------------------------------------------------------------------------------------------


def _settings(url: str, instance: str) -> dict[str, str]:
    return {"BROBYGGER_DATABASE_URL": url, "BROBYGGER_REDIS_URL": REDIS_URL, "BROBYGGER_SECRET_KEY": SECRET_KEY,
            "BROBYGGER_ENCRYPTION_KEYS": ENCRYPTION_KEY, "BROBYGGER_BASE_URL": "http://brobygger.bench",
            "BROBYGGER_INSTANCE_PATH": instance}


def build_world(url: str, instance: str, simulator: str, count: int) -> float:
    """A fresh database with `count` tenants, each with one Greenhouse installation on an account of its own;
    returns the seconds it took."""
    started = time.perf_counter()
    ensure_database(url, drop=True)
    app = create_app(_settings(url, instance))
    state = get_state(app)
    migrate.upgrade(state.engine)
    with state.sessions() as session:
        for number in range(1, count + 1):
            tenant = tenants.add(session, state.vault, f"Scale-out tenant {number:04d}").tenant
            client_id, client_secret = account_credentials(number)
            installations.add(session, state.vault, tenant.id, vendor="greenhouse", base_url=f"{simulator}/v3",
                              credentials={"client_id": client_id, "client_secret": client_secret,
                                           "token_url": f"{simulator}/token"},
                              webhook_secret=f"scale-{number}")  # commits tenant and installation
    state.engine.dispose()  # a template database must have no connections when it is copied
    return time.perf_counter() - started


def copy_world(world: str, copy: str) -> None:
    admin = admin_engine(copy)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database_name(copy)}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{database_name(copy)}" TEMPLATE "{database_name(world)}"'))
    finally:
        admin.dispose()


def retention_done(app: Flask, now: datetime) -> None:
    """Today's retention runs marked done for every tenant, in one round trip: the tick then enqueues syncs and
    the minute's three small jobs only, as on every tick after a day's first."""
    state = get_state(app)
    with state.sessions() as session:
        tenant_ids = list(session.scalars(select(Tenant.id)))
    pipe = state.redis.pipeline(transaction=False)
    for tenant_id in tenant_ids:
        retention.mark_retention_done(pipe, tenant_id, f"{now:%Y%m%d}")  # type: ignore[arg-type]
    pipe.execute()


# --- one run ------------------------------------------------------------------------------------------------


@dataclass
class Measured:
    """One tick's syncs with one worker count: `phase` is "first" (each installation's first sync) or
    "steady" (the next sync slot's incremental syncs)."""

    phase: str
    workers: int
    tick_seconds: float
    tick_jobs: int
    syncs: int  # sync jobs the tick enqueued
    fresh_seconds: float  # tick start → the last sync run finished ok
    half_seconds: float  # tick start → half of them
    sync_seconds: list[float]  # each sync run, started → finished
    cpu: Cpu
    requests: int  # to the simulator, token requests included
    refused: int  # 429s
    busiest_window: int  # the most requests one account's quota window served

    @property
    def per_minute(self) -> float:
        return self.syncs / self.fresh_seconds * 60


def wait_for_workers(redis: Redis, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(Worker.all(connection=redis)) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{count} workers did not register within {timeout:.0f} s")
        time.sleep(0.1)


def wait_until_fresh(app: Flask, count: int, since: datetime, give_up: float, log: Callable[[str], None]) -> None:
    """Poll the sync runs started since the tick until `count` finished ok; a failed one or the time limit ends
    the run."""
    state = get_state(app)
    query = text("SELECT count(*) FILTER (WHERE status = 'ok'), count(*) FILTER (WHERE status = 'failed'), "
                 "min(error) FROM sync_runs WHERE started_at >= :since")
    started = reported = time.monotonic()
    while True:
        with state.engine.connect() as conn:
            ok, failed, error = conn.execute(query, {"since": since}).one()
        if failed:
            raise RuntimeError(f"{failed} syncs failed, e.g.: {error}")
        if ok >= count:
            return
        now = time.monotonic()
        if now - started > give_up:
            raise RuntimeError(f"only {ok} of {count} installations fresh after {give_up:.0f} s")
        if now - reported >= 15:
            log(f"    {ok} of {count} fresh after {now - started:.0f} s")
            reported = now
        time.sleep(POLL_SECONDS)


def finished_runs(app: Flask, since: datetime) -> tuple[list[float], list[float]]:
    """Seconds from `since` to the end of each ok sync run started after it, in order, and each one's duration."""
    with get_state(app).sessions() as session:
        rows = session.execute(select(SyncRun.started_at, SyncRun.finished_at).where(
            SyncRun.status == "ok", SyncRun.started_at >= since)).all()
    ends = sorted((finished - since).total_seconds() for _, finished in rows if finished)
    return ends, [(finished - begun).total_seconds() for begun, finished in rows if finished]


class SimulatorLog:
    """The simulator's control endpoints: its request log, and edits to its candidates."""

    def __init__(self, base: str) -> None:
        self.base = base

    def figures(self) -> tuple[int, int, int]:
        """(requests, 429s, the most requests one account's window served), then the log starts over."""
        summary = requests.get(f"{self.base}/_control/requests", timeout=60).json()
        requests.post(f"{self.base}/_control/requests/clear", timeout=60).raise_for_status()
        return (summary["requests"], summary["statuses"].get("429", 0),
                max((served for _, served in summary["windows"]), default=0))

    def touch(self, count: int) -> None:
        """Edit `count` candidates now: every account serves the same candidates, so each has that many changed."""
        requests.post(f"{self.base}/_control/touch", json={"count": count, "seed": 1}, timeout=60).raise_for_status()


@contextmanager
def stack(workers: int, port: int, count: int, env: dict[str, str], logs: Path) -> Iterator[Meter]:
    """The simulator with `count` accounts and `workers` worker processes, stopped on the way out."""
    simulator_args = [sys.executable, "-m", "connectors.simulators", "greenhouse", "--port", str(port),
                      "--candidates", str(CANDIDATES), "--accounts", str(count), "--rate-limit", str(QUOTA),
                      "--window", str(WINDOW_SECONDS)]
    worker_args = [str(Path(sys.executable).with_name("brobygger")), "worker", "--log-level", "warning"]
    with ExitStack() as processes:
        simulator_log = logs / "simulator.log"
        simulator = processes.enter_context(_process(simulator_args, simulator_log))
        started = [processes.enter_context(_process(worker_args, logs / f"worker-{n}.log", env))
                   for n in range(workers)]
        _wait_for(f"http://127.0.0.1:{port}/_control/requests", simulator, simulator_log)
        yield Meter([child.pid for child in started], simulator.pid, None, None)


@dataclass
class Run:
    """What one phase needs: the app on the run's database, its processes, the simulator, the time limit."""

    app: Flask
    meter: Meter
    simulator: SimulatorLog
    workers: int
    give_up: float
    log: Callable[[str], None]


def phase(run_: Run, name: str, now: datetime) -> Measured:
    """One tick at `now` (it names the sync slot), then the wait until every installation it enqueued is fresh."""
    retention_done(run_.app, now)
    since = datetime.now(UTC)
    before = run_.meter.read()
    with run_.app.app_context():
        tick_started = time.perf_counter()
        added = cron.tick(now)
        tick_seconds = time.perf_counter() - tick_started
    syncs = sum(job_id.startswith("sync-") for job_id in added)
    run_.log(f"  {_workers(run_.workers)}, {name} syncs: tick {tick_seconds * 1000:.0f} ms, {len(added)} jobs "
             f"({syncs} syncs)")
    wait_until_fresh(run_.app, syncs, since, run_.give_up, run_.log)
    spent = Meter.spent(before, run_.meter.read())
    asked, refused, busiest = run_.simulator.figures()
    ends, durations = finished_runs(run_.app, since)
    return Measured(name, run_.workers, tick_seconds, len(added), syncs, ends[-1], ends[len(ends) // 2], durations,
                    spent, asked, refused, busiest)


def measure(workers: int, world: str, port: int, count: int, interval: int, workdir: Path, give_up: float,
            log: Callable[[str], None]) -> tuple[Measured, Measured]:
    """From a fresh copy of the world: every installation's first sync, then the next slot's incremental one
    after one candidate per account changed."""
    url = with_database(world, RUN_DATABASE)
    copy_world(world, url)
    instance = str(workdir / "instance")
    app = create_app(_settings(url, instance))
    state = get_state(app)
    state.redis.flushdb()
    logs = workdir / f"logs-{workers}"
    logs.mkdir()
    try:
        with stack(workers, port, count, {**os.environ, **_settings(url, instance), "PYTHONUNBUFFERED": "1"},
                   logs) as meter:
            wait_for_workers(state.redis, workers)
            meter.postgres, meter.redis = server_pids(app)
            simulator = SimulatorLog(f"http://127.0.0.1:{port}")
            simulator.figures()  # the log starts with the first tick
            run_ = Run(app, meter, simulator, workers, give_up, log)
            now = datetime.now(UTC)
            first = phase(run_, "first", now)
            simulator.touch(TOUCHED)
            steady = phase(run_, "steady", now + timedelta(minutes=interval))
    finally:
        state.engine.dispose()
    return first, steady


@dataclass
class TickParts:
    """The tick with no worker running (medians of TICK_REPEATS): what its time is made of."""

    tick: float  # enqueueing everything, Redis empty of jobs
    retention: float  # retention_due alone: one Redis round trip per tenant
    repeat: float  # the same tick again, every job id taken
    jobs: int


def tick_alone(world: str, instance: str) -> TickParts:
    """Time the tick's parts on the last run's database with the workers stopped."""
    app = create_app(_settings(with_database(world, RUN_DATABASE), instance))
    state = get_state(app)
    ticks, retentions, repeats, jobs = [], [], [], 0
    try:
        for _ in range(TICK_REPEATS):
            state.redis.flushdb()
            now = datetime.now(UTC)
            retention_done(app, now)
            with app.app_context():
                with state.sessions() as session:
                    started = time.perf_counter()
                    retention.retention_due(session, state.redis, now)
                    retentions.append(time.perf_counter() - started)
                started = time.perf_counter()
                jobs = len(cron.tick(now))
                ticks.append(time.perf_counter() - started)
                started = time.perf_counter()
                cron.tick(now)
                repeats.append(time.perf_counter() - started)
        state.redis.flushdb()
    finally:
        state.engine.dispose()
    return TickParts(statistics.median(ticks), statistics.median(retentions), statistics.median(repeats), jobs)


def run(quick: bool = False, installations_count: int | None = None,
        log: Callable[[str], None] | None = None) -> Section:
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    count = installations_count or (QUICK_INSTALLATIONS if quick else INSTALLATIONS)
    world = with_database(database_url(), DATABASE)
    port = free_port()  # fixed for the whole bench: the installations store the simulator's URL
    with tempfile.TemporaryDirectory(prefix="brobygger-bench-scale-") as tmp:
        workdir = Path(tmp)
        built = build_world(world, str(workdir / "instance"), f"http://127.0.0.1:{port}", count)
        log(f"scale-out: {count} tenants with an installation each, built in {built:.1f} s")
        interval = sync_interval(world, str(workdir / "instance"))
        give_up = QUICK_GIVE_UP_SECONDS if quick else GIVE_UP_SECONDS
        measured = [measure(workers, world, port, count, interval, workdir, give_up, log) for workers in WORKER_COUNTS]
        alone = tick_alone(world, str(workdir / "instance"))
    return section([first for first, _ in measured], [steady for _, steady in measured], alone, count, built,
                   interval, quick)


def sync_interval(world: str, instance: str) -> int:
    """SYNC_INTERVAL_MINUTES as the product reads it (the default unless the environment sets it)."""
    app = create_app(_settings(world, instance))
    minutes = int(get_state(app).setting("SYNC_INTERVAL_MINUTES"))
    get_state(app).engine.dispose()
    return minutes


# --- figures ------------------------------------------------------------------------------------------------


def _seconds(value: float) -> str:
    return f"{value * 1000:,.0f} ms" if value < 1 else f"{value:,.1f} s"


def _workers(count: int) -> str:
    return f"{count} worker{'' if count == 1 else 's'}"


def _cpu(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def bend(runs: list[Measured]) -> tuple[Measured, Measured] | None:
    """The first step up in workers that bought less than half its proportional gain in syncs per minute."""
    for lower, upper in itertools.pairwise(runs):
        ideal = upper.workers / lower.workers - 1
        if (upper.per_minute / lower.per_minute - 1) < BEND_EFFICIENCY * ideal:
            return lower, upper
    return None


def why(m: Measured) -> str:
    """What held the run back, from its CPU figures and the simulator's log."""
    cpu = m.cpu
    shares = {"the workers": cpu.workers, "PostgreSQL": cpu.postgres or 0.0, "the simulator": cpu.simulator,
              "Redis": cpu.redis or 0.0, "other processes": cpu.other}
    split = ", ".join(f"{name} {seconds / cpu.busy:.0%}" for name, seconds in shares.items())
    if m.refused:
        return (f"the quota: {m.refused} requests were refused with 429 and waited out (cores {cpu.utilisation:.0%} "
                f"busy; {split})")
    if cpu.utilisation >= CPU_BOUND:
        biggest = max(shares, key=lambda name: shares[name])
        loaded = (f"; other load took {cpu.other / cpu.busy:.0%} of it, so this step's gain is understated"
                  if cpu.other / cpu.busy > LOADED else "")
        return f"CPU: the {CORES} cores were {cpu.utilisation:.0%} busy, most of it {biggest} ({split}){loaded}"
    return (f"neither CPU ({cpu.utilisation:.0%} of the {CORES} cores busy: {split}) nor the quota (no 429): the "
            "workers waited on PostgreSQL or on each other")


def curve(runs: list[Measured], what: str) -> str:
    first, last = runs[0], runs[-1]
    knee = bend(runs)
    if knee is None:
        return (f"- **{what}: no bend up to {last.workers} workers**: {first.per_minute:,.0f} → "
                f"{last.per_minute:,.0f} syncs/min ({last.per_minute / first.per_minute:.2f}x for {last.workers}x "
                f"the workers); at {last.workers}: {why(last)}.")
    lower, upper = knee
    return (f"- **{what}: the curve bends between {lower.workers} and {upper.workers} workers**: "
            f"{lower.per_minute:,.0f} → {upper.per_minute:,.0f} syncs/min ({upper.per_minute / lower.per_minute:.2f}x "
            f"for {upper.workers / lower.workers:g}x the workers). At {upper.workers}, {why(upper)}; at "
            f"{lower.workers}, cores {lower.cpu.utilisation:.0%} busy, other load "
            f"{lower.cpu.other / lower.cpu.busy:.0%} of it.")


@dataclass
class Sizing:
    needed: float  # syncs/min that keep 1,000 installations within the interval
    basis: Measured  # the last run before the bend
    per_worker: float  # syncs/min per worker there
    workers: int  # per 1,000 installations
    cpu_per_sync: float  # CPU-seconds of the workers, PostgreSQL and Redis per sync
    cores: float  # per 1,000 installations
    latency_workers: int  # per 1,000 installations when every request also waits LATENCY_SECONDS


def sizing(steady: list[Measured], interval: int) -> Sizing:
    """Workers per 1,000 installations for each to be synced within the sync interval, at the per-worker rate
    of the last steady run before the curve bent (its workers still had a core's worth of CPU each)."""
    knee = bend(steady)
    basis = knee[0] if knee else steady[-1]
    needed = 1000 / interval
    per_worker = basis.per_minute / basis.workers
    cpu_per_sync = basis.cpu.product / basis.syncs
    alone = steady[0]  # one worker: a sync's own time, without other workers' contention
    held = 60 / (alone.per_minute / alone.workers) + alone.requests / alone.syncs * LATENCY_SECONDS
    return Sizing(needed, basis, per_worker, math.ceil(needed / per_worker), cpu_per_sync,
                  needed / 60 * cpu_per_sync, math.ceil(needed * held / 60))


def table(runs: list[Measured]) -> list[str]:
    lines = ["| Syncs | Workers | Tick (jobs enqueued) | Syncs/min | All fresh after (half) | Sync run median (p95) | "
             "Requests/sync | Cores busy | CPU s: workers / PostgreSQL / Redis / simulator / other |",
             "|---|---|---|---|---|---|---|---|---|"]
    for m in runs:
        c = m.cpu
        lines.append(f"| {m.phase} | {m.workers} | {_seconds(m.tick_seconds)} ({m.tick_jobs}) | {m.per_minute:,.0f} | "
                     f"{_seconds(m.fresh_seconds)} ({_seconds(m.half_seconds)}) | "
                     f"{_seconds(statistics.median(m.sync_seconds))} ({_seconds(p95(m.sync_seconds))}) | "
                     f"{m.requests / m.syncs:.1f} | {c.utilisation:.0%} | {c.workers:,.0f} / {_cpu(c.postgres)} / "
                     f"{_cpu(c.redis)} / {c.simulator:,.0f} / {c.other:,.0f} |")
    return lines


def section(first: list[Measured], steady: list[Measured], alone: TickParts, count: int, built: float,
            interval: int, quick: bool) -> Section:
    everything = [*first, *steady]
    worst_tick = max(everything, key=lambda m: m.tick_seconds)
    rows = [Row("scale-out: tick enqueue", f"cron.tick enqueueing {count:,} syncs (slowest of {len(everything)} "
                "ticks)", f"{_seconds(worst_tick.tick_seconds)} ({worst_tick.phase} syncs, "
                f"{_workers(worst_tick.workers)} running)", f"< {TICK_AIM_SECONDS:g} s",
                worst_tick.tick_seconds < TICK_AIM_SECONDS)]
    rows += [Row(f"scale-out: {m.phase} syncs, {_workers(m.workers)}", f"syncs/min; tick → all {count:,} "
                 "installations fresh", f"{m.per_minute:,.0f} syncs/min; {_seconds(m.fresh_seconds)}",
                 f"all fresh ≤ {interval} min (the sync interval)" if m.phase == "steady" else "-",
                 m.fresh_seconds <= interval * 60 if m.phase == "steady" else None) for m in everything]
    method = [
        f"- World: {count:,} tenants with one Greenhouse installation each (built through the services in "
        f"{built:.0f} s), each on its own simulator account ({QUOTA} requests per {WINDOW_SECONDS:g} s per account, "
        f"{CANDIDATES} candidates); one simulator process; PostgreSQL database `{RUN_DATABASE}` copied afresh from "
        f"`{DATABASE}` for each worker count, Redis db 7 flushed. Today's retention runs are marked done so the "
        "workers run syncs only.",
        f"- Per worker count, two ticks: *first* enqueues every installation's first sync ({CANDIDATES} candidates "
        f"read and created); once all are fresh, {TOUCHED} candidate per account is edited and *steady* is the next "
        f"sync slot's tick ({interval} minutes on), whose incremental syncs read what changed and the vendor's "
        "reference lists from the Redis cache the first sync filled.",
        "- Tick: `plugin.cron.tick`, in the bench process, while the workers already take the first jobs. Fresh: "
        "the installation's sync run finished ok (`sync_runs`, polled every 250 ms). CPU seconds from /proc from "
        "the tick until all are fresh: workers with their work horses; PostgreSQL and Redis as whole servers; the "
        f"simulator; other = the machine's busy time less all of those and the bench process. {CORES} cores.",
        f"- Reproduce: `.venv/bin/python -m bench.scaleout{' --quick' if quick else ''}`.",
        "",
        *table(everything),
    ]
    return Section("Scale-out: many tenants, 1, 2 and 4 workers", rows, method,
                   found(first, steady, alone, count, interval))


def job_overhead(alone: Measured, what: str) -> str:
    """How much of a lone worker's time per sync the sync run itself was, and what the rest is."""
    per_sync = 60 / alone.per_minute
    run_ = statistics.median(alone.sync_seconds)
    return (f"- **Per job ({what} syncs)**: one worker alone finished a sync every {_seconds(per_sync)}; the sync run "
            f"itself (connector, reads, upserts, commits) took {_seconds(run_)} of it (median), the rest "
            f"({(per_sync - run_) / per_sync:.0%} of the time) is the job around it: RQ's dequeue and fork of a work "
            "horse, a new database connection, the sync lock and RQ's bookkeeping.")


def found(first: list[Measured], steady: list[Measured], alone: TickParts, count: int, interval: int) -> list[str]:
    size = sizing(steady, interval)
    everything = [*first, *steady]
    busiest = max(m.busiest_window for m in everything)
    refused = sum(m.refused for m in everything)
    worst_tick = max(m.tick_seconds for m in everything)
    fastest_first = max(first, key=lambda m: m.per_minute)
    return [
        curve(steady, "Steady syncs"),
        curve(first, "First syncs"),
        f"- **Sizing**: 1,000 installations each synced within the {interval}-minute interval take "
        f"{size.needed:.0f} syncs/min. At the {size.per_worker:,.0f} steady syncs/min per worker measured with "
        f"{_workers(size.basis.workers)} on these {CORES} cores, that is **{_workers(size.workers)} per 1,000 "
        f"installations**, and {size.cores:.2f} cores for the workers, PostgreSQL and Redis at "
        f"{size.cpu_per_sync:.2f} CPU-seconds a sync. Against a real ATS each request also waits on the network: at "
        f"{LATENCY_SECONDS * 1000:.0f} ms an answer (assumed, not measured) a steady sync holds its worker "
        f"{steady[0].requests / steady[0].syncs * LATENCY_SECONDS:.1f} s longer, and {size.latency_workers} "
        "workers per 1,000 installations keep up; those waits cost no CPU, so such workers may outnumber the cores. "
        f"Onboarding: first syncs ran at up to {fastest_first.per_minute:,.0f}/min here "
        f"({fastest_first.workers} workers), {1000 / fastest_first.per_minute:.1f} min for 1,000 new installations.",
        job_overhead(steady[0], "steady"),
        job_overhead(first[0], "first"),
        f"- **Quota**: the busiest account window served {busiest} of its {QUOTA} requests and {refused} were refused "
        "with 429 in all runs: each tenant's sync spends its own account's quota, so adding tenants adds quota with "
        "them.",
        f"- **Tick**: enqueueing {count:,} syncs took at most {_seconds(worst_tick)} "
        f"({'within' if worst_tick < TICK_AIM_SECONDS else 'over'} the {TICK_AIM_SECONDS:g} s aim) with the "
        f"workers busy beside it. With no worker running it takes {_seconds(alone.tick)} (median of {TICK_REPEATS}): "
        f"{_seconds(alone.retention)} to ask Redis, tenant by tenant, whether today's retention run is done, and "
        f"about {(alone.tick - alone.retention) / alone.jobs * 1000:.2f} ms per job enqueued ({alone.jobs}, each its "
        f"own round trips); the same tick again, every id taken, {_seconds(alone.repeat)}. Both parts grow "
        "linearly with tenants and installations" + (
            ", and what pushed it past the aim here was the CPU the workers took." if worst_tick >= TICK_AIM_SECONDS
            and alone.tick < TICK_AIM_SECONDS else "."),
        f"- Load: other processes on this shared machine used {sum(m.cpu.other for m in everything):,.0f} "
        f"CPU-seconds over the {sum(m.cpu.wall for m in everything):,.0f} s of the runs; PostgreSQL and Redis are "
        "counted as whole servers, so other clients' work on them counts there too.",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_INSTALLATIONS} installations instead of "
                        f"{INSTALLATIONS}")
    parser.add_argument("--installations", type=int, help="how many tenants, each with one installation")
    args = parser.parse_args(argv)
    if args.installations is not None and args.installations < 1:
        parser.error("--installations must be at least 1")
    print("\n".join(run(quick=args.quick, installations_count=args.installations).markdown()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
