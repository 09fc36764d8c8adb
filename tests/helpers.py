"""Small helpers shared by tests that start real processes."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(app_config: dict[str, Any], **extra: str) -> dict[str, str]:
    """The environment for a `brobygger` child process that uses the test's database and Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROBYGGER_")}
    env.update({k: str(v) for k, v in app_config.items() if k.startswith("BROBYGGER_")})
    env["BROBYGGER_INSTANCE_PATH"] = app_config["INSTANCE_PATH"]
    env.update(extra)
    return env


def brobygger(*args: str) -> list[str]:
    return [sys.executable, "-m", "plugin", *args]


def get_json(url: str, headers: dict[str, str] | None = None, timeout: float = 5) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def wait_for(predicate: Any, timeout: float, interval: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except OSError as exc:  # server not up yet
            last = exc
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s; last result: {last!r}")


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (an RQ worker forks a work horse per job, in its own process group)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            children.append(int(stat.parent.name))
    return [pid, *(p for child in children for p in process_tree(child))]
