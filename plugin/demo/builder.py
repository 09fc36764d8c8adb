"""The demo tenant: believable, repeatable data for trying Brobygger without an ATS or a customer.

`brobygger seed-demo` and `brobygger run --demo` call `seed`. Every date is an offset from `now`, so
overdue, due-today and upcoming follow-ups mean something whenever the demo is seeded; every choice comes
from seeded generators, so two seeds with the same `now` hold the same people, touches and referrals.
E-mail addresses use reserved domains (`.example`, RFC 2606): digests and outreach from a demo can never
reach a real inbox. The tables it draws from are in `data.py`. Faker (an optional dependency, `brobygger[demo]`)
is imported only when a demo is built.
"""

from __future__ import annotations

import random
import time
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from plugin.config import ConfigError
from plugin.demo.data import (
    ATS_ORIGINS,
    CANCEL_NOTES,
    DATA_SOURCES,
    DEMO_TENANT_NAME,
    DO_NOT_CONTACT,
    EVENTS,
    FAMILIES,
    FAMILY_TAGS,
    FIRST_KIND,
    GENERAL_TAGS,
    HISTORY_DAYS,
    INTERESTS,
    KIND_WEIGHTS,
    NB_MONTHS,
    NB_TITLES,
    NO_EMPLOYERS,
    OSLO,
    PEOPLE,
    REASONS,
    RECRUITERS,
    REFERRAL_NOTES,
    REFERRALS,
    ROLES,
    SE_EMPLOYERS,
    SEED,
    SHORTLIST_NOTES,
    SNOOZE_NOTES,
    SUMMARIES,
    TITLES,
    TOPICS,
    UK_EMPLOYERS,
)
from plugin.models import (
    Cadence,
    FollowUp,
    FollowUpStatus,
    Installation,
    LawfulBasis,
    Message,
    MessageEvent,
    Origin,
    Person,
    PersonEmail,
    PipelineStatus,
    Recruiter,
    Reference,
    ReferenceKind,
    Referral,
    ReferralChannel,
    ReferralStatus,
    Role,
    RoleStatus,
    ShortlistEntry,
    Tenant,
    Touchpoint,
    TouchpointKind,
    uuid7,
)
from plugin.tenancy import tenants

if TYPE_CHECKING:
    from faker import Faker

    from plugin.security import Vault


COUNTED: tuple[tuple[str, Any], ...] = (
    ("recruiters", Recruiter), ("people", Person), ("touchpoints", Touchpoint), ("cadences", Cadence),
    ("followups", FollowUp), ("roles", Role), ("shortlisted", ShortlistEntry), ("references", Reference),
    ("referrals", Referral),
)


@dataclass(frozen=True)
class SeedResult:
    """What the demo tenant holds after `seed`, and whether this call created it."""

    tenant_id: uuid.UUID
    created: bool
    recruiters: int
    people: int
    touchpoints: int
    cadences: int
    followups: int
    roles: int
    shortlisted: int
    references: int
    referrals: int
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name, _ in COUNTED}

    def summary(self) -> str:
        state = f"seeded in {self.seconds:.1f} s" if self.created else "already seeded"
        return (f"Demo tenant {DEMO_TENANT_NAME} {state}: {self.recruiters} recruiters, {self.people} people, "
                f"{self.touchpoints} touchpoints, {self.cadences} cadences, {self.followups} follow-ups, "
                f"{self.roles} roles ({self.shortlisted} shortlisted), {self.references} references, "
                f"{self.referrals} referrals (tenant id {self.tenant_id}).")


def seed(session: Session, vault: Vault, *, reset: bool = False, now: datetime | None = None) -> SeedResult:
    """Create the demo tenant unless it exists (replace it with `reset`) and return what it holds.

    One transaction: a failure leaves the database as it was. A demo tenant without people (left by an
    older, interrupted seed) is replaced as if `reset` were given.
    """
    started = time.perf_counter()
    now = _anchor(now)
    existing = session.scalars(select(Tenant).where(Tenant.name == DEMO_TENANT_NAME)
                               .order_by(Tenant.created_at, Tenant.id)).first()
    if existing is not None and not reset and _count(session, Person, existing.id):
        return SeedResult(existing.id, False, **_counts(session, existing.id))
    try:
        # Every row of a tenant goes with it (ON DELETE CASCADE).
        session.execute(delete(Tenant).where(Tenant.name == DEMO_TENANT_NAME))
        tenant_id = tenants.add(session, vault, DEMO_TENANT_NAME, ats_origins=list(ATS_ORIGINS)).tenant.id
        for batch in _Builder(tenant_id, now).batches():
            session.add_all(batch)
            session.flush()  # in dependency order: the models have foreign keys but no relationships
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return SeedResult(tenant_id, True, **_counts(session, tenant_id), seconds=time.perf_counter() - started)


def demo_recruiter(session: Session) -> tuple[Tenant, Recruiter] | None:
    """The demo tenant and the recruiter its shortcuts sign in as (the first by e-mail), once seeded."""
    tenant = session.scalars(select(Tenant).where(Tenant.name == DEMO_TENANT_NAME)
                             .order_by(Tenant.created_at, Tenant.id)).first()
    recruiter = tenant and session.scalars(select(Recruiter).where(Recruiter.tenant_id == tenant.id)
                                           .order_by(Recruiter.email).limit(1)).first()
    return (tenant, recruiter) if tenant is not None and recruiter is not None else None


SIMULATOR_INSTALLATION = "Greenhouse (simulator)"
SIMULATOR_WEBHOOK_SECRET = "demo-greenhouse-webhook-secret"  # the demo's own simulator; not a real secret


def connect_simulator(session: Session, vault: Vault, tenant_id: uuid.UUID, simulator_url: str) -> Installation:
    """Connect the demo tenant to the Greenhouse simulator `make run` starts (its port may change between runs)."""
    from connectors.simulators.greenhouse import CLIENT_ID, CLIENT_SECRET
    from plugin.ats import installations

    credentials = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "token_url": f"{simulator_url}/token"}
    installation = session.scalars(select(Installation).where(
        Installation.tenant_id == tenant_id, Installation.name == SIMULATOR_INSTALLATION)).first()
    if installation is None:
        return installations.add(session, vault, tenant_id, vendor="greenhouse", base_url=f"{simulator_url}/v3",
                                 credentials=credentials, webhook_secret=SIMULATOR_WEBHOOK_SECRET,
                                 name=SIMULATOR_INSTALLATION, settings={"write_back": True})
    installation.base_url = f"{simulator_url}/v3"
    installation.credentials_encrypted = vault.encrypt_json(credentials)
    session.commit()
    return installation


def _anchor(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC).replace(microsecond=0)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC)


def _count(session: Session, model: Any, tenant_id: uuid.UUID) -> int:
    return session.scalar(select(func.count()).select_from(model).where(model.tenant_id == tenant_id)) or 0


def _counts(session: Session, tenant_id: uuid.UUID) -> dict[str, int]:
    return {name: _count(session, model, tenant_id) for name, model in COUNTED}


def _ascii(text: str) -> str:
    """`Bjørn Ødegård` → `bjorn odegard`: e-mail and LinkedIn slugs as Norwegians write them."""
    text = text.casefold().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in text if c.isalnum() or c in " -")


@dataclass
class _Someone:
    """A person being built, with what the later steps need to stay consistent with them."""

    row: Person
    origin: str  # no, gb, us: decides the name locale and the language of notes
    family: str
    topic: tuple[str, str]  # (Norwegian, English): what the recruiter and they talk about
    first_at: datetime
    last_at: datetime
    touches: list[Touchpoint] = field(default_factory=list)
    cadence: Cadence | None = None


class _Builder:
    """Builds every row of the demo in memory; `batches` hands them over in foreign-key order."""

    def __init__(self, tenant_id: uuid.UUID, now: datetime) -> None:
        try:
            from faker import Faker
        except ImportError:
            raise ConfigError("the demo needs Faker: pip install 'brobygger[demo]'") from None
        self.tenant_id = tenant_id
        self.now = now
        self.rng = random.Random(SEED)
        self.fakers: dict[str, Faker] = {}
        # Faker's Norwegian (Bokmål) locale is `no_NO`; it has no `nb_NO`.
        for origin, locale in (("no", "no_NO"), ("gb", "en_GB"), ("us", "en_US")):
            faker = Faker(locale)
            faker.seed_instance(SEED)
            self.fakers[origin] = faker
        self.emails: set[str] = set()
        self.recruiters: list[Recruiter] = []
        self.people: list[_Someone] = []
        self.roles: list[Role] = []
        self.role_family: dict[uuid.UUID, str] = {}
        self.shortlist: list[ShortlistEntry] = []
        self.references: list[Reference] = []
        self.referrals: list[Referral] = []
        self.followups: list[FollowUp] = []
        self.external = 0

    # --- helpers -------------------------------------------------------------------------------

    def snap(self, moment: datetime) -> datetime:
        """The same day in working hours (weekends move back to Friday), never later than now."""
        moment = moment.replace(hour=self.rng.randint(7, 15), minute=self.rng.choice((0, 15, 30, 45)),
                                second=0, microsecond=0)
        moment -= timedelta(days=max(0, moment.weekday() - 4))
        return min(moment, self.now - timedelta(minutes=30))

    def ago(self, low: float, high: float) -> datetime:
        """A working-hours moment between `low` and `high` days before now."""
        return self.snap(self.now - timedelta(days=self.rng.uniform(low, high)))

    def ahead(self, low: float, high: float) -> datetime:
        """A working-hours moment between `low` and `high` days from now (weekends move on to Monday)."""
        moment = self.now + timedelta(days=self.rng.uniform(low, high))
        moment += timedelta(days=max(0, 7 - moment.weekday()) if moment.weekday() > 4 else 0)
        return moment.replace(hour=self.rng.randint(7, 14), minute=0, second=0, microsecond=0)

    def title(self, family: str, pool: Sequence[tuple[str, str, tuple[str, ...]]]) -> str:
        if pool is NO_EMPLOYERS and self.rng.random() < 0.4:
            return self.rng.choice(NB_TITLES[family])
        return self.rng.choice(TITLES[family])

    def weighted(self, weights: dict[Any, int]) -> Any:
        return self.rng.choices(list(weights), list(weights.values()))[0]

    def text(self, pair: tuple[str, str] | Sequence[str], lang: str, **values: Any) -> str:
        return pair[0 if lang == "nb" else 1].format(**values)

    def lang(self, someone: _Someone, recruiter_id: uuid.UUID | None) -> str:
        recruiter = next((r for r in self.recruiters if r.id == recruiter_id), None)
        return "en" if someone.origin != "no" or (recruiter and recruiter.language == "en") else "nb"

    def month(self, day: date, lang: str) -> str:
        return f"{NB_MONTHS[day.month - 1]} {day.year}" if lang == "nb" else day.strftime("%B %Y")

    def email(self, local: str, domain: str) -> str:
        local = ".".join(part for part in _ascii(local).replace("-", " ").split() if part)
        address, n = f"{local}@{domain}", 1
        while address in self.emails:  # Faker repeats names: keep (tenant, e-mail) unique
            n += 1
            address = f"{local}{n}@{domain}"
        self.emails.add(address)
        return address

    def values(self, someone: _Someone, lang: str, **extra: Any) -> dict[str, Any]:
        p = someone.row
        history = p.work_history
        topic = someone.topic if self.rng.random() < 0.7 else self.rng.choice(TOPICS[someone.family])
        return {"first": p.first_name, "employer": p.employer, "city": p.location,
                "topic": topic[0 if lang == "nb" else 1], "event": self.rng.choice(EVENTS),
                "prev": history[-1]["employer"] if len(history) > 1 else p.employer,
                "interest": p.interests[0] if p.interests else "open source",
                "role": self.rng.choice(ROLES)[0], **extra}

    # --- the steps -----------------------------------------------------------------------------

    def batches(self) -> list[list[Any]]:
        self.add_recruiters()
        self.add_people()
        self.add_roles()
        self.add_touchpoints()
        self.add_references_and_referrals()
        self.crown_showcase()
        self.add_cadences()
        self.add_followups()
        touches = [t for s in self.people for t in s.touches]
        cadences = [s.cadence for s in self.people if s.cadence]
        messages, events = self.add_messages()
        return [self.recruiters, [s.row for s in self.people], self.roles,
                [*touches, *cadences, *self.shortlist, *self.references], [*self.referrals, *self.followups],
                messages, events]

    def add_messages(self) -> tuple[list[Message], list[MessageEvent]]:
        """Two messages for the demo recruiter's day: a colleague's important one waiting for her to read it,
        and her own draft to the showcase person, so /messages and the four-eyes review show something."""
        ane, jonas = self.recruiters[0], self.recruiters[2]
        solveig = self.people[0].row
        other = next(s.row for s in self.people[1:] if s.origin == "no" and not s.row.do_not_contact)
        at = self.now - timedelta(hours=3)
        waiting = Message(id=uuid7(), tenant_id=self.tenant_id, template="keep_in_touch", language="nb",
                          person_id=other.id, author_id=jonas.id, reviewer_id=ane.id, important=True,
                          needs_review=True, status="in_review", subject="Lenge siden sist",
                          reason="Vi skal styrke dataplattformteamet neste år, og du nevnte at du vil jobbe "
                                 "tettere med produkt.",
                          body=f"Hei {other.first_name},\n\nDet er en stund siden vi snakket sammen. Vi har et "
                               "veldig spennende miljø og konkurransedyktig lønn, og jeg tror du vil trives!!\n\n"
                               "Har du tid til en kort prat de nærmeste ukene?\n\nHilsen Jonas Bråthen",
                          created_at=at, updated_at=at + timedelta(minutes=20))
        draft = Message(id=uuid7(), tenant_id=self.tenant_id, template="keep_in_touch", language="nb",
                        person_id=solveig.id, author_id=ane.id, status="draft", subject="Lenge siden sist",
                        body=f"Hei {solveig.first_name},\n\nDet er en stund siden vi snakket sammen på "
                             "fagkvelden, og jeg ville høre hvordan det går med deg.\n\nHar du tid til en kort "
                             "prat de nærmeste ukene?\n\nHilsen Ane Løvås", created_at=at, updated_at=at)
        events = [MessageEvent(tenant_id=self.tenant_id, message_id=waiting.id, actor_id=jonas.id, kind="drafted",
                               created_at=at),
                  MessageEvent(tenant_id=self.tenant_id, message_id=waiting.id, actor_id=jonas.id,
                               kind="submitted", created_at=at + timedelta(minutes=20)),
                  MessageEvent(tenant_id=self.tenant_id, message_id=draft.id, actor_id=ane.id, kind="drafted",
                               created_at=at)]
        return [waiting, draft], events

    def add_recruiters(self) -> None:
        for email, name, zone, language, admin in RECRUITERS:
            self.recruiters.append(Recruiter(id=uuid7(), tenant_id=self.tenant_id, email=email, name=name,
                                             time_zone=zone, language=language, is_admin=admin,
                                             created_at=self.now - timedelta(days=HISTORY_DAYS + 30)))

    def add_people(self) -> None:
        for index in range(PEOPLE):
            self.people.append(self.make_person(index))
        self.showcase()

    def make_person(self, index: int) -> _Someone:
        rng = self.rng
        origin = self.weighted({"no": 60, "gb": 25, "us": 15})
        faker = self.fakers[origin]
        first, last = faker.first_name(), faker.last_name()
        if origin == "no":
            pool = self.weighted({NO_EMPLOYERS: 88, UK_EMPLOYERS: 6, SE_EMPLOYERS: 6})
        else:
            pool = self.weighted({UK_EMPLOYERS: 62, NO_EMPLOYERS: 28, SE_EMPLOYERS: 10})
        employer, domain, cities = rng.choice(pool)
        city = rng.choice(cities)
        family = self.weighted(FAMILIES)
        status = self.weighted({PipelineStatus.PASSIVE: 83, PipelineStatus.IN_PROCESS: 10, PipelineStatus.HIRED: 7})
        owner_weights = (20, 50, 15, 15) if origin != "no" else (40, 8, 27, 25)
        owner = rng.choices(self.recruiters, owner_weights)[0]

        first_at = self.ago(8, HISTORY_DAYS - 2)
        if status == PipelineStatus.IN_PROCESS:
            last_at = self.ago(0.2, 12)
        else:
            band = self.weighted({(0.2, 45): 60, (45, 150): 24, (150, 420): 16})  # recent, cooling, losing touch
            last_at = self.ago(*band)
        if last_at <= first_at + timedelta(days=2):
            last_at = self.snap(first_at + timedelta(days=rng.uniform(3, 40)))

        source = self.weighted(dict(DATA_SOURCES))
        basis = LawfulBasis.CONSENT if rng.random() < 0.3 else LawfulBasis.LEGITIMATE_INTEREST
        collected_at = (first_at - timedelta(days=rng.uniform(0, 20))).replace(microsecond=0)
        notice = collected_at + timedelta(days=rng.uniform(1, 25))
        if notice > self.now or rng.random() < 0.07:
            notice = None  # art. 14 notice still due: the privacy reminders have something to show
        expires = self.ahead(5, 600) if basis == LawfulBasis.CONSENT else None

        emails: list[str] = []
        if rng.random() < 0.88:
            emails.append(self.email(f"{first} {last}", f"{domain}.example"))
            if rng.random() < 0.2:
                emails.append(self.email(f"{first}{last}", rng.choice(("example.com", "example.net"))))
        linkedin = None
        if rng.random() < 0.75:
            slug = "-".join(_ascii(f"{first} {last}").split())
            linkedin = f"https://www.linkedin.com/in/{slug}-{rng.getrandbits(24):06x}"
        phones = [self.phone(origin, city)] if rng.random() < 0.6 else []
        languages = ["nb", "en"] if origin == "no" else ["en"]
        if city == "Stockholm" and "sv" not in languages:
            languages.append("sv")
        if origin != "no" and pool is NO_EMPLOYERS and rng.random() < 0.5:
            languages.append("nb")
        if rng.random() < 0.2:
            languages.append(rng.choice(("de", "fr", "es", "pl")))
        tags = rng.sample(FAMILY_TAGS[family], min(2, len(FAMILY_TAGS[family])))
        if rng.random() < 0.35:
            tags.append(rng.choice(GENERAL_TAGS))

        title = self.title(family, pool)
        person = Person(
            id=uuid7(), tenant_id=self.tenant_id, first_name=first, last_name=last, linkedin_url=linkedin,
            employer=employer, title=title, location=city, phones=phones, languages=languages,
            interests=rng.sample(INTERESTS["no" if origin == "no" else "en"], rng.randint(1, 4)),
            work_history=self.work_history(employer, title, family, pool), tags=tags, status=status, owner_id=owner.id,
            lawful_basis=basis, data_source=source, collected_at=collected_at, art14_notice_sent_at=notice,
            consent_expires_at=expires, do_not_contact=index in DO_NOT_CONTACT, created_at=collected_at,
            updated_at=last_at,
            emails=[PersonEmail(tenant_id=self.tenant_id, email=e, position=i) for i, e in enumerate(emails)])
        return _Someone(person, origin, family, rng.choice(TOPICS[family]), first_at, last_at)

    def showcase(self) -> None:
        """The person /demo/sidebar opens (the one with most touchpoints): make them worth looking at."""
        someone = self.people[0]
        p = someone.row
        self.emails.difference_update(p.email_addresses)
        someone.origin, someone.family, someone.topic = "no", "data", TOPICS["data"][1]
        p.first_name, p.last_name = "Solveig", "Ødegård"
        p.employer, p.title, p.location = "Equinor", "Senior Data Engineer", "Stavanger"
        p.status, p.owner_id, p.do_not_contact = PipelineStatus.PASSIVE, self.recruiters[0].id, False
        p.languages, p.interests = ["nb", "en", "de"], ["langrenn", "fjellturer", "Python"]
        p.tags = ["data", "python", "speaker"]
        p.work_history = [
            {"employer": "Equinor", "title": "Senior Data Engineer", "start": "2021-09-01"},
            {"employer": "Aker BP", "title": "Data Engineer", "start": "2018-08-01", "end": "2021-08-31"},
            {"employer": "Cognite", "title": "Software Engineer", "start": "2016-01-15", "end": "2018-07-31"},
        ]
        p.linkedin_url = "https://www.linkedin.com/in/solveig-odegard-5e1a2b"
        p.phones = ["+47 918 44 203"]
        p.data_source, p.lawful_basis = "met at event", LawfulBasis.CONSENT
        someone.first_at = self.ago(HISTORY_DAYS - 6, HISTORY_DAYS - 4)
        someone.last_at = self.ago(5, 9)
        p.collected_at = p.created_at = someone.first_at - timedelta(days=1)
        p.art14_notice_sent_at = p.collected_at + timedelta(days=3)
        p.consent_expires_at = self.ahead(190, 200)
        p.emails = [PersonEmail(tenant_id=self.tenant_id, email=self.email("solveig odegard", "equinor.example"),
                                position=0)]

    def phone(self, origin: str, city: str) -> str:
        digits = [self.rng.randint(0, 9) for _ in range(8)]
        if city == "London" or (origin != "no" and city not in ("Stockholm",) and self.rng.random() < 0.5):
            return "+44 7{}{}{} {}{}{}{}{}{}".format(*digits, self.rng.randint(0, 9))
        if city == "Stockholm":
            return "+46 7{} {}{}{} {}{} {}{}".format(*digits[:8])
        return "+47 {}{}{} {}{} {}{}{}".format(self.rng.choice((4, 9)), *digits[:7])

    def work_history(self, employer: str, title: str, family: str,
                     pool: Sequence[tuple[str, str, tuple[str, ...]]]) -> list[dict[str, str]]:
        """The current job and up to two before it, newest first, in the API's {employer, title, start, end}."""
        start = (self.now - timedelta(days=self.rng.uniform(200, 2800))).date().replace(day=1)
        items = [{"employer": employer, "title": title, "start": start.isoformat()}]
        for _ in range(self.rng.choice((0, 1, 1, 2))):
            end = start - timedelta(days=1)
            start = (end - timedelta(days=self.rng.uniform(400, 1800))).replace(day=1)
            previous = self.rng.choice([e for e in pool if e[0] != employer])[0]
            items.append({"employer": previous, "title": self.title(family, pool),
                          "start": start.isoformat(), "end": end.isoformat()})
        return items

    def add_roles(self) -> None:
        rng = self.rng
        for title, family, status, city, description, keywords, opening in ROLES:
            created_at = self.ago(20 if opening is None or opening > 0 else -opening + 20, 260)
            role = Role(id=uuid7(), tenant_id=self.tenant_id, title=title, description=description, status=status,
                        expected_opening_on=(self.now + timedelta(days=opening)).date() if opening else None,
                        location=city, keywords=keywords, owner_id=rng.choice(self.recruiters[:3]).id,
                        created_at=created_at, updated_at=created_at)
            self.roles.append(role)
            self.role_family[role.id] = family
            fits = [s for s in self.people[1:] if s.family == family and not s.row.do_not_contact]
            if status == RoleStatus.FILLED:
                fits = [s for s in fits if s.row.status != PipelineStatus.HIRED]
            chosen = rng.sample(fits, min(len(fits), rng.randint(2 if status == RoleStatus.FILLED else 3, 6)))
            if title == ROLES[0][0]:
                chosen = [self.people[0], *chosen[:4]]
            for someone in chosen:
                lang = "nb" if someone.origin == "no" else "en"
                note = self.text(rng.choice(SHORTLIST_NOTES), lang, **self.values(someone, lang))
                added = max(created_at, someone.first_at) + timedelta(days=rng.uniform(1, 15))
                self.shortlist.append(ShortlistEntry(tenant_id=self.tenant_id, role_id=role.id,
                                                     person_id=someone.row.id, note=note,
                                                     added_at=min(added, self.now - timedelta(hours=1))))

    def add_touchpoints(self) -> None:
        rng = self.rng
        for someone in self.people:
            count = 8 if someone is self.people[0] else rng.choice((3, 3, 4, 4, 5, 5, 6, 6, 7, 8, 9, 10))
            span = (someone.last_at - someone.first_at).total_seconds()
            moments = sorted(self.snap(someone.first_at + timedelta(seconds=rng.uniform(0, span)))
                             for _ in range(count - 2))
            moments = [someone.first_at, *moments, someone.last_at]
            for position, moment in enumerate(moments):
                kind = FIRST_KIND[someone.row.data_source] if position == 0 else self.weighted(KIND_WEIGHTS)
                if position == count - 1 and someone.row.status != PipelineStatus.PASSIVE:
                    kind = TouchpointKind.INTERVIEW
                self.touch(someone, kind, moment)

    def touch(self, someone: _Someone, kind: TouchpointKind, at: datetime, summary: str | None = None) -> Touchpoint:
        rng = self.rng
        owner = someone.row.owner_id
        recruiter_id = owner if rng.random() < 0.8 else rng.choice(self.recruiters).id
        if summary is None:
            lang = self.lang(someone, recruiter_id)
            summary = self.text(rng.choice(list(zip(*SUMMARIES[kind], strict=True))), lang,
                                **self.values(someone, lang))
        origin, external_id = Origin.SIDEBAR, None
        if kind == TouchpointKind.INTERVIEW and rng.random() < 0.6:
            self.external += 1
            origin, external_id = Origin.SYNC, f"greenhouse:interview:{7100000 + self.external}"
        elif rng.random() < 0.2:
            origin = Origin.API
        row = Touchpoint(id=uuid7(), tenant_id=self.tenant_id, person_id=someone.row.id, recruiter_id=recruiter_id,
                         kind=kind, occurred_at=at, summary=summary, origin=origin, external_id=external_id,
                         created_at=min(at + timedelta(minutes=rng.randint(2, 90)), self.now))
        someone.touches.append(row)
        return row

    def add_references_and_referrals(self) -> None:
        """About 60 referrals from ~20 references; three "active top references" give most unprompted ones."""
        rng = self.rng
        people = self.people
        hired = [s for s in people[1:] if s.row.status == PipelineStatus.HIRED][:3]
        taken = {id(s) for s in hired} | {id(people[0])}
        leaders = [s for s in people[1:] if s.family == "leadership" and s.row.status == PipelineStatus.PASSIVE
                   and id(s) not in taken]
        client_person = leaders[0]
        taken.add(id(client_person))
        candidates = rng.sample([s for s in people[1:] if id(s) not in taken and not s.row.do_not_contact
                                 and s.row.status != PipelineStatus.HIRED], 6)

        def ref(kind: ReferenceKind, *, someone: _Someone | None = None, recruiter: Recruiter | None = None,
                name: str | None = None, email: str | None = None, note: str = "") -> Reference:
            row = Reference(id=uuid7(), tenant_id=self.tenant_id, kind=kind,
                            person_id=someone.row.id if someone else None,
                            recruiter_id=recruiter.id if recruiter else None, name=name, email=email, note=note)
            self.references.append(row)
            return row

        no, gb = self.fakers["no"], self.fakers["gb"]
        quiet_name = f"{no.first_name()} {no.last_name()}"
        top = [
            (ref(ReferenceKind.CANDIDATE, someone=people[0], note="Tipser oss jevnlig uten å bli spurt."), 9, None),
            (ref(ReferenceKind.OUTSIDER, name=quiet_name, note="Leder et datameetup i Bergen; ingen e-post, "
                 "treffes på meetups."), 8, (200, HISTORY_DAYS)),
            (ref(ReferenceKind.CLIENT, someone=client_person, note="Leder hos kunde; anbefaler oss til andre "
                 "ledere."), 7, (0, 120)),
        ]
        others = [ref(ReferenceKind.EMPLOYEE, recruiter=r, note="Rekrutterer; logger tips fra eget nettverk.")
                  for r in self.recruiters[2:]]
        others += [ref(ReferenceKind.EMPLOYEE, someone=s, note="Ansatt via oss; tipser tidligere kolleger.")
                   for s in hired]
        others += [ref(ReferenceKind.CANDIDATE, someone=s, note="Tidligere kandidat; kjenner mange i faget."
                       if s.origin == "no" else "Former candidate; knows many people in the field.")
                   for s in candidates]
        for label in ("Aker BP", "Schibsted"):
            name = f"{no.first_name()} {no.last_name()}"
            domain = next(d for e, d, _ in NO_EMPLOYERS if e == label)
            others.append(ref(ReferenceKind.CLIENT, name=name, email=self.email(name, f"{domain}.example"),
                              note=f"HR-direktør i {label}."))
        for note in ("Former colleague of Emily's from Monzo.", "Mentor in a tech mentoring network in London.",
                     "Tidligere kandidat som nå driver eget konsulentselskap."):
            faker = gb if "London" in note or "Monzo" in note else no
            name = f"{faker.first_name()} {faker.last_name()}"
            others.append(ref(ReferenceKind.OUTSIDER, name=name, email=self.email(name, "example.org"), note=note))
        others.append(ref(ReferenceKind.OUTSIDER, name=f"{no.first_name()} {no.last_name()}",
                          note="Førsteamanuensis ved NTNU; tipser om flinke masterstudenter."))

        # The showcase was vouched for by the quiet outsider, so the sidebar shows a "referred by" line too.
        self.refer(top[1][0], None, True, target=people[0])
        plan: list[tuple[Reference, tuple[int, int] | None, bool]] = [
            (reference, window, True) for reference, count, window in top for _ in range(count)]
        plan.remove((top[1][0], top[1][2], True))
        extra = REFERRALS - len(self.referrals) - len(plan) - len(others)
        counts = [1] * len(others)
        while extra > 0:
            i = rng.randrange(len(others))
            if counts[i] < 4:
                counts[i] += 1
                extra -= 1
        plan += [(reference, None, False) for reference, n in zip(others, counts, strict=True) for _ in range(n)]
        for reference, window, is_top in plan:
            self.refer(reference, window, is_top)

    def refer(self, reference: Reference, window: tuple[int, int] | None, is_top: bool,
              target: _Someone | None = None) -> None:
        """One referral of someone who fits the reference's active period; never of themselves, never twice."""
        rng = self.rng
        referred = {r.person_id for r in self.referrals}
        mine = {r.person_id for r in self.referrals if r.reference_id == reference.id}

        def fits(s: _Someone, fresh: bool) -> bool:
            if s.row.id == reference.person_id or s.row.id in mine:
                return False
            if fresh and s.row.id in referred:
                return False
            age = (self.now - s.first_at).days
            return window is None or window[0] <= age <= window[1]

        pool = ([s for s in self.people if fits(s, True) and s.row.data_source == "referral"]
                or [s for s in self.people if fits(s, True)] or [s for s in self.people if fits(s, False)])
        someone = target or rng.choice(pool)
        if target is not None:  # vouched for soon after we met: keeps a quiet reference quiet
            at = someone.first_at + timedelta(days=rng.uniform(10, 60))
        elif someone.row.data_source == "referral":
            at = someone.first_at - timedelta(days=rng.uniform(1, 10))
        else:
            at = someone.first_at + (someone.last_at - someone.first_at) * rng.random()
        referrer = next((s for s in self.people if s.row.id == reference.person_id), None)
        if referrer is not None and at < referrer.first_at + timedelta(days=3):
            at = referrer.first_at + timedelta(days=rng.uniform(3, 60))  # people refer once they know us
        at = self.snap(max(at, self.now - timedelta(days=HISTORY_DAYS - 1)))
        prompted = rng.random() < (0.12 if is_top else 0.5)
        status = self.referral_status(someone, at)
        open_roles = [r for r in self.roles if r.status in (RoleStatus.ANTICIPATED, RoleStatus.CONFIDENTIAL,
                                                            RoleStatus.ADVERTISED)]
        role = None
        if rng.random() < (0.7 if prompted else 0.2):
            matching = [r for r in open_roles if self.role_family[r.id] == someone.family]
            role = rng.choice(matching or open_roles)
        job_ref = None
        if role is not None and role.status == RoleStatus.ADVERTISED and rng.random() < 0.7:
            job_ref = f"greenhouse:job:{4400000 + self.roles.index(role)}"
        elif role is None and rng.random() < 0.15:
            job_ref = f"teamtailor:job:{rng.randint(180000, 189999)}"
        channels = ({ReferralChannel.WORD_OF_MOUTH: 35, ReferralChannel.LINKEDIN: 25, ReferralChannel.EVENT: 25,
                     ReferralChannel.EMAIL: 10, ReferralChannel.PHONE: 5} if is_top else
                    {ReferralChannel.LINKEDIN: 25, ReferralChannel.EMAIL: 25, ReferralChannel.PHONE: 15,
                     ReferralChannel.WORD_OF_MOUTH: 15, ReferralChannel.EVENT: 10, ReferralChannel.OTHER: 10})
        origin = self.weighted({Origin.SIDEBAR: 50, Origin.API: 25, Origin.SYNC: 15, Origin.IMPORT: 10})
        external_id = None
        if origin == Origin.SYNC:
            self.external += 1
            external_id = f"greenhouse:referral:{5200000 + self.external}"
        lang = "nb" if someone.origin == "no" else "en"
        what = role.title if role else ("et team som bygges opp" if lang == "nb" else "a team being built")
        note = self.text(rng.choice(REFERRAL_NOTES[prompted]), lang, person=someone.row.full_name, what=what,
                         event=rng.choice(EVENTS))
        changed = self.snap(at + timedelta(days=rng.uniform(1, 30))) if status != ReferralStatus.RECEIVED else at
        self.referrals.append(Referral(
            id=uuid7(), tenant_id=self.tenant_id, reference_id=reference.id, person_id=someone.row.id,
            role_id=role.id if role else None, job_ref=job_ref, channel=self.weighted(channels), prompted=prompted,
            status=status, note=note, referred_at=at, status_changed_at=changed, origin=origin,
            external_id=external_id, created_at=at, updated_at=changed))
        if reference.created_at is None or at < reference.created_at:
            reference.created_at = reference.updated_at = at
        if referrer is not None:  # the referrer's own timeline shows the tip, as the sidebar would log it
            rlang = "nb" if referrer.origin == "no" else "en"
            kind = TouchpointKind.MESSAGE if prompted else TouchpointKind.POSITIVE_MENTION
            summary = (("Svarte på forespørselen vår og foreslo {person}.", "Answered our request and suggested "
                        "{person}.") if prompted else ("Tipset oss uoppfordret om {person} ({title}, {employer}).",
                                                       "Told us about {person} ({title}, {employer}) unasked."))
            self.touch(referrer, kind, at, self.text(summary, rlang, person=someone.row.full_name,
                                                     title=someone.row.title, employer=someone.row.employer))

    def referral_status(self, someone: _Someone, at: datetime) -> ReferralStatus:
        if someone.row.status == PipelineStatus.HIRED:
            return ReferralStatus.HIRED
        if someone.row.status == PipelineStatus.IN_PROCESS:
            return ReferralStatus.IN_PROCESS
        age = (self.now - at).days
        if age < 14:
            return ReferralStatus.RECEIVED
        if age < 45:
            return self.weighted({ReferralStatus.CONTACTED: 70, ReferralStatus.RECEIVED: 30})
        return self.weighted({ReferralStatus.CONTACTED: 30, ReferralStatus.NOT_HIRED: 35, ReferralStatus.PARKED: 35})

    def crown_showcase(self) -> None:
        """Keep the showcase the person with most touchpoints, the one /demo/sidebar opens."""
        showcase = self.people[0]
        most = max(len(s.touches) for s in self.people[1:])
        while len(showcase.touches) <= most:
            at = self.snap(showcase.first_at + (showcase.last_at - showcase.first_at) * self.rng.random())
            self.touch(showcase, self.weighted(KIND_WEIGHTS), at)
        for someone in self.people:  # referral tips may fall outside the span drawn for the person
            p = someone.row
            someone.touches.sort(key=lambda t: t.occurred_at)
            someone.first_at, someone.last_at = someone.touches[0].occurred_at, someone.touches[-1].occurred_at
            p.updated_at = max(p.updated_at, someone.last_at)
            if p.collected_at > someone.first_at:
                p.collected_at = p.created_at = someone.first_at - timedelta(days=1)

    def add_cadences(self) -> None:
        shortlisted = {e.person_id for e in self.shortlist}
        top = {r.person_id for r in self.references[:3]}
        for someone in self.people:
            p = someone.row
            if p.do_not_contact or p.status == PipelineStatus.HIRED:
                continue
            core = p.id in top or p.status == PipelineStatus.IN_PROCESS
            if core or (p.id in shortlisted and self.rng.random() < 0.5):
                tier, ideal, maximum = "core", 30, 60
            elif self.rng.random() < 0.65:
                tier, ideal, maximum = "standard", 90, 180
            else:
                tier, ideal, maximum = "long_term", 180, 365
            someone.cadence = Cadence(id=uuid7(), tenant_id=self.tenant_id, person_id=p.id, tier=tier,
                                      ideal_days=ideal, max_days=maximum, last_touch_at=someone.last_at,
                                      created_at=p.collected_at, updated_at=someone.last_at)

    def follow_up(self, someone: _Someone, kind: str, due_at: datetime, *, status: FollowUpStatus = FollowUpStatus.OPEN,
                  role: Role | None = None, owner_id: uuid.UUID | None = None, done: Touchpoint | None = None,
                  note: str = "", snoozed_until: datetime | None = None, template: str | None = None,
                  **values: Any) -> FollowUp:
        """One follow-up; `template` picks the reason's wording when it differs from `kind`."""
        owner_id = owner_id or someone.row.owner_id
        lang = self.lang(someone, owner_id)
        reason = self.text(REASONS[template or kind], lang, **self.values(someone, lang, **values))
        created_at = min(due_at, self.now) - timedelta(days=self.rng.uniform(1, 30))
        row = FollowUp(id=uuid7(), tenant_id=self.tenant_id, person_id=someone.row.id, owner_id=owner_id,
                       role_id=role.id if role else None, reason=reason, kind=kind, due_at=due_at, status=status,
                       snoozed_until=snoozed_until, note=note, completed_at=done.occurred_at if done else None,
                       touchpoint_id=done.id if done else None, created_at=created_at,
                       updated_at=done.occurred_at if done else created_at)
        self.followups.append(row)
        return row

    def add_followups(self) -> None:
        """Every status and queue state: done ones behind logged touches, then today's queue and beyond."""
        rng = self.rng
        for someone in self.people:
            if someone.cadence is None:
                continue
            for previous, touch in zip(someone.touches, someone.touches[1:], strict=False):
                if touch.kind not in (TouchpointKind.MESSAGE, TouchpointKind.CALL, TouchpointKind.MEETING) \
                        or rng.random() > 0.2:
                    continue
                thank = previous.kind in (TouchpointKind.MEETING, TouchpointKind.EVENT, TouchpointKind.INTERVIEW) \
                    and touch.occurred_at - previous.occurred_at < timedelta(days=10)
                due = self.snap(max(previous.occurred_at + timedelta(hours=20),
                                    touch.occurred_at - timedelta(days=rng.uniform(0, 4))))
                lang = self.lang(someone, touch.recruiter_id)
                kind = "connect_and_thank" if thank else "cadence"
                self.follow_up(someone, kind, min(due, touch.occurred_at), status=FollowUpStatus.DONE,
                               owner_id=touch.recruiter_id, done=touch, template=self.cadence_wording(kind, previous),
                               since=self.month(previous.occurred_at.date(), lang))

        showcase = self.people[0]
        today = self.now.astimezone(OSLO).replace(hour=9, minute=30, second=0, microsecond=0).astimezone(UTC)
        self.role_follow_up(showcase, self.roles[0], today)
        pool = [s for s in self.people[1:] if s.cadence is not None]
        rng.shuffle(pool)
        for state, size in (("today", 5), ("overdue", 14), ("upcoming", 28), ("snoozed", 8), ("cancelled", 7)):
            # Each state starts with one of the sidebar recruiter's people, so their own queue shows them all.
            lead = next(s for s in pool if s.row.owner_id == self.recruiters[0].id)
            pool.remove(lead)
            chunk, pool = [lead, *pool[:size - 1]], pool[size - 1:]
            for someone in chunk:
                self.queue_follow_up(someone, state, today)

        roles = {r.id: r for r in self.roles}
        people = {s.row.id: s for s in self.people}
        for entry in self.shortlist:
            role, someone = roles[entry.role_id], people[entry.person_id]
            if someone is showcase:
                continue
            if role.status in (RoleStatus.ANTICIPATED, RoleStatus.CONFIDENTIAL):
                due = datetime.combine(role.expected_opening_on, today.timetz()) - timedelta(days=rng.randint(10, 45))
                self.role_follow_up(someone, role, max(due, self.ahead(1, 4)) if rng.random() < 0.85
                                    else self.ago(1, 6))
            elif role.status == RoleStatus.DROPPED:
                lang = self.lang(someone, someone.row.owner_id)
                self.role_follow_up(someone, role, self.ahead(5, 30), status=FollowUpStatus.CANCELLED,
                                    note="Avlyst: rollen ble droppet." if lang == "nb" else
                                    "Cancelled: the role was dropped.")

        references = {r.id: r for r in self.references}
        for referral in self.referrals:  # referrers who never hear back stop referring
            referrer = people.get(references[referral.reference_id].person_id)  # type: ignore[arg-type]
            pending = referral.status in (ReferralStatus.CONTACTED, ReferralStatus.IN_PROCESS)
            # The showcase's next follow-up stays the role heads-up that the sidebar demo is about.
            if referrer is None or referrer is showcase or not pending or rng.random() > 0.5:
                continue
            due = self.ahead(1, 14) if rng.random() < 0.6 else self.ago(1, 10)
            self.follow_up(referrer, "referral_update", due, person=people[referral.person_id].row.full_name)

        for someone in self.people:
            if someone.row.do_not_contact:
                lang = "nb" if someone.origin == "no" else "en"
                self.follow_up(someone, "manual", self.ago(20, 60), status=FollowUpStatus.CANCELLED,
                               note=self.text(CANCEL_NOTES[2], lang))

    def cadence_wording(self, kind: str, last: Touchpoint) -> str:
        """"Not spoken since November" reads wrong in November: recent contact gets a check-in instead."""
        if kind == "cadence" and self.now - last.occurred_at < timedelta(days=45):
            return "check_in"
        return kind

    def role_follow_up(self, someone: _Someone, role: Role, due: datetime, **kwargs: Any) -> None:
        lang = self.lang(someone, someone.row.owner_id)
        opening = role.expected_opening_on
        self.follow_up(someone, "role", due, role=role, template="role" if opening else "role_now",
                       role_title=role.title, city=role.location,
                       month=self.month(opening, lang) if opening else "", **kwargs)

    def queue_follow_up(self, someone: _Someone, state: str, today: datetime) -> None:
        """One follow-up in the given queue state: today, overdue, upcoming, snoozed or cancelled."""
        rng = self.rng
        lang = self.lang(someone, someone.row.owner_id)
        kind = "manual" if rng.random() < 0.25 else "cadence"
        common: dict[str, Any] = {"template": self.cadence_wording(kind, someone.touches[-1]),
                                  "since": self.month(someone.last_at.date(), lang)}
        if state == "today":
            self.follow_up(someone, kind, today + timedelta(hours=rng.choice((0, 1.5, 4, 6))), **common)
        elif state == "overdue":
            self.follow_up(someone, kind, self.ago(1, 40), **common)
        elif state == "upcoming":
            self.follow_up(someone, kind, self.ahead(1, 90), **common)
        elif state == "snoozed":
            note = self.text(rng.choice(SNOOZE_NOTES), lang, **self.values(someone, lang))
            self.follow_up(someone, kind, self.ago(2, 25), status=FollowUpStatus.SNOOZED,
                           snoozed_until=self.ahead(3, 40), note=note, **common)
        else:
            note = self.text(rng.choice(CANCEL_NOTES), lang, **self.values(someone, lang))
            due = self.ago(1, 30) if rng.random() < 0.5 else self.ahead(3, 40)
            self.follow_up(someone, kind, due, status=FollowUpStatus.CANCELLED, note=note, **common)
