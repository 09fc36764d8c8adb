"""`brobygger installation …` and `brobygger sync`: connecting an ATS and pulling from it."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import with_appcontext

from plugin.core.cli import emit, open_session, parse_uuid
from plugin.extension import get_state
from plugin.models.enums import Vendor

CREDENTIAL_OPTIONS = ("client_id", "client_secret", "token_url", "api_key", "user_id", "integration_id")


@click.group("installation", help="ATS installations: a tenant's connection to Greenhouse, Lever, Teamtailor, "
                                  "Ashby, or one of 100+ ATSs through Kombo.")
def installation_group() -> None:
    pass


@installation_group.command("add", help="Connect a tenant to an ATS; prints the installation id and its webhook path.")
@click.option("--tenant", "tenant_id", required=True)
@click.option("--vendor", required=True, type=click.Choice(sorted(v.value for v in Vendor)))
@click.option("--base-url", required=True, help="API root, e.g. https://harvest.greenhouse.io/v3.")
@click.option("--client-id", help="Greenhouse: OAuth client id.")
@click.option("--client-secret", help="Greenhouse: OAuth client secret.")
@click.option("--token-url", help="Greenhouse: token endpoint (default https://auth.greenhouse.io/token).")
@click.option("--api-key", help="Lever, Teamtailor, Ashby and Kombo: the API key.")
@click.option("--integration-id", help="Kombo: the integration id of the customer's ATS connection.")
@click.option("--user-id", help="The ATS user that notes are written as.")
@click.option("--webhook-secret", "webhook_secrets", required=True, multiple=True,
              help="Greenhouse secret key, Teamtailor or Ashby key, Kombo signing secret; Lever signature token, "
                   "once per Lever webhook (repeat the option).")
@click.option("--name", help="A name to tell installations apart.")
@click.option("--write-back", is_flag=True, help="Write notes and tags back to the ATS.")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def installation_add(tenant_id: str, vendor: str, base_url: str, webhook_secrets: tuple[str, ...], name: str | None,
                     write_back: bool, as_json: bool, **credentials: str | None) -> None:
    from plugin.ats import installations
    from plugin.tenancy import tenants

    state = get_state()
    with open_session() as session:
        tenant = tenants.get(session, parse_uuid(tenant_id, "--tenant"))
        installation = installations.add(
            session, state.vault, tenant.id, vendor=vendor, base_url=base_url, webhook_secret=webhook_secrets,
            credentials={k: v for k, v in credentials.items() if v}, name=name,
            settings={"write_back": write_back})
    emit({"installation_id": str(installation.id),
          "webhook_path": f"{state.url_prefix}/webhooks/{vendor}/{installation.id}",
          "webhook_secrets": len(installations.webhook_secrets(state.vault, installation))}, as_json,
         "Configure the webhook in the ATS with this path on your public base URL.")


@installation_group.command("update", help="Add or remove webhook secrets (a new Lever webhook, a rotated key).")
@click.option("--installation", "installation_id", required=True)
@click.option("--tenant", "tenant_id", required=True)
@click.option("--add-webhook-secret", "added", multiple=True, help="A secret to accept as well (repeatable).")
@click.option("--remove-webhook-secret", "removed", multiple=True, help="A secret to stop accepting (repeatable).")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def installation_update(installation_id: str, tenant_id: str, added: tuple[str, ...], removed: tuple[str, ...],
                        as_json: bool) -> None:
    from plugin.ats import installations

    if not added and not removed:
        raise click.UsageError("nothing to change: give --add-webhook-secret or --remove-webhook-secret")
    state = get_state()
    with open_session() as session:
        kept = installations.update_webhook_secrets(
            session, state.vault, parse_uuid(tenant_id, "--tenant"), parse_uuid(installation_id, "--installation"),
            add=added, remove=removed)
    emit({"installation_id": installation_id, "webhook_secrets": len(kept)}, as_json)


@installation_group.command("list", help="List installations (of one tenant with --tenant).")
@click.option("--tenant", "tenant_id")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def installation_list(tenant_id: str | None, as_json: bool) -> None:
    from plugin.ats import installations

    with open_session() as session:
        rows = [{"installation_id": str(i.id), "tenant_id": str(i.tenant_id), "vendor": i.vendor.value,
                 "name": i.name, "base_url": i.base_url, "active": i.active}
                for i in installations.list_(session, parse_uuid(tenant_id, "--tenant") if tenant_id else None)]
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        click.echo(f"{row['installation_id']}  {row['vendor']:<10}  {row['name']}  {row['base_url']}")


@click.command("sync", help="Pull what changed in the ATS since the last sync (everything with --full).")
@click.option("--installation", "installation_id", required=True)
@click.option("--full", is_flag=True, help="Read everything, not only what changed since the bookmark.")
@with_appcontext
def sync_command(installation_id: str, full: bool) -> None:
    from plugin.ats import sync
    from plugin.ats.locks import SyncBusy, close_interrupted, holding_sync_lock

    state = get_state()
    target = parse_uuid(installation_id, "--installation")
    # The worker's lock: never two syncs of one installation at once, and the cron tick can tell this run
    # from one whose process died.
    try:
        with holding_sync_lock(state.redis, target), open_session() as session, click.progressbar(
                length=0, label="Syncing", file=sys.stderr, show_pos=True, show_eta=False) as bar:
            close_interrupted(session, target)
            counts = sync.run(session, state.vault, target, full=full, progress=bar.update, cache=state.redis)
    except SyncBusy as exc:
        raise click.ClickException(f"{exc}; try again when it has finished") from None
    except sync.SyncFailed as exc:
        raise click.ClickException(f"sync failed, bookmark kept: {exc}") from None
    click.echo(", ".join(f"{value} {name.replace('_', ' ')}" for name, value in counts.as_dict().items()))
