"""The `brobygger` command line. The same commands are available in a host app as `flask brobygger …`."""

from __future__ import annotations

import sys

import click
from flask.cli import ScriptInfo

from ..config import ConfigError
from ..errors import DomainError
from . import ats, database, imports, privacy, processes, tenancy


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


for _command in (database.db_group, tenancy.tenant_group, tenancy.apikey_group, tenancy.recruiter_group,
                 processes.worker, processes.cron, processes.seed_demo, processes.run, ats.installation_group,
                 ats.sync_command, imports.import_group, privacy.person_group):
    brobygger_group.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: every failure is one readable line on stderr and a non-zero exit."""
    from ..app import create_app

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
