"""The fingerprints that keep an erased person out: HMAC-SHA256 over each identifier we match people on,
normalised, with a per-tenant salt: e-mail addresses (lower-case), LinkedIn profiles (`linkedin_key`) and
ATS candidate ids (per installation: an id means something only within one ATS account).

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
from plugin.people.identity import LINKEDIN_HOST, linkedin_key, normalise_linkedin_url

KEY_INFO = "brobygger_fingerprint_key"
ERASED = "erased person, not re-imported"  # what every path that refuses one says
_IN_CHUNK = 2000  # digests per IN query: far below any driver's limit on bound parameters


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
        return linkedin_key(value)
    if kind == "ats":
        return value  # "<installation id>:<candidate id>": ids are compared as the ATS spells them
    return value.strip().lower()


def _hmac(salt: bytes, text: str) -> str:
    return hmac.new(salt, text.encode(), hashlib.sha256).hexdigest()


def digest(salt: bytes, kind: str, value: str) -> str:
    return _hmac(salt, f"{kind}:{normalise(kind, value)}")


def ats_value(installation_id: uuid.UUID, candidate_id: str) -> str:
    return f"{installation_id}:{candidate_id}"


def _linkedin_digests(salt: bytes, url: str) -> set[str]:
    """The digest of the URL's key, and those that fingerprints taken before keys existed may hold: they were
    over the URL with its scheme and host kept (`normalise_linkedin_url`, case-folded), so the URL as given
    and the four usual spellings of a LinkedIn profile are asked for too."""
    key = linkedin_key(url)
    spellings = {normalise_linkedin_url(url).casefold()}
    if key.startswith(LINKEDIN_HOST + "/"):
        path = key[len(LINKEDIN_HOST):]
        spellings |= {f"{scheme}://{host}{path}" for scheme in ("https", "http")
                      for host in (LINKEDIN_HOST, "www." + LINKEDIN_HOST)}
    return {digest(salt, "linkedin", url)} | {_hmac(salt, f"linkedin:{spelling}") for spelling in spellings}


def blocked(session: Session, tenant_id: uuid.UUID, emails: Iterable[str] = (),
            linkedin_urls: Iterable[str | None] = (), *, ats_ids: Iterable[str] = (),
            installation_id: uuid.UUID | None = None) -> set[tuple[str, str]]:
    """(kind, identifier as given) of each identifier that belongs to an anonymised or erased person: an
    "email", a "linkedin" URL, or an "ats" candidate id of `installation_id`. No query when nothing is asked."""
    emails, urls = [e for e in emails if e], [u for u in linkedin_urls if u]
    ats = [(installation_id, a) for a in ats_ids if a] if installation_id is not None else []
    if not (emails or urls or ats):
        return set()
    salt = _salt(session, tenant_id)
    by_digest: dict[str, set[tuple[str, str]]] = {}  # several rows of a page or file may spell one identifier
    for kind, value, digests in ([("email", e, {digest(salt, "email", e)}) for e in emails]
                                 + [("linkedin", u, _linkedin_digests(salt, u)) for u in urls]
                                 + [("ats", a, {digest(salt, "ats", ats_value(i, a))}) for i, a in ats]):
        for value_digest in digests:
            by_digest.setdefault(value_digest, set()).add((kind, value))
    wanted = list(by_digest)
    found: set[tuple[str, str]] = set()
    for start in range(0, len(wanted), _IN_CHUNK):
        for hit in session.scalars(select(Fingerprint.digest).where(
                Fingerprint.tenant_id == tenant_id, Fingerprint.digest.in_(wanted[start:start + _IN_CHUNK]))):
            found |= by_digest[hit]
    return found


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
    raise ConflictError(f"An erased person is not re-imported: {' and '.join(sorted(errors))} named them.", errors)


def remember(session: Session, tenant_id: uuid.UUID, person: Person, reason: str) -> None:
    """Fingerprint every identifier the person is matched on: addresses, LinkedIn profile, ATS records."""
    salt = _salt(session, tenant_id)
    wanted = {digest(salt, "email", e.email): "email" for e in person.emails}
    if person.linkedin_url:
        wanted[digest(salt, "linkedin", person.linkedin_url)] = "linkedin"
    for link in person.ats_links:
        wanted[digest(salt, "ats", ats_value(link.installation_id, link.ats_id))] = "ats"
    if not wanted:
        return
    have = set(session.scalars(select(Fingerprint.digest).where(
        Fingerprint.tenant_id == tenant_id, Fingerprint.digest.in_(set(wanted)))))
    for value, kind in wanted.items():
        if value not in have:
            session.add(Fingerprint(tenant_id=tenant_id, kind=kind, digest=value, reason=reason))
