"""The signed-in recruiter of the first-party pages (queue, roles), CSRF protection, and our static files.

The Flask session (a signed cookie: HttpOnly, SameSite=Lax, see `app.py`) holds only the recruiter's id,
the tenant's id, the sign-in time, the recruiter's session generation and a CSRF token, under keys of our
own so a host app's session data never mixes with ours. A sign-in lasts at most `SESSION_HOURS`, checked
here as well, so a host app with a longer cookie lifetime cannot stretch it. Every request reloads the
recruiter: a deactivated account, or one that has signed out since (a new generation), is signed out at once.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from plugin import formats
from plugin.core.actors import Actor
from plugin.extension import db_session, get_state
from plugin.i18n import gettext, select_locale
from plugin.login import links
from plugin.models import Origin, Recruiter

SESSION_HOURS = 12
KEYS = ("brobygger_recruiter_id", "brobygger_tenant_id", "brobygger_signed_in_at", "brobygger_generation")
CSRF_KEY = "brobygger_csrf"
# A page script's JSON POST carries the token in this header: a cross-site page cannot set a custom header on a
# request to us without a CORS preflight we never grant.
CSRF_HEADER = "X-CSRF-Token"
# No surface of its own in the (final) Origin vocabulary: the recruiter's pages count as the sidebar's kin.
PAGE_SURFACE = Origin.SIDEBAR

def sign_in(grant: links.Grant) -> None:
    _forget()  # only our keys: a host app's own session data stays
    session.permanent = True
    session.update({KEYS[0]: str(grant.recruiter_id), KEYS[1]: str(grant.tenant_id), KEYS[2]: int(time.time()),
                    KEYS[3]: grant.generation,
                    CSRF_KEY: secrets.token_urlsafe(32)})  # a new CSRF token per sign-in (no fixation)


def _forget() -> None:
    for key in (*KEYS, CSRF_KEY):
        session.pop(key, None)


def sign_out() -> None:
    """Forget the session here and end it on the server: the cookie is only signed, so a copy of it
    (another tab's, a stolen one) would otherwise keep working until it expires."""
    grant = _session_grant()
    if grant is not None and current_recruiter() is not None:
        links.end_sessions(db_session(), grant)
    _forget()


def current_recruiter() -> Recruiter | None:
    """The signed-in, still active recruiter, or None; cached on `g` for the request."""
    if "brobygger_recruiter" in g:
        return g.brobygger_recruiter
    grant = _session_grant()
    recruiter = links.session_recruiter(db_session(), grant) if grant else None
    g.brobygger_recruiter = recruiter
    if recruiter is not None:
        g.brobygger_locale = recruiter.language  # our texts come out in the recruiter's language,
        g.brobygger_region = recruiter.region  # numbers and dates as written where they are,
        g.brobygger_time_zone = recruiter.time_zone  # times in their zone (plugin/formats.py)
    return recruiter


def _session_grant() -> links.Grant | None:
    """What the session cookie claims, while the sign-in is younger than `SESSION_HOURS`. A session from
    before generations were kept has none and counts as the first."""
    signed_in_at, generation = session.get(KEYS[2]), session.get(KEYS[3], 0)
    if not isinstance(signed_in_at, int) or time.time() - signed_in_at >= SESSION_HOURS * 3600 \
            or not isinstance(generation, int):
        return None
    try:
        return links.Grant(uuid.UUID(str(session.get(KEYS[1]))), uuid.UUID(str(session.get(KEYS[0]))), generation)
    except ValueError:
        return None


def require_recruiter(view: Callable[..., Any]) -> Callable[..., Any]:
    """Pages for signed-in recruiters only; anyone else is sent to the sign-in page."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_recruiter() is None:
            _forget()
            return redirect(url_for("brobygger_login.login_form"))
        return view(*args, **kwargs)

    return wrapper


def recruiter() -> Recruiter:
    found = current_recruiter()
    if found is None:  # only reachable from a view without @require_recruiter
        abort(401)
    return found


def actor() -> Actor:
    return Actor("recruiter", str(recruiter().id), PAGE_SURFACE)


def csrf_token() -> str:
    """The session's CSRF token, made on first use (the sign-in form needs one before anyone signs in)."""
    if CSRF_KEY not in session:
        session[CSRF_KEY] = secrets.token_urlsafe(32)
    return session[CSRF_KEY]


def check_csrf() -> None:
    """Before every POST of our pages: the form's token must be the session's (SameSite=Lax is the
    second line of defence, not the only one)."""
    if request.method != "POST":
        return
    expected = session.get(CSRF_KEY)
    given = request.headers.get(CSRF_HEADER, "") if request.is_json else request.form.get("csrf_token", "")
    if not expected or not secrets.compare_digest(str(expected), given):
        abort(400, gettext("The form has expired or did not come from this site. Reload the page and try again."))


def harden(response: Response) -> Response:
    """Pages with session forms: never framed (clickjacking), scripts only from us, nothing cached,
    and no token-bearing URL leaked to other sites through the Referer header."""
    response.headers.setdefault("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                                "script-src 'self'; frame-ancestors 'none'; form-action 'self'")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def page_globals() -> dict[str, Any]:
    """What our page templates share: the CSRF token, the signed-in recruiter, `local` (a time in the
    recruiter's zone and locale; see plugin/formats.py for the filters) and the page's language."""
    signed_in = current_recruiter()
    zone = ZoneInfo(signed_in.time_zone) if signed_in else ZoneInfo("UTC")
    return {"csrf_token": csrf_token, "me": signed_in, "local": formats.local,
            "lang": select_locale(), "zone_name": zone.key}


def safe_next(target: str | None, default: str) -> str:
    r"""Only a path of this site; anything else (another host, `//host`, a scheme) goes to `default`.

    Browsers drop tabs and newlines anywhere in a URL, trim leading spaces and controls, and read `\` as
    `/` (WHATWG URL Standard, "basic URL parser"), so `/<TAB>/evil.example` would be `//evil.example`: a
    target with any of those characters is refused outright rather than cleaned."""
    if not target or any(ord(c) <= 0x20 or ord(c) == 0x7F or c == "\\" for c in target):
        return default
    return target if target.startswith("/") and not target.startswith("//") else default


def setup(page_bp: Blueprint) -> None:
    """What every one of our recruiter page blueprints does on each request."""
    page_bp.before_request(check_csrf)
    page_bp.after_request(harden)
    page_bp.context_processor(page_globals)


def handoff_url(recruiter: Recruiter, next_path: str | None = None) -> str:
    """A short-lived, single-use link the sidebar opens in a new tab: the recruiter lands signed in on
    the queue (or on `next_path`, a path of this site) with a first-party cookie, which a cross-site iframe
    could not set."""
    url = link_url(links.make_token(get_state().setting("SECRET_KEY"), recruiter, "handoff"))
    return f"{url}?{urlencode({'next': next_path})}" if next_path else url


def link_url(token: str) -> str:
    """Links are built on BASE_URL, never on the request's Host header, which an attacker could set to
    have our e-mail carry a link to their own server."""
    state = get_state()
    return f"{state.setting('BASE_URL').rstrip('/')}{state.url_prefix}/login/{token}"
