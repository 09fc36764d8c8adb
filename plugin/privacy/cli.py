"""`brobygger person export|erase` (data-subject requests) and `brobygger apikey revoke`."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from plugin.core.cli import CLI_ACTOR, open_session, parse_uuid
from plugin.tenancy.cli import apikey_group


@click.group("person", help="Data-subject requests for one person: export (access) and erase.")
def person_group() -> None:
    pass


@person_group.command("export", help="Print everything held about a person as JSON (GDPR art. 15).")
@click.option("--tenant", "tenant_id", required=True)
@click.option("--person", "person_id", required=True)
@with_appcontext
def person_export(tenant_id: str, person_id: str) -> None:
    from plugin.privacy import export

    with open_session() as session:
        data = export.export(session, parse_uuid(tenant_id, "--tenant"), parse_uuid(person_id, "--person"),
                              CLI_ACTOR)
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@person_group.command("erase", help="Erase a person at once (GDPR art. 17); their e-mail addresses, LinkedIn "
                                    "URL and ATS records are fingerprinted so they are not re-imported.")
@click.option("--tenant", "tenant_id", required=True)
@click.option("--person", "person_id", required=True)
@click.option("--yes", is_flag=True, help="Confirm: erasure cannot be undone.")
@with_appcontext
def person_erase(tenant_id: str, person_id: str, yes: bool) -> None:
    from plugin.extension import get_state
    from plugin.privacy import erasure

    if not yes:
        raise click.UsageError("erasure cannot be undone; add --yes to confirm")
    with open_session() as session:
        erased = erasure.erase(session, parse_uuid(tenant_id, "--tenant"), parse_uuid(person_id, "--person"),
                               CLI_ACTOR, outbox=get_state().instance_path / "outbox")
    click.echo(f"person {erased.person_id} erased; ATS erasure: {erased.ats_erasure}")
    for record in erased.ats_records:
        click.echo(f"  erase in {record['vendor']} installation {record['installation_id']}: "
                   f"candidate {record['ats_id']}")


@apikey_group.command("revoke", help="Revoke a tenant's live API keys of this name; they stop working at once.")
@click.option("--tenant", "tenant_id", required=True)
@click.option("--name", required=True)
@with_appcontext
def apikey_revoke(tenant_id: str, name: str) -> None:
    from plugin.errors import NotFoundError
    from plugin.tenancy import tenants

    with open_session() as session:
        tenant = tenants.get(session, parse_uuid(tenant_id, "--tenant"))
        count = tenants.revoke_keys(session, tenant.id, name)
    if not count:
        raise NotFoundError(f"No live API key named {name!r} in this tenant.")
    click.echo(f"revoked {count} key{'s' if count != 1 else ''}")
