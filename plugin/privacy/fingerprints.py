"""The fingerprints that keep an erased person out: HMAC-SHA256 over the normalised identifier
(lower-case e-mail; LinkedIn URL normalised as imports do) with a per-tenant salt.

The salt is HMAC-SHA256(FINGERPRINT_KEY, "brobygger fingerprint salt v1:" + tenant id), FINGERPRINT_KEY
falling back to SECRET_KEY: nothing secret is stored, a database reader cannot test guesses without the
key, and the same address in two tenants gives unrelated digests. Keep that key stable: with a new one,
old fingerprints no longer match (they block nothing, they leak nothing). The key reaches services
through `session.info` (see `bind`, which the extension calls for the app's sessions)."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plugin.errors import ConflictError
from plugin.models import Fingerprint, Person
from plugin.people.identity import normalise_linkedin_url

KEY_INFO = "brobygger_fingerprint_key"


def bind(sessions: sessionmaker[Session], key: str) -> None:
    """Give every session of the app the fingerprint key, so services, jobs and the CLI share it."""
    sessions.configure(info={KEY_INFO: key})


def _key(session: Session) -> bytes:
    key = session.info.get(KEY_INFO)
    if not key:
        raise RuntimeError("no fingerprint key: use a session of the app's sessionmaker (see `bind`)")
    return key.encode() if isinstance(key, str) else key


def _salt(session: Session, tenant_id: uuid.UUID) -> bytes:
    return hmac.new(_key(session), f"brobygger fingerprint salt v1:{tenant_id}".encode(), hashlib.sha256).digest()


def normalise(kind: str, value: str) -> str:
    if kind == "linkedin":
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


def remember(session: Session, tenant_id: uuid.UUID, person: Person, reason: str) -> None:
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
