"""`brobygger installation …` and `brobygger sync`: connecting an ATS and pulling from it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

import click
from flask.cli import with_appcontext

from plugin.core.cli import emit, open_session, parse_uuid
from plugin.extension import get_state
from plugin.models.enums import Vendor

if TYPE_CHECKING:  # the sync engine loads the connectors: only when a sync runs, not at every command's start
    from plugin.ats.sync import Counts, Step

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
    from plugin.models import Installation

    state = get_state()
    target = parse_uuid(installation_id, "--installation")
    err = click.get_text_stream("stderr")
    progress = SyncProgress(err, interactive=err.isatty())
    started = time.monotonic()
    # The worker's lock: never two syncs of one installation at once, and the cron tick can tell this run
    # from one whose process died.
    try:
        with holding_sync_lock(state.redis, target), open_session() as session:
            close_interrupted(session, target)
            try:
                counts = sync.run(session, state.vault, target, full=full, progress=progress, cache=state.redis)
            finally:
                progress.close()
            installation = session.get(Installation, target)
            name = (installation.name or installation.vendor.value.title()) if installation else str(target)
    except SyncBusy as exc:
        raise click.ClickException(f"{exc}; try again when it has finished") from None
    except sync.SyncFailed as exc:
        raise click.ClickException(f"sync failed, bookmark kept: {exc}") from None
    click.echo(summary(counts, name, time.monotonic() - started, full=full))


def _many(count: int, one: str, more: str) -> str:
    return f"{count} {one if count == 1 else more}"


class SyncProgress:
    """One line on stderr after every committed page. When the ATS says how many candidates there are, a bar
    with "n of total"; otherwise a spinner with the counts so far. On a terminal the line is redrawn in place;
    in a log, a line at most every `every` seconds and the last one at the end."""

    FRAMES = "|/-\\"
    WIDTH = 20

    def __init__(self, out: TextIO, *, interactive: bool, every: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.out, self.interactive, self.every, self.clock = out, interactive, every, clock
        self.turn = 0
        self.printed_at: float | None = None
        self.pending: str | None = None
        self.width = 0  # of the line on the terminal, to blank what a shorter one leaves

    def __call__(self, step: Step) -> None:
        line = self.line(step)
        self.turn += 1
        if self.interactive:
            self.out.write("\r" + line.ljust(self.width))
            self.out.flush()
            self.width = max(self.width, len(line))
            return
        now = self.clock()
        if self.printed_at is None or now - self.printed_at >= self.every:
            self.out.write(line + "\n")
            self.out.flush()
            self.printed_at, self.pending = now, None
        else:
            self.pending = line

    def close(self) -> None:
        if self.interactive and self.width:
            self.out.write("\n")
        elif self.pending:
            self.out.write(self.pending + "\n")
        self.pending = None
        self.out.flush()

    def line(self, step: Step) -> str:
        counts = step.counts
        so_far = (f"{_many(counts.records, 'record', 'records')} read, "
                  f"{_many(counts.people_created, 'new person', 'new people')}, {counts.people_updated} updated")
        if step.total is not None and step.candidates <= step.total:
            filled = self.WIDTH * step.candidates // step.total if step.total else self.WIDTH
            head = f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {step.candidates} of {step.total} candidates"
        else:
            frame = self.FRAMES[self.turn % len(self.FRAMES)]
            head = f"{frame} {_many(step.candidates, 'candidate', 'candidates')}" if step.candidates else frame
        return f"Syncing {step.stream}: {head}; {so_far}"


def summary(counts: Counts, name: str, seconds: float, *, full: bool) -> str:
    """What a sync did, as a sentence."""
    took = f"Synced {name} in {seconds:.1f} s"
    if not counts.records:
        return f"{took}: {'the ATS has no candidates' if full else 'nothing has changed since the last sync'}."
    parts = [_many(counts.people_created, "person", "people") + " created",
             _many(counts.people_updated, "person", "people") + " updated",
             _many(counts.applications, "application", "applications"),
             _many(counts.touchpoints, "touchpoint", "touchpoints"),
             _many(counts.referrals, "referral", "referrals")]
    text = f"{took}: read {_many(counts.records, 'record', 'records')}; {', '.join(parts[:-1])} and {parts[-1]}."
    if counts.erased_skipped:
        text += (f" {_many(counts.erased_skipped, 'candidate was', 'candidates were')} skipped: they are erased "
                 "people here and are never imported again.")
    return text
