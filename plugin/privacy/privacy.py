"""GDPR for passive candidates: the art. 14 notice, consent and its renewal, retention, anonymisation,
erasure, the data-subject access export, and the fingerprints that keep an erased person out.

Who decides what:
- A person collected from anyone but themselves (a referral, LinkedIn, an ATS, an import, an event)
  gets a notice task for the owner, due `art14_notice_days` (default 21) after collection: well inside
  the one month of art. 14(3)(a). Sources counted as the person themselves are `FIRST_HAND`.
- Consent lasts `consent_months` (default 12); `consent_renewal_days` (default 30) before it ends the
  owner is prompted and may send a signed, single-use, expiring link to a public page.
- A basis lapses when consent expires, or — for legitimate interest — `retention_months` (default 24)
  after the last touch (or collection). After `anonymise_grace_days` (default 7) the daily job
  anonymises the person; until then the queue can list them (`will_be_anonymised`).
- Anonymisation removes names, contact details, free text, links and ATS ids, and keeps the facts past
  reports count (referral month, channel, status, prompted; application outcomes and dates; follow-up
  statuses and dates). Erasure does that at once and also removes what still points at the person in
  the ATS (application ids, webhook candidate ids).

Fingerprints: HMAC-SHA256 over the normalised identifier (lower-case e-mail; LinkedIn URL normalised as
imports do) with a per-tenant salt. The salt is HMAC-SHA256(FINGERPRINT_KEY, "brobygger fingerprint
salt v1:" + tenant id), FINGERPRINT_KEY falling back to SECRET_KEY: nothing secret is stored, a database
reader cannot test guesses without the key, and the same address in two tenants gives unrelated digests.
Keep that key stable: with a new one, old fingerprints no longer match (they block nothing, they leak
nothing). The key reaches services through `session.info` (see `bind`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from redis import Redis
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from plugin.core.actors import Actor, audit
from plugin.core.lookup import get_owned
from plugin.core.pagination import Page, paginate
from plugin.errors import ConflictError, InvalidError, NotFoundError
from plugin.models import (
    AtsApplication,
    AuditEvent,
    Cadence,
    Fingerprint,
    FollowUp,
    FollowUpStatus,
    Installation,
    LawfulBasis,
    Origin,
    Person,
    PersonEmail,
    PersonLink,
    Recruiter,
    Reference,
    Referral,
    Role,
    ShortlistEntry,
    Tenant,
    Touchpoint,
    WebhookDelivery,
    WriteBack,
    utcnow,
    uuid7,
)
from plugin.privacy import texts

log = logging.getLogger(__name__)

ART14 = "art14_notice"
CONSENT_RENEWAL = "consent_renewal"
PRIVACY_ACTOR = Actor("system", "privacy", Origin.SYSTEM)
DATA_SUBJECT = "data_subject"  # the person themselves, on the public consent page
FIRST_HAND = frozenset({"manual", "self", "direct", "applied", "the person", "consent page"})
ANONYMISED_NAME = "Anonymised"
KEY_INFO = "brobygger_fingerprint_key"
LINK_SALT = "brobygger-consent-link"
USED_PREFIX = "brobygger:consent-link-used:"
LIVE = (FollowUpStatus.OPEN, FollowUpStatus.SNOOZED)
READS = ("view", "export")


# --- settings -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PrivacySettings:
    consent_months: int = 12
    consent_extend_months: int = 24
    consent_renewal_days: int = 30
    retention_months: int = 24
    anonymise_grace_days: int = 7
    art14_notice_days: int = 21
    privacy_contact: str = ""  # the controller's privacy address in notices; else the owner's e-mail


DEFAULTS = PrivacySettings()
RANGES = {"consent_months": (1, 36), "consent_extend_months": (1, 36), "consent_renewal_days": (1, 180),
          "retention_months": (1, 120), "anonymise_grace_days": (0, 90), "art14_notice_days": (1, 30)}
KEYS = frozenset(asdict(DEFAULTS))


def settings_for(tenant: Tenant) -> PrivacySettings:
    """Typed settings from `Tenant.settings`; a missing or malformed value is its default."""
    stored = tenant.settings or {}
    values: dict[str, Any] = {}
    for key, (low, high) in RANGES.items():
        value = stored.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            values[key] = value
    if isinstance(stored.get("privacy_contact"), str):
        values["privacy_contact"] = stored["privacy_contact"][:254]
    return PrivacySettings(**values)


def load_settings(session: Session, tenant_id: uuid.UUID) -> PrivacySettings:
    return settings_for(_tenant(session, tenant_id))


def update_settings(session: Session, tenant_id: uuid.UUID, changes: dict[str, Any], actor: Actor) -> PrivacySettings:
    """Change some privacy settings; other features' keys in `Tenant.settings` are kept."""
    errors: dict[str, list[str]] = {key: ["Unknown setting."] for key in sorted(set(changes) - KEYS)}
    for key, (low, high) in RANGES.items():
        value = changes.get(key, low)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors[key] = [f"Must be a whole number from {low} to {high}."]
    if "privacy_contact" in changes and (not isinstance(changes["privacy_contact"], str)
                                        or len(changes["privacy_contact"]) > 254):
        errors["privacy_contact"] = ["Must be text of at most 254 characters."]
    if errors:
        raise InvalidError("The settings have invalid values: " + ", ".join(sorted(errors)) + ".", errors)
    tenant = _tenant(session, tenant_id)
    tenant.settings = {**(tenant.settings or {}), **changes}
    audit(session, tenant_id, actor, "update", "tenant", tenant_id, [f"settings.{k}" for k in changes])
    session.commit()
    return settings_for(tenant)


def _tenant(session: Session, tenant_id: uuid.UUID) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFoundError(f"No tenant with id {tenant_id}.")
    return tenant


def add_months(moment: datetime, months: int) -> datetime:
    """Calendar months (negative too), clamped to the month's last day."""
    from plugin.followups.followups import add_months as _add

    return _add(moment, months)


# --- language and texts -------------------------------------------------------------------------------------

def language(person: Person, tenant: Tenant) -> str:
    """Norwegian for a person who speaks it (or, knowing nothing, in a Norwegian tenant); else English."""
    spoken = {str(code).lower()[:2] for code in person.languages or []}
    if spoken & {"nb", "no", "nn"}:
        return "nb"
    if spoken:
        return "en"
    return "nb" if tenant.default_language == "nb" else "en"


def source_category(data_source: str) -> str:
    text = (data_source or "").casefold()
    for category, words in (("referral", ("referr", "anbefal", "tips")), ("linkedin", ("linkedin",)),
                            ("sync", ("sync", "greenhouse", "lever", "teamtailor")),
                            ("import", ("import", "csv")), ("event", ("event", "arrangement", "konferanse"))):
        if any(word in text for word in words):
            return category
    return "other"


def is_first_hand(person: Person) -> bool:
    return (person.data_source or "").strip().casefold() in FIRST_HAND


@dataclass(frozen=True)
class Notice:
    language: str
    subject: str
    text: str


def notice(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID) -> Notice:
    """The art. 14 notice for one person, ready to send, in their language."""
    person = _person(session, tenant_id, person_id)
    return _notice(session, _tenant(session, tenant_id), person)


def _notice(session: Session, tenant: Tenant, person: Person) -> Notice:
    lang = language(person, tenant)
    settings = settings_for(tenant)
    basis = str(person.lawful_basis)
    months = settings.consent_months if basis == LawfulBasis.CONSENT else settings.retention_months
    category = source_category(person.data_source)
    source = texts.SOURCES[lang][category].format(detail=person.data_source)
    contact = settings.privacy_contact or _owner_email(session, person) or tenant.name
    text = texts.NOTICE[lang].format(controller=tenant.name, contact=contact, source=source,
                                     basis=texts.BASES[lang][basis],
                                     retention=texts.RETENTION[lang][basis].format(months=months))
    return Notice(lang, texts.SUBJECTS[lang].format(controller=tenant.name), text)


def _owner_email(session: Session, person: Person) -> str | None:
    owner = session.get(Recruiter, person.owner_id) if person.owner_id else None  # identity map: once per import
    return owner.email if owner else None


# --- when people are created ------------------------------------------------------------------------------

def on_created(session: Session, tenant_id: uuid.UUID, people: Sequence[Person],
               now: datetime | None = None) -> None:
    """What a new person needs at once, in the caller's transaction: a consent expiry when consent is the
    basis, and the art. 14 notice task when someone else told us about them. Idempotent."""
    if not people:
        return
    tenant = _tenant(session, tenant_id)
    settings = settings_for(tenant)
    for person in people:
        if person.lawful_basis == LawfulBasis.CONSENT and person.consent_expires_at is None:
            person.consent_expires_at = add_months(person.collected_at or (now or utcnow()), settings.consent_months)
    schedule_notices(session, tenant, [p for p in people if needs_notice(p)], settings)


def needs_notice(person: Person) -> bool:
    return person.art14_notice_sent_at is None and person.anonymised_at is None and not is_first_hand(person)


def schedule_notices(session: Session, tenant: Tenant, people: Sequence[Person],
                     settings: PrivacySettings | None = None) -> list[FollowUp]:
    """One notice task per person, ever (a cancelled one counts: the owner decided); one query."""
    if not people:
        return []
    settings = settings or settings_for(tenant)
    have = set(session.scalars(select(FollowUp.person_id).where(
        FollowUp.tenant_id == tenant.id, FollowUp.kind == ART14,
        FollowUp.person_id.in_([p.id for p in people]))))
    created = []
    for person in people:
        if person.id in have:
            continue
        found = _notice(session, tenant, person)
        reason = texts.FOLLOWUP_REASONS[ART14][found.language].format(
            source=texts.SOURCES[found.language][source_category(person.data_source)].format(
                detail=person.data_source))
        due = (person.collected_at or utcnow()) + timedelta(days=settings.art14_notice_days)
        created.append(_add_task(session, tenant.id, person, ART14, due, reason[:2000],
                                 f"{found.subject}\n\n{found.text}"))
    return created


def _add_task(session: Session, tenant_id: uuid.UUID, person: Person, kind: str, due: datetime, reason: str,
              note: str = "") -> FollowUp:
    followup = FollowUp(id=uuid7(), tenant_id=tenant_id, person_id=person.id, owner_id=person.owner_id, kind=kind,
                        reason=reason, note=note, due_at=due, status=FollowUpStatus.OPEN)
    session.add(followup)
    audit(session, tenant_id, PRIVACY_ACTOR, "create", "followup", followup.id, ["kind", "reason", "due_at"])
    return followup


def mark_notice_sent(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, actor: Actor,
                     at: datetime | None = None) -> Person:
    """Record that the art. 14 notice went out; its task is done."""
    person = _person(session, tenant_id, person_id)
    at = at or utcnow()
    person.art14_notice_sent_at = at
    _complete(session, tenant_id, person.id, ART14, at)
    audit(session, tenant_id, actor, "update", "person", person.id, ["art14_notice_sent_at"])
    session.commit()
    return person


def _complete(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, kind: str, at: datetime) -> None:
    session.execute(update(FollowUp).where(
        FollowUp.tenant_id == tenant_id, FollowUp.person_id == person_id, FollowUp.kind == kind,
        FollowUp.status.in_(LIVE)).values(status=FollowUpStatus.DONE, completed_at=at)
        .execution_options(synchronize_session="fetch"))


def _person(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID) -> Person:
    person = get_owned(session, Person, tenant_id, person_id, "person")
    if person.anonymised_at is not None:
        raise ConflictError(f"Person {person_id} is anonymised.")
    return person


# --- consent ------------------------------------------------------------------------------------------------

def renewal_prompts(session: Session, tenant_id: uuid.UUID, now: datetime) -> list[FollowUp]:
    """A `consent_renewal` task for each owner whose person's consent ends within the renewal window;
    due that many days before the expiry, so a task is made once per expiry date."""
    tenant = _tenant(session, tenant_id)
    settings = settings_for(tenant)
    window = timedelta(days=settings.consent_renewal_days)
    people = list(session.scalars(select(Person).where(
        Person.tenant_id == tenant_id, Person.anonymised_at.is_(None), Person.lawful_basis == LawfulBasis.CONSENT,
        Person.consent_expires_at > now, Person.consent_expires_at <= now + window)))
    if not people:
        return []
    have = set(session.execute(select(FollowUp.person_id, FollowUp.due_at).where(
        FollowUp.tenant_id == tenant_id, FollowUp.kind == CONSENT_RENEWAL,
        FollowUp.person_id.in_([p.id for p in people]))).all())
    created = []
    for person in people:
        assert person.consent_expires_at is not None
        due = person.consent_expires_at - window
        if (person.id, due) in have:
            continue
        lang = language(person, tenant)
        reason = texts.FOLLOWUP_REASONS[CONSENT_RENEWAL][lang].format(date=f"{person.consent_expires_at:%Y-%m-%d}")
        created.append(_add_task(session, tenant_id, person, CONSENT_RENEWAL, due, reason))
    return created


@dataclass(frozen=True)
class ConsentLink:
    url: str
    expires_at: datetime
    language: str


def consent_link(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, actor: Actor, *, secret: str,
                 base_url: str, days: int) -> ConsentLink:
    """A signed link for one person, valid `days`, usable once (its nonce is claimed in Redis on use)."""
    person = _person(session, tenant_id, person_id)
    token = _serializer(secret).dumps({"t": str(tenant_id), "p": str(person.id), "n": secrets.token_urlsafe(12)})
    audit(session, tenant_id, actor, "consent_link", "person", person.id)
    session.commit()
    return ConsentLink(f"{base_url.rstrip('/')}/privacy/consent/{token}", utcnow() + timedelta(days=days),
                       language(person, _tenant(session, tenant_id)))


@dataclass(frozen=True)
class LinkClaims:
    tenant_id: uuid.UUID
    person_id: uuid.UUID
    nonce: str


def read_link(token: str, *, secret: str, days: int) -> LinkClaims | None:
    """The link's claims, or None when it is forged, malformed or older than `days`."""
    try:
        data = _serializer(secret).loads(token, max_age=days * 86400)
        return LinkClaims(uuid.UUID(data["t"]), uuid.UUID(data["p"]), str(data["n"]))
    except (BadSignature, SignatureExpired, KeyError, TypeError, ValueError):
        return None


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=LINK_SALT)


def consent_subject(session: Session, claims: LinkClaims) -> tuple[Tenant, Person] | None:
    """The tenant and person a link is for, unless the person is gone or anonymised."""
    person = session.scalar(select(Person).where(Person.id == claims.person_id,
                                                 Person.tenant_id == claims.tenant_id))
    if person is None or person.anonymised_at is not None:
        return None
    return _tenant(session, claims.tenant_id), person


def renew_consent(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, months: int, actor: Actor,
                  now: datetime | None = None) -> Person:
    """Consent given (again) for `months` from now; open renewal tasks are done."""
    now = now or utcnow()
    person = _person(session, tenant_id, person_id)
    person.lawful_basis = LawfulBasis.CONSENT
    person.consent_expires_at = add_months(now, months)
    _complete(session, tenant_id, person.id, CONSENT_RENEWAL, now)
    audit(session, tenant_id, actor, "update", "person", person.id, ["lawful_basis", "consent_expires_at"])
    session.commit()
    return person


def mail_consent_link(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, link: ConsentLink,
                      send: Any) -> bool:
    """E-mail the link to the person's first address with `send(to, subject, text)`; False without one."""
    person = _person(session, tenant_id, person_id)
    if not person.emails or person.do_not_contact:
        return False
    tenant = _tenant(session, tenant_id)
    lang = link.language
    text = texts.RENEWAL_MAIL[lang].format(
        controller=tenant.name, url=link.url, link_expires=f"{link.expires_at:%Y-%m-%d}",
        expires=f"{person.consent_expires_at:%Y-%m-%d}" if person.consent_expires_at else "—")
    send(person.emails[0].email, texts.RENEWAL_SUBJECTS[lang].format(controller=tenant.name), text)
    return True


# --- fingerprints ---------------------------------------------------------------------------------------

def bind(sessions: sessionmaker[Session], key: str) -> None:
    """Give every session of the app the fingerprint key, so services, jobs and the CLI share it."""
    sessions.configure(info={KEY_INFO: key})


def _key(session: Session) -> bytes:
    key = session.info.get(KEY_INFO)
    if not key:
        from flask import has_app_context

        if not has_app_context():
            raise RuntimeError("no fingerprint key: use a session of the app (privacy.bind)")
        from plugin.extension import get_state

        state = get_state()
        key = state.setting("FINGERPRINT_KEY") or state.setting("SECRET_KEY")
    return key.encode() if isinstance(key, str) else key


def _salt(session: Session, tenant_id: uuid.UUID) -> bytes:
    return hmac.new(_key(session), f"brobygger fingerprint salt v1:{tenant_id}".encode(), hashlib.sha256).digest()


def normalise(kind: str, value: str) -> str:
    if kind == "linkedin":
        from plugin.imports.importers import normalise_linkedin_url

        return normalise_linkedin_url(value).casefold()
    return value.strip().lower()


def digest(salt: bytes, kind: str, value: str) -> str:
    return hmac.new(salt, f"{kind}:{normalise(kind, value)}".encode(), hashlib.sha256).hexdigest()


def blocked(session: Session, tenant_id: uuid.UUID, emails: Iterable[str] = (),
            linkedin_urls: Iterable[str | None] = ()) -> set[tuple[str, str]]:
    """(kind, identifier as given) of each identifier that belongs to an anonymised or erased person;
    one query, none when nothing is asked."""
    wanted = [("email", e) for e in emails if e] + [("linkedin", u) for u in linkedin_urls if u]
    if not wanted:
        return set()
    salt = _salt(session, tenant_id)
    by_digest = {digest(salt, kind, value): (kind, value) for kind, value in wanted}
    found = session.scalars(select(Fingerprint.digest).where(
        Fingerprint.tenant_id == tenant_id, Fingerprint.digest.in_(set(by_digest))))
    return {by_digest[d] for d in found}


def check_not_erased(session: Session, tenant_id: uuid.UUID, emails: Iterable[str] = (),
                     linkedin_url: str | None = None) -> None:
    """A 409 naming the field when an identifier belongs to an erased or anonymised person."""
    hits = blocked(session, tenant_id, emails, [linkedin_url])
    if not hits:
        return
    errors: dict[str, list[str]] = {}
    if any(kind == "email" for kind, _ in hits):
        errors["emails"] = ["An address of an erased person: not re-imported."]
    if any(kind == "linkedin" for kind, _ in hits):
        errors["linkedin_url"] = ["The LinkedIn profile of an erased person: not re-imported."]
    raise ConflictError(f"{' and '.join(sorted(errors))} belong to an erased person, who is not re-imported.",
                        errors)


def _fingerprint(session: Session, tenant_id: uuid.UUID, person: Person, reason: str) -> None:
    salt = _salt(session, tenant_id)
    wanted = {digest(salt, "email", e.email): "email" for e in person.emails}
    if person.linkedin_url:
        wanted[digest(salt, "linkedin", person.linkedin_url)] = "linkedin"
    if not wanted:
        return
    have = set(session.scalars(select(Fingerprint.digest).where(
        Fingerprint.tenant_id == tenant_id, Fingerprint.digest.in_(set(wanted)))))
    for value, kind in wanted.items():
        if value not in have:
            session.add(Fingerprint(tenant_id=tenant_id, kind=kind, digest=value, reason=reason))


# --- retention ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Pending:
    person_id: uuid.UUID
    reason: str  # consent_expired, retention_expired
    lapsed_at: datetime
    anonymise_at: datetime


def will_be_anonymised(session: Session, tenant_id: uuid.UUID, now: datetime,
                       within_days: int | None = None) -> list[Pending]:
    """People whose basis has lapsed (or lapses) so that the daily job anonymises them by `now` plus
    `within_days` (default: the grace period); overdue ones included. For the queue's warning."""
    settings = load_settings(session, tenant_id)
    within = timedelta(days=settings.anonymise_grace_days if within_days is None else within_days)
    grace = timedelta(days=settings.anonymise_grace_days)
    horizon = now + within - grace  # a basis lapsed by here is anonymised by now + within
    last = (select(Touchpoint.person_id, func.max(Touchpoint.occurred_at).label("at"))
            .where(Touchpoint.tenant_id == tenant_id).group_by(Touchpoint.person_id).subquery())
    consent_cut, retention_cut = (add_months(horizon, -settings.consent_months),
                                  add_months(horizon, -settings.retention_months))
    is_consent = Person.lawful_basis == LawfulBasis.CONSENT
    rows = session.execute(select(Person.id, Person.lawful_basis, Person.consent_expires_at, Person.collected_at,
                                  last.c.at).outerjoin(last, last.c.person_id == Person.id).where(
        Person.tenant_id == tenant_id, Person.anonymised_at.is_(None),
        or_(and_(is_consent, Person.consent_expires_at <= horizon),
            and_(is_consent, Person.consent_expires_at.is_(None), Person.collected_at <= consent_cut),
            and_(~is_consent, Person.collected_at <= retention_cut,
                 or_(last.c.at.is_(None), last.c.at <= retention_cut))))).all()
    pending = []
    for person_id, basis, expires, collected, touched in rows:
        reason, lapsed = _lapse(settings, basis, expires, collected, touched)
        if lapsed <= horizon:
            pending.append(Pending(person_id, reason, lapsed, lapsed + grace))
    return sorted(pending, key=lambda p: (p.anonymise_at, p.person_id))


def _lapse(settings: PrivacySettings, basis: str, expires: datetime | None, collected: datetime,
           touched: datetime | None) -> tuple[str, datetime]:
    """(reason, when the basis lapses): consent at its expiry; legitimate interest `retention_months`
    after the later of collection and the last touch."""
    if basis == LawfulBasis.CONSENT:
        return "consent_expired", expires or add_months(collected, settings.consent_months)
    return "retention_expired", add_months(max(collected, touched or collected), settings.retention_months)


@dataclass(frozen=True)
class Retention:
    person_id: uuid.UUID
    lawful_basis: str
    reason: str  # what will end the basis: consent_expired, retention_expired
    lapses_at: datetime
    anonymise_at: datetime
    will_be_anonymised: bool  # the basis has lapsed: the daily job anonymises at `anonymise_at`
    anonymised_at: datetime | None


def retention(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, now: datetime) -> Retention:
    """When one person's basis lapses and when they would be anonymised (the sidebar's and queue's warning)."""
    person = get_owned(session, Person, tenant_id, person_id, "person")
    settings = settings_for(_tenant(session, tenant_id))
    touched = session.scalar(select(func.max(Touchpoint.occurred_at)).where(
        Touchpoint.tenant_id == tenant_id, Touchpoint.person_id == person.id))
    reason, lapsed = _lapse(settings, person.lawful_basis, person.consent_expires_at, person.collected_at, touched)
    return Retention(person.id, str(person.lawful_basis), reason, lapsed,
                     lapsed + timedelta(days=settings.anonymise_grace_days), lapsed <= now, person.anonymised_at)


@dataclass
class DailyResult:
    renewal_prompts: int = 0
    anonymised: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


RETENTION_DONE = "brobygger:privacy-daily-done:"
RETENTION_DONE_TTL = 3 * 86400
RETENTION_TIMEOUT = 3600


def retention_due(session: Session, redis: Redis, now: datetime) -> list[tuple[uuid.UUID, str]]:
    """(tenant, day) for each tenant whose retention run today is not done yet: the cron tick enqueues one
    job for each under an id of tenant and day, so a tick every minute runs each tenant once a day."""
    day = f"{now:%Y%m%d}"
    return [(tenant_id, day) for tenant_id in session.scalars(select(Tenant.id).order_by(Tenant.id))
            if not redis.exists(f"{RETENTION_DONE}{day}:{tenant_id}")]


def mark_retention_done(redis: Redis, tenant_id: uuid.UUID | str, day: str) -> None:
    redis.set(f"{RETENTION_DONE}{day}:{tenant_id}", "1", ex=RETENTION_DONE_TTL)


def run_daily(session: Session, tenant_id: uuid.UUID, now: datetime | None = None) -> DailyResult:
    """The daily retention work of one tenant: renewal prompts, then anonymise whoever is past the grace.
    Idempotent, so a second run in a day (or after a lost Redis) changes nothing."""
    now = now or utcnow()
    result = DailyResult(renewal_prompts=len(renewal_prompts(session, tenant_id, now)))
    session.commit()
    for item in will_be_anonymised(session, tenant_id, now, within_days=0):
        anonymise(session, tenant_id, item.person_id, PRIVACY_ACTOR, now=now, details=[item.reason])
        session.commit()
        result.anonymised += 1
    log.info("privacy daily run for tenant %s: %s", tenant_id, result.as_dict())
    return result


# --- anonymisation and erasure --------------------------------------------------------------------------

def anonymise(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, actor: Actor, *,
              now: datetime | None = None, reason: str = "anonymised", details: Sequence[str] = ()) -> Person:
    """Remove what identifies the person, keep what reports count; in the caller's transaction."""
    person = get_owned(session, Person, tenant_id, person_id, "person")
    now = now or utcnow()
    _fingerprint(session, tenant_id, person, reason)
    _strip_person(person)
    person.emails = []
    person.ats_links = []
    pid = person.id
    for model, values in ((Touchpoint, {"summary": "", "external_id": None}),
                          (FollowUp, {"reason": "", "note": ""}),
                          (Referral, {"note": "", "external_id": None}),
                          (ShortlistEntry, {"note": ""}),
                          (AtsApplication, {"rejection_reason": None})):
        session.execute(update(model).where(model.tenant_id == tenant_id, model.person_id == pid)  # type: ignore[attr-defined]
                        .values(**values).execution_options(synchronize_session="fetch"))
    # Future touches are pointless now; past ones keep their status, so past reports' overdue counts stay.
    session.execute(update(FollowUp).where(FollowUp.tenant_id == tenant_id, FollowUp.person_id == pid,
                                           FollowUp.status.in_(LIVE), FollowUp.due_at > now)
                    .values(status=FollowUpStatus.CANCELLED, completed_at=now)
                    .execution_options(synchronize_session="fetch"))
    given = select(Reference.id).where(Reference.tenant_id == tenant_id, Reference.person_id == pid)
    session.execute(update(Referral).where(Referral.tenant_id == tenant_id, Referral.reference_id.in_(given))
                    .values(note="").execution_options(synchronize_session="fetch"))  # notes of referrals given
    session.execute(update(Reference).where(Reference.tenant_id == tenant_id, Reference.person_id == pid)
                    .values(name=None, email=None, note="").execution_options(synchronize_session="fetch"))
    session.execute(delete(WriteBack).where(WriteBack.tenant_id == tenant_id, WriteBack.person_id == pid)
                    .execution_options(synchronize_session="fetch"))
    if person.anonymised_at is None:
        person.anonymised_at = now
    audit(session, tenant_id, actor, "anonymise", "person", pid, details)
    session.flush()
    return person


def _strip_person(person: Person) -> None:
    person.first_name, person.last_name = ANONYMISED_NAME, ""
    person.linkedin_url = person.employer = person.title = person.location = None
    person.phones, person.languages, person.interests, person.work_history, person.tags = [], [], [], [], []
    person.data_source = source_category(person.data_source)
    person.do_not_contact = True


def anonymise_person(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, actor: Actor) -> Person:
    person = anonymise(session, tenant_id, person_id, actor)
    session.commit()
    return person


@dataclass(frozen=True)
class Erasure:
    person_id: uuid.UUID
    ats_records: list[dict[str, str]]  # shown once, never stored: where to erase the person in the ATS
    ats_erasure: str  # what happened in the ATS


def erase(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, actor: Actor,
          now: datetime | None = None) -> Erasure:
    """Erase at once (art. 17): anonymise, then remove the ATS ids anonymisation still keeps. No ATS
    call is made: each linked installation gets an 'ATS erasure requested' audit event, and the
    caller gets the ATS records to erase there once, in the answer."""
    person = get_owned(session, Person, tenant_id, person_id, "person")
    records = [{"installation_id": str(link.installation_id), "vendor": str(vendor), "ats_id": link.ats_id}
               for link, vendor in session.execute(
                   select(PersonLink, Installation.vendor)
                   .join(Installation, Installation.id == PersonLink.installation_id)
                   .where(PersonLink.tenant_id == tenant_id, PersonLink.person_id == person.id))]
    if records:
        session.execute(update(WebhookDelivery).where(
            WebhookDelivery.tenant_id == tenant_id,
            WebhookDelivery.candidate_ats_id.in_({r["ats_id"] for r in records}),
            WebhookDelivery.installation_id.in_({uuid.UUID(r["installation_id"]) for r in records}))
            .values(candidate_ats_id=None).execution_options(synchronize_session="fetch"))
    anonymise(session, tenant_id, person.id, actor, now=now, reason="erased")
    for application in session.scalars(select(AtsApplication).where(
            AtsApplication.tenant_id == tenant_id, AtsApplication.person_id == person.id)):
        application.ats_id = f"erased-{uuid.uuid4().hex[:16]}"
    audit(session, tenant_id, actor, "erase", "person", person.id)
    for installation_id in sorted({r["installation_id"] for r in records}):
        audit(session, tenant_id, actor, "ats_erasure_requested", "installation", uuid.UUID(installation_id))
    session.commit()
    log.info("person %s erased in tenant %s (%d ATS records to erase there)", person.id, tenant_id, len(records))
    state = "requested: erase the listed records in the ATS" if records else "no ATS records"
    return Erasure(person.id, records, state)


def anonymise_linked(session: Session, installation: Installation, candidate_ats_id: str) -> int:
    """The ATS anonymised a candidate: anonymise the person linked to it, in the caller's transaction."""
    person_ids = list(session.scalars(select(PersonLink.person_id).where(
        PersonLink.installation_id == installation.id, PersonLink.ats_id == candidate_ats_id)))
    actor = Actor("system", f"{installation.vendor.value}-webhook", Origin.SYNC)
    for person_id in person_ids:
        anonymise(session, installation.tenant_id, person_id, actor, details=["ats_anonymised"])
    return len(person_ids)


# --- access (art. 15) ---------------------------------------------------------------------------------------

def export(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, actor: Actor) -> dict[str, Any]:
    """Everything Brobygger holds about one person, as JSON-ready data; the export itself is audited."""
    person = get_owned(session, Person, tenant_id, person_id, "person")
    pid = person.id
    given = list(session.scalars(select(Reference).where(Reference.tenant_id == tenant_id, Reference.person_id == pid)))

    def rows(model: Any, *where: Any, order: Any = None) -> list[dict[str, Any]]:
        query = select(model).where(model.tenant_id == tenant_id, *where)
        return [_row(r) for r in session.scalars(query.order_by(order, model.id) if order is not None else query)]

    shortlists = [{**_row(entry), "role_title": title} for entry, title in session.execute(
        select(ShortlistEntry, Role.title).join(Role, Role.id == ShortlistEntry.role_id)
        .where(ShortlistEntry.tenant_id == tenant_id, ShortlistEntry.person_id == pid))]
    data = {
        "person": _row(person, skip={"name_key", "last_name_key", "employer_key"}),
        "emails": rows(PersonEmail, PersonEmail.person_id == pid, order=PersonEmail.position),
        "ats_links": rows(PersonLink, PersonLink.person_id == pid),
        "touchpoints": rows(Touchpoint, Touchpoint.person_id == pid, order=Touchpoint.occurred_at),
        "followups": rows(FollowUp, FollowUp.person_id == pid, order=FollowUp.due_at),
        "cadence": rows(Cadence, Cadence.person_id == pid),
        "referrals_received": rows(Referral, Referral.person_id == pid, order=Referral.referred_at),
        "reference": [_row(r) for r in given],
        "referrals_given": rows(Referral, Referral.reference_id.in_([r.id for r in given]),
                                order=Referral.referred_at),
        "shortlists": shortlists,
        "ats_applications": rows(AtsApplication, AtsApplication.person_id == pid),
        # What was done to their data; reads (views, exports) stay in the admins' trail, so an export is
        # the same document however often it is asked for.
        "audit_events": rows(AuditEvent, AuditEvent.entity_id.in_(_entity_ids(session, tenant_id, pid)),
                             AuditEvent.action.not_in(READS), order=AuditEvent.at),
    }
    audit(session, tenant_id, actor, "export", "person", pid)
    session.commit()
    return data


def _row(row: Any, skip: Iterable[str] = ()) -> dict[str, Any]:
    leave = {"tenant_id", *skip}
    return {c.key: _json(getattr(row, c.key)) for c in row.__table__.columns if c.key not in leave}


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _entity_ids(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID) -> set[uuid.UUID]:
    """The person and the records about them: what the audit trail 'about a person' covers."""
    ids = {person_id}
    for model in (Touchpoint, FollowUp, Referral):
        ids.update(session.scalars(select(model.id).where(model.tenant_id == tenant_id,  # type: ignore[attr-defined]
                                                          model.person_id == person_id)))  # type: ignore[attr-defined]
    return ids


# --- the audit trail ----------------------------------------------------------------------------------------

def audit_events(session: Session, tenant_id: uuid.UUID, *, entity: str | None = None,
                 person_id: uuid.UUID | None = None, actor: str | None = None, at_from: datetime | None = None,
                 at_to: datetime | None = None, limit: int, cursor: str | None = None) -> Page:
    """The tenant's audit trail, newest first; `at_from` inclusive, `at_to` exclusive."""
    query = select(AuditEvent).where(AuditEvent.tenant_id == tenant_id)
    if entity:
        query = query.where(AuditEvent.entity_type == entity)
    if person_id:
        query = query.where(AuditEvent.entity_id.in_(_entity_ids(session, tenant_id, person_id)))
    if actor:
        query = query.where(or_(AuditEvent.actor_id == actor, AuditEvent.actor_type == actor))
    if at_from:
        query = query.where(AuditEvent.at >= at_from)
    if at_to:
        query = query.where(AuditEvent.at < at_to)
    return paginate(session, query, [AuditEvent.at, AuditEvent.id], limit, cursor, descending=True)
