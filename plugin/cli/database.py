"""`brobygger db …`: schema migrations."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..extension import get_state


@click.group("db", help="Database schema migrations.")
def db_group() -> None:
    pass


@db_group.command("upgrade", help="Migrate the database to the newest schema (or to --revision).")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    from .. import migrate

    migrate.upgrade(get_state().engine, revision)
    click.echo(f"database at revision {migrate.current(get_state().engine)}")


@db_group.command("downgrade", help="Migrate the database back to REVISION ('base' empties it).")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    from .. import migrate

    migrate.downgrade(get_state().engine, revision)
    click.echo(f"database at revision {migrate.current(get_state().engine) or 'base'}")


@db_group.command("current", help="Print the database's schema revision.")
@with_appcontext
def db_current() -> None:
    from .. import migrate

    click.echo(migrate.current(get_state().engine) or "base")


@db_group.command("revision", help="Write a new migration from the models (for developers).")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    from .. import migrate

    migrate.revision(get_state().engine, message)
