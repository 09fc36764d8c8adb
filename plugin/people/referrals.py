"""Referrals: who referred whom, through which channel, asked or unasked, and how it went."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from plugin.ats import writeback
from plugin.core.actors import Actor, audit
from plugin.core.lookup import check_owned, get_owned
from plugin.core.pagination import Page, paginate
from plugin.errors import InvalidError, NotFoundError
from plugin.i18n import force_locale, gettext, pick_language
from plugin.models import Person, Recruiter, Reference, Referral, ReferralStatus, Role, Tenant, utcnow
from plugin.people import references


def _referrer(session: Session, tenant_id: uuid.UUID, data: dict[str, Any], actor: Actor) -> tuple[str, Reference]:
    """The reference named by `reference_id`, or the one the inline `referrer` finds or makes; with the
    request field it came from, for error messages."""
    if data.get("referrer") is not None:
        return "referrer", references.find_or_add(session, tenant_id, data["referrer"], actor, "referrer")
    try:
        return "reference_id", get_owned(session, Reference, tenant_id, data["reference_id"])
    except NotFoundError:  # in a body, an unknown id is a bad field rather than a missing resource
        raise InvalidError("reference_id does not name a known record.", {"reference_id": ["Unknown id."]}) from None


WRITEBACK_TAG = "Brobygger referral"


def create(session: Session, tenant_id: uuid.UUID, data: dict[str, Any], actor: Actor) -> tuple[Referral, bool]:
    """Record a referral; returns it and whether it is new.

    The same referrer reporting the same person again is a merge, not a second row: the existing referral
    comes back with the new note appended (a referrer must not be counted twice). A different referrer of
    an already-referred person is recorded without the credit, which the first keeps, unless the request
    says `credited: true` (then the credit moves to the new one). An inline referrer's new reference
    belongs to the same transaction, so a self-referral leaves no stray reference behind."""
    person_id = data["person_id"]
    check_owned(session, Person, tenant_id, person_id, "person_id")
    check_owned(session, Role, tenant_id, data.get("role_id"), "role_id")
    field, reference = _referrer(session, tenant_id, data, actor)
    if reference.person_id == person_id:
        raise InvalidError("A referrer cannot refer themselves.", {field: ["Is the person referred."]})
    existing = session.scalars(select(Referral).where(
        Referral.tenant_id == tenant_id, Referral.reference_id == reference.id,
        Referral.person_id == person_id)).first()
    if existing is not None:
        return _merge(session, tenant_id, existing, data, actor), False
    values = {k: v for k, v in data.items() if k not in ("referrer", "reference_id", "credited")}
    referral = Referral(tenant_id=tenant_id, reference_id=reference.id, origin=actor.surface, **values)
    referral.credited = _takes_credit(session, tenant_id, person_id, data.get("credited"))
    session.add(referral)
    session.flush()
    audit(session, tenant_id, actor, "create", "referral", referral.id, data)
    prompted = "prompted" if referral.prompted else "unprompted"
    writeback.request(session, tenant_id, person_id, "note",
                      f"Brobygger: referral logged ({str(referral.channel).replace('_', ' ')}, {prompted}).")
    writeback.request(session, tenant_id, person_id, "tag", WRITEBACK_TAG)
    session.commit()
    return referral, True


def _takes_credit(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, asked: bool | None) -> bool:
    """Whether a new referral of `person_id` gets the credit: yes when nobody holds it yet; when someone
    does, only if the request asks (`credited: true`), and then the holder loses it."""
    if asked is False:
        return False
    holders = session.scalars(select(Referral).where(
        Referral.tenant_id == tenant_id, Referral.person_id == person_id, Referral.credited.is_(True))).all()
    if holders and not asked:
        return False
    for holder in holders:
        holder.credited = False
    return True


def _merge(session: Session, tenant_id: uuid.UUID, referral: Referral, data: dict[str, Any], actor: Actor) -> Referral:
    """A repeated report of the same referral: keep the first one's facts (channel, time, status), add the
    new note, and fill a role or job the first report lacked."""
    changed = []
    note = (data.get("note") or "").strip()
    if note and note not in referral.note:
        referral.note = f"{referral.note}\n\n{note}" if referral.note else note
        changed.append("note")
    for key in ("role_id", "job_ref"):
        if data.get(key) is not None and getattr(referral, key) is None:
            setattr(referral, key, data[key])
            changed.append(key)
    if data.get("credited") and not referral.credited:
        _move_credit(session, tenant_id, referral)
        changed.append("credited")
    if changed:
        audit(session, tenant_id, actor, "merge", "referral", referral.id, changed)
    session.commit()
    return referral


def _move_credit(session: Session, tenant_id: uuid.UUID, referral: Referral) -> None:
    for other in session.scalars(select(Referral).where(
            Referral.tenant_id == tenant_id, Referral.person_id == referral.person_id, Referral.id != referral.id,
            Referral.credited.is_(True))):
        other.credited = False
    referral.credited = True


def give_credit(session: Session, tenant_id: uuid.UUID, referral_id: uuid.UUID, actor: Actor) -> Referral:
    """Move the credit for a referred person to this referral (a recruiter's correction): exactly one
    referral per person holds it afterwards."""
    referral = get(session, tenant_id, referral_id)
    if not referral.credited:
        _move_credit(session, tenant_id, referral)
        audit(session, tenant_id, actor, "credit", "referral", referral.id, ["credited"])
    session.commit()
    return referral


def get(session: Session, tenant_id: uuid.UUID, referral_id: uuid.UUID) -> Referral:
    return get_owned(session, Referral, tenant_id, referral_id, "referral")


def update(session: Session, tenant_id: uuid.UUID, referral_id: uuid.UUID, data: dict[str, Any],
           actor: Actor) -> Referral:
    """Change a referral. Any status may be set (recruiters correct mistakes); a change of status
    restarts `status_changed_at`, which is how long it has been in that status."""
    referral = get(session, tenant_id, referral_id)
    check_owned(session, Role, tenant_id, data.get("role_id"), "role_id")
    if "status" in data and data["status"] != referral.status:
        referral.status_changed_at = utcnow()
    for key, value in data.items():
        setattr(referral, key, value)
    audit(session, tenant_id, actor, "update", "referral", referral.id, data)
    session.commit()
    return referral


def list_(session: Session, tenant_id: uuid.UUID, *, reference_id: uuid.UUID | None = None,
          person_id: uuid.UUID | None = None, status: str | None = None, channel: str | None = None,
          prompted: bool | None = None, referred_from: datetime | None = None,
          referred_to: datetime | None = None, limit: int, cursor: str | None = None) -> Page:
    """Referrals in the order they were made; `referred_from` is inclusive, `referred_to` exclusive."""
    query = select(Referral).where(Referral.tenant_id == tenant_id)
    for column, value in ((Referral.reference_id, reference_id), (Referral.person_id, person_id),
                          (Referral.status, status), (Referral.channel, channel), (Referral.prompted, prompted)):
        if value is not None:
            query = query.where(column == value)
    if referred_from is not None:
        query = query.where(Referral.referred_at >= referred_from)
    if referred_to is not None:
        query = query.where(Referral.referred_at < referred_to)
    return paginate(session, query, [Referral.referred_at, Referral.id], limit, cursor)


# --- closing the loop: a ready-made note for the referrer ---------------------------------------------------

# Language names a person record may carry, mapped to the languages we write in.


def _note_text(status: str, referrer: str, person: str) -> str:
    """The note for one status, in the active locale. Short and concrete: referrers who never hear back
    stop referring, and a note they can send as it is gets sent."""
    texts = {
        ReferralStatus.RECEIVED: gettext(
            "Hi %(referrer)s, thank you for referring %(person)s to us! We have noted it and will be in touch "
            "with them soon.", referrer=referrer, person=person),
        ReferralStatus.CONTACTED: gettext(
            "Hi %(referrer)s, a quick update: we have now been in touch with %(person)s, whom you referred. "
            "Thank you for thinking of us!", referrer=referrer, person=person),
        ReferralStatus.IN_PROCESS: gettext(
            "Hi %(referrer)s, good news: %(person)s, whom you referred, is now in a recruitment process with "
            "us. Thank you!", referrer=referrer, person=person),
        ReferralStatus.HIRED: gettext(
            "Hi %(referrer)s, great news: %(person)s, whom you referred, has been hired! Thank you so much "
            "for the referral.", referrer=referrer, person=person),
        ReferralStatus.NOT_HIRED: gettext(
            "Hi %(referrer)s, thank you for referring %(person)s. It did not lead to a hire this time, but we "
            "are grateful you thought of us.", referrer=referrer, person=person),
        ReferralStatus.PARKED: gettext(
            "Hi %(referrer)s, thank you for referring %(person)s. We have no suitable role right now, so we "
            "have noted them for later. Thanks for thinking of us!", referrer=referrer, person=person),
    }
    return texts[ReferralStatus(status)]


def _first_name(full: str | None) -> str:
    return (full or "").strip().split(" ")[0]


def thank_you_notes(session: Session, tenant_id: uuid.UUID, referrals: list[Referral]) -> dict[uuid.UUID, str]:
    """{referral id: the note for its current status}, in each referrer's language; one query for the lot
    (the API's pages and the daily digest use it alike)."""
    if not referrals:
        return {}
    referrer_person, referred = aliased(Person), aliased(Person)
    rows = session.execute(
        select(Referral.id, Referral.status, Reference.name, referrer_person.first_name, referrer_person.languages,
               Recruiter.name, Recruiter.language, referred.first_name, Tenant.default_language)
        .join(Reference, Reference.id == Referral.reference_id)
        .join(referred, referred.id == Referral.person_id)
        .join(Tenant, Tenant.id == Referral.tenant_id)
        .outerjoin(referrer_person, referrer_person.id == Reference.person_id)
        .outerjoin(Recruiter, Recruiter.id == Reference.recruiter_id)
        .where(Referral.tenant_id == tenant_id, Referral.id.in_([r.id for r in referrals])))
    notes = {}
    for id_, status, name, person_first, languages, recruiter_name, recruiter_lang, referred_first, default in rows:
        with force_locale(pick_language(recruiter_lang, spoken=languages or (), default=default)):
            notes[id_] = _note_text(status, person_first or _first_name(recruiter_name or name), referred_first)
    return notes


def with_notes(session: Session, tenant_id: uuid.UUID, referrals: list[Referral]) -> list[Referral]:
    """Set `thank_you_note` on each referral for the API output."""
    notes = thank_you_notes(session, tenant_id, referrals)
    for referral in referrals:
        referral.thank_you_note = notes.get(referral.id, "")  # type: ignore[attr-defined]  # output only
    return referrals
