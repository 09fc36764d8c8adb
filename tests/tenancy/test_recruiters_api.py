"""Recruiters over the REST API."""

from __future__ import annotations

from typing import Any


def test_add_list_update(tenant: Any) -> None:
    made = tenant.post("/recruiters", json={"email": "Kari@Acme.no", "name": "Kari Nordmann", "language": "en",
                                            "time_zone": "Europe/London", "ats_user_ids": {"greenhouse": "4711"}})
    assert made.status_code == 201, made.json
    assert made.json["email"] == "kari@acme.no"
    assert made.json["is_admin"] is False and made.json["active"] is True
    changed = tenant.patch(f"/recruiters/{made.json['id']}", json={"name": "Kari N.", "is_admin": True})
    assert changed.status_code == 200
    assert (changed.json["name"], changed.json["is_admin"], changed.json["language"]) == ("Kari N.", True, "en")
    listed = tenant.get("/recruiters").json
    assert [r["id"] for r in listed["data"]] == [made.json["id"]] and listed["next_cursor"] is None


def test_defaults_are_oslo_and_bokmaal(tenant: Any) -> None:
    made = tenant.post("/recruiters", json={"email": "ola@acme.no", "name": "Ola"}).json
    assert (made["time_zone"], made["language"]) == ("Europe/Oslo", "nb")


def test_same_email_twice_is_409_also_by_patch(tenant: Any) -> None:
    tenant.post("/recruiters", json={"email": "a@acme.no", "name": "A"})
    second = tenant.post("/recruiters", json={"email": "b@acme.no", "name": "B"}).json
    assert tenant.post("/recruiters", json={"email": "A@acme.no", "name": "A2"}).status_code == 409
    response = tenant.patch(f"/recruiters/{second['id']}", json={"email": "a@acme.no"})
    assert response.status_code == 409
    assert response.json["errors"] == {"email": ["Taken."]}


def test_validation_names_every_bad_field(tenant: Any) -> None:
    response = tenant.post("/recruiters", json={"email": "nope", "time_zone": "Mars/Olympus", "language": "de",
                                                "ats_user_ids": {"greenhouse": ""}, "is_admin": "maybe",
                                                "colour": "blue"})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"email", "name", "time_zone", "language", "ats_user_ids.greenhouse.value",
                                            "is_admin", "colour"}


def test_region_and_e_mail_preferences_are_set_over_the_api_and_checked(tenant: Any) -> None:
    made = tenant.post("/recruiters", json={"email": "jo@acme.no", "name": "Jo", "language": "en"}).json
    assert (made["region"], made["digest_time"], made["digest_enabled"]) == (None, "07:30", True)
    changed = tenant.patch(f"/recruiters/{made['id']}", json={
        "region": "US", "digest_time": "06:45", "digest_enabled": False, "monthly_report_enabled": False})
    assert changed.status_code == 200, changed.json
    assert (changed.json["region"], changed.json["digest_time"], changed.json["digest_enabled"],
            changed.json["monthly_report_enabled"]) == ("US", "06:45", False, False)
    assert tenant.patch(f"/recruiters/{made['id']}", json={"region": None}).json["region"] is None
    refused = tenant.patch(f"/recruiters/{made['id']}", json={"region": "us", "digest_time": "24:00"})
    assert refused.status_code == 422
    assert set(refused.json["errors"]) == {"region", "digest_time"}
    assert tenant.get(f"/recruiters/{made['id']}").json["digest_time"] == "06:45"
