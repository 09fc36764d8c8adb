"""Recruiters: the tenant's users of Brobygger; their own preferences (the settings page); and the links
our e-mails carry to those settings and to unsubscribe.

An unsubscribe link is signed (`core.signed`) for that purpose alone and names the tenant, the recruiter
and the kind of e-mail, so it turns off that one kind for that one recruiter and nothing else. It works
without signing in and never expires: a mail program's one-click button (RFC 8058) may press it long
after the mail arrived, and the worst a copy of it can do is switch an e-mail off.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from babel import Locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.core.actors import Actor, audit
from plugin.core.lookup import get_owned
from plugin.core.pagination import Page, paginate
from plugin.core.signed import BadToken, Signer
from plugin.errors import ConflictError, InvalidError, NotFoundError
from plugin.i18n import LANGUAGES, gettext
from plugin.models import Recruiter, Tenant

# The e-mails a recruiter can turn off, by `Delivery.kind`, and the switch that turns each off.
MAIL_SWITCHES = {"digest": "digest_enabled", "monthly_report": "monthly_report_enabled"}
UNSUBSCRIBE_PURPOSE = "brobygger.unsubscribe"
_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})")
# Codes CLDR knows that ISO 3166-1 does not assign (reserved, user-assigned or groupings): not places to work.
_NOT_COUNTRIES = frozenset({"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"})
_ZONE_AREAS = ("Africa/", "America/", "Antarctica/", "Arctic/", "Asia/", "Atlantic/", "Australia/", "Europe/",
               "Indian/", "Pacific/")


def _check_email_free(session: Session, tenant_id: uuid.UUID, email: str, recruiter_id: uuid.UUID | None) -> None:
    query = select(Recruiter.id).where(Recruiter.tenant_id == tenant_id, Recruiter.email == email)
    if recruiter_id:
        query = query.where(Recruiter.id != recruiter_id)
    if session.scalar(query) is not None:
        raise ConflictError("A recruiter with this e-mail address exists already.", {"email": ["Taken."]})


def add(session: Session, tenant_id: uuid.UUID, data: dict[str, Any], actor: Actor) -> Recruiter:
    data = {**data, "email": data["email"].lower()}
    _check_email_free(session, tenant_id, data["email"], None)
    recruiter = Recruiter(tenant_id=tenant_id, **data)
    session.add(recruiter)
    session.flush()
    audit(session, tenant_id, actor, "create", "recruiter", recruiter.id, data)
    session.commit()
    return recruiter


def get(session: Session, tenant_id: uuid.UUID, recruiter_id: uuid.UUID) -> Recruiter:
    return get_owned(session, Recruiter, tenant_id, recruiter_id, "recruiter")


def update(session: Session, tenant_id: uuid.UUID, recruiter_id: uuid.UUID, data: dict[str, Any],
           actor: Actor) -> Recruiter:
    recruiter = get(session, tenant_id, recruiter_id)
    if "email" in data:
        data = {**data, "email": data["email"].lower()}
        _check_email_free(session, tenant_id, data["email"], recruiter.id)
    for key, value in data.items():
        setattr(recruiter, key, value)
    audit(session, tenant_id, actor, "update", "recruiter", recruiter.id, data)
    session.commit()
    return recruiter


def list_(session: Session, tenant_id: uuid.UUID, *, limit: int, cursor: str | None = None) -> Page:
    query = select(Recruiter).where(Recruiter.tenant_id == tenant_id)
    return paginate(session, query, [Recruiter.email, Recruiter.id], limit, cursor)


def by_email(session: Session, tenant_id: uuid.UUID, email: str) -> Recruiter:
    recruiter = session.scalar(select(Recruiter).where(Recruiter.tenant_id == tenant_id,
                                                       Recruiter.email == email.strip().lower()))
    if recruiter is None:
        raise NotFoundError(f"No recruiter with the e-mail address {email.strip()!r} in this tenant.")
    return recruiter


def everyone(session: Session, tenant_id: uuid.UUID | None = None) -> list[tuple[Recruiter, str]]:
    """Every recruiter (of one tenant, or of all) with their tenant's name, by tenant name and e-mail."""
    query = select(Recruiter, Tenant.name).join(Tenant, Tenant.id == Recruiter.tenant_id)
    if tenant_id is not None:
        query = query.where(Recruiter.tenant_id == tenant_id)
    return [(row, name) for row, name in session.execute(query.order_by(Tenant.name, Tenant.id, Recruiter.email))]


# --- the recruiter's own preferences -----------------------------------------------------------------------

@cache
def time_zones() -> tuple[str, ...]:
    """The IANA zones to offer: the areas' cities and UTC (every name `zoneinfo` knows is still accepted)."""
    return ("UTC", *sorted(z for z in available_timezones() if z.startswith(_ZONE_AREAS)))


@cache
def regions() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes of the countries a recruiter may work in."""
    return frozenset(code for code in Locale("en").territories
                     if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES)


def region_names(language: str) -> list[tuple[str, str]]:
    """(code, name in `language`) for every region, sorted by name as that language's readers expect."""
    names = Locale.parse(language).territories
    return sorted(((code, names.get(code, code)) for code in regions()), key=lambda item: item[1].casefold())


def _clock(value: str) -> str | None:
    """"7:30" or "07:30" as "07:30"; None when it is no time of day."""
    match = _CLOCK.fullmatch(value.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        return None
    return f"{int(match[1]):02d}:{match[2]}"


def check_preferences(data: dict[str, Any], *, admin: bool) -> dict[str, Any]:
    """The preferences to store, or InvalidError whose messages (in the current language, naming no field)
    say what to do. `data` holds language, region ("" for none), time_zone, digest_time, digest_enabled
    and, for an admin, monthly_report_enabled."""
    errors: dict[str, list[str]] = {}
    language = str(data.get("language", "")).strip()
    if language not in LANGUAGES:
        errors["language"] = [gettext("Choose Norwegian or English.")]
    region = str(data.get("region") or "").strip().upper() or None
    if region is not None and region not in regions():
        errors["region"] = [gettext("Choose the country you work in from the list.")]
    zone = str(data.get("time_zone", "")).strip()
    if zone not in available_timezones():
        errors["time_zone"] = [gettext("Choose a time zone from the list, such as Europe/Oslo.")]
    clock = _clock(str(data.get("digest_time", "")))
    if clock is None:
        errors["digest_time"] = [gettext("Give the time of the daily digest as hours and minutes, such as 07:30.")]
    if errors:
        raise InvalidError(gettext("Nothing was saved."), errors)
    checked = {"language": language, "region": region, "time_zone": zone, "digest_time": clock,
               "digest_enabled": bool(data.get("digest_enabled"))}
    if admin:  # the monthly report goes to admins only; for anyone else the switch means nothing
        checked["monthly_report_enabled"] = bool(data.get("monthly_report_enabled"))
    return checked


def save_preferences(session: Session, recruiter: Recruiter, data: dict[str, Any], actor: Actor) -> Recruiter:
    """Check everything first, then store it all: a refused form changes nothing."""
    return update(session, recruiter.tenant_id, recruiter.id, check_preferences(data, admin=recruiter.is_admin),
                  actor)


def set_language(session: Session, recruiter: Recruiter, language: str, actor: Actor) -> Recruiter:
    if language not in LANGUAGES:
        message = gettext("Choose Norwegian or English.")
        raise InvalidError(message, {"language": [message]})
    return update(session, recruiter.tenant_id, recruiter.id, {"language": language}, actor)


# --- links in our e-mails ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class MailLinks:
    """Where an e-mail of one kind sends its recruiter: their settings, and the one-click unsubscribe."""

    settings: str
    unsubscribe: str


def mail_links(secret_key: str, app_url: str, recruiter: Recruiter, kind: str) -> MailLinks:
    """`app_url` is BASE_URL with the mount point, as for every link in our e-mails."""
    root = app_url.rstrip("/")
    return MailLinks(f"{root}/settings", f"{root}/unsubscribe/{unsubscribe_token(secret_key, recruiter, kind)}")


def unsubscribe_token(secret_key: str, recruiter: Recruiter, kind: str) -> str:
    if kind not in MAIL_SWITCHES:
        raise ValueError(f"no e-mail kind {kind!r}")
    claims = {"t": str(recruiter.tenant_id), "r": str(recruiter.id), "k": kind}
    return Signer(secret_key, UNSUBSCRIBE_PURPOSE, timed=False).sign(claims)


def unsubscribe_target(session: Session, secret_key: str, token: str) -> tuple[Recruiter, str]:
    """(the recruiter, the e-mail kind) a link names; NotFoundError for a forged or altered link, or one
    whose recruiter is gone or no longer active."""
    try:
        claims = Signer(secret_key, UNSUBSCRIBE_PURPOSE, timed=False).read(token)
        tenant_id, recruiter_id, kind = uuid.UUID(claims["t"]), uuid.UUID(claims["r"]), claims["k"]
    except (BadToken, KeyError, TypeError, ValueError, AttributeError):
        raise NotFoundError("This unsubscribe link is not valid.") from None
    recruiter = session.get(Recruiter, recruiter_id)
    if recruiter is None or recruiter.tenant_id != tenant_id or not recruiter.active or kind not in MAIL_SWITCHES:
        raise NotFoundError("This unsubscribe link is not valid.")
    return recruiter, kind


def is_subscribed(recruiter: Recruiter, kind: str) -> bool:
    return bool(getattr(recruiter, MAIL_SWITCHES[kind]))


def unsubscribe(session: Session, recruiter: Recruiter, kind: str, actor: Actor) -> None:
    """Turn one kind of e-mail off; doing it twice changes nothing."""
    if is_subscribed(recruiter, kind):
        update(session, recruiter.tenant_id, recruiter.id, {MAIL_SWITCHES[kind]: False}, actor)
