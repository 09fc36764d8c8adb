"""`brobygger tenant|apikey|recruiter …`: setting a tenant up and keeping its recruiters current."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from plugin.core.cli import CLI_ACTOR, check_time_zone, emit, open_session, parse_uuid, table
from plugin.extension import get_state


@click.group("tenant", help="Tenants: one per customer company.")
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
    from plugin.tenancy import tenants

    check_time_zone(time_zone)
    if not name.strip() or len(name) > 200:
        raise click.BadParameter("must be 1 to 200 characters", param_hint="--name")
    with open_session() as session:
        created = tenants.create(session, get_state().vault, name.strip(), language=language,
                                 time_zone=time_zone, ats_origins=list(ats_origins))
    out = {"tenant_id": str(created.tenant.id), "name": created.tenant.name, "api_key": created.api_key,
           "sidebar_secret": created.sidebar_secret}
    emit(out, as_json, "Tenant created. The API key and sidebar secret are shown only now.")


@tenant_group.command("list", help="List tenants.")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def tenant_list(as_json: bool) -> None:
    from plugin.tenancy import tenants

    with open_session() as session:
        rows = [{"tenant_id": str(t.id), "name": t.name, "created_at": t.created_at.isoformat()}
                for t in tenants.list_all(session)]
    if as_json:
        click.echo(json.dumps(rows))
    else:
        for row in rows:
            click.echo(f"{row['tenant_id']}  {row['name']}")


@click.group("apikey", help="API keys.")
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
    from plugin.tenancy import tenants

    with open_session() as session:
        key = tenants.create_api_key(session, parse_uuid(tenant_id, "--tenant"), name, scopes or tenants.SCOPES)
    emit({"api_key": key}, as_json, None)


@click.group("recruiter", help="Recruiters: a tenant's users.")
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

    from plugin.errors import flatten
    from plugin.tenancy import recruiters, tenants
    from plugin.tenancy.schemas import RecruiterIn

    try:
        data = RecruiterIn().load({"email": email, "name": name, "time_zone": time_zone, "language": language,
                                   "is_admin": admin})
    except ValidationError as exc:
        field, messages = next(iter(flatten(exc.messages).items()))
        raise click.BadParameter(" ".join(messages), param_hint=f"--{field.replace('_', '-')}") from None
    with open_session() as session:
        tenant = tenants.get(session, parse_uuid(tenant_id, "--tenant"))
        recruiter = recruiters.add(session, tenant.id, data, CLI_ACTOR)
    emit({"recruiter_id": str(recruiter.id), "email": recruiter.email}, as_json, None)


@recruiter_group.command("list", help="List recruiters (of one tenant with --tenant).")
@click.option("--tenant", "tenant_id", help="Only this tenant's recruiters.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array.")
@with_appcontext
def recruiter_list(tenant_id: str | None, as_json: bool) -> None:
    from plugin.tenancy import recruiters, tenants

    with open_session() as session:
        tenant = tenants.get(session, parse_uuid(tenant_id, "--tenant")) if tenant_id else None
        found = recruiters.everyone(session, tenant.id if tenant else None)
        rows = [{"recruiter_id": str(r.id), "tenant_id": str(r.tenant_id), "tenant": name, "email": r.email,
                 "name": r.name, "language": r.language, "time_zone": r.time_zone, "admin": r.is_admin,
                 "active": r.active} for r, name in found]
    if as_json:
        click.echo(json.dumps(rows))
        return
    if not rows:
        click.echo("No recruiters yet." + ("" if tenant else " Add one with `brobygger recruiter add`."))
        return
    columns = ["email", "name", "language", "time_zone", "admin", "active"]
    if tenant is None:  # all tenants: say whose each recruiter is
        columns.insert(0, "tenant")
    table([c.replace("_", " ") for c in columns], [[row[c] for c in columns] for row in rows])


@recruiter_group.command("update", help="Change a recruiter's language, time zone, admin right, or whether they "
                                        "may sign in.")
@click.argument("email")
@click.option("--tenant", "tenant_id", required=True)
@click.option("--language", type=click.Choice(["nb", "en"]))
@click.option("--time-zone", help="An IANA time zone such as Europe/Oslo.")
@click.option("--admin/--no-admin", default=None, help="May (or may no longer) administer the tenant.")
@click.option("--active/--inactive", default=None, help="An inactive recruiter cannot sign in and gets no e-mail.")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def recruiter_update(email: str, tenant_id: str, language: str | None, time_zone: str | None, admin: bool | None,
                     active: bool | None, as_json: bool) -> None:
    from plugin.tenancy import recruiters, tenants

    changes = {key: value for key, value in {"language": language, "time_zone": time_zone, "is_admin": admin,
                                             "active": active}.items() if value is not None}
    if not changes:
        raise click.UsageError("nothing to change: give --language, --time-zone, --admin/--no-admin or "
                               "--active/--inactive")
    if time_zone is not None:
        check_time_zone(time_zone)
    with open_session() as session:
        tenant = tenants.get(session, parse_uuid(tenant_id, "--tenant"))
        found = recruiters.by_email(session, tenant.id, email)
        updated = recruiters.update(session, tenant.id, found.id, changes, CLI_ACTOR)
        out = {"email": updated.email, "name": updated.name, "language": updated.language,
               "time_zone": updated.time_zone, "admin": updated.is_admin, "active": updated.active}
    if as_json:
        click.echo(json.dumps(out))
    else:
        emit({key: ("yes" if value is True else "no" if value is False else value) for key, value in out.items()},
             False)
