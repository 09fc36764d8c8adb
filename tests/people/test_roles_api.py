"""Roles and shortlists over the REST API."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.models import AuditEvent

FORWARD = [
    ("anticipated", "confidential"), ("anticipated", "advertised"), ("anticipated", "filled"),
    ("anticipated", "dropped"), ("confidential", "advertised"), ("confidential", "filled"),
    ("confidential", "dropped"), ("advertised", "filled"), ("advertised", "dropped"), ("dropped", "anticipated"),
]
BACKWARD = [
    ("confidential", "anticipated"), ("advertised", "anticipated"), ("advertised", "confidential"),
    ("filled", "anticipated"), ("filled", "advertised"), ("filled", "dropped"), ("dropped", "confidential"),
    ("dropped", "advertised"), ("dropped", "filled"),
]


def _role(t: Any, title: str = "Data engineer", **fields: Any) -> dict:
    return t.create("/roles", {"title": title, **fields})


def _person(t: Any, first_name: str = "Åse", last_name: str = "Øvrebø") -> dict:
    return t.create("/people", {"first_name": first_name, "last_name": last_name})


def _recruiter(t: Any, email: str = "rita@example.no") -> dict:
    return t.create("/recruiters", {"email": email, "name": "Rita"})


def test_create_read_update(tenant: Any) -> None:
    owner = _recruiter(tenant)
    role = _role(tenant, "Platform lead", description="Not public yet", expected_opening_on="2030-09-01",
                 location="Oslo", keywords=["kubernetes", "go"], owner_id=owner["id"])
    assert role["status"] == "anticipated"
    assert (role["expected_opening_on"], role["location"], role["keywords"]) == ("2030-09-01", "Oslo",
                                                                                 ["kubernetes", "go"])
    assert role["owner_id"] == owner["id"]
    assert tenant.get(f"/roles/{role['id']}").json == role

    changed = tenant.patch(f"/roles/{role['id']}", json={"title": "Head of platform", "keywords": []})
    assert changed.status_code == 200, changed.json
    assert (changed.json["title"], changed.json["keywords"]) == ("Head of platform", [])
    assert changed.json["description"] == "Not public yet"  # untouched by the patch
    assert tenant.get(f"/roles/{role['id']}").json["title"] == "Head of platform"

    minimal = _role(tenant)
    assert (minimal["description"], minimal["keywords"], minimal["owner_id"]) == ("", [], None)
    assert minimal["expected_opening_on"] is None


def test_create_validation_names_every_bad_field(tenant: Any) -> None:
    response = tenant.post("/roles", json={
        "title": "", "status": "secret", "expected_opening_on": "next spring", "location": "x" * 201,
        "keywords": [""], "owner_id": "rita", "salary": 1})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"title", "status", "expected_opening_on", "location", "keywords.0",
                                            "owner_id", "salary"}


def test_patch_validation_names_every_bad_field(tenant: Any) -> None:
    role = _role(tenant)
    response = tenant.patch(f"/roles/{role['id']}", json={"title": None, "status": "open", "keywords": "go"})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"title", "status", "keywords"}
    assert tenant.get(f"/roles/{role['id']}").json == role


def test_another_tenants_owner_is_422(tenant: Any, other_tenant: Any) -> None:
    theirs = _recruiter(other_tenant)
    response = tenant.post("/roles", json={"title": "Analyst", "owner_id": theirs["id"]})
    assert response.status_code == 422
    assert response.json["errors"] == {"owner_id": ["Unknown id."]}
    role = _role(tenant)
    response = tenant.patch(f"/roles/{role['id']}", json={"owner_id": theirs["id"]})
    assert response.status_code == 422
    assert response.json["errors"] == {"owner_id": ["Unknown id."]}


@pytest.mark.parametrize(("start", "end"), FORWARD)
def test_status_moves_forward(tenant: Any, start: str, end: str) -> None:
    role = _role(tenant, status=start)
    response = tenant.patch(f"/roles/{role['id']}", json={"status": end})
    assert response.status_code == 200, response.json
    assert tenant.get(f"/roles/{role['id']}").json["status"] == end


@pytest.mark.parametrize(("start", "end"), BACKWARD)
def test_status_never_moves_back(tenant: Any, start: str, end: str) -> None:
    role = _role(tenant, status=start)
    response = tenant.patch(f"/roles/{role['id']}", json={"status": end, "title": "Renamed"})
    assert response.status_code == 409
    assert start in response.json["message"] and end in response.json["message"]
    after = tenant.get(f"/roles/{role['id']}").json
    assert (after["status"], after["title"]) == (start, "Data engineer")  # nothing of the patch applied


@pytest.mark.parametrize("status", ["anticipated", "confidential", "advertised", "filled", "dropped"])
def test_same_status_is_a_no_op(tenant: Any, status: str) -> None:
    role = _role(tenant, status=status)
    response = tenant.patch(f"/roles/{role['id']}", json={"status": status, "location": "Bergen"})
    assert response.status_code == 200, response.json
    assert (response.json["status"], response.json["location"]) == (status, "Bergen")


def test_list_filters_and_orders(tenant: Any) -> None:
    _role(tenant, "Cloud architect", status="advertised")
    _role(tenant, "Analyst")
    _role(tenant, "Backend developer", status="advertised")

    def titles(**query: Any) -> list[str]:
        response = tenant.get("/roles", query_string=query)
        assert response.status_code == 200, response.json
        return [r["title"] for r in response.json["data"]]

    assert titles() == ["Cloud architect", "Analyst", "Backend developer"]  # oldest first
    assert titles(order="title") == ["Analyst", "Backend developer", "Cloud architect"]
    assert titles(status="advertised") == ["Cloud architect", "Backend developer"]
    assert titles(status="advertised", order="title") == ["Backend developer", "Cloud architect"]
    assert titles(status="filled") == []


@pytest.mark.parametrize("order", ["created_at", "title"])
def test_list_paginates(tenant: Any, order: str) -> None:
    made = [_role(tenant, f"Role {i % 3}")["id"] for i in range(7)]  # repeated titles: the id breaks ties
    seen: list[dict] = []
    cursor = None
    while True:
        query = {"limit": 3, "order": order, **({"cursor": cursor} if cursor else {})}
        body = tenant.get("/roles", query_string=query).json
        assert len(body["data"]) <= 3
        seen += body["data"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    ids = [r["id"] for r in seen]
    assert sorted(ids) == sorted(made)
    assert ids == (made if order == "created_at" else sorted(made, key=lambda i: (made.index(i) % 3, i)))


def test_list_query_validation_names_every_bad_field(tenant: Any) -> None:
    response = tenant.get("/roles", query_string={"status": "open", "order": "salary", "limit": 501, "x": 1})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"status", "order", "limit", "x"}


def test_shortlist_add_list_remove(tenant: Any) -> None:
    role = _role(tenant)
    ase, ola = _person(tenant), _person(tenant, "Ola", "Nordmann")
    added = tenant.create(f"/roles/{role['id']}/shortlist", {"person_id": ase["id"], "note": "Strong on Go"})
    assert (added["person_id"], added["full_name"], added["note"]) == (
        ase["id"], "Åse Øvrebø", "Strong on Go")
    tenant.post(f"/roles/{role['id']}/shortlist", json={"person_id": ola["id"]})

    listed = tenant.get(f"/roles/{role['id']}/shortlist").json
    assert [(e["full_name"], e["note"]) for e in listed["data"]] == [("Åse Øvrebø", "Strong on Go"),
                                                                    ("Ola Nordmann", "")]
    assert listed["data"][0]["added_at"] == added["added_at"]
    assert listed["next_cursor"] is None
    first = tenant.get(f"/roles/{role['id']}/shortlist", query_string={"limit": 1}).json
    rest = tenant.get(f"/roles/{role['id']}/shortlist", query_string={"limit": 1, "cursor": first["next_cursor"]})
    assert [e["person_id"] for e in first["data"] + rest.json["data"]] == [ase["id"], ola["id"]]

    assert tenant.delete(f"/roles/{role['id']}/shortlist/{ase['id']}").status_code == 204
    assert [e["person_id"] for e in tenant.get(f"/roles/{role['id']}/shortlist").json["data"]] == [ola["id"]]
    again = tenant.delete(f"/roles/{role['id']}/shortlist/{ase['id']}")
    assert again.status_code == 404
    assert again.json["code"] == 404


def test_shortlist_rejects_duplicates_foreign_people_and_bad_input(tenant: Any, other_tenant: Any) -> None:
    role = _role(tenant)
    person = _person(tenant)
    tenant.post(f"/roles/{role['id']}/shortlist", json={"person_id": person["id"]})
    duplicate = tenant.post(f"/roles/{role['id']}/shortlist", json={"person_id": person["id"], "note": "again"})
    assert duplicate.status_code == 409
    assert duplicate.json["errors"] == {"person_id": ["Already listed."]}

    foreign = tenant.post(f"/roles/{role['id']}/shortlist", json={"person_id": _person(other_tenant)["id"]})
    assert foreign.status_code == 422
    assert foreign.json["errors"] == {"person_id": ["Unknown id."]}

    invalid = tenant.post(f"/roles/{role['id']}/shortlist", json={"note": "x" * 2001, "rank": 1})
    assert invalid.status_code == 422
    assert set(invalid.json["errors"]) == {"person_id", "note", "rank"}
    assert len(tenant.get(f"/roles/{role['id']}/shortlist").json["data"]) == 1


def test_another_tenants_role_is_404_everywhere(tenant: Any, other_tenant: Any) -> None:
    theirs = _role(other_tenant, "Their secret role")
    their_person = _person(other_tenant)
    other_tenant.post(f"/roles/{theirs['id']}/shortlist", json={"person_id": their_person["id"]})
    mine = _role(tenant)
    my_person = _person(tenant)
    path = f"/roles/{theirs['id']}"

    for response in [tenant.get(path), tenant.patch(path, json={"title": "Mine now"}),
                     tenant.get(f"{path}/shortlist"),
                     tenant.post(f"{path}/shortlist", json={"person_id": my_person["id"]}),
                     tenant.delete(f"{path}/shortlist/{their_person['id']}")]:
        assert response.status_code == 404
        assert response.json["code"] == 404
    assert [r["id"] for r in tenant.get("/roles").json["data"]] == [mine["id"]]
    assert [r["id"] for r in other_tenant.get("/roles").json["data"]] == [theirs["id"]]
    assert other_tenant.get(path).json["title"] == "Their secret role"
    assert [e["person_id"] for e in other_tenant.get(f"{path}/shortlist").json["data"]] == [their_person["id"]]
    assert tenant.delete(f"/roles/{mine['id']}/shortlist/{their_person['id']}").status_code == 404


def test_writes_are_audited_by_field_name(tenant: Any, session: Session) -> None:
    role = _role(tenant, "Secret title", location="Oslo")
    person = _person(tenant)
    tenant.patch(f"/roles/{role['id']}", json={"status": "confidential"})
    tenant.post(f"/roles/{role['id']}/shortlist", json={"person_id": person["id"]})
    tenant.delete(f"/roles/{role['id']}/shortlist/{person['id']}")
    events = session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "role",
                                                      AuditEvent.entity_id == uuid.UUID(role["id"]))
                             .order_by(AuditEvent.at, AuditEvent.id)).all()
    assert [(e.action, e.details["fields"]) for e in events] == [
        ("create", ["location", "title"]), ("update", ["status"]), ("update", ["shortlist"]),
        ("update", ["shortlist"])]
    assert "Secret" not in repr([e.details for e in events])
