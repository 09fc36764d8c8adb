"""The browser extension's two sides of this deployment.

`/api/browser/…` (JSON, the one error envelope): what the extension's background script calls. Connecting
(`connections`, `tokens`) needs no credential but the device code; everything else needs the extension's own
token as `Authorization: Bearer bbx_…`. These answers allow the extension's origin by CORS (no cookies are
involved, so a page that is not the extension gains nothing by it). Messages come in the recruiter's language.

`/browser/connect` (a signed-in page): the recruiter confirms the code the extension shows;
`/browser/tokens/<id>/revoke`: the settings page's button that disconnects a browser.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.exceptions import BadRequest

from plugin.browser import connections, launches, pages
from plugin.core import ratelimit
from plugin.core.api import too_many
from plugin.errors import ConflictError, InvalidError, NotFoundError, UnauthorizedError
from plugin.extension import db_session, get_state
from plugin.headers import client_address
from plugin.i18n import force_locale, gettext
from plugin.login import account
from plugin.models import Recruiter

api_bp = Blueprint("brobygger_browser_api", __name__, url_prefix="/api/browser")
pages_bp = Blueprint("brobygger_browser", __name__)
account.setup(pages_bp)

# The schemes browsers give extension pages and their background scripts as origin.
_EXTENSION_ORIGIN = re.compile(r"^(chrome|moz|safari-web)-extension://[A-Za-z0-9._-]{1,128}$")
CONNECT_LIMIT = 20  # pairs started per address per ten minutes: enough for a whole office behind one NAT
MAX_NAME = 200


@api_bp.after_request
def _cors(response: Response) -> Response:
    origin = request.headers.get("Origin", "")
    if _EXTENSION_ORIGIN.match(origin):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, DELETE"
        response.headers["Access-Control-Max-Age"] = "600"
    response.headers.add("Vary", "Origin")
    response.headers["Cache-Control"] = "no-store"
    return response


# The messages say what to do, as the extension shows them to the recruiter; the field is in `errors`.
def _json() -> dict[str, Any]:
    try:
        body = request.get_json(force=True, silent=False)
    except BadRequest:
        body = None
    if not isinstance(body, dict):
        raise InvalidError(gettext("Brobygger could not read the extension's request. Update the extension."),
                           {"_schema": ["Not a JSON object."]})
    return body


def _field(body: dict[str, Any], name: str, limit: int, message: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > limit or "\x00" in value:
        raise InvalidError(message, {name: ["Missing, too long or not text."]})
    return value.strip()


class _TooMany(Exception):
    def __init__(self, verdict: ratelimit.Verdict) -> None:
        self.verdict = verdict


@api_bp.errorhandler(_TooMany)
def _too_many(exc: _TooMany) -> Response:
    return too_many(exc.verdict)


def _bearer() -> tuple[Any, Recruiter, Any]:
    """The extension's token, its recruiter and tenant; each token is held to the API's rate, like a key."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    found = connections.authenticate(db_session(), token.strip()) if scheme.lower() == "bearer" else None
    if found is None:
        raise UnauthorizedError(gettext("This browser is not connected to Brobygger, or its connection was "
                                        "removed. Connect it again."))
    state = get_state()
    verdict = ratelimit.hit(state.redis, f"browser:{found[0].id}", state.setting("RATE_LIMIT_API"),
                            state.setting("RATE_LIMIT_WINDOW"))
    if not verdict.allowed:
        raise _TooMany(verdict)
    return found


def _browser_label() -> str:
    """The browser and system, as the settings page lists connected browsers ("Edge on Windows")."""
    agent = request.headers.get("User-Agent", "")
    browser = next((name for marker, name in (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
                                              ("Safari/", "Safari")) if marker in agent), "Browser")
    system = next((name for marker, name in (("Windows", "Windows"), ("Mac OS", "macOS"), ("CrOS", "ChromeOS"),
                                             ("Linux", "Linux")) if marker in agent), "")
    return f"{browser} ({system})" if system else browser


# --- connecting ------------------------------------------------------------------------------------------------

@api_bp.post("/connections")
def start_connection() -> Any:
    state = get_state()
    verdict = ratelimit.hit(state.redis, f"browser-connect:{client_address()}", CONNECT_LIMIT, 600)
    if not verdict.allowed:
        return too_many(verdict)
    pending = connections.start(state.redis, _browser_label())
    base = state.setting("BASE_URL").rstrip("/") + state.url_prefix
    return jsonify({"device_code": pending.device_code, "user_code": connections.shown(pending.user_code),
                    "verification_url": f"{base}/browser/connect?code={connections.shown(pending.user_code)}",
                    "interval": connections.POLL_SECONDS, "expires_in": connections.PENDING_SECONDS}), 201


@api_bp.post("/tokens")
def exchange() -> Any:
    device_code = _field(_json(), "device_code", 100,
                         gettext("This connection request is not valid. Start again from the extension."))
    issued = connections.exchange(db_session(), get_state().redis, device_code)
    if issued is None:
        raise NotFoundError(gettext("This connection request has expired. Start again from the extension."))
    if issued == "pending":
        return jsonify({"status": "pending"}), 202
    assert isinstance(issued, connections.Issued)
    me = issued.recruiter
    return jsonify({"status": "connected", "token": issued.token, "tenant": issued.tenant.name,
                    "recruiter": {"name": me.name, "email": me.email, "language": me.language}}), 201


@api_bp.delete("/token")
def disconnect() -> Any:
    row, _me, _tenant = _bearer()
    connections.disconnect(db_session(), row)
    return "", 204


@api_bp.get("/me")
def whoami() -> Any:
    """Whom the extension acts for: its popup shows it, and a revoked token learns here that it must connect again."""
    _row, me, tenant = _bearer()
    return jsonify({"tenant": tenant.name, "recruiter": {"name": me.name, "email": me.email,
                                                         "language": me.language}})


# --- opening the sidebar ---------------------------------------------------------------------------------------

@api_bp.post("/launches")
def open_sidebar() -> Any:
    """The launch link for the person a page names (`kind`, `id`: nothing else of the page). A LinkedIn profile
    Brobygger does not know yet gets no link but `known: false`: the extension then offers "Track in Brobygger"."""
    _row, me, tenant = _bearer()
    with force_locale(me.language):
        body = _json()
        kind = _page_kind(body)
        target = launches.target(db_session(), tenant.id, kind, body["id"])
        if kind.name == "linkedin" and not target.known:
            return jsonify({"url": None, "known": False})
        return jsonify({"url": _launch(me, tenant, kind, target.ctx), "known": target.known})


@api_bp.post("/linkedin")
def track_linkedin() -> Any:
    """Track the person of a LinkedIn profile (or find them, when Brobygger has their profile already), with the
    name and headline the recruiter sees on it, and open the sidebar on them."""
    _row, me, tenant = _bearer()
    with force_locale(me.language):
        body = _json()
        kind = _page_kind({**body, "kind": "linkedin"})
        name = _field(body, "name", MAX_NAME, gettext("The profile shows no name. Reload the page and try again."))
        headline = body.get("headline") if isinstance(body.get("headline"), str) else ""
        headline = "".join(c for c in headline if c.isprintable())  # as shown on the page: no NUL, no controls
        try:
            person_id = launches.track_linkedin(db_session(), tenant.id, me, body["id"], name, headline[:MAX_NAME])
        except ConflictError:
            raise ConflictError(gettext("This person was erased from Brobygger at their request and is not added "
                                        "again."), {"id": ["Erased."]}) from None
        return jsonify({"url": _launch(me, tenant, kind, {"person_id": str(person_id)}), "known": True}), 201


def _page_kind(body: dict[str, Any]) -> pages.PageKind:
    kind_name, page_id = body.get("kind"), body.get("id")
    unknown = gettext("Brobygger does not recognise this page. Update the extension, then reload the page.")
    if not isinstance(kind_name, str) or not isinstance(page_id, str):
        raise InvalidError(unknown, {"kind": ["Required: text."], "id": ["Required: text."]})
    try:
        return pages.checked(kind_name, page_id)
    except pages.PageError as exc:
        raise InvalidError(unknown, {str(exc): ["Not a page Brobygger knows."]}) from None


def _launch(me: Recruiter, tenant: Any, kind: pages.PageKind, ctx: dict[str, Any]) -> str:
    state = get_state()
    return launches.launch_url(state.vault, state.setting("BASE_URL").rstrip("/") + state.url_prefix, tenant, me,
                               kind, ctx)


# --- the recruiter's pages -------------------------------------------------------------------------------------

def _not_waiting() -> str:  # read at request time, in the recruiter's language
    return gettext("No browser is waiting for this code. Check the code, or start again from the extension.")


@pages_bp.get("/browser/connect")
def connect_page() -> Any:
    code = connections.normal_user_code(request.args.get("code", ""))
    if account.current_recruiter() is None:
        return redirect(url_for("brobygger_login.login_form", next=url_for(".connect_page", code=code or None)))
    if not code:
        return render_template("brobygger/browser_connect.html", code="")
    label = connections.asking(get_state().redis, code)
    if label is None:
        return render_template("brobygger/browser_connect.html", code=connections.shown(code), error=_not_waiting())
    return render_template("brobygger/browser_connect.html", code=connections.shown(code), label=label)


@pages_bp.post("/browser/connect")
@account.require_recruiter
def approve() -> Any:
    code = request.form.get("code", "")
    if not connections.approve(get_state().redis, code, account.recruiter()):
        return render_template("brobygger/browser_connect.html", code=code[:20], error=_not_waiting()), 422
    return render_template("brobygger/browser_connect.html", connected=True)


@pages_bp.post("/browser/tokens/<uuid:token_id>/revoke")
@account.require_recruiter
def revoke(token_id: uuid.UUID) -> Any:
    if not connections.revoke(db_session(), account.recruiter(), token_id, account.actor()):
        raise NotFoundError(gettext("No such connected browser."))
    flash(gettext("The browser is disconnected. Its extension asks to be connected again."))
    return redirect(url_for("brobygger_settings.settings") + "#browsers")

