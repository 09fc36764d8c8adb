"""GET /calendar/<token>.ics: a recruiter's follow-ups for their calendar app, by secret URL only.

Calendar apps poll without cookies or headers, so the URL is the credential: an unknown, replaced or
revoked token is a plain 404, the same answer as for a URL that never existed.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort

from ..extension import db_session, get_state
from ..i18n import force_locale, gettext
from ..services import calendar

bp = Blueprint("brobygger_calendar", __name__)


@bp.get("/calendar/<token>.ics")
def feed(token: str) -> Any:
    session = db_session()
    recruiter = calendar.recruiter_for(session, token)
    if recruiter is None:
        abort(404)
    with force_locale(recruiter.language):
        summary = gettext("Follow up: %(name)s", name="{name}")
    body = calendar.feed(session, recruiter, queue_url(), summary=summary)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="brobygger.ics"'
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def queue_url() -> str:
    state = get_state()
    return f"{state.setting('BASE_URL').rstrip('/')}{state.url_prefix}/queue"


def feed_url(token: str) -> str:
    state = get_state()
    return f"{state.setting('BASE_URL').rstrip('/')}{state.url_prefix}/calendar/{token}.ics"
