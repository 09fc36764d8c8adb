"""Tenants are walls, checked on every API route the app has — including routes added later.

For each route with an id in its path and each of its methods, another tenant's id must get exactly
the answer a random, non-existent id gets (so existence is never revealed), and the owner's data must
be unchanged afterwards. Lists must never include another tenant's rows.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from flask import Flask

from plugin.extension import get_state
from plugin.models import Installation, Vendor


def _seed(t: Any, app: Flask) -> dict[str, str]:
    """One of everything, made through the API by tenant `t` (an installation through its model, as the
    API does not create those); returns {path argument name: id}."""
    state = get_state(app)
    with state.sessions() as session:
        installation = Installation(tenant_id=t.id, vendor=Vendor.GREENHOUSE, name="GH", base_url="https://gh.test",
                                    credentials_encrypted=state.vault.encrypt_json({"client_id": "x"}),
                                    webhook_secret_encrypted=state.vault.encrypt("s"))
        session.add(installation)
        session.commit()
    recruiter = t.post("/recruiters", json={"email": "owner@acme.no", "name": "Owner"}).json
    person = t.post("/people", json={"first_name": "Ingrid", "last_name": "Ås", "emails": ["ingrid@acme.no"],
                                     "owner_id": recruiter["id"]}).json
    referrer = t.post("/people", json={"first_name": "Per", "last_name": "Referent"}).json
    touchpoint = t.post(f"/people/{person['id']}/touchpoints",
                        json={"kind": "meeting", "occurred_at": "2026-09-01T10:00:00Z"})
    assert touchpoint.status_code == 201, touchpoint.json
    role = t.post("/roles", json={"title": "Head of Data", "status": "confidential"}).json
    shortlisted = t.post(f"/roles/{role['id']}/shortlist", json={"person_id": person["id"], "note": "strong"})
    assert shortlisted.status_code == 201, shortlisted.json
    followup = t.post("/followups", json={"person_id": person["id"], "owner_id": recruiter["id"],
                                          "reason": "Coffee after the meetup", "due_at": "2030-12-02T09:00:00Z"}).json
    reference = t.post("/references", json={"kind": "candidate", "person_id": referrer["id"]}).json
    referral = t.post("/referrals", json={"person_id": person["id"], "reference_id": reference["id"],
                                          "channel": "word_of_mouth", "prompted": False}).json
    message = t.post("/messages", json={"author_id": recruiter["id"], "person_id": person["id"]}).json
    ids = {"recruiter_id": recruiter["id"], "person_id": person["id"], "role_id": role["id"],
           "followup_id": followup["id"], "reference_id": reference["id"], "referral_id": referral["id"],
           "installation_id": str(installation.id), "message_id": message["id"]}
    assert all(ids.values()), ids
    return ids


def _api_routes(app: Flask) -> list[Any]:
    return [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1/") and "openapi" not in r.rule]


def _url(rule: Any, ids: dict[str, str]) -> str:
    return re.sub(r"<uuid:(\w+)>", lambda m: ids[m.group(1)], rule.rule)


def _call(t: Any, method: str, url: str) -> Any:
    return t.client.open(url, method=method, headers=t.headers, json={} if method in {"POST", "PATCH"} else None)


def _snapshot(t: Any, app: Flask, ids: dict[str, str]) -> dict[str, Any]:
    return {rule.rule: _call(t, "GET", _url(rule, ids)).json
            for rule in _api_routes(app) if "GET" in rule.methods and rule.arguments}


def test_every_route_treats_a_foreign_id_like_no_id(app: Flask, tenant: Any, other_tenant: Any) -> None:
    ids = _seed(tenant, app)
    before = _snapshot(tenant, app, ids)
    checked = 0
    for rule in _api_routes(app):
        if not re.search(r"<uuid:", rule.rule):  # e.g. /reports/referrals/<month>: no id to be foreign
            continue
        assert rule.arguments <= set(ids), f"add an entity for {rule.rule} to _seed()"
        random_ids = {name: str(uuid.uuid4()) for name in ids}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            foreign = _call(other_tenant, method, _url(rule, ids))
            unknown = _call(other_tenant, method, _url(rule, random_ids))
            assert foreign.status_code in (404, 422), (method, rule.rule, foreign.status_code)
            assert foreign.status_code == unknown.status_code, (method, rule.rule)
            masked = json.dumps(foreign.json)
            for name in ids:
                masked = masked.replace(ids[name], "<id>")
            unknown_masked = json.dumps(unknown.json)
            for name in random_ids:
                unknown_masked = unknown_masked.replace(random_ids[name], "<id>")
            assert masked == unknown_masked, (method, rule.rule)
            checked += 1
    assert checked >= 20
    assert _snapshot(tenant, app, ids) == before  # nothing the other tenant sent changed anything


def test_lists_never_include_another_tenants_rows(app: Flask, tenant: Any, other_tenant: Any) -> None:
    ids = _seed(tenant, app)
    _seed(other_tenant, app)
    for rule in _api_routes(app):
        if rule.arguments or "GET" not in rule.methods:
            continue
        response = _call(other_tenant, "GET", rule.rule)
        assert response.status_code == 200, rule.rule
        if isinstance(response.json.get("data"), list):  # a list, not a settings object
            assert response.json["data"], rule.rule  # the other tenant sees its own rows…
        text = response.get_data(as_text=True)
        assert not any(value in text for value in ids.values()), rule.rule  # …and none of ours
