"""One real HTTP server per test module that hands each request to the app the current test puts in its switch
(a simulator, a Replay of the fixtures): stopping a server costs half a second, a fresh app nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.simulators.base import serve
from tests.connectors.switch import Switch


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Switch, str]]:
    switch = Switch()
    with serve(switch) as url:
        yield switch, url


@pytest.fixture(scope="module")
def replay_server(server: tuple[Switch, str]) -> tuple[Switch, str]:
    return server
