"""The sidebar opens in a fixed, small number of SQL statements: the launch and the page it redirects to, for a
person with something in every section, and a reload of that page alone. A query per row, or a lookup added
without need, fails here before it shows in the ATS's frame."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import event

from plugin.extension import get_state
from plugin.sidebar.launch import LAUNCH_PATH
from tests.sidebar_support import launch_token

LAUNCH_AND_VIEW = 8  # both requests of one launch: tenant with recruiters, person; then the page
VIEW = 6  # a reload of the page alone: recruiter with tenant, then the panel's five
COLD = 1  # the recruiter's strong relationships, until Redis holds them


@pytest.fixture
def person(tenant: Any, kari: dict) -> dict:
    """Someone with something in every section of the sidebar."""
    colleague = tenant.create("/recruiters", {"email": "ola@acme.no", "name": "Ola Recruiter", "language": "en"})
    person = tenant.create("/people", {
        "first_name": "Sofie", "last_name": "Berg", "employer": "Kahoot!", "owner_id": kari["id"],
        "interests": ["Orienteering", "Jazz"],
        "work_history": [{"employer": "Acme AS", "title": "Intern"}, {"employer": "Vipps", "title": "Dev"}]})
    pid = person["id"]
    day = datetime.now(UTC) - timedelta(days=3)
    for i, summary in enumerate(("Coffee", "Call about the platform team", "Met at JavaZone")):
        tenant.create(f"/people/{pid}/touchpoints", {"kind": "call", "summary": summary, "recruiter_id": kari["id"],
                                                    "occurred_at": (day - timedelta(days=i)).isoformat()})
    for i, reason in enumerate(("Ask about the new team", "Coffee after the summer")):
        tenant.create("/followups", {"person_id": pid, "reason": reason,
                                     "due_at": (datetime.now(UTC) + timedelta(days=7 + i)).isoformat()})
    assert tenant.client.put(f"/api/v1/people/{pid}/cadence", json={"tier": "close"},
                             headers=tenant.headers).status_code == 200
    # Referred in: by someone Kari owns, by a recruiter colleague, and by an outsider known by name only.
    rune = tenant.create("/people", {"first_name": "Rune", "last_name": "Referent", "owner_id": kari["id"]})
    for referrer in ({"kind": "candidate", "person_id": rune["id"]},
                     {"kind": "employee", "recruiter_id": colleague["id"]},
                     {"kind": "outsider", "name": "Ingrid Lie", "email": "ingrid@example.no"}):
        tenant.create("/referrals", {"person_id": pid, "channel": "event", "prompted": False, "referrer": referrer})
    # Referred out: someone Kari has touched, and someone she has not.
    tora = tenant.create("/people", {"first_name": "Tora", "last_name": "Touched"})
    tenant.create(f"/people/{tora['id']}/touchpoints", {"kind": "meeting", "recruiter_id": kari["id"],
                                                        "occurred_at": day.isoformat()})
    stig = tenant.create("/people", {"first_name": "Stig", "last_name": "Stranger"})
    for referred in (tora, stig):
        tenant.create("/referrals", {"person_id": referred["id"], "channel": "phone", "prompted": False,
                                     "referrer": {"kind": "candidate", "person_id": pid}})
    # A strong relationship of Kari's who shares an interest, and a hire at a shared employer.
    frida = tenant.create("/people", {"first_name": "Frida", "last_name": "Venn", "owner_id": kari["id"],
                                      "interests": ["orienteering"]})
    tenant.create("/referrals", {"person_id": stig["id"], "channel": "phone", "prompted": False,
                                 "referrer": {"kind": "candidate", "person_id": frida["id"]}})
    tenant.create("/people", {"first_name": "Hanne", "last_name": "Hired", "employer": "Vipps", "status": "hired"})
    for title in ("Head of Data", "Staff Engineer"):
        role = tenant.create("/roles", {"title": title})
        tenant.create(f"/roles/{role['id']}/shortlist", {"person_id": pid})
    tenant.create("/roles", {"title": "Platform Lead"})
    return person


@pytest.fixture
def count_statements(app: Flask) -> Callable[[], Any]:
    @contextmanager
    def counting() -> Iterator[list[str]]:
        statements: list[str] = []
        engine = get_state(app).engine
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", listener)

    return counting


def _rendered_in_full(response: Any) -> None:
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    for shown in ("Sofie Berg", "Relationship owner: Kari Nordmann", "Ask about the new team", "Ingrid Lie",
                  "Ola Recruiter", "Referred Tora Touched", "Rune Referent referred them", "you logged 1 touch",
                  "Shared employer Vipps:", "Shared interest Orienteering with Frida Venn", "Has worked at Acme AS.",
                  "Keep in touch", "Head of Data", "Platform Lead"):
        assert shown in page, shown


def test_a_launch_and_its_page_take_a_fixed_few_statements(client: Any, tenant: Any, person: dict,
                                                           count_statements: Callable[[], Any]) -> None:
    ctx = {"person_id": person["id"]}
    for bound in (LAUNCH_AND_VIEW + COLD, LAUNCH_AND_VIEW):  # the first launch fills the strong relationships' cache
        with count_statements() as statements:
            launched = client.get(LAUNCH_PATH, query_string={"jwt": launch_token(tenant, ctx)},
                                  follow_redirects=True)
        _rendered_in_full(launched)
        assert len(launched.history) == 1 and launched.history[0].status_code == 303
        assert len(statements) <= bound, "\n\n".join(statements)
    location = urlsplit(launched.history[0].headers["Location"])
    with count_statements() as statements:
        reloaded = client.get(f"{location.path}?{location.query}")
    _rendered_in_full(reloaded)
    assert len(statements) <= VIEW, "\n\n".join(statements)
