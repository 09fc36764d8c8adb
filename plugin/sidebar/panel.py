"""What the sidebar shows for one person, read in five statements whatever their history (see `view`).

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
from functools import cache
from typing import Any

from redis import Redis
from sqlalchemy import Select, Subquery, bindparam, func, literal, select, union_all
from sqlalchemy.orm import Session, aliased, lazyload

from plugin.errors import NotFoundError
from plugin.followups import cadences
from plugin.models import (
    Cadence,
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
OPEN_ROLES_SHOWN = 50  # the shortlist picker's other open roles, by title
# Who among a recruiter's people has referred someone changes a few times a month, yet finding out reads every
# reference of the tenant (a dozen milliseconds in a 200,000-person tenant). The ids are kept in Redis for a few
# minutes; names and interests are always read fresh, so erasure and anonymisation show at once.
STRONG_RELATIONSHIPS_TTL = 600
_LEGAL_SUFFIX = re.compile(r"[\s,.]+(as|asa|ab|aps|oy|gmbh|ltd|inc|llc|plc|sa)\.?$")
LIVE = (FollowUpStatus.OPEN, FollowUpStatus.SNOOZED)
MANUAL = "manual"  # the kind of a follow-up a recruiter scheduled; rules and privacy tasks use their own
_OWNER = aliased(Recruiter, name="owner")
_OTHER = aliased(Person, name="other")  # the person on the other end of a referral


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
    """The sidebar for one person in five statements, whatever their history (six when the recruiter's strong
    relationships are not cached): the person with owner and cadence, the timeline's follow-ups and touches,
    the referrals both ways, the roles, and common ground's people. The recruiter and the tenant cost none
    when the caller holds them already (the page has them from the token)."""
    now = now or utcnow()
    found = session.execute(_person_statement(), {"tenant_id": tenant_id, "person_id": person_id}).first()
    if found is None:
        raise NotFoundError(f"No person with id {person_id}.")
    person, owner, cadence = found
    tenant, me = session.get(Tenant, tenant_id), session.get(Recruiter, recruiter_id)
    if tenant is None or me is None or me.tenant_id != tenant_id:
        raise NotFoundError(f"No recruiter with id {recruiter_id}.")
    followups, touchpoints = _latest(session, tenant_id, person_id)
    live = sorted((f for f in followups if f.status in LIVE), key=lambda f: f.due_at)
    referrals = _referrals(session, tenant_id, person_id, me.id)
    sources = [ReferralSource(referral, referrals.names[ref.id], ref.kind, ref.recruiter_id == me.id)
               for referral, ref in referrals.incoming]
    shortlisted, open_roles = _roles(session, tenant_id, person_id)
    return SidebarView(person, tenant, me, owner, live[0] if live else None,
                       cadences.view(cadence, now) if cadence else None,
                       _timeline(touchpoints, followups, sources, referrals.outgoing), sources,
                       common_ground(session, tenant, person, me, referrals, cache), shortlisted, open_roles)


# The sidebar's statements are built once, with bound parameters, and reused: building a statement and its cache
# key costs more Python than running it does (a third of the sidebar's time, before they were kept).
_TENANT, _PERSON, _RECRUITER = bindparam("tenant_id"), bindparam("person_id"), bindparam("recruiter_id")


@cache
def _person_statement() -> Select[Any]:
    return (select(Person, _OWNER, Cadence)
            .outerjoin(_OWNER, (_OWNER.id == Person.owner_id) & (_OWNER.tenant_id == _TENANT))
            .outerjoin(Cadence, (Cadence.person_id == Person.id) & (Cadence.tenant_id == _TENANT))
            .where(Person.id == _PERSON, Person.tenant_id == _TENANT)
            .options(lazyload(Person.emails), lazyload(Person.ats_links)))  # the sidebar shows neither


def _tagged(**branches: Select[Any]) -> Subquery:
    """Several lists in one subquery: a UNION ALL of `branches`, each a SELECT of the same columns (an id
    first) that keeps its own ORDER BY and LIMIT, with a `tag` column naming the branch a row came from.
    Joined to the tables, it loads those lists in one statement (SQLite takes ORDER BY and LIMIT in a
    compound SELECT only inside a subquery, hence one per branch)."""
    return union_all(*(select(literal(tag).label("tag"), *branch.subquery().c)
                       for tag, branch in branches.items())).subquery()


def _latest(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID) -> tuple[list[FollowUp], list[Touchpoint]]:
    """The person's latest follow-ups (by due time) and touches, TIMELINE_LENGTH of each, in one statement."""
    rows = session.execute(_latest_statement(), {"tenant_id": tenant_id, "person_id": person_id}).all()
    return [f for f, _ in rows if f is not None], [t for _, t in rows if t is not None]


@cache
def _latest_statement() -> Select[Any]:
    items = _tagged(
        followup=select(FollowUp.id).where(FollowUp.tenant_id == _TENANT, FollowUp.person_id == _PERSON)
        .order_by(FollowUp.due_at.desc()).limit(TIMELINE_LENGTH),
        touchpoint=select(Touchpoint.id).where(Touchpoint.tenant_id == _TENANT, Touchpoint.person_id == _PERSON)
        .order_by(Touchpoint.occurred_at.desc()).limit(TIMELINE_LENGTH))
    return (select(FollowUp, Touchpoint).select_from(items)
            .outerjoin(FollowUp, (items.c.tag == "followup") & (FollowUp.id == items.c.id))
            .outerjoin(Touchpoint, (items.c.tag == "touchpoint") & (Touchpoint.id == items.c.id)))


@dataclass(frozen=True)
class _Contact:
    """A person on the other end of one of the person's referrals, as common ground weighs them."""

    name: str
    owner_id: uuid.UUID | None
    touches: int  # the signed-in recruiter's touches with them


@dataclass
class _Referrals:
    """The person's referrals both ways, as the timeline, the sources and common ground read them."""

    incoming: list[tuple[Referral, Reference]] = field(default_factory=list)  # who referred the person, oldest first
    outgoing: list[tuple[Referral, str]] = field(default_factory=list)  # whom they referred, and their name
    names: dict[uuid.UUID, str] = field(default_factory=dict)  # the incoming references' display names
    contacts: dict[uuid.UUID, _Contact] = field(default_factory=dict)  # by person id


def _referrals(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID, recruiter_id: uuid.UUID) -> _Referrals:
    """Every referral of the person and the latest TIMELINE_LENGTH they made, in one statement, each with the
    person on its other end, the recruiter's touches with them and the names `reference_names` would give."""
    rows = session.execute(_referrals_statement(),
                           {"tenant_id": tenant_id, "person_id": person_id, "recruiter_id": recruiter_id}).all()
    found = _Referrals()
    for tag, referral, reference, other_id, first, last, owner_id, touched, recruiter_name in rows:
        other = f"{first} {last}".strip() if other_id else ""
        if other_id:
            found.contacts[other_id] = _Contact(other, owner_id, touched)
        if tag == "referred_in":
            found.incoming.append((referral, reference))
            found.names[reference.id] = _display_name(reference, other, recruiter_name)
        else:
            found.outgoing.append((referral, other))
    return found


@cache
def _referrals_statement() -> Select[Any]:
    items = _tagged(
        referred_in=select(Referral.id, Reference.person_id.label("other_id"))
        .join(Reference, Reference.id == Referral.reference_id)
        .where(Referral.tenant_id == _TENANT, Referral.person_id == _PERSON),
        referred_out=select(Referral.id, Referral.person_id.label("other_id"))
        .join(Reference, Reference.id == Referral.reference_id)
        .where(Referral.tenant_id == _TENANT, Reference.tenant_id == _TENANT, Reference.person_id == _PERSON)
        .order_by(Referral.referred_at.desc()).limit(TIMELINE_LENGTH))
    touches = select(func.count()).where(Touchpoint.tenant_id == _TENANT, Touchpoint.recruiter_id == _RECRUITER,
                                         Touchpoint.person_id == _OTHER.id).scalar_subquery()
    return (select(items.c.tag, Referral, Reference, _OTHER.id, _OTHER.first_name, _OTHER.last_name, _OTHER.owner_id,
                   touches, Recruiter.name).select_from(items)
            .join(Referral, Referral.id == items.c.id).join(Reference, Reference.id == Referral.reference_id)
            .outerjoin(_OTHER, (_OTHER.id == items.c.other_id) & (_OTHER.tenant_id == _TENANT))
            .outerjoin(Recruiter, (Recruiter.id == Reference.recruiter_id) & (Recruiter.tenant_id == _TENANT))
            .order_by(Referral.referred_at))


def _roles(session: Session, tenant_id: uuid.UUID, person_id: uuid.UUID) -> tuple[list[Role], list[Role]]:
    """The roles the person is shortlisted for, and up to OPEN_ROLES_SHOWN other open ones, by title (one
    statement)."""
    rows = session.execute(_roles_statement(), {"tenant_id": tenant_id, "person_id": person_id}).all()
    return [role for tag, role in rows if tag == "shortlisted"], [role for tag, role in rows if tag == "open"]


@cache
def _roles_statement() -> Select[Any]:
    shortlist = select(ShortlistEntry.role_id.label("id")).where(ShortlistEntry.tenant_id == _TENANT,
                                                                 ShortlistEntry.person_id == _PERSON)
    items = _tagged(
        shortlisted=shortlist,
        open=select(Role.id).where(Role.tenant_id == _TENANT, Role.status.notin_([RoleStatus.FILLED,
                                                                                   RoleStatus.DROPPED]),
                                   Role.id.notin_(shortlist)).order_by(Role.title).limit(OPEN_ROLES_SHOWN))
    return select(items.c.tag, Role).join(Role, Role.id == items.c.id).where(Role.tenant_id == _TENANT) \
        .order_by(Role.title)


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
              outgoing: list[tuple[Referral, str]]) -> list[TimelineEntry]:
    entries = [TimelineEntry(t.occurred_at, "touchpoint", t) for t in touchpoints]
    entries += [TimelineEntry(f.completed_at or f.due_at, "followup", f) for f in followups]
    entries += [TimelineEntry(s.referral.referred_at, "referred_in", s.referral, s.name) for s in sources]
    entries += [TimelineEntry(r.referred_at, "referred_out", r, name) for r, name in outgoing]
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
    return {r.id: _display_name(r, people.get(r.person_id), recruiters.get(r.recruiter_id))  # type: ignore[arg-type]
            for r in refs}


def _display_name(reference: Reference, person_name: str | None, recruiter_name: str | None) -> str:
    """A reference's own name, else its person's, else its recruiter's."""
    return reference.name or person_name or recruiter_name or "—"


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


def common_ground(session: Session, tenant: Tenant, person: Person, me: Recruiter, referrals: _Referrals,
                  cache: Redis | None = None) -> CommonGround:
    """Common ground from the referrals already read, and the colleagues at shared employers and the strong
    relationships with shared interests in one statement (none when there is nothing to look for)."""
    ground = CommonGround()
    ground.mutual = _mutual_contacts(me, referrals)
    employers = _employers(person)
    ground.worked_here = employer_key(tenant.name) in employers
    wanted = {str(i).strip().casefold(): str(i).strip() for i in person.interests or [] if str(i).strip()}
    strong = [i for i in strong_relationships(session, tenant.id, me.id, cache) if i != person.id] if wanted else []
    rows: list[Any] = []
    if employers or strong:  # ownership re-checked: the cached ids may be minutes old
        keys = {name.strip().casefold() for name in employers.values()} | set(employers)
        rows = list(session.execute(_common_ground_statement(bool(employers), bool(strong)), {
            "tenant_id": tenant.id, "person_id": person.id, "keys": list(keys),
            "strong": strong}))
    ground.employers = _shared_employers(employers, [row for row in rows if row.tag == "employer"])
    ground.interests = _shared_interests(wanted, [row for row in rows if row.tag == "interest"
                                                  and row.owner_id == me.id])
    return ground


def _mutual_contacts(me: Recruiter, referrals: _Referrals) -> list[MutualContact]:
    found: list[MutualContact] = []
    contacts: dict[uuid.UUID, str] = {}
    for _, ref in referrals.incoming:
        if ref.recruiter_id and ref.recruiter_id != me.id:
            found.append(MutualContact(referrals.names[ref.id], "referred_them", "recruiter"))
        elif ref.person_id:
            contacts[ref.person_id] = "referred_them"
    kinds = {ref.person_id: ref.kind for _, ref in referrals.incoming if ref.person_id}
    for referral, _name in referrals.outgoing:
        contacts.setdefault(referral.person_id, "referred_by_them")
    for person_id, relation in contacts.items():
        contact = referrals.contacts.get(person_id)
        if contact is None:  # not one of the tenant's people
            continue
        how = ("owner" if contact.owner_id == me.id else "touched" if contact.touches
               else "employee" if kinds.get(person_id) == ReferenceKind.EMPLOYEE else None)
        if how:
            found.append(MutualContact(contact.name, relation, how, contact.touches))
    return sorted(found, key=lambda c: (c.how != "owner", -c.touches, c.name))[:COMMON_GROUND_LIMIT]


def _references() -> Select[Any]:
    """Ids of the tenant's people who are references."""
    return select(Reference.person_id).where(Reference.tenant_id == _TENANT, Reference.person_id.isnot(None))


@cache
def _common_ground_statement(employers: bool, strong: bool) -> Select[Any]:
    """The colleagues at the person's employers (`keys`: their names folded) and the recruiter's strong
    relationships (`strong`: their ids), as one statement for the branches there is something to look for."""
    branches: dict[str, Select[Any]] = {}
    if employers:  # the tenant's hires and references whose current employer is one of the person's
        branches["employer"] = (
            select(Person.id).where(Person.tenant_id == _TENANT, Person.id != _PERSON,
                                    Person.employer_key.in_(bindparam("keys", expanding=True)),
                                    (Person.status == PipelineStatus.HIRED) | Person.id.in_(_references()))
            .order_by(Person.name_key).limit(COMMON_GROUND_LIMIT * 4))
    if strong:  # found by id alone: ANDed with the owner's index, PostgreSQL would read all the recruiter owns
        branches["interest"] = select(Person.id).where(Person.tenant_id == _TENANT,
                                                       Person.id.in_(bindparam("strong", expanding=True)))
    items = _tagged(**branches)
    return (select(items.c.tag, Person.first_name, Person.last_name, Person.employer, Person.status,
                   Person.id.in_(_references()).label("is_reference"), Person.interests, Person.owner_id)
            .join(Person, Person.id == items.c.id).where(Person.tenant_id == _TENANT).order_by(Person.name_key))


def _shared_employers(employers: dict[str, str], rows: list[Any]) -> list[SharedEmployer]:
    grouped: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in rows:
        role = "reference" if row.is_reference and row.status != PipelineStatus.HIRED else "hire"
        grouped[employers.get(employer_key(row.employer), row.employer or "")].append(
            (f"{row.first_name} {row.last_name}".strip(), role))
    return [SharedEmployer(name, people[:3]) for name, people in sorted(grouped.items())][:COMMON_GROUND_LIMIT]


def _shared_interests(wanted: dict[str, str], rows: list[Any]) -> list[SharedInterest]:
    shared: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        for interest in {str(i).strip().casefold() for i in row.interests or []} & set(wanted):
            shared[interest].append(f"{row.first_name} {row.last_name}".strip())
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
