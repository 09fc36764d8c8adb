"""`brobygger import linkedin|csv`: people from files, in one transaction per file."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from plugin.core.actors import Actor
from plugin.core.cli import open_session, parse_uuid
from plugin.errors import InvalidError
from plugin.imports import importers
from plugin.models import Origin

IMPORT_ACTOR = Actor("system", "cli", Origin.IMPORT)
PROGRESS_FROM = 500  # rows; smaller files finish before a bar would help

FILE = click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
TENANT = click.option("--tenant", "tenant_id", required=True, help="The tenant's id.")
OWNER = click.option("--owner", required=True, help="The recruiter who will own new people: id or e-mail.")
DRY_RUN = click.option("--dry-run", is_flag=True, help="Report what would happen and write nothing.")


@click.group("import", help="Import people from files (LinkedIn's Connections export, any CSV).")
def import_group() -> None:
    pass


@import_group.command("linkedin", help="Import LinkedIn's Connections.csv (Settings → Data privacy → Get a "
                                       "copy of your data). Matches people by LinkedIn URL, then e-mail.")
@FILE
@TENANT
@OWNER
@DRY_RUN
@with_appcontext
def import_linkedin(file: Path, tenant_id: str, owner: str, dry_run: bool) -> None:
    tenant = parse_uuid(tenant_id, "--tenant")
    rows = importers.linkedin_rows(importers.read_text(file))
    _import(tenant, owner, rows, importers.LINKEDIN_SOURCE, dry_run)


def _mapping(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> list[tuple[str, str]]:
    try:
        return importers.parse_mapping(values)
    except InvalidError as exc:
        raise click.BadParameter(exc.message) from None


def _delimiter(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    value = {"tab": "\t", "\\t": "\t"}.get(value, value)
    if len(value) != 1 or value in "\"\r\n":
        raise click.BadParameter("must be one character (or 'tab'), not a quote or line break")
    return value


def _source(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if not value.strip() or len(value.strip()) > 200:
        raise click.BadParameter("must be 1 to 200 characters")
    return value.strip()


@import_group.command("csv", help="Import a CSV file whose first row is the header, mapping its columns to "
                                  f"fields ({', '.join(importers.FIELDS)}; tags are ';'-separated).")
@FILE
@TENANT
@OWNER
@click.option("--map", "mapping", multiple=True, required=True, callback=_mapping, metavar="COLUMN=FIELD",
              help="Map a header column to a field; repeat. email, phone and tags may take several columns.")
@click.option("--delimiter", default=",", show_default=True, callback=_delimiter)
@click.option("--source", default=importers.CSV_SOURCE, show_default=True, callback=_source,
              help="Where the data came from, kept on each new person (GDPR art. 14).")
@DRY_RUN
@with_appcontext
def import_csv(file: Path, tenant_id: str, owner: str, mapping: list[tuple[str, str]], delimiter: str,
               source: str, dry_run: bool) -> None:
    tenant = parse_uuid(tenant_id, "--tenant")
    rows = importers.csv_rows(importers.read_text(file), mapping, delimiter)
    _import(tenant, owner, rows, source, dry_run)


def _import(tenant_id: uuid.UUID, owner: str, rows: list[importers.SourceRow], source: str, dry_run: bool) -> None:
    """Run the import; print bad rows (stderr), then the counts. A database failure is one line, nothing written."""
    from plugin.tenancy import tenants

    try:
        with open_session() as session:
            tenants.get(session, tenant_id)
            recruiter = importers.find_recruiter(session, tenant_id, owner)
            with _progress(len(rows)) as progress:
                result = importers.import_rows(session, tenant_id, recruiter.id, rows, source=source,
                                             actor=IMPORT_ACTOR, dry_run=dry_run, progress=progress)
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        raise click.ClickException(f"import failed, nothing was written: {type(exc).__name__}: "
                                   f"{detail[0] if detail else ''}") from None
    for bad in result.bad:
        click.echo(f"line {bad.line}: {bad.reason}", err=True)
    click.echo(result.summary())
    if dry_run:
        click.echo("dry run: nothing was written")


@contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None] | None]:
    """A bar on stderr for big files, only at a terminal: logs and tests stay clean."""
    if total <= PROGRESS_FROM or not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=total, label="Importing", file=sys.stderr,
                           update_min_steps=max(1, total // 200)) as bar:
        yield bar.update
