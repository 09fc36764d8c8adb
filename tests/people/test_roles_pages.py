"""Role pages: create a role, move it through its statuses (only allowed moves; an illegal one shows the
error), keep a shortlist with a note per person, and see explained suggestions of passive candidates."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.pages import make_recruiter, post_form, sign_in


@pytest.fixture
def me(app: Flask, client: FlaskClient, tenant: Any) -> dict:
    recruiter = make_recruiter(tenant)
    sign_in(app, client, recruiter["id"])
    return recruiter


def _create(client: FlaskClient, **fields: str) -> str:
    response = post_form(client, "/roles", {"title": "Head of Data", **fields})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.location.rsplit("/", 1)[1]


def _buttons(html: str) -> list[str]:
    return re.findall(r'<button type="submit" name="status" value="(\w+)"', html)


def test_create_and_list_roles(client: FlaskClient, tenant: Any, me: dict) -> None:
    role_id = _create(client, status="confidential", expected_opening_on="2031-02-01", location="Oslo",
                      keywords="python, sql", description="Build the data team.")
    role = tenant.get(f"/roles/{role_id}").json
    assert role["status"] == "confidential" and role["keywords"] == ["python", "sql"]
    assert role["owner_id"] == me["id"] and role["expected_opening_on"] == "2031-02-01"
    page = client.get(f"/roles/{role_id}").get_data(as_text=True)
    assert "Head of Data" in page and "Role created." in page and "Build the data team." in page
    _create(client, title="Nurse")
    listing = client.get("/roles").get_data(as_text=True)
    assert "Head of Data" in listing and "Nurse" in listing
    confidential = client.get("/roles?status=confidential").get_data(as_text=True)
    assert "Head of Data" in confidential and "Nurse" not in confidential


def test_create_shows_field_errors(client: FlaskClient, me: dict) -> None:
    response = post_form(client, "/roles", {"title": "", "expected_opening_on": "soon"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="err-title"' in html and 'id="err-expected_opening_on"' in html
    assert post_form(client, "/roles", {"title": "X", "status": "secret"}).status_code == 422


def test_status_moves_only_forward(client: FlaskClient, tenant: Any, me: dict) -> None:
    role_id = _create(client)
    assert _buttons(client.get(f"/roles/{role_id}").get_data(as_text=True)) == [
        "confidential", "advertised", "filled", "dropped"]
    moved = post_form(client, f"/roles/{role_id}/status", {"status": "advertised"})
    assert moved.status_code == 302
    page = client.get(f"/roles/{role_id}").get_data(as_text=True)
    assert _buttons(page) == ["filled", "dropped"] and "Status changed to advertised." in page

    illegal = post_form(client, f"/roles/{role_id}/status", {"status": "confidential"})
    assert illegal.status_code == 409
    assert "A role cannot move from advertised to confidential." in illegal.get_data(as_text=True)
    assert tenant.get(f"/roles/{role_id}").json["status"] == "advertised"

    post_form(client, f"/roles/{role_id}/status", {"status": "filled"})
    assert _buttons(client.get(f"/roles/{role_id}").get_data(as_text=True)) == []
    assert post_form(client, f"/roles/{role_id}/status", {"status": "anticipated"}).status_code == 409


def test_shortlist_add_with_a_note_and_remove(client: FlaskClient, tenant: Any, me: dict) -> None:
    ingrid = tenant.create("/people", {"first_name": "Ingrid", "last_name": "Ås", "employer": "Vipps"})
    tenant.create("/people", {"first_name": "Per", "last_name": "Hansen"})
    role_id = _create(client)
    found = client.get(f"/roles/{role_id}?q=ingr").get_data(as_text=True)
    assert "Ingrid Ås" in found and "Per Hansen" not in found
    assert f'name="person_id" value="{ingrid["id"]}"' in found

    added = post_form(client, f"/roles/{role_id}/shortlist", {"person_id": ingrid["id"], "note": "Led Vipps data"})
    assert added.status_code == 302
    page = client.get(f"/roles/{role_id}").get_data(as_text=True)
    assert "Ingrid Ås" in page and "Led Vipps data" in page
    assert [e["note"] for e in tenant.get(f"/roles/{role_id}/shortlist").json["data"]] == ["Led Vipps data"]

    again = post_form(client, f"/roles/{role_id}/shortlist", {"person_id": ingrid["id"]})
    assert again.status_code == 409 and "on the shortlist already" in again.get_data(as_text=True)
    assert post_form(client, f"/roles/{role_id}/shortlist", {"person_id": str(uuid.uuid4())}).status_code == 422

    removed = post_form(client, f"/roles/{role_id}/shortlist/{ingrid['id']}/remove")
    assert removed.status_code == 302
    assert tenant.get(f"/roles/{role_id}/shortlist").json["data"] == []
    assert "Nobody shortlisted yet." in client.get(f"/roles/{role_id}").get_data(as_text=True)


def test_suggestions_explain_which_words_matched(client: FlaskClient, tenant: Any, me: dict) -> None:
    tenant.create("/people", {"first_name": "Dina", "last_name": "Data", "title": "Data engineer",
                              "location": "Oslo"})
    tenant.create("/people", {"first_name": "Otto", "last_name": "Other", "title": "Chef"})
    role_id = _create(client, title="Data engineer", location="Oslo")
    html = client.get(f"/roles/{role_id}").get_data(as_text=True)
    suggestions = html[html.index("Suggested passive candidates"):]
    assert "Dina Data" in suggestions and "Otto Other" not in suggestions
    assert re.search(r"title: data, engineer", suggestions), suggestions


def test_role_pages_are_walled_and_need_csrf(client: FlaskClient, tenant: Any, other_tenant: Any,
                                             me: dict) -> None:
    theirs = other_tenant.create("/roles", {"title": "Secret role"})
    assert client.get(f"/roles/{theirs['id']}").status_code == 404
    assert post_form(client, f"/roles/{theirs['id']}/status", {"status": "dropped"}).status_code == 404
    assert other_tenant.get(f"/roles/{theirs['id']}").json["status"] == "anticipated"
    assert "Secret role" not in client.get("/roles").get_data(as_text=True)
    assert client.post("/roles", data={"title": "No token"}).status_code == 400


def test_role_pages_need_a_signed_in_recruiter(client: FlaskClient) -> None:
    assert client.get("/roles").status_code == 302
