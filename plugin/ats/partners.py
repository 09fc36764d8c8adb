"""Teamtailor's partner route to Brobygger: the endpoints Teamtailor calls, and the Partner Result card.

Sources followed (stored copies of Teamtailor's partner documentation, github.com/Teamtailor/tt-partner-docs,
published at partner.teamtailor.com, late 2026):

* `partners/_webhooks.md.erb`: `POST ${BASE_URL}/webhook` with `Authorization: Bearer <provider key>`; the body
  `{"partner-event": {"id", "webhook-data", "partner-result": {"id", "status", "update-url"}, "candidate":
  {"id", "first-name", "last-name", "email", "referrals": [{"id", "name", "email"}], "job", "recruiter"},
  "company": {"uuid", "name"}}}`; any 2xx is success (three retries otherwise); a plain-text body with a
  status >= 400 is shown in the partner result as an error.
* `partners/webhook_config/_index.md.erb`: `GET ${BASE_URL}/config?job_id=…&stage_id=…&user_id=…` with the
  same bearer, answered with `{"config": {"fields": [...]}}` (field types such as `select` and `infobox`);
  an `_` in a field id arrives as `-` in `webhook-data`.
* `partners/webhook_activation_config/_index.md.erb`: `GET ${BASE_URL}/activation?company_uuid=…` (dynamic
  activation config); what the admin fills in becomes a JWT, signed with the partner's API key, which is
  the bearer of every later `/config` and `/webhook` call.
* `partners/partner_results/_index.md.erb` and `_update.md.erb`: `PUT <update-url>` with a JSON:API body
  `{"data": {"type": "partner-results", "id", "attributes": {"status", "summary", "url", "details",
  "actions": [{"buttonText", "endpoint"}]}}}`; `details` at most two levels deep.

Unconfirmed, and what we assumed:

* How Teamtailor calls an action's `endpoint` (method, headers, body) is not described in what we found. We
  take a POST, and the endpoint URL carries its own signed token (tenant, installation, candidate, action),
  so it needs no header and any body is ignored.
* The activation JWT is signed with Teamtailor's partner key, which a deployment does not hold. What
  authenticates is the connection code inside it: issued per installation by
  `POST /api/v1/sidebar/teamtailor-codes` and signed with our SECRET_KEY. A bearer that is not a JWT is
  read as the code itself (an activation without fields).
* The PUT to `update-url` carries the bearer Teamtailor sent us, and only goes to Teamtailor's API hosts over
  HTTPS or to exactly the origin (scheme, host and port) of the installation's own base URL, and follows no
  redirect (no request to an address a caller chose).
* A button acts once: its URL stays on the card for a year and anyone who sees it can POST it, so its token
  carries a random id that the first use claims. The card's link only opens the sidebar for a signed-in
  recruiter, and keeps working.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import jwt
import requests
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.ats import sync
from plugin.core.actors import Actor
from plugin.core.dates import add_months
from plugin.core.signed import BadToken, Signer, claim_once, release_claim
from plugin.followups import followups
from plugin.models import (
    FollowUp,
    FollowUpStatus,
    Installation,
    Origin,
    Person,
    Reference,
    Referral,
    Tenant,
    Touchpoint,
    Vendor,
    utcnow,
)
from plugin.people import referrals
from plugin.security import Vault
from plugin.sidebar import panel

log = logging.getLogger(__name__)

CODE_SALT = "brobygger.teamtailor-code"
ACTION_SALT, OPEN_SALT = "brobygger.teamtailor-action", "brobygger.teamtailor-open"
CARD_LINK_LIFETIME = 365 * 24 * 3600  # the card stays on the profile; its buttons and link work for a year
ACTION_CLAIM_LIFETIME = CARD_LINK_LIFETIME + 24 * 3600  # a button's claim outlives the button
TEAMTAILOR_API_HOSTS = ("api.teamtailor.com", "api.na.teamtailor.com")
DEFAULT_PORTS = {"http": 80, "https": 443}
ACTOR = Actor("partner", "teamtailor", Origin.SIDEBAR)
KEEP_IN_TOUCH_MONTHS = (3, 6, 12)


class PartnerAuthError(Exception):
    """Teamtailor's call carries no valid connection code."""


@dataclass(frozen=True)
class CardFacts:
    """What the card says about a candidate: the sidebar's essentials in one line."""

    person: Person | None
    last_touch_at: datetime | None
    next_followup: FollowUp | None
    referrer: str | None


def connection_code(secret_key: str, installation: Installation) -> str:
    claims = {"t": str(installation.tenant_id), "i": str(installation.id)}
    return Signer(secret_key, CODE_SALT, timed=False).sign(claims)


def authenticate(session: Session, secret_key: str, authorization: str) -> Installation:
    """The active Teamtailor installation named by the connection code in the bearer (a JWT or the bare code)."""
    scheme, _, bearer = authorization.partition(" ")
    if scheme.lower() != "bearer" or not bearer.strip():
        raise PartnerAuthError("Missing bearer token.")
    code = _code_from(bearer.strip())
    try:
        claims = Signer(secret_key, CODE_SALT, timed=False).read(code)
        tenant_id, installation_id = uuid.UUID(claims["t"]), uuid.UUID(claims["i"])
    except (BadToken, KeyError, TypeError, ValueError):
        raise PartnerAuthError("The Brobygger connection code is not valid.") from None
    installation = session.scalars(select(Installation).where(
        Installation.id == installation_id, Installation.tenant_id == tenant_id,
        Installation.vendor == Vendor.TEAMTAILOR, Installation.active.is_(True))).first()
    if installation is None:
        raise PartnerAuthError("The Brobygger connection is no longer active.")
    return installation


def _code_from(bearer: str) -> str:
    if bearer.count(".") != 2:
        return bearer
    try:
        claims = jwt.decode(bearer, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return bearer
    for key in ("brobygger_code", "brobygger-code"):
        if isinstance(claims.get(key), str):
            return claims[key]
    return bearer


def link_token(secret_key: str, installation: Installation, candidate_id: str, action: str | None = None,
               **extra: Any) -> str:
    """Signed payload of a card's link (no action) or of one of its buttons."""
    claims = {"t": str(installation.tenant_id), "i": str(installation.id), "c": str(candidate_id), **extra}
    salt = OPEN_SALT if action is None else ACTION_SALT
    if action is not None:
        claims.update(a=action, j=secrets.token_urlsafe(16))  # `j`: the id its one use claims
    return Signer(secret_key, salt).sign(claims)


def read_link(secret_key: str, token: str, *, action: bool) -> dict[str, Any]:
    """The claims of a card's link or button; a button from before buttons acted once has no `j` and is refused
    (the next webhook puts a fresh card)."""
    try:
        claims = Signer(secret_key, ACTION_SALT if action else OPEN_SALT).read(token, max_age=CARD_LINK_LIFETIME)
        if not all(isinstance(claims.get(k), str) for k in ("t", "i", "c", *(("a", "j") if action else ()))):
            raise ValueError("incomplete")
    except (BadToken, AttributeError, KeyError, TypeError, ValueError):
        raise PartnerAuthError("This link is not valid or has expired.") from None
    return claims


def _action_key(claims: dict[str, Any]) -> str:
    return f"teamtailor-action:{claims['i']}:{claims['j']}"


def claim_action(redis: Redis, claims: dict[str, Any]) -> bool:
    """Use a button up; False when it was used already."""
    return claim_once(redis, _action_key(claims), ACTION_CLAIM_LIFETIME)


def release_action(redis: Redis, claims: dict[str, Any]) -> None:
    """The button's action did not happen: it may be pressed again."""
    release_claim(redis, _action_key(claims))


def first_referrer(candidate: dict[str, Any]) -> dict[str, str] | None:
    """The first named referrer of the webhook's candidate, or None; anything not shaped as documented (a list
    of objects with a string `name`) counts as no referral rather than failing the card."""
    referrals = candidate.get("referrals")
    first = referrals[0] if isinstance(referrals, list) and referrals else None
    if not isinstance(first, dict) or not isinstance(first.get("name"), str) or not first["name"].strip():
        return None
    email = first.get("email") if isinstance(first.get("email"), str) else ""
    return {"name": first["name"].strip()[:200], "email": email.strip()[:254]}


def installation_of(session: Session, claims: dict[str, Any]) -> Installation:
    installation = session.scalars(select(Installation).where(
        Installation.id == uuid.UUID(claims["i"]), Installation.tenant_id == uuid.UUID(claims["t"]),
        Installation.vendor == Vendor.TEAMTAILOR, Installation.active.is_(True))).first()
    if installation is None:
        raise PartnerAuthError("The Brobygger connection is no longer active.")
    return installation


def facts(session: Session, installation: Installation, candidate_id: str) -> CardFacts:
    tenant_id = installation.tenant_id
    person_id = sync.linked_person(session, installation, candidate_id)
    if person_id is None:
        return CardFacts(None, None, None, None)
    last_touch = session.scalar(select(Touchpoint.occurred_at).where(
        Touchpoint.tenant_id == tenant_id, Touchpoint.person_id == person_id)
        .order_by(Touchpoint.occurred_at.desc()).limit(1))
    next_followup = session.scalars(select(FollowUp).where(
        FollowUp.tenant_id == tenant_id, FollowUp.person_id == person_id,
        FollowUp.status.in_([FollowUpStatus.OPEN, FollowUpStatus.SNOOZED])).order_by(FollowUp.due_at).limit(1)).first()
    reference = session.scalars(select(Reference).join(Referral, Referral.reference_id == Reference.id).where(
        Referral.tenant_id == tenant_id, Referral.person_id == person_id)
        .order_by(Referral.referred_at).limit(1)).first()
    referrer = panel.reference_name(session, reference) if reference else None
    return CardFacts(session.get(Person, person_id), last_touch, next_followup, referrer)



def keep_in_touch(session: Session, vault: Vault, installation: Installation, candidate_id: str, months: int,
                  reason: str) -> FollowUp:
    """A follow-up `months` calendar months from today, 09:00 in the tenant's time zone, for the person's owner."""
    person_id = sync.ensure_tracked(session, vault, installation, candidate_id)
    tenant = session.get(Tenant, installation.tenant_id)
    zone = ZoneInfo(tenant.time_zone if tenant else "UTC")
    start = datetime.combine(utcnow().astimezone(zone).date(), time(9, 0), tzinfo=zone)
    return followups.create(session, installation.tenant_id, {
        "person_id": person_id, "reason": reason, "due_at": add_months(start, months)}, ACTOR)


def log_referral(session: Session, vault: Vault, installation: Installation, candidate_id: str,
                 referrer: dict[str, str]) -> bool:
    """Teamtailor's referrals come from its employee referral programme: an employee, asked (prompted).
    False when that referrer's referral of this person is logged already."""
    person_id = sync.ensure_tracked(session, vault, installation, candidate_id)
    data = {"kind": "employee", "name": referrer["name"], **({"email": referrer["email"]} if referrer.get("email")
                                                              else {})}
    _, new = referrals.create(session, installation.tenant_id, {
        "person_id": person_id, "referrer": data, "channel": "other", "prompted": True}, ACTOR)
    return new


def push_result(installation: Installation, update_url: str, authorization: str, result_id: str,
                attributes: dict[str, Any]) -> bool:
    """PUT the card to Teamtailor; False (logged) when that fails: the webhook's answer carries it as well."""
    if not update_url_allowed(update_url, installation.base_url):
        log.warning("teamtailor update-url outside Teamtailor's API and the connection's origin: not called")
        return False
    body = {"data": {"type": "partner-results", "id": result_id, "attributes": attributes}}
    try:
        response = requests.put(update_url, json=body, timeout=5, allow_redirects=False, headers={
            "Authorization": authorization, "Content-Type": "application/vnd.api+json",
            "X-Api-Version": "20240404"})
    except requests.RequestException as exc:
        log.warning("teamtailor partner result not updated: %s", type(exc).__name__)
        return False
    if response.status_code >= 300:
        log.warning("teamtailor partner result not updated: HTTP %s", response.status_code)
        return False
    return True


def update_url_allowed(update_url: str, base_url: str) -> bool:
    """Teamtailor's API over HTTPS, or the very origin of the installation's base URL: the same host on
    another port is another server, which the PUT (carrying Teamtailor's bearer) must not reach."""
    target = _origin(update_url)
    return target is not None and (target in {("https", host, 443) for host in TEAMTAILOR_API_HOSTS}
                                   or target == _origin(base_url))


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL, the port defaulted by scheme; None for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # an unbalanced IPv6 bracket, a port out of range
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]
