"""`brobygger tenant|apikey|recruiter …`: setting a tenant up."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from plugin.core.cli import CLI_ACTOR, check_time_zone, emit, open_session, parse_uuid
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
