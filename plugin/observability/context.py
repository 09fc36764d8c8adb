"""The request id: taken from an incoming X-Request-ID or made here, kept in a context variable so every log
line of the request carries it, and stored in the meta of each job the request enqueues so the job's lines
carry it too."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

HEADER = "X-Request-ID"
META_KEY = "request_id"  # in RQ's job.meta
# What a proxy or load balancer sends (a UUID, a hex trace id); anything else could forge log lines.
_VALID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_current: ContextVar[str | None] = ContextVar("brobygger_request_id", default=None)


def current() -> str | None:
    return _current.get()


def accept(value: str | None) -> str:
    """The caller's id when it is well-formed, else a fresh one."""
    return value if value and _VALID.fullmatch(value) else uuid.uuid4().hex


def bind(request_id: str) -> Token[str | None]:
    return _current.set(request_id)


def unbind(token: Token[str | None]) -> None:
    try:
        _current.reset(token)
    except ValueError:  # torn down in another context (a streamed response): that context ends with it
        _current.set(None)


@contextmanager
def bound(request_id: str) -> Iterator[None]:
    token = bind(request_id)
    try:
        yield
    finally:
        unbind(token)
