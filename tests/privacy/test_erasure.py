"""Erasure leaves nothing — in any table, in Redis (RQ job payloads included) or in the logs — and an erased
person is never re-imported: not by the API, a LinkedIn or CSV import, or an ATS sync. The ATS's own
anonymisation (Greenhouse `candidate_anonymized`) anonymises our person too."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from connectors.simulators.greenhouse import webhook_delivery
from plugin.extension import get_state
from plugin.models import AuditEvent, Person, PersonLink, WriteBack
from tests.ats_support import Connected, connect_greenhouse, run_sync, work
from tests.privacy.search import Captured, database_hits, redis_hits

SECRET = "whsec-erasure"
NAME = ("Zyxwq", "Plomberud")
EMAIL = "zyxwq.plomberud@example.no"
LINKEDIN = "https://www.linkedin.com/in/zyxwq-plomberud"
PHONE = "+47 912 34 567"


@pytest.fixture
def greenhouse(app: Flask, tenant: Any) -> Iterator[Connected]:
    with connect_greenhouse(app, tenant.id, candidates=8, seed=3, webhook_secret=SECRET, write_back=True) as connected:
        yield connected


_sync = run_sync
_work = work


def _linked_person(tenant: Any, candidate_id: int) -> dict:
    people = tenant.walk("/people")
    return next(p for p in people if any(link["ats_id"] == str(candidate_id) for link in p["ats_links"]))


def test_erasure_leaves_nothing_in_the_database_redis_or_logs(app: Flask, tenant: Any, greenhouse: Connected,
                                                               captured: Captured) -> None:
    _sync(app, greenhouse.installation_id)
    candidate = next(c for c in greenhouse.data.candidates if c.emails)
    person = _linked_person(tenant, candidate.id)
    pid = person["id"]
    assert tenant.patch(f"/people/{pid}", json={
        "first_name": NAME[0], "last_name": NAME[1], "emails": [*person["emails"], EMAIL], "linkedin_url": LINKEDIN,
        "phones": [PHONE], "interests": [f"{NAME[0]}s hobby"], "data_source": f"Tipped by {NAME[0]}",
    }).status_code == 200
    needles = [*NAME, EMAIL, PHONE, LINKEDIN.rsplit("/", 1)[1], candidate.emails[0]]

    owner = tenant.create("/recruiters", {"email": "kari@acme.no", "name": "Kari Rekrutterer"})
    role = tenant.create("/roles", {"title": "Dataingeniør"})
    tipper = tenant.create("/people", {"first_name": "Tipser", "data_source": "manual"})
    tenant.post(f"/people/{pid}/touchpoints", json={"kind": "meeting", "occurred_at": "2025-03-01T10:00:00Z",
                                                   "summary": f"Lunsj med {NAME[0]} {NAME[1]}"})
    followup = tenant.create("/followups", {"person_id": pid, "owner_id": owner["id"], "due_at": "2030-01-01T09:00:00Z",
                                            "reason": f"Kaffe med {NAME[0]}"})
    assert tenant.post(f"/followups/{followup['id']}/complete", json={"summary": f"{NAME[1]} takket ja"}
                       ).status_code == 200
    assert tenant.post("/referrals", json={"person_id": pid, "channel": "phone", "prompted": False,
                                           "note": f"{NAME[0]} er dyktig",
                                           "referrer": {"kind": "candidate", "person_id": tipper["id"]}}
                       ).status_code == 201
    assert tenant.post("/referrals", json={"person_id": tipper["id"], "channel": "event", "prompted": True,
                                           "note": f"Tips fra {NAME[1]}",
                                           "referrer": {"kind": "candidate", "person_id": pid}}).status_code == 201
    assert tenant.post(f"/roles/{role['id']}/shortlist", json={"person_id": pid, "note": f"{NAME[0]} passer"}
                       ).status_code in (200, 201)
    body, headers = webhook_delivery(SECRET, "update_candidate", candidate)
    assert tenant.client.post(greenhouse.webhook_url, data=body, headers=headers).status_code == 200
    _work(app)  # write-backs and the webhook job ran: the worker logged what it did
    assert tenant.get(f"/people/{pid}/export").status_code == 200
    assert database_hits(app, needles), "the test must find the person before erasure"

    erased = tenant.post(f"/people/{pid}/erase")
    assert erased.status_code == 200, erased.json
    assert erased.json["ats_records"] == [{"installation_id": str(greenhouse.installation_id),
                                           "vendor": "greenhouse", "ats_id": str(candidate.id)}]
    assert erased.json["ats_erasure"].startswith("requested")
    _work(app)

    assert database_hits(app, needles) == []
    assert redis_hits(get_state(app).redis, needles) == []
    logged = captured.text.casefold()
    assert "erased" in logged and "rq.worker" in logged  # the capture saw the service and the worker
    assert [n for n in needles if n.casefold() in logged] == []
    with get_state(app).sessions() as session:
        row = session.get(Person, uuid.UUID(pid))
        assert row is not None and row.anonymised_at is not None
        assert session.scalar(select(func.count()).select_from(WriteBack).where(WriteBack.person_id == row.id)) == 0
        actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.entity_id.in_(
            [row.id, greenhouse.installation_id]))))
    assert {"anonymise", "erase", "export", "ats_erasure_requested"} <= actions


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_an_erased_person_is_not_re_imported_on_any_path(app: Flask, tenant: Any, greenhouse: Connected,
                                                         runner: Any, tmp_path: Path) -> None:
    first = _sync(app, greenhouse.installation_id)
    candidate = next(c for c in greenhouse.data.candidates if c.emails)
    pid = _linked_person(tenant, candidate.id)["id"]
    assert tenant.patch(f"/people/{pid}", json={"linkedin_url": LINKEDIN}).status_code == 200
    assert tenant.post(f"/people/{pid}/erase").status_code == 200

    by_api = tenant.post("/people", json={"first_name": "Igjen", "emails": [candidate.emails[0].upper()]})
    assert by_api.status_code == 409 and set(by_api.json["errors"]) == {"emails"}
    by_url = tenant.post("/people", json={"first_name": "Igjen", "linkedin_url": LINKEDIN.replace(
        "zyxwq-plomberud", "ZYXWQ-PLOMBERUD") + "/"})  # the API takes lower-case schemes and hosts only
    assert by_url.status_code == 409 and set(by_url.json["errors"]) == {"linkedin_url"}
    other = tenant.create("/people", {"first_name": "Annen", "data_source": "manual"})
    assert tenant.patch(f"/people/{other['id']}", json={"emails": [candidate.emails[0]]}).status_code == 409

    tenant.create("/recruiters", {"email": "kari@acme.no", "name": "Kari Rekrutterer"})
    linkedin = _write(tmp_path / "Connections.csv", "First Name,Last Name,URL,Email Address,Company,Position,"
                      f"Connected On\nZ,P,{LINKEDIN}/,,Acme,Dev,1 Mar 2024\nNy,Person,,ny@example.no,,,\n")
    result = runner.invoke(args=["brobygger", "import", "linkedin", str(linkedin), "--tenant", str(tenant.id),
                                 "--owner", "kari@acme.no"])
    assert result.exit_code == 0, result.output
    assert "created 1, updated 0, skipped 0, bad 1" in result.output
    assert "line 2: erased person, not re-imported" in result.output.casefold()
    plain = _write(tmp_path / "people.csv", f"Fornavn;E-post\nZ;{candidate.emails[0].upper()}\n")
    result = runner.invoke(args=["brobygger", "import", "csv", str(plain), "--tenant", str(tenant.id), "--owner",
                                 "kari@acme.no", "--delimiter", ";", "--map", "Fornavn=first_name",
                                 "--map", "E-post=email"])
    assert "created 0, updated 0, skipped 0, bad 1" in result.output and "erased person" in result.output

    again = _sync(app, greenhouse.installation_id)
    assert again.people_created == 0 and again.erased_skipped == 1
    with get_state(app).sessions() as session:
        assert session.scalar(select(func.count()).select_from(PersonLink).where(
            PersonLink.ats_id == str(candidate.id))) == 0
        assert session.scalar(select(func.count()).select_from(Person)) == first.people_created + 2


def test_greenhouse_candidate_anonymized_anonymises_the_linked_person(app: Flask, tenant: Any,
                                                                      greenhouse: Connected) -> None:
    _sync(app, greenhouse.installation_id)
    candidate = next(c for c in greenhouse.data.candidates if c.emails)
    pid = _linked_person(tenant, candidate.id)["id"]
    body, headers = webhook_delivery(SECRET, "candidate_anonymized", candidate)
    assert tenant.client.post(greenhouse.webhook_url, data=body, headers=headers).status_code == 200
    _work(app)
    person = tenant.get(f"/people/{pid}").json
    assert person["first_name"] == "Anonymised" and person["emails"] == [] and person["ats_links"] == []
    assert tenant.patch(f"/people/{pid}", json={"first_name": "Back"}).status_code == 409
    assert _sync(app, greenhouse.installation_id).erased_skipped == 1


def test_cli_export_and_erase(app: Flask, tenant: Any, runner: Any) -> None:
    import json

    person = tenant.create("/people", {"first_name": NAME[0], "emails": [EMAIL], "data_source": "referral"})
    args = ["--tenant", str(tenant.id), "--person", person["id"]]
    exported = runner.invoke(args=["brobygger", "person", "export", *args])
    assert exported.exit_code == 0 and json.loads(exported.output)["emails"][0]["email"] == EMAIL
    refused = runner.invoke(args=["brobygger", "person", "erase", *args])
    assert refused.exit_code != 0 and "--yes" in refused.output
    done = runner.invoke(args=["brobygger", "person", "erase", *args, "--yes"])
    assert done.exit_code == 0 and "erased" in done.output
    assert database_hits(app, [NAME[0], EMAIL]) == []
