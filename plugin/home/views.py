"""The landing page and /manifest.json.

Signed in, the landing page is where a recruiter's day starts: their queue in numbers and the pages they work
in; an admin also sees whether each ATS installation is healthy. Signed out it says what Brobygger is and how
to sign in, with the links an integrator needs."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template

from plugin.demo import builder
from plugin.extension import db_session, get_state
from plugin.home import overview
from plugin.login import account
from plugin.manifest import render
from plugin.models import utcnow

bp = Blueprint("brobygger_pages", __name__)
account.setup(bp)


@bp.get("/")
def index() -> Any:
    state = get_state()
    session = db_session()
    me = account.current_recruiter()
    if me is not None:
        now = utcnow()
        health = overview.installations_health(session, me.tenant_id) if me.is_admin else []
        return render_template("brobygger/home.html", counts=overview.queue_counts(session, me, now),
                               health=health, now=now)
    # The demo's shortcuts are offered once there is a demo tenant to open (`make run` seeds one).
    demo = bool(state.setting("DEMO")) and builder.demo_recruiter(session) is not None
    return render_template("brobygger/index.html", manifest=state.manifest, demo=demo)


@bp.get("/manifest.json")
def manifest_json() -> Any:
    state = get_state()
    base_url = state.setting("BASE_URL").rstrip("/") + state.url_prefix
    return jsonify(render(state.manifest, base_url))
