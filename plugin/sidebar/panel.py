"""What the sidebar shows for one person, read in a fixed, small number of queries (none per timeline row).

Common ground is computed from what Brobygger actually holds; nothing is guessed:

* **Mutual contacts** — people on the other end of a referral with this person (who referred them, and
  whom they referred) that the signed-in recruiter knows (owns the relationship or has logged a touch
  with) or that belong to the company (an employee reference, or one of the tenant's recruiters).
* **Shared employers** — the person's employers (current, and every employer in their work history)
  that are also the *current* employer of one of the tenant's hires or references: colleagues who can
  vouch or introduce. The recruiter's own employment history is not modelled, so it is never claimed;
  a work history that names the tenant itself is shown as "has worked at <tenant>".
* **Shared interests** — interests the person has in common with the recruiter's strong relationships:
  people the recruiter owns who have referred someone to the company.

Employer and interest names match case-insensitively and exactly; nothing fuzzy is claimed.

After a quick action the sidebar also says, in one line each, what the action did that the recruiter did
not ask for (`Notice`): a referral recorded without the credit because someone else referred the person
first, and a follow-up a rule added (connect and thank after a meeting, a role's opening, a privacy task).
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from redis import Redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plugin.core.lookup import get_owned
from plugin.followups import cadences
from plugin.models import (
    FollowUp,
    FollowUpStatus,
    Person,
    PipelineStatus,
    Recruiter,
    Reference,
    ReferenceKind,
    Referral,
    Role,
    RoleStatus,
    ShortlistEntry,
    Tenant,
    Touchpoint,
    utcnow,
)

TIMELINE_LENGTH = 25
COMMON_GROUND_LIMIT = 8  # per kind: the sidebar is a glance, not a report
STRONG_RELATIONSHIPS_SCANNED = 500
# Who among a recruiter's people has referred someone changes a few times a month, yet finding out reads every
# reference of the tenant (a dozen milliseconds in a 200,000-person tenant). The ids are kept in Redis for a few
# minutes; names and interests are always read fresh, so erasure and anonymisation show at once.
STRONG_RELATIONSHIPS_TTL = 600
_LEGAL_SUFFIX = re.compile(r"[\s,.]+(as|asa|ab|aps|oy|gmbh|ltd|inc|llc|plc|sa)\.?$")
LIVE = (FollowUpStatus.OPEN, FollowUpStatus.SNOOZED)
MANUAL = "manual"  # the kind of a follow-up a recruiter scheduled; rules and privacy tasks use their own


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    type: str  # touchpoint, followup, referred_in (someone referred them), referred_out (they referred someone)
    item: Any
    who: str = ""


@dataclass(frozen=True)
class ReferralSource:
    referral: Referral
    name: str
    kind: ReferenceKind
    is_me: bool


@dataclass(frozen=True)
class MutualContact:
    name: str
    relation: str  # referred_them | referred_by_them
    how: str  # owner | touched | employee | recruiter
    touches: int = 0


@dataclass(frozen=True)
class SharedEmployer:
    employer: str
    colleagues: list[tuple[str, str]]  # (name, "hire" | "reference")


@dataclass(frozen=True)
class SharedInterest:
    interest: str
    people: list[str]


@dataclass
class CommonGround:
    mutual: list[MutualContact] = field(default_factory=list)
    employers: list[SharedEmployer] = field(default_factory=list)
    interests: list[SharedInterest] = field(default_factory=list)
    worked_here: bool = False

    @property
    def empty(self) -> bool:
        return not (self.mutual or self.employers or self.interests or self.worked_here)


@dataclass(frozen=True)
class Notice:
    kind: str  # credit_kept (`name` referred first and keeps the credit) | rule_followup (`followup` was added)
    name: str = ""
    followup: FollowUp | None = None


@dataclass
class SidebarView:
    person: Person
    tenant: Tenant
    me: Recruiter
    owner: Recruiter | None
    next_followup: FollowUp | None
    cadence: cadences.CadenceView | None
    timeline: list[TimelineEntry]
    referred_by: list[ReferralSource]
    common_ground: CommonGround
    shortlisted: list[Role]
    open_roles: list[Role]


def view(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, recruiter_id: uuid.UUID,
         now: datetime | None = None, cache: Redis | None = None) -> SidebarView:
    now = now or utcnow()
    person = get_owned(session, Person, tenant_id, person_id, "person")
    tenant = session.get(Tenant, tenant_id)
    me = get_owned(session, Recruiter, tenant_id, recruiter_id, "recruiter")
    owner = session.get(Recruiter, person.owner_id) if person.owner_id else None
    followups = list(session.scalars(
        select(FollowUp).where(FollowUp.tenant_id == tenant_id, FollowUp.person_id == person_id)
        .order_by(FollowUp.due_at.desc()).limit(TIMELINE_LENGTH)))
    live = sorted((f for f in followups if f.status in LIVE), key=lambda f: f.due_at)
    touchpoints = list(session.scalars(
        select(Touchpoint).where(Touchpoint.tenant_id == tenant_id, Touchpoint.person_id == person_id)
        .order_by(Touchpoint.occurred_at.desc()).limit(TIMELINE_LENGTH)))
    incoming = [tuple(row) for row in session.execute(
        select(Referral, Reference).join(Reference, Reference.id == Referral.reference_id)
        .where(Referral.tenant_id == tenant_id, Referral.person_id == person_id).order_by(Referral.referred_at))]
    outgoing = [tuple(row) for row in session.execute(
        select(Referral, Person).join(Reference, Reference.id == Referral.reference_id)
        .join(Person, Person.id == Referral.person_id)
        .where(Referral.tenant_id == tenant_id, Reference.person_id == person_id)
        .order_by(Referral.referred_at.desc()).limit(TIMELINE_LENGTH))]
    names = reference_names(session, tenant_id, [ref for _, ref in incoming])
    sources = [ReferralSource(referral, names[ref.id], ref.kind, ref.recruiter_id == me.id)
               for referral, ref in incoming]
    timeline = _timeline(touchpoints, followups, sources, outgoing)
    cadence = cadences.find(session, tenant_id, person_id)
    shortlisted = list(session.scalars(
        select(Role).join(ShortlistEntry, ShortlistEntry.role_id == Role.id)
        .where(ShortlistEntry.tenant_id == tenant_id, ShortlistEntry.person_id == person_id).order_by(Role.title)))
    open_roles = list(session.scalars(
        select(Role).where(Role.tenant_id == tenant_id, Role.status.notin_([RoleStatus.FILLED, RoleStatus.DROPPED]),
                           Role.id.notin_([r.id for r in shortlisted]))
        .order_by(Role.title).limit(50)))
    return SidebarView(person, tenant, me, owner, live[0] if live else None,
                       cadences.view(cadence, now) if cadence else None, timeline, sources,
                       common_ground(session, tenant, person, me, incoming, outgoing, names, cache), shortlisted,
                       open_roles)


def automatic_followups(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID) -> set[uuid.UUID]:
    """Ids of the person's live follow-ups that no recruiter scheduled by hand (rules and privacy tasks made
    them): taken before an action, so that `notices` can tell which ones the action added."""
    return set(session.scalars(select(FollowUp.id).where(
        FollowUp.tenant_id == tenant_id, FollowUp.person_id == person_id, FollowUp.kind != MANUAL,
        FollowUp.status.in_(LIVE))))


def notices(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, before: set[uuid.UUID],
            referral: Referral | None = None) -> list[Notice]:
    """What an action did besides what was asked: a new referral that did not get the credit (who keeps it),
    and each follow-up a rule added since `before` was taken, soonest first."""
    found = []
    if referral is not None and not referral.credited:
        holder = session.scalars(select(Reference).join(Referral, Referral.reference_id == Reference.id).where(
            Referral.tenant_id == tenant_id, Referral.person_id == person_id, Referral.credited.is_(True))).first()
        if holder is not None:
            found.append(Notice("credit_kept", name=reference_name(session, holder)))
    added = session.scalars(select(FollowUp).where(
        FollowUp.tenant_id == tenant_id, FollowUp.person_id == person_id, FollowUp.kind != MANUAL,
        FollowUp.status.in_(LIVE), FollowUp.id.notin_(before)).order_by(FollowUp.due_at))
    return found + [Notice("rule_followup", followup=followup) for followup in added]


def _timeline(touchpoints: list[Touchpoint], followups: list[FollowUp], sources: list[ReferralSource],
              outgoing: list[tuple[Referral, Person]]) -> list[TimelineEntry]:
    entries = [TimelineEntry(t.occurred_at, "touchpoint", t) for t in touchpoints]
    entries += [TimelineEntry(f.completed_at or f.due_at, "followup", f) for f in followups]
    entries += [TimelineEntry(s.referral.referred_at, "referred_in", s.referral, s.name) for s in sources]
    entries += [TimelineEntry(r.referred_at, "referred_out", r, p.full_name) for r, p in outgoing]
    return sorted(entries, key=lambda e: e.at, reverse=True)[:TIMELINE_LENGTH]


def reference_names(session: Session, tenant_id: uuid.UUID, refs: list[Reference]) -> dict[uuid.UUID, str]:
    """Display names of references in two queries at most, whatever their number."""
    person_ids = [r.person_id for r in refs if r.person_id and not r.name]
    recruiter_ids = [r.recruiter_id for r in refs if r.recruiter_id and not r.name]
    people = {row.id: f"{row.first_name} {row.last_name}".strip() for row in session.execute(
        select(Person.id, Person.first_name, Person.last_name)
        .where(Person.tenant_id == tenant_id, Person.id.in_(person_ids)))} if person_ids else {}
    recruiters: dict[Any, str] = dict(session.execute(select(Recruiter.id, Recruiter.name).where(
        Recruiter.tenant_id == tenant_id, Recruiter.id.in_(recruiter_ids))).all()) if recruiter_ids else {}
    return {r.id: r.name or people.get(r.person_id) or recruiters.get(r.recruiter_id) or "—"  # type: ignore[arg-type]
            for r in refs}


def reference_name(session: Session, reference: Reference) -> str:
    return reference_names(session, reference.tenant_id, [reference])[reference.id]


def employer_key(name: str | None) -> str:
    """Case-insensitive employer name without a trailing legal form ("Kahoot! ASA" → "kahoot!")."""
    return _LEGAL_SUFFIX.sub("", (name or "").strip().casefold()).strip()


def _employers(person: Person) -> dict[str, str]:
    found = {employer_key(person.employer): person.employer or ""}
    for item in person.work_history or []:
        if isinstance(item, dict) and item.get("employer"):
            found.setdefault(employer_key(str(item["employer"])), str(item["employer"]))
    found.pop("", None)
    return found


def common_ground(session: Session, tenant: Tenant, person: Person, me: Recruiter, incoming: list[tuple[Any, ...]],
                  outgoing: list[tuple[Any, ...]], names: dict[uuid.UUID, str],
                  cache: Redis | None = None) -> CommonGround:
    ground = CommonGround()
    ground.mutual = _mutual_contacts(session, tenant.id, me, incoming, outgoing, names)
    employers = _employers(person)
    ground.worked_here = employer_key(tenant.name) in employers
    ground.employers = _shared_employers(session, tenant.id, person, employers)
    ground.interests = _shared_interests(session, tenant.id, person, me, cache)
    return ground


def _mutual_contacts(session: Session, tenant_id: uuid.UUID, me: Recruiter, incoming: list[tuple[Any, ...]],
                     outgoing: list[tuple[Any, ...]], names: dict[uuid.UUID, str]) -> list[MutualContact]:
    found: list[MutualContact] = []
    contacts: dict[uuid.UUID, str] = {}
    for _, ref in incoming:
        if ref.recruiter_id and ref.recruiter_id != me.id:
            found.append(MutualContact(names[ref.id], "referred_them", "recruiter"))
        elif ref.person_id:
            contacts[ref.person_id] = "referred_them"
    kinds = {ref.person_id: ref.kind for _, ref in incoming if ref.person_id}
    for referral, _person in outgoing:
        contacts.setdefault(referral.person_id, "referred_by_them")
    if not contacts:
        return found[:COMMON_GROUND_LIMIT]
    people = session.execute(select(Person.id, Person.first_name, Person.last_name, Person.owner_id).where(
        Person.tenant_id == tenant_id, Person.id.in_(list(contacts)))).all()
    touches: dict[Any, int] = dict(session.execute(
        select(Touchpoint.person_id, func.count()).where(
            Touchpoint.tenant_id == tenant_id, Touchpoint.recruiter_id == me.id,
            Touchpoint.person_id.in_(list(contacts))).group_by(Touchpoint.person_id)).all())
    for row in people:
        name = f"{row.first_name} {row.last_name}".strip()
        how = ("owner" if row.owner_id == me.id else "touched" if touches.get(row.id)
               else "employee" if kinds.get(row.id) == ReferenceKind.EMPLOYEE else None)
        if how:
            found.append(MutualContact(name, contacts[row.id], how, touches.get(row.id, 0)))
    return sorted(found, key=lambda c: (c.how != "owner", -c.touches, c.name))[:COMMON_GROUND_LIMIT]


def _shared_employers(session: Session, tenant_id: uuid.UUID, person: Person,
                      employers: dict[str, str]) -> list[SharedEmployer]:
    if not employers:
        return []
    keys = {name.strip().casefold() for name in employers.values()} | set(employers)
    references = select(Reference.person_id).where(Reference.tenant_id == tenant_id, Reference.person_id.isnot(None))
    rows = session.execute(
        select(Person.first_name, Person.last_name, Person.employer, Person.status, Person.id.in_(references))
        .where(Person.tenant_id == tenant_id, Person.id != person.id, Person.employer_key.in_(keys),
               (Person.status == PipelineStatus.HIRED) | Person.id.in_(references))
        .order_by(Person.name_key).limit(COMMON_GROUND_LIMIT * 4)).all()
    grouped: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for first, last, employer, status, is_reference in rows:
        role = "reference" if is_reference and status != PipelineStatus.HIRED else "hire"
        grouped[employers.get(employer_key(employer), employer or "")].append((f"{first} {last}".strip(), role))
    return [SharedEmployer(name, people[:3]) for name, people in sorted(grouped.items())][:COMMON_GROUND_LIMIT]


def _shared_interests(session: Session, tenant_id: uuid.UUID, person: Person, me: Recruiter,
                      cache: Redis | None = None) -> list[SharedInterest]:
    wanted = {str(i).strip().casefold(): str(i).strip() for i in person.interests or [] if str(i).strip()}
    if not wanted:
        return []
    ids = [i for i in strong_relationships(session, tenant_id, me.id, cache) if i != person.id]
    if not ids:
        return []
    rows = session.execute(  # ownership re-checked: the cached ids may be minutes old
        select(Person.first_name, Person.last_name, Person.interests)
        .where(Person.tenant_id == tenant_id, Person.owner_id == me.id, Person.id.in_(ids))).all()
    shared: dict[str, list[str]] = defaultdict(list)
    for first, last, interests in rows:
        for interest in {str(i).strip().casefold() for i in interests or []} & set(wanted):
            shared[interest].append(f"{first} {last}".strip())
    return [SharedInterest(wanted[key], sorted(names)[:3]) for key, names in sorted(shared.items())
            ][:COMMON_GROUND_LIMIT]


def strong_relationships(session: Session, tenant_id: uuid.UUID, recruiter_id: uuid.UUID,
                         cache: Redis | None = None) -> list[uuid.UUID]:
    """Ids of the people the recruiter owns who have referred someone to the company (at most
    STRONG_RELATIONSHIPS_SCANNED), from the cache when it holds them."""
    key = f"brobygger:sidebar:strong:{tenant_id}:{recruiter_id}"
    packed = cache.get(key) if cache is not None else None
    if isinstance(packed, bytes):
        return [uuid.UUID(bytes=packed[i:i + 16]) for i in range(0, len(packed), 16)]
    # EXISTS, not a join: "has referred anyone" must not read every referral of every reference
    has_referred = select(Referral.id).where(Referral.tenant_id == tenant_id,
                                             Referral.reference_id == Reference.id).exists()
    referrers = select(Reference.person_id).where(Reference.tenant_id == tenant_id, Reference.person_id.isnot(None),
                                                  has_referred)
    ids = list(session.scalars(
        select(Person.id).where(Person.tenant_id == tenant_id, Person.owner_id == recruiter_id,
                                Person.id.in_(referrers)).limit(STRONG_RELATIONSHIPS_SCANNED + 1)))
    if cache is not None:
        cache.set(key, b"".join(i.bytes for i in ids), ex=STRONG_RELATIONSHIPS_TTL)
    return ids
