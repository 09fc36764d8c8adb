"""References (the referrers) over the REST API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from plugin.extension import get_state
from plugin.models import AuditEvent


def _person(t: Any, first: str = "Åse", last: str = "Øvrebø") -> dict:
    return t.create("/people", {"first_name": first, "last_name": last})


def _recruiter(t: Any, name: str = "Rita Rekrutterer", email: str = "rita@acme.no") -> dict:
    return t.create("/recruiters", {"name": name, "email": email})


def _reference(t: Any, **body: Any) -> dict:
    return t.create("/references", {"kind": "outsider", **body})


def test_each_kind_of_referrer_and_its_display_name(tenant: Any) -> None:
    person = _person(tenant)
    recruiter = _recruiter(tenant)
    by_person = _reference(tenant, kind="candidate", person_id=person["id"], note="Spoke at the meetup")
    by_recruiter = _reference(tenant, kind="employee", recruiter_id=recruiter["id"])
    outsider = _reference(tenant, name="  Kari Nordmann ", email="Kari@Example.NO")
    no_email = _reference(tenant, kind="client", name="Per Hansen")

    assert (by_person["person_id"], by_person["display_name"], by_person["note"]) == (
        person["id"], "Åse Øvrebø", "Spoke at the meetup")
    assert (by_recruiter["recruiter_id"], by_recruiter["display_name"]) == (recruiter["id"], "Rita Rekrutterer")
    assert (outsider["name"], outsider["email"], outsider["display_name"]) == (
        "Kari Nordmann", "kari@example.no", "Kari Nordmann")
    assert (no_email["email"], no_email["kind"]) == (None, "client")
    fetched = tenant.get(f"/references/{by_person['id']}")
    assert fetched.status_code == 200
    assert fetched.json == by_person


def test_exactly_one_of_person_recruiter_or_name(tenant: Any) -> None:
    person = _person(tenant)
    none = tenant.post("/references", json={"kind": "outsider", "email": "a@b.no"})
    assert none.status_code == 422
    assert set(none.json["errors"]) == {"person_id", "recruiter_id", "name"}
    several = tenant.post("/references", json={"kind": "outsider", "person_id": person["id"], "name": "X"})
    assert several.status_code == 422
    assert set(several.json["errors"]) == {"person_id", "name"}
    assert tenant.get("/references").json["data"] == []


def test_create_validation_names_every_bad_field(tenant: Any) -> None:
    response = tenant.post("/references", json={
        "kind": "boss", "name": "x" * 201, "email": "not-an-email", "note": 5, "surprise": 1})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"kind", "name", "email", "note", "surprise"}
    blank = tenant.post("/references", json={"kind": "outsider", "name": "   "})
    assert blank.status_code == 422
    assert set(blank.json["errors"]) == {"name"}


def test_patch_validation_names_every_bad_field(tenant: Any) -> None:
    reference = _reference(tenant, name="Kari")
    response = tenant.patch(f"/references/{reference['id']}", json={
        "kind": "boss", "email": "nope", "name": "", "person_id": str(uuid.uuid4())})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"kind", "email", "name", "person_id"}  # the link cannot be changed


def test_list_query_validation_names_every_bad_field(tenant: Any) -> None:
    response = tenant.get("/references", query_string={"kind": "boss", "limit": 0, "cursor": "x" * 1001})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"kind", "limit", "cursor"}


def test_second_reference_for_a_person_or_recruiter_is_409(tenant: Any) -> None:
    person = _person(tenant)
    recruiter = _recruiter(tenant)
    first = _reference(tenant, kind="candidate", person_id=person["id"])
    again = tenant.post("/references", json={"kind": "client", "person_id": person["id"]})
    assert again.status_code == 409
    assert first["id"] in again.json["message"]
    assert set(again.json["errors"]) == {"person_id"}

    mine = _reference(tenant, kind="employee", recruiter_id=recruiter["id"])
    again = tenant.post("/references", json={"kind": "employee", "recruiter_id": recruiter["id"]})
    assert again.status_code == 409
    assert mine["id"] in again.json["message"]
    # Two outsiders may well share a name.
    _reference(tenant, name="Ola Nordmann")
    _reference(tenant, name="Ola Nordmann")


def test_patch_changes_details_but_not_who(tenant: Any) -> None:
    person = _person(tenant)
    linked = _reference(tenant, kind="candidate", person_id=person["id"], email="ase@example.no")
    changed = tenant.patch(f"/references/{linked['id']}", json={"kind": "client", "note": "Now a client",
                                                                  "email": None})
    assert changed.status_code == 200, changed.json
    assert (changed.json["kind"], changed.json["note"], changed.json["email"]) == ("client", "Now a client", None)
    assert (changed.json["person_id"], changed.json["display_name"]) == (person["id"], "Åse Øvrebø")
    named = tenant.patch(f"/references/{linked['id']}", json={"name": "Someone else"})
    assert named.status_code == 422
    assert set(named.json["errors"]) == {"name"}

    outsider = _reference(tenant, name="Kari")
    renamed = tenant.patch(f"/references/{outsider['id']}", json={"name": "Kari Nordmann", "email": "K@N.no"})
    assert renamed.status_code == 200
    assert (renamed.json["display_name"], renamed.json["email"]) == ("Kari Nordmann", "k@n.no")
    assert tenant.get(f"/references/{outsider['id']}").json["display_name"] == "Kari Nordmann"
    assert tenant.patch(f"/references/{uuid.uuid4()}", json={"note": "x"}).status_code == 404


def test_filter_by_kind_and_paginate(tenant: Any) -> None:
    made = [_reference(tenant, kind="client" if i % 2 else "employee", name=f"Referrer {i}") for i in range(7)]
    everyone = tenant.walk("/references", limit=3)
    assert len(everyone) == 7
    assert {r["id"] for r in everyone} == {r["id"] for r in made}  # each once
    clients = tenant.walk("/references", {"kind": "client"}, limit=2)
    assert sorted(r["display_name"] for r in clients) == ["Referrer 1", "Referrer 3", "Referrer 5"]


@contextmanager
def _counting(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = get_state(app).engine

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_display_names_of_a_page_take_no_query_per_row(app: Flask, tenant: Any) -> None:
    _reference(tenant, name="Outsider")
    _reference(tenant, kind="employee", recruiter_id=_recruiter(tenant)["id"])
    _reference(tenant, kind="candidate", person_id=_person(tenant)["id"])
    with _counting(app) as small:
        assert len(tenant.get("/references", query_string={"limit": 1}).json["data"]) == 1
    for i in range(3):
        _reference(tenant, kind="candidate", person_id=_person(tenant, f"P{i}")["id"])
        _reference(tenant, kind="employee", recruiter_id=_recruiter(tenant, f"R{i}", f"r{i}@acme.no")["id"])
    with _counting(app) as large:
        page = tenant.get("/references").json["data"]
    assert len(page) == 9
    assert {r["display_name"] for r in page} >= {"Outsider", "Rita Rekrutterer", "Åse Øvrebø", "P2 Øvrebø", "R2"}
    assert len(large) == len(small)


def test_tenant_isolation(tenant: Any, other_tenant: Any) -> None:
    their_person = _person(other_tenant)
    their_recruiter = _recruiter(other_tenant)
    theirs = _reference(other_tenant, name="Their outsider")
    mine = _reference(tenant, name="My outsider")

    response = tenant.post("/references", json={"kind": "candidate", "person_id": their_person["id"]})
    assert response.status_code == 422
    assert response.json["errors"] == {"person_id": ["Unknown id."]}
    response = tenant.post("/references", json={"kind": "employee", "recruiter_id": their_recruiter["id"]})
    assert response.status_code == 422
    assert response.json["errors"] == {"recruiter_id": ["Unknown id."]}
    assert tenant.get(f"/references/{theirs['id']}").status_code == 404
    assert tenant.patch(f"/references/{theirs['id']}", json={"note": "mine now"}).status_code == 404
    assert other_tenant.get(f"/references/{theirs['id']}").json["note"] == ""
    assert [r["id"] for r in tenant.get("/references").json["data"]] == [mine["id"]]
    assert [r["id"] for r in tenant.get("/references", query_string={"kind": "outsider"}).json["data"]] == [
        mine["id"]]
    # The same person may be a reference in each tenant.
    _reference(other_tenant, kind="candidate", person_id=their_person["id"])


def test_writes_are_audited_by_field_name_only(tenant: Any, session: Session) -> None:
    reference = _reference(tenant, name="Kari Nordmann", email="kari@example.no")
    tenant.patch(f"/references/{reference['id']}", json={"note": "Met at NDC"})
    events = session.scalars(select(AuditEvent).where(AuditEvent.entity_id == uuid.UUID(reference["id"]))
                             .order_by(AuditEvent.at, AuditEvent.id)).all()
    assert [(e.action, e.entity_type, e.details, e.tenant_id) for e in events] == [
        ("create", "reference", {"fields": ["email", "kind", "name"]}, tenant.id),
        ("update", "reference", {"fields": ["note"]}, tenant.id),
    ]
