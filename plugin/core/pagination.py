"""Keyset (cursor) pagination: stable under inserts and as fast on page 1,000 as on page 1."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, TypeDecorator, and_, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

from plugin.errors import InvalidError


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else str(v) for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, columns: list[InstrumentedAttribute[Any]]) -> list[Any]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(columns):
            raise ValueError
        return [_parse(value, column) for value, column in zip(raw, columns, strict=True)]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidError("The cursor is not one this API handed out.", {"cursor": ["Invalid cursor."]}) from None


def _parse(value: Any, column: InstrumentedAttribute[Any]) -> Any:
    if not isinstance(value, str):
        raise ValueError
    # A TypeDecorator (our UTCDateTime) reports `object`; its implementation knows the real type.
    column_type = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
    python_type = column_type.python_type
    if python_type is uuid.UUID:
        return uuid.UUID(value)
    if python_type is datetime:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError
        return parsed
    return value


def paginate(session: Session, query: Select[Any], order: list[InstrumentedAttribute[Any]],
             limit: int, cursor: str | None, descending: bool = False) -> Page:
    """Order by `order` (its last column unique) and return one page after `cursor`."""
    if cursor:
        values = decode_cursor(cursor, order)
        # (a, b, c) > (x, y, z) spelled out, since SQLite and PostgreSQL differ on row-value support
        clauses = []
        for i, column in enumerate(order):
            equal = [order[j] == values[j] for j in range(i)]
            clauses.append(and_(*equal, column < values[i] if descending else column > values[i]))
        query = query.where(or_(*clauses))
    ordering = [c.desc() for c in order] if descending else order
    rows = list(session.scalars(query.order_by(*ordering).limit(limit + 1)))
    if len(rows) <= limit:
        return Page(rows, None)
    last = rows[limit - 1]
    return Page(rows[:limit], encode_cursor([getattr(last, c.key) for c in order]))
