"""A deterministic population of candidates and applications that every vendor simulator renders in
its own API's shape: the same seed gives the same people, so tests can compare a sync with the truth."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

FIRST = ("Åse", "Øystein", "Ingrid", "Lars", "Solveig", "Håkon", "Kari", "Bjørn", "Mari", "Jørgen", "Sigrid",
         "Ola", "Ragnhild", "Tor", "Emily", "James", "Sofia", "Oliver", "Amira", "Noah", "Hanna", "Erik")
LAST = ("Øvrebø", "Bråten", "Hansen", "Løvås", "Ødegård", "Nordmann", "Sæther", "Johansen", "Smith", "Clarke",
        "Berg", "Haugen", "Dahl", "Khan", "Lie", "Aas", "Strøm", "Moe", "Evans", "Nilsen")
EMPLOYERS = ("Equinor", "DNB", "Telenor", "Kahoot!", "Vipps", "Schibsted", "Aker BP", "Cognite", "Oda",
             "Spotify", "Monzo", "Sopra Steria")
TITLES = ("Backend Developer", "Data Engineer", "Product Manager", "Designer", "Engineering Manager",
          "Data Scientist", "Platform Engineer", "Frontend Developer")
JOBS = ("Senior Backend Developer", "Data Platform Lead", "Product Designer", "Engineering Manager, Payments")
STAGES = (("Application Review", "applied"), ("Phone Screen", "screen"), ("Technical Interview", "interview"),
          ("Onsite Interview", "interview"), ("Offer", "offer"))
SOURCES = (("Referral", "referral"), ("LinkedIn (Prospecting)", "sourced"), ("Company website", "applied"),
           ("Agency: Hays", "agency"), ("JavaZone booth", "event"))
OUTSIDERS = ("Per Tipser", "Nina Nettverk", "Jonas Kontakt")
REJECTIONS = ("Hired someone else", "Not enough experience", "Withdrew", "Timing")


@dataclass
class SimUser:
    id: int
    name: str
    email: str


@dataclass
class SimStage:
    id: int
    name: str
    kind: str  # applied, screen, interview, offer
    reached_at: datetime


@dataclass
class SimReferrer:
    name: str
    email: str | None
    user_id: int | None  # set when the referrer is an employee with an ATS user


@dataclass
class SimApplication:
    id: int
    candidate_id: int
    job_id: int
    job_name: str
    status: str  # active, rejected, hired
    stages: list[SimStage]
    source_name: str
    source_kind: str
    referrer: SimReferrer | None
    applied_at: datetime
    closed_at: datetime | None
    rejection_reason: str | None
    updated_at: datetime

    @property
    def met(self) -> bool:
        return any(s.kind in ("screen", "interview", "offer") for s in self.stages)


@dataclass
class SimCandidate:
    id: int
    first_name: str
    last_name: str
    emails: list[str]
    phones: list[str]
    employer: str
    title: str
    linkedin_url: str | None
    tags: list[str]
    updated_at: datetime
    applications: list[SimApplication] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)
    deleted: bool = False

    @property
    def met_not_hired(self) -> bool:
        return any(a.status == "rejected" and a.met for a in self.applications) and not any(
            a.status == "hired" for a in self.applications)


@dataclass
class Dataset:
    candidates: list[SimCandidate]
    users: list[SimUser]
    now: datetime

    def candidate(self, candidate_id: int) -> SimCandidate | None:
        index = candidate_id - 1
        if 0 <= index < len(self.candidates) and not self.candidates[index].deleted:
            return self.candidates[index]
        return None

    def applications(self) -> list[SimApplication]:
        return [a for c in self.candidates if not c.deleted for a in c.applications]

    def touch(self, candidate_ids: list[int], at: datetime) -> None:
        """Change these candidates (and their applications) at `at`, as an edit in the ATS would."""
        for candidate_id in candidate_ids:
            candidate = self.candidates[candidate_id - 1]
            candidate.updated_at = at
            candidate.title = f"{candidate.title} (updated)" if "(updated)" not in candidate.title else candidate.title
            for application in candidate.applications:
                application.updated_at = at

    def reject(self, candidate_id: int, at: datetime, reason: str = "Hired someone else") -> SimApplication:
        """Reject the candidate's first open application after an interview (so: met, not hired)."""
        candidate = self.candidates[candidate_id - 1]
        application = next(a for a in candidate.applications if a.status == "active")
        if not application.met:
            application.stages.append(SimStage(application.id * 10 + 9, "Technical Interview", "interview", at))
        application.status, application.closed_at, application.rejection_reason = "rejected", at, reason
        application.updated_at = candidate.updated_at = at
        return application

    def hire(self, candidate_id: int, at: datetime) -> SimApplication:
        candidate = self.candidates[candidate_id - 1]
        application = next(a for a in candidate.applications if a.status == "active")
        application.stages.append(SimStage(application.id * 10 + 8, "Offer", "offer", at))
        application.status, application.closed_at = "hired", at
        application.updated_at = candidate.updated_at = at
        return application


    def merge(self, merged_id: int, survivor_id: int, at: datetime) -> SimCandidate:
        """Merge a duplicate into the survivor, as a recruiter does in the ATS: the survivor takes the
        duplicate's applications, e-mails and tags; the duplicate is gone."""
        merged, survivor = self.candidates[merged_id - 1], self.candidates[survivor_id - 1]
        for application in merged.applications:
            application.candidate_id, application.updated_at = survivor.id, at
        survivor.applications += merged.applications
        survivor.emails += [e for e in merged.emails if e not in survivor.emails]
        survivor.tags += [t for t in merged.tags if t not in survivor.tags]
        merged.applications, merged.deleted, survivor.updated_at = [], True, at
        return survivor

    def remove_application(self, application_id: int) -> SimApplication:
        """Delete one application (a Lever opportunity); a candidate left with none is gone too."""
        candidate = next(c for c in self.candidates if any(a.id == application_id for a in c.applications))
        application = next(a for a in candidate.applications if a.id == application_id)
        candidate.applications.remove(application)
        candidate.deleted = candidate.deleted or not candidate.applications
        return application


def generate(n: int, seed: int = 7, now: datetime | None = None) -> Dataset:
    """`n` candidates with one or two applications each: about 40 % met and not hired, 10 % hired,
    30 % still active, the rest rejected straight from the application review; a fifth are referred
    (by employees with ATS users, or by named outsiders), others sourced, applied, via agency or event."""
    rng = random.Random(seed)
    now = (now or datetime(2026, 11, 1, tzinfo=UTC)).astimezone(UTC)
    users = [SimUser(i + 1, f"{FIRST[i]} {LAST[i]}", f"{FIRST[i].lower()}@company.example".replace("å", "a")
                     .replace("ø", "o")) for i in range(5)]
    candidates: list[SimCandidate] = []
    application_id = 0
    for i in range(1, n + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        slug = f"{_ascii(first)}.{_ascii(last)}.{i}"
        updated = now - timedelta(days=rng.randint(0, 720), minutes=rng.randint(0, 1440))
        candidate = SimCandidate(
            id=i, first_name=first, last_name=last,
            emails=[f"{slug}@mail.example"] if rng.random() < 0.9 else [],
            phones=[f"+47 9{rng.randint(1000000, 9999999)}"] if rng.random() < 0.6 else [],
            employer=rng.choice(EMPLOYERS), title=rng.choice(TITLES),
            linkedin_url=f"https://www.linkedin.com/in/{slug.replace('.', '-')}" if rng.random() < 0.7 else None,
            tags=rng.sample(["python", "kotlin", "data", "leadership", "design"], k=rng.randint(0, 2)),
            updated_at=updated)
        for _ in range(1 if rng.random() < 0.8 else 2):
            application_id += 1
            candidate.applications.append(_application(rng, application_id, candidate, users, updated))
        candidates.append(candidate)
    return Dataset(candidates, users, now)


def _application(rng: random.Random, app_id: int, candidate: SimCandidate, users: list[SimUser],
                 updated: datetime) -> SimApplication:
    roll = rng.random()
    status, depth = (("rejected", rng.randint(2, 4)) if roll < 0.4 else ("hired", 5) if roll < 0.5
                     else ("active", rng.randint(1, 4)) if roll < 0.8 else ("rejected", 1))
    applied = updated - timedelta(days=rng.randint(20, 90))
    stages = [SimStage(app_id * 10 + k, name, kind, applied + timedelta(days=7 * k))
              for k, (name, kind) in enumerate(STAGES[:depth])]
    source_name, source_kind = SOURCES[0] if rng.random() < 0.2 else rng.choice(SOURCES[1:])
    referrer = None
    if source_kind == "referral":
        if rng.random() < 0.6:
            user = rng.choice(users)
            referrer = SimReferrer(user.name, user.email, user.id)
        else:
            referrer = SimReferrer(rng.choice(OUTSIDERS), None, None)
    job = rng.randrange(len(JOBS))
    closed = stages[-1].reached_at + timedelta(days=3) if status != "active" else None
    return SimApplication(
        id=app_id, candidate_id=candidate.id, job_id=job + 1, job_name=JOBS[job], status=status, stages=stages,
        source_name=source_name, source_kind=source_kind, referrer=referrer, applied_at=applied, closed_at=closed,
        rejection_reason=rng.choice(REJECTIONS) if status == "rejected" else None, updated_at=updated)


def _ascii(text: str) -> str:
    return text.lower().replace("å", "a").replace("ø", "o").replace("æ", "ae")
