"""Helpers for the recruiter page tests: sign a recruiter in through a real sign-in link, post forms with
the session's CSRF token, and read one section of a rendered page."""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from plugin.extension import get_state
from plugin.login import links
from plugin.models import Recruiter


def make_recruiter(tenant: Any, email: str = "kari@acme.no", name: str = "Kari Nordmann", **fields: Any) -> dict:
    return tenant.create("/recruiters", {"email": email, "name": name, "language": "en", **fields})


def sign_in(app: Flask, client: FlaskClient, recruiter_id: str) -> None:
    """Sign in through GET /login/<token>, as the e-mailed link does (the e-mail itself: test_login.py)."""
    state = get_state(app)
    with state.sessions() as session:
        recruiter = session.get(Recruiter, uuid.UUID(recruiter_id))
        token = links.make_token(state.setting("SECRET_KEY"), recruiter, "mail")
    response = client.get(f"/login/{token}")
    assert response.status_code == 302, response.get_data(as_text=True)


def csrf(client: FlaskClient) -> str:
    with client.session_transaction() as session:
        return session["brobygger_csrf"]


def post_form(client: FlaskClient, url: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
    return client.post(url, data={"csrf_token": csrf(client), **(data or {})}, **kw)


def section(html: str, name: str) -> str:
    """The HTML of `<section id="name">…</section>`."""
    match = re.search(rf'<section id="{name}".*?</section>', html, re.S)
    assert match, f"no section {name}"
    return match.group(0)
