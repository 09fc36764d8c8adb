"""Four eyes on a message (issue 17): the tenant's rule decides which messages a colleague reads first; the
author asks, the reader edits, comments and approves, and only then does it go; sent, it is a touch. Through the
services, as the message pages call them, and through the REST API where it reaches (drafting, the trail, the
rule). A recipient who may not be contacted gets nothing, whenever that became so."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.errors import ConflictError, NotFoundError
from plugin.extension import get_state
from plugin.followups import cadences, followups
from plugin.messages import messages
from plugin.models import (
    Delivery,
    FollowUpStatus,
    LawfulBasis,
    Message,
    MessageEvent,
    Recruiter,
    TouchpointKind,
    utcnow,
)
from plugin.people import people
from plugin.privacy import erasure
from tests.messages.support import API, REASON, Desk, as_
from tests.notify_helpers import work


@pytest.fixture
def desk(session: Session, tenant: Any) -> Desk:
    return Desk(session, tenant.id)


def _outbox(app: Flask) -> list[Path]:
    """The development outbox: without BROBYGGER_SMTP_URL every sent mail is a file here."""
    folder = get_state(app).instance_path / "outbox"
    return sorted(folder.glob("*.eml")) if folder.is_dir() else []


def _recruiter(session: Session, tenant: Any, name: str, email: str) -> Recruiter:
    made = tenant.create("/recruiters", {"name": name, "email": email})
    found = session.get(Recruiter, uuid.UUID(made["id"]))
    assert found is not None
    return found


# --- the whole flow, two recruiters -------------------------------------------------------------------------


def test_an_important_message_goes_out_only_after_a_colleague_approved_it(
        app: Flask, session: Session, tenant: Any, desk: Desk) -> None:
    rule = tenant.patch("/messages/settings", json={"review": ["important"]})
    assert rule.status_code == 200, rule.json
    assert rule.json["data"]["review"] == ["important"]
    author = _recruiter(session, tenant, "Anne Author", "anne@acme.test")
    reader = _recruiter(session, tenant, "Bjørn Reader", "bjorn@acme.test")
    person = tenant.create("/people", {"first_name": "Kari", "last_name": "Nordmann",
                                       "emails": ["kari@example.test", "kari.n@work.test"]})

    drafted = tenant.create("/messages", {"author_id": str(author.id), "person_id": person["id"],
                                          "template": "keep_in_touch", "language": "en"})
    assert (drafted["status"], drafted["kind"], drafted["channel"], drafted["author_id"]) == (
        "draft", "outreach", "email", str(author.id))
    assert drafted["body"].startswith("Hi Kari,") and "Anne Author" in drafted["body"]
    assert drafted["needs_review"] is False  # nothing marks it important yet
    message = desk.fresh(session.get(Message, uuid.UUID(drafted["id"])))  # type: ignore[arg-type]

    messages.edit(session, message, author, {"reason": REASON, "important": True}, as_(author))
    assert message.needs_review is True
    with pytest.raises(ConflictError, match="approve"):
        messages.send(session, message, author, as_(author))
    assert desk.fresh(message).status == "draft" and desk.deliveries() == []

    messages.ask_review(session, message, author, reader.id, as_(author))
    assert (message.status, message.reviewer_id, message.any_admin) == ("in_review", reader.id, False)
    assert [m.id for m in messages.to_review(session, tenant.id, reader)] == [message.id]
    assert messages.to_review(session, tenant.id, author) == []
    with pytest.raises(ConflictError):  # the author waits while the colleague reads
        messages.edit(session, message, author, {"body": "Changed my mind"}, as_(author))
    with pytest.raises(ConflictError):
        messages.send(session, message, author, as_(author))

    before = message.body
    after = before.replace("Would you have time for a short call", "Could we have a coffee")
    assert after != before
    messages.edit(session, message, reader, {"body": after}, as_(reader))
    messages.comment(session, message, reader, "Coffee reads warmer than a call.", as_(reader))
    with pytest.raises(ConflictError):  # only the reader approves
        messages.approve(session, message, author, as_(author))
    messages.approve(session, message, reader, as_(reader))
    assert desk.fresh(message).status == "approved"

    messages.send(session, message, author, as_(author))
    assert desk.fresh(message).status == "queued"
    [delivery] = desk.deliveries()
    assert (delivery.status, delivery.recruiter_id, delivery.key) == ("pending", author.id, f"message:{message.id}")
    work(app)

    message = desk.fresh(message)
    assert (message.status, message.body) == ("sent", after) and message.sent_at is not None
    assert desk.deliveries()[0].status == "sent"
    assert len(_outbox(app)) == 1
    assert desk.trail(message) == [("drafted", author.id), ("edited", author.id), ("submitted", author.id),
                                   ("edited", reader.id), ("commented", reader.id), ("approved", reader.id),
                                   ("queued", author.id), ("sent", None)]

    # The same trail through the API, with the reader's change and comment.
    shown = tenant.get(f"/messages/{message.id}")
    assert shown.status_code == 200, shown.json
    events = shown.json["events"]
    assert [e["kind"] for e in events] == ["drafted", "edited", "submitted", "edited", "commented", "approved",
                                           "queued", "sent"]
    assert [e["actor_id"] for e in events] == [str(author.id), str(author.id), str(author.id), str(reader.id),
                                               str(reader.id), str(reader.id), str(author.id), None]
    edited_by_reader = events[3]
    assert (edited_by_reader["body_before"], edited_by_reader["body_after"]) == (before, after)
    assert (events[1]["body_before"], events[1]["body_after"]) == (None, None)  # reason and flag: no body change
    assert events[4]["comment"] == "Coffee reads warmer than a call."
    assert (shown.json["status"], shown.json["reviewer_id"], shown.json["important"]) == (
        "sent", str(reader.id), True)


def test_an_authors_edit_after_approval_voids_it(session: Session, desk: Desk) -> None:
    desk.rule(review=["important"])
    author, reader = desk.recruiter("Anne Author"), desk.recruiter("Bjørn Reader")
    message = desk.draft(author, desk.person("Kari"), important=True)
    messages.ask_review(session, message, author, reader.id, as_(author))
    messages.approve(session, message, reader, as_(reader))

    messages.edit(session, message, author, {"body": message.body + "\n\nPS: bring your bike."}, as_(author))
    assert desk.fresh(message).status == "draft"  # the approval covered the text the reader read
    with pytest.raises(ConflictError, match="approve"):
        messages.send(session, message, author, as_(author))
    assert desk.fresh(message).status == "draft" and desk.deliveries() == []
    assert [kind for kind, _ in desk.trail(message)] == ["drafted", "edited", "submitted", "approved", "edited"]

    messages.ask_review(session, message, author, reader.id, as_(author))  # read again, then it may go
    messages.approve(session, message, reader, as_(reader))
    assert messages.send(session, message, author, as_(author)).status == "queued"


def test_a_reader_can_send_it_back(session: Session, desk: Desk) -> None:
    desk.rule(review=["important"])
    author, reader = desk.recruiter("Anne Author"), desk.recruiter("Bjørn Reader")
    message = desk.draft(author, desk.person("Kari"), important=True)
    messages.ask_review(session, message, author, reader.id, as_(author))
    messages.send_back(session, message, reader, "Say which role.", as_(reader))
    assert desk.fresh(message).status == "changes_requested"
    with pytest.raises(ConflictError):
        messages.send(session, message, author, as_(author))
    messages.edit(session, message, author, {"body": message.body + " The role is data engineer."}, as_(author))
    assert desk.fresh(message).status == "draft"  # changed since it was read: the rule asks for a new reading
    with pytest.raises(ConflictError, match="approve"):
        messages.send(session, message, author, as_(author))
    messages.ask_review(session, message, author, reader.id, as_(author))
    messages.approve(session, message, reader, as_(reader))
    assert messages.send(session, message, author, as_(author)).status == "queued"
    assert [kind for kind, _ in desk.trail(message)] == ["drafted", "edited", "submitted", "returned", "edited",
                                                         "submitted", "approved", "queued"]


def test_a_review_the_rule_did_not_ask_for_only_advises(session: Session, desk: Desk) -> None:
    """The author asked a colleague of her own accord: once she has made the changes, she may send it."""
    desk.rule(review=[])
    author, reader = desk.recruiter("Anne Author"), desk.recruiter("Bjørn Reader")
    message = desk.draft(author, desk.person("Kari"))
    messages.ask_review(session, message, author, reader.id, as_(author))
    messages.send_back(session, message, reader, "Say which role.", as_(reader))
    with pytest.raises(ConflictError):  # not as it was sent back
        messages.send(session, message, author, as_(author))
    messages.edit(session, message, author, {"body": message.body + " The role is data engineer."}, as_(author))
    assert messages.send(session, message, author, as_(author)).status == "queued"


# --- the tenant's rule ----------------------------------------------------------------------------------------


def test_with_no_rule_a_message_goes_at_once(app: Flask, session: Session, desk: Desk) -> None:
    desk.rule(review=[])
    author = desk.recruiter("Anne Author")
    message = desk.draft(author, desk.person("Kari"), important=True)
    assert message.needs_review is False
    messages.send(session, message, author, as_(author))
    work(app)
    assert desk.fresh(message).status == "sent"
    assert [kind for kind, _ in desk.trail(message)] == ["drafted", "edited", "queued", "sent"]
    assert len(_outbox(app)) == 1


def test_a_message_without_its_reason_line_does_not_go(session: Session, desk: Desk) -> None:
    desk.rule(review=[])
    author = desk.recruiter("Anne Author")
    person = desk.person("Kari")
    message = messages.start(session, desk.tenant_id, author, {"person_id": person.id}, as_(author))
    with pytest.raises(Exception, match="why") as refused:
        messages.send(session, message, author, as_(author))
    assert "reason" in refused.value.errors  # type: ignore[attr-defined]
    assert desk.fresh(message).status == "draft" and desk.deliveries() == []


def test_first_contact_needs_a_reader_until_the_person_has_been_met(session: Session, desk: Desk) -> None:
    desk.rule(review=["first_contact"])
    author, reader = desk.recruiter("Anne Author"), desk.recruiter("Bjørn Reader")
    stranger, met = desk.person("Ukjent"), desk.person("Kjent")
    people.log_touchpoint(session, desk.tenant_id, met.id, {
        "kind": TouchpointKind.MEETING, "occurred_at": utcnow() - timedelta(days=30), "summary": "Lunch"}, API)

    to_stranger, to_met = desk.draft(author, stranger), desk.draft(author, met)
    assert (to_stranger.needs_review, to_met.needs_review) == (True, False)
    with pytest.raises(ConflictError):
        messages.send(session, to_stranger, author, as_(author))
    assert messages.send(session, to_met, author, as_(author)).status == "queued"

    # A note is not contact: it does not make the stranger someone we have met.
    people.log_touchpoint(session, desk.tenant_id, stranger.id, {
        "kind": TouchpointKind.NOTE, "occurred_at": utcnow(), "summary": "Saw their talk"}, API)
    with pytest.raises(ConflictError):
        messages.send(session, to_stranger, author, as_(author))
    messages.ask_review(session, to_stranger, author, reader.id, as_(author))
    messages.approve(session, to_stranger, reader, as_(reader))
    assert messages.send(session, to_stranger, author, as_(author)).status == "queued"


def test_anything_about_a_confidential_role_needs_a_reader(session: Session, desk: Desk) -> None:
    desk.rule(review=["confidential_role"])
    author = desk.recruiter("Anne Author")
    secret, open_role = desk.role("Head of payments", "confidential"), desk.role("Data engineer", "advertised")
    person = desk.person("Kari")
    about_secret = desk.draft(author, person, role_id=secret.id, language="en")
    about_open = desk.draft(author, person, role_id=open_role.id, language="en")
    assert about_secret.template == "unadvertised_role" and "Head of payments" in about_secret.body
    assert (about_secret.needs_review, about_open.needs_review) == (True, False)
    with pytest.raises(ConflictError):
        messages.send(session, about_secret, author, as_(author))
    assert messages.send(session, about_open, author, as_(author)).status == "queued"


def test_any_admin_may_read_but_not_the_author_nor_a_non_admin(session: Session, desk: Desk) -> None:
    desk.rule(review=["important"])
    author = desk.recruiter("Anne Author", admin=True)
    colleague = desk.recruiter("Camilla Colleague")
    admin = desk.recruiter("Dag Admin", admin=True)
    message = desk.draft(author, desk.person("Kari"), important=True)

    messages.ask_review(session, message, author, None, as_(author))
    assert (message.status, message.any_admin, message.reviewer_id) == ("in_review", True, None)
    assert [m.id for m in messages.to_review(session, desk.tenant_id, admin)] == [message.id]
    assert messages.to_review(session, desk.tenant_id, author) == []
    assert messages.to_review(session, desk.tenant_id, colleague) == []
    for refused in (author, colleague):
        with pytest.raises(ConflictError):
            messages.approve(session, message, refused, as_(refused))
        assert desk.fresh(message).status == "in_review"
    with pytest.raises(NotFoundError):  # a colleague not asked cannot comment either
        messages.comment(session, message, colleague, "Looks fine", as_(colleague))

    messages.approve(session, message, admin, as_(admin))
    message = desk.fresh(message)
    assert (message.status, message.reviewer_id) == ("approved", admin.id)
    assert messages.send(session, message, author, as_(author)).status == "queued"


def test_the_author_cannot_be_their_own_reader(session: Session, desk: Desk) -> None:
    desk.rule(review=["important"])
    author = desk.recruiter("Anne Author", admin=True)
    message = desk.draft(author, desk.person("Kari"), important=True)
    with pytest.raises(Exception, match="other"):
        messages.ask_review(session, message, author, author.id, as_(author))
    with pytest.raises(Exception, match="no other admin"):  # the only admin is the author
        messages.ask_review(session, message, author, None, as_(author))
    assert desk.fresh(message).status == "draft"


def test_another_tenants_message_is_not_found(session: Session, tenant: Any, other_tenant: Any,
                                              desk: Desk) -> None:
    author = desk.recruiter("Anne Author")
    message = desk.draft(author, desk.person("Kari"))
    with pytest.raises(NotFoundError):
        messages.get(session, other_tenant.id, message.id)
    assert messages.get(session, tenant.id, message.id).id == message.id
    assert other_tenant.get(f"/messages/{message.id}").status_code == 404
    assert tenant.get(f"/messages/{message.id}").status_code == 200
    assert [m["id"] for m in tenant.walk("/messages")] == [str(message.id)]
    assert other_tenant.walk("/messages") == []
    assert other_tenant.walk("/messages", {"person_id": str(message.person_id)}) == []
    # Nor can the other tenant draft to this tenant's person, or for this tenant's recruiter.
    rival = Desk(session, other_tenant.id).recruiter("Rita Rival")
    for body, field in (({"author_id": str(rival.id), "person_id": str(message.person_id)}, "person_id"),
                        ({"author_id": str(author.id), "person_id": str(message.person_id)}, "author_id")):
        refused = other_tenant.post("/messages", json=body)
        assert refused.status_code in (404, 422) and field in refused.json["errors"], refused.json  # an unknown id
    assert Desk(session, other_tenant.id).messages() == []


# --- a sent message is a touch ----------------------------------------------------------------------------------


def test_a_sent_message_is_a_touch_that_resets_the_cadence_and_completes_its_followup(
        app: Flask, session: Session, desk: Desk) -> None:
    desk.rule(review=[])
    author = desk.recruiter("Anne Author")
    person = desk.person("Kari", owner=author)
    long_ago = utcnow() - timedelta(days=200)
    people.log_touchpoint(session, desk.tenant_id, person.id, {
        "kind": TouchpointKind.MEETING, "occurred_at": long_ago, "summary": "Coffee"}, API)
    cadences.set_for_person(session, desk.tenant_id, person.id, {"ideal_days": 90, "max_days": 180}, API)
    assert cadences.get(session, desk.tenant_id, person.id).state == cadences.State.LOSING_TOUCH
    followup = followups.create(session, desk.tenant_id, {
        "person_id": person.id, "due_at": utcnow() + timedelta(hours=1), "reason": "Ask about the new team"}, API)

    message = desk.draft(author, person, followup_id=followup.id, language="en")
    assert "Ask about the new team" in message.body  # the follow-up's reason comes along
    messages.send(session, message, author, as_(author))
    assert cadences.get(session, desk.tenant_id, person.id).state == cadences.State.LOSING_TOUCH  # not yet sent
    work(app)

    message = desk.fresh(message)
    [touch] = desk.touches(person, TouchpointKind.MESSAGE)
    assert (message.status, message.touchpoint_id) == ("sent", touch.id)
    assert (touch.recruiter_id, touch.summary, touch.occurred_at) == (author.id, message.subject, message.sent_at)
    view = cadences.get(session, desk.tenant_id, person.id)
    assert (view.state, view.last_touch_at) == (cadences.State.ON_TRACK, message.sent_at)
    done = followups.get(session, desk.tenant_id, followup.id)
    assert (done.status, done.touchpoint_id) == (FollowUpStatus.DONE, touch.id)
    assert done.completed_at == message.sent_at


def test_a_followup_is_about_its_own_person(session: Session, desk: Desk) -> None:
    author = desk.recruiter("Anne Author")
    kari, ola = desk.person("Kari"), desk.person("Ola")
    followup = followups.create(session, desk.tenant_id, {
        "person_id": ola.id, "due_at": utcnow() + timedelta(hours=1), "reason": "Ask about the move"}, API)
    with pytest.raises(Exception, match="someone else"):
        messages.start(session, desk.tenant_id, author, {"person_id": kari.id, "followup_id": followup.id},
                       as_(author))
    assert desk.messages() == []


def test_a_linkedin_message_is_logged_as_sent_at_once(app: Flask, session: Session, desk: Desk) -> None:
    desk.rule(review=[])
    author = desk.recruiter("Anne Author")
    person = desk.person("Kari", emails=())  # no address needed: the author copies it into LinkedIn
    message = desk.draft(author, person, channel="linkedin")

    messages.send(session, message, author, as_(author))

    message = desk.fresh(message)
    [touch] = desk.touches(person, TouchpointKind.MESSAGE)
    assert (message.status, message.touchpoint_id, message.delivery_id) == ("sent", touch.id, None)
    assert message.sent_at is not None
    assert desk.deliveries() == []
    assert [kind for kind, _ in desk.trail(message)] == ["drafted", "edited", "copied", "sent"]
    work(app)
    assert _outbox(app) == []


@pytest.mark.parametrize("channel", ["email", "linkedin"])
def test_sending_from_two_tabs_sends_once(app: Flask, session: Session, desk: Desk, channel: str) -> None:
    """Both tabs show the draft; the second press of "send" finds it sent, and logs nothing twice."""
    desk.rule(review=[])
    author = desk.recruiter("Anne Author")
    person = desk.person("Kari", owner=author)
    message = desk.draft(author, person, channel=channel)
    state = get_state(app)
    with state.sessions() as first_tab, state.sessions() as second_tab:
        mine, again = first_tab.get(Message, message.id), second_tab.get(Message, message.id)
        me, me_again = first_tab.get(Recruiter, author.id), second_tab.get(Recruiter, author.id)
        assert mine and again and me and me_again and again.status == "draft"
        messages.send(first_tab, mine, me, as_(author))
        with pytest.raises(ConflictError, match="sent already"):
            messages.send(second_tab, again, me_again, as_(author))
    work(app)
    assert desk.fresh(message).status == "sent"
    assert len(desk.touches(person, TouchpointKind.MESSAGE)) == 1
    assert [kind for kind, _ in desk.trail(message)].count("sent") == 1
    assert len(desk.deliveries()) == (1 if channel == "email" else 0)
    assert len(_outbox(app)) == (1 if channel == "email" else 0)


def test_an_email_to_someone_without_an_address_is_refused(session: Session, desk: Desk) -> None:
    desk.rule(review=[])
    author = desk.recruiter("Anne Author")
    message = desk.draft(author, desk.person("Kari", emails=()))
    before = desk.counts()
    with pytest.raises(messages.Blocked) as refused:
        messages.send(session, message, author, as_(author))
    assert refused.value.reason == messages.NO_ADDRESS
    assert desk.counts() == before and desk.fresh(message).status == "draft"


# --- recipients who may not be contacted ----------------------------------------------------------------------


def _do_not_contact(session: Session, desk: Desk, person_id: uuid.UUID) -> None:
    people.update(session, desk.tenant_id, person_id, {"do_not_contact": True}, API)


def _consent_lapsed(session: Session, desk: Desk, person_id: uuid.UUID) -> None:
    people.update(session, desk.tenant_id, person_id, {"lawful_basis": LawfulBasis.CONSENT,
                                                        "consent_expires_at": utcnow() - timedelta(days=1)}, API)


@pytest.mark.parametrize(("make_unreachable", "reason"), [
    (_do_not_contact, messages.DO_NOT_CONTACT),
    (_consent_lapsed, messages.CONSENT_LAPSED),
])
def test_sending_to_someone_we_may_not_contact_is_refused_and_writes_nothing(
        session: Session, desk: Desk, make_unreachable: Any, reason: str) -> None:
    desk.rule(review=[])
    author = desk.recruiter("Anne Author")
    person = desk.person("Kari")
    email, linkedin = desk.draft(author, person), desk.draft(author, person, channel="linkedin")
    make_unreachable(session, desk, person.id)
    before = desk.counts()

    for message in (email, linkedin):
        with pytest.raises(messages.Blocked) as refused:
            messages.send(session, message, author, as_(author))
        assert refused.value.reason == reason
        assert str(refused.value) == messages.block_text(reason) and "Nothing was sent" in str(refused.value)
        message = desk.fresh(message)
        assert (message.status, message.delivery_id, message.touchpoint_id) == ("draft", None, None)
    assert desk.counts() == before  # no delivery, no event, no touch
    with pytest.raises(messages.Blocked) as refused:  # and no new draft either
        messages.start(session, desk.tenant_id, author, {"person_id": person.id}, as_(author))
    assert refused.value.reason == reason
    assert desk.counts() == before


def test_consent_that_has_not_lapsed_is_no_bar(session: Session, desk: Desk) -> None:
    desk.rule(review=[])
    author = desk.recruiter("Anne Author")
    person = desk.person("Kari", lawful_basis=LawfulBasis.CONSENT)
    assert person.consent_expires_at is not None and person.consent_expires_at > utcnow()
    assert messages.send(session, desk.draft(author, person), author, as_(author)).status == "queued"


def test_an_erased_person_gets_nothing_and_their_drafts_are_gone(app: Flask, session: Session, desk: Desk) -> None:
    desk.rule(review=[])
    author = desk.recruiter("Anne Author")
    person = desk.person("Kari")
    draft_id = desk.draft(author, person).id
    queued_id = messages.send(session, desk.draft(author, person), author, as_(author)).id
    [delivery] = desk.deliveries()

    erasure.erase(session, desk.tenant_id, person.id, API)

    assert desk.messages() == [] and desk.count(MessageEvent) == 0
    with pytest.raises(NotFoundError):
        messages.get(session, desk.tenant_id, draft_id)
    before = desk.counts()
    with pytest.raises(messages.Blocked) as refused:
        messages.start(session, desk.tenant_id, author, {"person_id": person.id}, as_(author))
    assert refused.value.reason == messages.ERASED
    assert desk.counts() == before
    work(app)  # the queued one's job finds no message: nothing goes out
    assert session.get(Delivery, delivery.id, populate_existing=True).status == "skipped"  # type: ignore[union-attr]
    assert _outbox(app) == [] and desk.touches(person) == []
    assert queued_id not in set(session.scalars(select(Message.id)))


def test_a_person_who_becomes_do_not_contact_after_queueing_gets_nothing(
        app: Flask, session: Session, desk: Desk) -> None:
    desk.rule(review=[])
    author = desk.recruiter("Anne Author")
    person = desk.person("Kari")
    message = messages.send(session, desk.draft(author, person), author, as_(author))
    assert message.status == "queued"
    _do_not_contact(session, desk, person.id)

    work(app)

    message = desk.fresh(message)
    [delivery] = desk.deliveries()
    assert (message.status, message.blocked_reason, message.sent_at) == ("blocked", messages.DO_NOT_CONTACT, None)
    assert (delivery.status, delivery.message_id) == ("skipped", None)
    assert _outbox(app) == [] and desk.touches(person, TouchpointKind.MESSAGE) == []
    assert [kind for kind, _ in desk.trail(message)][-2:] == ["queued", "blocked"]
