"""`brobygger run|worker|cron|seed-demo`: the processes, and the demo."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from ..extension import get_state
from .common import LOG_LEVEL, open_session


@click.command("worker", help="Run an RQ worker for Brobygger's queue (run as many as you like).")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@LOG_LEVEL
@with_appcontext
def worker(burst: bool, log_level: str) -> None:
    from rq import Queue, Worker

    state = get_state()
    _warm_up_for_work_horses()
    queue = Queue(state.setting("QUEUE_NAME"), connection=state.redis)
    # A short TTL makes an idle worker heartbeat every 45 s, well inside /readyz's two minutes.
    Worker([queue], connection=state.redis, worker_ttl=60).work(burst=burst, with_scheduler=True,
                                                                logging_level=log_level.upper())


def _warm_up_for_work_horses() -> None:
    """RQ forks a work horse per job, and whatever the horse loads dies with it: import every job's modules
    and configure the ORM mappers here, once, so each horse inherits them instead of redoing them."""
    from sqlalchemy.orm import configure_mappers

    from ..jobs import ats, cron, notify, privacy, pulse  # noqa: F401
    from ..services import installations

    installations.registry()
    configure_mappers()


@click.command("cron", help="Run the RQ cron scheduler (exactly one per deployment).")
@LOG_LEVEL
@with_appcontext
def cron(log_level: str) -> None:
    import os
    import time

    from rq.cron import CronScheduler

    from ..jobs.cron import TICK_SECONDS, tick

    os.environ["TZ"] = "UTC"  # RQ reads cron strings in local time; tenant time is done in code
    time.tzset()
    state = get_state()
    scheduler = CronScheduler(connection=state.redis, logging_level=log_level.upper())
    scheduler.register(tick, state.setting("QUEUE_NAME"), interval=TICK_SECONDS, result_ttl=600)
    scheduler.start()


@click.command("seed-demo", help="Create (or re-create with --reset) the demo tenant with believable data.")
@click.option("--reset", is_flag=True, help="Delete the demo tenant first.")
@with_appcontext
def seed_demo(reset: bool) -> None:
    from .. import demo

    with open_session() as session:
        result = demo.seed(session, get_state().vault, reset=reset)
    click.echo(result.summary())


@click.command("run", help="Run the web app, one worker and the cron scheduler together "
                                      "(Ctrl-C stops all three).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8350, show_default=True, type=click.IntRange(1, 65535))
@click.option("--demo", is_flag=True, help="Migrate, seed the demo tenant and print a fresh demo API key first.")
@click.option("--simulator-port", type=click.IntRange(1, 65535), help="Port of the demo ATS simulator (PORT+1).")
@with_appcontext
def run(host: str, port: int, demo: bool, simulator_port: int | None) -> None:
    from ..supervisor import run_all

    sys.exit(run_all(get_state(), host, port, demo, simulator_port))
