"""API key scopes on every route, revocation, rate limits (API and webhooks), security headers, and the audit
trail's filters (readable by admins only)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from plugin import create_app
from plugin.extension import get_state
from plugin.tenancy import tenants


def _key(app: Flask, tenant: Any, *scopes: str) -> dict[str, str]:
    with get_state(app).sessions() as session:
        key = tenants.create_api_key(session, tenant.id, "-".join(scopes) or "none", scopes)
    return {"Authorization": f"Bearer {key}"}


def _status(client: FlaskClient, method: str, path: str, headers: dict[str, str], json: Any = None) -> int:
    return client.open(f"/api/v1{path}", method=method, headers=headers, json=json).status_code


def test_each_scope_opens_exactly_its_routes(app: Flask, client: FlaskClient, tenant: Any) -> None:
    person = tenant.create("/people", {"first_name": "Ola", "data_source": "referral"})["id"]
    keys = {"read": _key(app, tenant, "read"), "write": _key(app, tenant, "write"),
            "read+write": _key(app, tenant, "read", "write"), "all": _key(app, tenant, "read", "write", "admin")}
    opens = {"read": {"read", "read+write", "all"}, "write": {"write", "read+write", "all"}, "admin": {"all"}}
    cases = [
        ("GET", "/people", None, "read"),
        ("GET", f"/people/{person}/art14-notice", None, "read"),
        ("GET", "/privacy/settings", None, "read"),
        ("GET", f"/people/{person}/retention", None, "read"),
        ("POST", "/people", {"first_name": "Kari"}, "write"),
        ("POST", f"/people/{person}/art14-sent", {}, "write"),
        ("POST", f"/people/{person}/consent-link", {}, "write"),
        ("GET", "/audit", None, "admin"),
        ("GET", f"/people/{person}/export", None, "admin"),
        ("PATCH", "/privacy/settings", {"consent_months": 18}, "admin"),
        ("PATCH", "/tenant/settings", {"wake_notice_days": 2}, "admin"),
    ]
    for method, path, body, needed in cases:
        for name, headers in keys.items():
            status = _status(client, method, path, headers, body)
            if name in opens[needed]:
                assert status < 400, (method, path, name, status)
            else:
                assert status == 403, (method, path, name, status)
    assert _status(client, "GET", "/audit", _key(app, tenant, "admin")) == 200  # admin alone reads the trail
    assert _status(client, "POST", f"/people/{person}/erase", keys["read+write"]) == 403
    assert _status(client, "POST", f"/people/{person}/erase", keys["all"]) == 200
    response = client.get("/api/v1/audit", headers=keys["read+write"])
    assert response.json == {"code": 403, "status": "Forbidden", "message": "This API key lacks the 'admin' scope.",
                             "errors": {}}


def test_a_revoked_key_stops_working_at_once(app: Flask, client: FlaskClient, tenant: Any, runner: Any) -> None:
    headers = _key(app, tenant, "read")
    assert _status(client, "GET", "/people", headers) == 200
    result = runner.invoke(args=["brobygger", "apikey", "revoke", "--tenant", str(tenant.id), "--name", "read"])
    assert result.exit_code == 0 and "revoked 1 key" in result.output
    assert _status(client, "GET", "/people", headers) == 401
    again = runner.invoke(args=["brobygger", "apikey", "revoke", "--tenant", str(tenant.id), "--name", "read"])
    assert again.exit_code != 0 and "No live API key" in again.output


def test_the_audit_trail_filters_by_entity_person_actor_and_time(app: Flask, tenant: Any) -> None:
    ola = tenant.create("/people", {"first_name": "Ola", "data_source": "manual"})["id"]
    kari = tenant.create("/people", {"first_name": "Kari", "data_source": "manual"})["id"]
    tenant.post(f"/people/{ola}/touchpoints", json={"kind": "call", "occurred_at": "2025-01-01T10:00:00Z"})
    tenant.patch(f"/people/{kari}", json={"last_name": "Nordmann"})
    about_ola = tenant.walk("/audit", {"person_id": ola})
    assert {(e["action"], e["entity_type"]) for e in about_ola} == {("create", "person"), ("create", "touchpoint")}
    assert all("Ola" not in str(e) for e in about_ola)
    updates = tenant.walk("/audit", {"entity": "person"})
    assert {e["entity_id"] for e in updates} == {ola, kari}
    actor = updates[0]["actor_id"]
    assert len(tenant.walk("/audit", {"actor": actor})) == 4
    assert len(tenant.walk("/audit", {"actor": "nobody"})) == 0
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert tenant.walk("/audit", {"from": future}) == []
    assert len(tenant.walk("/audit", {"to": future})) == 4
    events = tenant.walk("/audit", limit=1)
    assert [e["at"] for e in events] == sorted((e["at"] for e in events), reverse=True)
    assert tenant.get(f"/people/{ola}").status_code == 200
    viewed = tenant.walk("/audit", {"person_id": ola})[0]
    assert (viewed["action"], viewed["entity_id"], viewed["actor_id"]) == ("view", ola, actor)


@pytest.fixture
def limited(app: Flask, app_config: dict[str, Any]) -> Iterator[Flask]:
    """A second app on the same database and Redis, with tiny limits; `app` still cleans up after both."""
    limited = create_app({**app_config, "BROBYGGER_RATE_LIMIT_API": 3, "BROBYGGER_RATE_LIMIT_WEBHOOKS": 2,
                          "BROBYGGER_RATE_LIMIT_WINDOW": 60})
    yield limited
    get_state(limited).engine.dispose()


def test_api_rate_limit_per_key(app: Flask, limited: Flask, tenant: Any) -> None:
    client = limited.test_client()
    mine, other = tenant.headers, _key(app, tenant, "read")
    assert [client.get("/api/v1/people", headers=mine).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/v1/people", headers=mine)
    assert refused.status_code == 429 and refused.json["code"] == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json["message"].startswith("Too many requests")
    assert client.get("/api/v1/people", headers=other).status_code == 200  # another key has its own budget


def test_webhook_rate_limit_per_installation_and_address(limited: Flask) -> None:
    client = limited.test_client()
    path = f"/webhooks/greenhouse/{uuid.uuid4()}"
    codes = [client.post(path, data=b"{}").status_code for _ in range(3)]
    assert codes == [404, 404, 429]  # a spent budget is refused before anything is read: floods cost nothing
    other_source = client.post(path, data=b"{}", environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other_source.status_code == 404
    other_installation = client.post(f"/webhooks/greenhouse/{uuid.uuid4()}", data=b"{}")
    assert other_installation.status_code == 404


def test_security_headers_on_every_kind_of_response(app: Flask, client: FlaskClient, tenant: Any,
                                                    app_config: dict[str, Any]) -> None:
    api = tenant.get("/people")
    assert api.headers["X-Content-Type-Options"] == "nosniff"
    assert api.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "default-src 'none'" in api.headers["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in api.headers  # plain HTTP: no HSTS
    error = client.get(f"/api/v1/people/{uuid.uuid4()}", headers=tenant.headers)
    assert error.status_code == 404 and error.headers["X-Content-Type-Options"] == "nosniff"
    page = client.get("/privacy/consent/forged")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/healthz", base_url="https://brobygger.test").headers["Strict-Transport-Security"]

    proxied = {"X-Forwarded-Proto": "https"}
    assert "Strict-Transport-Security" not in client.get("/healthz", headers=proxied).headers  # proxy not trusted
    trusting = create_app({**app_config, "BROBYGGER_TRUST_PROXY": "true"})
    try:
        headers = trusting.test_client().get("/healthz", headers=proxied).headers
        assert headers["Strict-Transport-Security"] == "max-age=31536000"
    finally:
        get_state(trusting).engine.dispose()
