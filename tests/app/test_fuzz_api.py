"""Schemathesis with every check against the API's own OpenAPI document, over real HTTP on a running app.

The app is served by werkzeug on a free 127.0.0.1 port in a thread, for the whole module, with a database
of its own (migrated, seeded once) so that fuzzed writes never meet another test's rows. Every operation of
`/api/v1/openapi.json` is called with generated valid (positive) and invalid (negative) inputs under a key
holding every scope, and every response must pass every check schemathesis has (`--checks all`): no 5xx;
status, body, content type and headers as the document says; invalid input refused and valid input taken.

Valid input is what the document allows and what it states in words but JSON Schema cannot: ids in bodies
name the tenant's rows (an unknown one is a 422), a cursor is one the API handed out, dates and day counts
come in order, a follow-up is due today or later, a touch happened today or earlier, a snooze ends in the future,
a tier is one of the tenant's. Positive cases are drawn within
those rules (ids and cursors swapped for seeded ones, ranges put in order); negative cases are left as drawn.

`make test` runs a fast, derandomized profile; `make fuzz` a long, random one (BROBYGGER_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import os
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
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.failures import FailureGroup

from connectors.simulators.base import serve
from plugin import create_app, migrate
from plugin.ats import installations
from plugin.db import make_engine
from plugin.extension import get_state
from plugin.tenancy import tenants
from plugin.tenancy.settings import DEFAULT_TIERS

# Generated cases per operation and generation mode: about 60 operations, 2 modes, 25 cases each: about a minute
# on two cores, derandomized so that every run sends the same requests. `make fuzz` sets many more, at random.
MAX_EXAMPLES = int(os.environ.get("BROBYGGER_FUZZ_EXAMPLES") or 25)
DERANDOMIZE = "BROBYGGER_FUZZ_EXAMPLES" not in os.environ
# Body and query fields that name a row → the kind of row (as the path parameters name them).
ID_FIELDS = {"person_id": "person_id", "recruiter_id": "recruiter_id", "owner_id": "recruiter_id",
             "role_id": "role_id", "reference_id": "reference_id", "referral_id": "referral_id",
             "installation_id": "installation_id", "followup_id": "followup_id"}
TIERS = list(DEFAULT_TIERS)  # the tenant's cadence tiers (operations that change them run last)


@dataclass
class Served:
    base_url: str
    api_key: str
    ids: dict[str, list[str]]  # path parameter name → ids of seeded rows
    cursors: dict[str, list[str]]  # list operation's path → a `next_cursor` it handed out
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
        cursors = _cursors(app, created.api_key, ids)
        with serve(app) as base_url:
            yield Served(base_url, created.api_key, ids, cursors)
    finally:
        state.redis.flushdb()
        state.engine.dispose()


def _seed(app: Flask, tenant_id: uuid.UUID, api_key: str) -> dict[str, list[str]]:
    """Rows of every kind the paths name, made through the API itself (the installations through their
    service), two or more of each listed kind so that a page of one hands out a cursor."""
    client = app.test_client()

    def send(method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = client.open(f"/api/v1{path}", method=method, json=body,
                               headers={"Authorization": f"Bearer {api_key}"})
        assert response.status_code in (200, 201), (path, response.json)
        return response.json

    people = [send("POST", "/people", {"first_name": name, "last_name": "Seed", "title": "Engineer"})
              for name in ("Kari", "Per", "Åse")]
    recruiters = [send("POST", "/recruiters", {"email": f"{name}@fuzz.no", "name": f"{name} Nordmann"})
                  for name in ("kari", "ola")]
    roles = [send("POST", "/roles", {"title": title}) for title in ("Platform engineer", "Designer")]
    due = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    followups = [send("POST", "/followups", {"person_id": people[0]["id"], "reason": reason, "due_at": due,
                                             "owner_id": recruiters[0]["id"]}) for reason in ("Check in", "Call")]
    references = [send("POST", "/references", {"kind": "outsider", "name": name}) for name in ("Olav", "Siri")]
    referrals = [send("POST", "/referrals", {"person_id": person["id"], "channel": "event", "prompted": False,
                                             "reference_id": references[0]["id"]}) for person in people[1:]]
    for person in people:
        send("POST", f"/roles/{roles[0]['id']}/shortlist", {"person_id": person["id"]})
        send("PUT", f"/people/{person['id']}/cadence", {"tier": "standard"})
    met = (datetime.now(UTC) - timedelta(days=3)).isoformat()  # a touch is something that has happened
    for kind in ("call", "meeting"):
        send("POST", f"/people/{people[0]['id']}/touchpoints", {"kind": kind, "occurred_at": met})
    sidebar = send("POST", "/recruiters", {"email": "sidebar@fuzz.no", "name": "Sidebar"})
    messages = [send("POST", "/messages", {"author_id": sidebar["id"], "person_id": person["id"]})
                for person in people[:2]]
    state = get_state(app)
    with state.sessions() as session:
        installation_ids = [str(installations.add(
            session, state.vault, tenant_id, vendor=vendor, base_url=base_url, credentials=credentials,
            webhook_secret="fuzz-webhooks").id) for vendor, base_url, credentials in (
                ("greenhouse", "http://127.0.0.1:9/v3", {"client_id": "fuzz", "client_secret": "fuzz"}),
                ("teamtailor", "http://127.0.0.1:9/v1", {"api_key": "fuzz"}))]
    return {"person_id": [p["id"] for p in people], "recruiter_id": [r["id"] for r in recruiters],
            "role_id": [r["id"] for r in roles], "followup_id": [f["id"] for f in followups],
            "reference_id": [r["id"] for r in references], "referral_id": [r["id"] for r in referrals],
            "installation_id": installation_ids, "month": [datetime.now(UTC).strftime("%Y-%m")],
            "sub": [sidebar["email"]], "author_id": [sidebar["id"]], "message_id": [m["id"] for m in messages]}


def _cursors(app: Flask, api_key: str, ids: dict[str, list[str]]) -> dict[str, list[str]]:
    """A `next_cursor` that each list operation hands out for a page of one."""
    client = app.test_client()
    found: dict[str, list[str]] = {}
    for path in ("/people", "/people/{person_id}/touchpoints", "/recruiters", "/references", "/referrals",
                 "/roles", "/roles/{role_id}/shortlist", "/followups", "/audit", "/messages"):
        url = path.replace("{person_id}", ids["person_id"][0]).replace("{role_id}", ids["role_id"][0])
        page = client.get(f"/api/v1{url}?limit=1", headers={"Authorization": f"Bearer {api_key}"}).json
        assert page["next_cursor"], path
        found[f"/api/v1{path}"] = [page["next_cursor"]]
    return found


def _schema(served: Served, positive: bool) -> schemathesis.BaseSchema:
    # An explicit config, so no schemathesis.toml of the working directory applies.
    schema = schemathesis.openapi.from_url(f"{served.base_url}/api/v1/openapi.json", config=schemathesis.Config())
    # The key is fixed, not generated: a made-up bearer token only ever meets the 401 of authentication.
    schema.config.update(base_url=served.base_url, headers={"Authorization": f"Bearer {served.api_key}"})
    schema.config.generation.update(with_security_parameters=False)
    if positive:  # a negative case stays as drawn: a swap could make the invalid part valid
        _draw_within_the_rules(schema, served)
    return schema


def _draw_within_the_rules(schema: schemathesis.BaseSchema, served: Served) -> None:
    def seeded(names: dict[str, str], values: dict[str, Any], always: bool) -> st.SearchStrategy[dict[str, Any]]:
        """Each value that names a row (in nested objects too) swapped for a seeded row's id, or (unless
        `always`) kept as drawn."""
        def one(key: str, value: Any) -> st.SearchStrategy[Any]:
            if isinstance(value, dict):
                return seeded(names, value, always)
            if key in names and value is not None:
                return st.sampled_from([*([] if always else [value]), *served.ids[names[key]]])
            return st.just(value)
        return st.fixed_dictionaries({key: one(key, value) for key, value in values.items()})

    @schema.hook
    def flatmap_path_parameters(_context: Any, path_parameters: dict[str, Any]) -> st.SearchStrategy:
        # a made-up id is a 404, which a valid request may get
        return seeded({name: name for name in served.ids}, path_parameters or {}, always=False)

    @schema.hook
    def flatmap_query(context: Any, query: dict[str, Any]) -> st.SearchStrategy:
        if not isinstance(query, dict):
            return st.just(query)
        query = _ordered(query, "due_from", "due_to", strictly=True)
        query = _ordered(query, "referred_from", "referred_to", strictly=False)
        strategy = seeded(ID_FIELDS, query, always=False)  # a filter by a made-up id finds nothing
        if query.get("cursor"):  # a valid cursor is one the operation handed out (or none: the first page)
            handed_out = served.cursors.get(context.operation.path, [])
            strategy = strategy.flatmap(lambda q: st.sampled_from([None, *handed_out]).map(
                lambda cursor: {k: v for k, v in {**q, "cursor": cursor}.items() if v is not None}))
        return strategy

    @schema.hook
    def flatmap_body(context: Any, body: Any) -> st.SearchStrategy:
        if not isinstance(body, dict):
            return st.just(body)
        label = context.operation.label
        return seeded(ID_FIELDS, body, always=True).map(lambda drawn: _within_the_rules(label, drawn, served))


def _ordered(values: dict[str, Any], low: str, high: str, *, strictly: bool) -> dict[str, Any]:
    """`low` before `high` (or at it, unless `strictly`), as the document's descriptions say."""
    if values.get(low) is None or values.get(high) is None:
        return values
    a, b = sorted((values[low], values[high]), key=_comparable)
    if strictly and a == b:
        return {k: v for k, v in values.items() if k != high}
    return {**values, low: a, high: b}


def _comparable(value: int | str) -> Any:
    if isinstance(value, str) and "T" in value:
        return datetime.fromisoformat(value).astimezone(UTC)
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _within_the_rules(label: str, body: dict[str, Any], served: Served) -> dict[str, Any]:
    """The body, with what the document states in words but JSON Schema cannot made true."""
    body = _ordered(body, "ideal_days", "max_days", strictly=False) if "ideal_days" in body else body
    if isinstance(body.get("work_history"), list):
        body = {**body, "work_history": [_ordered(item, "start", "end", strictly=False)
                                         for item in body["work_history"]]}
    if isinstance(body.get("cadence_tiers"), dict):
        body = {**body, "cadence_tiers": {name: sorted(days) for name, days in body["cadence_tiers"].items()}}
    if "tier" in body:
        body = {**body, "tier": TIERS[len(body["tier"]) % len(TIERS)]}
        ideal, most = (body.get(key, days) for key, days in zip(("ideal_days", "max_days"),
                                                                  DEFAULT_TIERS[body["tier"]], strict=True))
        if ideal > most:  # a day count given beside a tier is held to the tier's other one
            body = {**body, "ideal_days": most, "max_days": ideal}
    if "default_tier" in body or "cadence_tiers" in body:  # the default names a tier, after the change too
        tiers = list(body.get("cadence_tiers") or TIERS)
        body = {**body, "default_tier": tiers[len(body.get("default_tier", "")) % len(tiers)]}
    if label.endswith("/snooze") and body.get("until"):
        body = {**body, "until": _days_from_now(1 + len(body["until"]))}
    # "today" is a day in someone's time zone: a whole day or more from now is later (or earlier) in every zone
    if isinstance(body.get("due_at"), str):
        body = {**body, "due_at": _days_from_now(1 + len(body["due_at"]))}
    if isinstance(body.get("next"), dict) and isinstance(body["next"].get("due_at"), str):
        body = {**body, "next": {**body["next"], "due_at": _days_from_now(1 + len(body["next"]["due_at"]))}}
    if isinstance(body.get("occurred_at"), str):
        body = {**body, "occurred_at": _days_from_now(-1 - len(body["occurred_at"]))}
    referrer = body.get("referrer")
    if isinstance(referrer, dict) and referrer.get("person_id") == body.get("person_id"):  # nobody refers themselves
        others = [p for p in served.ids["person_id"] if p != body["person_id"]]
        body = {**body, "referrer": {**referrer, "person_id": others[0]}}
    if label.endswith("/launch-urls"):  # an active recruiter, whom no other operation changes
        body = {**body, "sub": served.ids["sub"][0]}
    if label == "POST /api/v1/messages":  # written by that recruiter; a follow-up's message is to its person
        body = {**body, "author_id": served.ids["author_id"][0]}
        if body.get("followup_id"):
            body = {**body, "person_id": served.ids["person_id"][0]}
    if label.endswith("/teamtailor-codes"):
        body = {**body, "installation_id": served.ids["installation_id"][1]}
    return body


def _days_from_now(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def _fuzz(operation: schemathesis.APIOperation, mode: GenerationMode, served: Served) -> None:
    """Call `operation` with up to MAX_EXAMPLES generated cases; raises on the first failed check (shrunk)."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, derandomize=DERANDOMIZE, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink])
    def call(case: schemathesis.Case) -> None:
        response = case.call_and_validate()  # every check the schema's config enables: all of them
        served.statuses[(operation.label, response.status_code)] += 1

    call()


def _has_input(operation: schemathesis.APIOperation) -> bool:
    return bool(operation.body) or any(parameter.name != "Authorization" for parameter in operation.iter_parameters())


def _order(operation: schemathesis.APIOperation) -> tuple[bool, bool]:
    """Changes to the tenant's settings (its cadence tiers), deletions and erasures after everything else, and
    deleting people last of all, so that the seeded rows and tiers are there for every other operation."""
    method = operation.method.upper()
    late = method == "DELETE" or operation.path.endswith("/erase") or (
        method == "PATCH" and operation.path.endswith("/settings"))
    return late, operation.label == "DELETE /api/v1/people/{person_id}"


def test_every_check_passes_on_every_operation(served: Served) -> None:
    load_all_checks()
    config = schemathesis.Config().projects.default.checks
    assert all(config.get_by_name(name=name).enabled for name in CHECKS.get_all_names()), "a check is off"
    schemas = {mode: _schema(served, positive=mode is GenerationMode.POSITIVE) for mode in GenerationMode}
    operations = {mode: sorted((result.ok() for result in schema.get_all_operations()), key=_order)
                  for mode, schema in schemas.items()}
    assert len(operations[GenerationMode.POSITIVE]) >= 50, "the OpenAPI document lost its operations"
    failures: list[str] = []
    for positive, negative in zip(operations[GenerationMode.POSITIVE], operations[GenerationMode.NEGATIVE],
                                  strict=True):
        for operation, mode in ((positive, GenerationMode.POSITIVE), (negative, GenerationMode.NEGATIVE)):
            if mode is GenerationMode.NEGATIVE and not _has_input(operation):
                continue  # nothing to make invalid (the key is fixed)
            try:
                _fuzz(operation, mode, served)
            # every failing operation is reported, not only the first (a failed check is a FailureGroup, which
            # is a BaseExceptionGroup; anything else the request raised is an Exception)
            except (FailureGroup, Exception) as failure:
                failures.append(f"{operation.label} ({mode.value}): {failure}")
    assert not failures, f"{len(failures)} operation(s) failed:\n\n" + "\n\n".join(failures)

    # The run reached the views: the key was never refused, every read succeeded at least once, and so did
    # most writes.
    refused = {label for (label, status) in served.statuses if status in (401, 403)}
    assert not refused, f"a key with every scope was refused by {sorted(refused)}"
    succeeded = {label for (label, status) in served.statuses if 200 <= status < 300}
    labels = [operation.label for operation in operations[GenerationMode.POSITIVE]]
    reads = {label for label in labels if label.startswith("GET ")}
    assert reads <= succeeded, f"reads that never answered 2xx: {sorted(reads - succeeded)}"
    assert len(succeeded) >= 0.75 * len(labels), f"only {len(succeeded)} operations answered 2xx"
    by_status: Counter[int] = Counter()
    for (_, status), count in served.statuses.items():
        by_status[status] += count
    print(f"{by_status.total()} requests to {len(labels)} operations; by status: {dict(sorted(by_status.items()))}")
