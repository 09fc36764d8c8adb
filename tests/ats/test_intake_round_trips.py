"""What an accepted webhook delivery costs, counted on the wire: at most two PostgreSQL round trips (the pool's
liveness ping and the one INSERT) and one Redis round trip (the rate-limit count with the job), so a change that
adds a round trip to intake fails here rather than in a benchmark months later."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from redis.connection import AbstractConnection
from sqlalchemy import event, func, select

from connectors.simulators.greenhouse import webhook_delivery as greenhouse_delivery
from plugin.extension import get_state
from plugin.models import WebhookDelivery
from tests.ats_support import connect_greenhouse, work


@contextmanager
def database_round_trips(app: Flask, folder: Path) -> Iterator[list[int]]:
    """Round trips to the database while the block runs: on PostgreSQL each ReadyForQuery libpq's trace shows (the
    server's answer that ends every exchange); SQLite has no wire, so there each statement counts as one."""
    engine, counted = get_state(app).engine, [0]
    if engine.dialect.name != "postgresql":
        def statement(*_args: Any) -> None:
            counted[0] += 1
        event.listen(engine, "before_cursor_execute", statement)
        try:
            yield counted
        finally:
            event.remove(engine, "before_cursor_execute", statement)
        return
    trace = (folder / "libpq.trace").open("w")
    import psycopg

    def on_checkout(dbapi_connection: Any, *_args: Any) -> None:
        dbapi_connection.pgconn.trace(trace.fileno())
        dbapi_connection.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)

    # The pool's ping runs before "checkout" fires: trace every pooled connection from the start instead.
    with engine.connect() as warm:
        warm.exec_driver_sql("SELECT 1")
    for record in list(engine.pool._pool.queue):  # type: ignore[attr-defined]
        on_checkout(record.dbapi_connection)
    event.listen(engine, "checkout", on_checkout)
    try:
        yield counted
    finally:
        event.remove(engine, "checkout", on_checkout)
        for record in list(engine.pool._pool.queue):  # type: ignore[attr-defined]
            record.dbapi_connection.pgconn.untrace()
        trace.close()
        lines = (folder / "libpq.trace").read_text().splitlines()
        counted[0] = sum(1 for line in lines if line.startswith("B") and "\tReadyForQuery" in line)


@contextmanager
def redis_round_trips(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Writes to any Redis connection while the block runs: a command or a whole pipeline is one write, and each
    write waits for its answers."""
    counted, send = [0], AbstractConnection.send_packed_command

    def counting(self: AbstractConnection, command: Any, check_health: bool = True) -> None:
        counted[0] += 1
        send(self, command, check_health)

    with monkeypatch.context() as patch:
        patch.setattr(AbstractConnection, "send_packed_command", counting)
        yield counted


def test_an_accepted_delivery_costs_one_statement_and_one_redis_round_trip(
        app: Flask, client: Any, tenant: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with connect_greenhouse(app, tenant.id) as connected:
        candidates = connected.data.candidates

        def deliver(index: int) -> str:
            body, headers = greenhouse_delivery("whsec", "reject_candidate", candidates[index])
            return client.post(connected.webhook_url, data=body, headers=headers).json["status"]

        assert deliver(0) == "accepted"  # the first reads the installation (and asks Redis its version) once
        with database_round_trips(app, tmp_path) as database, redis_round_trips(monkeypatch) as redis:
            assert deliver(1) == "accepted"
        postgres = get_state(app).engine.dialect.name == "postgresql"
        assert database[0] == (2 if postgres else 1), database  # PostgreSQL: the pool's ping, then the INSERT
        assert redis[0] == 1
        with database_round_trips(app, tmp_path) as database, redis_round_trips(monkeypatch) as redis:
            body, headers = greenhouse_delivery("whsec", "reject_candidate", candidates[1])
            headers["Signature"] = "sha256 " + "0" * 64
            assert client.post(connected.webhook_url, data=body, headers=headers).status_code == 401
        assert redis[0] == 1  # a refusal is counted against its source all the same

        work(app)
        with get_state(app).sessions() as session:
            done = session.scalar(select(func.count()).select_from(WebhookDelivery)
                                  .where(WebhookDelivery.processed_at.isnot(None)))
        assert done == 2  # both deliveries were durable and their jobs ran
