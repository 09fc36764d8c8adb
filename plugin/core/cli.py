"""Helpers every command module shares."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

import click
from sqlalchemy.orm import Session

from plugin.core.actors import Actor
from plugin.extension import get_state
from plugin.models import Origin

CLI_ACTOR = Actor("system", "cli", Origin.CLI)

LOG_LEVEL = click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info",
                         show_default=True)


def open_session() -> Session:
    return get_state().sessions()


def parse_uuid(value: str, option: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an id (a UUID)", param_hint=option) from None


def check_time_zone(name: str) -> None:
    from zoneinfo import available_timezones

    if name not in available_timezones():
        raise click.BadParameter(f"{name!r} is not an IANA time zone such as Europe/Oslo", param_hint="--time-zone")


def emit(values: dict[str, Any], as_json: bool, note: str | None = None) -> None:
    """Print a result as aligned `key  value` lines, or as one JSON object with --json."""
    if as_json:
        click.echo(json.dumps(values))
        return
    width = max(len(k) for k in values)
    for key, value in values.items():
        click.echo(f"{key.ljust(width)}  {value}")
    if note:
        click.echo(note)


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print rows under a header, each column as wide as its widest cell; True/False read as yes/no."""
    cells = [list(header), *([_cell(value) for value in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        click.echo("  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip())


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)
