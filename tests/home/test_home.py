"""The landing page answers in every mode, and every link on it opens."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from plugin import Brobygger, create_app
from plugin.demo import builder
from plugin.extension import get_state
from plugin.models import FollowUp, FollowUpStatus, Person, SyncRun, utcnow
from tests.ats_support import connect_greenhouse
from tests.pages import make_recruiter, sign_in


def _links(html: str) -> list[str]:
    return re.findall(r'href="([^"#]+)"', html)


def _open_every_link(client: Any, start: str) -> list[str]:
    page = client.get(start)
    assert page.status_code == 200, page.get_data(as_text=True)
    links = [link for link in _links(page.get_data(as_text=True)) if not link.startswith("http")]
    assert links
    for link in links:
        answer = client.get(link, follow_redirects=True)
        # /readyz says 503 by design while no worker runs; every other link opens
        expected = (200, 503) if link.endswith("/readyz") else (200,)
        assert answer.status_code in expected, (link, answer.status_code)
    return links


@pytest.mark.parametrize("demo", [False, True])
def test_the_landing_page_and_its_links_open_with_no_data(app_config: dict[str, Any], app: Flask, demo: bool) -> None:
    standalone = create_app({**app_config, "BROBYGGER_DEMO": demo})
    links = _open_every_link(standalone.test_client(), "/")
    assert "/api/v1/openapi.json" in links and "/manifest.json" in links
    assert "/demo/sidebar" not in links  # no demo tenant to open yet
    get_state(standalone).engine.dispose()


def test_the_demos_landing_page_and_its_links_open(app_config: dict[str, Any], app: Flask) -> None:
    demo_app = create_app({**app_config, "BROBYGGER_DEMO": True})
    state = get_state(demo_app)
    with state.sessions() as session:
        builder.seed(session, state.vault)
    assert "/demo/sidebar" in _open_every_link(demo_app.test_client(), "/")
    state.engine.dispose()


def test_the_landing_page_under_a_mount_point(app_config: dict[str, Any], app: Flask, tmp_path: Path) -> None:
    host = Flask("host_ats", instance_path=str(tmp_path / "host-instance"))
    host.config.update({k: v for k, v in app_config.items() if k.startswith("BROBYGGER_")})
    Brobygger(host, url_prefix="/brobygger")
    links = _open_every_link(host.test_client(), "/brobygger/")
    assert all(link.startswith("/brobygger/") for link in links), links
    get_state(host).engine.dispose()


# --- signed in: where the day starts ------------------------------------------------------------------------------

def _followup(session: Any, tenant_id: Any, owner_id: Any, name: str, due_at: Any) -> None:
    person = Person(tenant_id=tenant_id, first_name=name, owner_id=owner_id)
    session.add(person)
    session.flush()
    session.add(FollowUp(tenant_id=tenant_id, person_id=person.id, owner_id=owner_id, reason=f"Ask {name}",
                         due_at=due_at, status=FollowUpStatus.OPEN))


def test_a_recruiter_lands_on_their_day_and_every_link_opens(app: Flask, tenant: Any) -> None:
    me = make_recruiter(tenant)
    state = get_state(app)
    now = utcnow()
    with state.sessions() as session:
        owner = uuid.UUID(me["id"])
        for days in (3, 2):
            _followup(session, tenant.id, owner, f"Late{days}", now - timedelta(days=days))
        _followup(session, tenant.id, owner, "Later", now + timedelta(days=30))
        session.commit()
    client = app.test_client()
    sign_in(app, client, me["id"])
    html = client.get("/").get_data(as_text=True)
    overdue = re.search(r'#overdue">[^<]*</a>\s*<span class="count[^"]*">(\d+)</span>', html)
    assert overdue and overdue.group(1) == "2", html
    assert "ATS connections" not in html  # not an admin
    links = _open_every_link(client, "/")
    for page in ("/queue", "/roles", "/references", "/reports/referrals"):
        assert page in links, links


def test_an_admin_sees_each_installations_health(app: Flask, tenant: Any) -> None:
    admin = make_recruiter(tenant, email="admin@acme.no", name="Ada Admin", is_admin=True)
    client = app.test_client()
    sign_in(app, client, admin["id"])
    assert "No ATS is connected yet" in client.get("/").get_data(as_text=True)
    with connect_greenhouse(app, tenant.id, candidates=3) as gh:
        state = get_state(app)
        with state.sessions() as session:
            session.add(SyncRun(tenant_id=tenant.id, installation_id=gh.installation_id, status="failed",
                                error="401 from the ATS", finished_at=utcnow()))
            session.commit()
        html = client.get("/").get_data(as_text=True)
    row = re.search(r'<tr class="state-(\w+)">(.*?)</tr>', html, re.S)
    assert row and row.group(1) == "failing", html
    assert "Failing" in row.group(2) and "never" in row.group(2)


def test_the_landing_page_reads_in_norwegian(app: Flask, tenant: Any) -> None:
    me = make_recruiter(tenant, language="nb", is_admin=True)
    client = app.test_client()
    sign_in(app, client, me["id"])
    html = client.get("/").get_data(as_text=True)
    for english in ("Your queue", "Where to go", "Overdue", "ATS connections", "Referral report"):
        assert english not in html, english
    assert "Forfalt" in html or "Over fristen" in html
