"""Everything a Norwegian reader meets is Norwegian: every page, the sidebar in each of its states, the error
pages and the e-mails, rendered for a recruiter (or a browser, or a person) whose language is nb, read for
two kinds of leak:

(a) English from the catalogue. A text of the catalogue whose Norwegian differs from its English (an
    empty or fuzzy translation counts as different: the English is what shows) must not appear in what a
    reader sees: the text between tags, and the `title`, `aria-label`, `placeholder` and `alt` attributes,
    with scripts and styles left out. A message with placeholders is matched as its fixed words with
    anything in between. Texts written the same in both languages (LinkedIn, Brobygger) are left out, and
    so are texts with fewer than four letters of their own ("OK", "CSV", "%(name)s:"): too short to tell a
    leak from a word that happens to be both English and Norwegian or part of a name. For the same reason a
    text found inside any Norwegian translation is left out (English "passive", Norwegian «passive
    kandidater»).
(b) Field names. No snake_case name of a field of our schemas (`due_on`, `referrer_name`, `in_process`
    as a field) may appear in what a reader sees: errors say what to do, never which field.

The data uses Norwegian words and names only, so that whatever English shows is ours.
"""

from __future__ import annotations

import email
import email.policy
import importlib
import inspect
import re
import uuid
from collections.abc import Iterable
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from marshmallow import Schema
from sqlalchemy import update
from sqlalchemy.orm import Session

from plugin.extension import get_state
from plugin.models import FollowUpStatus, Message, Recruiter, ReferralStatus, utcnow
from tests.helpers import ROOT
from tests.notify_helpers import World, local_noon, run_tick, work
from tests.pages import csrf, make_recruiter, post_form, sign_in
from tests.reports.test_reports import at, build_fixture
from tests.sidebar_support import act, launch_token, open_sidebar

PO = ROOT / "plugin" / "translations" / "nb" / "LC_MESSAGES" / "brobygger.po"
NB = {"Accept-Language": "nb-NO,nb;q=0.9"}
MIN_LETTERS = 4
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]|%[sd]|\{\w*\}")
SCHEMA_MODULES = ("plugin.core.schemas", "plugin.people.schemas", "plugin.followups.schemas", "plugin.sidebar.schemas",
                  "plugin.reports.schemas", "plugin.privacy.schemas", "plugin.tenancy.schemas", "plugin.ats.schemas",
                  "plugin.tenancy.settings")


# --- what a reader sees -----------------------------------------------------------------------------------

class _Visible(HTMLParser):
    SHOWN_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
    HIDDEN = ("script", "style")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        self.parts.extend(value for name, value in attrs if name in self.SHOWN_ATTRIBUTES and value)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return re.sub(r"[ \t\n\r\f\v]+", " ", " ".join(parser.parts)).strip()  # no-break spaces stay


# --- what must not show -----------------------------------------------------------------------------------

def _pattern(msgid: str) -> re.Pattern[str] | None:
    """The msgid as a search: its own words (white space as any run of it), a name's or a date's worth of
    anything for a placeholder between them. A placeholder at either end adds nothing to look for, and as a
    leading `.+?` it would make every search scan the rest of the page from every character."""
    literal = PLACEHOLDER.split(re.sub(r"\s+", " ", msgid))
    while len(literal) > 1 and not literal[0].strip():
        literal = literal[1:]
    while len(literal) > 1 and not literal[-1].strip():
        literal = literal[:-1]
    literal = [part.strip() if i in (0, len(literal) - 1) else part for i, part in enumerate(literal)]
    if sum(c.isalpha() for part in literal for c in part) < MIN_LETTERS:
        return None
    body = ".{1,200}?".join(r"\s+".join(map(re.escape, part.split(" "))) for part in literal)
    start = r"(?<!\w)" if literal[0][:1].isalnum() else ""
    end = r"(?!\w)" if literal[-1][-1:].isalnum() else ""
    return re.compile(start + body + end)


def english_texts() -> list[tuple[str, re.Pattern[str]]]:
    with PO.open("rb") as f:
        catalogue = read_po(f, locale="nb", domain="brobygger")
    pairs = []
    for message in catalogue:
        if not message.id:
            continue
        sources = message.id if message.pluralizable else (message.id,)
        strings = message.string if message.pluralizable else (message.string,)
        pairs += zip(sources, strings or ("",) * len(sources), strict=False)
    norwegian = "\n".join(string for _, string in pairs if string)
    found = []
    for source, string in pairs:
        pattern = _pattern(source) if source != string else None  # the same in both languages: no leak
        # An English text that is also Norwegian somewhere («passive kandidater») tells nothing either.
        if pattern is not None and not pattern.search(norwegian):
            found.append((source, pattern))
    return found


def field_names() -> set[str]:
    names = set()
    for module_name in SCHEMA_MODULES:
        module = importlib.import_module(module_name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Schema):
                for name, field in cls._declared_fields.items():
                    names |= {n for n in (name, field.data_key) if n and "_" in n.strip("_")}
    return names


class Sweep:
    def __init__(self) -> None:
        self.english = english_texts()
        self.fields = {name: re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])") for name in field_names()}
        self.problems: list[tuple[str, str, str]] = []
        self.seen: list[str] = []

    def page(self, where: str, html: str) -> None:
        self.text(where, visible(html))

    def text(self, where: str, text: str) -> None:
        self.seen.append(where)
        text = re.sub(r"https?://\S+", " ", text)  # a link is an address, not words (…/queue#today)
        for msgid, pattern in self.english:
            if pattern.search(text):
                self.problems.append((where, "English", msgid))
        for name, pattern in self.fields.items():
            if pattern.search(text):
                self.problems.append((where, "field name", name))

    def check(self) -> None:
        assert self.problems == [], "\n".join(f"{where}: {kind}: {found!r}" for where, kind, found in self.problems)


def test_the_sweep_finds_english_and_field_names() -> None:
    """The checks themselves: a leak of each kind is found, Norwegian text and names pass."""
    sweep = Sweep()
    sweep.page("norsk", "<h1>Oppfølgingskø</h1><p title='Utsett'>Ola Nordmann · 4. des. 2026</p>")
    assert sweep.problems == []
    sweep.page("english", "<h1>Follow-up queue</h1><button aria-label='Snooze the follow-up'>x</button>"
                          "<p class='error'>Give exactly one of preset and due_on.</p>"
                          "<script>var s = 'Overdue';</script>")
    found = {(kind, text) for _, kind, text in sweep.problems}
    assert {("English", "Follow-up queue"), ("English", "Snooze the follow-up"), ("field name", "due_on")} <= found
    assert ("English", "Overdue") not in found  # scripts are not read


# --- the world a Norwegian recruiter works in ---------------------------------------------------------------

def _recruiter(app: Flask, tenant: Any, email: str, name: str, *, admin: bool = False) -> dict:
    made = make_recruiter(tenant, email=email, name=name, language="nb", time_zone="Europe/Oslo")
    if admin:
        with get_state(app).sessions() as session:
            session.execute(update(Recruiter).where(Recruiter.id == uuid.UUID(made["id"])).values(is_admin=True))
            session.commit()
    return made


def _world(app: Flask, tenant: Any, session: Session, kari: dict, *, report: bool = True) -> dict[str, Any]:
    """People, follow-ups in every section of the queue, a role with a shortlist, referrals and references;
    with `report`, a referral report's worth of March 2026 (and the ATS connection it came through)."""
    if report:
        build_fixture(session, tenant.id)
    now = utcnow()
    person = tenant.create("/people", {"first_name": "Øystein", "last_name": "Bråten", "owner_id": kari["id"],
                                       "employer": "Fjordkraft", "title": "Dataingeniør", "location": "Bergen",
                                       "interests": ["fjellturer"], "data_source": "anbefaling"})
    colleague = tenant.create("/people", {"first_name": "Synnøve", "last_name": "Lid", "owner_id": kari["id"],
                                          "employer": "Fjordkraft", "status": "hired"})
    tenant.create(f"/people/{person['id']}/touchpoints", {"kind": "meeting", "summary": "Lunsj på bryggen",
                                                          "occurred_at": (now - timedelta(days=3)).isoformat()})
    tenant.client.put(f"/api/v1/people/{person['id']}/cadence", json={"tier": "standard"}, headers=tenant.headers)
    for days, reason in ((0, "Spør om plattformteamet"), (2, "Gratuler med opprykket"), (40, "Kaffe etter ferien")):
        tenant.create("/followups", {"person_id": person["id"], "owner_id": kari["id"], "reason": reason,
                                     "due_at": (now + timedelta(days=days, hours=1)).isoformat()})
    quiet = tenant.create("/people", {"first_name": "Live", "last_name": "Lenge", "owner_id": kari["id"]})
    tenant.create(f"/people/{quiet['id']}/touchpoints", {"kind": "call",
                                                         "occurred_at": (now - timedelta(days=200)).isoformat()})
    tenant.client.put(f"/api/v1/people/{quiet['id']}/cadence", json={"tier": "standard"}, headers=tenant.headers)
    tenant.create("/referrals", {"person_id": person["id"], "channel": "event", "prompted": False,
                                 "referrer": {"kind": "employee", "person_id": colleague["id"]}})
    role = tenant.create("/roles", {"title": "Dataingeniør", "status": "confidential", "location": "Bergen",
                                    "keywords": ["dataingeniør"],
                                    "expected_opening_on": (now + timedelta(days=120)).date().isoformat()})
    tenant.create(f"/roles/{role['id']}/shortlist", {"person_id": person["id"], "note": "Sterk på data"})
    return {"person": person, "role": role}


# --- pages ----------------------------------------------------------------------------------------------------

def test_every_page_of_a_norwegian_recruiter_is_norwegian(app: Flask, tenant: Any, session: Session) -> None:
    kari = _recruiter(app, tenant, "kari@acme.no", "Kari Nordmann", admin=True)
    world = _world(app, tenant, session, kari)
    client = app.test_client()
    sign_in(app, client, kari["id"])
    sweep = Sweep()
    pages = ["/", "/queue", "/roles", f"/roles/{world['role']['id']}?q=Sy", "/references",
             "/reports/referrals/2026-03"]
    if any(rule.endpoint == "brobygger_settings.settings" for rule in app.url_map.iter_rules()):
        pages.append("/settings")  # another part of the product; swept as soon as it exists
    # Messages: her own draft, one a colleague asked her to read (the queue lists it too), a new one.
    ola = _recruiter(app, tenant, "ola@acme.no", "Ola Berg")
    person_id = world["person"]["id"]
    own = tenant.create("/messages", {"author_id": kari["id"], "person_id": person_id, "template": "unadvertised_role"})
    asked = tenant.create("/messages", {"author_id": ola["id"], "person_id": person_id})
    with get_state(app).sessions() as db:
        db.execute(update(Message).where(Message.id == uuid.UUID(asked["id"])).values(
            status="in_review", reviewer_id=uuid.UUID(kari["id"]), reason="Vi møttes på fagdagen i mai."))
        db.commit()
    started = client.get(f"/messages/new?person_id={person_id}&template=thank_after_meeting")
    assert started.status_code == 303  # to the new draft's page
    pages += ["/messages", f"/messages/{own['id']}", f"/messages/{asked['id']}", started.headers["Location"]]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert '<html lang="nb">' in response.get_data(as_text=True), path
        sweep.page(path, response.get_data(as_text=True))

    # A form with mistakes: the page says what to do, in Norwegian, without field names.
    refused = post_form(client, "/roles", {"title": "", "status": "unknown", "expected_opening_on": "31.12.2026",
                                           "description": "x" * 20001})
    assert refused.status_code == 422
    sweep.page("POST /roles (mistakes)", refused.get_data(as_text=True))
    assert "Beskrivelsen kan være høyst 20\u00a0000 tegn." in visible(refused.get_data(as_text=True))
    shortlisted = post_form(client, f"/roles/{world['role']['id']}/shortlist", {"person_id": "ingen", "note": ""})
    assert shortlisted.status_code == 422
    sweep.page("POST shortlist (mistakes)", shortlisted.get_data(as_text=True))
    sweep.check()


def test_signed_out_pages_read_in_the_browsers_norwegian(app: Flask, client: FlaskClient, tenant: Any) -> None:
    _recruiter(app, tenant, "kari@acme.no", "Kari Nordmann")
    sweep = Sweep()
    for path in ("/", "/login"):
        response = client.get(path, headers=NB)
        assert response.status_code == 200 and '<html lang="nb">' in response.get_data(as_text=True), path
        sweep.page(path, response.get_data(as_text=True))
    client.get("/login", headers=NB)
    sent = client.post("/login", data={"csrf_token": csrf(client), "email": "kari@acme.no"}, headers=NB)
    assert sent.status_code == 200
    sweep.page("login sent", sent.get_data(as_text=True))
    wrong = client.post("/login", data={"csrf_token": csrf(client), "email": "ingen"}, headers=NB)
    assert wrong.status_code == 422
    sweep.page("login (mistake)", wrong.get_data(as_text=True))
    spent = client.get("/login/ugyldig", headers=NB)
    sweep.page("login link refused", spent.get_data(as_text=True))
    sweep.check()


def test_the_consent_page_and_its_e_mails_are_norwegian(app: Flask, client: FlaskClient, tenant: Any) -> None:
    _recruiter(app, tenant, "kari@acme.no", "Kari Nordmann")
    person = tenant.create("/people", {"first_name": "Ola", "last_name": "Nordmann", "emails": ["ola@example.no"],
                                       "languages": ["nb"], "lawful_basis": "consent", "data_source": "anbefaling"})
    linked = tenant.post(f"/people/{person['id']}/consent-link", json={"send_email": True})
    assert linked.status_code == 201 and linked.json["language"] == "nb"
    url = linked.json["url"].removeprefix("http://brobygger.test")
    sweep = Sweep()
    page = client.get(url)
    assert page.status_code == 200
    sweep.page("consent page", page.get_data(as_text=True))
    sweep.page("consent page (answered)", client.post(url, data={"action": "extend"}).get_data(as_text=True))
    sweep.page("consent page (used)", client.get(url).get_data(as_text=True))
    sweep.page("consent page (invalid)", client.get(url[:-3] + "abc", headers=NB).get_data(as_text=True))
    for name, text in _outbox(app):
        sweep.text(f"e-mail {name}", text)
    notice = tenant.get(f"/people/{person['id']}/art14-notice").json
    assert notice["language"] == "nb"
    sweep.text("art. 14 notice", f"{notice['subject']}\n{notice['text']}")
    sweep.check()


# --- the sidebar ----------------------------------------------------------------------------------------------

def test_the_sidebar_is_norwegian_in_every_state(app: Flask, client: FlaskClient, tenant: Any,
                                                 session: Session) -> None:
    kari = _recruiter(app, tenant, "kari@acme.no", "Kari Nordmann")
    world = _world(app, tenant, session, kari, report=False)
    sweep = Sweep()
    tracked, token = open_sidebar(client, tenant, {"person_id": world["person"]["id"]})
    assert tracked.status_code == 200 and token
    sweep.page("sidebar (tracked)", tracked.get_data(as_text=True))
    unknown, _ = open_sidebar(client, tenant, {"vendor": "greenhouse", "candidate_id": "4040"})
    assert unknown.status_code == 200
    sweep.page("sidebar (unknown candidate)", unknown.get_data(as_text=True))
    tracking = act(client, open_sidebar(client, tenant, {"vendor": "greenhouse", "candidate_id": "4041"})[1], "track")
    assert tracking.status_code == 422  # no Greenhouse connected
    sweep.text("sidebar (track refused)", _said(tracking.json))
    refused = client.get("/sidebar/launch", query_string={"jwt": launch_token(tenant, {}) + "x"}, headers=NB)
    assert refused.status_code == 401
    sweep.page("sidebar (refused)", refused.get_data(as_text=True))

    for action, body in (("followup", {"reason": "Kaffe", "preset": "1w", "due_on": "2030-01-01"}),
                         ("followup", {"reason": "", "due_on": "ikke en dato"}),
                         ("referral", {"channel": "event"}),
                         ("touch", {"kind": "seanse", "summary": "x" * 5001}),
                         ("snooze", {"followup_id": str(uuid.uuid4()), "preset": "1w"})):
        answer = act(client, token, action, body)
        assert answer.status_code in (404, 422), (action, answer.json)
        sweep.text(f"sidebar {action} {sorted(body)} ({answer.status_code})", _said(answer.json))
    done = act(client, token, "touch", {"kind": "call", "summary": "Ringte"})
    assert done.status_code == 200
    sweep.text("sidebar touch (message)", done.json["message"])
    sweep.page("sidebar touch (body)", done.json["html"])
    sweep.check()


def _said(body: dict[str, Any]) -> str:
    """What sidebar.js shows for an answer: the message, then every field's messages."""
    return " ".join([body.get("message", ""), *(m for ms in body.get("errors", {}).values() for m in ms)])


# --- error pages ----------------------------------------------------------------------------------------------

def test_error_pages_are_norwegian(app: Flask, tenant: Any) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a test app re-raises; a real one shows the 500 page

    def broken() -> str:
        raise RuntimeError("a bug")

    app.add_url_rule("/i-stykker", "broken", broken)
    kari = _recruiter(app, tenant, "kari@acme.no", "Kari Nordmann")
    client = app.test_client()
    sweep = Sweep()
    for path, status in (("/finnes-ikke", 404), ("/i-stykker", 500)):
        response = client.get(path, headers=NB)
        assert response.status_code == status, path
        assert '<html lang="nb">' in response.get_data(as_text=True), path
        sweep.page(f"{status} (signed out)", response.get_data(as_text=True))
    sign_in(app, client, kari["id"])
    for path, status in ((f"/roles/{uuid.uuid4()}", 404), ("/reports/referrals/2026-13", 404),
                         ("/queue?owner=ikke-en-id", 404)):
        response = client.get(path)
        assert response.status_code == status, path
        sweep.page(f"{status} {path}", response.get_data(as_text=True))
    assert "Fant ikke siden" in visible(client.get("/finnes-ikke").get_data(as_text=True))
    expired = client.post("/roles", data={"title": "Utvikler", "csrf_token": "gammel"})
    assert expired.status_code == 400
    sweep.page("400 (form expired)", expired.get_data(as_text=True))
    sweep.check()


# --- e-mails --------------------------------------------------------------------------------------------------

def _outbox(app: Flask) -> Iterable[tuple[str, str]]:
    """Each e-mail of the outbox: its subject and what a reader sees of each part."""
    for path in sorted((get_state(app).instance_path / "outbox").glob("*.eml")):
        message = email.message_from_bytes(Path(path).read_bytes(), policy=email.policy.default)
        parts = [part.get_content() for part in message.walk() if part.get_content_type() in ("text/plain",
                                                                                              "text/html")]
        seen = [visible(p) if p.lstrip().lower().startswith("<!doctype") or "<html" in p[:200] else p for p in parts]
        yield f"{message['Subject']}", "\n".join([str(message["Subject"]), *seen])


@pytest.mark.parametrize("kind", ["digest", "monthly report"])
def test_the_e_mails_to_a_norwegian_recruiter_are_norwegian(app: Flask, tenant: Any, session: Session,
                                                           kind: str) -> None:
    world = World(session, tenant.id)
    sweep = Sweep()
    if kind == "digest":
        now = utcnow()
        me = world.recruiter("Nils Berg", language="nb")
        zone = "Europe/Oslo"
        world.followup(world.person("Olga", "Forfalt", me), local_noon(zone, now, -2), "Spør om plattformteamet")
        world.followup(world.person("Tor", "Idag", me), local_noon(zone, now) + timedelta(hours=2), "Gratuler")
        world.cadence(world.person("Live", "Lenge", me), now - timedelta(days=200), max_days=180)
        world.followup(world.person("Wenche", "Snart", me), now - timedelta(days=10), "Tilbake fra permisjon",
                       status=FollowUpStatus.SNOOZED, snoozed_until=local_noon(zone, now, 2))
        world.referral(world.person("Rita", "Anbefaler", None), world.person("Rolf", "Anbefalt", me),
                       ReferralStatus.IN_PROCESS, now - timedelta(hours=1))
        run_tick(app, now)
    else:
        build_fixture(session, tenant.id)
        me = world.recruiter("Åse Admin", language="nb")
        me.is_admin = True
        session.commit()
        run_tick(app, at("2026-04-01 06:00"))  # 08:00 on the 1st in Oslo
    work(app)
    mails = list(_outbox(app))
    assert mails, kind
    for name, text in mails:
        sweep.text(f"{kind} e-mail {name}", text)
    sweep.check()


def test_the_sweep_reads_the_real_catalogue_and_schemas() -> None:
    """Hundreds of texts to look for, and the field names of the schemas pages and the sidebar share."""
    assert len(english_texts()) > 300
    assert {"due_on", "referrer_name", "expected_opening_on", "person_id"} <= field_names()
