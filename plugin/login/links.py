"""Password-less sign-in for the recruiter pages: magic links by e-mail, and a hand-off from the sidebar.

A link carries a token signed with the app's SECRET_KEY (itsdangerous): who, which tenant, how it was
issued, and a random id. It expires (15 minutes by e-mail, 10 from the sidebar) and is single use: the
first sign-in claims the id in Redis with SET NX, as sidebar launches do with their `jti`. Nothing is
stored per link, so no password or token ever sits in the database.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.models import Recruiter, Tenant

SALT = "brobygger.login"
LIFETIMES = {"mail": 15 * 60, "handoff": 10 * 60}
# E-mails per address per window: the form must not become a way to flood someone's inbox.
MAIL_LIMIT, MAIL_WINDOW = 5, 15 * 60


class LoginError(Exception):
    """Why a link was refused: `reason` is expired, used or invalid (the page words it in the user's language)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Grant:
    tenant_id: uuid.UUID
    recruiter_id: uuid.UUID


@dataclass(frozen=True)
class Invitation:
    """One sign-in link for one recruiter account (an address may be a recruiter in several tenants)."""

    tenant_name: str
    recruiter: Recruiter
    token: str


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def make_token(secret_key: str, recruiter: Recruiter, kind: str) -> str:
    if kind not in LIFETIMES:
        raise ValueError(f"unknown link kind {kind!r}")
    claims = {"r": str(recruiter.id), "t": str(recruiter.tenant_id), "k": kind, "j": secrets.token_urlsafe(16)}
    return _serializer(secret_key).dumps(claims)


def invitations(session: Session, redis: Redis, secret_key: str, email: str) -> list[Invitation]:
    """Links for every active recruiter account with this address; none when the address is unknown or
    has asked too often. The caller answers the same either way, so existence is never revealed."""
    address = email.strip().lower()
    if not address or not _within_mail_limit(redis, address):
        return []
    rows = session.execute(select(Recruiter, Tenant.name).join(Tenant, Tenant.id == Recruiter.tenant_id)
                           .where(Recruiter.email == address, Recruiter.active.is_(True))
                           .order_by(Tenant.name, Tenant.id)).all()
    return [Invitation(name, recruiter, make_token(secret_key, recruiter, "mail")) for recruiter, name in rows]


def _within_mail_limit(redis: Redis, address: str) -> bool:
    key = f"brobygger:login-mails:{address}"
    count = redis.incr(key)
    if count == 1:
        redis.expire(key, MAIL_WINDOW)
    return int(count) <= MAIL_LIMIT  # type: ignore[arg-type]


def redeem(session: Session, redis: Redis, secret_key: str, token: str) -> Grant:
    """Check a link and use it up; the recruiter must still be an active recruiter of the tenant."""
    claims = _claims(secret_key, token)
    if not redis.set(f"brobygger:login-jti:{claims['j']}", 1, nx=True, ex=LIFETIMES[claims["k"]] + 60):
        raise LoginError("used")
    try:
        grant = Grant(uuid.UUID(claims["t"]), uuid.UUID(claims["r"]))
    except (ValueError, TypeError):
        raise LoginError("invalid") from None
    if active_recruiter(session, grant) is None:
        raise LoginError("invalid")
    return grant


def _claims(secret_key: str, token: str) -> dict[str, str]:
    serializer = _serializer(secret_key)
    try:
        claims = serializer.loads(token, max_age=max(LIFETIMES.values()))
    except SignatureExpired:
        raise LoginError("expired") from None
    except BadSignature:
        raise LoginError("invalid") from None
    if not isinstance(claims, dict) or claims.get("k") not in LIFETIMES or not claims.get("j"):
        raise LoginError("invalid")
    try:  # each kind has its own, possibly shorter, lifetime
        serializer.loads(token, max_age=LIFETIMES[claims["k"]])
    except SignatureExpired:
        raise LoginError("expired") from None
    return claims


def active_recruiter(session: Session, grant: Grant) -> Recruiter | None:
    """The signed-in recruiter, as long as the account is active in that tenant."""
    return session.scalars(select(Recruiter).where(Recruiter.id == grant.recruiter_id,
                                                   Recruiter.tenant_id == grant.tenant_id,
                                                   Recruiter.active.is_(True))).first()


def handoff_url(recruiter: Recruiter) -> str:
    """A short-lived, single-use link the sidebar opens in a new tab: the recruiter lands signed in on
    the queue with a first-party cookie, which a cross-site iframe could not set."""
    from plugin.extension import get_state

    return link_url(make_token(get_state().setting("SECRET_KEY"), recruiter, "handoff"))


def link_url(token: str) -> str:
    """Links are built on BASE_URL, never on the request's Host header, which an attacker could set to
    have our e-mail carry a link to their own server."""
    from plugin.extension import get_state

    state = get_state()
    return f"{state.setting('BASE_URL').rstrip('/')}{state.url_prefix}/login/{token}"
