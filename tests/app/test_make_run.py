"""`make run` boots the whole product: web, worker and cron, with demo data and a printed API key."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PG_URL, REDIS_URL
from tests.helpers import ROOT, free_port, get_json, wait_for


@pytest.mark.slow
def test_make_run_boots_serves_and_stops_cleanly(fresh_database: Any, tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROBYGGER_")}
    env["BROBYGGER_INSTANCE_PATH"] = str(tmp_path / "instance")
    if PG_URL:  # the same servers as the suite, but a database of its own
        env["BROBYGGER_DATABASE_URL"] = fresh_database("run")
    if REDIS_URL:
        env["BROBYGGER_REDIS_URL"] = re.sub(r"/\d*$", "", REDIS_URL.rstrip("/")) + "/14"
    log = tmp_path / "make-run.log"
    with log.open("w") as out:
        process = subprocess.Popen(["make", "-s", "run", f"PORT={port}", f"SIMULATOR_PORT={free_port()}"], cwd=ROOT,
                                   env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        status, body = wait_for(lambda: (r := get_json(f"{base}/readyz"))[0] == 200 and r, timeout=90)
        assert body["status"] == "ok", body
        printed = wait_for(lambda: "Press Ctrl-C to stop." in (text := log.read_text()) and text, timeout=10)
        key = re.search(r"Demo API key:\s+(bby_\S+)", printed)
        assert key, printed
        assert f"{base}/demo/sidebar" in printed

        status, people = get_json(f"{base}/api/v1/people?limit=5", {"Authorization": f"Bearer {key.group(1)}"})
        assert status == 200 and len(people["data"]) == 5
        status, _ = get_json(f"{base}/api/v1/people", {"Authorization": "Bearer bby_wrong"})
        assert status == 401
        # the demo tenant is connected to a Greenhouse simulator, which the worker syncs
        status, found = get_json(f"{base}/api/v1/installations", {"Authorization": f"Bearer {key.group(1)}"})
        assert status == 200 and [i["name"] for i in found["data"]] == ["Greenhouse (simulator)"]
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _group_alive(process.pid):
            process.poll()  # reap make itself, or its zombie would count as alive
            time.sleep(0.2)
        alive = _group_alive(process.pid)
        if alive:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    assert not alive, "a process of `make run` outlived Ctrl-C"
    assert "Brobygger stopped." in log.read_text()
    assert processes_using(str(tmp_path / "instance")) == [], "a child of `make run` outlived it"


def processes_using(marker: str) -> list[int]:
    """Processes whose environment names this run's instance folder (Linux /proc; elsewhere nothing to scan)."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker.encode() in environ.read_bytes():
                found.append(int(environ.parent.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
