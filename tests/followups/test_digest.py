"""The daily digest, end to end: the cron tick, a real RQ worker, and the e-mail as a real SMTP server
(aiosmtpd, in this process) received it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from plugin.followups import digest
from plugin.models import FollowUpStatus, ReferralStatus, utcnow
from tests.notify_helpers import Inbox, World, html_of, local_noon, run_tick, smtp_server, text_of, work
from tests.pages import sign_in

SECTION_TITLES = ["Overdue", "Due today", "Losing touch", "Waking up", "Referral status changes"]
# What a Norwegian recruiter's digest calls the same sections, and the words around them.
SHOWN = {
    "en": {"titles": {title: title for title in SECTION_TITLES}, "referred_by": "Referred by ",
           "zone": "Times are in {zone}.", "subject": "things to follow up"},
    "nb": {"titles": {"Overdue": "Forfalt", "Due today": "Forfaller i dag", "Losing touch": "Lenge siden sist",
                      "Waking up": "Kommer tilbake snart",
                      "Referral status changes": "Statusendringer for anbefalinger"},
           "referred_by": "Anbefalt av ", "zone": "Tidene er oppgitt i {zone}.", "subject": "ting å følge opp"},
}


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    with smtp_server() as inbox:
        yield inbox


@pytest.fixture
def app_config(app_config: dict[str, Any], smtp: Inbox) -> dict[str, Any]:
    return {**app_config, "BROBYGGER_SMTP_URL": smtp.url}


@pytest.fixture
def world(session: Session, tenant: Any) -> World:
    return World(session, tenant.id)


def _sections(text: str, language: str = "en") -> dict[str, str]:
    """The plain-text digest cut into its sections, found by their titles in `language`, keyed by the English."""
    found: dict[str, str] = {}
    lines = text.splitlines()
    shown = SHOWN[language]["titles"]
    starts = [(i, title) for i, line in enumerate(lines) for title in SECTION_TITLES
              if line.startswith(f"{shown[title]} (")]
    for n, (i, title) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        found[title] = "\n".join(lines[i:end])
    return found


def _full_house(world: World, name: str, zone: str, language: str) -> dict[str, Any]:
    """A recruiter with one person in every section, and one follow-up for a later day."""
    now = utcnow()
    me = world.recruiter(name, zone=zone, language=language)
    ove = world.person("Olga", f"Overdue{name[0]}", me)
    tod = world.person("Tor", f"Today{name[0]}", me)
    los = world.person("Live", f"Losing{name[0]}", me)
    wak = world.person("Wenche", f"Waking{name[0]}", me)
    ref = world.person("Rolf", f"Referred{name[0]}", me)
    referrer = world.person("Rita", f"Referrer{name[0]}", None)
    later = world.person("Lars", f"Later{name[0]}", me)
    world.followup(ove, local_noon(zone, now, -2), "Ask about the platform team")
    world.followup(tod, local_noon(zone, now) + timedelta(hours=2), "Congratulate on the promotion")
    world.cadence(los, now - timedelta(days=200), max_days=180)
    world.followup(wak, now - timedelta(days=10), "Back from parental leave", status=FollowUpStatus.SNOOZED,
                   snoozed_until=local_noon(zone, now, 2))
    world.referral(referrer, ref, ReferralStatus.IN_PROCESS, now - timedelta(hours=1))
    world.followup(later, local_noon(zone, now, 2), "Not today")
    return {"recruiter": me, "names": {"Overdue": ove, "Due today": tod, "Losing touch": los, "Waking up": wak,
                                       "Referral status changes": ref}, "later": later, "referrer": referrer}


def _assert_digest(text: str, html: str, house: dict[str, Any], language: str) -> None:
    words = SHOWN[language]
    sections = _sections(text, language)
    assert list(sections) == SECTION_TITLES  # every section, in order
    everyone = {title: person.full_name for title, person in house["names"].items()}
    for title, body in sections.items():
        assert everyone[title] in body, (title, body)
        assert [n for t, n in everyone.items() if t != title and n in body] == [], (title, body)
        assert f"{words['titles'][title]} (1)" in body
    assert house["later"].full_name not in text and house["later"].full_name not in html
    assert words["referred_by"] + house["referrer"].full_name in sections["Referral status changes"]
    for title, person in house["names"].items():
        assert person.full_name in html
        assert words["titles"][title] in html
    assert "<html" in html and not re.search(r'(src|srcset)="|<link|url\(', html)  # no external assets


def test_one_digest_per_recruiter_with_every_section_in_their_language_and_time_zone(
        app: Flask, world: World, smtp: Inbox) -> None:
    english = _full_house(world, "Emma Stone", "America/New_York", "en")
    norwegian = _full_house(world, "Nils Berg", "Europe/Oslo", "nb")

    run_tick(app)
    work(app)

    assert len(smtp.messages) == 2  # one e-mail per recruiter, never one per person
    for house, zone, language in ((english, "America/New_York", "en"), (norwegian, "Europe/Oslo", "nb")):
        [message] = smtp.to(house["recruiter"].email)
        text, html = text_of(message), html_of(message)
        _assert_digest(text, html, house, language)
        assert SHOWN[language]["zone"].format(zone=zone) in text
        assert SHOWN[language]["subject"] in message["Subject"]
        # Due times in the recruiter's zone: noon local, whatever UTC says.
        assert "12:00" in _sections(text, language)["Overdue"]
        assert "14:00" in _sections(text, language)["Due today"]
        assert "12:00" in _sections(text, language)["Waking up"]
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["Message-ID"].startswith("<delivery-")
    english_text = text_of(smtp.to(english["recruiter"].email)[0])
    norwegian_html = html_of(smtp.to(norwegian["recruiter"].email)[0])
    assert '<html lang="nb">' in norwegian_html and '<html lang="en">' in html_of(smtp.to(
        english["recruiter"].email)[0])
    now = utcnow()
    assert now.strftime("%b") in english_text or (now + timedelta(days=2)).strftime("%b") in english_text
    assert [d.status for d in world.deliveries()] == ["sent", "sent"]


def test_nothing_is_sent_when_nothing_is_due(app: Flask, world: World, smtp: Inbox) -> None:
    me = world.recruiter("Quiet Quinn")
    someone = world.person("Future", "Person", me)
    world.followup(someone, utcnow() + timedelta(days=30), "Much later")
    world.cadence(someone, utcnow() - timedelta(days=10))

    run_tick(app)
    work(app)

    assert smtp.messages == []
    [delivery] = world.deliveries()
    assert delivery.status == "skipped" and delivery.recruiter_id == me.id


def test_many_people_make_one_email_that_stays_short(app: Flask, world: World, smtp: Inbox) -> None:
    me = world.recruiter("Busy Bee", zone="Europe/Oslo")
    people = [world.person("Person", f"Number{i:02d}", me) for i in range(53)]
    for i, person in enumerate(people):
        world.followup(person, local_noon("Europe/Oslo", utcnow(), -1 - i % 3) + timedelta(minutes=i),
                       f"Reason {i:02d}")

    run_tick(app)
    work(app)

    [message] = smtp.messages
    body = _sections(text_of(message))["Overdue"]
    assert "Overdue (53)" in body and "… and 3 more in your Brobygger queue" in body
    assert sum(p.full_name in body for p in people) == digest.SHOWN_PER_SECTION
    assert "… and 3 more" in html_of(message)
    assert all(n.digested_at is not None for n in world.notices(recruiter_id=me.id))  # all told, once


def test_a_digest_carries_a_notice_once(app: Flask, world: World, smtp: Inbox) -> None:
    """Tomorrow's digest does not repeat today's news; a follow-up rescheduled since is news again."""
    me = world.recruiter("Tina Today")
    person = world.person("Once", "Only", me)
    followup = world.followup(person, local_noon("Europe/Oslo", utcnow(), -1), "Say thanks")
    run_tick(app)
    work(app)
    assert len(smtp.messages) == 1
    assert all(n.digested_at is not None for n in world.notices(recruiter_id=me.id))

    tomorrow = utcnow() + timedelta(days=1)
    run_tick(app, tomorrow)
    work(app)
    assert len(smtp.messages) == 1  # nothing new: tomorrow's row is skipped
    assert [d.status for d in world.deliveries()] == ["sent", "skipped"]

    followup.due_at = local_noon("Europe/Oslo", utcnow())
    world.session.commit()
    run_tick(app, tomorrow + timedelta(days=1))
    work(app)
    assert len(smtp.messages) == 2
    assert "Once Only" in _sections(text_of(smtp.messages[1]))["Due today"]


def test_referral_news_goes_to_the_referrers_keeper_and_the_referred_persons_owner(
        app: Flask, world: World, smtp: Inbox) -> None:
    keeper = world.recruiter("Kari Keeper")
    owner = world.recruiter("Ola Owner")
    bystander = world.recruiter("Berit Bystander")
    world.person("Someone", "Else", bystander)
    referrer = world.person("Rita", "Referrer", keeper)
    referred = world.person("Rolf", "Referred", owner)
    world.referral(referrer, referred, ReferralStatus.HIRED, utcnow() - timedelta(minutes=5))

    run_tick(app)
    work(app)

    assert sorted(m["To"] for m in smtp.messages) == sorted([keeper.email, owner.email])
    for message in smtp.messages:
        body = _sections(text_of(message))["Referral status changes"]
        assert "Rolf Referred" in body and "Referred by Rita Referrer: now hired" in body


def test_every_link_in_the_digest_opens_for_its_recruiter(app: Flask, world: World, smtp: Inbox) -> None:
    """Each person links to their sidebar, each section and the button to the queue; all on BASE_URL."""
    house = _full_house(world, "Lena Link", "Europe/Oslo", "nb")
    run_tick(app)
    work(app)
    [message] = smtp.to(house["recruiter"].email)
    text, html = text_of(message), html_of(message)
    base = app.config["BROBYGGER_BASE_URL"]
    links = set(re.findall(r'href="([^"]+)"', html))
    for title, person in house["names"].items():
        assert f"{base}/queue/people/{person.id}/sidebar" in links, title
        assert f"{base}/queue/people/{person.id}/sidebar" in _sections(text, "nb")[title]
    assert f"{base}/queue#overdue" in links and f"{base}/queue" in links
    assert all(link.startswith(base + "/") for link in links), links
    client = app.test_client()
    sign_in(app, client, str(house["recruiter"].id))
    for link in sorted(links):
        answer = client.get(link.removeprefix(base).split("#")[0], follow_redirects=True)
        assert answer.status_code == 200, (link, answer.status_code)
        assert "Brobygger" in answer.get_data(as_text=True)
