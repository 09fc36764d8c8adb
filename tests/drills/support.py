"""What the drills share: real `brobygger worker` processes (and killing them with SIGKILL), the truth a
simulator's dataset implies, and a census of what the database holds, duplicates included."""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors.simulators.dataset import Dataset
from plugin.extension import get_state
from plugin.models import AtsApplication, Person, PersonLink, Referral, SyncRun, Touchpoint
from tests.helpers import brobygger, child_env, process_tree

MET_STAGES = ("screen", "interview", "offer")  # the stage kinds a sync turns into touchpoints


def n(value: int) -> str:
    """A count as the drills print it: 4,000."""
    return f"{value:,}"


# --- what a complete sync must produce --------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    people: int
    applications: int
    touchpoints: int
    referrals: int

    def summary(self) -> str:
        return (f"{n(self.people)} people, {n(self.applications)} applications, {n(self.touchpoints)} touchpoints, "
                f"{n(self.referrals)} referrals")


def expected(data: Dataset) -> Expected:
    """Every candidate is one person (their e-mails are unique); every screening, interview or offer stage
    one touchpoint; every referrer (no recruiter is mapped to an ATS user here, so a referrer is a named
    reference) one referral per referred person."""
    applications = data.applications()
    referred = {(a.candidate_id, a.referrer.name, a.referrer.email) for a in applications if a.referrer}
    return Expected(people=sum(1 for c in data.candidates if not c.deleted), applications=len(applications),
                    touchpoints=sum(1 for a in applications for s in a.stages if s.kind in MET_STAGES),
                    referrals=len(referred))


# --- what the database holds ------------------------------------------------------------------------


@dataclass(frozen=True)
class Census:
    people: int
    linked: int  # ATS links of the installation
    applications: int
    touchpoints: int
    referrals: int
    # A person made twice for one candidate is left without a link (links are unique per ATS id);
    # one person linked to two candidates was merged by mistake. Both count.
    duplicate_people: int

    def matches(self, want: Expected) -> bool:
        return (self.people, self.linked, self.applications, self.touchpoints, self.referrals,
                self.duplicate_people) == (want.people, want.people, want.applications, want.touchpoints,
                                           want.referrals, 0)

    def summary(self) -> str:
        return (f"{n(self.people)} people ({n(self.linked)} linked), {n(self.applications)} applications, "
                f"{n(self.touchpoints)} touchpoints, {n(self.referrals)} referrals, "
                f"{n(self.duplicate_people)} duplicates")


def _count(session: Session, model: Any, *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def census(session: Session, tenant_id: uuid.UUID, installation_id: uuid.UUID) -> Census:
    people = _count(session, Person, Person.tenant_id == tenant_id)
    linked_people = session.scalar(select(func.count(func.distinct(PersonLink.person_id))).where(
        PersonLink.installation_id == installation_id)) or 0
    linked = _count(session, PersonLink, PersonLink.installation_id == installation_id)
    return Census(people=people, linked=linked,
                  applications=_count(session, AtsApplication, AtsApplication.installation_id == installation_id),
                  touchpoints=_count(session, Touchpoint, Touchpoint.tenant_id == tenant_id,
                                     Touchpoint.external_id.is_not(None)),
                  referrals=_count(session, Referral, Referral.tenant_id == tenant_id),
                  duplicate_people=(people - linked_people) + (linked - linked_people))


def runs(session: Session, installation_id: uuid.UUID) -> list[SyncRun]:
    """The installation's sync runs, oldest first."""
    return list(session.scalars(select(SyncRun).where(SyncRun.installation_id == installation_id)
                                .order_by(SyncRun.started_at).execution_options(populate_existing=True)))


def records_so_far(app: Flask, installation_id: uuid.UUID) -> int:
    """Records the running sync has committed (its run row is updated after every page)."""
    with get_state(app).sessions() as session:
        return max((run.records for run in runs(session, installation_id) if run.status == "running"), default=0)


# --- worker processes -------------------------------------------------------------------------------


def kill_9(process: subprocess.Popen[bytes]) -> int:
    """SIGKILL a worker and its work horse, as a crash or the OOM killer would; returns how many died."""
    tree = process_tree(process.pid)
    for pid in reversed(tree):
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait(10)
    return len(tree)


@contextmanager
def worker_process(app_config: dict[str, Any], log: Path, **env: str) -> Iterator[subprocess.Popen[bytes]]:
    """A real `brobygger worker` (forking, as in production) for the app's database and Redis; stopped
    with SIGTERM at the end, and SIGKILLed with its horse if it does not stop within ten seconds."""
    with log.open("ab") as sink:
        worker = subprocess.Popen(brobygger("worker", "--log-level", "warning"), env=child_env(app_config, **env),
                                  stdout=sink, stderr=subprocess.STDOUT)
    try:
        yield worker
    finally:
        if worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(10)
            except subprocess.TimeoutExpired:
                kill_9(worker)


def log_tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"
