"""Webhook ingest throughput under gunicorn: signed Greenhouse deliveries (verify, dedupe, store, enqueue) against
a bare endpoint on the same server, both driven from 127.0.0.1 by a load generator written for it.

    python -m bench.ingest [--quick]

Setup: the PostgreSQL database `brobygger_bench_ingest` (dropped and migrated), Redis db 11 (flushed), one tenant
with a Greenhouse installation. gunicorn serves `bench.wsgi:create_app()` with the options `brobygger run` uses
(plugin/supervisor.py); no RQ worker runs, so the figure is intake alone. Every request is built, signed and
encoded before the clock starts; the generator then keeps a fixed number of HTTP/1.1 connections busy from one
process (a selector loop over raw sockets), timing each request from its first byte sent to its last byte read.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import math
import os
import pstats
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from flask import Flask
from redis import Redis
from rq import Queue
from sqlalchemy import Engine, event, select, text

from bench.common import ENCRYPTION_KEY, SECRET_KEY, database_url, ensure_database, free_port, with_database
from bench.section import Row, Section
from bench.wsgi import BARE_PATH
from connectors.simulators.dataset import generate
from connectors.simulators.greenhouse import webhook_delivery
from plugin import create_app, migrate
from plugin.ats import installations
from plugin.config import SETTINGS
from plugin.extension import get_state
from plugin.models import WebhookDelivery
from plugin.supervisor import gunicorn_command
from plugin.tenancy import tenants

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "brobygger_bench_ingest"
REDIS_URL = "redis://127.0.0.1:6379/11"
WEBHOOK_SECRET = "whsec-bench-ingest"
RUNS = 5
REQUESTS = {False: 4000, True: 600}  # per run, by --quick
WARMUP = 300
CONNECTIONS = 16  # twice the server's threads (2 processes x 4), so no thread waits for the generator
# High enough that the bench never reaches it, so the limiter counts every request but never refuses one; see
# `limit_probe` for what the default does to this load.
RATE_LIMIT = 10_000_000
ACTIONS = ("update_candidate", "reject_candidate", "candidate_stage_change", "hire_candidate")
AIM_RATE, AIM_SHARE = 1000, 0.3
AIM_DATABASE_ROUND_TRIPS, AIM_REDIS_ROUND_TRIPS = 2, 1  # per accepted delivery
PROBE_MARGIN = 20  # seconds the rate-limit probe wants left in its window
DEFAULT_RATE_LIMIT = next(s.default for s in SETTINGS if s.name == "RATE_LIMIT_WEBHOOKS")


@dataclass
class Run:
    """One timed pass over a fixed list of requests."""

    label: str
    seconds: float
    latencies: list[float]
    statuses: Counter[int]
    generator_cpu: float  # CPU seconds the generator itself spent
    worker_cpu: list[float] = field(default_factory=list)  # CPU seconds of each gunicorn worker
    database_cpu: float = 0.0  # CPU seconds of the PostgreSQL backends serving the bench database
    redis_cpu: float = 0.0  # CPU seconds of the Redis server (shared with whatever else uses it)

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    @property
    def failures(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != 200)


@dataclass
class Target:
    url: str
    installation_id: uuid.UUID
    probe_installation_id: uuid.UUID


# --- the load generator -------------------------------------------------------------------------------------

def http_request(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", *(f"{k}: {v}" for k, v in headers.items()),
             f"Content-Length: {len(body)}", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


def parse_response(buffer: bytearray) -> tuple[int, int, bool] | None:
    """(status, bytes the response takes, server closes) once `buffer` holds a whole response, else None."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[:end]).decode("latin-1").split("\r\n")
    status, length, close = int(head[0].split(" ", 2)[1]), 0, False
    for line in head[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection":
            close = value.strip().lower() == "close"
        elif name == "transfer-encoding":
            raise ValueError("chunked responses are not expected from these endpoints")
    total = end + 4 + length
    return (status, total, close) if len(buffer) >= total else None


class _Connection:
    def __init__(self, address: tuple[str, int]) -> None:
        self.sock = socket.create_connection(address)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = bytearray()
        self.index = -1
        self.sent_at = 0.0


def drive(address: tuple[str, int], requests: Sequence[bytes], connections: int, label: str,
          keep_alive: bool = True, timeout: float = 30) -> Run:
    """Send every request once over `connections` concurrent connections; each connection sends its next
    request when the previous response is complete (reopening it when the server closes, or always
    without `keep_alive`)."""
    selector = selectors.DefaultSelector()
    pending = iter(range(len(requests)))
    latencies = [0.0] * len(requests)
    statuses: Counter[int] = Counter()

    def send_next(conn: _Connection) -> bool:
        index = next(pending, None)
        if index is None:
            return False
        conn.index, conn.sent_at = index, time.perf_counter()
        conn.sock.sendall(requests[index])
        return True

    def open_and_send() -> None:
        conn = _Connection(address)
        if send_next(conn):
            selector.register(conn.sock, selectors.EVENT_READ, conn)
        else:
            conn.sock.close()

    cpu_started, started = time.process_time(), time.perf_counter()
    for _ in range(min(connections, len(requests))):
        open_and_send()
    done = 0
    while done < len(requests):
        events = selector.select(timeout)
        if not events:
            raise TimeoutError(f"{label}: no response for {timeout} s after {done} of {len(requests)} requests")
        for key, _ in events:
            conn: _Connection = key.data
            chunk = conn.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"{label}: the server closed a connection with request {conn.index} unanswered")
            conn.buffer += chunk
            parsed = parse_response(conn.buffer)
            if parsed is None:
                continue
            status, size, close = parsed
            latencies[conn.index] = time.perf_counter() - conn.sent_at
            statuses[status] += 1
            done += 1
            del conn.buffer[:size]
            if close or not keep_alive:
                selector.unregister(conn.sock)
                conn.sock.close()
                open_and_send()
            elif not send_next(conn):
                selector.unregister(conn.sock)
                conn.sock.close()
    seconds = time.perf_counter() - started
    selector.close()
    return Run(label, seconds, latencies, statuses, time.process_time() - cpu_started)


def serve_trivial(port: int) -> None:
    """An HTTP/1.1 server that answers every request with a fixed 200 and does nothing else: run against it,
    the generator shows its own ceiling on this machine."""
    listener = socket.create_server(("127.0.0.1", port), backlog=128)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, None)
    answer = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{"status":"ok"}\n'
    buffers: dict[socket.socket, bytearray] = {}
    while True:
        for key, _ in selector.select():
            if key.data is None:
                conn, _ = listener.accept()
                buffers[conn] = bytearray()
                selector.register(conn, selectors.EVENT_READ, conn)
                continue
            conn = key.data
            chunk = conn.recv(65536)
            if not chunk:
                selector.unregister(conn)
                conn.close()
                del buffers[conn]
                continue
            buffer = buffers[conn]
            buffer += chunk
            while (size := _request_size(buffer)) is not None:
                del buffer[:size]
                conn.sendall(answer)


def _request_size(buffer: bytearray) -> int | None:
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    length = 0
    for line in bytes(buffer[:end]).decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    total = end + 4 + length
    return total if len(buffer) >= total else None


# --- server-side CPU -----------------------------------------------------------------------------------------

def cpu_seconds(pid: int) -> float:
    """utime + stime of one process from /proc (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except OSError:
                continue
    return sorted(found)


def database_backends(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                      "AND pid <> pg_backend_pid()")))


@dataclass
class Server:
    """What to sample around a run: gunicorn's workers, the PostgreSQL backends of the bench database and the
    Redis server (on this machine, so /proc shows its process)."""

    master: int
    engine: Engine
    redis_pid: int

    def sample(self) -> tuple[dict[int, float], float, float]:
        workers = {pid: cpu_seconds(pid) for pid in children(self.master)}
        return (workers, sum(cpu_seconds(pid) for pid in database_backends(self.engine)),
                cpu_seconds(self.redis_pid))

    def run(self, address: tuple[str, int], requests: Sequence[bytes], label: str, keep_alive: bool = True) -> Run:
        workers, database, redis = self.sample()
        result = require_ok(drive(address, requests, CONNECTIONS, label, keep_alive=keep_alive))
        after, database_after, redis_after = self.sample()
        result.worker_cpu = [after[pid] - workers.get(pid, 0.0) for pid in after]
        result.database_cpu = database_after - database
        result.redis_cpu = redis_after - redis
        return result


# --- setup ----------------------------------------------------------------------------------------------------

def server_env(url: str, instance_path: str) -> dict[str, str]:
    return {**os.environ, "BROBYGGER_DATABASE_URL": url, "BROBYGGER_REDIS_URL": REDIS_URL,
            "BROBYGGER_SECRET_KEY": SECRET_KEY, "BROBYGGER_ENCRYPTION_KEYS": ENCRYPTION_KEY,
            "BROBYGGER_ENV": "production", "BROBYGGER_INSTANCE_PATH": instance_path,
            "BROBYGGER_BASE_URL": "http://brobygger.bench",
            "BROBYGGER_RATE_LIMIT_WEBHOOKS": str(RATE_LIMIT), "PYTHONUNBUFFERED": "1"}


def in_process_app(url: str, instance_path: str, rate_limit: int) -> Flask:
    return create_app({"INSTANCE_PATH": instance_path, "BROBYGGER_DATABASE_URL": url,
                       "BROBYGGER_REDIS_URL": REDIS_URL, "BROBYGGER_SECRET_KEY": SECRET_KEY,
                       "BROBYGGER_ENCRYPTION_KEYS": ENCRYPTION_KEY, "BROBYGGER_BASE_URL": "http://brobygger.bench",
                       "BROBYGGER_RATE_LIMIT_WEBHOOKS": rate_limit})


def prepare(app: Flask, url: str) -> Target:
    """A fresh, migrated database, an empty Redis db, one tenant with two Greenhouse installations (the
    second only for the rate-limit probe). Intake never calls the vendor, so the base URL leads nowhere."""
    state = get_state(app)
    Redis.from_url(REDIS_URL).flushdb()
    migrate.upgrade(state.engine)
    ids = []
    with state.sessions() as session:
        tenant = tenants.create(session, state.vault, "Bench ingest tenant").tenant
        for name in ("Greenhouse", "Greenhouse (probe)"):
            ids.append(installations.add(
                session, state.vault, tenant.id, vendor="greenhouse", name=name, base_url="http://127.0.0.1:9/v3",
                credentials={"client_id": "bench", "client_secret": "bench", "token_url": "http://127.0.0.1:9/token"},
                webhook_secret=WEBHOOK_SECRET).id)
    return Target(url, ids[0], ids[1])


def signed_events(count: int, seed: int) -> Iterator[tuple[bytes, dict[str, str]]]:
    """Distinct Greenhouse deliveries, each with its own event id, signed as Greenhouse signs them
    (connectors/simulators/greenhouse.py, webhook_delivery; the sources are named in connectors/greenhouse.py).
    Greenhouse's event id is the digest of the signed body, so every delivery is about a candidate of its own."""
    candidates = generate(count, seed=seed).candidates
    for index, (action, candidate) in enumerate(zip(itertools.cycle(ACTIONS), itertools.cycle(candidates))):
        if index == count:
            return
        yield webhook_delivery(WEBHOOK_SECRET, action, candidate, event_id=f"bench-{seed}-{index}")


def webhook_path(installation_id: uuid.UUID) -> str:
    return f"/webhooks/greenhouse/{installation_id}"


@contextmanager
def gunicorn(url: str, port: int, instance: Path) -> Iterator[subprocess.Popen[bytes]]:
    """gunicorn serving bench.wsgi with the production options; its log in the instance folder."""
    log_path = instance / "gunicorn.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(gunicorn_command("127.0.0.1", port, "bench.wsgi:create_app()"), cwd=ROOT,
                                  env=server_env(url, str(instance)), stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        try:
            wait_for(("127.0.0.1", port), server, log_path)
            yield server
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def wait_for(address: tuple[str, int], server: subprocess.Popen[bytes], log_path: Path, timeout: float = 30) -> None:
    probe = http_request(*address, BARE_PATH, b"{}", {"Content-Type": "application/json"})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}:\n{log_path.read_text()[-2000:]}")
        try:
            if drive(address, [probe], 1, "readiness", timeout=5).failures == 0:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{log_path.read_text()[-2000:]}")


# --- measuring --------------------------------------------------------------------------------------------------

@dataclass
class Measured:
    subject: list[Run]
    bare: list[Run]
    trivial: list[Run]
    fresh_connections: Run
    worker_class: str
    events_sent: int


def measure(target: Target, engine: Engine, per_run: int, instance: Path) -> Measured:
    port = free_port()
    address = ("127.0.0.1", port)
    path = webhook_path(target.installation_id)
    headers_of = {"Content-Type": "application/json"}

    def build(seed: int, count: int, to: str | None = None) -> list[bytes]:
        return [http_request(*address, to or path, body, {**headers_of, **headers})
                for body, headers in signed_events(count, seed)]

    # Everything is encoded before any clock starts: one list per subject run, distinct event ids throughout.
    warmup = build(0, WARMUP)
    runs = [build(seed, per_run) for seed in range(1, RUNS + 1)]
    fresh = build(RUNS + 1, per_run // 2)
    bare = build(1, per_run, BARE_PATH)  # the same bytes as the first subject run, to the bare route
    subject_runs, bare_runs = [], []
    with gunicorn(target.url, port, instance) as process:
        server = Server(process.pid, engine, int(Redis.from_url(REDIS_URL).info("server")["process_id"]))
        for requests in (warmup, bare[:WARMUP]):
            server.run(address, requests, "warm-up")
        for requests in runs:
            subject_runs.append(server.run(address, requests, "webhook"))
            bare_runs.append(server.run(address, bare, "bare"))
        fresh_run = server.run(address, fresh, "webhook, new connection each", keep_alive=False)
    trivial_runs = measure_trivial(bare)
    return Measured(subject_runs, bare_runs, trivial_runs, fresh_run, worker_class(instance / "gunicorn.log"),
                    WARMUP + RUNS * per_run + len(fresh))


def measure_trivial(requests: list[bytes]) -> list[Run]:
    port = free_port()
    server = get_context("spawn").Process(target=serve_trivial, args=(port,), daemon=True)
    server.start()
    try:
        address = ("127.0.0.1", port)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(address).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        retargeted = [r.replace(BARE_PATH.encode(), b"/trivial", 1) for r in requests] * 5  # long enough to time
        return [require_ok(drive(address, retargeted, CONNECTIONS, "trivial server")) for _ in range(3)]
    finally:
        server.terminate()
        server.join(5)


def require_ok(run: Run) -> Run:
    if run.failures:
        raise SystemExit(f"{run.label}: {run.failures} of {run.count} responses were not 200: {dict(run.statuses)}")
    return run


def worker_class(log_path: Path) -> str:
    for line in log_path.read_text().splitlines():
        if "Using worker:" in line:
            return line.rsplit("Using worker:", 1)[1].strip()
    return "unknown"


@dataclass
class Stored:
    deliveries: int
    distinct_events: int
    queued: int
    matching_jobs: int


def check_stored(app: Flask, target: Target) -> Stored:
    """What intake left behind: one delivery per distinct event, and a queued job for each."""
    state = get_state(app)
    with state.sessions() as session:
        rows = session.execute(select(WebhookDelivery.id, WebhookDelivery.event_id)
                               .where(WebhookDelivery.installation_id == target.installation_id)).all()
    queue = Queue(state.setting("QUEUE_NAME"), connection=state.redis)
    queued = set(queue.get_job_ids())
    expected = {f"webhook-{row.id}" for row in rows}
    return Stored(len(rows), len({row.event_id for row in rows}), len(queued), len(expected & queued))


@dataclass
class Probe:
    sent: int
    refused: int
    first_refused: int | None
    limit: int
    window: int


def limit_probe(app: Flask, target: Target) -> Probe:
    """The per-source limit of `app` (made with the default) under this load: one sender address, one
    installation, full speed. The windows are fixed, so the probe starts early in one, well clear of its end."""
    state = get_state(app)
    limit, window = state.setting("RATE_LIMIT_WEBHOOKS"), state.setting("RATE_LIMIT_WINDOW")
    client = app.test_client()
    path = webhook_path(target.probe_installation_id)
    sent = limit + 50
    requests = list(signed_events(sent, seed=900))
    if (left := window - time.time() % window) < PROBE_MARGIN:
        time.sleep(left + 0.5)
    started = time.time()
    refused, first = 0, None
    for index, (body, headers) in enumerate(requests):
        status = client.post(path, data=body, headers=headers).status_code
        if status == 429:
            refused += 1
            first = first if first is not None else index + 1
        elif status != 200:
            raise SystemExit(f"rate-limit probe: unexpected status {status}")
    if time.time() // window != started // window:
        raise SystemExit(f"rate-limit probe: {sent} requests outlasted its {window} s window")
    return Probe(sent, refused, first, limit, window)


# Where a request's CPU goes: (file, function) of each step in a cProfile; the outermost match counts.
PHASES = (
    ("spent-budget check", "plugin/ats/views.py", "limit_webhook_source"),
    ("installation (remembered)", "plugin/ats/webhooks.py", "get"),
    ("signature check and parse", "connectors/greenhouse.py", "verify_webhook"),
    ("the INSERT", "plugin/ats/webhooks.py", "_record"),
    ("count and enqueue (one pipeline)", "plugin/ats/views.py", "_count_and_announce"),
    ("security headers", "plugin/headers.py", "add_headers"),
)


@dataclass
class Breakdown:
    cpu_ms: float  # CPU per request, unprofiled
    wall_ms: float
    statements: float
    database_round_trips: float  # exchanges on the wire: libpq's trace, one ReadyForQuery each
    redis_round_trips: float
    phases: list[tuple[str, float]]  # (step, share of the request's CPU)


def breakdown(app: Flask, target: Target, count: int) -> Breakdown:
    """In-process requests through the test client: CPU and wall time, SQL statements (engine events), PostgreSQL
    round trips (libpq's trace of every pooled connection: one ReadyForQuery ends each exchange), Redis round
    trips (writes on a connection; a pipeline is one) and a cProfile on the CPU clock."""
    state = get_state(app)
    client = app.test_client()
    path = webhook_path(target.installation_id)
    events = list(signed_events(count + 20, seed=700))
    for body, headers in events[:20]:
        client.post(path, data=body, headers=headers)
    statements = 0

    def on_statement(*_args: Any) -> None:
        nonlocal statements
        statements += 1

    round_trips = 0
    connection = state.redis.connection_pool.get_connection()
    state.redis.connection_pool.release(connection)
    original_send = type(connection).send_packed_command

    def counting_send(self: Any, command: Any, check_health: bool = True) -> None:
        nonlocal round_trips
        round_trips += 1
        original_send(self, command, check_health)

    event.listen(state.engine, "after_cursor_execute", on_statement)
    type(connection).send_packed_command = counting_send
    try:
        with tempfile.TemporaryDirectory() as folder, traced(state.engine, Path(folder) / "trace") as exchanges:
            cpu_started, started = time.process_time(), time.perf_counter()
            for body, headers in events[20:]:
                assert client.post(path, data=body, headers=headers).status_code == 200
            cpu, wall = time.process_time() - cpu_started, time.perf_counter() - started
    finally:
        event.remove(state.engine, "after_cursor_execute", on_statement)
        type(connection).send_packed_command = original_send
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for body, headers in signed_events(count, seed=701):
        client.post(path, data=body, headers=headers)
    profile.disable()
    return Breakdown(cpu / count * 1000, wall / count * 1000, statements / count, exchanges[0] / count,
                     round_trips / count, phase_shares(profile))


@contextmanager
def traced(engine: Engine, path: Path) -> Iterator[list[int]]:
    """Exchanges with PostgreSQL while the block runs, from libpq's trace of each pooled connection (tracing
    slows the client a little: the CPU figure of the same loop includes it)."""
    import psycopg

    found = [0]
    with engine.connect() as warm:
        warm.exec_driver_sql("SELECT 1")
    sink = path.open("w")

    def trace(dbapi_connection: Any, *_args: Any) -> None:
        dbapi_connection.pgconn.trace(sink.fileno())
        dbapi_connection.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)

    pooled = [record.dbapi_connection for record in list(engine.pool._pool.queue)]  # type: ignore[attr-defined]
    for dbapi_connection in pooled:
        trace(dbapi_connection)
    event.listen(engine, "connect", trace)
    try:
        yield found
    finally:
        event.remove(engine, "connect", trace)
        for record in list(engine.pool._pool.queue):  # type: ignore[attr-defined]
            record.dbapi_connection.pgconn.untrace()
        sink.close()
        found[0] = sum(1 for line in path.read_text().splitlines()
                       if line.startswith("B") and "\tReadyForQuery" in line)


def phase_shares(profile: cProfile.Profile) -> list[tuple[str, float]]:
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]

    def cumulative(path: str, function: str) -> float:
        suffix = path.replace("/", os.sep)
        return max((row[3] for (filename, _, name), row in stats.items()
                    if name == function and filename.endswith(suffix)), default=0.0)

    total = cumulative("flask/app.py", "wsgi_app")
    return [(label, cumulative(path, function) / total) for label, path, function in PHASES]


# --- the section ----------------------------------------------------------------------------------------------

def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def all_latencies(runs: Sequence[Run]) -> list[float]:
    return [latency for run in runs for latency in run.latencies]


def run(quick: bool = False) -> Section:
    per_run = REQUESTS[quick]
    url = with_database(database_url(), DATABASE)
    ensure_database(url, drop=True)
    with tempfile.TemporaryDirectory(prefix="brobygger-bench-ingest-") as instance_path:
        app = in_process_app(url, instance_path, RATE_LIMIT)
        default_limit_app = in_process_app(url, instance_path, DEFAULT_RATE_LIMIT)
        try:
            target = prepare(app, url)
            load_before = os.getloadavg()[0]
            measured = measure(target, get_state(app).engine, per_run, Path(instance_path))
            load = (load_before, os.getloadavg()[0])
            stored = check_stored(app, target)
            probe = limit_probe(default_limit_app, target)
            profile = breakdown(app, target, 300 if quick else 1000)
        finally:
            for each in (app, default_limit_app):
                get_state(each).engine.dispose()
    return section(measured, stored, probe, profile, per_run, quick, load)


@dataclass
class CpuCost:
    """Median over runs of CPU ms per request, by process."""

    workers: float
    database: float
    redis: float
    generator: float

    @property
    def total(self) -> float:
        return self.workers + self.database + self.redis + self.generator

    @property
    def capacity(self) -> float:
        """Requests/s the 2 cores would carry at this cost if nothing else ran on them."""
        return 2000 / self.total


def cpu_cost(runs: Sequence[Run]) -> CpuCost:
    def per_request(seconds: Callable[[Run], float]) -> float:
        return statistics.median(seconds(r) / r.count for r in runs) * 1000

    return CpuCost(per_request(lambda r: sum(r.worker_cpu)), per_request(lambda r: r.database_cpu),
                   per_request(lambda r: r.redis_cpu), per_request(lambda r: r.generator_cpu))


def busiest_worker_share(runs: Sequence[Run]) -> float:
    return statistics.median(max(r.worker_cpu) / sum(r.worker_cpu) for r in runs if sum(r.worker_cpu) > 0)


def section(m: Measured, stored: Stored, probe: Probe, profile: Breakdown, per_run: int, quick: bool,
            load: tuple[float, float]) -> Section:
    subject = statistics.median(r.rate for r in m.subject)
    bare = statistics.median(r.rate for r in m.bare)
    share = subject / bare
    slow_subject = percentile([r.rate for r in m.subject], 0.05)  # the run 95 % of runs beat
    slow_bare = percentile([r.rate for r in m.bare], 0.05)
    trivial = statistics.median(r.rate for r in m.trivial)
    generator_cpu = statistics.median(r.generator_cpu / r.seconds for r in m.subject)
    generator_cost_us = statistics.median(r.generator_cpu / r.count for r in m.trivial) * 1e6
    cost, bare_cost = cpu_cost(m.subject), cpu_cost(m.bare)
    intact = stored.deliveries == stored.distinct_events == m.events_sent == stored.queued == stored.matching_jobs
    command = "python -m bench.ingest" + (" --quick" if quick else "")
    rows = [
        Row("webhook ingest", f"requests/s (median of {RUNS} runs of {per_run:,})",
            f"{subject:,.0f} req/s (p95 run {slow_subject:,.0f})", f"≥ {AIM_RATE} req/s",
            subject >= AIM_RATE),
        Row("webhook ingest vs bare", "share of the bare endpoint's requests/s (medians)",
            f"{share:.0%} (bare {bare:,.0f} req/s, p95 run {slow_bare:,.0f})", f"≥ {AIM_SHARE:.0%}",
            share >= AIM_SHARE),
        Row("webhook ingest latency", f"p95 of every request ({CONNECTIONS} connections)",
            f"{percentile(all_latencies(m.subject), 0.95) * 1000:.1f} ms "
            f"(median {statistics.median(all_latencies(m.subject)) * 1000:.1f} ms; "
            f"bare p95 {percentile(all_latencies(m.bare), 0.95) * 1000:.1f} ms)", "-", None),
        Row("webhook ingest CPU", "CPU ms per request: gunicorn workers + PostgreSQL + Redis + generator",
            f"{cost.workers:.2f} + {cost.database:.2f} + {cost.redis:.2f} + {cost.generator:.2f} = "
            f"{cost.total:.2f} ms (bare {bare_cost.total:.2f} ms)", "-", None),
        Row("webhook ingest on idle cores", "2 cores ÷ CPU per request: requests/s, share of bare's",
            f"{cost.capacity:,.0f} req/s, {cost.capacity / bare_cost.capacity:.0%} of bare "
            f"({bare_cost.capacity:,.0f} req/s)", "-", None),
        Row("webhook ingest, a new connection per request", f"requests/s (one run of {m.fresh_connections.count:,})",
            f"{m.fresh_connections.rate:,.0f} req/s", "-", None),
        Row("webhook intake round trips", "per accepted delivery, in process: PostgreSQL (of them SQL statements), "
            "Redis; CPU (wall) ms per request",
            f"{profile.database_round_trips:.2f} ({profile.statements:.2f}), {profile.redis_round_trips:.2f}; "
            f"{profile.cpu_ms:.2f} ({profile.wall_ms:.2f}) ms",
            f"≤ {AIM_DATABASE_ROUND_TRIPS}, ≤ {AIM_REDIS_ROUND_TRIPS} (means to two decimals: the installation is "
            "read again once a minute)",
            round(profile.database_round_trips, 2) <= AIM_DATABASE_ROUND_TRIPS
            and round(profile.redis_round_trips, 2) <= AIM_REDIS_ROUND_TRIPS),
        Row("deliveries stored and queued", "deliveries = distinct events sent = queued jobs",
            f"{stored.deliveries:,} = {stored.distinct_events:,} = {m.events_sent:,} = {stored.queued:,}",
            "all equal", intact),
    ]
    method = [
        f"- Setup: PostgreSQL database `{DATABASE}` (dropped, migrated), Redis db 11 (flushed), one tenant with a "
        "Greenhouse installation. gunicorn serves `bench.wsgi:create_app()` with the options of `brobygger run` "
        f"(plugin/supervisor.py: `{' '.join(gunicorn_command('127.0.0.1', 0)[5:-1])}`; worker class "
        f"`{m.worker_class}`); "
        f"`{BARE_PATH}` on the same server reads the same request bytes and answers a small JSON document "
        "without touching PostgreSQL or Redis. No RQ worker runs: the figure is intake (verify, dedupe, store, "
        "enqueue) alone. PostgreSQL commits durably (its defaults: fsync, synchronous_commit on).",
        f"- Load: {WARMUP} warm-up requests to each endpoint, then {RUNS} runs alternating subject and bare, "
        f"{per_run:,} requests per run over {CONNECTIONS} concurrent HTTP/1.1 connections from 127.0.0.1. Every "
        "request is a distinct Greenhouse delivery (its own `Greenhouse-Event-ID`, `Signature: sha256 <HMAC of "
        "the raw body>` as Greenhouse signs it), encoded to bytes before timing; the bare runs send the same "
        "bytes to the bare route. The gthread worker keeps connections alive, so the generator reuses them; one "
        "extra run opens a new connection per request. A run is requests ÷ time from first byte sent to last "
        "byte read (the p95 run is the one 95 % of runs beat: of 5, the slowest); latency is per request, p95 over "
        "all runs. Any non-200 response fails the run. CPU is read from /proc around "
        "each run for gunicorn's workers, the bench database's PostgreSQL backends and the Redis server (shared "
        "with other users of it, so an upper bound), and from the generator's own clock. Load average (1 min) "
        f"{load[0]:.1f} before the runs and {load[1]:.1f} after: other work on the machine shares the 2 cores.",
        f"- Rate limit: `BROBYGGER_RATE_LIMIT_WEBHOOKS` is set to {RATE_LIMIT:,} per "
        f"{probe.window} s, so every request is counted (in the pipeline that enqueues its job) but none is "
        f"refused. With the default ({probe.limit} per {probe.window} s per installation and sender address) one "
        f"sender at this rate is refused after {probe.first_refused or '(never)'} requests ({probe.refused} of "
        f"{probe.sent} refused in an in-process probe): measured with it, the bench would time 429s.",
        f"- The generator is one process (a selector loop over raw sockets) sharing the 2 cores with the server, "
        f"PostgreSQL and Redis. Alone against a trivial server that answers a fixed 200, it does "
        f"{trivial:,.0f} req/s (median of {len(m.trivial)} runs; {generator_cost_us:.0f} µs of its own CPU per "
        f"request); during the webhook runs it used {generator_cpu:.0%} of one core.",
        f"- Afterwards: {stored.deliveries:,} deliveries stored for {m.events_sent:,} distinct events sent "
        f"({stored.distinct_events:,} distinct event ids), {stored.queued:,} jobs queued, {stored.matching_jobs:,} "
        "of them the deliveries' own (`webhook-<delivery id>`).",
        f"- Reproduce: `{command}` (`--quick`: {REQUESTS[True]:,} requests per run).",
    ]
    found = [
        f"- A webhook costs {cost.total / bare_cost.total:.1f} times the bare endpoint's CPU "
        f"({cost.total:.2f} vs {bare_cost.total:.2f} ms per request over all processes): "
        f"{profile.database_round_trips:.2f} PostgreSQL round trips (the pool's pre-ping and one INSERT … SELECT … "
        "ON CONFLICT DO NOTHING RETURNING in a transaction of its own, which also checks the remembered "
        f"installation is still current) and {profile.redis_round_trips:.2f} Redis round trip (one MULTI/EXEC: the "
        "sender's count and the job) where the bare endpoint makes none; the installation and its opened secrets "
        f"are kept in the process for a minute. On 2 cores to itself this cost allows about "
        f"{cost.capacity:,.0f} req/s.",
        "- Where intake CPU goes (in process, cProfile on the CPU clock, share of the request): "
        + "; ".join(f"{label} {part:.0%}" for label, part in profile.phases) + ".",
        f"- The default webhook limit ({probe.limit} per {probe.window} s per installation and sender address, "
        f"{probe.limit / probe.window:g} requests/s sustained) refuses a single sender long before this server's "
        "capacity: a burst of deliveries from one address beyond it gets 429s, and the incremental sync is what "
        "catches those changes up.",
    ]
    found.append(f"- The busiest gunicorn worker did {busiest_worker_share(m.subject):.0%} of the workers' CPU in "
                 "the median webhook run: keep-alive connections stay with the process that accepted them, "
                 + ("and with one SO_REUSEPORT socket per process the kernel spreads new ones over both "
                    "(before it, on one shared socket, the first process to wake took 70-100 % in most runs)."
                    if "--reuse-port" in gunicorn_command("127.0.0.1", 0) else
                    "so on one shared socket the first process to wake can take most of a burst."))
    return Section("Webhook ingest", rows, method, found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{REQUESTS[True]} requests per run")
    args = parser.parse_args()
    print("\n".join(run(quick=args.quick).markdown()))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
