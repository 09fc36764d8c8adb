"""Schemathesis against the API's own OpenAPI document, over real HTTP on a running app.

The app is served by werkzeug on a free 127.0.0.1 port in a thread, for the whole module, with a database
of its own (migrated, seeded once) so that fuzzed writes never meet another test's rows. Every operation of
`/api/v1/openapi.json` is called with generated valid (positive) and invalid (negative) inputs under a key
holding every scope; ids in paths, bodies and queries are often swapped for those of seeded rows, so that
requests get past "not found" into the views. Every response must pass the checks: no 5xx, and a body,
content type and headers as the document's own schemas say.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
)

from connectors.simulators.base import serve
from plugin import create_app, migrate
from plugin.ats import installations
from plugin.db import make_engine
from plugin.extension import get_state
from plugin.tenancy import tenants

# Generated cases per operation and generation mode: about 60 operations, 2 modes, 25 cases each: about a minute
# on two cores. Derandomized, so every run sends the same requests.
MAX_EXAMPLES = 25
# The two the API promises; content type and documented headers held over a long exploratory run as well, and
# cost nothing extra. (Negative-data rejection does not hold, and is not promised: marshmallow takes 0 and 1 as
# booleans, and a PATCH without a body is an empty change.)
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, response_headers_conformance]
# Body and query fields that name a row → the kind of row (as the path parameters name them).
ID_FIELDS = {"person_id": "person_id", "recruiter_id": "recruiter_id", "owner_id": "recruiter_id",
             "role_id": "role_id", "reference_id": "reference_id", "referral_id": "referral_id",
             "installation_id": "installation_id"}


@dataclass
class Served:
    base_url: str
    api_key: str
    ids: dict[str, list[str]]  # path parameter name → ids of seeded rows
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)  # (operation, status) → responses


@pytest.fixture(scope="module")
def served(fresh_database: Any, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    database_url = fresh_database("fuzz")
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    engine.dispose()
    app = create_app({
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path_factory.mktemp("fuzz") / "instance"),
        "BROBYGGER_DATABASE_URL": database_url,
        "BROBYGGER_REDIS_URL": redis_url,
        "BROBYGGER_SECRET_KEY": "fuzz-secret",
        "BROBYGGER_ENCRYPTION_KEYS": "uKQwH3y0GgqSg9U0Q8yJr0Vv8n1q7s3bJ9z2P4m6x1A=",
        "BROBYGGER_BASE_URL": "http://brobygger.test",
        # Thousands of requests under one key in about a minute: the API rate limit (RATE_LIMIT_API, counted
        # in Redis per key) would answer most of them with 429 and hide what the views do, so it is off here.
        "BROBYGGER_RATE_LIMIT_API": 0,
    })
    state = get_state(app)
    with state.sessions() as session:
        created = tenants.create(session, state.vault, "Fuzz AS")  # its first key holds read, write and admin
    try:
        ids = _seed(app, created.tenant.id, created.api_key)
        with serve(app) as base_url:
            yield Served(base_url, created.api_key, ids)
    finally:
        state.redis.flushdb()
        state.engine.dispose()


def _seed(app: Flask, tenant_id: uuid.UUID, api_key: str) -> dict[str, list[str]]:
    """Rows of every kind the paths name, made through the API itself (the installation through its service)."""
    client = app.test_client()

    def send(method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = client.open(f"/api/v1{path}", method=method, json=body,
                               headers={"Authorization": f"Bearer {api_key}"})
        assert response.status_code in (200, 201), (path, response.json)
        return response.json

    people = [send("POST", "/people", {"first_name": name, "last_name": "Seed", "title": "Engineer"})
              for name in ("Kari", "Per", "Åse")]
    recruiter = send("POST", "/recruiters", {"email": "kari@fuzz.no", "name": "Kari Nordmann"})
    role = send("POST", "/roles", {"title": "Platform engineer"})
    followup = send("POST", "/followups", {"person_id": people[0]["id"], "reason": "Check in",
                                           "due_at": (datetime.now(UTC) + timedelta(days=3)).isoformat()})
    reference = send("POST", "/references", {"kind": "outsider", "name": "Olav Outsider"})
    referral = send("POST", "/referrals", {"person_id": people[1]["id"], "channel": "event", "prompted": False,
                                           "referrer": {"kind": "outsider", "name": "Olav Outsider"}})
    send("POST", f"/roles/{role['id']}/shortlist", {"person_id": people[2]["id"]})
    send("PUT", f"/people/{people[0]['id']}/cadence", {"tier": "standard"})
    state = get_state(app)
    with state.sessions() as session:
        installation = installations.add(
            session, state.vault, tenant_id, vendor="greenhouse", base_url="http://127.0.0.1:9/v3",
            credentials={"client_id": "fuzz", "client_secret": "fuzz"}, webhook_secret="fuzz-webhooks")
    return {"person_id": [p["id"] for p in people], "recruiter_id": [recruiter["id"]], "role_id": [role["id"]],
            "followup_id": [followup["id"]], "reference_id": [reference["id"]], "referral_id": [referral["id"]],
            "installation_id": [str(installation.id)], "month": [datetime.now(UTC).strftime("%Y-%m")]}


def _schema(served: Served) -> schemathesis.BaseSchema:
    # An explicit config, so no schemathesis.toml of the working directory applies.
    schema = schemathesis.openapi.from_url(f"{served.base_url}/api/v1/openapi.json", config=schemathesis.Config())
    # The key is fixed, not generated: a made-up bearer token only ever meets the 401 of authentication.
    schema.config.update(base_url=served.base_url, headers={"Authorization": f"Bearer {served.api_key}"})
    schema.config.generation.update(with_security_parameters=False)

    def seeded(names: dict[str, str], values: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
        """Each value that names a row: kept as generated, or swapped for a seeded row's id."""
        return st.fixed_dictionaries({
            key: st.sampled_from([value, *served.ids[names[key]]]) if key in names else st.just(value)
            for key, value in values.items()})

    @schema.hook
    def flatmap_path_parameters(_context: Any, path_parameters: dict[str, Any]) -> st.SearchStrategy:
        return seeded({name: name for name in served.ids}, path_parameters or {})

    @schema.hook
    def flatmap_query(_context: Any, query: dict[str, Any]) -> st.SearchStrategy:
        return seeded(ID_FIELDS, query) if isinstance(query, dict) else st.just(query)

    @schema.hook
    def flatmap_body(_context: Any, body: Any) -> st.SearchStrategy:
        return seeded(ID_FIELDS, body) if isinstance(body, dict) else st.just(body)

    return schema


def _fuzz(operation: schemathesis.APIOperation, mode: GenerationMode, served: Served) -> None:
    """Call `operation` with up to MAX_EXAMPLES generated cases; raises on the first failed check (shrunk)."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink])
    def call(case: schemathesis.Case) -> None:
        response = case.call_and_validate(checks=CHECKS)
        served.statuses[(operation.label, response.status_code)] += 1

    call()


def _order(operation: schemathesis.APIOperation) -> tuple[bool, bool]:
    """Deletions and erasures after everything else, and deleting people last of all, so that the seeded rows
    are there for every other operation."""
    destroys = operation.method.upper() == "DELETE" or operation.path.endswith("/erase")
    return destroys, operation.label == "DELETE /api/v1/people/{person_id}"


def test_every_operation_answers_without_5xx_and_within_its_schema(served: Served) -> None:
    schema = _schema(served)
    operations = sorted((result.ok() for result in schema.get_all_operations()), key=_order)
    assert len(operations) >= 50, "the OpenAPI document lost its operations"
    failures: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(operation, mode, served)
            # every failing operation is reported, not only the first (a failed check is a FailureGroup, which
            # is a BaseExceptionGroup; anything else the request raised is an Exception)
            except (FailureGroup, Exception) as failure:
                failures.append(f"{operation.label} ({mode.value}): {failure}")
    assert not failures, f"{len(failures)} operation(s) failed:\n\n" + "\n\n".join(failures)

    # The run reached the views: the key was never refused, every read succeeded at least once, and so did
    # most writes (random bodies rarely satisfy a write's cross-field rules, so not every write does).
    refused = {label for (label, status) in served.statuses if status in (401, 403)}
    assert not refused, f"a key with every scope was refused by {sorted(refused)}"
    succeeded = {label for (label, status) in served.statuses if 200 <= status < 300}
    reads = {operation.label for operation in operations if operation.method.upper() == "GET"}
    assert reads <= succeeded, f"reads that never answered 2xx: {sorted(reads - succeeded)}"
    assert len(succeeded) >= 0.75 * len(operations), f"only {len(succeeded)} operations answered 2xx"
    by_status: Counter[int] = Counter()
    for (_, status), count in served.statuses.items():
        by_status[status] += count
    print(f"{by_status.total()} requests to {len(operations)} operations; by status: {dict(sorted(by_status.items()))}")
