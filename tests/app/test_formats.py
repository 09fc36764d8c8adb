"""Numbers, percentages, dates, months, relative days and cadences as a reader in Norway, Britain or the US
writes them (plugin/formats.py), and the pages and e-mails that show them in the recruiter's locale."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update
from sqlalchemy.orm import Session

from plugin import formats
from plugin.extension import get_state
from plugin.i18n import force_locale, locale_code
from plugin.models import Recruiter, utcnow
from tests.notify_helpers import Inbox, World, local_noon, run_tick, smtp_server, text_of, work
from tests.pages import make_recruiter, sign_in
from tests.reports.test_reports import build_fixture
from tests.sidebar_support import open_sidebar

NBSP = "\u00a0"  # Norwegian keeps a number and its % (and a number's groups) together: a no-break space
DEC_4 = date(2026, 12, 4)


def _in(app: Flask, language: str, region: str | None, write: Any) -> str:
    with app.app_context(), force_locale(language, region):
        return write()


def _region(app: Flask, recruiter_id: str, region: str | None) -> None:
    """Regions straight in the database: where recruiters set theirs is the settings page's business."""
    with get_state(app).sessions() as session:
        session.execute(update(Recruiter).where(Recruiter.id == uuid.UUID(recruiter_id)).values(region=region))
        session.commit()


# --- the functions ------------------------------------------------------------------------------------------

def test_the_locale_joins_language_and_region_with_each_languages_home_as_the_default() -> None:
    assert locale_code("nb") == "nb_NO" and locale_code("nb", None) == "nb_NO"
    assert locale_code("en") == "en_GB" and locale_code("en", "US") == "en_US" and locale_code("en", "us") == "en_US"
    assert locale_code("en", "ZZ") == "en_GB" and locale_code("nb", "US") == "nb_NO"  # no such locale: home
    assert locale_code("Norsk") == "nb_NO" and locale_code("xx") == "en_GB"


def test_norwegian_numbers_percentages_dates_and_months(app: Flask) -> None:
    def written() -> tuple[str, ...]:
        return (formats.number(18.09), formats.number(12500), formats.percent(0.125), formats.date_long(DEC_4),
                formats.date_short(DEC_4), formats.month_title("2026-12"), formats.month_title(DEC_4))

    assert _in(app, "nb", None, written) == (
        "18,09", f"12{NBSP}500", f"12,5{NBSP}%", "4. desember 2026", "4. des. 2026", "desember 2026",
        "desember 2026")


def test_english_follows_the_recruiters_region(app: Flask) -> None:
    def written() -> tuple[str, ...]:
        return (formats.number(18.09), formats.percent(0.125), formats.date_long(DEC_4), formats.date_short(DEC_4),
                formats.month_title("2026-12"))

    assert _in(app, "en", "GB", written) == ("18.09", "12.5%", "4 December 2026", "4 Dec 2026", "December 2026")
    assert _in(app, "en", "US", written) == ("18.09", "12.5%", "December 4, 2026", "Dec 4, 2026", "December 2026")
    assert _in(app, "en", None, written) == _in(app, "en", "GB", written)  # no region: as in Britain


def test_a_moment_is_dated_where_the_reader_is(app: Flask) -> None:
    late = datetime(2026, 12, 4, 23, 30, tzinfo=UTC)  # already the 5th in Oslo
    assert _in(app, "nb", None, lambda: formats.date_short(late, "Europe/Oslo")) == "5. des. 2026"
    assert _in(app, "en", "US", lambda: formats.date_short(late, "America/New_York")) == "Dec 4, 2026"
    assert _in(app, "nb", None, lambda: formats.date_time(late, "Europe/Oslo")) == "5. des. 2026, 00:30"
    assert _in(app, "en", "US", lambda: formats.date_time(late, "America/New_York")) == "Dec 4, 2026, 6:30\u202fPM"


@pytest.mark.parametrize("days_ago, nb, en", [
    (0, "i dag", "today"), (1, "i går", "yesterday"), (3, "for 3 dager siden", "3 days ago"),
    (30, "for 30 dager siden", "30 days ago"), (40, "for en måned siden", "a month ago"),
    (61, "for 2 måneder siden", "2 months ago"), (400, "for ett år siden", "a year ago"),
    (800, "for 2 år siden", "2 years ago"), (-1, "i morgen", "tomorrow"), (-3, "om 3 dager", "in 3 days"),
])
def test_relative_days_as_people_say_them(app: Flask, days_ago: int, nb: str, en: str) -> None:
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    then = now - timedelta(days=days_ago)
    assert _in(app, "nb", None, lambda: formats.ago(then, now, "Europe/Oslo")) == nb
    assert _in(app, "en", "US", lambda: formats.ago(then, now, "Europe/Oslo")) == en


def test_earlier_today_is_today_never_zero_days_ago(app: Flask) -> None:
    now = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)  # 23:00 in Oslo
    said = {_in(app, "nb", None, lambda h=h: formats.ago(now - timedelta(hours=h), now, "Europe/Oslo"))
            for h in range(0, 23)}
    assert said == {"i dag"}
    # Counted in calendar days where the reader is: 01:00 in Oslo yesterday is yesterday, 47 hours or not.
    assert _in(app, "nb", None, lambda: formats.ago(now - timedelta(hours=45), now, "Europe/Oslo")) == "i går"


@pytest.mark.parametrize("days, nb, en", [
    (30, "hver måned", "every month"), (90, "hvert kvartal", "every quarter"),
    (180, "hvert halvår", "every six months"), (365, "én gang i året", "once a year"),
    (45, "hver 45. dag", "every 45 days"), (7, "hver uke", "every week"),
])
def test_cadences_as_people_say_them(app: Flask, days: int, nb: str, en: str) -> None:
    assert _in(app, "nb", None, lambda: formats.cadence(days)) == nb
    assert _in(app, "en", None, lambda: formats.cadence(days)) == en


# --- pages ----------------------------------------------------------------------------------------------------

def _page(app: Flask, tenant: Any, path: str, language: str, region: str | None) -> str:
    recruiter = make_recruiter(tenant, email=f"{language}{region or ''}@acme.no".lower(), language=language)
    _region(app, recruiter["id"], region)
    client = app.test_client()
    sign_in(app, client, recruiter["id"])
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_the_report_names_its_months_and_writes_the_share_in_the_readers_locale(
        app: Flask, tenant: Any, session: Session) -> None:
    build_fixture(session, tenant.id)
    norsk = _page(app, tenant, "/reports/referrals/2026-03", "nb", None)
    assert "<h1>Anbefalingsrapport mars 2026</h1>" in norsk and "← februar 2026</a>" in norsk
    assert "april 2026 →</a>" in norsk and ">mars 2025</th>" in norsk  # the same month last year, by name
    assert f"<strong>60{NBSP}%</strong>" in norsk  # three of five hires came through referrals
    assert "2026-03</h1>" not in norsk and ">2026-02<" not in norsk
    american = _page(app, tenant, "/reports/referrals/2026-03", "en", "US")
    assert "<h1>Referral report March 2026</h1>" in american and "← February 2026</a>" in american
    assert "<strong>60%</strong>" in american


def test_the_role_pages_date_the_opening_in_the_readers_locale(app: Flask, tenant: Any) -> None:
    role = tenant.create("/roles", {"title": "Head of Data", "status": "anticipated",
                                    "expected_opening_on": DEC_4.isoformat()})
    for language, region, shown in (("nb", None, "Forventet åpning 4. desember 2026"),
                                    ("en", None, "Expected opening 4 December 2026"),
                                    ("en", "US", "Expected opening December 4, 2026")):
        page = _page(app, tenant, f"/roles/{role['id']}", language, region)
        assert shown in page and DEC_4.isoformat() not in page, (language, region)


def test_the_sidebar_says_the_cadence_and_the_last_touch_as_people_do(app: Flask, client: Any, tenant: Any) -> None:
    kari = make_recruiter(tenant, language="nb")
    person = tenant.create("/people", {"first_name": "Øystein", "owner_id": kari["id"]})
    three_days_ago = local_noon("Europe/Oslo", utcnow(), -3)  # three calendar days ago where Kari is
    tenant.create(f"/people/{person['id']}/touchpoints", {"kind": "call", "occurred_at": three_days_ago.isoformat()})
    cadence = tenant.client.put(f"/api/v1/people/{person['id']}/cadence", json={"tier": "standard"},
                                headers=tenant.headers)
    assert cadence.status_code == 200, cadence.json
    page = open_sidebar(client, tenant, {"person_id": person["id"]})[0].get_data(as_text=True)
    assert "Hold kontakten hvert kvartal." in page and "Siste kontakt for 3 dager siden" in page
    assert "0 dager" not in page and "90 dager" not in page

    _region(app, kari["id"], "US")
    with get_state(app).sessions() as session:
        session.execute(update(Recruiter).where(Recruiter.id == uuid.UUID(kari["id"])).values(language="en"))
        session.commit()
    page = open_sidebar(client, tenant, {"person_id": person["id"]})[0].get_data(as_text=True)
    assert "Keep in touch every quarter." in page and "Last touch 3 days ago" in page
    day = three_days_ago.astimezone(formats.current_zone("Europe/Oslo"))
    assert f"{day:%b} {day.day}, {day.year}" in page  # "Dec 1, 2026": as written in the US


# --- e-mails --------------------------------------------------------------------------------------------------

@pytest.fixture
def smtp() -> Iterator[Inbox]:
    with smtp_server() as inbox:
        yield inbox


@pytest.fixture
def app_config(app_config: dict[str, Any], smtp: Inbox) -> dict[str, Any]:
    return {**app_config, "BROBYGGER_SMTP_URL": smtp.url}


def test_the_digest_is_written_in_the_recipients_language_and_region(
        app: Flask, session: Session, tenant: Any, smtp: Inbox) -> None:
    world = World(session, tenant.id)
    now = utcnow()
    for name, language, region in (("Nora", "nb", None), ("Uma", "en", "US")):
        me = world.recruiter(name, language=language)
        me.region = region
        session.commit()
        world.cadence(world.person("Live", f"Losing{name}", me), now - timedelta(days=200), max_days=180)
    run_tick(app, now)
    work(app)
    norsk = text_of(smtp.to("nora@acme.test")[0])
    assert re.search(r"Ingen kontakt siden \d{1,2}\. [a-zæøå]+ \d{4}; hold kontakten hvert halvår", norsk), norsk
    american = text_of(smtp.to("uma@acme.test")[0])
    assert re.search(r"No touch since [A-Z][a-z]+ \d{1,2}, \d{4}; keep in touch every six months", american), american
