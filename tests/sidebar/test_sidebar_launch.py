"""Signed sidebar launches: a valid token opens the person; every kind of bad token is refused with 401."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
import pytest

from plugin.sidebar.launch import LAUNCH_PATH, query_hash


@pytest.fixture
def person(tenant: Any) -> dict:
    tenant.post("/recruiters", json={"email": "kari@acme.no", "name": "Kari", "ats_user_ids": {"gh": "4711"}})
    person = tenant.post("/people", json={"first_name": "Øystein", "last_name": "Bråten",
                                          "employer": "Kahoot!"}).json
    tenant.post(f"/people/{person['id']}/touchpoints",
                json={"kind": "meeting", "occurred_at": "2026-10-01T09:00:00Z", "summary": "Kaffe på Grünerløkka"})
    return person


def _token(tenant: Any, person_id: str, **overrides: Any) -> str:
    now = int(time.time())
    claims = {"iss": str(tenant.id), "sub": "kari@acme.no", "ctx": {"person_id": person_id}, "iat": now,
              "exp": now + 120, "jti": uuid.uuid4().hex, "qsh": query_hash("GET", LAUNCH_PATH, [])}
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, overrides.pop("_secret", tenant.sidebar_secret), algorithm="HS256")


def _launch(client: Any, token: str, **query: str) -> Any:
    """The launch, and the sidebar page its redirect leads to."""
    return client.get(LAUNCH_PATH, query_string={"jwt": token, **query}, follow_redirects=True)


def test_valid_launch_shows_the_person_once(client: Any, tenant: Any, person: dict) -> None:
    token = _token(tenant, person["id"])
    launched = client.get(LAUNCH_PATH, query_string={"jwt": token})
    assert launched.status_code == 303 and "jwt" not in launched.headers["Location"]
    response = client.get(launched.headers["Location"])
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Øystein Bråten" in page and "Kaffe på Grünerløkka" in page
    replay = _launch(client, token)
    assert replay.status_code == 401
    assert "used already" in replay.get_data(as_text=True)


def test_recruiter_may_be_named_by_ats_user_id(client: Any, tenant: Any, person: dict) -> None:
    assert _launch(client, _token(tenant, person["id"], sub="4711")).status_code == 200


@pytest.mark.parametrize("case, expected", [
    ("tampered", "signature"),
    ("wrong_secret", "signature"),
    ("expired", "expired"),
    ("too_long", "five minutes"),
    ("missing_qsh", "invalid"),
    ("wrong_qsh", "query hash"),
    ("extra_query", "query hash"),
    ("unknown_tenant", "no known tenant"),
    ("other_tenant", "signature"),
    ("unknown_recruiter", "not a recruiter"),
    ("no_token", "no token"),
])
def test_bad_launches_are_refused(client: Any, tenant: Any, other_tenant: Any, person: dict, case: str,
                                  expected: str) -> None:
    now = int(time.time())
    pid = person["id"]
    query: dict[str, str] = {}
    if case == "tampered":
        head, body, sig = _token(tenant, pid).split(".")
        token = f"{head}.{body[:-2]}AA.{sig}"
    elif case == "wrong_secret":
        claims = {"iss": str(tenant.id), "sub": "kari@acme.no", "iat": now, "exp": now + 60, "jti": "x",
                  "qsh": query_hash("GET", LAUNCH_PATH, [])}
        token = jwt.encode(claims, "not-the-tenant-secret-but-long-enough-for-hs256", algorithm="HS256")
    elif case == "expired":
        token = _token(tenant, pid, iat=now - 400, exp=now - 100)
    elif case == "too_long":
        token = _token(tenant, pid, exp=now + 3600)
    elif case == "missing_qsh":
        token = _token(tenant, pid, qsh=None)
    elif case == "wrong_qsh":
        token = _token(tenant, pid, qsh=query_hash("POST", LAUNCH_PATH, []))
    elif case == "extra_query":
        token, query = _token(tenant, pid), {"person": "someone-else"}
    elif case == "unknown_tenant":
        token = _token(tenant, pid, iss=str(uuid.uuid4()))
    elif case == "other_tenant":
        token = _token(tenant, pid, iss=str(other_tenant.id))
    elif case == "unknown_recruiter":
        token = _token(tenant, pid, sub="stranger@acme.no")
    else:
        token = ""
    response = _launch(client, token, **query)
    assert response.status_code == 401
    assert expected in response.get_data(as_text=True)
    assert "Øystein" not in response.get_data(as_text=True)


def test_person_of_another_tenant_is_not_shown(client: Any, tenant: Any, other_tenant: Any, person: dict) -> None:
    theirs = other_tenant.post("/people", json={"first_name": "Hemmelig"}).json
    response = _launch(client, _token(tenant, theirs["id"]))
    assert response.status_code == 200
    assert "Hemmelig" not in response.get_data(as_text=True)
    assert "Følges ikke ennå" in response.get_data(as_text=True)  # "Not tracked yet", in the recruiter's Norwegian
