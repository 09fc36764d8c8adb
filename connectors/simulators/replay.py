"""A server that answers each documented endpoint with its fixture, exactly as the vendor's document shows
it (connectors/fixtures/<vendor>): the connectors are tested against the vendor's shapes, not only against
the simulators. Query strings are ignored; a body may be swapped for a test (a documented field removed)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

from connectors.fixtures import Fixture


class Replay:
    def __init__(self, fixtures: Iterable[Fixture], overrides: dict[str, Any] | None = None) -> None:
        """`overrides` maps a fixture's name to the body served instead of its own."""
        self.routes: list[tuple[str, re.Pattern[str], Fixture]] = []
        for fixture in fixtures:
            if fixture.is_webhook:
                continue
            method, path = fixture.method_and_path
            pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "/?$")
            self.routes.append((method, pattern, fixture))
        self.overrides = overrides or {}
        self.requests: list[tuple[str, str]] = []

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        self.requests.append((request.method, request.path))
        return self._answer(request)(environ, start_response)

    def _answer(self, request: Request) -> Response:
        for method, pattern, fixture in self.routes:
            if method == request.method and pattern.match(request.path):
                body = self.overrides.get(fixture.name, fixture.body)
                return Response(json.dumps(body), status=200, headers=fixture.headers,
                                content_type="application/json")
        return Response(json.dumps({"error": f"no fixture for {request.method} {request.path}"}), status=404,
                        content_type="application/json")
