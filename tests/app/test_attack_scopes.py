"""A key without the admin scope is no admin: it cannot manage recruiters, mint launch URLs or a recruiter's
calendar feed, so it can neither make itself an admin account nor take one over. And whatever an ATS or the
token exchange launches, the sidebar's queue link signs in nobody but the recruiter that launch was verified
for, and never anyone on the word of an API key alone."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from plugin.extension import get_state
from plugin.tenancy import tenants
from tests.sidebar_support import TOKEN_META, act, open_sidebar

QUEUE_LINK = re.compile(r'<a href="([^"]+)"[^>]*id="open-queue"')
LACKS_ADMIN = "This API key lacks the 'admin' scope."


def _key(app: Flask, tenant: Any, *scopes: str) -> dict[str, str]:
    with get_state(app).sessions() as session:
        key = tenants.create_api_key(session, tenant.id, "-".join(scopes), scopes)
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def write_key(app: Flask, tenant: Any) -> dict[str, str]:
    return _key(app, tenant, "read", "write")


@pytest.fixture
def boss(tenant: Any) -> dict:
    return tenant.create("/recruiters", {"email": "boss@acme.no", "name": "Bo Boss", "is_admin": True,
                                         "language": "en"})


@pytest.fixture
def person(tenant: Any, boss: dict) -> dict:
    return tenant.create("/people", {"first_name": "Ola", "last_name": "Hansen", "owner_id": boss["id"]})


def _refused(response: Any) -> None:
    assert response.status_code == 403, response.json
    assert response.json["message"] == LACKS_ADMIN


def _signed_in_as(client: FlaskClient) -> str | None:
    with client.session_transaction() as session:
        return session.get("brobygger_recruiter_id")


def test_a_write_key_cannot_add_a_recruiter_let_alone_an_admin(client: FlaskClient, tenant: Any, boss: dict,
                                                               write_key: dict[str, str]) -> None:
    for body in ({"email": "mallory@evil.example", "name": "Mallory", "is_admin": True},
                 {"email": "mallory@evil.example", "name": "Mallory"}):
        _refused(client.post("/api/v1/recruiters", headers=write_key, json=body))
    assert [r["email"] for r in tenant.walk("/recruiters")] == ["boss@acme.no"]


def test_a_write_key_cannot_take_over_an_admin_account(client: FlaskClient, tenant: Any, boss: dict,
                                                       write_key: dict[str, str]) -> None:
    clerk = tenant.create("/recruiters", {"email": "clerk@acme.no", "name": "Clerk"})
    _refused(client.patch(f"/api/v1/recruiters/{boss['id']}", headers=write_key,
                          json={"email": "mallory@evil.example"}))  # then a magic link would go to Mallory
    _refused(client.patch(f"/api/v1/recruiters/{clerk['id']}", headers=write_key, json={"is_admin": True}))
    _refused(client.post(f"/api/v1/recruiters/{boss['id']}/calendar-token", headers=write_key))
    assert tenant.get(f"/recruiters/{boss['id']}").json["email"] == "boss@acme.no"
    assert tenant.get(f"/recruiters/{clerk['id']}").json["is_admin"] is False
    reading = client.get(f"/api/v1/recruiters/{boss['id']}", headers=write_key)
    assert reading.status_code == 200  # reading the team stays a read
    changed = tenant.patch(f"/recruiters/{clerk['id']}", json={"is_admin": True})  # the admin key may
    assert changed.status_code == 200 and changed.json["is_admin"] is True


def test_a_write_key_cannot_mint_a_launch_url(client: FlaskClient, tenant: Any, person: dict,
                                              write_key: dict[str, str]) -> None:
    _refused(client.post("/api/v1/sidebar/launch-urls", headers=write_key,
                         json={"sub": "boss@acme.no", "ctx": {"person_id": person["id"]}}))


def test_a_launch_url_from_the_api_signs_nobody_in(client: FlaskClient, tenant: Any, person: dict) -> None:
    made = tenant.post("/sidebar/launch-urls", json={"sub": "boss@acme.no", "ctx": {"person_id": person["id"]}})
    assert made.status_code == 201, made.json
    page = client.get(urlsplit(made.json["url"]).path + "?" + urlsplit(made.json["url"]).query, follow_redirects=True)
    assert page.status_code == 200 and "Ola Hansen" in page.get_data(as_text=True)
    link = QUEUE_LINK.search(page.get_data(as_text=True))
    assert link, "the sidebar shows no queue link"
    client.get(urlsplit(link.group(1)).path)
    assert _signed_in_as(client) is None
    token = TOKEN_META.search(page.get_data(as_text=True))
    assert token
    touched = act(client, token.group(1), "touch", {"summary": "Prat"})  # the re-rendered body neither
    assert touched.status_code == 200 and QUEUE_LINK.search(touched.json["html"]).group(1) == link.group(1)
    queue = client.get("/queue")
    assert queue.status_code == 302 and "/login" in queue.headers["Location"]


def test_the_queue_link_signs_in_only_the_recruiter_the_launch_names(client: FlaskClient, tenant: Any,
                                                                     person: dict) -> None:
    """Another account whose ATS user id reads like the launching recruiter's e-mail must not win the launch."""
    tenant.create("/recruiters", {"email": "eve@acme.no", "name": "Eve",
                                  "ats_user_ids": {"greenhouse": "kari@acme.no"}})
    kari = tenant.create("/recruiters", {"email": "kari@acme.no", "name": "Kari", "language": "en"})
    page, token = open_sidebar(client, tenant, {"person_id": person["id"]}, sub="kari@acme.no")
    link = QUEUE_LINK.search(page.get_data(as_text=True))
    assert page.status_code == 200 and link
    touched = act(client, token, "touch", {"summary": "Prat"})  # an ATS launch keeps its hand-off after actions
    assert "/login/" in QUEUE_LINK.search(touched.json["html"]).group(1)
    assert client.get(urlsplit(link.group(1)).path).status_code == 302
    assert _signed_in_as(client) == kari["id"]
