"""The demo's shortcuts, enabled by BROBYGGER_DEMO only: /demo/sidebar signs a fresh sidebar launch for the
demo tenant as an ATS host would, and /demo/queue signs in as the demo recruiter."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, request, url_for
from sqlalchemy import func, select

from plugin.demo import builder
from plugin.extension import db_session, get_state
from plugin.login.account import handoff_url
from plugin.models import Person, Recruiter, Tenant, Touchpoint
from plugin.sidebar import launch

bp = Blueprint("brobygger_demo", __name__, url_prefix="/demo")


@bp.get("/queue")
def demo_queue() -> Any:
    """Sign in as the demo tenant's first recruiter and open the queue (BROBYGGER_DEMO only)."""
    _, recruiter = _demo_recruiter()
    return redirect(handoff_url(recruiter))


def _demo_recruiter() -> tuple[Tenant, Recruiter]:
    if not get_state().setting("DEMO"):
        abort(404)
    found = builder.demo_recruiter(db_session())
    if found is None:
        abort(404, "No demo tenant: run `brobygger seed-demo` first.")
    return found


@bp.get("/sidebar")
def demo_sidebar() -> Any:
    """Sign a fresh launch for the demo tenant (enabled by BROBYGGER_DEMO only), as an ATS host would."""
    state = get_state()
    tenant, recruiter = _demo_recruiter()
    person_id = request.args.get("person_id") or db_session().scalar(
        select(Touchpoint.person_id).join(Person, Person.id == Touchpoint.person_id)
        .where(Touchpoint.tenant_id == tenant.id).group_by(Touchpoint.person_id)
        .order_by(func.count().desc(), Touchpoint.person_id).limit(1))
    if person_id is None:
        abort(404, "The demo tenant has no people yet.")
    token = launch.sign(state.vault.decrypt(tenant.sidebar_secret_encrypted), tenant.id, recruiter.email,
                        {"person_id": str(person_id)})
    return redirect(url_for("brobygger_sidebar.launch_sidebar", jwt=token))

