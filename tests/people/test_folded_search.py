"""Search that forgives: names are found as people type them on a keyboard without æøå or accents, on both
databases, and on PostgreSQL through the (tenant, key) prefix indexes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, insert

from plugin.extension import get_state
from plugin.models import Person, uuid7
from plugin.models.people import fold
from plugin.people import people

PEOPLE = [("Kari", "Ødegård"), ("Åse", "Berg"), ("Ola", "Bjørnstad"), ("Émile", "Lærum"), ("Jürgen", "Straße")]


@pytest.mark.parametrize(("typed", "folded"), [
    ("Ødegård", "odegaard"), ("ÅSE", "aase"), ("Bjørnstad", "bjornstad"), ("Lærum", "laerum"),
    ("Émile", "emile"), ("Straße", "strasse"), ("Jürgen", "jurgen"), ("plain", "plain"),
])
def test_fold(typed: str, folded: str) -> None:
    assert fold(typed) == folded


def _names(tenant: Any, q: str) -> list[str]:
    response = tenant.get("/people", query_string={"q": q})
    assert response.status_code == 200, response.json
    return sorted(p["full_name"] for p in response.json["data"])


def test_search_forgives_missing_letters_and_accents(tenant: Any) -> None:
    for first, last in PEOPLE:
        tenant.create("/people", {"first_name": first, "last_name": last})
    assert _names(tenant, "odeg") == ["Kari Ødegård"]
    assert _names(tenant, "ødeg") == ["Kari Ødegård"]
    assert _names(tenant, "odegaard") == ["Kari Ødegård"]
    assert _names(tenant, "aase") == ["Åse Berg"]
    assert _names(tenant, "Åse") == ["Åse Berg"]
    assert _names(tenant, "bjornstad") == ["Ola Bjørnstad"]
    assert _names(tenant, "emile") == ["Émile Lærum"]
    assert _names(tenant, "laer") == ["Émile Lærum"]
    assert _names(tenant, "strasse") == ["Jürgen Straße"]
    assert _names(tenant, "bjørnstad ola") == []  # a prefix of the name or the surname, not any word order


def test_a_renamed_person_is_found_by_the_new_name(tenant: Any) -> None:
    person = tenant.create("/people", {"first_name": "Per", "last_name": "Hansen"})
    assert tenant.patch(f"/people/{person['id']}", json={"last_name": "Ødegård"}).status_code == 200
    assert _names(tenant, "odeg") == ["Per Ødegård"]
    assert _names(tenant, "hansen") == []


def test_the_search_is_answered_from_an_index(app: Flask, tenant: Any) -> None:
    """PostgreSQL: the (tenant, key) prefix indexes (text_pattern_ops) answer the LIKE itself; SQLite: the
    tenant part of those indexes narrows the rows (its LIKE is case-insensitive, so it cannot range-scan)."""
    state = get_state(app)
    for first, last in PEOPLE:
        tenant.create("/people", {"first_name": first, "last_name": last})
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if "FROM people" in statement and "LIKE" in statement:
            seen.append((statement, parameters))

    event.listen(state.engine, "before_cursor_execute", capture)
    try:
        with state.sessions() as session:
            people.search(session, uuid.UUID(str(tenant.id)), q="bjornstad", limit=10)
    finally:
        event.remove(state.engine, "before_cursor_execute", capture)
    assert seen, "the search ran no LIKE query"
    statement, parameters = seen[0]
    with state.engine.connect() as conn:
        if state.engine.dialect.name == "postgresql":
            # A tenant of some size and fresh statistics, so the planner weighs the indexes as it would in use.
            conn.execute(insert(Person), [{"id": uuid7(), "tenant_id": uuid.UUID(str(tenant.id)),
                                           "first_name": "Filler", "last_name": f"Person {i}",
                                           "name_key": f"filler person {i}", "last_name_key": f"person {i}",
                                           "employer_key": ""} for i in range(5_000)])
            conn.exec_driver_sql("ANALYZE people")
            plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
            for index in ("ix_people_tenant_name_key", "ix_people_tenant_last_name_key"):
                assert index in plan, plan
            assert "Seq Scan on people" not in plan, plan
        else:
            plan = "\n".join(str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                                          parameters))
            assert "SCAN people" not in plan.replace("SCAN people USING", ""), plan
            assert "USING INDEX ix_people_tenant" in plan or "USING COVERING INDEX ix_people_tenant" in plan, plan
