"""The `brobygger` command line: each feature's commands under one group, plus the processes (`run`,
`worker`, `cron`), the demo (`seed-demo`) and schema migrations (`db …`). The same commands are available
in a host app as `flask brobygger …`.
"""

from __future__ import annotations

import sys

import click
from flask.cli import ScriptInfo, with_appcontext

from plugin.ats import cli as ats
from plugin.config import ConfigError
from plugin.core.cli import LOG_LEVEL, open_session
from plugin.errors import DomainError
from plugin.extension import get_state
from plugin.imports import cli as imports
from plugin.privacy import cli as privacy
from plugin.tenancy import cli as tenancy


class _Group(click.Group):
    """Turns a service's refusal into click's own error, so `flask brobygger …` in a host app fails with
    one readable line as well."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None


@click.group("brobygger", cls=_Group, help="Brobygger: keep the people you met but did not hire warm for years.")
def brobygger_group() -> None:
    pass


def main(argv: list[str] | None = None) -> None:
    """Console entry point: every failure is one readable line on stderr and a non-zero exit."""
    from plugin.app import create_app

    try:
        code = brobygger_group.main(args=argv, prog_name="brobygger", obj=ScriptInfo(create_app=create_app),
                                    standalone_mode=False)
    except click.ClickException as exc:
        _fail(exc.format_message(), exc.exit_code)
    except click.Abort:
        _fail("aborted", 1)
    except (ConfigError, DomainError) as exc:
        _fail(str(exc), 1)
    except OSError as exc:
        _fail(f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""), 1)
    except Exception as exc:  # a database or Redis that cannot be reached, say: one line, not a traceback
        _fail(f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}", 1)
    sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str, code: int) -> None:
    click.echo(f"brobygger: error: {message}", err=True)
    sys.exit(code)


@click.command("worker", help="Run an RQ worker for Brobygger's queue (run as many as you like).")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@LOG_LEVEL
@with_appcontext
def worker(burst: bool, log_level: str) -> None:
    from rq import Queue

    from plugin.observability import logs
    from plugin.observability.worker import ObservedWorker

    state = get_state()
    # Before RQ sets up its logging, which then adds no handler of its own.
    logs.configure(logs.log_format(state.settings), level=log_level.upper())
    _warm_up_for_work_horses()
    queue = Queue(state.setting("QUEUE_NAME"), connection=state.redis)
    # A short TTL makes an idle worker heartbeat every 45 s, well inside /readyz's two minutes.
    ObservedWorker([queue], connection=state.redis, worker_ttl=60).work(burst=burst, with_scheduler=True,
                                                                        logging_level=log_level.upper())


def _warm_up_for_work_horses() -> None:
    """RQ forks a work horse per job, and whatever the horse loads dies with it: import every job's modules
    and configure the ORM mappers here, once, so each horse inherits them instead of redoing them."""
    from importlib import import_module

    from sqlalchemy.orm import configure_mappers

    from plugin.ats import installations
    from plugin.cron import JOB_MODULES

    for name in JOB_MODULES:
        import_module(name)
    installations.registry()
    configure_mappers()


@click.command("cron", help="Run the RQ cron scheduler (exactly one per deployment).")
@LOG_LEVEL
@with_appcontext
def cron(log_level: str) -> None:
    import os
    import time

    from rq.cron import CronScheduler

    from plugin.cron import TICK_SECONDS, tick
    from plugin.observability import logs

    logs.configure(logs.log_format(get_state().settings), level=log_level.upper())
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
    from plugin.demo import builder as demo

    with open_session() as session:
        result = demo.seed(session, get_state().vault, reset=reset)
    click.echo(result.summary())


@click.command("run", help="Run the web app, one worker and the cron scheduler together (Ctrl-C stops all three).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8350, show_default=True, type=click.IntRange(1, 65535))
@click.option("--demo", is_flag=True, help="Migrate, seed the demo tenant and print a fresh demo API key first.")
@click.option("--simulator-port", type=click.IntRange(1, 65535), help="Port of the demo ATS simulator (PORT+1).")
@with_appcontext
def run(host: str, port: int, demo: bool, simulator_port: int | None) -> None:
    from plugin.supervisor import run_all

    sys.exit(run_all(get_state(), host, port, demo, simulator_port))


@click.group("db", help="Database schema migrations.")
def db_group() -> None:
    pass


@db_group.command("upgrade", help="Migrate the database to the newest schema (or to --revision).")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    from plugin import migrate

    migrate.upgrade(get_state().engine, revision)
    click.echo(f"database at revision {migrate.current(get_state().engine)}")


@db_group.command("downgrade", help="Migrate the database back to REVISION ('base' empties it).")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    from plugin import migrate

    migrate.downgrade(get_state().engine, revision)
    click.echo(f"database at revision {migrate.current(get_state().engine) or 'base'}")


@db_group.command("current", help="Print the database's schema revision.")
@with_appcontext
def db_current() -> None:
    from plugin import migrate

    click.echo(migrate.current(get_state().engine) or "base")


@db_group.command("revision", help="Write a new migration from the models (for developers).")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    from plugin import migrate

    migrate.revision(get_state().engine, message)


for _command in (db_group, tenancy.tenant_group, tenancy.apikey_group, tenancy.recruiter_group, worker, cron,
                 seed_demo, run, ats.installation_group, ats.sync_command, imports.import_group, privacy.person_group):
    brobygger_group.add_command(_command)
