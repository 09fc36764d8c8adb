"""Security headers on every response of our blueprints, and the client address and scheme behind a
trusted proxy.

A response that already carries a Content-Security-Policy keeps it: the sidebar sets its own, with
`frame-ancestors` naming the tenant's ATS origins, and the recruiter pages theirs. The sidebar is also
never given `frame-ancestors 'none'` here, since it lives in the ATS's frame.
"""

from __future__ import annotations

from flask import Response, request

from plugin.extension import get_state

CSP_PAGES = ("default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
             "base-uri 'self'; form-action 'self'")
CSP_JSON = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
HSTS = "max-age=31536000"
FRAMED_BLUEPRINTS = frozenset({"brobygger_sidebar"})
# Pages whose URL is a credential: the URL must never leave in a Referer header.
TOKEN_ENDPOINTS = frozenset({"brobygger_privacy.consent", "brobygger_calendar.feed", "brobygger_login.redeem"})


def trust_proxy() -> bool:
    return bool(get_state().setting("TRUST_PROXY"))


def is_secure() -> bool:
    """HTTPS as the client sees it: the request itself, or the trusted proxy's X-Forwarded-Proto."""
    if request.is_secure:
        return True
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[-1].strip().lower()
    return trust_proxy() and forwarded == "https"


def client_address() -> str:
    """The peer address; behind a trusted proxy, the address that proxy saw (the last X-Forwarded-For)."""
    forwarded = request.headers.get("X-Forwarded-For", "")
    if trust_proxy() and forwarded.strip():
        return forwarded.split(",")[-1].strip()[:64]
    return request.remote_addr or "unknown"


def _carries_token() -> bool:
    if request.endpoint in TOKEN_ENDPOINTS:
        return True
    names = {*(request.view_args or {}), *request.args}
    return any(name == "token" or name.endswith("_token") for name in names)


def add_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    if _carries_token():
        headers["Referrer-Policy"] = "no-referrer"
    else:
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if "Content-Security-Policy" not in headers:
        framed = request.blueprint in FRAMED_BLUEPRINTS
        if response.mimetype == "application/json":
            headers["Content-Security-Policy"] = CSP_JSON
        else:
            headers["Content-Security-Policy"] = CSP_PAGES + ("" if framed else "; frame-ancestors 'none'")
        if not framed:
            headers.setdefault("X-Frame-Options", "DENY")
    if is_secure():
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response
