"""Referral merging, credit, and the ready-made note for the referrer."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.i18n import pick_language
from plugin.models import AuditEvent, Referral


def _person(t: Any, first: str = "Åse") -> dict:
    return t.create("/people", {"first_name": first, "last_name": "Øvrebø"})


def _refer(t: Any, person: dict, referrer: dict, **body: Any) -> Any:
    return t.post("/referrals", json={"person_id": person["id"], "channel": "linkedin", "prompted": False,
                                      "referrer": referrer, **body})


KARI = {"kind": "outsider", "name": "Kari Nordmann"}
PER = {"kind": "outsider", "name": "Per Hansen"}


def test_repeat_by_the_same_referrer_is_merged(tenant: Any, session: Session) -> None:
    person = _person(tenant)
    first = _refer(tenant, person, KARI, note="Strong Python")
    assert first.status_code == 201
    again = _refer(tenant, person, KARI, note="Also knows Rust", channel="phone", job_ref="GH-7")
    assert again.status_code == 200
    body = again.json
    assert body["id"] == first.json["id"]
    assert (body["note"], body["channel"], body["job_ref"]) == ("Strong Python\n\nAlso knows Rust", "linkedin", "GH-7")
    # The same note a third time adds nothing.
    assert _refer(tenant, person, KARI, note="Also knows Rust").json["note"] == "Strong Python\n\nAlso knows Rust"
    assert len(session.scalars(select(Referral).where(Referral.tenant_id == tenant.id)).all()) == 1
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "referral")).all()
    assert sorted(actions) == ["create", "merge"]


def test_first_referrer_keeps_the_credit(tenant: Any) -> None:
    person = _person(tenant)
    kari = _refer(tenant, person, KARI).json
    per = _refer(tenant, person, PER)
    assert per.status_code == 201
    assert (kari["credited"], per.json["credited"]) == (True, False)
    assert tenant.get(f"/referrals/{kari['id']}").json["credited"] is True
    # Somebody else's person: the credit is theirs alone.
    other = _refer(tenant, _person(tenant, "Ola"), PER).json
    assert other["credited"] is True


def test_credit_moves_on_request_and_by_action(tenant: Any, other_tenant: Any) -> None:
    person = _person(tenant)
    kari = _refer(tenant, person, KARI).json
    per = _refer(tenant, person, PER, credited=True).json
    assert per["credited"] is True
    assert tenant.get(f"/referrals/{kari['id']}").json["credited"] is False
    moved = tenant.post(f"/referrals/{kari['id']}/credit")
    assert moved.status_code == 200 and moved.json["credited"] is True
    assert tenant.get(f"/referrals/{per['id']}").json["credited"] is False
    assert tenant.post(f"/referrals/{kari['id']}/credit").json["credited"] is True  # again: no change
    assert other_tenant.post(f"/referrals/{kari['id']}/credit").status_code == 404
    assert tenant.post(f"/referrals/{uuid.uuid4()}/credit").status_code == 404
    # A repeat by Per asking for the credit takes it back, merged into his referral.
    merged = _refer(tenant, person, PER, credited=True)
    assert (merged.status_code, merged.json["id"], merged.json["credited"]) == (200, per["id"], True)
    credited = [r for r in tenant.walk("/referrals") if r["credited"]]
    assert [r["id"] for r in credited] == [per["id"]]


def test_the_report_counts_a_person_once(tenant: Any) -> None:
    person = _person(tenant)
    _refer(tenant, person, KARI, referred_at="2026-03-10T10:00:00Z")
    _refer(tenant, person, PER, referred_at="2026-03-11T10:00:00Z")
    report = tenant.get("/reports/referrals/2026-03").json
    assert report["referrals"]["total"]["current"] == 1
    assert [r["name"] for r in report["by_referrer"]] == ["Kari Nordmann"]


def test_thank_you_note_follows_the_status(tenant: Any) -> None:
    referral = _refer(tenant, _person(tenant), KARI).json
    # The tenant writes Norwegian by default and Kari has no language of her own: the note is in Norwegian.
    assert referral["thank_you_note"].startswith("Hei Kari, takk for at du anbefalte Åse")
    notes = {}
    for status in ("contacted", "in_process", "hired", "not_hired", "parked"):
        notes[status] = tenant.patch(f"/referrals/{referral['id']}", json={"status": status}).json["thank_you_note"]
    assert "har fått jobben" in notes["hired"] and "rekrutteringsprosess" in notes["in_process"]
    assert len(set(notes.values())) == 5 and all(note.startswith("Hei Kari") for note in notes.values())
    listed = tenant.get("/referrals").json["data"][0]
    assert listed["thank_you_note"] == notes["parked"]


def test_referrer_language() -> None:
    assert pick_language("en", spoken=(), default="nb") == "en"  # a recruiter's own setting
    assert pick_language(None, spoken=["English"], default="nb") == "en"
    assert pick_language(None, spoken=["English", "Norsk"], default="nb") == "nb"  # the tenant's default among several
    assert pick_language(None, spoken=["Swahili"], default="nb") == "nb"
    assert pick_language(None, spoken=(), default="en") == "en"
    assert pick_language(None, spoken=["Bokmål"], default="en") == "nb"  # as the privacy notice reads it too
