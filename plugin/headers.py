"""Security headers on every response of our blueprints, the client address and scheme behind a trusted
proxy, and the request body limit of each route class (webhooks, API, pages).

A response that already carries a Content-Security-Policy keeps it: the sidebar sets its own, with
`frame-ancestors` naming the tenant's ATS origins, and the recruiter pages theirs. The sidebar is also
never given `frame-ancestors 'none'` here, since it lives in the ATS's frame.
"""

from __future__ import annotations

import io
from typing import IO, Any

from flask import Flask, Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from plugin.extension import get_state

CSP_PAGES = ("default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
             "base-uri 'self'; form-action 'self'")
CSP_JSON = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
HSTS = "max-age=31536000"
FRAMED_BLUEPRINTS = frozenset({"brobygger_sidebar"})
# Pages whose URL is a credential: the URL must never leave in a Referer header.
TOKEN_ENDPOINTS = frozenset({"brobygger_privacy.consent", "brobygger_calendar.feed", "brobygger_login.redeem"})


# The ATS's calls: the webhooks and Teamtailor's partner endpoints.
WEBHOOK_BLUEPRINTS = frozenset({"brobygger_webhooks", "brobygger_partners"})


def install_body_limits(app: Flask, api_blueprints: set[str], page_blueprints: set[str]) -> None:
    """Run first among the app's before-request hooks: a host's hook or a blueprint's CSRF check that reads the
    body must find the limit already set, since werkzeug fixes it when the stream is first opened."""

    def limit_body() -> None:
        names = set(request.blueprints)
        if names & WEBHOOK_BLUEPRINTS:
            kind = "WEBHOOKS"
        elif names & api_blueprints:
            kind = "API"
        elif names & page_blueprints:
            kind = "PAGES"
        else:
            return  # the host's own routes keep the host's limit
        bound_body(get_state().setting("BODY_LIMIT_" + kind))

    app.before_request_funcs.setdefault(None, []).insert(0, limit_body)


def bound_body(limit: int) -> None:
    """413 (which our blueprints' handlers turn into the error envelope or the error page) for a body over
    `limit`, having read at most `limit` bytes of it."""
    if request.content_length is not None:
        request.max_content_length = limit  # werkzeug refuses a larger Content-Length before reading
        return
    # A chunked body: werkzeug's own cap would hand the view the first `limit` bytes as if they were all
    # (LimitedStream.readall stops there silently), so ours refuses the stream instead; werkzeug's is set one
    # byte higher so that it asks ours for the rest (a host's MAX_CONTENT_LENGTH must not truncate first).
    request.environ["wsgi.input"] = BoundedInput(request.environ["wsgi.input"], limit)
    request.max_content_length = limit + 1


class BoundedInput(io.RawIOBase):
    """`wsgi.input` that hands out at most `limit` bytes and raises 413 when asked for more: a body of `limit`
    bytes or more without a Content-Length is refused without reading past the limit to find its end."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self._stream, self._left = stream, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not len(buffer):
            return 0
        if self._left <= 0:
            raise RequestEntityTooLarge()
        data = self._stream.read(min(len(buffer), self._left))
        self._left -= len(data)
        buffer[:len(data)] = data
        return len(data)


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
