"""Restart PostgreSQL (`pg_ctl restart -m fast`) while a worker runs a sync. The drill starts a private
cluster of its own — never the machine's shared server — and shows the sync completing after recovery,
with exact counts, and the database check of `/readyz` healthy again without anyone touching anything."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, text

from connectors.simulators.base import Window
from plugin import create_app, migrate
from plugin.ats.jobs import sync_installation
from plugin.ats.locks import interrupted_runs
from plugin.db import make_engine
from plugin.extension import get_state
from plugin.queueing import enqueue_unique
from plugin.tenancy import tenants
from tests.ats_support import connect_greenhouse
from tests.drills.support import census, expected, log_tail, n, records_so_far, runs, worker_process
from tests.helpers import free_port, wait_for
from tests.notify_helpers import run_tick

pytestmark = [pytest.mark.drill, pytest.mark.long_drill, pytest.mark.slow]

CANDIDATES = 1_500
SIM_REQUESTS_PER_SECOND = 8  # paces the sync over several seconds, so the restart lands in its middle
SERVER_USER = "postgres"  # initdb refuses to run as root; the cluster belongs to this user then
DEBIAN_LAYOUT = Path("/usr/lib/postgresql")  # Debian and Ubuntu install each server version in <version>/bin
NEEDED = ("initdb", "pg_ctl", "postgres")


def server_binaries() -> Path:
    """The PostgreSQL server's bin folder: `pg_config --bindir`, else the newest version in the Debian layout."""
    folders: list[Path] = []
    if pg_config := shutil.which("pg_config"):
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        folders.append(Path(found))
    folders += sorted(DEBIAN_LAYOUT.glob("*/bin"), key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
                      reverse=True)
    for folder in folders:
        if all((folder / name).is_file() for name in NEEDED):
            return folder
    pytest.fail(f"the PostgreSQL restart drill needs the PostgreSQL server binaries ({', '.join(NEEDED)}); none "
                f"found by `pg_config --bindir` or in {DEBIAN_LAYOUT}/<version>/bin: install the PostgreSQL server "
                f"package")


@dataclass
class Cluster:
    bindir: Path
    root: Path
    port: int
    as_user: list[str]

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/brobygger"

    def pg_ctl(self, *args: str) -> float:
        """Run pg_ctl as the cluster's owner; returns the seconds it took."""
        started = time.monotonic()
        log = self.root / "server.log"
        # The server's output goes to its log file, never to a pipe of ours: the server outlives pg_ctl.
        result = subprocess.run([*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(log),
                                 "-w", "-t", "60", *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, check=False)
        if result.returncode != 0:
            pytest.fail(f"pg_ctl {' '.join(args)} failed (exit code {result.returncode}); server log:\n{log_tail(log)}")
        return time.monotonic() - started


@contextmanager
def private_cluster() -> Iterator[Cluster]:
    """initdb into a fresh temporary folder and start the server on a free port of 127.0.0.1; stopped and
    removed afterwards."""
    bindir = server_binaries()
    as_user: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="brobygger-drill-pg-"))
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam(SERVER_USER)
        except KeyError:
            pytest.fail(f"running as root, the drill needs an unprivileged user {SERVER_USER!r} to own its cluster")
        runuser = shutil.which("runuser")
        if runuser is None:
            pytest.fail("running as root, the drill needs runuser to start PostgreSQL as an unprivileged user")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        as_user = [runuser, "-u", SERVER_USER, "--"]
    cluster = Cluster(bindir, root, free_port(), as_user)
    try:
        subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(cluster.data), "-U", "postgres", "--auth=trust",
                        "-E", "UTF8", "--no-sync"], capture_output=True, check=True)
        options = f"-p {cluster.port} -k {cluster.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        cluster.pg_ctl("-o", options, "start")
        admin = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{cluster.port}/postgres",
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE brobygger"))
        admin.dispose()
        yield cluster
    finally:
        if (cluster.data / "postmaster.pid").exists():
            subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(cluster.data), "-m", "immediate", "-w",
                            "stop"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           check=False)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    with private_cluster() as running:
        yield running


@pytest.fixture
def pg_app(cluster: Cluster, app_config: dict[str, Any]) -> Iterator[tuple[Flask, dict[str, Any]]]:
    """The app on the private cluster (the test session's Redis), migrated; Redis emptied afterwards."""
    config = {**app_config, "BROBYGGER_DATABASE_URL": cluster.url}
    engine = make_engine(cluster.url)
    migrate.upgrade(engine)
    engine.dispose()
    app = create_app(config)
    yield app, config
    state = get_state(app)
    state.redis.flushdb()
    state.engine.dispose()


def test_postgresql_restarted_during_a_sync(cluster: Cluster, pg_app: tuple[Flask, dict[str, Any]],
                                            tmp_path: Path) -> None:
    app, config = pg_app
    state = get_state(app)
    with state.sessions() as session:
        tenant_id: uuid.UUID = tenants.create(session, state.vault, "Acme AS").tenant.id
    worker_log = tmp_path / "worker.log"
    with connect_greenhouse(app, tenant_id, candidates=CANDIDATES) as gh:
        gh.sim.window = Window(SIM_REQUESTS_PER_SECOND, 1.0)
        want = expected(gh.data)
        assert enqueue_unique(state.queue, sync_installation, str(gh.installation_id), True,
                              job_id="drill-full-sync", job_timeout=600)
        with worker_process(config, worker_log):
            try:
                at = wait_for(lambda: (r := records_so_far(app, gh.installation_id)) >= 1_000 and r, 90)
            except AssertionError:
                pytest.fail(f"the sync never got going; worker log:\n{log_tail(worker_log)}")
            restart = cluster.pg_ctl("-m", "fast", "restart")

            ticks = 0

            def recovered() -> bool:
                nonlocal ticks
                with state.sessions() as session:
                    if interrupted_runs(session, state.redis):  # the sync died with its connection
                        ticks += 1
                        run_tick(app)
                    all_runs = runs(session, gh.installation_id)
                return all(r.status != "running" for r in all_runs) and all_runs[-1].status == "ok"

            try:
                wait_for(recovered, 120, interval=0.5)
            except AssertionError:
                pytest.fail(f"the sync did not complete after the restart; worker log:\n{log_tail(worker_log)}")
            readyz = app.test_client().get("/readyz").json

        with state.sessions() as session:
            found = census(session, tenant_id, gh.installation_id)
            all_runs = runs(session, gh.installation_id)
    assert readyz["checks"]["database"] == {"ok": True, "detail": "postgresql"}, readyz
    assert found.matches(want), (found, want)
    first = all_runs[0]
    how = ("the sync went on over fresh connections (pre-ping)" if len(all_runs) == 1
           else f"the sync's job died on its connection, its run left '{first.status}' by the sync that "
                f"{ticks} cron tick(s) enqueued to resume it")
    print(f"\nrestart PostgreSQL during a sync: private cluster on port {cluster.port}; {n(CANDIDATES)} candidates; "
          f"pg_ctl restart -m fast after {n(at)} records ({restart:.1f} s); {how}; {len(all_runs)} run(s), last ok: "
          f"{found.summary()}; /readyz database check: ok")
