"""Referrals over the REST API: who referred whom, and how it went."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.models import AuditEvent, Role


def _person(t: Any, first: str = "Åse", last: str = "Øvrebø") -> dict:
    return t.create("/people", {"first_name": first, "last_name": last})


def _reference(t: Any, **body: Any) -> dict:
    return t.create("/references", {"kind": "outsider", **body})


def _referral(t: Any, person: dict, **body: Any) -> dict:
    return t.create("/referrals", {"person_id": person["id"], "channel": "linkedin", "prompted": False, **body})


def _role(session: Session, tenant: Any, title: str = "Data engineer") -> str:
    role = Role(tenant_id=tenant.id, title=title)
    session.add(role)
    session.commit()
    return str(role.id)


def _ids(t: Any, path: str, **query: Any) -> list[str]:
    response = t.get(path, query_string=query)
    assert response.status_code == 200, response.json
    return [row["id"] for row in response.json["data"]]


def test_jobless_emailless_outsider_referral(tenant: Any) -> None:
    person = _person(tenant)
    referral = _referral(tenant, person, channel="word_of_mouth",
                         referrer={"kind": "outsider", "name": "Kari Nordmann"})
    assert (referral["person_id"], referral["channel"], referral["prompted"]) == (person["id"], "word_of_mouth", False)
    assert (referral["status"], referral["job_ref"], referral["role_id"], referral["origin"]) == (
        "received", None, None, "api")
    assert referral["status_changed_at"] is not None and referral["referred_at"] is not None
    reference = tenant.get(f"/references/{referral['reference_id']}").json
    assert (reference["name"], reference["email"], reference["kind"], reference["display_name"]) == (
        "Kari Nordmann", None, "outsider", "Kari Nordmann")
    assert tenant.get(f"/referrals/{referral['id']}").json == referral


def test_referral_with_every_field(tenant: Any, session: Session) -> None:
    person = _person(tenant)
    reference = _reference(tenant, name="Per")
    role_id = _role(session, tenant)
    referral = _referral(tenant, person, reference_id=reference["id"], channel="event", prompted=True,
                         role_id=role_id, job_ref="GH-4711", note="Met at JavaZone",
                         referred_at="2026-02-01T09:30:00+01:00", status="contacted")
    assert (referral["reference_id"], referral["role_id"], referral["job_ref"], referral["note"]) == (
        reference["id"], role_id, "GH-4711", "Met at JavaZone")
    assert (referral["prompted"], referral["status"]) == (True, "contacted")
    assert datetime.fromisoformat(referral["referred_at"]) == datetime(2026, 2, 1, 8, 30, tzinfo=UTC)
    assert tenant.get(f"/referrals/{referral['id']}").json["referred_at"].startswith("2026-02-01T08:30:00")


def test_inline_referrer_reuses_the_existing_reference(tenant: Any) -> None:
    referred = [_person(tenant, f"Referred{i}") for i in range(6)]
    colleague = _person(tenant, "Kollega")
    recruiter = tenant.post("/recruiters", json={"name": "Rita", "email": "rita@acme.no"}).json
    by_person = _reference(tenant, kind="employee", person_id=colleague["id"])

    first = _referral(tenant, referred[0], referrer={"kind": "employee", "person_id": colleague["id"]})
    assert first["reference_id"] == by_person["id"]
    made = _referral(tenant, referred[0], referrer={"kind": "employee", "recruiter_id": recruiter["id"]})
    again = _referral(tenant, referred[1], referrer={"kind": "employee", "recruiter_id": recruiter["id"]})
    assert made["reference_id"] == again["reference_id"]
    assert tenant.get(f"/references/{made['reference_id']}").json["display_name"] == "Rita"

    # Outsiders match by name in any case (Æ, Ø and Å included) and by the same e-mail address or none.
    ase = _referral(tenant, referred[2], referrer={"kind": "outsider", "name": "Åse Berg", "email": "ase@b.no"})
    same = _referral(tenant, referred[3], referrer={"kind": "client", "name": " åSE BERG", "email": "ASE@b.no"})
    assert same["reference_id"] == ase["reference_id"]
    no_email = _referral(tenant, referred[4], referrer={"kind": "outsider", "name": "Åse Berg"})
    other_email = _referral(tenant, referred[5], referrer={"kind": "outsider", "name": "Åse Berg", "email": "a@c.no"})
    assert len({ase["reference_id"], no_email["reference_id"], other_email["reference_id"]}) == 3
    no_email_again = _referral(tenant, referred[0], referrer={"kind": "outsider", "name": "ÅSE berg"})
    assert no_email_again["reference_id"] == no_email["reference_id"]

    assert len(_ids(tenant, "/references")) == 5  # colleague, recruiter, and the three Åse Bergs
    assert tenant.get(f"/references/{ase['reference_id']}").json["kind"] == "outsider"  # found, not changed


def test_exactly_one_referrer(tenant: Any) -> None:
    person = _person(tenant)
    reference = _reference(tenant, name="Per")
    both = tenant.post("/referrals", json={"person_id": person["id"], "channel": "email", "prompted": True,
                                           "reference_id": reference["id"],
                                           "referrer": {"kind": "outsider", "name": "Per"}})
    assert both.status_code == 422
    assert set(both.json["errors"]) == {"reference_id", "referrer"}
    neither = tenant.post("/referrals", json={"person_id": person["id"], "channel": "email", "prompted": True})
    assert neither.status_code == 422
    assert set(neither.json["errors"]) == {"reference_id", "referrer"}
    assert _ids(tenant, "/referrals") == []


def test_create_validation_names_every_bad_field(tenant: Any) -> None:
    response = tenant.post("/referrals", json={
        "person_id": "nope", "referrer": {"kind": "boss", "email": "bad", "surprise": 1}, "channel": "fax",
        "prompted": "maybe", "role_id": "nope", "job_ref": "x" * 201, "note": 1, "referred_at": "soon",
        "status": "lost", "extra": True})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {
        "person_id", "referrer.kind", "referrer.email", "referrer.surprise", "referrer.person_id",
        "referrer.recruiter_id", "referrer.name", "channel", "prompted", "role_id", "job_ref", "note",
        "referred_at", "status", "extra"}
    missing = tenant.post("/referrals", json={"reference_id": str(uuid.uuid4())})
    assert missing.status_code == 422
    assert set(missing.json["errors"]) == {"person_id", "channel", "prompted"}


def test_patch_validation_names_every_bad_field(tenant: Any) -> None:
    referral = _referral(tenant, _person(tenant), referrer={"kind": "outsider", "name": "Per"})
    response = tenant.patch(f"/referrals/{referral['id']}", json={
        "status": "lost", "channel": "fax", "prompted": "maybe", "role_id": "nope", "job_ref": "x" * 201,
        "note": None, "person_id": referral["person_id"], "reference_id": referral["reference_id"]})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"status", "channel", "prompted", "role_id", "job_ref", "note",
                                            "person_id", "reference_id"}


def test_list_query_validation_names_every_bad_field(tenant: Any) -> None:
    response = tenant.get("/referrals", query_string={
        "reference_id": "nope", "person_id": "nope", "status": "lost", "channel": "fax", "prompted": "maybe",
        "referred_from": "soon", "referred_to": "later", "limit": 501})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"reference_id", "person_id", "status", "channel", "prompted",
                                            "referred_from", "referred_to", "limit"}
    backwards = tenant.get("/referrals", query_string={"referred_from": "2026-02-01T00:00:00Z",
                                                       "referred_to": "2026-01-01T00:00:00Z"})
    assert backwards.status_code == 422
    assert set(backwards.json["errors"]) == {"referred_to"}


def test_a_referrer_cannot_refer_themselves(tenant: Any) -> None:
    person = _person(tenant)
    reference = _reference(tenant, kind="candidate", person_id=person["id"])
    response = tenant.post("/referrals", json={"person_id": person["id"], "channel": "phone", "prompted": False,
                                               "reference_id": reference["id"]})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"reference_id"}

    newcomer = _person(tenant, "Ny")
    response = tenant.post("/referrals", json={"person_id": newcomer["id"], "channel": "phone", "prompted": False,
                                               "referrer": {"kind": "candidate", "person_id": newcomer["id"]}})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"referrer"}
    assert _ids(tenant, "/references") == [reference["id"]]  # the inline reference was rolled back with it
    assert _ids(tenant, "/referrals") == []


def test_same_referrer_and_person_twice_is_merged(tenant: Any) -> None:
    person = _person(tenant)
    first = _referral(tenant, person, referrer={"kind": "outsider", "name": "Kari", "email": "kari@n.no"},
                      note="Met at JavaZone")
    again = tenant.post("/referrals", json={"person_id": person["id"], "channel": "email", "prompted": True,
                                            "reference_id": first["reference_id"], "note": "Mentioned again"})
    assert again.status_code == 200, again.json
    assert (again.json["id"], again.json["channel"], again.json["prompted"]) == (first["id"], "linkedin", False)
    assert again.json["note"] == "Met at JavaZone\n\nMentioned again"
    inline = tenant.post("/referrals", json={"person_id": person["id"], "channel": "email", "prompted": True,
                                             "referrer": {"kind": "outsider", "name": "KARI", "email": "kari@n.no"}})
    assert inline.status_code == 200
    assert inline.json["id"] == first["id"] and inline.json["note"] == "Met at JavaZone\n\nMentioned again"
    # Another referrer of the same person is a referral of its own, without the credit.
    other = _referral(tenant, person, referrer={"kind": "outsider", "name": "Kari"})
    assert (other["credited"], first["credited"]) == (False, True)
    assert len(_ids(tenant, "/referrals")) == 2


def test_patch_and_status_changes(tenant: Any, session: Session) -> None:
    referral = _referral(tenant, _person(tenant), referrer={"kind": "outsider", "name": "Per"}, job_ref="GH-1")
    role_id = _role(session, tenant)
    changed = tenant.patch(f"/referrals/{referral['id']}", json={
        "channel": "phone", "prompted": True, "note": "Called back", "role_id": role_id, "job_ref": None})
    assert changed.status_code == 200, changed.json
    body = changed.json
    assert (body["channel"], body["prompted"], body["note"], body["role_id"], body["job_ref"]) == (
        "phone", True, "Called back", role_id, None)
    assert body["status_changed_at"] == referral["status_changed_at"]  # no status change

    changed_at = datetime.fromisoformat(referral["status_changed_at"])
    for status in ("contacted", "in_process", "hired", "received", "parked"):  # any status: mistakes get fixed
        body = tenant.patch(f"/referrals/{referral['id']}", json={"status": status}).json
        assert body["status"] == status
        assert datetime.fromisoformat(body["status_changed_at"]) > changed_at
        changed_at = datetime.fromisoformat(body["status_changed_at"])
    same = tenant.patch(f"/referrals/{referral['id']}", json={"status": "parked"}).json
    assert datetime.fromisoformat(same["status_changed_at"]) == changed_at
    assert tenant.get(f"/referrals/{referral['id']}").json["status"] == "parked"
    assert tenant.patch(f"/referrals/{uuid.uuid4()}", json={"note": "x"}).status_code == 404
    assert tenant.get(f"/referrals/{uuid.uuid4()}").status_code == 404


def test_filters(tenant: Any) -> None:
    ola, kari = _person(tenant, "Ola"), _person(tenant, "Kari")
    per = _reference(tenant, name="Per")
    a = _referral(tenant, ola, reference_id=per["id"], channel="event", prompted=True,
                  referred_at="2026-01-10T12:00:00Z")
    b = _referral(tenant, kari, reference_id=per["id"], referred_at="2026-02-10T12:00:00Z", status="hired")
    c = _referral(tenant, ola, referrer={"kind": "client", "name": "Anne"}, referred_at="2026-03-10T12:00:00Z")

    assert _ids(tenant, "/referrals", reference_id=per["id"]) == [a["id"], b["id"]]
    assert _ids(tenant, "/referrals", person_id=ola["id"]) == [a["id"], c["id"]]
    assert _ids(tenant, "/referrals", status="hired") == [b["id"]]
    assert _ids(tenant, "/referrals", channel="linkedin") == [b["id"], c["id"]]
    assert _ids(tenant, "/referrals", prompted="true") == [a["id"]]
    assert _ids(tenant, "/referrals", prompted="false") == [b["id"], c["id"]]
    assert _ids(tenant, "/referrals", referred_from="2026-02-10T12:00:00Z") == [b["id"], c["id"]]
    assert _ids(tenant, "/referrals", referred_to="2026-02-10T12:00:00Z") == [a["id"]]
    assert _ids(tenant, "/referrals", referred_from="2026-02-01T00:00:00+01:00",
                referred_to="2026-03-01T00:00:00+01:00", person_id=kari["id"], channel="linkedin") == [b["id"]]
    assert _ids(tenant, "/referrals", person_id=kari["id"], channel="event") == []


def test_pagination_follows_referred_at(tenant: Any) -> None:
    reference = _reference(tenant, name="Per")
    days = ["2026-01-05", "2026-03-01", "2026-02-10", "2026-01-20", "2026-02-28"]
    for i, day in enumerate(days):
        _referral(tenant, _person(tenant, f"P{i}"), reference_id=reference["id"], referred_at=f"{day}T10:00:00Z")
    seen: list[str] = []
    cursor = None
    while True:
        body = tenant.get("/referrals", query_string={"limit": 2, **({"cursor": cursor} if cursor else {})}).json
        assert len(body["data"]) <= 2
        seen += [r["referred_at"][:10] for r in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(days)


def test_tenant_isolation(tenant: Any, other_tenant: Any, session: Session) -> None:
    mine_person = _person(tenant)
    mine = _referral(tenant, mine_person, referrer={"kind": "outsider", "name": "Kari"})
    their_person = _person(other_tenant)
    their_reference = _reference(other_tenant, kind="candidate", person_id=_person(other_tenant, "Them")["id"])
    theirs = _referral(other_tenant, their_person, referrer={"kind": "outsider", "name": "Kari"})
    their_recruiter = other_tenant.post("/recruiters", json={"name": "R", "email": "r@rival.no"}).json
    their_role = _role(session, other_tenant)
    base = {"channel": "email", "prompted": False}

    for body, field in [
        ({"person_id": their_person["id"], "referrer": {"kind": "outsider", "name": "Per"}}, "person_id"),
        ({"person_id": mine_person["id"], "reference_id": their_reference["id"]}, "reference_id"),
        ({"person_id": mine_person["id"], "reference_id": mine["reference_id"], "role_id": their_role}, "role_id"),
        ({"person_id": mine_person["id"], "referrer": {"kind": "candidate", "person_id": their_person["id"]}},
         "referrer.person_id"),
        ({"person_id": mine_person["id"], "referrer": {"kind": "employee", "recruiter_id": their_recruiter["id"]}},
         "referrer.recruiter_id"),
    ]:
        response = tenant.post("/referrals", json={**base, **body})
        assert response.status_code == 422, body
        assert response.json["errors"] == {field: ["Unknown id."]}

    assert mine["reference_id"] != theirs["reference_id"]  # their outsider "Kari" is not ours to reuse
    assert tenant.get(f"/referrals/{theirs['id']}").status_code == 404
    assert tenant.patch(f"/referrals/{theirs['id']}", json={"status": "hired"}).status_code == 404
    assert other_tenant.get(f"/referrals/{theirs['id']}").json["status"] == "received"
    response = tenant.patch(f"/referrals/{mine['id']}", json={"role_id": their_role})
    assert response.status_code == 422
    assert response.json["errors"] == {"role_id": ["Unknown id."]}

    assert _ids(tenant, "/referrals") == [mine["id"]]
    assert _ids(tenant, "/referrals", reference_id=theirs["reference_id"]) == []
    assert _ids(tenant, "/referrals", person_id=their_person["id"]) == []
    assert _ids(tenant, "/references") == [mine["reference_id"]]


def test_writes_are_audited_by_field_name_only(tenant: Any, session: Session) -> None:
    referral = _referral(tenant, _person(tenant), referrer={"kind": "outsider", "name": "Kari Nordmann"},
                         note="Secret note")
    tenant.patch(f"/referrals/{referral['id']}", json={"status": "contacted", "note": "Still secret"})
    events = session.scalars(select(AuditEvent).where(AuditEvent.entity_type.in_(["reference", "referral"]))
                             .order_by(AuditEvent.at, AuditEvent.id)).all()
    assert [(e.action, e.entity_type, str(e.entity_id), e.details) for e in events] == [
        ("create", "reference", referral["reference_id"], {"fields": ["kind", "name"]}),
        ("create", "referral", referral["id"], {"fields": ["channel", "note", "person_id", "prompted", "referrer"]}),
        ("update", "referral", referral["id"], {"fields": ["note", "status"]}),
    ]
    assert {e.tenant_id for e in events} == {tenant.id}
