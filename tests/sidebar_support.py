"""Shared by the sidebar tests: sign a launch as an ATS host would, open it, and act with the page's token."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import jwt
from flask import Flask
from sqlalchemy import update

from plugin.extension import get_state
from plugin.models import Recruiter, Tenant
from plugin.sidebar.launch import LAUNCH_PATH, query_hash

TOKEN_META = re.compile(r'<meta name="brobygger-token" content="([^"]+)">')


def launch_token(tenant: Any, ctx: dict[str, Any], sub: str = "kari@acme.no", secret: str | None = None) -> str:
    now = int(time.time())
    claims = {"iss": str(tenant.id), "sub": sub, "ctx": ctx, "iat": now, "exp": now + 120,
              "jti": uuid.uuid4().hex, "qsh": query_hash("GET", LAUNCH_PATH, [])}
    return jwt.encode(claims, secret or tenant.sidebar_secret, algorithm="HS256")


def open_sidebar(client: Any, tenant: Any, ctx: dict[str, Any], sub: str = "kari@acme.no",
                 **headers: str) -> tuple[Any, str]:
    """GET the launch and follow its redirect to the sidebar page; returns the page's response and the sidebar
    token from its meta tag ('' when refused)."""
    response = client.get(LAUNCH_PATH, query_string={"jwt": launch_token(tenant, ctx, sub)}, headers=headers,
                          follow_redirects=True)
    found = TOKEN_META.search(response.get_data(as_text=True))
    return response, found.group(1) if found else ""


def act(client: Any, token: str, action: str, body: dict[str, Any] | None = None, **headers: str) -> Any:
    return client.post(f"/sidebar/api/{action}", json=body or {},
                       headers={"Authorization": f"Bearer {token}", **headers})


def set_origins(app: Flask, tenant_id: uuid.UUID, origins: list[str]) -> None:
    with get_state(app).sessions() as session:
        session.execute(update(Tenant).where(Tenant.id == tenant_id).values(ats_origins=origins))
        session.commit()


def set_languages(app: Flask, tenant_id: uuid.UUID, recruiter: str | None, tenant: str | None) -> None:
    """Languages straight in the database: the API only accepts supported ones, older rows may hold others."""
    with get_state(app).sessions() as session:
        if recruiter is not None:
            session.execute(update(Recruiter).where(Recruiter.tenant_id == tenant_id).values(language=recruiter))
        if tenant is not None:
            session.execute(update(Tenant).where(Tenant.id == tenant_id).values(default_language=tenant))
        session.commit()
