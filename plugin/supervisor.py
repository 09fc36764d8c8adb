"""`brobygger run`: the web app, one worker and the cron scheduler as child processes of one parent.

The parent owns the embedded Redis when none is configured, so all three children share one server
that stops with the parent, even a killed one. Ctrl-C (or SIGTERM) stops the children cleanly; if any
child dies, the others are stopped too and the exit code says so.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import click

from plugin.demo import builder as demo_builder
from plugin.demo.data import DEMO_KEY_NAME
from plugin.embedded_redis import die_with_parent, stop_embedded

if TYPE_CHECKING:
    from plugin.extension import State

GRACE_SECONDS = 10
GUNICORN_LOGGER = "plugin.observability.gunicorn_logger.GunicornLogger"


def run_all(state: State, host: str, port: int, demo: bool, simulator_port: int | None = None) -> int:
    env = {**os.environ,
           "BROBYGGER_DATABASE_URL": state.setting("DATABASE_URL"),
           "BROBYGGER_REDIS_URL": state.redis_url,  # starts the embedded Redis here when none is set
           "BROBYGGER_INSTANCE_PATH": str(state.instance_path),
           "PYTHONUNBUFFERED": "1"}
    base_url = f"http://{host}:{port}{state.url_prefix}"
    env.setdefault("BROBYGGER_BASE_URL", base_url)
    if "PROMETHEUS_MULTIPROC_DIR" not in env:
        env["PROMETHEUS_MULTIPROC_DIR"] = str(_metrics_folder(state.instance_path))
    simulator: list[str] = []
    if demo:
        env["BROBYGGER_DEMO"] = "1"
        simulator_port = simulator_port or port + 1
        key, installation_id = _prepare_demo(state, f"http://127.0.0.1:{simulator_port}")
        webhook_url = f"http://{host}:{port}{state.url_prefix}/webhooks/greenhouse/{installation_id}"
        simulator = [sys.executable, "-m", "connectors.simulators", "greenhouse", "--port", str(simulator_port),
                     "--webhook-url", webhook_url, "--webhook-secret", demo_builder.SIMULATOR_WEBHOOK_SECRET]
    state.redis.ping()

    command = [sys.executable, "-m", "plugin"]
    commands = {
        "web": gunicorn_command(host, port),
        "worker": [*command, "worker", "--log-level", "warning"],
        "cron": [*command, "cron", "--log-level", "warning"],
    }
    if simulator:  # the demo tenant's ATS: a Greenhouse simulator the worker syncs from
        commands["simulator"] = simulator
    # Each child leads its own process group, so stopping it also stops what it started (gunicorn's workers);
    # each is sent SIGTERM by the kernel if this parent is killed, so none outlives it.
    children = {name: subprocess.Popen(cmd, env=env, start_new_session=True, preexec_fn=die_with_parent())
                for name, cmd in commands.items()}
    _wait_until_ready(f"http://{host}:{port}{state.url_prefix}/readyz", children)
    click.echo(f"\nBrobygger is running at {base_url}/")
    if demo:
        click.echo(f"  Demo API key:  {key}")
        click.echo(f"  Try it:        curl -H 'Authorization: Bearer {key}' {base_url}/api/v1/people")
        click.echo(f"  Sidebar:       {base_url}/demo/sidebar")
        click.echo(f"  Queue:         {base_url}/demo/queue   (signs you in as the demo recruiter)")
        click.echo(f"  Greenhouse:    http://127.0.0.1:{simulator_port} (simulator, synced every few minutes); "
                   f"reject candidate 5 and send the webhook:\n"
                   f"                 curl -X POST http://127.0.0.1:{simulator_port}/_control/webhook "
                   f"""-d '{{"change": "reject", "candidate_id": 5}}'""")
    click.echo(f"  Readiness:     {base_url}/readyz\nPress Ctrl-C to stop.\n", nl=True)
    sys.stdout.flush()

    stop = _install_stop_handlers()
    exit_code = 0
    try:
        while not stop:
            for name, child in children.items():
                if child.poll() is not None:
                    click.echo(f"brobygger: {name} exited with code {child.returncode}; stopping", err=True)
                    exit_code = 1
                    stop.append(name)
                    break
            time.sleep(0.2)
    finally:
        _stop_children(list(children.values()))
        stop_embedded()  # after the children, which used it to the end
    click.echo("Brobygger stopped.")
    return exit_code


def gunicorn_command(host: str, port: int, app: str = "plugin:create_app()") -> list[str]:
    """gunicorn as in production (the benchmarks serve their app with the same options): two processes of four
    threads each, so the gthread worker (HTTP/1.1 keep-alive). Each process listens on its own SO_REUSEPORT
    socket, so the kernel spreads new connections over them: on one shared socket the first process to wake
    accepted most of a burst of keep-alive connections and kept them, leaving the other idle. gunicorn keeps no
    access log: the app logs each request with its path redacted by route (plugin/observability), and gunicorn's
    own messages go through the same handler."""
    return [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}", "--workers", "2", "--threads", "4",
            "--reuse-port", "--graceful-timeout", "5", "--no-control-socket", "--logger-class", GUNICORN_LOGGER, app]


def _metrics_folder(instance_path: Path) -> Path:
    """Where gunicorn's processes keep their counters, so a scrape of any of them adds up all (prometheus-client's
    multiprocess mode); emptied at each start, as that mode asks, since files of old processes would count on."""
    folder = instance_path / "prometheus"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def _wait_until_ready(url: str, children: dict[str, subprocess.Popen[bytes]], timeout: float = 30) -> None:
    """Print the banner after the start-up logs, once /readyz passes (or say what is still missing)."""
    deadline = time.monotonic() + timeout
    body = b""
    while time.monotonic() < deadline and all(c.poll() is None for c in children.values()):
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError as exc:
            body = exc.read()
        except OSError:
            pass
        time.sleep(0.3)
    click.echo(f"brobygger: not ready yet: {body.decode(errors='replace') or 'the web app does not answer'}",
               err=True)


def _prepare_demo(state: State, simulator_url: str) -> tuple[str, str]:
    """Migrate, seed, connect the demo tenant to its simulator; return a fresh API key and the installation."""
    from plugin import migrate
    from plugin.tenancy import tenants

    migrate.upgrade(state.engine)
    with state.sessions() as session:
        result = demo_builder.seed(session, state.vault, reset=False)
        click.echo(result.summary())
        installation = demo_builder.connect_simulator(session, state.vault, result.tenant_id, simulator_url)
        tenants.revoke_keys(session, result.tenant_id, DEMO_KEY_NAME)
        return tenants.create_api_key(session, result.tenant_id, DEMO_KEY_NAME), str(installation.id)


def _install_stop_handlers() -> list[str]:
    stop: list[str] = []

    def request_stop(signum: int, _frame: object) -> None:
        stop.append(signal.Signals(signum).name)

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    return stop


def _stop_children(children: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each child (warm shutdown: a worker finishes its job), then SIGKILL whatever is left of
    its process group after the grace period."""
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for child in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()
