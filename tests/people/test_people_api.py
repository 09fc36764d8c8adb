"""People and touchpoints over the REST API."""

from __future__ import annotations

from typing import Any


def _person(t: Any, **fields: Any) -> dict:
    return t.create("/people", {"first_name": "Åse", "last_name": "Øvrebø", "emails": ["ase@example.no"],
                                "employer": "Equinor", "title": "Data engineer", **fields})


def test_create_read_update_delete(tenant: Any) -> None:
    person = _person(tenant, work_history=[{"employer": "Telenor", "title": "Analyst", "start": "2019-01-01"}])
    assert person["full_name"] == "Åse Øvrebø"
    assert person["emails"] == ["ase@example.no"]
    assert person["status"] == "passive"
    assert person["work_history"] == [{"employer": "Telenor", "title": "Analyst", "start": "2019-01-01"}]

    fetched = tenant.get(f"/people/{person['id']}").json
    assert fetched["id"] == person["id"]

    changed = tenant.patch(f"/people/{person['id']}", json={"title": "Lead", "emails": ["ase@work.no"]})
    assert changed.status_code == 200
    assert changed.json["title"] == "Lead"
    assert changed.json["emails"] == ["ase@work.no"]
    assert changed.json["employer"] == "Equinor"  # untouched by the patch

    assert tenant.delete(f"/people/{person['id']}").status_code == 204
    assert tenant.get(f"/people/{person['id']}").status_code == 404


def test_search_by_name_email_and_employer(tenant: Any) -> None:
    _person(tenant)
    _person(tenant, first_name="Ola", last_name="Nordmann", emails=["ola@dnb.no"], employer="DNB")
    _person(tenant, first_name="Kari", last_name="Hansen", emails=[], employer="Equinor ASA")

    def names(q: str) -> list[str]:
        response = tenant.get("/people", query_string={"q": q})
        assert response.status_code == 200
        return sorted(p["full_name"] for p in response.json["data"])

    assert names("åse") == ["Åse Øvrebø"]
    assert names("nordm") == ["Ola Nordmann"]
    assert names("ola@") == ["Ola Nordmann"]
    assert names("equinor") == ["Kari Hansen", "Åse Øvrebø"]
    assert names("%") == []  # LIKE wildcards are searched for literally


def test_cursor_pagination_visits_everyone_once(tenant: Any) -> None:
    for i in range(7):
        _person(tenant, first_name=f"Person{i}", emails=[f"p{i}@example.no"])
    seen = [p["id"] for p in tenant.walk("/people", limit=3)]
    assert len(seen) == 7 == len(set(seen))


def test_bad_cursor_is_422(tenant: Any) -> None:
    response = tenant.get("/people", query_string={"cursor": "not-a-cursor"})
    assert response.status_code == 422
    assert "cursor" in response.json["errors"]


def test_touchpoints_newest_first(tenant: Any) -> None:
    person = _person(tenant)
    for day in ("2026-01-05", "2026-03-01", "2026-02-10"):
        tenant.create(f"/people/{person['id']}/touchpoints",
                      {"kind": "meeting", "occurred_at": f"{day}T10:00:00+01:00", "summary": day})
    body = tenant.get(f"/people/{person['id']}/touchpoints").json
    assert [t["summary"] for t in body["data"]] == ["2026-03-01", "2026-02-10", "2026-01-05"]
    assert body["data"][0]["occurred_at"].startswith("2026-03-01T09:00:00")  # stored and shown in UTC


def test_duplicate_email_is_409(tenant: Any) -> None:
    _person(tenant)
    response = tenant.post("/people", json={"first_name": "Other", "emails": ["ASE@example.no"]})
    assert response.status_code == 409
    assert response.json["code"] == 409
    assert response.json["errors"] == {"emails": ["ase@example.no"]}


def test_same_email_in_two_tenants_is_fine(tenant: Any, other_tenant: Any) -> None:
    _person(tenant)
    _person(other_tenant)


def test_validation_names_every_bad_field(tenant: Any) -> None:
    response = tenant.post("/people", json={
        "last_name": "x" * 101, "emails": ["not-an-email"], "linkedin_url": "nope", "status": "famous",
        "collected_at": "yesterday", "work_history": [{"title": "No employer"}], "surprise": 1,
        "owner_id": "not-a-uuid"})
    assert response.status_code == 422
    body = response.json
    assert body["status"] == "Unprocessable Entity"
    assert set(body["errors"]) == {"first_name", "last_name", "emails.0", "linkedin_url", "status", "collected_at",
                                   "work_history.0.employer", "surprise", "owner_id"}


def test_nul_characters_are_a_validation_error(tenant: Any) -> None:
    response = tenant.post("/people", json={"first_name": "Nul\x00l"})
    assert response.status_code == 422
    assert "first_name" in response.json["errors"]


def test_owner_from_another_tenant_is_rejected(tenant: Any, other_tenant: Any) -> None:
    theirs = other_tenant.post("/recruiters", json={"email": "r@rival.no", "name": "R"}).json
    response = tenant.post("/people", json={"first_name": "A", "owner_id": theirs["id"]})
    assert response.status_code == 422
    assert response.json["errors"] == {"owner_id": ["Unknown id."]}


def test_datetimes_come_back_in_utc_and_absurd_ones_are_422(tenant: Any) -> None:
    person = _person(tenant, collected_at="2026-05-01T08:00:00+02:00")
    assert person["collected_at"].startswith("2026-05-01T06:00:00")
    assert tenant.get(f"/people/{person['id']}").json["collected_at"] == person["collected_at"]
    response = tenant.patch(f"/people/{person['id']}", json={"collected_at": "9999-12-31T23:59:59-14:00"})
    assert response.status_code == 422
    assert "collected_at" in response.json["errors"]


def test_touchpoint_pages_follow_time(tenant: Any) -> None:
    person = _person(tenant)
    for day in range(1, 6):
        tenant.post(f"/people/{person['id']}/touchpoints",
                    json={"kind": "call", "occurred_at": f"2026-01-0{day}T10:00:00Z", "summary": str(day)})
    first = tenant.get(f"/people/{person['id']}/touchpoints", query_string={"limit": 2}).json
    second = tenant.get(f"/people/{person['id']}/touchpoints",
                        query_string={"limit": 2, "cursor": first["next_cursor"]}).json
    assert [t["summary"] for t in first["data"] + second["data"]] == ["5", "4", "3", "2"]


def test_touchpoint_and_query_validation(tenant: Any) -> None:
    person = _person(tenant)
    response = tenant.post(f"/people/{person['id']}/touchpoints", json={"kind": "gossip", "summary": 5,
                                                                         "recruiter_id": "x", "extra": True})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"kind", "occurred_at", "summary", "recruiter_id", "extra"}
    response = tenant.get("/people", query_string={"status": "famous", "limit": 0, "owner_id": "x"})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"status", "limit", "owner_id"}
