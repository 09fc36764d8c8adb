"""The embedded sidebar: GET /sidebar/launch?jwt=… verifies a signed launch and shows the person."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from ..extension import db_session, get_state
from ..services import launch, sidebar

bp = Blueprint("brobygger_sidebar", __name__)


@bp.get(launch.LAUNCH_PATH)
def launch_sidebar() -> Any:
    state = get_state()
    token = request.args.get("jwt", "")
    session = db_session()
    try:
        if not token:
            raise launch.LaunchError("The launch link carries no token.")
        path = request.path.removeprefix(state.url_prefix)
        granted = launch.verify(session, state.vault, state.redis, token, request.method, path,
                                request.args.items(multi=True))
    except launch.LaunchError as exc:
        return render_template("brobygger/refused.html", reason=str(exc)), 401
    if granted.person_id is None:
        return render_template("brobygger/sidebar_unknown.html", ctx=granted.ctx), 200
    view = sidebar.view(session, granted.tenant_id, granted.person_id)
    names = {ref.id: sidebar.reference_name(session, ref) for _, ref in view.referred_by}
    return render_template("brobygger/sidebar.html", view=view, reference_names=names)
