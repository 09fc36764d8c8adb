"""Greenhouse sync under the vendor's rate limit, run by a real RQ worker: how much of the allowed request rate a
full sync of 100,000 candidates uses, what an incremental sync after 1 % of the candidates changed costs, and the
worker's peak memory meanwhile.

    .venv/bin/python -m bench.sync [--quick]

Setup: its own PostgreSQL database and Redis db 12 (both emptied first), the Greenhouse simulator in a process of
its own (`python -m connectors.simulators greenhouse`), `brobygger worker` in another; the sync job is enqueued as
the cron tick enqueues it. Figures come from the simulator's own request log (its /_control/requests endpoint),
memory from /proc of the worker and the work-horse RQ forks for the job.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from flask import Flask
from redis import Redis
from rq.job import Job, JobStatus
from sqlalchemy import create_engine, func, select, text

from bench.common import ENCRYPTION_KEY, SECRET_KEY, database_url, ensure_database, free_port, p95, with_database
from bench.section import Row, Section
from connectors.greenhouse import LOOKUP_PAGE, MAX_IDS, GreenhouseConnector
from connectors.simulators.dataset import Dataset, generate
from connectors.simulators.greenhouse import CLIENT_ID, CLIENT_SECRET
from plugin import create_app, migrate
from plugin.ats import installations
from plugin.ats.jobs import sync_installation
from plugin.cron import SYNC_TIMEOUT
from plugin.extension import get_state
from plugin.models import AtsApplication, Person, PersonLink, SyncRun
from plugin.queueing import enqueue_unique
from plugin.tenancy import tenants

DATABASE = "brobygger_bench_sync"
REDIS_URL = "redis://127.0.0.1:6379/12"
CANDIDATES, QUICK_CANDIDATES = 100_000, 10_000
SEED = 7  # the simulator's default seed: the bench's own copy of the dataset is the same one
TARGET_SECONDS = 60.0  # the quota is scaled so that a full sync at the allowed rate takes about this long
WINDOW_SECONDS = 10.0  # Greenhouse's documented Harvest window (shared ATS contracts: 50 requests per 10 s in v1)
LOOKUP_TABLES = 6  # jobs, job_interview_stages, sources, referrers, users, rejection_reasons: one page each here
ROUNDS = 5
CHANGED_SHARE = 0.01
BACKDATE = timedelta(minutes=10)  # a finished round's changes age past the sync's 5-minute look-back
MEMORY_AIM_MB = 250.0
EFFICIENCY_AIM = 0.95
SAMPLE_SECONDS = 0.1
ANALYZE_SECONDS = 30.0
ROOT = Path(__file__).resolve().parent.parent


# --- the request model -------------------------------------------------------------------------------------


def expected_requests(data: Dataset, page_size: int, candidates: set[int] | None = None) -> int:
    """Rate-limited requests a sync of these candidates makes: candidate pages, application pages, the stage history
    of each application page in batches of 50 ids, and one page per lookup table (the token is not metered)."""
    chosen = [c for c in data.candidates if not c.deleted and (candidates is None or c.id in candidates)]
    applications = sorted((a for c in chosen for a in c.applications), key=lambda a: -a.id)
    total = math.ceil(len(chosen) / page_size) + max(1, math.ceil(len(applications) / page_size)) + LOOKUP_TABLES
    for start in range(0, len(applications), page_size):
        page = applications[start:start + page_size]
        for batch in range(0, len(page), MAX_IDS):
            stages = sum(len(a.stages) for a in page[batch:batch + MAX_IDS])
            total += max(1, math.ceil(stages / LOOKUP_PAGE))
    return total


# --- processes ---------------------------------------------------------------------------------------------


def _settings(url: str, instance: str) -> dict[str, str]:
    """The bench app's and the worker's settings: the same database, Redis and keys (the worker decrypts the
    installation's credentials the bench stored)."""
    return {"BROBYGGER_DATABASE_URL": url, "BROBYGGER_REDIS_URL": REDIS_URL, "BROBYGGER_SECRET_KEY": SECRET_KEY,
            "BROBYGGER_ENCRYPTION_KEYS": ENCRYPTION_KEY, "BROBYGGER_BASE_URL": "http://brobygger.bench",
            "BROBYGGER_INSTANCE_PATH": instance}


@contextmanager
def _process(args: list[str], log: Path, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """A child in its own process group, stopped (group and all) when the block ends, and so are its children in
    groups of their own (an RQ work-horse starts its own session)."""
    with log.open("wb") as out:
        child = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
                                 start_new_session=True)
        try:
            yield child
        finally:
            offspring = _children(child.pid)
            try:
                os.killpg(child.pid, signal.SIGTERM)
                child.wait(timeout=20)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait(timeout=10)
            for pid in offspring:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def _wait_for(url: str, child: subprocess.Popen[bytes], log: Path, seconds: float = 120) -> None:
    """Until the simulator answers (it generates its dataset first)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(f"the simulator exited: {log.read_text()[-2000:]}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise RuntimeError(f"no answer from {url} in {seconds:.0f} s")


class _Simulator:
    """The simulator's control endpoints: its request log, and edits to its candidates."""

    def __init__(self, base: str) -> None:
        self.base = base

    def summary(self) -> dict[str, Any]:
        return requests.get(f"{self.base}/_control/requests", timeout=30).json()

    def clear(self) -> None:
        requests.post(f"{self.base}/_control/requests/clear", timeout=30).raise_for_status()

    def touch(self, candidate_ids: list[int], at: datetime) -> None:
        answer = requests.post(f"{self.base}/_control/touch", timeout=60,
                               json={"candidate_ids": candidate_ids, "at": at.isoformat()})
        answer.raise_for_status()


# --- memory ------------------------------------------------------------------------------------------------


def _proc_kb(pid: int, file: str, names: tuple[str, ...]) -> dict[str, int]:
    """kB fields of /proc/<pid>/status (VmRSS, VmHWM) or smaps_rollup (Pss); empty when the process is gone."""
    try:
        lines = Path(f"/proc/{pid}/{file}").read_text().splitlines()
    except OSError:
        return {}
    return {name: int(value.split()[0]) for name, _, value in (line.partition(":") for line in lines)
            if name in names}


def _memory(pid: int) -> dict[str, int]:
    return {**_proc_kb(pid, "status", ("VmRSS", "VmHWM")), **_proc_kb(pid, "smaps_rollup", ("Pss",))}


def _started_ticks(pid: int) -> int:
    """When a process started, in clock ticks since boot (field 22 of /proc/<pid>/stat); 0 when it is gone."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[19])
    except (OSError, IndexError, ValueError):
        return 0


def _ticks_now() -> int:
    return int(float(Path("/proc/uptime").read_text().split()[0]) * os.sysconf("SC_CLK_TCK"))


def _children(pid: int) -> list[int]:
    """A process's children, from /proc/<pid>/task/*/children."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


@dataclass
class MemorySampler:
    """Every 100 ms: the work-horse's RSS and own peak (VmHWM), and the proportional share (PSS, which counts the
    pages a fork shares with its parent once) of the worker and all its children together. The work-horse is the
    child RQ forks for the job: one started after sampling began (the worker's scheduler child is older)."""

    pid: int
    total_peak_kb: int = 0  # worker + scheduler + work-horse, PSS
    horse_peak_kb: int = 0
    horse_series: list[tuple[float, int]] = field(default_factory=list)  # (seconds since start, RSS kB)
    _since_ticks: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> MemorySampler:
        self._since_ticks = _ticks_now()
        self._thread = threading.Thread(target=self._run, name="memory-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        started = time.monotonic()
        while not self._stop.is_set():
            children = _children(self.pid)
            everyone = [_memory(pid) for pid in (self.pid, *children)]
            horses = [_memory(child) for child in children if _started_ticks(child) >= self._since_ticks]
            self.total_peak_kb = max(self.total_peak_kb, sum(m.get("Pss", 0) for m in everyone))
            self.horse_peak_kb = max([self.horse_peak_kb, *(h.get("VmHWM", 0) for h in horses)])
            if horses:
                self.horse_series.append((time.monotonic() - started, sum(h.get("VmRSS", 0) for h in horses)))
            self._stop.wait(SAMPLE_SECONDS)


@contextmanager
def _statistics_kept(url: str) -> Iterator[bool]:
    """ANALYZE the bench database every 30 s while the block runs when the server's autovacuum is off (yields
    whether it is), standing in for autovacuum's analyze: without statistics the planner takes the tenant filter
    for selective, scans every row of the tenant's on each lookup by e-mail or ATS id, and the sync slows down as
    its tables grow."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    stop = threading.Event()

    def analyze() -> None:
        while not stop.wait(ANALYZE_SECONDS):
            with engine.connect() as conn:
                conn.execute(text("ANALYZE"))

    thread = threading.Thread(target=analyze, name="analyze", daemon=True)
    try:
        with engine.connect() as conn:
            off = conn.execute(text("SHOW autovacuum")).scalar() == "off"
        if off:
            thread.start()
        yield off
    finally:
        stop.set()
        if thread.is_alive():
            thread.join(timeout=120)
        engine.dispose()


# --- one run -----------------------------------------------------------------------------------------------


def _run_job(app: Flask, installation_id: uuid.UUID, *, full: bool, log: Path) -> tuple[dict[str, int], float]:
    """Enqueue the sync as the cron tick does and wait for the worker to finish it."""
    state = get_state(app)
    job_id = f"bench-sync-{'full' if full else 'incremental'}-{uuid.uuid4().hex[:8]}"
    args = (str(installation_id), True) if full else (str(installation_id),)
    if not enqueue_unique(state.queue, sync_installation, *args, job_id=job_id, job_timeout=SYNC_TIMEOUT):
        raise RuntimeError(f"could not enqueue {job_id}")
    job = Job.fetch(job_id, connection=state.redis)
    while (status := job.get_status(refresh=True)) not in (JobStatus.FINISHED, JobStatus.FAILED,
                                                            JobStatus.STOPPED, JobStatus.CANCELED):
        time.sleep(0.2)
    if status != JobStatus.FINISHED:
        latest = job.latest_result()
        raise RuntimeError(f"the sync job ended {status}: {latest.exc_string if latest else 'no result'}\n"
                           f"worker log: {log.read_text()[-3000:]}")
    job.refresh()
    result = job.return_value()
    if not isinstance(result, dict):
        raise RuntimeError(f"the sync job did not sync: {result!r}")
    assert job.started_at is not None and job.ended_at is not None
    return result, (job.ended_at - job.started_at).total_seconds()


def _connect(app: Flask, base: str) -> tuple[uuid.UUID, uuid.UUID]:
    """A tenant with a Greenhouse installation pointing at the simulator: (tenant id, installation id)."""
    state = get_state(app)
    with state.sessions() as session:
        tenant = tenants.create(session, state.vault, "Brobygger sync bench").tenant
        installation = installations.add(
            session, state.vault, tenant.id, vendor="greenhouse", base_url=f"{base}/v3",
            credentials={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "token_url": f"{base}/token"},
            webhook_secret="bench-sync")
        return tenant.id, installation.id


def _database_counts(app: Flask, tenant_id: uuid.UUID, installation_id: uuid.UUID) -> dict[str, int]:
    with get_state(app).sessions() as session:
        def scalar(query: Any) -> int:
            return int(session.scalar(query) or 0)

        return {
            "people": scalar(select(func.count()).select_from(Person).where(Person.tenant_id == tenant_id)),
            "links": scalar(select(func.count()).select_from(PersonLink).where(
                PersonLink.installation_id == installation_id)),
            "linked_candidates": scalar(select(func.count(func.distinct(PersonLink.ats_id))).where(
                PersonLink.installation_id == installation_id)),
            "linked_people": scalar(select(func.count(func.distinct(PersonLink.person_id))).where(
                PersonLink.installation_id == installation_id)),
            "applications": scalar(select(func.count()).select_from(AtsApplication).where(
                AtsApplication.installation_id == installation_id)),
            "runs_ok": scalar(select(func.count()).select_from(SyncRun).where(
                SyncRun.installation_id == installation_id, SyncRun.status == "ok")),
        }

# --- figures -----------------------------------------------------------------------------------------------


@dataclass
class Windows:
    """The simulator's quota windows as its log numbers them (a window opens with the first request after the
    previous one ended): each one's first arrival and how many requests it served. A spent window served the whole
    quota, so the rate limit, not the worker, held the sync back; the time from its end to the next window's first
    request is what the client's pacing lost."""

    starts: list[float]
    served: list[int]
    window: float
    quota: int

    @classmethod
    def of(cls, summary: dict[str, Any], quota: int, window: float) -> Windows:
        return cls([start for start, _ in summary["windows"]], [served for _, served in summary["windows"]],
                   window, quota)

    def spent(self) -> list[int]:
        """Indexes of spent windows that another window followed. Not the first: it may have opened before the
        sync's first request (the simulator's first window opens when it starts), so its length is unknown."""
        return [i for i in range(1, len(self.starts) - 1) if self.served[i] >= self.quota]

    def pacing(self) -> float | None:
        """Requests served in spent windows ÷ what the quota allowed from their start to the next window's."""
        spent = self.spent()
        if not spent:
            return None
        held = sum(self.starts[i + 1] - self.starts[i] for i in spent)
        return sum(self.served[i] for i in spent) / held / (self.quota / self.window)

    def overshoots(self) -> list[float]:
        return [self.starts[i + 1] - self.starts[i] - self.window for i in self.spent()]


def efficiency(summary: dict[str, Any], quota: int, window: float) -> tuple[float, float]:
    """(the rate from the first to the last request ÷ the allowed rate, the same over whole windows only). The
    first window may have opened before the sync began and the last is cut short by its end; both flatter the
    first figure by up to a window's share each, so the second counts from the second window's opening to the
    last one's."""
    arrivals = summary["metered_ok_at"]
    if len(arrivals) < 2:
        return 0.0, 0.0
    allowed = quota / window
    overall = len(arrivals) / (arrivals[-1] - arrivals[0]) / allowed
    windows = Windows.of(summary, quota, window)
    if len(windows.starts) < 3:
        return overall, overall
    whole = sum(windows.served[1:-1]) / (windows.starts[-1] - windows.starts[1]) / allowed
    return overall, whole


def metered(summary: dict[str, Any]) -> int:
    """Requests that count against the quota: every one but the token endpoint's."""
    return summary["requests"] - summary["paths"].get("/token", 0)


def _mb(kb: int) -> float:
    return kb / 1024


@dataclass
class Round:
    changed: int
    planned: int
    requests: int
    failed: int
    seconds: float
    counts: dict[str, int]


@dataclass
class Measured:
    n: int
    applications: int
    page_size: int
    quota: int
    quota_given: bool  # set with --quota rather than scaled
    planned: int
    planned_largest_pages: int  # the same sync at v3's largest page
    generate_seconds: float
    full_counts: dict[str, int]
    full_seconds: float
    full: dict[str, Any]
    memory: MemorySampler
    after_full: dict[str, int]
    rounds: list[Round]
    after_rounds: dict[str, int]
    analyzed: bool  # the server's autovacuum was off, so the bench ran ANALYZE every 30 s


def run(quick: bool = False, quota: int | None = None) -> Section:
    """The full sync once, then the incremental rounds; `quota` (requests per window) overrides the scaled one."""
    n = QUICK_CANDIDATES if quick else CANDIDATES
    page_size = GreenhouseConnector.page_size
    built = time.perf_counter()
    data = generate(n, seed=SEED)
    generate_seconds = time.perf_counter() - built
    planned = expected_requests(data, page_size)
    quota_given = quota is not None
    quota = quota or max(1, math.ceil(planned * WINDOW_SECONDS / TARGET_SECONDS))
    url = with_database(database_url(), DATABASE)
    ensure_database(url, drop=True)
    Redis.from_url(REDIS_URL).flushdb()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    simulator_args = [sys.executable, "-m", "connectors.simulators", "greenhouse", "--port", str(port),
                      "--candidates", str(n), "--seed", str(SEED), "--rate-limit", str(quota),
                      "--window", str(WINDOW_SECONDS)]
    worker_args = [str(Path(sys.executable).with_name("brobygger")), "worker", "--log-level", "warning"]
    with tempfile.TemporaryDirectory(prefix="brobygger-bench-sync-") as workdir:
        settings = _settings(url, str(Path(workdir) / "instance"))
        app = create_app(settings)
        migrate.upgrade(get_state(app).engine)
        sim_log, worker_log = Path(workdir) / "simulator.log", Path(workdir) / "worker.log"
        with _process(simulator_args, sim_log) as simulator_process, \
                _process(worker_args, worker_log, {**os.environ, **settings}) as worker:
            _wait_for(f"{base}/_control/requests", simulator_process, sim_log)
            sim = _Simulator(base)
            tenant_id, installation_id = _connect(app, base)
            sim.clear()
            with _statistics_kept(url) as analyzed:
                with MemorySampler(worker.pid) as memory:
                    full_counts, full_seconds = _run_job(app, installation_id, full=True, log=worker_log)
                full = sim.summary()
                after_full = _database_counts(app, tenant_id, installation_id)
                rounds = _incremental_rounds(app, sim, data, installation_id, page_size, worker_log)
                after_rounds = _database_counts(app, tenant_id, installation_id)
        get_state(app).engine.dispose()
    return _section(quick, Measured(
        n=n, applications=sum(len(c.applications) for c in data.candidates), page_size=page_size, quota=quota,
        quota_given=quota_given, planned=planned, planned_largest_pages=expected_requests(data, LOOKUP_PAGE),
        generate_seconds=generate_seconds, full_counts=full_counts, full_seconds=full_seconds, full=full,
        memory=memory, after_full=after_full, rounds=rounds, after_rounds=after_rounds, analyzed=analyzed))


def _incremental_rounds(app: Flask, sim: _Simulator, data: Dataset, installation_id: uuid.UUID,
                        page_size: int, log: Path) -> list[Round]:
    """Each round edits a fresh 1 % of the candidates in the simulator, then runs the incremental sync; once done,
    the round's edits are dated back past the look-back, as they would be by the next sync 15 minutes later."""
    live = [c.id for c in data.candidates if not c.deleted]
    changed = max(1, round(len(live) * CHANGED_SHARE))
    pool = random.Random(SEED).sample(live, changed * ROUNDS)
    rounds = []
    for index in range(ROUNDS):
        ids = sorted(pool[index * changed:(index + 1) * changed])
        sim.touch(ids, datetime.now(UTC))
        sim.clear()
        counts, seconds = _run_job(app, installation_id, full=False, log=log)
        summary = sim.summary()
        rounds.append(Round(changed, expected_requests(data, page_size, set(ids)), metered(summary),
                            summary["failed"], seconds, counts))
        sim.touch(ids, datetime.now(UTC) - BACKDATE)
    return rounds


def _section(quick: bool, m: Measured) -> Section:
    rows = [*_full_rows(m), _incremental_row(m)]
    return Section("ATS sync (Greenhouse simulator, rate-limited)", rows, _method(quick, m), _found(m))


def _full_rows(m: Measured) -> list[Row]:
    arrivals = m.full["metered_ok_at"]
    overall, whole = efficiency(m.full, m.quota, WINDOW_SECONDS)
    windows = Windows.of(m.full, m.quota, WINDOW_SECONDS)
    pacing = windows.pacing()
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else 0.0
    after = m.after_full
    verified = (after["people"] == m.n and after["linked_candidates"] == m.n == after["links"]
                and after["linked_people"] == m.n and after["applications"] == m.applications
                and after["runs_ok"] == 1)
    no_failures = m.full["failed"] == 0
    scale = f"{m.n:,} candidates, {m.applications:,} applications"
    horse_mb, total_mb = _mb(m.memory.horse_peak_kb), _mb(m.memory.total_peak_kb)
    records = m.full_counts.get("records", 0)
    pacing_text = "no window was spent" if pacing is None else (
        f"{pacing:.3f} over {len(windows.spent())} spent windows, median "
        f"{statistics.median(windows.overshoots()) * 1000:.0f} ms idle after each")
    return [
        Row("full sync: rate-limit efficiency", f"requests/s achieved ÷ allowed ({scale}; 1 run)",
            f"{overall:.3f} ({len(arrivals):,} requests in {span:.0f} s at {m.quota}/{WINDOW_SECONDS:g} s; whole "
            f"windows only {whole:.3f}; {m.full['statuses'].get('429', 0)} refused with 429, "
            f"{m.full['failed']} failed)", f"≥ {EFFICIENCY_AIM}, 0 failed", overall >= EFFICIENCY_AIM and no_failures),
        Row("full sync: client pacing while the quota binds", "requests ÷ allowed in spent windows (start to "
            "next window's first request)", pacing_text, f"≥ {EFFICIENCY_AIM}",
            None if pacing is None else pacing >= EFFICIENCY_AIM),
        Row("full sync: throughput and result", "records/s of the worker; database vs simulator",
            f"{records / m.full_seconds:,.0f} records/s ({records:,} records, job {m.full_seconds:.0f} s); "
            f"{after['people']:,} people, {after['linked_candidates']:,} candidates linked, "
            f"{after['applications']:,} applications", f"= {m.n:,} people, no duplicates, run ok", verified),
        Row("full sync: worker peak memory", "peak RSS of the RQ work-horse running the sync (VmHWM)",
            f"{horse_mb:.0f} MB (worker, its scheduler and the work-horse together, PSS: {total_mb:.0f} MB; "
            f"work-horse peak RSS in the sync's second half vs its first {_growth_mb(m.memory.horse_series):+.0f} MB)",
            f"< {MEMORY_AIM_MB:g} MB", horse_mb < MEMORY_AIM_MB),
    ]


def _incremental_row(m: Measured) -> Row:
    made = [r.requests for r in m.rounds]
    times = [r.seconds for r in m.rounds]
    updated = ", ".join(str(r.counts.get("people_updated")) for r in m.rounds)
    cap = 2 * CHANGED_SHARE * metered(m.full) + LOOKUP_TABLES
    ok = all(r.failed == 0 and r.counts.get("people_updated") == r.changed for r in m.rounds) and (
        statistics.median(made) <= cap) and m.after_rounds["people"] == m.n
    return Row("incremental sync after 1 % changed", f"rate-limited requests (median, p95 of {len(m.rounds)} rounds)",
               f"{statistics.median(made):.0f} (p95 {p95(made):.0f}) for {m.rounds[0].changed:,} changed "
               f"candidates vs {metered(m.full):,} for the full sync; {statistics.median(times):.1f} s "
               f"(p95 {p95(times):.1f} s); people updated per round {updated}",
               f"≤ twice 1 % of the full sync's requests + {LOOKUP_TABLES} lookups (≤ {cap:.0f})", ok)


def _method(quick: bool, m: Measured) -> list[str]:
    return [
        f"- Setup: {m.n:,} candidates and {m.applications:,} applications (seed {SEED}, generated in "
        f"{m.generate_seconds:.1f} s) served by the Greenhouse simulator in its own process with a fixed window of "
        f"{m.quota} requests per {WINDOW_SECONDS:g} s: Greenhouse's documented window, "
        + ("the quota given with `--quota`. " if m.quota_given else
           f"the quota scaled from the {m.planned:,} requests a full sync needs so that it would take about "
           f"{TARGET_SECONDS:.0f} s at the allowed rate. ")
        + f"PostgreSQL database `{DATABASE}`, Redis db 12, one `brobygger worker` running `sync_installation` "
        f"enqueued as the cron tick enqueues it; {m.page_size} records per page.",
        "- Requests, 429s, failures and the moment each request was counted against the quota come from the "
        "simulator's own log; efficiency = (successful rate-limited requests ÷ (last - first such moment)) ÷ "
        "(quota ÷ window). Memory: /proc VmHWM of the "
        "work-horse RQ forks for the job, and PSS of the worker and its children, every 100 ms.",
        *(["- Autovacuum is off on this PostgreSQL server, so the bench runs ANALYZE every "
           f"{ANALYZE_SECONDS:.0f} s in its place: without statistics each lookup by e-mail or ATS id scans all of "
           "the tenant's rows and the sync slows down as its tables grow."] if m.analyzed else []),
        f"- Repetitions: the full sync runs once per benchmark run (it is the expensive part); then {len(m.rounds)} "
        f"incremental rounds, each after {m.rounds[0].changed:,} fresh candidates were edited in the simulator; a "
        "finished round's edits are dated 10 minutes back, as if the next sync came a quarter of an hour later, so "
        "the 5-minute look-back does not read them again.",
        f"- Reproduce: `.venv/bin/python -m bench.sync{' --quick' if quick else ''}"
        f"{f' --quota {m.quota}' if m.quota_given else ''}` (`--quota N` sets the requests per window, e.g. 50 as "
        "Greenhouse documents).",
    ]


def _found(m: Measured) -> list[str]:
    paths = ", ".join(f"{path.rsplit('/', 1)[-1]} {count}" for path, count in
                      sorted(m.full["paths"].items(), key=lambda item: -item[1]))
    answer = m.full["answer_seconds"]
    records = m.full_counts.get("records", 0)
    rate = records / m.full_seconds if m.full_seconds else 0.0
    at_greenhouse = metered(m.full) / (50 / WINDOW_SECONDS)
    windows = Windows.of(m.full, m.quota, WINDOW_SECONDS)
    return [
        f"- The full sync made {metered(m.full):,} rate-limited requests ({paths}; the token request is not "
        f"rate-limited); the request model predicted "
        f"{m.planned:,}. The stage history (one request per {MAX_IDS} applications, v3's cap on an id list) is most "
        f"of them. At v3's largest page ({LOOKUP_PAGE}) instead of {m.page_size}, the model gives "
        f"{m.planned_largest_pages:,} requests ({1 - m.planned_largest_pages / m.planned:.0%} fewer).",
        f"- {len(windows.spent())} of {len(windows.starts)} quota windows were spent (the quota held the sync "
        f"back); in the rest the worker, writing {rate:,.0f} records/s to PostgreSQL, was slower than the quota "
        f"allowed. At Greenhouse's documented 50 requests per 10 s the same sync needs at least "
        f"{at_greenhouse / 60:.1f} min of quota; this run's job took {m.full_seconds / 60:.1f} min.",
        f"- Simulator answer time per successful request: median {answer['median'] * 1000:.1f} ms, "
        f"p95 {answer['p95'] * 1000:.1f} ms: the simulator is not the bottleneck.",
        "- Incremental rounds: " + "; ".join(
            f"{r.requests} requests (model {r.planned}), {r.counts.get('records')} records, {r.seconds:.1f} s"
            for r in m.rounds) + ".",
    ]


def _growth_mb(series: list[tuple[float, int]]) -> float:
    """The highest RSS of the second half minus that of the first: streaming pages keep it near zero. (Peaks, not
    the last sample: a process's RSS falls while it exits.)"""
    if len(series) < 4:
        return 0.0
    middle = len(series) // 2
    return _mb(max(rss for _, rss in series[middle:]) - max(rss for _, rss in series[:middle]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_CANDIDATES:,} candidates instead of {CANDIDATES:,}, the quota scaled alike")
    parser.add_argument("--quota", type=int, help="requests per 10-second window instead of the scaled quota")
    args = parser.parse_args(argv)
    if args.quota is not None and args.quota < 1:
        parser.error("--quota must be a positive number of requests")
    print("\n".join(run(quick=args.quick, quota=args.quota).markdown()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
