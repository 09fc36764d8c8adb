"""Every webhook event manifest.yaml lists, for every vendor, sent as the vendor documents it (shape and
signature) through the real endpoint, reaches the person within one job: a rejection turns an interviewed person
passive, a hire hired, a deletion drops the link (only once the ATS agrees it is gone), a deleted application
goes alone, a merge keeps one linked person, and every other event brings the candidate's latest data."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from sqlalchemy import select

from connectors.simulators.base import serve
from connectors.simulators.dataset import Dataset, SimCandidate, generate
from plugin.ats import installations
from plugin.extension import get_state
from plugin.models import AtsApplication, Person, PersonLink, PipelineStatus
from tests.ats_support import run_sync, work
from tests.kits import KITS, Kit

MANIFEST = yaml.safe_load((Path(__file__).parents[2] / "manifest.yaml").read_text(encoding="utf-8"))
EVENTS = {vendor: hook["events"] for vendor, hook in MANIFEST["webhooks"].items()}


def test_every_vendor_in_the_manifest_has_a_kit_with_an_effect_for_every_event() -> None:
    assert set(EVENTS) == set(KITS)
    for vendor, events in EVENTS.items():
        assert set(events) == set(KITS[vendor].effects), vendor


class Pool:
    """Hands out dataset candidates of the shape an event needs, each once."""

    def __init__(self, data: Dataset) -> None:
        self.free = list(data.candidates)

    def take(self, applications: int = 1, open_only: bool = False) -> SimCandidate:
        for candidate in self.free:
            if len(candidate.applications) == applications and (
                    not open_only or all(a.status == "active" for a in candidate.applications)):
                self.free.remove(candidate)
                return candidate
        raise LookupError(f"no free candidate with {applications} application(s)")


def _person(app: Flask, installation_id: Any, ats_id: str) -> Person | None:
    with get_state(app).sessions() as session:
        person_id = session.scalar(select(PersonLink.person_id).where(
            PersonLink.installation_id == installation_id, PersonLink.ats_id == ats_id))
        return session.get(Person, person_id) if person_id else None


def _applications(app: Flask, installation_id: Any) -> set[str]:
    with get_state(app).sessions() as session:
        return set(session.scalars(select(AtsApplication.ats_id).where(
            AtsApplication.installation_id == installation_id)))


@pytest.mark.parametrize("vendor", sorted(EVENTS))
def test_every_documented_event_reaches_the_person_within_one_job(app: Flask, client: Any, tenant: Any,
                                                                  vendor: str) -> None:
    kit: Kit = KITS[vendor]
    data = generate(80, seed=21)
    sim = kit.simulator(data)
    # Lever gives each webhook its own token: one per event, all held by the installation.
    secrets = {event: f"{vendor}-secret-{index if vendor == 'lever' else 0}"
               for index, event in enumerate(EVENTS[vendor])}
    state = get_state(app)
    with serve(sim) as url, state.sessions() as session:
        installation = installations.add(
            session, state.vault, tenant.id, vendor=vendor, base_url=f"{url}{kit.api_path}",
            credentials=kit.credentials(sim, url), webhook_secret=sorted(set(secrets.values())))
        installation_id = installation.id
        path = f"/webhooks/{vendor}/{installation_id}"
        run_sync(app, installation_id)
        shown = tenant.get(f"/installations/{installation_id}").json["installation"]
        assert shown["vendor"] == vendor and shown["reaches"] == getattr(sim, "tool", None)  # Kombo's ATS
        pool = Pool(data)
        for event in EVENTS[vendor]:
            _check(app, client, kit, sim, data, pool, installation_id, path, secrets[event], event)


def _check(app: Flask, client: Any, kit: Kit, sim: Any, data: Dataset, pool: Pool, installation_id: Any, path: str,
           secret: str, event: str) -> None:
    effect = kit.effects[event]
    now = datetime.now(UTC)
    extra: dict[str, Any] = {}
    if effect in ("reject", "hire"):
        candidate = pool.take(open_only=True)
        assert _person(app, installation_id, kit.candidate_id(sim, candidate)).status == PipelineStatus.IN_PROCESS
        (data.reject if effect == "reject" else data.hire)(candidate.id, now)
    elif effect == "delete":
        candidate = pool.take()
        candidate.deleted = True
    elif effect == "delete_application":
        candidate = pool.take(applications=2)
        extra["application"] = gone = candidate.applications[0]
        data.remove_application(gone.id)
    elif effect == "merge":
        candidate, survivor = pool.take(), pool.take()
        survivor_id, merged_id = kit.candidate_id(sim, survivor), kit.candidate_id(sim, candidate)
        data.merge(candidate.id, survivor.id, now)
        extra["merged_into"] = survivor
    else:  # update, anonymise, sync: the candidate changed in the ATS
        candidate = pool.take()
        candidate.last_name = f"{candidate.last_name}-Ny"
        data.touch([candidate.id], now)
    ats_id = kit.candidate_id(sim, candidate)
    before = _person(app, installation_id, ats_id)
    body, headers = kit.deliver(sim, secret, event, candidate, now=time.time(), **extra)
    queue = get_state(app).queue
    response = client.post(path, data=body, headers=headers)
    assert response.status_code == 200 and response.json == {"status": "accepted"}, (event, response.json)
    assert len(queue) == 1, f"{event}: one job"
    work(app)
    assert len(queue) == 0

    person = _person(app, installation_id, ats_id)
    if effect == "reject":
        assert person is not None and person.status == PipelineStatus.PASSIVE, event
    elif effect == "hire":
        assert person is not None and person.status == PipelineStatus.HIRED, event
    elif effect == "delete":
        assert person is None, f"{event}: the link is gone"
    elif effect == "delete_application":
        assert person is not None, f"{event}: the candidate keeps their link"
        assert kit_application_id(kit, sim, extra["application"]) not in _applications(app, installation_id), event
    elif effect == "merge":
        assert _person(app, installation_id, merged_id) is None
        assert _person(app, installation_id, survivor_id) is not None, f"{event}: one linked person"
    elif effect == "anonymise":
        with get_state(app).sessions() as session:
            anonymised = session.get(Person, before.id)
        assert anonymised is not None and anonymised.anonymised_at is not None, event
    else:
        assert person is not None and person.last_name == candidate.last_name, event


def kit_application_id(kit: Kit, sim: Any, application: Any) -> str:
    return sim.opportunity_id(application.id) if kit.vendor == "lever" else str(application.id)
