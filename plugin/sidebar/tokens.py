"""The sidebar's session after a verified launch: a short-lived signed token (`core.signed`).

A cross-site iframe cannot count on cookies (browsers block or partition third-party cookies, and with them
the frame's storage), so the token travels in the page itself. The launch spends its single-use link and
redirects the frame to the sidebar page, whose URL carries this token (`?token=`), so that a reload of the
frame opens the sidebar again for as long as the token lives; the page puts it in a meta tag, and our
script sends it as `Authorization: Bearer …` with every action. It is never a cookie, so another site
cannot make the browser send it: that is the CSRF protection. No Referer carries it away (every sidebar
response says `Referrer-Policy: no-referrer`), the logs redact `token=`, and no response is cached.
It binds tenant, recruiter and person (or, before tracking starts, the ATS candidate), and lives two hours
from the launch — a reload shows the same token, it never renews it; the recruiter must still be active
at each use.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from plugin.core.signed import BadToken, Signer
from plugin.models import Recruiter, Tenant

SALT = "brobygger.sidebar"
LIFETIME = 2 * 3600


class TokenError(Exception):
    """The token is missing, expired, forged or names a recruiter who may no longer act."""


@dataclass(frozen=True)
class SidebarGrant:
    """What a verified launch grants, and what the in-page token carries on: this recruiter, in this tenant,
    on this person (or, before tracking starts, the ATS candidate named in `ctx`)."""

    tenant_id: uuid.UUID
    recruiter_id: uuid.UUID
    person_id: uuid.UUID | None
    ctx: dict[str, Any]
    # Whether the sidebar may sign its recruiter in to the pages (the queue link): only when the launch
    # came from the recruiter's own ATS session, never from a URL an API key asked for.
    handoff: bool = False
    # The kind of page (browser.pages) whose sites may frame this sidebar besides the tenant's ATS origins: set
    # when the browser extension opened it there.
    frame: str | None = None


@dataclass(frozen=True)
class Bearer:
    """Whom a verified launch or sidebar token lets in: the grant, with the recruiter and tenant it names
    loaded (the page and the actions read both; holding them keeps them in the session's identity map)."""

    grant: SidebarGrant
    recruiter: Recruiter
    tenant: Tenant


def issue(secret_key: str, grant: SidebarGrant) -> str:
    claims: dict[str, Any] = {"t": str(grant.tenant_id), "r": str(grant.recruiter_id),
                              "p": str(grant.person_id) if grant.person_id else None, "h": grant.handoff}
    if grant.frame:
        claims["f"] = grant.frame
    if grant.person_id is None and grant.ctx:  # an untracked ATS candidate: "start tracking" needs to know which
        claims["c"] = {k: str(grant.ctx[k]) for k in ("vendor", "candidate_id", "page") if k in grant.ctx}
    return Signer(secret_key, SALT).sign(claims)


def claimed_tenant(secret_key: str, token: str) -> uuid.UUID | None:
    """The tenant a token names, unchecked: only to let that tenant's ATS frame the refusal (which shows nothing)."""
    claims = Signer(secret_key, SALT).peek(token)
    try:
        return uuid.UUID(str(claims["t"]))
    except (KeyError, TypeError, ValueError):
        return None


def claimed_frame(secret_key: str, token: str) -> str | None:
    """The kind of page a token says it was opened on, unchecked: only to let those sites frame the refusal."""
    claims = Signer(secret_key, SALT).peek(token)
    frame = claims.get("f") if isinstance(claims, dict) else None
    return frame if isinstance(frame, str) else None


@cache  # built once: building it costs more than running it
def _recruiter_statement() -> Select[Any]:
    return (select(Recruiter, Tenant).join(Tenant, Tenant.id == Recruiter.tenant_id)
            .where(Recruiter.id == bindparam("recruiter_id"), Recruiter.tenant_id == bindparam("tenant_id"),
                   Recruiter.active.is_(True)))


def read(session: Session, secret_key: str, token: str) -> Bearer:
    """The token's grant with its recruiter, who must still be active in its tenant, and that tenant (one
    statement)."""
    try:
        claims = Signer(secret_key, SALT).read(token, max_age=LIFETIME)
    except BadToken as exc:
        raise TokenError(exc.reason) from None
    try:
        grant = SidebarGrant(uuid.UUID(claims["t"]), uuid.UUID(claims["r"]),
                             uuid.UUID(claims["p"]) if claims.get("p") else None, dict(claims.get("c") or {}),
                             handoff=claims.get("h") is True,
                             frame=claims["f"] if isinstance(claims.get("f"), str) else None)
    except (KeyError, TypeError, ValueError):
        raise TokenError("invalid") from None
    found = session.execute(_recruiter_statement(),
                            {"recruiter_id": grant.recruiter_id, "tenant_id": grant.tenant_id}).first()
    if found is None:
        raise TokenError("invalid")
    recruiter, tenant = found
    return Bearer(grant, recruiter, tenant)
