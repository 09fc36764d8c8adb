"""What the generator and the runner share: the database URL, a fixed app configuration, the bench marker."""

from __future__ import annotations

import math
import os
import socket
import tempfile
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask import Flask
from sqlalchemy import create_engine, text

from plugin import create_app

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/brobygger_bench"
REDIS_URL = "redis://127.0.0.1:6379/13"
TENANT_NAME = "Brobygger bench tenant"
RECRUITER_EMAIL = "bench.recruiter@bench.example"
# Fixed keys, so the runner can decrypt the sidebar secret the generator's tenant was created with.
SECRET_KEY = "bench-secret-key-not-for-production"
ENCRYPTION_KEY = "uKQwH3y0GgqSg9U0Q8yJr0Vv8n1q7s3bJ9z2P4m6x1A="


def p95(samples: list[float]) -> float:
    """The value 95 % of samples do not exceed (nearest rank)."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def database_url() -> str:
    return os.environ.get("BROBYGGER_BENCH_DATABASE_URL") or DEFAULT_URL


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def admin_engine(url: str) -> Any:
    return create_engine(with_database(url.replace("postgresql://", "postgresql+psycopg://", 1), "postgres"),
                         isolation_level="AUTOCOMMIT")


def ensure_database(url: str, *, drop: bool = False) -> bool:
    """Create the bench database when missing (dropping it first with `drop`); True when it was created."""
    name = database_name(url)
    admin = admin_engine(url)
    try:
        with admin.connect() as conn:
            if drop:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
                return False
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            return True
    finally:
        admin.dispose()


def make_app(url: str) -> Flask:
    return create_app({
        "INSTANCE_PATH": os.path.join(tempfile.gettempdir(), "brobygger-bench-instance"),
        "BROBYGGER_DATABASE_URL": url,
        "BROBYGGER_REDIS_URL": REDIS_URL,
        "BROBYGGER_SECRET_KEY": SECRET_KEY,
        "BROBYGGER_ENCRYPTION_KEYS": ENCRYPTION_KEY,
        "BROBYGGER_BASE_URL": "http://brobygger.bench",
    })


MARKER_DDL = "CREATE TABLE IF NOT EXISTS bench_marker (key text PRIMARY KEY, value jsonb NOT NULL)"


def read_marker(conn: Any) -> dict[str, Any] | None:
    """The finished generation's facts (tenant id, recruiter id, sidebar person id, scale, build time), or None."""
    conn.execute(text(MARKER_DDL))
    row = conn.execute(text("SELECT value FROM bench_marker WHERE key = 'tenant'")).first()
    return row[0] if row else None
