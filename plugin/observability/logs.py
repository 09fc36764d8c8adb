"""One redaction filter for every log record, and the two formats: one JSON event per line in production,
text for a person in development.

The filter sits on the one handler `configure` puts on the root logger, so whatever logs (our code, Flask,
gunicorn, RQ, a library) passes through it. Wherever it appears in a message, its arguments, an `extra`
string or a traceback, it redacts:
* the credential segment of each token-bearing route, learnt from the app's URL rules (a route argument
  named `token` or `*_token`, as `plugin.headers` treats them), never guessed from the text;
* credential query parameters (`?jwt=`, `?token=`, `access_token=`, `client_secret=`, …), Bearer
  credentials and e-mail addresses;
* the personal fields a caller passes as `extra` (`PERSONAL_FIELDS`).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import IO, Any

from plugin.config import PREFIX
from plugin.observability import context

REDACTED = "[redacted]"
EMAIL_MASK = "[email]"
FORMATS = ("auto", "json", "text")
HANDLER_NAME = "brobygger"
# The personal data a log call may carry as `extra`; services log ids, and these never leave as written.
PERSONAL_FIELDS = frozenset({"email", "first_name", "last_name", "full_name", "person_name", "phone", "to",
                             "recipient"})
_SEGMENT = r"[^/\s?#\"'<>]+"
_ARGUMENT = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")
_QUERY = re.compile(r"([?&](?:jwt|token|[A-Za-z]+_token|[A-Za-z_]*secret|password|api_key)=)[^&\s#\"']+")
_BEARER = re.compile(r"(Bearer\s+)[^\s\"',]+", re.IGNORECASE)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "request_id", "rid"}
_routes: dict[str, re.Pattern[str]] = {}


def is_secret_argument(name: str) -> bool:
    return name == "token" or name.endswith("_token")


def register_routes(rules: Iterable[str]) -> None:
    """Learn the token-bearing routes from URL rules such as `/login/<token>` or `/calendar/<token>.ics`: each
    becomes a pattern that keeps the text around the credential segments and captures what precedes each."""
    for rule in rules:
        if rule in _routes:
            continue
        pieces, pending, last = [], "", 0
        for match in _ARGUMENT.finditer(rule):
            static = re.escape(rule[last:match.start()])
            if is_secret_argument(match.group(1)):
                pieces.append(f"({pending}{static}){_SEGMENT}")
                pending = ""
            else:
                pending += static + _SEGMENT
            last = match.end()
        if pieces:
            _routes[rule] = re.compile("".join(pieces))


def _mask(match: re.Match[str]) -> str:
    return "".join(kept + REDACTED for kept in match.groups())


def redact(text: str) -> str:
    for pattern in _routes.values():
        text = pattern.sub(_mask, text)
    text = _QUERY.sub(r"\1" + REDACTED, text)
    text = _BEARER.sub(r"\1" + REDACTED, text)
    return _EMAIL.sub(EMAIL_MASK, text)


class RedactionFilter(logging.Filter):
    """Rewrites the record in place (so every formatter sees the redacted text) and stamps the request id."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the format: keep the format, never raise into the caller
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key, value in vars(record).items():
            if key in PERSONAL_FIELDS:
                setattr(record, key, REDACTED)
            elif key not in _STANDARD and isinstance(value, str):
                setattr(record, key, redact(value))
        if getattr(record, "request_id", None) is None:
            record.request_id = context.current()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, the record's extras, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        if getattr(record, "request_id", None):
            event["request_id"] = record.request_id
        event.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            event["exc"] = record.exc_text
        if record.stack_info:
            event["stack"] = record.stack_info
        return json.dumps(event, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(rid)s %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        record.rid = f" [{request_id}]" if request_id else ""
        return super().formatMessage(record)


def log_format(settings: Mapping[str, Any]) -> str:
    """`LOG_FORMAT`, with `auto` meaning JSON in production and text in development and the demo."""
    chosen = settings[PREFIX + "LOG_FORMAT"]
    if chosen != "auto":
        return chosen
    production = settings[PREFIX + "ENV"] == "production" and not settings[PREFIX + "DEMO"]
    return "json" if production else "text"


def configure(fmt: str, *, level: int | str = logging.INFO, stream: IO[str] | None = None) -> logging.Handler:
    """Put the one handler on the root logger (replacing ours from an earlier call); returns it."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.name == HANDLER_NAME]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.name = HANDLER_NAME
    handler.addFilter(RedactionFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    return handler
