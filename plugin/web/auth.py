"""API authentication: `Authorization: Bearer <API key>` resolves the tenant once per request, onto `g`."""

from __future__ import annotations

from flask import g, request

from ..errors import envelope
from ..extension import db_session
from ..models import Origin
from ..services import tenants
from ..services.actors import Actor

READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def require_api_key():  # type: ignore[no-untyped-def]
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return _unauthorised("Send the API key as 'Authorization: Bearer <key>'.")
    api_key = tenants.authenticate(db_session(), key.strip())
    if api_key is None:
        return _unauthorised("The API key is unknown or revoked.")
    needed = "read" if request.method in READ_METHODS else "write"
    if needed not in api_key.scopes:
        return envelope(403, f"This API key lacks the '{needed}' scope.")
    g.tenant_id = api_key.tenant_id
    g.actor = Actor("api_key", str(api_key.id), Origin.API)
    return None


def _unauthorised(message: str):  # type: ignore[no-untyped-def]
    return envelope(401, message, headers={"WWW-Authenticate": 'Bearer realm="brobygger"'})
