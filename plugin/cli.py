"""The `brobygger` command line. The same commands are available in a host app as `flask brobygger …`."""

from __future__ import annotations

import json
import sys
import uuid
from typing import Any

import click
from flask.cli import ScriptInfo, with_appcontext

from .config import ConfigError
from .errors import DomainError
from .extension import get_state
from .models import Origin
from .services.actors import Actor

CLI_ACTOR = Actor("system", "cli", Origin.CLI)


@click.group("brobygger", help="Brobygger: keep the people you met but did not hire warm for years.")
def brobygger_group() -> None:
    pass


def _session():  # type: ignore[no-untyped-def]
    return get_state().sessions()


def _uuid(value: str, option: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an id (a UUID)", param_hint=option) from None


# --- database ---------------------------------------------------------------------------------

@brobygger_group.group("db", help="Database schema migrations.")
def db_group() -> None:
    pass


@db_group.command("upgrade", help="Migrate the database to the newest schema (or to --revision).")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    from . import migrate

    migrate.upgrade(get_state().engine, revision)
    click.echo(f"database at revision {migrate.current(get_state().engine)}")


@db_group.command("downgrade", help="Migrate the database back to REVISION ('base' empties it).")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    from . import migrate

    migrate.downgrade(get_state().engine, revision)
    click.echo(f"database at revision {migrate.current(get_state().engine) or 'base'}")


@db_group.command("current", help="Print the database's schema revision.")
@with_appcontext
def db_current() -> None:
    from . import migrate

    click.echo(migrate.current(get_state().engine) or "base")


@db_group.command("revision", help="Write a new migration from the models (for developers).")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    from . import migrate

    migrate.revision(get_state().engine, message)


# --- tenants, keys, recruiters ----------------------------------------------------------------

@brobygger_group.group("tenant", help="Tenants: one per customer company.")
def tenant_group() -> None:
    pass


@tenant_group.command("create", help="Create a tenant; prints its id, an API key and the sidebar signing secret.")
@click.option("--name", required=True)
@click.option("--language", type=click.Choice(["nb", "en"]), default="nb", show_default=True)
@click.option("--time-zone", default="Europe/Oslo", show_default=True)
@click.option("--ats-origin", "ats_origins", multiple=True, help="An ATS origin allowed to frame the sidebar.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@with_appcontext
def tenant_create(name: str, language: str, time_zone: str, ats_origins: tuple[str, ...], as_json: bool) -> None:
    from .services import tenants

    _check_time_zone(time_zone)
    if not name.strip() or len(name) > 200:
        raise click.BadParameter("must be 1 to 200 characters", param_hint="--name")
    with _session() as session:
        created = tenants.create(session, get_state().vault, name.strip(), language=language,
                                 time_zone=time_zone, ats_origins=list(ats_origins))
    out = {"tenant_id": str(created.tenant.id), "name": created.tenant.name, "api_key": created.api_key,
           "sidebar_secret": created.sidebar_secret}
    _emit(out, as_json, "Tenant created. The API key and sidebar secret are shown only now.")


@tenant_group.command("list", help="List tenants.")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def tenant_list(as_json: bool) -> None:
    from .services import tenants

    with _session() as session:
        rows = [{"tenant_id": str(t.id), "name": t.name, "created_at": t.created_at.isoformat()}
                for t in tenants.list_all(session)]
    if as_json:
        click.echo(json.dumps(rows))
    else:
        for row in rows:
            click.echo(f"{row['tenant_id']}  {row['name']}")


@brobygger_group.group("apikey", help="API keys.")
def apikey_group() -> None:
    pass


@apikey_group.command("create", help="Create an API key for a tenant; the key is shown only now.")
@click.option("--tenant", "tenant_id", required=True)
@click.option("--name", default="api", show_default=True)
@click.option("--scope", "scopes", multiple=True, type=click.Choice(["read", "write", "admin"]),
              help="Repeat for several; default all three.")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def apikey_create(tenant_id: str, name: str, scopes: tuple[str, ...], as_json: bool) -> None:
    from .services import tenants

    with _session() as session:
        key = tenants.create_api_key(session, _uuid(tenant_id, "--tenant"), name, scopes or tenants.SCOPES)
    _emit({"api_key": key}, as_json, None)


@brobygger_group.group("recruiter", help="Recruiters: a tenant's users.")
def recruiter_group() -> None:
    pass


@recruiter_group.command("add", help="Add a recruiter to a tenant.")
@click.option("--tenant", "tenant_id", required=True)
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--time-zone", default="Europe/Oslo", show_default=True)
@click.option("--language", type=click.Choice(["nb", "en"]), default="nb", show_default=True)
@click.option("--admin", is_flag=True, help="May administer the tenant.")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def recruiter_add(tenant_id: str, email: str, name: str, time_zone: str, language: str, admin: bool,
                  as_json: bool) -> None:
    from marshmallow import ValidationError

    from .errors import flatten
    from .schemas.recruiters import RecruiterIn
    from .services import recruiters, tenants

    try:
        data = RecruiterIn().load({"email": email, "name": name, "time_zone": time_zone, "language": language,
                                   "is_admin": admin})
    except ValidationError as exc:
        field, messages = next(iter(flatten(exc.messages).items()))
        raise click.BadParameter(" ".join(messages), param_hint=f"--{field.replace('_', '-')}") from None
    with _session() as session:
        tenant = tenants.get(session, _uuid(tenant_id, "--tenant"))
        recruiter = recruiters.add(session, tenant.id, data, CLI_ACTOR)
    _emit({"recruiter_id": str(recruiter.id), "email": recruiter.email}, as_json, None)


# --- processes --------------------------------------------------------------------------------

LOG_LEVEL = click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info",
                         show_default=True)


@brobygger_group.command("worker", help="Run an RQ worker for Brobygger's queue (run as many as you like).")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@LOG_LEVEL
@with_appcontext
def worker(burst: bool, log_level: str) -> None:
    from rq import Queue, Worker

    state = get_state()
    queue = Queue(state.setting("QUEUE_NAME"), connection=state.redis)
    # A short TTL makes an idle worker heartbeat every 45 s, well inside /readyz's two minutes.
    Worker([queue], connection=state.redis, worker_ttl=60).work(burst=burst, with_scheduler=True,
                                                                logging_level=log_level.upper())


@brobygger_group.command("cron", help="Run the RQ cron scheduler (exactly one per deployment).")
@LOG_LEVEL
@with_appcontext
def cron(log_level: str) -> None:
    import os
    import time

    from rq.cron import CronScheduler

    from .jobs.cron import TICK_SECONDS, tick

    os.environ["TZ"] = "UTC"  # RQ reads cron strings in local time; tenant time is done in code
    time.tzset()
    state = get_state()
    scheduler = CronScheduler(connection=state.redis, logging_level=log_level.upper())
    scheduler.register(tick, state.setting("QUEUE_NAME"), kwargs={"queue_name": state.setting("QUEUE_NAME")},
                       interval=TICK_SECONDS, result_ttl=600)
    scheduler.start()


@brobygger_group.command("seed-demo", help="Create (or re-create with --reset) the demo tenant with believable data.")
@click.option("--reset", is_flag=True, help="Delete the demo tenant first.")
@with_appcontext
def seed_demo(reset: bool) -> None:
    from . import demo

    with _session() as session:
        result = demo.seed(session, get_state().vault, reset=reset)
    click.echo(result.summary())


@brobygger_group.command("run", help="Run the web app, one worker and the cron scheduler together "
                                      "(Ctrl-C stops all three).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8350, show_default=True, type=click.IntRange(1, 65535))
@click.option("--demo", is_flag=True, help="Migrate, seed the demo tenant and print a fresh demo API key first.")
@with_appcontext
def run(host: str, port: int, demo: bool) -> None:
    from .supervisor import run_all

    sys.exit(run_all(get_state(), host, port, demo))


# --- entry point ------------------------------------------------------------------------------

def _check_time_zone(name: str) -> None:
    from zoneinfo import available_timezones

    if name not in available_timezones():
        raise click.BadParameter(f"{name!r} is not an IANA time zone such as Europe/Oslo", param_hint="--time-zone")


def _emit(values: dict[str, Any], as_json: bool, note: str | None) -> None:
    if as_json:
        click.echo(json.dumps(values))
        return
    width = max(len(k) for k in values)
    for key, value in values.items():
        click.echo(f"{key.ljust(width)}  {value}")
    if note:
        click.echo(note)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: every failure is one readable line on stderr and a non-zero exit."""
    from .app import create_app

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
