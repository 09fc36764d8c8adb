"""Erasure cannot be undone and leaves no trace. An ATS candidate with neither e-mail nor LinkedIn URL in the
ATS is refused by the next webhook and sync (their ATS id is fingerprinted); the other spellings of their
LinkedIn URL are refused by the API and the imports; their name and identifiers go from other people's
free text and from the development outbox; and after all those refusals nothing names them in any table,
in Redis, in the logs or in the outbox. With SMTP (production) the outbox keeps nothing at all."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from connectors.simulators.base import Simulator, serve
from connectors.simulators.dataset import Dataset, SimCandidate, generate
from plugin import create_app
from plugin.ats import installations, sync
from plugin.errors import ConflictError
from plugin.extension import get_state
from plugin.models import Fingerprint, Installation, Person, PersonLink, Reference, WebhookDelivery
from tests.ats_support import run_sync, work
from tests.kits import KITS
from tests.notify_helpers import smtp_server
from tests.privacy.search import Captured, database_hits, outbox_hits, redis_hits

SECRET = "ashby-erasure-secret"
FIRST, LAST = "Zyxwq", "Plomberud"
FULL = f"{FIRST} {LAST}"
EMAIL = "zyxwq.plomberud@example.no"
PHONE = "+47 913 57 924"
LINKEDIN = "https://www.linkedin.com/in/zyxwq-plomberud"
# What the API takes (http or https, any host case), each a spelling of the one profile.
API_VARIANTS = ("http://linkedin.com/in/zyxwq-plomberud?trk=x", "https://no.linkedin.com/in/Zyxwq-Plomberud/",
                "https://WWW.LinkedIn.com/in/ZYXWQ-PLOMBERUD#about", "https://www.linkedin.com/in/zyxwq%2Dplomberud")
# What a LinkedIn export or a spreadsheet may hold besides.
FILE_VARIANTS = ("linkedin.com/in/zyxwq-plomberud/", "HTTP://M.LINKEDIN.COM/in/zyxwq-plomberud?trk=public_profile")
REFUSED = "erased person, not re-imported"


@dataclass
class Ashby:
    sim: Simulator
    data: Dataset
    person: SimCandidate  # in the ATS with neither e-mail nor LinkedIn URL
    installation_id: uuid.UUID

    @property
    def ats_id(self) -> str:
        return KITS["ashby"].candidate_id(self.sim, self.person)

    @property
    def application_ids(self) -> list[str]:
        return [self.sim.application_id(a.id) for a in self.person.applications]  # type: ignore[attr-defined]

    def deliver(self, event: str = "candidateStageChange") -> tuple[bytes, dict[str, str]]:
        return KITS["ashby"].deliver(self.sim, SECRET, event, self.person)


@pytest.fixture
def ashby(app: Flask, tenant: Any) -> Iterator[Ashby]:
    """Ashby, whose ids are UUIDs: unlike small integers, a search of every table can look for them."""
    kit = KITS["ashby"]
    data = generate(8, seed=5)
    person = next(c for c in data.candidates if all(a.referrer is None for a in c.applications))
    person.first_name, person.last_name, person.emails, person.linkedin_url, person.phones = FIRST, LAST, [], None, []
    sim = kit.simulator(data)
    state = get_state(app)
    with serve(sim) as url, state.sessions() as session:
        installation = installations.add(session, state.vault, tenant.id, vendor="ashby",
                                         base_url=f"{url}{kit.api_path}", credentials=kit.credentials(sim, url),
                                         webhook_secret=SECRET)
        yield Ashby(sim, data, person, installation.id)


def _outbox(app: Flask) -> Path:
    return get_state(app).instance_path / "outbox"


def _people(app: Flask) -> int:
    with get_state(app).sessions() as session:
        return session.scalar(select(func.count()).select_from(Person)) or 0


def _mentions(tenant: Any, pid: str, tipper: dict, owner: dict) -> None:
    """Other people's records that name the person, as recruiters write them."""
    other = tenant.create("/people", {"first_name": "Annen", "last_name": "Kandidat", "data_source": "manual"})
    assert tenant.post(f"/people/{tipper['id']}/touchpoints", json={
        "kind": "message", "occurred_at": "2025-03-01T10:00:00Z",
        "summary": f"Tipset oss uoppfordret om {FULL} ({EMAIL}), se {LINKEDIN}/?trk=x"}).status_code == 201
    tenant.create("/followups", {"person_id": tipper["id"], "owner_id": owner["id"], "due_at": "2030-01-01T09:00:00Z",
                                 "reason": f"Spør hvordan det gikk med {FULL.upper()}"})
    assert tenant.post("/referrals", json={"person_id": other["id"], "channel": "event", "prompted": True,
                                           "note": f"Kjenner {FIRST}  {LAST.lower()} fra før",
                                           "referrer": {"kind": "candidate", "person_id": tipper["id"]}}
                       ).status_code == 201
    assert tenant.post("/referrals", json={"person_id": tipper["id"], "channel": "phone", "prompted": False,
                                           "note": "Ringte inn",
                                           "referrer": {"kind": "outsider", "name": FULL, "email": EMAIL}}
                       ).status_code == 201
    role = tenant.create("/roles", {"title": "Dataingeniør", "description": f"Noe for {FULL}?"})
    assert tenant.post(f"/roles/{role['id']}/shortlist", json={"person_id": tipper["id"],
                                                               "note": f"Kollega av {FULL}"}).status_code in (200, 201)


def _links(app: Flask, ats_id: str) -> int:
    with get_state(app).sessions() as session:
        return session.scalar(select(func.count()).select_from(PersonLink).where(PersonLink.ats_id == ats_id)) or 0


def _refused_by_the_ats(app: Flask, tenant: Any, ashby: Ashby, captured: Captured) -> None:
    """The ATS still has them, with neither e-mail nor LinkedIn URL: its ATS id alone is refused."""
    body, headers = ashby.deliver("candidateStageChange")
    assert tenant.client.post(f"/webhooks/ashby/{ashby.installation_id}", data=body, headers=headers
                              ).json == {"status": "accepted"}
    work(app)
    assert _links(app, ashby.ats_id) == 0
    assert f"ashby installation {ashby.installation_id}: 1 candidate(s) refused: {REFUSED}" in captured.text
    again = run_sync(app, ashby.installation_id)
    assert (again.people_created, again.erased_skipped) == (0, 1)
    state = get_state(app)
    with state.sessions() as session:  # the sidebar's "start tracking" says why
        installation = session.get(Installation, ashby.installation_id)
        with pytest.raises(ConflictError, match=f"This candidate is an {REFUSED}"):
            sync.ensure_tracked(session, state.vault, installation, ashby.ats_id)
    assert _links(app, ashby.ats_id) == 0
    ashby.person.deleted = True  # the recruiter erases them in the ATS too, as the erasure's answer asks
    body, headers = ashby.deliver("candidateDelete")
    assert tenant.client.post(f"/webhooks/ashby/{ashby.installation_id}", data=body, headers=headers
                              ).json == {"status": "accepted"}
    work(app)
    with state.sessions() as session:
        assert session.scalar(select(func.count()).select_from(WebhookDelivery).where(
            WebhookDelivery.processed_at.is_(None))) == 0


def _refused_by_the_api(tenant: Any) -> None:
    """Every spelling of their profile, and their address, is a 409 in the error envelope."""
    for url in API_VARIANTS:
        refused = tenant.post("/people", json={"first_name": "Igjen", "linkedin_url": url})
        assert refused.status_code == 409, (url, refused.json)
        assert refused.json["message"] == "An erased person is not re-imported: linkedin_url named them."
        assert refused.json["errors"] == {"linkedin_url": [
            "The LinkedIn profile of an erased person: not re-imported."]}
    assert tenant.post("/people", json={"first_name": "Igjen", "emails": [EMAIL.upper()]}).status_code == 409


def _refused_by_the_imports(tenant: Any, runner: Any, tmp_path: Path) -> None:
    """Each row naming them is reported as refused; the rest of the file is imported."""
    rows = "".join(f"{FIRST},{LAST},{url},,Acme,Dev,1 Mar 2024\n" for url in (*API_VARIANTS, *FILE_VARIANTS))
    export = tmp_path / "Connections.csv"
    export.write_text("First Name,Last Name,URL,Email Address,Company,Position,Connected On\n" + rows
                      + "Ny,Person,,ny@example.no,,,\n", encoding="utf-8")
    imported = runner.invoke(args=["brobygger", "import", "linkedin", str(export), "--tenant", str(tenant.id),
                                   "--owner", "kari@acme.no"])
    variants = len(API_VARIANTS) + len(FILE_VARIANTS)
    assert imported.stdout == f"created 1, updated 0, skipped 0, bad {variants}\n", imported.output
    assert imported.stderr == "".join(f"line {line}: {REFUSED}\n" for line in range(2, variants + 2))
    sheet = tmp_path / "people.csv"
    sheet.write_text(f"Fornavn;E-post\nZ;{EMAIL.upper()}\n", encoding="utf-8")
    imported = runner.invoke(args=["brobygger", "import", "csv", str(sheet), "--tenant", str(tenant.id), "--owner",
                                   "kari@acme.no", "--delimiter", ";", "--map", "Fornavn=first_name",
                                   "--map", "E-post=email"])
    assert (imported.stdout, imported.stderr) == ("created 0, updated 0, skipped 0, bad 1\n", f"line 2: {REFUSED}\n")


def test_erasure_leaves_no_trace_and_nothing_brings_the_person_back(
        app: Flask, tenant: Any, ashby: Ashby, runner: Any, tmp_path: Path, captured: Captured) -> None:
    run_sync(app, ashby.installation_id)
    pid = next(p["id"] for p in tenant.walk("/people")
               if any(link["ats_id"] == ashby.ats_id for link in p["ats_links"]))
    assert tenant.patch(f"/people/{pid}", json={"emails": [EMAIL], "linkedin_url": LINKEDIN, "phones": [PHONE]}
                        ).status_code == 200
    owner = tenant.create("/recruiters", {"email": "kari@acme.no", "name": "Kari Rekrutterer"})
    tipper = tenant.create("/people", {"first_name": "Tipser", "last_name": "Hansen", "emails": ["tipser@example.no"],
                                       "data_source": f"Tips fra {FULL}"})
    _mentions(tenant, pid, tipper, owner)
    for someone in (pid, tipper["id"]):  # e-mails in the development outbox: one names the person
        assert tenant.post(f"/people/{someone}/consent-link", json={"send_email": True}).json["emailed"] is True
    body, headers = ashby.deliver()
    assert tenant.client.post(f"/webhooks/ashby/{ashby.installation_id}", data=body, headers=headers
                              ).status_code == 200
    work(app)
    needles = [FIRST, LAST, EMAIL, PHONE, "zyxwq-plomberud", ashby.ats_id, *ashby.application_ids]
    assert set(needles) <= {hit.rsplit(": ", 1)[1] for hit in database_hits(app, needles)}, "seen before erasure"
    assert outbox_hits(_outbox(app), [FULL, EMAIL]), "the outbox named the person before erasure"
    people = _people(app)

    erased = tenant.post(f"/people/{pid}/erase")
    assert erased.status_code == 200, erased.json
    assert erased.json["ats_records"] == [{"installation_id": str(ashby.installation_id), "vendor": "ashby",
                                           "ats_id": ashby.ats_id}]
    _refused_by_the_ats(app, tenant, ashby, captured)
    _refused_by_the_api(tenant)
    _refused_by_the_imports(tenant, runner, tmp_path)
    work(app)

    assert _people(app) == people + 1  # the one new person of the export
    assert database_hits(app, needles) == []
    assert redis_hits(get_state(app).redis, needles) == []
    assert "rq.worker" in captured.text and captured.hits(needles) == []
    assert outbox_hits(_outbox(app), needles) == []
    assert outbox_hits(_outbox(app), ["tipser@example.no"]), "mail naming only others stays"
    with get_state(app).sessions() as session:  # the outsider who was the person keeps only the fact of a referral
        assert session.scalar(select(Reference.name).where(Reference.kind == "outsider")) == "[…]"


def test_fingerprints_taken_before_profiles_had_one_key_still_refuse_every_spelling(app: Flask, tenant: Any) -> None:
    """A fingerprint stored by an earlier release was over the URL with scheme and host as typed (lower-cased)."""
    state = get_state(app)
    key = state.setting("FINGERPRINT_KEY") or state.setting("SECRET_KEY")
    salt = hmac.new(key.encode(), f"brobygger fingerprint salt v1:{tenant.id}".encode(), hashlib.sha256).digest()
    old = hmac.new(salt, b"linkedin:https://www.linkedin.com/in/ola-tidligere", hashlib.sha256).hexdigest()
    with state.sessions() as session:
        session.add(Fingerprint(tenant_id=tenant.id, kind="linkedin", digest=old, reason="erased"))
        session.commit()
    for url in ("http://linkedin.com/in/Ola-Tidligere?trk=x", "https://www.linkedin.com/in/ola-tidligere/"):
        assert tenant.post("/people", json={"first_name": "Ola", "linkedin_url": url}).status_code == 409, url
    assert tenant.post("/people", json={"first_name": "Ola", "linkedin_url": "https://www.linkedin.com/in/ola-senere"}
                       ).status_code == 201


def test_with_smtp_the_outbox_keeps_nothing(app_config: dict[str, Any], app: Flask, tenant: Any) -> None:
    """Production sends through SMTP: no copy of what was sent stays on disk, before or after an erasure."""
    with smtp_server() as inbox:
        smtp_app = create_app({**app_config, "BROBYGGER_SMTP_URL": inbox.url})
        handle = replace(tenant, client=smtp_app.test_client())
        person = handle.create("/people", {"first_name": FIRST, "last_name": LAST, "emails": [EMAIL]})
        assert handle.post(f"/people/{person['id']}/consent-link", json={"send_email": True}).json["emailed"]
        assert handle.post(f"/people/{person['id']}/erase").status_code == 200
        get_state(smtp_app).engine.dispose()
    assert [message["To"] for message in inbox.messages] == [EMAIL]
    assert get_state(smtp_app).instance_path == get_state(app).instance_path
    assert not _outbox(app).exists() or not any(_outbox(app).iterdir())
