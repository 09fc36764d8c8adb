"""The one error envelope: authentication, malformed input, unknown routes, unexpected failures."""

from __future__ import annotations

import re
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


# --- the API is as strict as its OpenAPI document, and the document says all it enforces ----------------------

def _document(client: Any) -> dict:
    return client.get("/api/v1/openapi.json").json


def _person(tenant: Any) -> dict:
    return tenant.create("/people", {"first_name": "Kari"})


def test_booleans_are_json_booleans_only(tenant: Any) -> None:
    person = _person(tenant)
    reference = tenant.create("/references", {"kind": "outsider", "name": "Olav"})
    referral = {"person_id": person["id"], "reference_id": reference["id"], "channel": "event"}
    # 0 and 1 equal False and True, so marshmallow's Boolean(truthy={True}) took them
    for bad in (0, 1, "true", "yes"):
        assert _is_envelope(tenant.post("/referrals", json={**referral, "prompted": bad}), 422)["errors"] == {
            "prompted": ["Not a valid boolean."]}
        _is_envelope(tenant.patch(f"/people/{person['id']}", json={"do_not_contact": bad}), 422)
        _is_envelope(tenant.patch("/tenant/settings", json={"rule_role_opening": bad}), 422)
    for bad in ("1", "0", "yes", "True"):
        _is_envelope(tenant.get("/referrals", query_string={"prompted": bad}), 422)
    assert tenant.post("/referrals", json={**referral, "prompted": False}).status_code == 201
    assert tenant.get("/referrals", query_string={"prompted": "false"}).json["data"]


def test_whole_numbers_are_json_numbers(tenant: Any) -> None:
    person = _person(tenant)
    cadence = f"/people/{person['id']}/cadence"
    put = tenant.client.put
    bad = put(f"/api/v1{cadence}", json={"ideal_days": "30", "max_days": "60"}, headers=tenant.headers)
    assert set(_is_envelope(bad, 422)["errors"]) == {"ideal_days", "max_days"}
    # 30.0 is the integer 30 to JSON Schema, and so to the document
    good = put(f"/api/v1{cadence}", json={"ideal_days": 30.0, "max_days": 60}, headers=tenant.headers)
    assert good.status_code == 200, good.json
    assert good.json["ideal_days"] == 30
    settings = tenant.patch("/privacy/settings", json={"retention_months": 12.0})
    assert settings.status_code == 200 and settings.json["data"]["retention_months"] == 12


def test_patch_with_nothing_to_change_is_422(tenant: Any) -> None:
    person = _person(tenant)
    reference = tenant.create("/references", {"kind": "outsider", "name": "Olav"})
    for path in (f"/people/{person['id']}", f"/references/{reference['id']}", "/tenant/settings",
                 "/privacy/settings"):
        assert _is_envelope(tenant.patch(path, json={}), 422)["errors"] == {
            "_schema": ["Nothing to change: send at least one field."]}, path
        # no body at all is the same empty change
        _is_envelope(tenant.client.patch(f"/api/v1{path}", headers=tenant.headers), 422)


def test_patch_sends_nested_objects_whole(tenant: Any) -> None:
    person = _person(tenant)
    body = _is_envelope(tenant.patch(f"/people/{person['id']}", json={"work_history": [{"title": "CTO"}]}), 422)
    assert body["errors"] == {"work_history.0.employer": ["Missing data for required field."]}


def test_launch_context_names_a_person_or_a_candidate_never_both(tenant: Any) -> None:
    person = _person(tenant)
    tenant.create("/recruiters", {"email": "kari@acme.no", "name": "Kari"})
    for ctx in ({"person_id": person["id"], "vendor": "greenhouse"}, {"vendor": "greenhouse"},
                {"person_id": person["id"], "vendor": "greenhouse", "candidate_id": "7"}):
        body = _is_envelope(tenant.post("/sidebar/launch-urls", json={"sub": "kari@acme.no", "ctx": ctx}), 422)
        assert body["errors"] == {"ctx._schema": ["Give person_id, or vendor and candidate_id."]}, ctx
    ctx = {"person_id": person["id"]}
    assert tenant.post("/sidebar/launch-urls", json={"sub": "kari@acme.no", "ctx": ctx}).status_code == 201


def test_a_year_in_range_as_written_is_taken_with_any_offset(tenant: Any) -> None:
    # The document's pattern reads the year as written; 1900-01-01T00:30+01:00 is 1899 in UTC.
    person = _person(tenant)
    touch = {"kind": "call", "occurred_at": "1900-01-01T00:30:00+01:00"}
    assert tenant.post(f"/people/{person['id']}/touchpoints", json=touch).status_code == 201
    touch["occurred_at"] = "1899-12-31T23:30:00-01:00"
    _is_envelope(tenant.post(f"/people/{person['id']}/touchpoints", json=touch), 422)


def test_document_states_the_rules_the_api_enforces(client: Any, tenant: Any) -> None:
    document = _document(client)
    schemas = document["components"]["schemas"]
    paths = document["paths"]
    # exactly one of
    assert schemas["ReferenceIn"]["oneOf"] == [{"required": [name]} for name in ("person_id", "recruiter_id", "name")]
    assert schemas["ReferralIn"]["oneOf"] == [{"required": ["reference_id"]}, {"required": ["referrer"]}]
    assert schemas["SnoozeIn"]["oneOf"] == [{"required": ["preset"]}, {"required": ["until"]}]
    assert len(schemas["LaunchContext"]["oneOf"]) == 2
    # a PATCH changes something
    for name in ("PersonInPatch", "ReferencePatch", "ReferralPatch", "RoleInPatch", "RecruiterInPatch",
                 "RuleSettingsSchemaPatch", "PrivacySettingsSchemaPatch"):
        assert schemas[name]["minProperties"] == 1, name
    # the month, and a cursor as handed out
    month = paths["/api/v1/reports/referrals/{month}"]["parameters"][0]["schema"]["pattern"]
    assert re.fullmatch(month, "2026-03") and not re.fullmatch(month, "1999-03")
    assert not re.fullmatch(month, "2026-13")
    assert tenant.get("/reports/referrals/2199-12").status_code == 200
    _is_envelope(tenant.get("/reports/referrals/2200-01"), 422)
    for name in ("Kari", "Per"):
        tenant.create("/people", {"first_name": name})
    cursor = {p["name"]: p for p in paths["/api/v1/people"]["get"]["parameters"]}["cursor"]["schema"]["pattern"]
    handed_out = tenant.get("/people", query_string={"limit": 1}).json["next_cursor"]
    assert re.fullmatch(cursor, handed_out)
    assert _is_envelope(tenant.get("/people", query_string={"cursor": "no/such+cursor"}), 422)["errors"] == {
        "cursor": ["Invalid cursor."]}
    # a dict's size is its number of keys; its keys have their own rules
    ats_user_ids = schemas["RecruiterIn"]["properties"]["ats_user_ids"]
    assert ats_user_ids["maxProperties"] == 20 and "maxLength" not in ats_user_ids
    assert ats_user_ids["propertyNames"]["maxLength"] == 64
    # free text never holds NUL; a blank name is no name
    assert schemas["PersonIn"]["properties"]["last_name"]["pattern"] == "^[^\\u0000]*$"
    for name in (schemas["PersonIn"]["properties"]["first_name"], schemas["ReferenceIn"]["properties"]["name"]):
        assert not re.fullmatch(name["pattern"], " \t\u3000") and re.fullmatch(name["pattern"], " Kari ")


def test_document_lists_every_error_an_operation_answers(client: Any) -> None:
    document = _document(client)
    responses = document["components"]["responses"]
    assert responses["Unauthorized"]["headers"]["WWW-Authenticate"]["required"]
    assert set(responses["TooManyRequests"]["headers"]) == {"Retry-After", "RateLimit-Limit"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            statuses = set(operation["responses"])
            assert "default" not in statuses, (method, path)
            assert {"401", "403", "429", "500"} <= statuses, (method, path)
            assert ("404" in statuses) == ("{" in path) or method == "post", (method, path)
            if "requestBody" in operation:
                assert {"400", "413", "422"} <= statuses, (method, path)
            for status in statuses - {"200", "201", "204"}:
                assert operation["responses"][status]["$ref"].startswith("#/components/responses/"), status
    assert document["components"]["schemas"]["Error"]["required"] == ["code", "errors", "message", "status"]
