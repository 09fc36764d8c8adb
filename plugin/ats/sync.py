"""The sync engine: vendor-neutral records from a connector become people, applications, touchpoints
and referrals — idempotently, a page at a time.

Every page is upserted and committed on its own, so a long sync streams and a killed worker loses at
most one page of work. A stream's bookmark moves only after the whole stream is committed, and it
moves to the time the sync *started* (minus a look-back window), so records changed while the sync
ran are read again next time. Re-reading is harmless: every write is keyed on an ATS id.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from redis import Redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors.base import Connector, Record
from connectors.errors import ConnectorError, NotFound
from connectors.http import Policy
from connectors.types import Application, Candidate, Outcome, Referrer, StageKind
from plugin.ats import installations
from plugin.core.actors import Actor, audit
from plugin.errors import ConflictError, NotFoundError
from plugin.followups import cadences, rules
from plugin.models import (
    AtsApplication,
    Installation,
    Origin,
    Person,
    PersonEmail,
    PersonLink,
    PipelineStatus,
    Recruiter,
    Reference,
    ReferenceKind,
    Referral,
    ReferralChannel,
    ReferralStatus,
    SyncBookmark,
    SyncRun,
    Touchpoint,
    TouchpointKind,
    utcnow,
    uuid7,
)
from plugin.privacy import erasure, fingerprints, tasks
from plugin.security import Vault

log = logging.getLogger(__name__)
LOOKBACK = timedelta(minutes=5)  # covers clock skew between us and the vendor
SYNC_ACTOR = Actor("system", "sync", Origin.SYNC)

REFERRAL_STATUS = {Outcome.ACTIVE: ReferralStatus.IN_PROCESS, Outcome.HIRED: ReferralStatus.HIRED,
                   Outcome.NOT_HIRED: ReferralStatus.NOT_HIRED}
STAGE_TOUCHPOINT = {StageKind.SCREEN: TouchpointKind.CALL, StageKind.INTERVIEW: TouchpointKind.INTERVIEW,
                    StageKind.OFFER: TouchpointKind.MEETING}


class SyncFailed(Exception):
    """The connector gave up (after its own retries); the message says why, the bookmark did not move."""


@dataclass
class Counts:
    records: int = 0
    people_created: int = 0
    people_updated: int = 0
    applications: int = 0
    touchpoints: int = 0
    referrals: int = 0
    erased_skipped: int = 0  # candidates who are erased people here: never re-imported

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class Step:
    """Where a sync stands after a committed page, for a progress display."""

    stream: str
    candidates: int  # candidates read so far in this stream
    total: int | None  # the candidates the vendor says the stream holds; None when it does not say
    counts: Counts  # the whole sync so far


def run(session: Session, vault: Vault, installation_id: uuid.UUID, *, full: bool = False,
        connector: Connector | None = None, progress: Callable[[Step], None] | None = None,
        policy: Policy | None = None, cache: Redis | None = None) -> Counts:
    """Sync every stream of one installation: everything with `full`, else what changed since each bookmark.
    `cache` keeps the vendor's reference lists and sync tokens (Ashby) between syncs."""
    installation = session.get(Installation, installation_id)
    if installation is None or not installation.active:
        raise SyncFailed(f"no active installation {installation_id}")
    connector = connector or installations.connector(vault, installation, policy, cache=cache)
    started = utcnow()
    sync_run = SyncRun(tenant_id=installation.tenant_id, installation_id=installation.id, full=full,
                       started_at=started)
    session.add(sync_run)
    session.commit()
    counts = Counts()
    upserter = Upserter(session, installation, connector)
    try:
        _record_reach(session, installation, connector)
        for stream in connector.streams:
            since = None if full else _bookmark(session, installation, stream)
            candidates = 0
            for page in connector.read(stream, since):
                page_counts = upserter.apply(page)
                counts.add(page_counts)
                sync_run.records, sync_run.counts = counts.records, counts.as_dict()
                session.commit()
                candidates += sum(isinstance(record, Candidate) for record in page)
                if progress:
                    progress(Step(stream, candidates, connector.total(stream), Counts(**counts.as_dict())))
            _set_bookmark(session, installation, stream, started - LOOKBACK)
            session.commit()
    except ConnectorError as exc:
        session.rollback()
        _finish(session, sync_run, "failed", counts, str(exc))
        raise SyncFailed(str(exc)) from exc
    _finish(session, sync_run, "ok", counts, None)
    return counts


def _record_reach(session: Session, installation: Installation, connector: Connector) -> None:
    """Which ATS a unified API (Kombo) reaches for this installation, asked once and kept in its settings."""
    if "reaches" in installation.settings:
        return
    tool = connector.reaches()
    if tool:
        installation.settings = {**installation.settings, "reaches": tool}
        session.commit()


def linked_person(session: Session, installation: Installation, candidate_id: str) -> uuid.UUID | None:
    """The person an ATS candidate is linked to, if Brobygger tracks them."""
    return session.scalar(select(PersonLink.person_id).where(PersonLink.installation_id == installation.id,
                                                             PersonLink.ats_id == str(candidate_id)))


def ensure_tracked(session: Session, vault: Vault, installation: Installation, candidate_id: str) -> uuid.UUID:
    """The person of an ATS candidate, pulled from the ATS first when Brobygger does not track them yet
    (the sidebar's "start tracking", a Teamtailor card's buttons); 404 when the ATS has no such candidate."""
    person_id = linked_person(session, installation, candidate_id)
    if person_id is None:
        counts = refresh_candidate(session, vault, installation, candidate_id)
        if counts is not None and counts.erased_skipped:
            raise ConflictError(f"This candidate is an {fingerprints.ERASED}.")
        person_id = linked_person(session, installation, candidate_id)
    if person_id is None:
        raise NotFoundError(f"{installation.vendor.value.title()} has no candidate {candidate_id}.")
    return person_id


def refresh_candidate(session: Session, vault: Vault, installation: Installation, candidate_id: str,
                      connector: Connector | None = None, cache: Redis | None = None,
                      policy: Policy | None = None) -> Counts | None:
    """Fetch one candidate afresh (after a webhook) and upsert them with their applications; `cache` keeps
    the vendor's reference lists between calls. None when the ATS has no such candidate (any more)."""
    connector = connector or installations.connector(vault, installation, policy, cache=cache)
    try:
        candidate, applications = connector.fetch_candidate(candidate_id)
    except NotFound:
        return None
    upserter = Upserter(session, installation, connector)
    counts = upserter.apply([candidate, *applications])
    if candidate.ats_id in upserter.refused:  # nor do the deliveries that named them keep their ids
        erasure.forget_refused(session, installation, candidate.ats_id, {a.ats_id for a in applications})
    session.commit()
    return counts


def unlink_candidate(session: Session, installation: Installation, candidate_id: str) -> int:
    """The ATS deleted the record: forget the link (the person and their history stay ours)."""
    links = session.scalars(select(PersonLink).where(PersonLink.installation_id == installation.id,
                                                     PersonLink.ats_id == candidate_id)).all()
    for link in links:
        session.delete(link)
    if not links:  # perhaps an erased person's record, deleted in the ATS as erasure asks
        erasure.forget_if_erased(session, installation, candidate_id)
    session.commit()
    return len(links)


def candidate_of_application(session: Session, installation: Installation, application_id: str) -> str | None:
    """The ATS candidate id of an application we hold (its person's link in this installation)."""
    return session.scalar(select(PersonLink.ats_id).join(
        AtsApplication, (AtsApplication.person_id == PersonLink.person_id)
        & (AtsApplication.installation_id == PersonLink.installation_id)).where(
        AtsApplication.installation_id == installation.id, AtsApplication.ats_id == application_id).limit(1))


def drop_application(session: Session, installation: Installation, application_id: str) -> int:
    """The ATS deleted one application (a Lever opportunity): forget it, and let the person's status follow
    the applications that remain. Touchpoints it left stay: the person was met all the same."""
    rows = session.scalars(select(AtsApplication).where(AtsApplication.installation_id == installation.id,
                                                        AtsApplication.ats_id == application_id)).all()
    for row in rows:
        session.delete(row)
    session.flush()
    people = {row.person_id for row in rows}
    if people:
        Upserter(session, installation, None).statuses(people)
    session.commit()
    return len(rows)


def merge_candidate(session: Session, vault: Vault, installation: Installation, merged_id: str, survivor_id: str,
                    *, cache: Redis | None = None, policy: Policy | None = None) -> str:
    """The ATS merged candidate `merged_id` into `survivor_id` (Greenhouse's merge_candidate, Ashby's
    candidateMerge). The merged record's link moves to the survivor, so their history stays one person's; when
    the survivor is already linked to another person, that person keeps the link and the merged record's link
    goes (merging two Brobygger people is the recruiter's call). Then the survivor is read afresh."""
    merged = session.scalars(select(PersonLink).where(PersonLink.installation_id == installation.id,
                                                      PersonLink.ats_id == merged_id)).first()
    if merged is not None:
        if linked_person(session, installation, survivor_id) is None:
            merged.ats_id = survivor_id
        else:
            session.delete(merged)
        session.commit()
    counts = refresh_candidate(session, vault, installation, survivor_id, cache=cache, policy=policy)
    return f"merged into {survivor_id}" + (f" ({counts.records} records)" if counts else "; the survivor is gone")


def _finish(session: Session, sync_run: SyncRun, status: str, counts: Counts, error: str | None) -> None:
    sync_run.status, sync_run.finished_at, sync_run.error = status, utcnow(), error
    sync_run.records, sync_run.counts = counts.records, counts.as_dict()
    session.commit()


def _bookmark(session: Session, installation: Installation, stream: str) -> datetime | None:
    value = session.scalar(select(SyncBookmark.value).where(SyncBookmark.installation_id == installation.id,
                                                            SyncBookmark.stream == stream))
    return datetime.fromisoformat(value) if value else None


def _set_bookmark(session: Session, installation: Installation, stream: str, value: datetime) -> None:
    bookmark = session.get(SyncBookmark, (installation.id, stream))
    if bookmark is None:
        session.add(SyncBookmark(tenant_id=installation.tenant_id, installation_id=installation.id, stream=stream,
                                 value=value.isoformat()))
    else:
        bookmark.value = value.isoformat()


@dataclass
class Upserter:
    """Applies pages of records for one installation, with a fixed number of queries per page."""

    session: Session
    installation: Installation
    connector: Connector | None  # None: nothing left to fetch (status updates only)
    _recruiters_by_ats_user: dict[str, uuid.UUID] | None = field(default=None, init=False)
    # Referrers already resolved in this sync: a few people refer many, so each is looked up once.
    _references: dict[tuple[str, ...], Reference] = field(default_factory=dict, init=False)
    refused: set[str] = field(default_factory=set, init=False)  # candidates skipped: an erased person's

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.installation.tenant_id

    def apply(self, records: Iterable[Record]) -> Counts:
        records = list(records)
        counts = Counts(records=len(records))
        candidates = [r for r in records if isinstance(r, Candidate)]
        applications = [r for r in records if isinstance(r, Application)]
        people = self._candidates(candidates, counts)
        missing = {a.candidate_id for a in applications} - set(people)
        people |= self._linked(missing)
        for candidate_id in missing - set(people) - self.refused:  # an application whose candidate we never saw
            if self.connector is None:
                break
            try:
                candidate, _ = self.connector.fetch_candidate(candidate_id)
            except NotFound:
                continue
            people |= self._candidates([candidate], counts)
        self._applications([a for a in applications if a.candidate_id in people], people, counts)
        self.session.flush()
        return counts

    # --- candidates → people ----------------------------------------------------------------------

    def _linked(self, ats_ids: set[str]) -> dict[str, uuid.UUID]:
        if not ats_ids:
            return {}
        rows = self.session.execute(select(PersonLink.ats_id, PersonLink.person_id).where(
            PersonLink.installation_id == self.installation.id, PersonLink.ats_id.in_(ats_ids)))
        return {ats_id: person_id for ats_id, person_id in rows}

    def _candidates(self, candidates: list[Candidate], counts: Counts) -> dict[str, uuid.UUID]:
        """Match each candidate to a person by ATS link, then by e-mail, else create one; three queries."""
        if not candidates:
            return {}
        by_ats = {c.ats_id: c for c in candidates}  # a page may repeat a candidate: the last one wins
        linked = self._linked(set(by_ats))
        by_ats = self._not_erased(by_ats, linked, counts)
        emails = {e.lower() for c in by_ats.values() for e in c.emails}
        owners = {email: person_id for email, person_id in self.session.execute(
            select(PersonEmail.email, PersonEmail.person_id).where(
                PersonEmail.tenant_id == self.tenant_id, PersonEmail.email.in_(emails)))} if emails else {}
        wanted = {linked.get(ats_id) or next((owners[e.lower()] for e in c.emails if e.lower() in owners), None)
                  for ats_id, c in by_ats.items()} - {None}
        people = {p.id: p for p in self.session.scalars(select(Person).where(Person.id.in_(wanted)))}
        result: dict[str, uuid.UUID] = {}
        now = utcnow()
        created = []
        for ats_id, candidate in by_ats.items():
            person_id = linked.get(ats_id) or next(
                (owners[e.lower()] for e in candidate.emails if e.lower() in owners), None)
            person = people.get(person_id) if person_id else None
            if person is None:
                person = self._new_person(candidate, now)
                created.append(person)
                counts.people_created += 1
            elif self._update_person(person, candidate, owners):
                counts.people_updated += 1
            if ats_id not in linked:
                self.session.add(PersonLink(tenant_id=self.tenant_id, person_id=person.id,
                                            installation_id=self.installation.id, ats_id=ats_id, url=candidate.url,
                                            synced_at=now))
            for email in candidate.emails:
                owners.setdefault(email.lower(), person.id)
            people[person.id] = person
            result[ats_id] = person.id
        self.session.flush()
        tasks.on_created(self.session, self.tenant_id, created)  # art. 14 notice tasks
        return result

    def _not_erased(self, by_ats: dict[str, Candidate], linked: dict[str, uuid.UUID],
                    counts: Counts) -> dict[str, Candidate]:
        """An unlinked candidate whose ATS id, e-mail or LinkedIn URL is an erased person's is refused: skipped,
        counted and logged (without the id: that is the person's too)."""
        fresh = {ats_id: c for ats_id, c in by_ats.items() if ats_id not in linked}
        hits = fingerprints.blocked(self.session, self.tenant_id, [e for c in fresh.values() for e in c.emails],
                                    [c.linkedin_url for c in fresh.values()], ats_ids=fresh,
                                    installation_id=self.installation.id)
        if not hits:
            return by_ats
        refused = {ats_id for ats_id, c in fresh.items()
                   if ("ats", ats_id) in hits or ("linkedin", c.linkedin_url) in hits
                   or any(("email", e) in hits for e in c.emails)}
        new = refused - self.refused
        if new:
            self.refused |= new
            counts.erased_skipped += len(new)
            log.info("%s installation %s: %d candidate(s) refused: %s", self.installation.vendor.value,
                     self.installation.id, len(new), fingerprints.ERASED)
        return {ats_id: c for ats_id, c in by_ats.items() if ats_id not in refused}

    def _new_person(self, candidate: Candidate, now: datetime) -> Person:
        person = Person(id=uuid7(), tenant_id=self.tenant_id, first_name=candidate.first_name[:100] or "?",
                        last_name=candidate.last_name[:100], data_source=f"{self.installation.vendor.value} sync",
                        collected_at=now, status=PipelineStatus.PASSIVE, emails=[], phones=[])
        self.session.add(person)
        self._update_person(person, candidate, {}, audited=False)  # audited as the create below
        audit(self.session, self.tenant_id, SYNC_ACTOR, "create", "person", person.id, ["first_name", "last_name"])
        return person

    def _update_person(self, person: Person, candidate: Candidate, owners: dict[str, uuid.UUID],
                       audited: bool = True) -> bool:
        """The ATS is the source for names, employer, title and contact details; nothing else is touched.
        An address that belongs to another person stays theirs."""
        changed = set()
        for name, value, size in (("first_name", candidate.first_name, 100), ("last_name", candidate.last_name, 100),
                                  ("employer", candidate.employer, 200), ("title", candidate.title, 200),
                                  ("linkedin_url", candidate.linkedin_url, 500)):
            value = value[:size] if value else None
            if value and getattr(person, name) != value:
                setattr(person, name, value)
                changed.add(name)
        phones = [p[:40] for p in candidate.phones if p[:40] not in person.phones]
        if phones:
            person.phones = [*person.phones, *phones][:10]
            changed.add("phones")
        have = {e.email for e in person.emails}
        for email in (e.lower() for e in candidate.emails):
            if email not in have and owners.get(email, person.id) == person.id and len(email) <= 254:
                person.emails.append(PersonEmail(tenant_id=self.tenant_id, email=email, position=len(have)))
                have.add(email)
                changed.add("emails")
        if changed and audited:
            audit(self.session, self.tenant_id, SYNC_ACTOR, "update", "person", person.id, changed)
        return bool(changed)

    # --- applications → applications, touchpoints, referrals, status ------------------------------

    def _applications(self, applications: list[Application], people: dict[str, uuid.UUID], counts: Counts) -> None:
        if not applications:
            return
        existing = {row.ats_id: row for row in self.session.scalars(select(AtsApplication).where(
            AtsApplication.installation_id == self.installation.id,
            AtsApplication.ats_id.in_({a.ats_id for a in applications})))}
        for app in applications:
            row = existing.get(app.ats_id)
            if row is None:
                row = AtsApplication(tenant_id=self.tenant_id, installation_id=self.installation.id,
                                     ats_id=app.ats_id, person_id=people[app.candidate_id],
                                     updated_at=app.updated_at)
                self.session.add(row)
                existing[app.ats_id] = row
                counts.applications += 1
            row.person_id = people[app.candidate_id]
            row.job_ref, row.job_name = app.job_id, (app.job_name or "")[:200] or None
            row.outcome, row.met = app.outcome.value, app.met
            row.source_kind = app.source.kind.value if app.source else None
            row.source_name = app.source.name[:200] if app.source else None
            row.rejection_reason = (app.rejection_reason or "")[:200] or None
            row.applied_at, row.closed_at, row.updated_at = app.applied_at, app.closed_at, app.updated_at
        self.session.flush()
        counts.touchpoints += self._stage_touchpoints(applications, people)
        counts.referrals += self._referrals(applications, people)
        self.statuses({people[a.candidate_id] for a in applications})

    def _external_id(self, *parts: str) -> str:
        return ":".join((self.installation.vendor.value, str(self.installation.id), *parts))[:200]

    def _stage_touchpoints(self, applications: list[Application], people: dict[str, uuid.UUID]) -> int:
        """Every screening, interview and offer stage reached is a touch: the person was met."""
        wanted = {}
        for app in applications:
            for stage in app.stages:
                if stage.kind in STAGE_TOUCHPOINT:
                    wanted[self._external_id("stage", app.ats_id, stage.ats_id)] = (app, stage)
        if not wanted:
            return 0
        have = set(self.session.scalars(select(Touchpoint.external_id).where(
            Touchpoint.tenant_id == self.tenant_id, Touchpoint.external_id.in_(set(wanted)))))
        added = []
        for external_id, (app, stage) in wanted.items():
            if external_id in have:
                continue
            job = f" — {app.job_name}" if app.job_name else ""
            added.append(Touchpoint(
                tenant_id=self.tenant_id, person_id=people[app.candidate_id], kind=STAGE_TOUCHPOINT[stage.kind],
                occurred_at=stage.reached_at or app.updated_at, summary=f"{stage.name}{job}"[:5000],
                origin=Origin.SYNC, external_id=external_id))
        self.session.add_all(added)
        self._touched(added)
        return len(added)

    def _touched(self, touchpoints: list[Touchpoint]) -> None:
        """New stage touches reset the keep-in-touch clocks and may earn a thank-you (rules decide)."""
        latest: dict[uuid.UUID, datetime] = {}
        for touchpoint in touchpoints:
            if touchpoint.person_id not in latest or latest[touchpoint.person_id] < touchpoint.occurred_at:
                latest[touchpoint.person_id] = touchpoint.occurred_at
        cadences.touched(self.session, self.tenant_id, latest)
        rules.after_touchpoints(self.session, self.tenant_id, touchpoints, utcnow())

    def _referrals(self, applications: list[Application], people: dict[str, uuid.UUID]) -> int:
        referred = [a for a in applications if a.referrer is not None]
        if not referred:
            return 0
        by_external = {r.external_id: r for r in self.session.scalars(select(Referral).where(
            Referral.tenant_id == self.tenant_id,
            Referral.external_id.in_({self._external_id("referral", a.ats_id) for a in referred})))}
        # The first referrer of a person keeps the credit (as referrals.create does): one query per page.
        credited = set(self.session.scalars(select(Referral.person_id).where(
            Referral.tenant_id == self.tenant_id, Referral.credited.is_(True),
            Referral.person_id.in_({people[a.candidate_id] for a in referred}))))
        pairs = self._referrals_by_pair([a for a in referred if self._external_id("referral", a.ats_id)
                                         not in by_external], people)
        created = 0
        for app in referred:
            external_id = self._external_id("referral", app.ats_id)
            referral = by_external.get(external_id)
            status = REFERRAL_STATUS[app.outcome]
            if referral is None:
                reference = self._reference(app)
                person_id = people[app.candidate_id]
                if reference.person_id == person_id:
                    continue  # the ATS credits the candidate themself: not a referral we can keep
                referral = pairs.get((reference.id, person_id))
                if referral is None:
                    referral = Referral(tenant_id=self.tenant_id, reference_id=reference.id, person_id=person_id,
                                        channel=ReferralChannel.OTHER, prompted=True, status=status,
                                        referred_at=app.applied_at or app.updated_at, origin=Origin.SYNC,
                                        job_ref=app.job_id, external_id=external_id,
                                        credited=person_id not in credited,
                                        note=f"Via {self.installation.vendor.value}: {app.job_name or 'no job'}")
                    credited.add(person_id)
                    self.session.add(referral)
                    pairs[(reference.id, person_id)] = referral
                    created += 1
                by_external[external_id] = referral
            if referral.status != status:
                referral.status, referral.status_changed_at = status, utcnow()
        return created

    def _referrals_by_pair(self, applications: list[Application], people: dict[str, uuid.UUID]
                           ) -> dict[tuple[uuid.UUID, uuid.UUID], Referral]:
        """Referrals already kept for these applications' (referrer, person) pairs: one query per page, not one
        per referred application."""
        references = {self._reference(app).id for app in applications}
        persons = {people[app.candidate_id] for app in applications}
        if not references:
            return {}
        return {(r.reference_id, r.person_id): r for r in self.session.scalars(select(Referral).where(
            Referral.tenant_id == self.tenant_id, Referral.reference_id.in_(references),
            Referral.person_id.in_(persons)))}

    def _reference(self, app: Application) -> Reference:
        """The referrer: one of our recruiters when the ATS user is known, otherwise a named reference."""
        referrer = app.referrer
        assert referrer is not None
        recruiter_id = self._recruiter_for(referrer.ats_user_id)
        key = (str(recruiter_id),) if recruiter_id else (referrer.name[:200], (referrer.email or "").lower())
        if key not in self._references:
            self._references[key] = self._find_or_add_reference(referrer, recruiter_id)
        return self._references[key]

    def _find_or_add_reference(self, referrer: Referrer, recruiter_id: uuid.UUID | None) -> Reference:
        query = select(Reference).where(Reference.tenant_id == self.tenant_id)
        if recruiter_id:
            found = self.session.scalars(query.where(Reference.recruiter_id == recruiter_id)).first()
            if found:
                return found
            reference = Reference(tenant_id=self.tenant_id, kind=ReferenceKind.EMPLOYEE, recruiter_id=recruiter_id)
        else:
            name = referrer.name[:200] or "Unknown referrer"
            found = self.session.scalars(query.where(
                Reference.person_id.is_(None), Reference.recruiter_id.is_(None), Reference.name == name,
                (Reference.email == referrer.email.lower()) if referrer.email else Reference.email.is_(None))).first()
            if found:
                return found
            reference = Reference(tenant_id=self.tenant_id, name=name,
                                  email=referrer.email.lower() if referrer.email else None,
                                  kind=ReferenceKind.EMPLOYEE if referrer.is_employee else ReferenceKind.OUTSIDER)
        self.session.add(reference)
        self.session.flush()
        return reference

    def _recruiter_for(self, ats_user_id: str | None) -> uuid.UUID | None:
        if ats_user_id is None:
            return None
        if self._recruiters_by_ats_user is None:
            key = str(self.installation.id)
            self._recruiters_by_ats_user = {
                str(r.ats_user_ids[key]): r.id for r in self.session.scalars(
                    select(Recruiter).where(Recruiter.tenant_id == self.tenant_id)) if key in r.ats_user_ids}
        return self._recruiters_by_ats_user.get(str(ats_user_id))

    def statuses(self, person_ids: set[uuid.UUID]) -> None:
        """Hired if any application was a hire, in process if any is open, passive otherwise (met, not hired)."""
        outcomes: dict[uuid.UUID, set[str]] = {}
        met: set[uuid.UUID] = set()
        for person_id, outcome, was_met in self.session.execute(
                select(AtsApplication.person_id, AtsApplication.outcome, AtsApplication.met).where(
                    AtsApplication.tenant_id == self.tenant_id, AtsApplication.person_id.in_(person_ids))
                .group_by(AtsApplication.person_id, AtsApplication.outcome, AtsApplication.met)):
            outcomes.setdefault(person_id, set()).add(outcome)
            if was_met:
                met.add(person_id)
        let_go: set[uuid.UUID] = set()  # met in a process that ended without a hire: the cadence proposal rule's cue
        for person in self.session.scalars(select(Person).where(Person.id.in_(set(outcomes)))):
            seen = outcomes[person.id]
            status = (PipelineStatus.HIRED if Outcome.HIRED.value in seen
                      else PipelineStatus.IN_PROCESS if Outcome.ACTIVE.value in seen else PipelineStatus.PASSIVE)
            if person.status != status:
                if person.status == PipelineStatus.IN_PROCESS and status == PipelineStatus.PASSIVE and person.id in met:
                    let_go.add(person.id)
                person.status = status
        rules.after_became_passive(self.session, self.tenant_id, let_go)


def count_people(session: Session, tenant_id: uuid.UUID) -> int:
    return session.scalar(select(func.count()).select_from(Person).where(Person.tenant_id == tenant_id)) or 0
