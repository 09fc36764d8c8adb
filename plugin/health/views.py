"""GET /healthz (the process answers), GET /readyz (everything the product needs is working) and GET /metrics
(Prometheus; only with `Authorization: Bearer <METRICS_TOKEN>`, and absent, a 404, while no token is set)."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST
from rq import Worker
from rq.cron import CronScheduler
from sqlalchemy import text

from plugin.errors import envelope
from plugin.extension import get_state
from plugin.health import metrics
from plugin.health.jobs import PULSE_KEY

bp = Blueprint("brobygger_health", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Any:
    checks: dict[str, Callable[[], str]] = {
        "database": _database, "redis": _redis, "worker": _worker, "cron": _cron, "pulse": _pulse}
    results = {}
    for name, check in checks.items():
        try:
            results[name] = {"ok": True, "detail": check()}
        except Exception as exc:  # a health check reports every failure, whatever its kind
            results[name] = {"ok": False, "detail": str(exc) or type(exc).__name__}
    ok = all(r["ok"] for r in results.values())
    response = jsonify({"status": "ok" if ok else "fail", "checks": results})
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/metrics")
def metrics_endpoint() -> Any:
    state = get_state()
    token = state.setting("METRICS_TOKEN")
    if not token:
        abort(404)  # never public: without a token the endpoint does not exist
    given = request.headers.get("Authorization", "").encode()
    if not hmac.compare_digest(given, f"Bearer {token}".encode()):
        return envelope(401, "Metrics need the bearer token of BROBYGGER_METRICS_TOKEN.",
                        headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    body = metrics.exposition(state.sessions, state.redis, state.setting("QUEUE_NAME"))
    return Response(body, content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def _max_age() -> int:
    return get_state().setting("HEALTH_MAX_AGE")


def _age(when: datetime | None) -> float:
    """Seconds since `when` (RQ hands back naive UTC datetimes)."""
    if when is None:
        return float("inf")
    return (datetime.now(UTC) - when.replace(tzinfo=when.tzinfo or UTC)).total_seconds()


def _database() -> str:
    with get_state().engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return get_state().engine.dialect.name


def _redis() -> str:
    get_state().redis.ping()
    return "ping answered"


def _worker() -> str:
    state = get_state()
    ages = [_age(w.last_heartbeat) for w in Worker.all(connection=state.redis)
            if state.setting("QUEUE_NAME") in w.queue_names()]
    fresh = [a for a in ages if a <= _max_age()]
    if not fresh:
        raise RuntimeError(f"no worker on the queue seen in the last {_max_age()} s ({len(ages)} registered)")
    return f"{len(fresh)} worker(s), last seen {min(fresh):.0f} s ago"


def _cron() -> str:
    ages = [_age(s.last_heartbeat) for s in CronScheduler.all(get_state().redis)]
    fresh = [a for a in ages if a <= _max_age()]
    if not fresh:
        raise RuntimeError(f"no cron scheduler seen in the last {_max_age()} s")
    return f"scheduler seen {min(fresh):.0f} s ago"


def _pulse() -> str:
    raw = get_state().redis.get(PULSE_KEY)
    if raw is None:
        raise RuntimeError("no pulse job has run yet: the cron tick or the worker is not working")
    age = time.time() - float(raw)
    if age > _max_age():
        raise RuntimeError(f"the last pulse job ran {age:.0f} s ago")
    return f"last pulse {age:.0f} s ago"
