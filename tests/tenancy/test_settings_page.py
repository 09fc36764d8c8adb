"""The recruiter's settings page: every field saved, every refusal in the recruiter's language with nothing saved,
the language switch in the page header, and every link the page shows opens."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from plugin.extension import get_state
from plugin.models import Recruiter
from tests.pages import csrf, make_recruiter, post_form, sign_in

GOOD = {"language": "en", "region": "", "time_zone": "Europe/Oslo", "digest_time": "07:30", "digest_enabled": "on"}
# What each refusal says, in each language; none of them names a field.
REFUSALS = {
    "digest_time": {"en": "Give the time of the daily digest as hours and minutes, such as 07:30.",
                    "nb": "Skriv klokkeslettet for den daglige oversikten som timer og minutter, for eksempel 07:30."},
    "time_zone": {"en": "Choose a time zone from the list, such as Europe/Oslo.",
                  "nb": "Velg en tidssone fra listen, for eksempel Europe/Oslo."},
    "region": {"en": "Choose the country you work in from the list.", "nb": "Velg landet du jobber i fra listen."},
    "language": {"en": "Choose Norwegian or English.", "nb": "Velg norsk eller engelsk."},
}
NOTHING_SAVED = {"en": "Nothing was saved.", "nb": "Ingenting ble lagret."}
SAVED = {"en": "Your settings are saved.", "nb": "Innstillingene dine er lagret."}


def _recruiter(app: Flask, recruiter_id: str) -> Recruiter:
    with get_state(app).sessions() as session:
        found = session.get(Recruiter, uuid.UUID(recruiter_id))
        assert found is not None
        session.expunge(found)
        return found


def _signed_in(app: Flask, tenant: Any, **fields: Any) -> tuple[FlaskClient, dict]:
    me = make_recruiter(tenant, **fields)
    client = app.test_client()
    sign_in(app, client, me["id"])
    return client, me


def _alert(page: str) -> str:
    """The visible text of the page's refusal box."""
    match = re.search(r'<div class="error" role="alert">(.*?)</div>', page, re.S)
    assert match, page
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1)))


def test_signed_out_the_settings_page_asks_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/settings")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")


def test_the_page_shows_the_recruiters_settings_and_every_link_opens(app: Flask, tenant: Any) -> None:
    client, _ = _signed_in(app, tenant, time_zone="America/New_York")
    page = client.get("/settings").get_data(as_text=True)
    assert 'value="America/New_York"' in page and 'value="07:30"' in page
    assert '<option value="en" lang="en" selected>English</option>' in page
    assert '<option value="">Not set (follows the language)</option>' in page
    assert '<option value="GB" >United Kingdom</option>' in page and '<option value="EU"' not in page
    assert '<option value="Europe/Oslo">' in page  # the zones' datalist
    assert 'name="digest_enabled" value="on" checked' in page
    assert "monthly_report_enabled" not in page  # not an admin: no monthly report to turn off
    links = [link for link in re.findall(r'href="([^"#]+)"', page) if not link.startswith("http")]
    assert "/settings" in links
    for link in links:
        assert client.get(link, follow_redirects=True).status_code == 200, link


def test_every_setting_is_saved_and_the_next_page_reads_in_the_new_language(app: Flask, tenant: Any) -> None:
    client, me = _signed_in(app, tenant)
    response = post_form(client, "/settings", {"language": "nb", "region": "gb", "time_zone": "Europe/London",
                                               "digest_time": "6:45"})  # the digest box left unticked
    assert response.status_code == 302 and response.headers["Location"] == "/settings"
    saved = _recruiter(app, me["id"])
    assert (saved.language, saved.region, saved.time_zone, saved.digest_time, saved.digest_enabled) == (
        "nb", "GB", "Europe/London", "06:45", False)
    page = client.get("/settings").get_data(as_text=True)
    assert SAVED["nb"] in page and "<h1>Innstillinger</h1>" in page
    assert '<option value="GB" selected>Storbritannia</option>' in page  # countries by their Norwegian names
    assert 'name="digest_enabled" value="on" >' in page

    assert post_form(client, "/settings", {**GOOD, "region": ""}).status_code == 302
    saved = _recruiter(app, me["id"])
    assert (saved.language, saved.region, saved.digest_enabled) == ("en", None, True)
    assert SAVED["en"] in client.get("/settings").get_data(as_text=True)


@pytest.mark.parametrize("language", ["en", "nb"])
@pytest.mark.parametrize(("field", "value"), [
    ("digest_time", "25:00"), ("digest_time", "7.30"), ("digest_time", ""), ("digest_time", "07:30:00"),
    ("time_zone", "Mars/Olympus"), ("time_zone", "europe/oslo"), ("time_zone", ""),
    ("region", "EU"), ("region", "QQ"), ("region", "Norway"),
    ("language", "de"), ("language", ""),
])
def test_a_refusal_says_what_to_do_in_the_recruiters_language_and_saves_nothing(
        app: Flask, tenant: Any, language: str, field: str, value: str) -> None:
    client, me = _signed_in(app, tenant, language=language, time_zone="Europe/Oslo")
    before = _recruiter(app, me["id"])
    # Every other field changed to a valid value: a refusal must keep them unchanged as well.
    form = {"language": "en" if language == "nb" else "nb", "region": "SE", "time_zone": "Europe/Stockholm",
            "digest_time": "09:15", field: value}
    response = post_form(client, "/settings", form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    alert = _alert(page)
    assert NOTHING_SAVED[language] in alert and REFUSALS[field][language] in alert
    assert not re.search(r"digest_time|time_zone|region|language|_enabled", alert), alert  # no field names
    assert f'aria-describedby="err-{field}"' in page
    assert f'value="{value}"' in page or field in ("region", "language")  # what was typed stays in the form
    after = _recruiter(app, me["id"])
    for column in ("language", "region", "time_zone", "digest_time", "digest_enabled"):
        assert getattr(after, column) == getattr(before, column), column


def test_an_admin_turns_the_monthly_report_off_and_on(app: Flask, tenant: Any) -> None:
    client, me = _signed_in(app, tenant, is_admin=True)
    page = client.get("/settings").get_data(as_text=True)
    assert 'name="monthly_report_enabled" value="on" checked' in page
    assert post_form(client, "/settings", GOOD).status_code == 302  # the box unticked
    assert _recruiter(app, me["id"]).monthly_report_enabled is False
    assert post_form(client, "/settings", {**GOOD, "monthly_report_enabled": "on"}).status_code == 302
    assert _recruiter(app, me["id"]).monthly_report_enabled is True


def test_a_recruiter_who_is_no_admin_cannot_change_the_monthly_report(app: Flask, tenant: Any) -> None:
    client, me = _signed_in(app, tenant)
    with get_state(app).sessions() as session:
        row = session.get(Recruiter, uuid.UUID(me["id"]))
        assert row is not None
        row.monthly_report_enabled = False
        session.commit()
    assert post_form(client, "/settings", {**GOOD, "monthly_report_enabled": "on"}).status_code == 302
    assert _recruiter(app, me["id"]).monthly_report_enabled is False


def test_a_form_without_the_sessions_token_is_refused(app: Flask, tenant: Any) -> None:
    client, me = _signed_in(app, tenant)
    response = client.post("/settings", data={**GOOD, "language": "nb", "csrf_token": "forged"})
    assert response.status_code == 400
    assert _recruiter(app, me["id"]).language == "en"


# --- the language switch in the page header ---------------------------------------------------------------

def _switch(page: str) -> dict[str, str]:
    """What the header's language form sends: its hidden fields and its one button."""
    form = re.search(r'<form method="post" action="([^"]+)" class="inline language-switch">(.*?)</form>', page, re.S)
    assert form, page
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form.group(2)))
    button = re.search(r'<button type="submit" class="link" name="language" value="(\w+)" lang="\w+">([^<]+)<',
                       form.group(2))
    assert button
    return {"action": form.group(1), **{k: html.unescape(v) for k, v in fields.items()},
            "language": button.group(1), "label": button.group(2)}


def test_the_header_switches_the_language_and_returns_to_the_same_page(app: Flask, tenant: Any) -> None:
    client, me = _signed_in(app, tenant)
    here = "/roles?status=anticipated"
    english = client.get(here).get_data(as_text=True)
    switch = _switch(english)
    assert (switch["language"], switch["label"], switch["next"]) == ("nb", "Norsk", here)
    assert switch["csrf_token"] == csrf(client)
    response = client.post(switch["action"], data={k: switch[k] for k in ("csrf_token", "next", "language")})
    assert response.status_code == 302 and response.headers["Location"] == here
    assert _recruiter(app, me["id"]).language == "nb"
    norwegian = client.get(here).get_data(as_text=True)
    assert '<html lang="nb">' in norwegian and ">Innstillinger</a>" in norwegian
    back = _switch(norwegian)
    assert (back["language"], back["label"]) == ("en", "English")
    client.post(back["action"], data={k: back[k] for k in ("csrf_token", "next", "language")})
    assert _recruiter(app, me["id"]).language == "en"


def test_the_switch_goes_nowhere_but_this_site_and_knows_only_our_languages(app: Flask, tenant: Any) -> None:
    client, me = _signed_in(app, tenant)
    away = post_form(client, "/settings/language", {"language": "nb", "next": "https://evil.example/"})
    assert away.status_code == 302 and away.headers["Location"] == "/"
    refused = post_form(client, "/settings/language", {"language": "de", "next": "/queue"})
    assert refused.status_code == 422
    assert "Velg norsk eller engelsk." in refused.get_data(as_text=True)  # nb was saved a moment ago
    assert _recruiter(app, me["id"]).language == "nb"
    assert client.post("/settings/language", data={"language": "en"}).status_code == 400  # no CSRF token


def test_settings_is_in_the_header_and_on_the_landing_page(app: Flask, tenant: Any) -> None:
    client, _ = _signed_in(app, tenant, language="nb")
    landing = client.get("/").get_data(as_text=True)
    assert landing.count('href="/settings"') == 2  # the header and "Where to go"
    assert "språk, tidssone og e-post" in landing
