"""The landing page and /manifest.json."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template

from plugin.extension import get_state
from plugin.manifest import render

bp = Blueprint("brobygger_pages", __name__)


@bp.get("/")
def index() -> Any:
    state = get_state()
    return render_template("brobygger/index.html", manifest=state.manifest, demo=state.setting("DEMO"))


@bp.get("/manifest.json")
def manifest_json() -> Any:
    state = get_state()
    base_url = state.setting("BASE_URL").rstrip("/") + state.url_prefix
    return jsonify(render(state.manifest, base_url))
