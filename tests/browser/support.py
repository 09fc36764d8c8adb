"""A tenant with one person for each kind of page the browser extension opens the sidebar on, linked as each ATS
links them, and the extension's connection made the way the extension makes it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from plugin.ats import installations
from plugin.extension import get_state
from plugin.models import AtsApplication, PersonLink, utcnow
from tests.pages import post_form, sign_in

LEVER_OPPORTUNITY = "250d8f03-738a-4bba-a671-8a3d73477145"
ASHBY_CANDIDATE = "5b591aed-5e3c-4ab8-a3b8-8b2bd9f0a7c1"
WORKABLE_PAGE = "216323526"

# Each kind of page: the page's path (on the kind's host), the id it shows, and the person behind it.
PAGES: dict[str, tuple[str, str, str]] = {
    "greenhouse": ("app.greenhouse.io", "/people/4711?application_id=979554", "Gro Grønli"),
    "lever": ("hire.lever.co", f"/candidates/{LEVER_OPPORTUNITY}", "Lars Løvås"),
    "teamtailor": ("app.teamtailor.com", "/companies/acme-7/candidates/3071", "Tone Tøsse"),
    "ashby": ("app.ashbyhq.com", f"/candidates/{ASHBY_CANDIDATE}", "Åse Berg"),
    "workable": ("acme.workable.com", f"/backend/jobs/376844767/browser/applied/candidate/{WORKABLE_PAGE}",
                 "Wenche Wold"),
    "linkedin": ("www.linkedin.com", "/in/live-linde/", "Live Linde"),
}


@dataclass
class World:
    recruiter: dict
    people: dict[str, str] = field(default_factory=dict)  # kind → person id


def _installation(app: Flask, tenant_id: uuid.UUID, vendor: str) -> uuid.UUID:
    state = get_state(app)
    fields = installations.registry()[vendor].credential_fields
    with state.sessions() as session:
        return installations.add(session, state.vault, tenant_id, vendor=vendor, base_url="https://ats.invalid",
                                 credentials={name: "x" for name in fields}, webhook_secret="secret").id


def build(app: Flask, tenant: Any, recruiter: dict) -> World:
    world = World(recruiter)
    for kind, (_host, _path, name) in PAGES.items():
        first, last = name.split(" ", 1)
        extra = {"linkedin_url": "https://no.linkedin.com/in/Live-Linde?trk=x"} if kind == "linkedin" else {}
        world.people[kind] = tenant.create("/people", {"first_name": first, "last_name": last,
                                                       "owner_id": recruiter["id"], **extra})["id"]
    with get_state(app).sessions() as session:
        def link(vendor: str, ats_id: str, url: str | None = None) -> uuid.UUID:
            installation_id = _installation(app, tenant.id, vendor)
            session.add(PersonLink(tenant_id=tenant.id, person_id=uuid.UUID(world.people[kind]),
                                   installation_id=installation_id, ats_id=ats_id, url=url))
            return installation_id

        kind = "greenhouse"
        link("greenhouse", "4711")
        kind = "lever"  # the page names an opportunity; the person is the contact behind it
        lever = link("lever", "7f4bd6a2-7b3e-4a46-9f31-7c1b2c9e3a10")
        session.add(AtsApplication(tenant_id=tenant.id, installation_id=lever, person_id=uuid.UUID(world.people[kind]),
                                   ats_id=LEVER_OPPORTUNITY, outcome="active", updated_at=utcnow()))
        kind = "teamtailor"
        link("teamtailor", "3071")
        kind = "ashby"
        link("ashby", ASHBY_CANDIDATE)
        kind = "workable"  # through Kombo, whose remote_url is Workable's profile_url
        link("kombo", "26vafvWSRmbhNcxJYqjCzuJg",
             f"https://acme.workable.com/backend/jobs/376844767/candidates/{WORKABLE_PAGE}")
        session.commit()
    return world


def connect(app: Flask, client: FlaskClient, recruiter_id: str) -> str:
    """The extension's connection, as it makes it: a pair of codes, the recruiter's confirmation on the
    signed-in page, the exchange. Returns the extension's token."""
    started = client.post("/api/browser/connections")
    assert started.status_code == 201, started.json
    sign_in(app, client, recruiter_id)
    confirmed = post_form(client, "/browser/connect", {"code": started.json["user_code"]})
    assert confirmed.status_code == 200 and 'id="connected"' in confirmed.get_data(as_text=True)
    issued = client.post("/api/browser/tokens", json={"device_code": started.json["device_code"]})
    assert issued.status_code == 201, issued.json
    return issued.json["token"]
