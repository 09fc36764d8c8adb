"""The messages API: the tone check, drafts and their trail, the review rule, templates and the tenant's own
mail server (its password never shown)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from plugin.extension import get_state
from plugin.models import Tenant
from plugin.tenancy import tenants


def _writer(tenant: Any) -> dict:
    return tenant.create("/recruiters", {"email": "kari@acme.no", "name": "Kari Nordmann"})


def test_tone_check_flags_in_the_language_asked_and_counts_the_tenants_words(tenant: Any) -> None:
    plain = tenant.post("/tone-check", json={"text": "Lønnen er 750 000 kroner.", "language": "nb"})
    assert plain.status_code == 200, plain.json
    assert plain.json == {"score": 100, "language": "nb", "flags": []}
    loud = tenant.post("/tone-check", json={"text": "Vi tilbyr veldig god lønn!!", "language": "nb"}).json
    assert {f["kind"] for f in loud["flags"]} == {"intensifier", "unbacked_claim", "exclamations"}
    assert loud["score"] < 100 and all(f["why"] and f["suggestion"] for f in loud["flags"])
    first = loud["flags"][0]
    assert "Vi tilbyr veldig god lønn!!"[first["start"]:first["end"]].lower() == first["text"].lower()
    assert tenant.post("/tone-check", json={"text": "A game changer for you."}).json["flags"] == []
    changed = tenant.patch("/messages/settings", json={"tone_additions": {"cliche": ["game changer"]}})
    assert changed.status_code == 200, changed.json
    flagged = tenant.post("/tone-check", json={"text": "A game changer for you.", "language": "en"}).json
    assert [f["kind"] for f in flagged["flags"]] == ["cliche"]
    assert tenant.post("/tone-check", json={"text": "x", "language": "de"}).status_code == 422


def test_settings_default_and_checked(tenant: Any) -> None:
    assert tenant.get("/messages/settings").json["data"] == {
        "review": ["confidential_role", "important"], "referrer_notes": "draft", "tone_additions": {}}
    refused = tenant.patch("/messages/settings", json={"review": ["everything"], "referrer_notes": "maybe",
                                                       "tone_additions": {"shouting": ["x"]}})
    assert refused.status_code == 422
    assert {key.split(".")[0] for key in refused.json["errors"]} == {"review", "referrer_notes", "tone_additions"}
    assert tenant.patch("/messages/settings", json={"review": []}).json["data"]["review"] == []
    # Exclamation marks are counted, not listed: there are no words of that kind to add.
    assert tenant.patch("/messages/settings", json={"tone_additions": {"exclamations": ["wow"]}}).status_code == 422


def test_a_draft_from_a_template_with_its_trail(tenant: Any, other_tenant: Any) -> None:
    kari = _writer(tenant)
    person = tenant.create("/people", {"first_name": "Åse", "last_name": "Bjørnstad", "emails": ["ase@x.no"]})
    made = tenant.post("/messages", json={"author_id": kari["id"], "person_id": person["id"],
                                          "template": "keep_in_touch", "language": "nb"})
    assert made.status_code == 201, made.json
    draft = made.json
    assert (draft["status"], draft["channel"], draft["language"]) == ("draft", "email", "nb")
    assert draft["body"].startswith("Hei Åse,") and draft["body"].endswith("Hilsen Kari Nordmann")
    assert "{" not in draft["body"] and draft["reason"] == ""
    detail = tenant.get(f"/messages/{draft['id']}").json
    assert [e["kind"] for e in detail["events"]] == ["drafted"] and detail["events"][0]["actor_id"] == kari["id"]
    assert other_tenant.get(f"/messages/{draft['id']}").status_code == 404
    listed = tenant.get("/messages", query_string={"person_id": person["id"]}).json["data"]
    assert [m["id"] for m in listed] == [draft["id"]]
    unknown = tenant.post("/messages", json={"author_id": kari["id"], "person_id": other_tenant.create(
        "/people", {"first_name": "Rival"})["id"]})
    assert unknown.status_code == 422 and set(unknown.json["errors"]) == {"person_id"}


def test_no_draft_to_someone_who_does_not_want_contact(tenant: Any) -> None:
    kari = _writer(tenant)
    person = tenant.create("/people", {"first_name": "Per", "emails": ["per@x.no"], "do_not_contact": True})
    refused = tenant.post("/messages", json={"author_id": kari["id"], "person_id": person["id"]})
    assert refused.status_code == 409 and "does not want to be contacted" in refused.json["message"]
    assert tenant.get("/messages").json["data"] == []


def test_templates_are_the_tenants_own_when_set_and_checked(tenant: Any) -> None:
    listed = tenant.get("/message-templates").json
    assert {(t["key"], t["language"]) for t in listed["data"]} >= {("keep_in_touch", "nb"), ("referrer_hired", "en")}
    assert not any(t["own"] for t in listed["data"]) and "first_name" in listed["placeholders"]
    put = tenant.client.put("/api/v1/message-templates/keep_in_touch/nb", headers=tenant.headers,
                            json={"subject": "Hei igjen", "body": "Hei {first_name}! {{ikke et felt}}"})
    assert put.status_code == 200 and put.json["own"] is True, put.json
    kari = _writer(tenant)
    person = tenant.create("/people", {"first_name": "Ola", "emails": ["ola@x.no"]})
    draft = tenant.create("/messages", {"author_id": kari["id"], "person_id": person["id"], "language": "nb"})
    assert (draft["subject"], draft["body"]) == ("Hei igjen", "Hei Ola! {ikke et felt}")
    for body in ("Hei {fornavn}", "Hei {first_name", "   ", "Hei {first_name!r}"):
        bad = tenant.client.put("/api/v1/message-templates/keep_in_touch/nb", headers=tenant.headers,
                                json={"subject": "S", "body": body})
        assert bad.status_code == 422 and set(bad.json["errors"]) == {"body"}, body
    assert tenant.client.put("/api/v1/message-templates/nope/nb", headers=tenant.headers,
                             json={"subject": "S", "body": "B"}).status_code == 404
    reset = tenant.delete("/message-templates/keep_in_touch/nb").json
    assert reset["own"] is False and reset["subject"] == "Lenge siden sist"


def test_the_tenants_mail_server_is_stored_encrypted_and_never_shown(app: Flask, tenant: Any) -> None:
    assert tenant.get("/tenant/mail-server").json == {"own": False, "host": None, "sender": None,
                                                       "readable": True}
    put = tenant.client.put("/api/v1/tenant/mail-server", headers=tenant.headers, json={
        "smtp_url": "smtps://mailer:s3cret@smtp.acme.no:465", "sender": "rekruttering@acme.no"})
    assert put.status_code == 200, put.json
    assert put.json == {"own": True, "host": "smtp.acme.no", "sender": "rekruttering@acme.no", "readable": True}
    assert "s3cret" not in tenant.get("/tenant/mail-server").get_data(as_text=True)
    with get_state(app).sessions() as session:
        stored = session.get(Tenant, tenant.id)
        assert stored is not None and "s3cret" not in (stored.smtp_url_encrypted or "")
    for url in ("http://smtp.acme.no", "smtp://[::1", "smtp://host:99999"):
        bad = tenant.client.put("/api/v1/tenant/mail-server", headers=tenant.headers,
                                json={"smtp_url": url, "sender": "a@acme.no"})
        assert bad.status_code == 422, url
    assert tenant.delete("/tenant/mail-server").json["own"] is False


def test_a_write_key_cannot_change_the_review_rule_or_the_mail_server(app: Flask, client: Any, tenant: Any) -> None:
    with get_state(app).sessions() as session:
        key = tenants.create_api_key(session, tenant.id, "writer", ("read", "write"))
    headers = {"Authorization": f"Bearer {key}"}
    assert client.patch("/api/v1/messages/settings", json={"review": []}, headers=headers).status_code == 403
    assert client.put("/api/v1/tenant/mail-server", headers=headers, json={
        "smtp_url": "smtp://evil.example:25", "sender": "x@evil.example"}).status_code == 403
    assert client.get("/api/v1/tenant/mail-server", headers=headers).status_code == 403
    assert client.post("/api/v1/tone-check", json={"text": "hei"}, headers=headers).status_code == 200
