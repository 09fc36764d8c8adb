"""The one error envelope: authentication, malformed input, unknown routes, unexpected failures."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask

from plugin.extension import get_state
from plugin.tenancy import tenants

ENVELOPE_KEYS = {"code", "status", "message", "errors"}


def _is_envelope(response: Any, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    assert set(response.json) == ENVELOPE_KEYS
    assert response.json["code"] == status
    return response.json


def test_missing_and_wrong_keys_are_401(client: Any, tenant: Any) -> None:
    body = _is_envelope(client.get("/api/v1/people"), 401)
    assert "Bearer" in body["message"]
    assert client.get("/api/v1/people").headers["WWW-Authenticate"].startswith("Bearer")
    _is_envelope(client.get("/api/v1/people", headers={"Authorization": "Bearer bby_nope"}), 401)
    _is_envelope(client.get("/api/v1/people", headers={"Authorization": f"Basic {tenant.api_key}"}), 401)


def test_revoked_key_is_401(app: Flask, client: Any, tenant: Any) -> None:
    with get_state(app).sessions() as session:
        assert tenants.revoke_keys(session, tenant.id, "initial") == 1
    _is_envelope(tenant.get("/people"), 401)


def test_read_only_key_cannot_write(app: Flask, client: Any, tenant: Any) -> None:
    with get_state(app).sessions() as session:
        key = tenants.create_api_key(session, tenant.id, "reports", ("read",))
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/people", headers=headers).status_code == 200
    _is_envelope(client.post("/api/v1/people", json={"first_name": "A"}, headers=headers), 403)


def test_malformed_json_is_400(tenant: Any) -> None:
    response = tenant.client.post("/api/v1/people", data="{not json", content_type="application/json",
                                  headers=tenant.headers)
    _is_envelope(response, 400)


def test_non_object_body_is_422(tenant: Any) -> None:
    body = _is_envelope(tenant.post("/people", json=[1, 2]), 422)
    assert body["errors"]


def test_unknown_api_path_is_json_404(tenant: Any) -> None:
    _is_envelope(tenant.get("/no-such-thing"), 404)


def test_non_uuid_id_is_404(tenant: Any) -> None:
    _is_envelope(tenant.get("/people/123"), 404)


def test_random_id_is_404(tenant: Any) -> None:
    body = _is_envelope(tenant.get(f"/people/{uuid.uuid4()}"), 404)
    assert body["message"].startswith("No person")


def test_wrong_method_is_405_with_allow(tenant: Any) -> None:
    response = tenant.client.put("/api/v1/people", headers=tenant.headers, json={})
    _is_envelope(response, 405)
    assert "GET" in response.headers["Allow"]


def test_pages_get_html_errors(client: Any) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "404" in response.get_data(as_text=True)


def test_unexpected_failure_is_a_json_500_without_details(app_config: dict) -> None:
    from plugin import create_app

    app = create_app({**app_config, "TESTING": False})  # TESTING would re-raise instead of handling

    def boom() -> None:
        raise RuntimeError("secret internal detail")

    app.add_url_rule("/api/v1/boom", view_func=boom)
    response = app.test_client().get("/api/v1/boom")
    body = _is_envelope(response, 500)
    assert "secret" not in response.get_data(as_text=True)
    assert body["message"]
    get_state(app).engine.dispose()


def test_openapi_document_is_public_and_lists_the_api(client: Any) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json["paths"]
    assert "/api/v1/people" in paths
    assert "/api/v1/people/{person_id}/touchpoints" in paths
    assert response.json["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_unknown_query_parameters_are_422(tenant: Any) -> None:
    body = _is_envelope(tenant.get("/people", query_string={"qq": "typo"}), 422)
    assert body["errors"] == {"qq": ["Unknown field."]}
