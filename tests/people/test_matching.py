"""Role suggestions: passive people matched by title, skills, employer and location words, explained and ranked."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask
from sqlalchemy import event

from plugin.extension import get_state
from plugin.people import matching


def _person(t: Any, first_name: str, **fields: Any) -> dict:
    return t.create("/people", {"first_name": first_name, **fields})


def _role(t: Any, **fields: Any) -> dict:
    return t.create("/roles", {"title": "Senior Data Engineer", "keywords": ["Python", "Equinor", "AI"],
                               "location": "Oslo", **fields})


def _suggestions(t: Any, role_id: str, **query: Any) -> list[dict]:
    response = t.get(f"/roles/{role_id}/suggestions", query_string=query)
    assert response.status_code == 200, response.json
    return response.json["data"]


def test_words_are_lower_case_without_stop_words() -> None:
    assert matching.words(["Head of Data & AI", "data", None, "2030 Oslo/Bergen"]) == [
        "data", "ai", "oslo", "bergen"]


def test_suggestions_are_explained_and_ranked(tenant: Any) -> None:
    _person(tenant, "Full", title="DATA ENGINEER", tags=["python", "Spark"], employer="Equinor ASA",
            location="Oslo, Norway")
    _person(tenant, "Compound", title="Dataingeniør", interests=["Pythonista meetups"], location="Bergen")
    _person(tenant, "Employer", title="Accountant", employer="Equinor")
    _person(tenant, "Short", title="Mail clerk", tags=["email"])  # "ai" only matches a whole word
    _person(tenant, "Located", title="Chef", location="Oslo")  # location alone is no suggestion
    _person(tenant, "Busy", title="Data Engineer", status="in_process")
    _person(tenant, "Hired", title="Data Engineer", status="hired")
    _person(tenant, "Blocked", title="Data Engineer", do_not_contact=True)
    listed = _person(tenant, "Listed", title="Data Engineer")
    role = _role(tenant)
    tenant.create(f"/roles/{role['id']}/shortlist", {"person_id": listed["id"]})

    found = _suggestions(tenant, role["id"])
    assert [(s["person"]["full_name"], s["score"]) for s in found] == [
        ("Full", 3 * 2 + 2 * 1 + 2 * 1 + 1), ("Compound", 3 + 2), ("Employer", 2)]
    assert found[0]["matched"] == {"title": ["data", "engineer"], "skills": ["python"], "employer": ["equinor"],
                                   "location": ["oslo"]}
    assert found[1]["matched"] == {"title": ["data"], "skills": ["python"]}
    assert found[2]["matched"] == {"employer": ["equinor"]}
    assert set(found[0]["person"]) == {"id", "full_name", "title", "employer", "location", "tags", "interests",
                                       "owner_id"}
    assert [s["person"]["full_name"] for s in _suggestions(tenant, role["id"], limit=1)] == ["Full"]


def test_a_short_keyword_matches_a_whole_word(tenant: Any) -> None:
    _person(tenant, "Ai", title="Researcher", tags=["AI", "ethics"])
    role = _role(tenant, title="Researcher", keywords=["ai"], location=None)
    [found] = _suggestions(tenant, role["id"])
    assert found["matched"] == {"title": ["researcher"], "skills": ["ai"]}


def test_ties_go_by_name_and_nothing_matches_a_role_without_words(tenant: Any) -> None:
    for name in ("Bodil", "Anders"):
        _person(tenant, name, title="Platform Engineer")
    role = _role(tenant, title="Platform Engineer", keywords=[], location=None)
    assert [s["person"]["full_name"] for s in _suggestions(tenant, role["id"])] == ["Anders", "Bodil"]
    empty = _role(tenant, title="Senior Lead", keywords=[], location=None)
    assert _suggestions(tenant, empty["id"]) == []


def test_other_tenants_people_and_roles_stay_apart(tenant: Any, other_tenant: Any) -> None:
    _person(other_tenant, "Theirs", title="Data Engineer")
    mine = _person(tenant, "Mine", title="Data Engineer")
    role = _role(tenant)
    assert [s["person"]["id"] for s in _suggestions(tenant, role["id"])] == [mine["id"]]
    assert other_tenant.get(f"/roles/{role['id']}/suggestions").status_code == 404
    assert tenant.get(f"/roles/{uuid.uuid4()}/suggestions").status_code == 404


def test_suggest_is_two_queries(app: Flask, tenant: Any) -> None:
    for i in range(5):
        _person(tenant, f"P{i}", title="Data Engineer", tags=["python"], emails=[f"p{i}@example.no"])
    role = _role(tenant)
    state = get_state(app)
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    with state.sessions() as session:
        event.listen(state.engine, "before_cursor_execute", record)
        try:
            found = matching.suggest(session, tenant.id, uuid.UUID(role["id"]))
        finally:
            event.remove(state.engine, "before_cursor_execute", record)
    assert len(found) == 5
    assert len(seen) == 2  # the role, then the people (filtered and pre-ranked in SQL)
