"""A WSGI app that hands each request to whichever app a test puts in it (see conftest.py's `server`)."""

from __future__ import annotations

from typing import Any


class Switch:
    app: Any = None

    def __call__(self, environ: dict, start_response: Any) -> Any:
        return self.app(environ, start_response)
