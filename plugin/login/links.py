"""Password-less sign-in for the recruiter pages: magic links by e-mail, and a hand-off from the sidebar.

A link carries a signed token (`core.signed`): who, which tenant, how it was issued, and a random id. It
expires (15 minutes by e-mail, 10 from the sidebar) and works once: the first sign-in claims the id, as
sidebar launches do with their `jti`. Nothing is stored per link, so no password or token ever sits in
the database.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from redis import Redis
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plugin.core import ratelimit
from plugin.core.signed import BadToken, Signer, claim_once
from plugin.models import Recruiter, Tenant

SALT = "brobygger.login"
LIFETIMES = {"mail": 15 * 60, "handoff": 10 * 60}
# E-mails per address per window: the form must not become a way to flood someone's inbox.
MAIL_LIMIT, MAIL_WINDOW = 5, 15 * 60


class LoginError(BadToken):
    """Why a link was refused: `reason` is expired, used or invalid (the page words it in the user's language)."""


@dataclass(frozen=True)
class Grant:
    tenant_id: uuid.UUID
    recruiter_id: uuid.UUID
    generation: int = 0  # the recruiter's `session_generation` when the session began


@dataclass(frozen=True)
class Invitation:
    """One sign-in link for one recruiter account (an address may be a recruiter in several tenants)."""

    tenant_name: str
    recruiter: Recruiter
    token: str


def make_token(secret_key: str, recruiter: Recruiter, kind: str) -> str:
    if kind not in LIFETIMES:
        raise ValueError(f"unknown link kind {kind!r}")
    claims = {"r": str(recruiter.id), "t": str(recruiter.tenant_id), "k": kind, "j": secrets.token_urlsafe(16)}
    return Signer(secret_key, SALT).sign(claims)


def invitations(session: Session, redis: Redis, secret_key: str, email: str) -> list[Invitation]:
    """Links for every active recruiter account with this address; none when the address is unknown or
    has asked too often. The caller answers the same either way, so existence is never revealed."""
    address = email.strip().lower()
    if not address or not ratelimit.hit(redis, f"login-mail:{address}", MAIL_LIMIT, MAIL_WINDOW).allowed:
        return []
    rows = session.execute(select(Recruiter, Tenant.name).join(Tenant, Tenant.id == Recruiter.tenant_id)
                           .where(Recruiter.email == address, Recruiter.active.is_(True))
                           .order_by(Tenant.name, Tenant.id)).all()
    return [Invitation(name, recruiter, make_token(secret_key, recruiter, "mail")) for recruiter, name in rows]


def redeem(session: Session, redis: Redis, secret_key: str, token: str) -> Grant:
    """Check a link and use it up; the recruiter must still be an active recruiter of the tenant."""
    claims = _claims(secret_key, token)
    if not claim_once(redis, f"login-jti:{claims['j']}", LIFETIMES[claims["k"]] + 60):
        raise LoginError("used")
    try:
        grant = Grant(uuid.UUID(claims["t"]), uuid.UUID(claims["r"]))
    except (ValueError, TypeError):
        raise LoginError("invalid") from None
    recruiter = active_recruiter(session, grant)
    if recruiter is None:
        raise LoginError("invalid")
    return Grant(grant.tenant_id, grant.recruiter_id, recruiter.session_generation)


def _claims(secret_key: str, token: str) -> dict[str, str]:
    signer = Signer(secret_key, SALT)
    try:
        claims = signer.read(token, max_age=max(LIFETIMES.values()))
        if not isinstance(claims, dict) or claims.get("k") not in LIFETIMES or not claims.get("j"):
            raise BadToken("invalid")
        signer.read(token, max_age=LIFETIMES[claims["k"]])  # each kind has its own, possibly shorter, lifetime
    except BadToken as exc:
        raise LoginError(exc.reason) from None
    return claims


def active_recruiter(session: Session, grant: Grant) -> Recruiter | None:
    """The signed-in recruiter, as long as the account is active in that tenant."""
    return session.scalars(select(Recruiter).where(Recruiter.id == grant.recruiter_id,
                                                   Recruiter.tenant_id == grant.tenant_id,
                                                   Recruiter.active.is_(True))).first()


def session_recruiter(session: Session, grant: Grant) -> Recruiter | None:
    """The recruiter of a page session that has not been ended since it began (see `end_sessions`)."""
    recruiter = active_recruiter(session, grant)
    return recruiter if recruiter is not None and recruiter.session_generation == grant.generation else None


def end_sessions(session: Session, grant: Grant) -> None:
    """Sign the recruiter out everywhere: every page session begun before now stops working."""
    session.execute(update(Recruiter).where(Recruiter.id == grant.recruiter_id,
                                            Recruiter.tenant_id == grant.tenant_id)
                    .values(session_generation=Recruiter.session_generation + 1))
    session.commit()
