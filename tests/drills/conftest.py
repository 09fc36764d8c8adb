"""Fixtures of the drills: a real SMTP server for the app (the mail drills deliver to it) and a log file
for the worker processes a drill starts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.notify_helpers import Inbox, World, smtp_server


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    with smtp_server() as inbox:
        yield inbox


@pytest.fixture
def app_config(app_config: dict[str, Any], smtp: Inbox) -> dict[str, Any]:
    return {**app_config, "BROBYGGER_SMTP_URL": smtp.url}


@pytest.fixture
def world(session: Any, tenant: Any) -> World:
    return World(session, tenant.id)


@pytest.fixture
def worker_log(tmp_path: Path) -> Path:
    return tmp_path / "worker.log"
