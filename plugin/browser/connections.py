"""Connecting a browser extension to a recruiter, once, in the style of OAuth's device authorization grant
(RFC 8628): the extension asks for a pair of codes, the recruiter confirms the short one on a signed-in page of
this deployment, and the extension then exchanges the long one for its own token.

The pending pair lives in Redis for ten minutes (nothing to clean up); the token is a row, so the recruiter can
see and revoke it. A token opens the sidebar as its recruiter and nothing else: it is no API key and has no
scope, so a stolen extension cannot read the tenant's data in bulk.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from redis import Redis
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plugin.core.actors import Actor, audit
from plugin.models import BrowserToken, Origin, Recruiter, Tenant, utcnow

TOKEN_PREFIX = "bbx_"
PENDING_SECONDS = 600
POLL_SECONDS = 2
# The short code is read off one screen and compared with another: no vowels (no words), no 0/O or 1/I.
_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ23456789"
_KEY = "brobygger:browser:"
# The extension is the sidebar's own client: what it does counts as done in the sidebar.
SURFACE = Origin.SIDEBAR


@dataclass(frozen=True)
class Pending:
    device_code: str
    user_code: str


@dataclass(frozen=True)
class Issued:
    token: str
    recruiter: Recruiter
    tenant: Tenant


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def normal_user_code(text: str) -> str:
    """What the recruiter typed or the link carried, as stored: upper case, no dash or spaces."""
    return "".join(c for c in text.upper() if c.isalnum())[:16]


def shown(user_code: str) -> str:
    return f"{user_code[:4]}-{user_code[4:]}"


def start(redis: Redis, label: str) -> Pending:
    """A new pair. The device code is the extension's secret; the user code only says which pair to approve."""
    device_code = secrets.token_urlsafe(32)
    user_code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    pipe = redis.pipeline()
    pipe.set(_KEY + "device:" + _digest(device_code), json.dumps({"label": label[:100]}), ex=PENDING_SECONDS)
    pipe.set(_KEY + "user:" + user_code, _digest(device_code), ex=PENDING_SECONDS)
    pipe.execute()
    return Pending(device_code, user_code)


def asking(redis: Redis, user_code: str) -> str | None:
    """Which browser is waiting for this code ("Edge (Windows)"), for the recruiter to check before approving: a
    code someone else sent them would name a browser they do not use. None when no browser waits for it."""
    device_key = redis.get(_KEY + "user:" + normal_user_code(user_code))
    pending = redis.get(_KEY + "device:" + device_key.decode()) if device_key else None
    return str(json.loads(pending).get("label") or "") if pending else None


def approve(redis: Redis, user_code: str, recruiter: Recruiter) -> bool:
    """The signed-in recruiter confirms the code the extension shows. False when no such pair is pending (a
    typing error, or it expired); a code approves once."""
    device_key = redis.getdel(_KEY + "user:" + normal_user_code(user_code))
    if device_key is None:
        return False
    key = _KEY + "device:" + device_key.decode()
    pending = redis.get(key)
    if pending is None:
        return False
    claims = {**json.loads(pending), "tenant": str(recruiter.tenant_id), "recruiter": str(recruiter.id)}
    redis.set(key, json.dumps(claims), keepttl=True)
    return True


def exchange(session: Session, redis: Redis, device_code: str) -> Issued | str | None:
    """The token for an approved pair, once: "pending" while the recruiter has not confirmed yet, None when the
    pair is unknown or expired (the extension starts over)."""
    key = _KEY + "device:" + _digest(device_code)
    pending = redis.get(key)
    if pending is None:
        return None
    claims = json.loads(pending)
    if "recruiter" not in claims:
        return "pending"
    if redis.delete(key) == 0:  # a second poll racing this one: only one of them gets the token
        return None
    found = session.execute(
        select(Recruiter, Tenant).join(Tenant, Tenant.id == Recruiter.tenant_id)
        .where(Recruiter.id == uuid.UUID(claims["recruiter"]), Recruiter.tenant_id == uuid.UUID(claims["tenant"]),
               Recruiter.active.is_(True))).first()
    if found is None:
        return None
    recruiter, tenant = found
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = BrowserToken(tenant_id=tenant.id, recruiter_id=recruiter.id, label=claims["label"] or "Browser",
                       token_hash=_digest(token))
    session.add(row)
    session.flush()
    audit(session, tenant.id, Actor("recruiter", str(recruiter.id), SURFACE), "connect", "browser_token", row.id)
    session.commit()
    return Issued(token, recruiter, tenant)


def authenticate(session: Session, token: str) -> tuple[BrowserToken, Recruiter, Tenant] | None:
    """The live token's row with its still active recruiter and their tenant, in one statement; touches
    `last_used_at` at most once an hour (the settings page shows it as "last used")."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    found = session.execute(
        select(BrowserToken, Recruiter, Tenant)
        .join(Recruiter, (Recruiter.id == BrowserToken.recruiter_id) & (Recruiter.tenant_id == BrowserToken.tenant_id))
        .join(Tenant, Tenant.id == BrowserToken.tenant_id)
        .where(BrowserToken.token_hash == _digest(token), BrowserToken.revoked_at.is_(None),
               Recruiter.active.is_(True))).first()
    if found is None:
        return None
    row = found[0]
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > timedelta(hours=1):
        row.last_used_at = now
        session.commit()
    return found[0], found[1], found[2]


def listed(session: Session, recruiter: Recruiter) -> list[BrowserToken]:
    return list(session.scalars(
        select(BrowserToken).where(BrowserToken.tenant_id == recruiter.tenant_id,
                                   BrowserToken.recruiter_id == recruiter.id, BrowserToken.revoked_at.is_(None))
        .order_by(BrowserToken.created_at.desc())))


def revoke(session: Session, recruiter: Recruiter, token_id: uuid.UUID, actor: Actor) -> bool:
    """Only the recruiter's own, live token; False for anything else (another's id is simply not found)."""
    done = session.execute(
        update(BrowserToken).where(BrowserToken.id == token_id, BrowserToken.tenant_id == recruiter.tenant_id,
                                   BrowserToken.recruiter_id == recruiter.id, BrowserToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())).rowcount
    if done:
        audit(session, recruiter.tenant_id, actor, "revoke", "browser_token", token_id)
    session.commit()
    return bool(done)


def disconnect(session: Session, row: BrowserToken) -> None:
    """The extension signs itself out: its token stops working at once."""
    row.revoked_at = utcnow()
    audit(session, row.tenant_id, Actor("recruiter", str(row.recruiter_id), SURFACE), "revoke", "browser_token",
          row.id)
    session.commit()

