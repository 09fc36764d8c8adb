"""Signed sidebar launches, modelled on Atlassian Connect: a short-lived HS256 JWT with a query hash.

The host (an ATS, a browser extension or our token exchange) signs claims `iss` (tenant id), `sub`
(the recruiter's ATS user id or e-mail), `ctx` (which person), `iat`, `exp` (at most 5 minutes after
`iat`), `jti` (single use) and `qsh` = SHA-256 hex of "METHOD&path&sorted query without jwt".
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Iterable
from functools import cache
from typing import Any
from urllib.parse import quote

import jwt
from redis import Redis
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from connectors.errors import InvalidId
from plugin.ats import installations
from plugin.core.signed import claim_once
from plugin.i18n import lazy_gettext as _
from plugin.models import Installation, Person, PersonLink, Recruiter, Tenant, Vendor
from plugin.security import Vault
from plugin.sidebar.tokens import Bearer, SidebarGrant

LAUNCH_PATH = "/sidebar/launch"
MAX_LIFETIME = 300
LEEWAY = 30
# Marks a launch our token exchange signed for an API key: the key vouches for no recruiter, so such a
# sidebar may act in its own panel but never hands a page session on (see `tokens.SidebarGrant.handoff`).
EXCHANGED = "brobygger_exchanged"
# Names the kind of page (browser.pages) whose sites may frame a sidebar the browser extension opens.
FRAME = "brobygger_frame"


class LaunchError(Exception):
    """Why a launch was refused; shown to the user on the refusal page (a lazy string: it is rendered in
    the language of the page that shows it)."""



def query_hash(method: str, path: str, query: Iterable[tuple[str, str]]) -> str:
    pairs = sorted((k, v) for k, v in query if k != "jwt")
    canonical = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
    return hashlib.sha256(f"{method.upper()}&{path}&{canonical}".encode()).hexdigest()


def sign(secret: str, tenant_id: uuid.UUID, sub: str, ctx: dict[str, Any], lifetime: int = 180,
         *, exchanged: bool = False, frame: str | None = None) -> str:
    now = int(time.time())
    claims = {"iss": str(tenant_id), "sub": sub, "ctx": ctx, "iat": now, "exp": now + lifetime,
              "jti": secrets.token_urlsafe(16), "qsh": query_hash("GET", LAUNCH_PATH, [])}
    if exchanged:
        claims[EXCHANGED] = True
    if frame:
        claims[FRAME] = frame
    return jwt.encode(claims, secret, algorithm="HS256")


def verify(session: Session, vault: Vault, redis: Redis, token: str, method: str, path: str,
           query: Iterable[tuple[str, str]]) -> Bearer:
    """The grant a valid launch link makes, with its recruiter and tenant, in two statements: the tenant with
    its active recruiters, then the person `ctx` names."""
    tenant, recruiters = _tenant(session, token)
    try:
        claims = jwt.decode(token, vault.decrypt(tenant.sidebar_secret_encrypted), algorithms=["HS256"],
                            leeway=LEEWAY, options={"require": ["iss", "sub", "iat", "exp", "jti", "qsh"]})
    except jwt.ExpiredSignatureError:
        raise LaunchError(_("The launch link has expired. Open the sidebar again from the ATS.")) from None
    except jwt.InvalidTokenError:
        raise LaunchError(_("The launch link's signature or claims are invalid.")) from None
    if not isinstance(claims["exp"], int) or not isinstance(claims["iat"], int) \
            or claims["exp"] - claims["iat"] > MAX_LIFETIME:
        raise LaunchError(_("The launch link lives longer than five minutes; the host must sign shorter ones."))
    if not secrets.compare_digest(str(claims["qsh"]), query_hash(method, path, query)):
        raise LaunchError(_("The launch link was signed for another request (query hash mismatch)."))
    ttl = max(1, claims["exp"] - int(time.time()) + LEEWAY)
    if not claim_once(redis, f"jti:{tenant.id}:{claims['jti']}", ttl):
        raise LaunchError(_("The launch link has been used already. Open the sidebar again from the ATS."))
    recruiter = _named(recruiters, str(claims["sub"]))
    ctx = claims.get("ctx") if isinstance(claims.get("ctx"), dict) else {}
    _check_candidate_id(ctx)
    frame = claims.get(FRAME)
    grant = SidebarGrant(tenant.id, recruiter.id, person_for(session, tenant.id, ctx), ctx,
                         handoff=claims.get(EXCHANGED) is not True, frame=frame if isinstance(frame, str) else None)
    return Bearer(grant, recruiter, tenant)


def _tenant(session: Session, token: str) -> tuple[Tenant, list[Recruiter]]:
    """The tenant the unverified token claims, with its active recruiters in the same statement (matched
    against `sub` only once the signature holds)."""
    try:
        iss = jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.InvalidTokenError:
        raise LaunchError(_("The launch link's signature or claims are invalid.")) from None
    try:
        tenant_id = uuid.UUID(str(iss))
    except ValueError:
        raise LaunchError(_("The launch link names no known tenant.")) from None
    rows = session.execute(_tenant_statement(), {"tenant_id": tenant_id}).all()
    if not rows:
        raise LaunchError(_("The launch link names no known tenant."))
    return rows[0].Tenant, [row.Recruiter for row in rows if row.Recruiter is not None]


@cache  # built once: building it costs more than running it
def _tenant_statement() -> Select[Any]:
    return (select(Tenant, Recruiter)
            .outerjoin(Recruiter, (Recruiter.tenant_id == Tenant.id) & Recruiter.active.is_(True))
            .where(Tenant.id == bindparam("tenant_id")))


def find_recruiter(session: Session, tenant_id: uuid.UUID, sub: str) -> Recruiter:
    """The active recruiter a launch's `sub` names (see `_named`)."""
    return _named(list(session.scalars(select(Recruiter).where(Recruiter.tenant_id == tenant_id,
                                                               Recruiter.active.is_(True)))), sub)


def _named(recruiters: list[Recruiter], sub: str) -> Recruiter:
    """Which of the tenant's active recruiters `sub` names: their e-mail, else their user id in one of the ATSs.
    An e-mail is unique in a tenant and wins; an ATS user id counts only when exactly one recruiter has it,
    so no account can take over another's launches by claiming that user id or e-mail as its own."""
    by_email = [r for r in recruiters if r.email == sub.lower()]
    by_user_id = [r for r in recruiters if sub in {str(v) for v in r.ats_user_ids.values()}]
    if by_email:
        return by_email[0]
    if len(by_user_id) == 1:
        return by_user_id[0]
    raise LaunchError(_("The launch link names a user who is not a recruiter of this tenant."))


def _check_candidate_id(ctx: dict[str, Any]) -> None:
    """The candidate id goes into the ATS's URLs when the recruiter starts tracking: one that is not the shape
    the vendor documents is refused with the launch rather than passed on."""
    connector_class = installations.registry().get(str(ctx.get("vendor")))
    if connector_class is None or ctx.get("candidate_id") in (None, ""):
        return  # nothing to track
    try:
        connector_class.check_candidate_id(ctx["candidate_id"])
    except InvalidId:
        raise LaunchError(_("The launch link names a candidate by an id that %(vendor)s does not use.",
                            vendor=connector_class.vendor.title())) from None


def person_for(session: Session, tenant_id: uuid.UUID, ctx: dict[str, Any]) -> uuid.UUID | None:
    """The tenant's person a launch context names: by id, or by an ATS candidate id linked to them."""
    if "person_id" in ctx:
        try:
            person_id = uuid.UUID(str(ctx["person_id"]))
        except ValueError:
            return None
        return session.scalar(select(Person.id).where(Person.id == person_id, Person.tenant_id == tenant_id))
    if "vendor" in ctx and "candidate_id" in ctx:
        if str(ctx["vendor"]) not in {v.value for v in Vendor}:
            return None
        return session.scalar(
            select(PersonLink.person_id).join(Installation, Installation.id == PersonLink.installation_id)
            .where(PersonLink.tenant_id == tenant_id, Installation.vendor == str(ctx["vendor"]),
                   PersonLink.ats_id == str(ctx["candidate_id"])))
    return None
