"""The message pages through the Flask client: every page opens, a message of another tenant (or one the recruiter
neither wrote nor was asked to read) is a 404 like an unknown id, every POST needs the CSRF token, each action
answers with a flash in the recruiter's language (a refusal of the service too), the trail shows what a reader
changed, the tone check answers the page's script, the sidebar links into a new draft, and a referrer opts out
without signing in (the page's button, a mail program's one-click POST; a bad link is a 404 in the reader's
language)."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.core.actors import Actor
from plugin.extension import get_state
from plugin.i18n import force_locale, gettext
from plugin.messages import referrer_notes
from plugin.models import (
    Delivery,
    Message,
    MessageEvent,
    Person,
    Recruiter,
    Reference,
    ReferenceKind,
    Referral,
    ReferralChannel,
    Touchpoint,
)
from plugin.tenancy import settings as tenant_settings
from tests import past
from tests.pages import csrf, make_recruiter, post_form, sign_in
from tests.sidebar_support import open_sidebar

LANGUAGES = ("en", "nb")
NB = {"Accept-Language": "nb-NO,nb;q=0.9"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}
MESSAGE_URL = re.compile(r"/messages/([0-9a-f-]{36})$")

# Our own flashes, as each language says them.
SAID = {
    "saved": {"en": "Saved.", "nb": "Lagret."},
    "asked": {"en": "Sent to Ola Berg to read.", "nb": "Sendt til Ola Berg for gjennomlesing."},
    "asked_admin": {"en": "Sent to an admin to read.", "nb": "Sendt til en administrator for gjennomlesing."},
    "commented": {"en": "Comment added.", "nb": "Kommentaren er lagt til."},
    "approved": {"en": "Approved. Kari Nordmann can send it now.",
                 "nb": "Godkjent. Kari Nordmann kan sende den nå."},
    "returned": {"en": "Sent back to Kari Nordmann with your comment.",
                 "nb": "Sendt tilbake til Kari Nordmann med kommentaren din."},
    "queued": {"en": "The e-mail is queued and goes out in a minute or two.",
               "nb": "E-posten står i kø og går ut om et par minutter."},
    "linkedin": {"en": "Logged as sent on LinkedIn.", "nb": "Registrert som sendt på LinkedIn."},
    "discarded": {"en": "The draft is discarded.", "nb": "Utkastet er forkastet."},
    "restarted": {"en": "A new draft from the template; the old one is discarded.",
                  "nb": "Et nytt utkast fra malen; det gamle er forkastet."},
    "choose": {"en": "Choose who should read the message.", "nb": "Velg hvem som skal lese meldingen."},
    "heading": {"en": "Messages", "nb": "Meldinger"},
    "waiting": {"en": "Waiting for you to read", "nb": "Venter på at du leser"},
    "reason_label": {"en": "Why now, and why you?", "nb": "Hvorfor nå, og hvorfor du?"},
    "opt_out_ask": {"en": "Stop the notes about your referrals?",
                    "nb": "Vil du slutte å få meldinger om anbefalingene dine?"},
    "opt_out_done": {"en": "You will get no more notes about your referrals.",
                     "nb": "Du får ikke flere meldinger om anbefalingene dine."},
}


def said(app: Flask, text: str, language: str) -> str:
    """A text of the services (written with gettext there) as the catalogue has it in `language`; in
    Norwegian it must differ from the English, or the page would show English."""
    with app.test_request_context(), force_locale(language):
        found = gettext(text)
    if language == "nb":
        assert found != text, f"no Norwegian for {text!r}"
    return found


def flashes(page: str) -> list[str]:
    return [html.unescape(f) for f in re.findall(r'<p class="flash">(.*?)</p>', page, re.S)]


def signed_in(app: Flask, recruiter_id: str) -> FlaskClient:
    client = app.test_client()
    sign_in(app, client, recruiter_id)
    return client


def start(client: FlaskClient, person_id: str, **args: str) -> str:
    response = client.get("/messages/new", query_string={"person_id": person_id, **args})
    assert response.status_code == 303, response.get_data(as_text=True)
    found = MESSAGE_URL.search(response.headers["Location"])
    assert found, response.headers["Location"]
    return found.group(1)


def act(client: FlaskClient, message_id: str, action: str, data: dict[str, Any] | None = None) -> str:
    """POST an action and follow it back; the page it lands on."""
    response = post_form(client, f"/messages/{message_id}/{action}", data, follow_redirects=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def stored(app: Flask, message_id: str) -> Message:
    with get_state(app).sessions() as session:
        found = session.get(Message, uuid.UUID(message_id))
        assert found is not None
        session.expunge(found)
        return found


def form_of(message: Message, **changes: Any) -> dict[str, Any]:
    """What the author's form posts: every field, the important box only when ticked."""
    data: dict[str, Any] = {"channel": message.channel, "subject": message.subject,
                            "body": message.body.replace("\n", "\r\n"), "reason": message.reason}
    if message.important:
        data["important"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def team(tenant: Any) -> dict[str, dict]:
    return {
        "kari": make_recruiter(tenant, "kari@acme.no", "Kari Nordmann"),
        "ola": make_recruiter(tenant, "ola@acme.no", "Ola Berg"),
        "bo": make_recruiter(tenant, "bo@acme.no", "Bo Sjef", is_admin=True),
    }


@pytest.fixture
def person(tenant: Any, team: dict) -> dict:
    return tenant.create("/people", {"first_name": "Nina", "last_name": "Hansen", "emails": ["nina@example.no"],
                                     "owner_id": team["kari"]["id"], "languages": ["nb"]})


def set_language(app: Flask, language: str) -> None:
    with get_state(app).sessions() as session:
        for recruiter in session.scalars(select(Recruiter)):
            recruiter.language = language
        session.commit()


# --- pages open, and only for whom they should ------------------------------------------------------------------

def test_signed_out_the_pages_ask_to_sign_in(client: FlaskClient, tenant: Any, team: dict, person: dict) -> None:
    for url in ("/messages", f"/messages/new?person_id={person['id']}", f"/messages/{uuid.uuid4()}"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith("/login"), url


def test_every_page_opens_and_every_link_on_it(app: Flask, tenant: Any, team: dict, person: dict) -> None:
    kari = signed_in(app, team["kari"]["id"])
    empty = kari.get("/messages").get_data(as_text=True)
    assert "You have no drafts." in empty and "Nothing is waiting for you." in empty
    message_id = start(kari, person["id"])
    page = kari.get(f"/messages/{message_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Message to Nina Hansen" in text and "Hvorfor" not in text
    assert SAID["reason_label"]["en"] in text and 'id="tone-score">100<' in text
    assert 'name="csrf_token"' in text and "<script>" not in text and 'style="' not in text  # CSP: no inline
    assert "No one else needs to read this message: you can send it yourself." in text
    listing = kari.get("/messages").get_data(as_text=True)
    assert f'/messages/{message_id}"' in listing and "Nina Hansen" in listing
    for body in (text, listing):
        links = [link for link in re.findall(r'href="([^"#]+)"', body) if not link.startswith("http")]
        for link in links:
            assert kari.get(link, follow_redirects=True).status_code == 200, link


def test_opening_the_new_link_twice_opens_the_same_draft(app: Flask, tenant: Any, team: dict, person: dict) -> None:
    kari = signed_in(app, team["kari"]["id"])
    first = start(kari, person["id"])
    assert start(kari, person["id"]) == first
    other = start(kari, person["id"], template="thank_after_meeting")
    assert other != first and stored(app, other).template == "thank_after_meeting"
    linkedin = start(kari, person["id"], channel="linkedin")
    assert stored(app, linkedin).channel == "linkedin"


def test_another_tenants_message_and_one_not_yours_are_404(app: Flask, tenant: Any, other_tenant: Any, team: dict,
                                                            person: dict) -> None:
    kari = signed_in(app, team["kari"]["id"])
    message_id = start(kari, person["id"])
    rival = signed_in(app, make_recruiter(other_tenant, "rival@rival.no", "Rita Rival")["id"])
    ola = signed_in(app, team["ola"]["id"])  # a colleague nobody asked to read it
    unknown = str(uuid.uuid4())
    for client in (rival, ola):
        for url in (f"/messages/{message_id}", f"/messages/{unknown}"):
            assert client.get(url).status_code == 404, url
        for action in ("save", "send", "discard", "approve"):
            assert post_form(client, f"/messages/{message_id}/{action}", {"body": "Hacked"}).status_code == 404
    assert rival.get(f"/messages/new?person_id={person['id']}").status_code == 404
    assert kari.get("/messages/new?person_id=not-a-uuid").status_code == 404
    assert kari.get("/messages/new").status_code == 404
    assert post_form(kari, f"/messages/{message_id}/publish").status_code == 404
    assert stored(app, message_id).body != "Hacked" and stored(app, message_id).status == "draft"


def test_every_post_needs_the_csrf_token(app: Flask, tenant: Any, team: dict, person: dict) -> None:
    kari = signed_in(app, team["kari"]["id"])
    message_id = start(kari, person["id"])
    before = stored(app, message_id)
    for action in ("save", "ask-review", "comment", "approve", "return", "send", "discard", "restart"):
        response = kari.post(f"/messages/{message_id}/{action}", data={"body": "Changed", "reason": "x",
                                                                        "comment": "x", "reviewer": "any"})
        assert response.status_code == 400, action
        assert "The form has expired" in response.get_data(as_text=True)
    after = stored(app, message_id)
    assert (after.body, after.status) == (before.body, before.status)
    assert kari.post("/messages/tone", json={"text": "veldig bra", "language": "nb"}).status_code == 400
    assert kari.post("/messages/tone", json={"text": "veldig bra", "language": "nb"},
                     headers={"X-CSRF-Token": "x" + csrf(kari)}).status_code == 400
    assert kari.post("/messages/tone", json={"text": "veldig bra", "language": "nb"},
                     headers={"X-CSRF-Token": csrf(kari)}).status_code == 200


# --- the review, step by step, in each language ---------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_each_action_says_what_it_did_in_the_recruiters_language(app: Flask, tenant: Any, team: dict, person: dict,
                                                                 language: str) -> None:
    set_language(app, language)
    kari, ola = signed_in(app, team["kari"]["id"]), signed_in(app, team["ola"]["id"])
    message_id = start(kari, person["id"])
    draft = stored(app, message_id)
    page = kari.get(f"/messages/{message_id}").get_data(as_text=True)
    assert SAID["reason_label"][language] in page

    # Sending without the reason line is refused, and says what to write.
    page = act(kari, message_id, "send", form_of(draft))
    assert flashes(page) == [said(app, "Write why you are getting in touch now, and why you.", language)]
    assert stored(app, message_id).status == "draft"

    # Marked important, the tenant's rule wants a reader: sending is refused, asking without a name too.
    page = act(kari, message_id, "save", form_of(draft, reason="We met at the meetup in May.", important="on"))
    assert flashes(page) == [SAID["saved"][language]]
    page = act(kari, message_id, "send", form_of(stored(app, message_id)))
    assert flashes(page) == [said(app, "A colleague must read and approve this message before it is sent.", language)]
    page = act(kari, message_id, "ask-review", form_of(stored(app, message_id), reviewer=""))
    assert flashes(page) == [SAID["choose"][language]]
    page = act(kari, message_id, "ask-review", form_of(stored(app, message_id), reviewer=team["ola"]["id"]))
    assert flashes(page) == [SAID["asked"][language]]
    assert stored(app, message_id).status == "in_review"

    # The colleague sees it waiting, comments, must say why when sending it back, then does.
    listing = ola.get("/messages").get_data(as_text=True)
    assert SAID["waiting"][language] in listing and f"/messages/{message_id}" in listing
    page = act(ola, message_id, "comment", {"comment": "Nice opening."})
    assert flashes(page) == [SAID["commented"][language]]
    page = act(ola, message_id, "return", {"comment": ""})
    assert flashes(page) == [said(app, "Write what should change.", language)]
    page = act(ola, message_id, "return", {"comment": "Say which team."})
    assert flashes(page) == [SAID["returned"][language]]

    # The author sees the comment first among the drafts, asks again; the colleague approves; the author sends.
    listing = kari.get("/messages").get_data(as_text=True)
    assert "Say which team." in listing
    act(kari, message_id, "ask-review", form_of(stored(app, message_id), reviewer=team["ola"]["id"]))
    page = act(ola, message_id, "approve", {"comment": ""})
    assert flashes(page) == [SAID["approved"][language]]
    page = act(kari, message_id, "send", form_of(stored(app, message_id)))
    assert flashes(page) == [SAID["queued"][language]]
    sent = stored(app, message_id)
    assert sent.status == "queued" and sent.delivery_id is not None
    listing = kari.get("/messages").get_data(as_text=True)
    assert re.search(r'<section id="sent".*?/messages/' + message_id, listing, re.S)

    # Approving again, or sending twice, is refused in words.
    page = act(kari, message_id, "send", {})
    assert flashes(page) == [said(app, "This message cannot be sent now.", language)]

    # Another draft is discarded.
    other = start(kari, person["id"], template="thank_after_meeting")
    response = post_form(kari, f"/messages/{other}/discard", follow_redirects=True)
    assert flashes(response.get_data(as_text=True)) == [SAID["discarded"][language]]
    assert stored(app, other).status == "discarded"


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_person_who_may_not_be_contacted_gets_no_draft(app: Flask, tenant: Any, team: dict, language: str) -> None:
    set_language(app, language)
    kari = signed_in(app, team["kari"]["id"])
    person = tenant.create("/people", {"first_name": "Per", "last_name": "Nei", "do_not_contact": True})
    response = kari.get("/messages/new", query_string={"person_id": person["id"]}, follow_redirects=True)
    assert response.status_code == 200
    assert flashes(response.get_data(as_text=True)) == [
        said(app, "The person does not want to be contacted. Nothing was sent.", language)]
    with get_state(app).sessions() as session:
        assert session.scalar(select(Message.id)) is None


@pytest.mark.parametrize("language", LANGUAGES)
def test_linkedin_is_logged_as_sent_and_a_template_starts_over(app: Flask, tenant: Any, team: dict, person: dict,
                                                               language: str) -> None:
    set_language(app, language)
    kari = signed_in(app, team["kari"]["id"])
    message_id = start(kari, person["id"])
    draft = stored(app, message_id)
    page = act(kari, message_id, "restart", {"template": "thank_after_meeting"})
    assert flashes(page) == [SAID["restarted"][language]]
    assert stored(app, message_id).status == "discarded"
    with get_state(app).sessions() as session:
        fresh = session.scalars(select(Message).where(Message.status == "draft")).one()
        assert fresh.template == "thank_after_meeting" and fresh.body != draft.body
        fresh_id = str(fresh.id)
    page = act(kari, fresh_id, "send", form_of(stored(app, fresh_id), channel="linkedin", reason="Thanks for today."))
    assert flashes(page) == [SAID["linkedin"][language]]
    sent = stored(app, fresh_id)
    assert (sent.status, sent.channel) == ("sent", "linkedin") and sent.touchpoint_id is not None
    with get_state(app).sessions() as session:
        assert session.get(Touchpoint, sent.touchpoint_id) is not None
        assert session.scalar(select(Delivery.id)) is None  # nothing for the mail worker


def test_any_admin_gets_it_and_the_header_counts_it(app: Flask, tenant: Any, team: dict, person: dict) -> None:
    kari, bo, ola = (signed_in(app, team[name]["id"]) for name in ("kari", "bo", "ola"))
    message_id = start(kari, person["id"])
    page = act(kari, message_id, "ask-review", form_of(stored(app, message_id), reason="Met in May.",
                                                      reviewer="any"))
    assert flashes(page) == [SAID["asked_admin"]["en"]]
    assert "Waiting for an admin to read it." in page
    header = bo.get("/settings").get_data(as_text=True)
    assert re.search(r'id="nav-messages">Messages\s*<span class="badge">1<', header)
    assert 'class="badge">' not in re.search(r'<a [^>]*id="nav-messages">.*?</a>', ola.get("/settings")
                                             .get_data(as_text=True), re.S).group(0)
    assert ola.get(f"/messages/{message_id}").status_code == 404  # not an admin, not asked
    page = bo.get(f"/messages/{message_id}").get_data(as_text=True)
    assert 'id="approve"' in page and "Kari Nordmann asks you to read this message" in page
    act(bo, message_id, "approve", {"comment": "Good."})
    assert stored(app, message_id).status == "approved"
    assert bo.get(f"/messages/{message_id}").status_code == 200  # the reader still sees what they approved


def test_the_author_sees_what_the_reader_changed(app: Flask, tenant: Any, team: dict, person: dict) -> None:
    kari, ola = signed_in(app, team["kari"]["id"]), signed_in(app, team["ola"]["id"])
    message_id = start(kari, person["id"])
    draft = stored(app, message_id)
    act(kari, message_id, "ask-review", form_of(draft, reason="Met in May.", reviewer=team["ola"]["id"]))
    lines = draft.body.split("\n")
    old_line = next(line for line in lines if line.strip() and not line.startswith("Hi"))
    new_body = draft.body.replace(old_line, "We met at the data meetup in May, and I remembered you.")
    act(ola, message_id, "approve", {"subject": draft.subject, "body": new_body.replace("\n", "\r\n"),
                                     "comment": ""})
    approved = stored(app, message_id)
    assert approved.status == "approved" and approved.body == new_body  # CRLF from the browser is not a change
    page = kari.get(f"/messages/{message_id}").get_data(as_text=True)
    diff = re.search(r'<pre class="diff".*?</pre>', page, re.S)
    assert diff, page
    shown = html.unescape(diff.group(0))
    assert re.search(r"<del>.*?" + re.escape(old_line) + "</del>", shown)
    assert ('<ins><span class="visually-hidden">Added: </span>'
            "We met at the data meetup in May, and I remembered you.</ins>") in shown
    assert "Approved by Ola Berg." in page
    # Sending what was approved, unchanged: the CRLF of the form keeps the approval.
    page = act(kari, message_id, "send", form_of(approved))
    assert flashes(page) == [SAID["queued"]["en"]] and stored(app, message_id).status == "queued"
    with get_state(app).sessions() as session:
        kinds = list(session.scalars(select(MessageEvent.kind).where(MessageEvent.message_id == uuid.UUID(message_id))
                                     .order_by(MessageEvent.created_at, MessageEvent.id)))
    assert kinds == ["drafted", "edited", "submitted", "edited", "approved", "queued"]


# --- the tone check ------------------------------------------------------------------------------------------

def test_the_tone_check_answers_in_the_messages_language_with_the_tenants_words(app: Flask, tenant: Any,
                                                                               team: dict) -> None:
    kari = signed_in(app, team["kari"]["id"])
    headers = {"X-CSRF-Token": csrf(kari)}
    plain = kari.post("/messages/tone", json={"text": "Hei Nina, vi har en stilling.", "language": "nb"},
                      headers=headers).json
    assert plain == {"score": 100, "language": "nb", "flags": []}
    report = kari.post("/messages/tone", json={"text": "Hei Nina, vi har veldig god lønn.", "language": "nb"},
                       headers=headers).json
    assert report["score"] < 100
    assert {flag["text"]: flag["kind"] for flag in report["flags"]} == {"veldig": "intensifier",
                                                                        "god lønn": "unbacked_claim"}
    assert all(flag["why"] and flag["suggestion"] for flag in report["flags"])
    assert "Lønn" in next(f["why"] for f in report["flags"] if f["kind"] == "unbacked_claim")  # Norwegian
    with get_state(app).sessions() as session:
        tenant_settings.update_messages(session, tenant.id, {"tone_additions": {"cliche": ["game changer"]}},
                                        Actor.system())
    custom = kari.post("/messages/tone", json={"text": "This role is a game changer.", "language": "en"},
                       headers=headers).json
    assert [flag["kind"] for flag in custom["flags"]] == ["cliche"]
    assert kari.post("/messages/tone", json={"language": "nb"}, headers=headers).status_code == 422
    assert kari.post("/messages/tone", json={"text": "x" * 20_001}, headers=headers).status_code == 422


# --- the entry points -----------------------------------------------------------------------------------------

def test_the_sidebar_links_to_a_new_draft_signed_in(app: Flask, client: FlaskClient, tenant: Any, team: dict,
                                                    person: dict) -> None:
    response, _token = open_sidebar(client, tenant, {"person_id": person["id"]})
    page = response.get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" target="_blank" rel="noopener noreferrer" id="write-message">', page)
    assert link, page
    url = html.unescape(link.group(1))
    assert url.startswith("http://brobygger.test/login/") and "next=%2Fmessages%2Fnew%3Fperson_id%3D" in url
    fresh = app.test_client()
    landed = fresh.get(url.removeprefix("http://brobygger.test"))
    assert landed.status_code == 302 and landed.headers["Location"] == f"/messages/new?person_id={person['id']}"
    message_id = start(fresh, person["id"])
    assert stored(app, message_id).author_id == uuid.UUID(team["kari"]["id"])
    # Someone who may not be contacted gets no such link.
    blocked = tenant.create("/people", {"first_name": "Per", "last_name": "Nei", "do_not_contact": True})
    response, _token = open_sidebar(app.test_client(), tenant, {"person_id": blocked["id"]})
    assert 'id="write-message"' not in response.get_data(as_text=True)


def test_a_sign_in_link_lands_only_on_this_site(app: Flask, tenant: Any, team: dict) -> None:
    from plugin.login import links

    state = get_state(app)
    for target in ("https://evil.example/x", "//evil.example/x", "/\t/evil.example"):
        with state.sessions() as session:
            token = links.make_token(state.setting("SECRET_KEY"), session.get(Recruiter, uuid.UUID(
                team["kari"]["id"])), "handoff")
        landed = app.test_client().get(f"/login/{token}", query_string={"next": target})
        assert landed.status_code == 302 and landed.headers["Location"] == "/queue", target


def test_the_queue_shows_the_reader_what_waits(app: Flask, tenant: Any, team: dict, person: dict) -> None:
    kari = signed_in(app, team["kari"]["id"])
    message_id = start(kari, person["id"])
    act(kari, message_id, "ask-review", form_of(stored(app, message_id), reason="Met in May.",
                                                reviewer=team["ola"]["id"]))
    ola = signed_in(app, team["ola"]["id"])
    queue = ola.get("/queue", headers=EN)
    assert queue.status_code == 200
    page = html.unescape(queue.get_data(as_text=True))
    assert "Messages waiting for you to read" in page and f"/messages/{message_id}" in page
    assert "Nina Hansen" in page and "from Kari Nordmann" in page
    assert ola.get(f"/messages/{message_id}", headers=EN).status_code == 200  # the link it shows opens
    # The author waits for nobody: no such section on her queue.
    assert "Messages waiting for you to read" not in kari.get("/queue", headers=EN).get_data(as_text=True)


def test_the_queue_rows_start_a_message(app: Flask, tenant: Any, team: dict, person: dict) -> None:
    """A follow-up's row drafts a message about it (its reason is the draft's); a losing-touch row one to the
    person."""
    overdue = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    past.followup(tenant, {"person_id": person["id"], "owner_id": team["kari"]["id"],
                           "reason": "Ask about the platform team", "due_at": overdue})
    kari = signed_in(app, team["kari"]["id"])
    page = html.unescape(kari.get("/queue", headers=EN).get_data(as_text=True))
    links = re.findall(r'href="(/messages/new\?person_id=[^"]+)"', page)
    assert links and all(person["id"] in link for link in links), links
    for link in links:
        opened = kari.get(link, headers=EN)
        assert opened.status_code == 303, link
        draft = kari.get(opened.headers["Location"], headers=EN)
        assert draft.status_code == 200
        if "followup_id=" in link:
            assert "Ask about the platform team" in html.unescape(draft.get_data(as_text=True))


# --- a referrer's opt-out --------------------------------------------------------------------------------------

def _referrer(app: Flask, tenant: Any, person: dict, note_language: str | None) -> tuple[str, uuid.UUID]:
    """A referrer with a referral of `person` and, when `note_language` is set, a draft note in that language."""
    state = get_state(app)
    with state.sessions() as session:
        reference = Reference(tenant_id=tenant.id, kind=ReferenceKind.OUTSIDER, name="Rune Referent",
                              email="rune@example.no")
        session.add(reference)
        session.flush()
        referral = Referral(tenant_id=tenant.id, reference_id=reference.id, person_id=uuid.UUID(person["id"]),
                            channel=ReferralChannel.EMAIL)
        session.add(referral)
        session.flush()
        if note_language:
            session.add(Message(tenant_id=tenant.id, kind="referrer_note", referral_id=referral.id,
                                language=note_language, subject="Takk", body="Takk for anbefalingen.",
                                key=f"referral:{referral.id}:received"))
        session.commit()
        return referrer_notes.opt_out_token(state.setting("SECRET_KEY"), reference), reference.id


def _opted_out(app: Flask, reference_id: uuid.UUID) -> bool:
    with get_state(app).sessions() as session:
        reference = session.get(Reference, reference_id)
        assert reference is not None
        return reference.notes_opted_out_at is not None


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_referrer_opts_out_with_the_button(app: Flask, client: FlaskClient, tenant: Any, person: dict,
                                             language: str) -> None:
    token, reference_id = _referrer(app, tenant, person, language)
    asked = client.get(f"/referrers/opt-out/{token}", headers=EN if language == "nb" else NB)  # the note's language
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and SAID["opt_out_ask"][language] in page and f'lang="{language}"' in page
    assert "Acme AS" in page and f'action="/referrers/opt-out/{token}"' in page
    assert asked.headers["Referrer-Policy"] == "no-referrer" and "frame-ancestors 'none'" in \
        asked.headers["Content-Security-Policy"]
    assert not _opted_out(app, reference_id)  # a GET (a mail scanner) changes nothing
    done = client.post(f"/referrers/opt-out/{token}")  # no CSRF token: the link is the credential
    assert done.status_code == 200 and SAID["opt_out_done"][language] in done.get_data(as_text=True)
    assert _opted_out(app, reference_id)
    with get_state(app).sessions() as session:
        assert session.scalars(select(Message.status)).all() == ["blocked"]  # the unsent note is dropped
    again = client.get(f"/referrers/opt-out/{token}")
    assert SAID["opt_out_done"][language] in again.get_data(as_text=True)


def test_a_mail_programs_one_click_post_opts_out(app: Flask, client: FlaskClient, tenant: Any, person: dict) -> None:
    token, reference_id = _referrer(app, tenant, person, None)
    response = client.post(f"/referrers/opt-out/{token}", data="List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and _opted_out(app, reference_id)
    assert client.post(f"/referrers/opt-out/{token}", data="List-Unsubscribe=One-Click",
                       content_type="application/x-www-form-urlencoded").status_code == 200  # twice is fine


@pytest.mark.parametrize(("headers", "language"), [(NB, "nb"), (EN, "en")])
def test_a_bad_opt_out_link_is_a_404_in_the_readers_language(app: Flask, client: FlaskClient, tenant: Any,
                                                             person: dict, headers: dict, language: str) -> None:
    token, reference_id = _referrer(app, tenant, person, None)
    for bad in (token[:-2] + ("aa" if not token.endswith("aa") else "bb"), "nonsense", token + "x"):
        for method in ("GET", "POST"):
            response = client.open(f"/referrers/opt-out/{bad}", method=method, headers=headers)
            assert response.status_code == 404, (bad, method)
            page = response.get_data(as_text=True)
            assert f'lang="{language}"' in page
            assert said(app, "This link is not valid. If you want no more notes about your referrals, answer the "
                             "note you got and ask us to stop.", language) in html.unescape(page)
    assert not _opted_out(app, reference_id)
    with get_state(app).sessions() as session:
        assert session.scalar(select(Person.id)) is not None


# --- a Norwegian reader meets Norwegian only ------------------------------------------------------------------

def test_the_message_pages_of_a_norwegian_recruiter_are_norwegian(app: Flask, client: FlaskClient, tenant: Any,
                                                                  team: dict, person: dict) -> None:
    """The nb sweep's two checks (tests/app/test_nb_sweep.py: no English of the catalogue, no field names) over
    every state of the pages."""
    from tests.app.test_nb_sweep import Sweep

    set_language(app, "nb")
    kari, ola = signed_in(app, team["kari"]["id"]), signed_in(app, team["ola"]["id"])
    sweep = Sweep()

    def swept(where: str, response: Any, status: int = 200) -> str:
        page = response.get_data(as_text=True)
        assert response.status_code == status, where
        assert '<html lang="nb">' in page, where
        sweep.page(where, page)
        return page

    message_id = start(kari, person["id"])
    swept("draft", kari.get(f"/messages/{message_id}"))
    act(kari, message_id, "send", form_of(stored(app, message_id)))  # refused: no reason line
    swept("refused", kari.get(f"/messages/{message_id}"))
    act(kari, message_id, "ask-review", form_of(stored(app, message_id), reason="Vi møttes i mai.", important="on",
                                                reviewer=team["ola"]["id"]))
    swept("in review, the author", kari.get(f"/messages/{message_id}"))
    swept("in review, the reader", ola.get(f"/messages/{message_id}"))
    swept("the reader's list", ola.get("/messages"))
    draft = stored(app, message_id)
    act(ola, message_id, "return", {"subject": draft.subject, "body": draft.body + "\nEn linje til.",
                                    "comment": "Skriv hvilket team."})
    swept("sent back, the list", kari.get("/messages"))
    swept("sent back", kari.get(f"/messages/{message_id}"))
    act(kari, message_id, "ask-review", form_of(stored(app, message_id), reviewer=team["ola"]["id"]))
    act(ola, message_id, "approve", {"comment": "Fint."})
    swept("approved", kari.get(f"/messages/{message_id}"))
    act(kari, message_id, "send", form_of(stored(app, message_id)))
    swept("queued", kari.get(f"/messages/{message_id}"))
    swept("the author's list", kari.get("/messages"))
    linkedin = start(kari, person["id"], channel="linkedin", template="thank_after_meeting")
    act(kari, linkedin, "send", form_of(stored(app, linkedin), reason="Takk for i dag."))
    swept("sent on LinkedIn", kari.get(f"/messages/{linkedin}"))
    swept("an unknown message", kari.get(f"/messages/{uuid.uuid4()}"), 404)

    token, _ = _referrer(app, tenant, person, "nb")
    swept("opt-out, asked", client.get(f"/referrers/opt-out/{token}"))
    swept("opt-out, done", client.post(f"/referrers/opt-out/{token}"))
    swept("opt-out, a bad link", client.get("/referrers/opt-out/nonsense", headers=NB), 404)
    sweep.check()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_recipient_who_may_no_longer_be_contacted_gets_nothing(app: Flask, tenant: Any, team: dict, person: dict,
                                                                 language: str) -> None:
    set_language(app, language)
    kari = signed_in(app, team["kari"]["id"])
    message_id = start(kari, person["id"])
    tenant.patch(f"/people/{person['id']}", json={"do_not_contact": True})
    page = act(kari, message_id, "send", form_of(stored(app, message_id), reason="Vi møttes i mai."))
    text = said(app, "The person does not want to be contacted. Nothing was sent.", language)
    assert flashes(page) == [text]
    assert f'<p class="error" id="blocked">{html.escape(text)}</p>' in page  # and the page says so, too
    assert stored(app, message_id).status == "draft"
    with get_state(app).sessions() as session:
        assert session.scalar(select(Delivery.id)) is None
