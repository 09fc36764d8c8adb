"""Domain errors raised by services, and the one JSON error envelope of `/api/*` and `/webhooks/*`.

Envelope: {"code": 422, "status": "Unprocessable Entity", "message": "...", "errors": {field: [msgs]}}.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, jsonify
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, errors: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = dict(errors or {})


class NotFoundError(DomainError):
    """Also what another tenant's id gets: its existence is never revealed."""

    status = 404


class UnauthorizedError(DomainError):
    status = 401


class ConflictError(DomainError):
    status = 409


class InvalidError(DomainError):
    status = 422


def flatten(messages: Any, path: str = "") -> dict[str, list[str]]:
    """Turn marshmallow/webargs nested messages ({"json": {"a": {"0": ["x"]}}}) into {"a.0": ["x"]}."""
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {path or "_schema": messages}
    if isinstance(messages, Mapping):
        out: dict[str, list[str]] = {}
        for key, value in messages.items():
            # webargs nests by location first; the location is not part of the field's name
            child = "" if not path and key in {"json", "query", "form", "headers", "view_args"} else key
            name = ".".join(p for p in (path, str(child)) if p)
            for field, msgs in flatten(value, name).items():
                out.setdefault(field, []).extend(msgs)
        return out
    return {path or "_schema": [str(messages)]}


def envelope(status: int, message: str, errors: Mapping[str, list[str]] | None = None,
             headers: Mapping[str, str] | None = None) -> Response:
    response = jsonify({
        "code": status,
        "status": HTTP_STATUS_CODES.get(status, "Error"),
        "message": message,
        "errors": dict(errors or {}),
    })
    response.status_code = status
    response.headers.update(headers or {})
    return response


def http_envelope(exc: HTTPException) -> Response:
    data = getattr(exc, "data", None) or {}
    errors = flatten(data["messages"]) if "messages" in data else data.get("errors", {})
    status = exc.code or 500
    if status == 422:
        message = "The request has invalid fields: " + ", ".join(sorted(errors)) + "."
    else:
        message = data.get("message") or exc.description or HTTP_STATUS_CODES.get(status, "Error")
    headers = dict(data.get("headers") or {})
    if status == 405 and exc.get_response().headers.get("Allow"):
        headers["Allow"] = exc.get_response().headers["Allow"]
    return envelope(status, message, errors, headers)
