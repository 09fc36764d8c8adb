"""Referrers hear back (issue 17): a referral's new status makes one note to its referrer, in the referrer's
language, drafted for the referred person's owner, or sent at once (with a one-click opt-out) when the tenant
says so. Whatever set the status — here the referrals service, as the API and the pages call it — the hourly
collection writes each note once. Mail goes to a real SMTP server (aiosmtpd, in this process)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plugin.core.signed import Signer
from plugin.errors import NotFoundError
from plugin.extension import get_state
from plugin.followups import jobs as notify
from plugin.messages import messages, referrer_notes
from plugin.models import (
    Message,
    MessageEvent,
    Origin,
    Person,
    Recruiter,
    Reference,
    ReferenceKind,
    Referral,
    ReferralChannel,
    ReferralStatus,
    utcnow,
)
from plugin.people import referrals
from plugin.privacy import erasure
from tests.messages.support import API, Desk, as_
from tests.notify_helpers import Inbox, smtp_server, text_of, work


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    with smtp_server() as inbox:
        yield inbox


@pytest.fixture
def app_config(app_config: dict[str, Any], smtp: Inbox) -> dict[str, Any]:
    return {**app_config, "BROBYGGER_SMTP_URL": smtp.url}


@pytest.fixture
def desk(session: Session, tenant: Any) -> Desk:
    return Desk(session, tenant.id)  # a Norwegian tenant: nb is its language


@pytest.fixture
def secret(app: Flask) -> str:
    return get_state(app).setting("SECRET_KEY")


def _collect(session: Session) -> int:
    return referrer_notes.collect(session, utcnow())


def _notes(desk: Desk, referral: Referral | None = None) -> list[Message]:
    where: dict[str, Any] = {"kind": "referrer_note"}
    if referral is not None:
        where["referral_id"] = referral.id
    return desk.messages(**where)


def _english_referrer(desk: Desk, **extra: Any) -> Person:
    return desk.person("Emily", "Clarke", emails=("emily@example.test",), languages=["English"], **extra)


def _set_status(session: Session, desk: Desk, referral: Referral, status: str) -> None:
    referrals.update(session, desk.tenant_id, referral.id, {"status": ReferralStatus(status)}, API)


# --- one note per referral and status ----------------------------------------------------------------------


def test_a_new_referral_and_each_status_change_make_one_note(session: Session, desk: Desk) -> None:
    owner = desk.recruiter("Olav Owner")
    desk.recruiter("Ada Admin", admin=True)  # not the author while the person has an owner
    kari = desk.person("Kari", "Nordmann", owner=owner)
    emily = _english_referrer(desk)
    referral = desk.referral(kari, {"kind": "candidate", "person_id": emily.id})
    assert referral.status == ReferralStatus.RECEIVED

    assert _collect(session) == 1
    assert _collect(session) == 0  # the hourly job running twice writes nothing twice
    [received] = _notes(desk)
    assert (received.status, received.kind, received.channel, received.template) == (
        "draft", "referrer_note", "email", "referrer_received")
    assert (received.author_id, received.referral_id, received.person_id) == (owner.id, referral.id, None)
    assert received.language == "en"  # Emily speaks English, whatever the tenant's language
    assert received.subject == "Thank you for referring Kari"
    assert received.body.startswith("Hi Emily,") and received.body.endswith("Olav Owner")
    assert received.reason and received.key == referrer_notes.note_key(referral.id, "received")
    assert [kind for kind, _ in desk.trail(received)] == ["drafted"]
    assert messages.recipient(session, received, utcnow()).email == "emily@example.test"

    _set_status(session, desk, referral, "contacted")
    assert _collect(session) == 1
    assert _collect(session) == 0
    _set_status(session, desk, referral, "received")  # set back: that note was written already
    assert _collect(session) == 0
    _set_status(session, desk, referral, "hired")
    assert _collect(session) == 1
    assert [(n.template, n.language) for n in _notes(desk)] == [
        ("referrer_received", "en"), ("referrer_contacted", "en"), ("referrer_hired", "en")]
    assert _notes(desk)[-1].subject == "Kari has joined us"


def test_parked_makes_no_note(session: Session, desk: Desk) -> None:
    kari = desk.person("Kari", owner=desk.recruiter("Olav Owner"))
    referral = desk.referral(kari, {"kind": "candidate", "person_id": _english_referrer(desk).id},
                             status=ReferralStatus.PARKED)
    assert referral.status == ReferralStatus.PARKED
    assert _collect(session) == 0 and _notes(desk) == []


def test_referrals_recorded_after_the_fact_are_no_news_until_their_status_changes(
        app: Flask, session: Session, desk: Desk, smtp: Inbox) -> None:
    """An ATS's first sync brings every past referral in the status it reached long ago (the row
    `ats/sync.py` makes: referred when the candidate applied, its status set as it is created); so does a
    migration through the API. Nobody is written to about a hire of two years ago."""
    desk.rule(referrer_notes="auto")
    owner = desk.recruiter("Olav Owner")
    synced = []
    for i, status in enumerate((ReferralStatus.RECEIVED, ReferralStatus.HIRED, ReferralStatus.NOT_HIRED)):
        reference = Reference(tenant_id=desk.tenant_id, kind=ReferenceKind.OUTSIDER, name=f"Past Referrer{i}",
                              email=f"past{i}@example.test")
        session.add(reference)
        session.flush()
        referral = Referral(tenant_id=desk.tenant_id, reference_id=reference.id,
                            person_id=desk.person(f"Past{i}", owner=owner).id, channel=ReferralChannel.OTHER,
                            prompted=True, status=status, referred_at=utcnow() - timedelta(days=700),
                            origin=Origin.SYNC, external_id=f"greenhouse:referral:{i}")
        session.add(referral)
        session.commit()
        synced.append(referral)
    logged_late = desk.referral(desk.person("Late", owner=owner), {"kind": "candidate",
                                                                   "person_id": _english_referrer(desk).id},
                                status=ReferralStatus.CONTACTED, referred_at=utcnow() - timedelta(days=30))

    hour_ago = utcnow() - timedelta(hours=1)  # the sync ran, and the late entry was made, an hour ago
    session.execute(update(Referral).where(Referral.id.in_([r.id for r in [*synced, logged_late]]))
                    .values(created_at=hour_ago, status_changed_at=hour_ago))
    session.commit()

    assert _collect(session) == 0
    work(app)
    assert smtp.messages == [] and _notes(desk) == []

    _set_status(session, desk, synced[0], "in_process")  # news: this one is written about
    _set_status(session, desk, logged_late, "hired")
    assert _collect(session) == 2
    work(app)
    assert sorted(m["To"] for m in smtp.messages) == ["emily@example.test", "past0@example.test"]


def test_a_recruiter_referrer_gets_their_own_language(session: Session, desk: Desk) -> None:
    owner = desk.recruiter("Olav Owner")
    english = desk.recruiter("Edward English", language="en")
    norwegian = desk.recruiter("Nora Norsk", language="nb")
    kari, ola = desk.person("Kari", owner=owner), desk.person("Ola", owner=owner)
    by_english = desk.referral(kari, {"kind": "employee", "recruiter_id": english.id})
    by_norwegian = desk.referral(ola, {"kind": "employee", "recruiter_id": norwegian.id})

    assert _collect(session) == 2
    [to_english] = _notes(desk, by_english)
    [to_norwegian] = _notes(desk, by_norwegian)
    assert (to_english.language, to_english.subject) == ("en", "Thank you for referring Kari")
    assert to_english.body.startswith("Hi Edward,")
    assert (to_norwegian.language, to_norwegian.subject) == ("nb", "Takk for at du anbefalte Ola")
    assert to_norwegian.body.startswith("Hei Nora,")
    assert messages.recipient(session, to_english, utcnow()).email == english.email


def test_an_outsider_with_an_address_gets_the_tenants_language(session: Session, desk: Desk) -> None:
    kari = desk.person("Kari", owner=desk.recruiter("Olav Owner"))
    referral = desk.referral(kari, {"kind": "outsider", "name": "Per Persen", "email": "per@example.test"})
    assert _collect(session) == 1
    [note] = _notes(desk, referral)
    assert (note.language, note.body.split(",")[0]) == ("nb", "Hei Per")


def test_without_an_owner_an_admin_writes_the_note(session: Session, desk: Desk) -> None:
    admin = desk.recruiter("Ada Admin", admin=True)
    desk.recruiter("Olav Other")
    referral = desk.referral(desk.person("Kari"), {"kind": "candidate", "person_id": _english_referrer(desk).id})
    assert _collect(session) == 1
    assert _notes(desk, referral)[0].author_id == admin.id


def test_the_owner_sends_the_draft_once(app: Flask, session: Session, desk: Desk, smtp: Inbox) -> None:
    owner = desk.recruiter("Olav Owner")
    desk.rule(review=["important", "first_contact", "confidential_role"])  # none is about a referrer's note
    referral = desk.referral(desk.person("Kari", owner=owner),
                             {"kind": "candidate", "person_id": _english_referrer(desk).id})
    _collect(session)
    [note] = _notes(desk, referral)
    assert messages.send(session, note, owner, as_(owner)).status == "queued"
    work(app)
    [received] = smtp.messages
    assert (received["To"], received["Reply-To"]) == ("emily@example.test", owner.email)
    assert received["Auto-Submitted"] is None  # the owner sent it: a reply, even an automatic one, is welcome
    assert desk.fresh(note).status == "sent"


# --- the tenant's choice ----------------------------------------------------------------------------------


def test_auto_sends_each_note_once_with_an_opt_out(app: Flask, session: Session, desk: Desk, smtp: Inbox,
                                                   secret: str) -> None:
    desk.rule(referrer_notes="auto")
    owner = desk.recruiter("Olav Owner")
    emily = _english_referrer(desk)
    referral = desk.referral(desk.person("Kari", owner=owner), {"kind": "candidate", "person_id": emily.id})

    assert _collect(session) == 1
    [note] = _notes(desk)
    assert note.status == "queued"
    work(app)
    assert _collect(session) == 0
    work(app)

    [received] = smtp.messages
    note = desk.fresh(note)
    assert (note.status, note.touchpoint_id) == ("sent", None)  # a note to a referrer is no touch with a person
    assert (received["To"], received["Reply-To"], received["Subject"]) == (
        "emily@example.test", owner.email, "Thank you for referring Kari")
    assert received["Auto-Submitted"] == "auto-generated"  # nobody pressed send: no out-of-office replies (RFC 3834)
    unsubscribe = received["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://brobygger.test/referrers/opt-out/") and unsubscribe.endswith(">")
    url = unsubscribe[1:-1]
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = text_of(received)
    assert text.startswith("Hi Emily,") and url in text and "one click" in text
    token = urlsplit(url).path.rsplit("/", 1)[1]
    assert referrer_notes.opt_out_target(session, secret, token).id == referral.reference_id

    # The next status: one more note, sent once.
    _set_status(session, desk, referral, "in_process")
    assert _collect(session) == 1
    work(app)
    assert _collect(session) == 0
    work(app)
    assert [m["Subject"] for m in smtp.messages] == ["Thank you for referring Kari",
                                                    "Kari is in a recruitment process with us"]


def test_the_hourly_job_writes_the_notes(app: Flask, session: Session, desk: Desk, smtp: Inbox) -> None:
    desk.rule(referrer_notes="auto")
    desk.referral(desk.person("Kari", owner=desk.recruiter("Olav Owner")),
                  {"kind": "candidate", "person_id": _english_referrer(desk).id})
    minute = (utcnow() + timedelta(minutes=1)).isoformat(timespec="minutes")
    with app.app_context():
        assert notify.collect_people(minute)["referrer_notes"] == 1
        assert notify.collect_people(minute)["referrer_notes"] == 0
    work(app)
    assert len(smtp.messages) == 1


def test_off_writes_no_notes(session: Session, desk: Desk) -> None:
    desk.rule(referrer_notes="off")
    referral = desk.referral(desk.person("Kari", owner=desk.recruiter("Olav Owner")),
                             {"kind": "candidate", "person_id": _english_referrer(desk).id})
    _set_status(session, desk, referral, "contacted")
    assert _collect(session) == 0 and _notes(desk) == []


# --- referrers who get none -------------------------------------------------------------------------------


def test_an_opted_out_referrer_gets_no_notes_and_their_drafts_are_blocked(app: Flask, session: Session, desk: Desk,
                                                                        smtp: Inbox, secret: str) -> None:
    owner = desk.recruiter("Olav Owner")
    emily = _english_referrer(desk)
    kari, ola = desk.person("Kari", owner=owner), desk.person("Ola", owner=owner)
    for_kari = desk.referral(kari, {"kind": "candidate", "person_id": emily.id})
    for_ola = desk.referral(ola, {"kind": "candidate", "person_id": emily.id})
    assert _collect(session) == 2
    queued = messages.send(session, _notes(desk, for_ola)[0], owner, as_(owner))
    reference = desk.reference_of(for_kari)

    token = referrer_notes.opt_out_token(secret, reference)
    referrer_notes.opt_out(session, referrer_notes.opt_out_target(session, secret, token))
    referrer_notes.opt_out(session, reference)  # twice changes nothing

    [draft] = _notes(desk, for_kari)
    assert (draft.status, draft.blocked_reason) == ("blocked", messages.OPTED_OUT)
    assert [kind for kind, _ in desk.trail(draft)][-1] == "blocked"  # the owner's page says why it stopped
    work(app)  # the queued one is stopped in the worker
    assert smtp.messages == []
    queued = desk.fresh(queued)
    assert (queued.status, queued.blocked_reason) == ("blocked", messages.OPTED_OUT)
    _set_status(session, desk, for_kari, "contacted")
    _set_status(session, desk, for_ola, "hired")
    assert _collect(session) == 0
    assert len(_notes(desk)) == 2


def test_an_opted_out_referrers_auto_note_is_not_written(app: Flask, session: Session, desk: Desk, smtp: Inbox,
                                                         secret: str) -> None:
    desk.rule(referrer_notes="auto")
    emily = _english_referrer(desk)
    referral = desk.referral(desk.person("Kari", owner=desk.recruiter("Olav Owner")),
                             {"kind": "candidate", "person_id": emily.id})
    referrer_notes.opt_out(session, desk.reference_of(referral))
    assert _collect(session) == 0
    work(app)
    assert smtp.messages == [] and _notes(desk) == []


@pytest.mark.parametrize("referrer", ["outsider", "person", "do_not_contact"])
def test_a_referrer_we_cannot_write_to_gets_none(session: Session, desk: Desk, referrer: str) -> None:
    kari = desk.person("Kari", owner=desk.recruiter("Olav Owner"))
    if referrer == "outsider":
        given: dict[str, Any] = {"kind": "outsider", "name": "Nils Nomail"}
    elif referrer == "person":
        given = {"kind": "candidate", "person_id": desk.person("Nils", "Nomail", emails=()).id}
    else:
        given = {"kind": "candidate", "person_id": desk.person("Dora", "Dnc", do_not_contact=True).id}
    referral = desk.referral(kari, given)
    assert _collect(session) == 0
    _set_status(session, desk, referral, "contacted")
    assert _collect(session) == 0 and _notes(desk) == []


# --- the opt-out link -----------------------------------------------------------------------------------------


def test_an_opt_out_link_names_one_referrer_of_one_tenant(session: Session, desk: Desk, other_tenant: Any,
                                                          secret: str) -> None:
    referral = desk.referral(desk.person("Kari"), {"kind": "candidate", "person_id": _english_referrer(desk).id})
    reference = desk.reference_of(referral)
    token = referrer_notes.opt_out_token(secret, reference)
    assert referrer_notes.opt_out_target(session, secret, token).id == reference.id

    signer = Signer(secret, referrer_notes.OPT_OUT_PURPOSE, timed=False)
    elsewhere = signer.sign({"t": str(other_tenant.id), "r": str(reference.id)})
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    wrong_purpose = Signer(secret, "brobygger.unsubscribe", timed=False).sign(
        {"t": str(reference.tenant_id), "r": str(reference.id)})
    wrong_key = referrer_notes.opt_out_token("another-secret", reference)
    for bad in (elsewhere, altered, wrong_purpose, wrong_key, "", "not-a-token",
                signer.sign({"t": str(reference.tenant_id)}), signer.sign(["nonsense"])):
        with pytest.raises(NotFoundError):
            referrer_notes.opt_out_target(session, secret, bad)
    assert desk.reference_of(referral).notes_opted_out_at is None


# --- erasure ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("erased", ["referred", "referrer"])
def test_erasing_either_person_removes_the_notes(app: Flask, session: Session, desk: Desk, smtp: Inbox,
                                                 erased: str) -> None:
    owner = desk.recruiter("Olav Owner")
    kari, emily = desk.person("Kari", "Nordmann", owner=owner), _english_referrer(desk)
    referral = desk.referral(kari, {"kind": "candidate", "person_id": emily.id})
    _collect(session)
    queued_id = messages.send(session, _notes(desk)[0], owner, as_(owner)).id
    _set_status(session, desk, referral, "contacted")
    _collect(session)
    assert len(_notes(desk)) == 2

    erasure.erase(session, desk.tenant_id, (kari if erased == "referred" else emily).id, API)

    assert _notes(desk) == []
    assert session.scalars(select(MessageEvent).where(MessageEvent.tenant_id == desk.tenant_id)).all() == []
    assert not any("Kari" in text or "Emily" in text for text in session.scalars(
        select(Message.subject + " " + Message.body).where(Message.tenant_id == desk.tenant_id)))
    _set_status(session, desk, referral, "hired")
    assert _collect(session) == 0 and _notes(desk) == []
    work(app)  # the queued note's job finds nothing to send
    assert smtp.messages == []
    assert queued_id not in set(session.scalars(select(Message.id)))


def test_notes_of_one_tenant_stay_there(session: Session, desk: Desk, other_tenant: Any) -> None:
    referral = desk.referral(desk.person("Kari", owner=desk.recruiter("Olav Owner")),
                             {"kind": "candidate", "person_id": _english_referrer(desk).id})
    other = Desk(session, other_tenant.id)
    other_referral = other.referral(other.person("Kari", owner=other.recruiter("Rita Rival")),
                                    {"kind": "candidate", "person_id": _english_referrer(other).id})
    assert _collect(session) == 2
    [ours], [theirs] = _notes(desk), _notes(other)
    assert (ours.referral_id, theirs.referral_id) == (referral.id, other_referral.id)
    assert session.get(Recruiter, theirs.author_id).tenant_id == other_tenant.id  # type: ignore[union-attr]
    with pytest.raises(NotFoundError):
        messages.get(session, other_tenant.id, ours.id)
