"""The landing page and /manifest.json."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template

from plugin.demo import builder
from plugin.extension import db_session, get_state
from plugin.manifest import render

bp = Blueprint("brobygger_pages", __name__)


@bp.get("/")
def index() -> Any:
    state = get_state()
    # The demo's shortcuts are offered once there is a demo tenant to open (`make run` seeds one).
    demo = bool(state.setting("DEMO")) and builder.demo_recruiter(db_session()) is not None
    return render_template("brobygger/index.html", manifest=state.manifest, demo=demo)


@bp.get("/manifest.json")
def manifest_json() -> Any:
    state = get_state()
    base_url = state.setting("BASE_URL").rstrip("/") + state.url_prefix
    return jsonify(render(state.manifest, base_url))
