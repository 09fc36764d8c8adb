"""Where an erased person could still be found: every text and JSON column of every table (read from the
models' metadata, so a new table or column is searched without a change here), every Redis key and value,
the log lines a test captured, and the files of the outbox. Each returns where a needle still occurs."""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import logging
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import Flask
from redis import Redis
from sqlalchemy import JSON, String, select

from plugin.extension import get_state
from plugin.models import Base


def _as_text(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)  # as written, not \u-escaped
    return "" if value is None else str(value)


def _found(where: str, text: str, needles: list[str]) -> list[str]:
    folded = text.casefold()
    return [f"{where}: {needle}" for needle in needles if needle.casefold() in folded]


def database_hits(app: Flask, needles: list[str]) -> list[str]:
    hits = []
    with get_state(app).engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | JSON)]
            if not columns:
                continue
            for row in conn.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    hits += _found(f"{table.name}.{column.name}", _as_text(value), needles)
    return hits


def _redis_values(redis: Redis) -> Iterator[tuple[bytes, bytes]]:
    """Every key and value in the Redis database; RQ's compressed job payloads decompressed."""
    for key in redis.scan_iter(count=1000):
        kind = redis.type(key)
        if kind == b"string":
            values = [redis.get(key) or b""]
        elif kind == b"hash":
            values = [field + b" " + value for field, value in redis.hgetall(key).items()]
        elif kind == b"list":
            values = redis.lrange(key, 0, -1)
        elif kind == b"set":
            values = list(redis.smembers(key))
        elif kind == b"zset":
            values = redis.zrange(key, 0, -1)
        elif kind == b"stream":
            values = [repr(entry).encode() for entry in redis.xrange(key)]
        else:
            values = [kind]
        for value in values:
            with contextlib.suppress(zlib.error):
                value = zlib.decompress(value)
            yield key, value


def redis_hits(redis: Redis, needles: list[str]) -> list[str]:
    found = []
    for key, value in _redis_values(redis):
        found += _found(repr(key), (key + b" " + value).decode("utf-8", "replace"), needles)
    return found


def outbox_hits(outbox: Path, needles: list[str]) -> list[str]:
    """Every file, as stored and as a mail reader shows it (headers decoded, bodies out of base64 or
    quoted-printable)."""
    found = []
    for path in sorted(outbox.rglob("*")) if outbox.is_dir() else []:
        if not path.is_file():
            continue
        raw = path.read_bytes()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        shown = [f"{name}: {value}" for name, value in message.items()]
        shown += [part.get_content() for part in message.walk() if part.get_content_maintype() == "text"]
        found += _found(path.name, raw.decode("utf-8", "replace") + "\n".join(shown), needles)
    return found


class Captured(logging.Handler):
    """Every record at every level, formatted with its traceback: what a log file would hold. (Its own
    handler rather than `caplog`, so the tests also run under `-p no:logging`.)"""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def hits(self, needles: list[str]) -> list[str]:
        return _found("log", self.text, needles)
