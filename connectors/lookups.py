"""Reference lists a connector reads by id (jobs, stages, sources, users…): read once per connector, read again
at most once when a record names an id the list does not hold (created after the first read), and, for lists
without personal data, kept in the caller's LookupCache so the next connector starts from them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from connectors.base import LookupCache


class Lookup:
    def __init__(self, load: Callable[[], list[dict[str, Any]]], *, cache: LookupCache | None = None,
                 name: str = "") -> None:
        """`load` returns the list's rows, each with an "id"; with `cache` and `name` the rows are shared."""
        self._load = load
        self._cache = cache if name else None
        self._name = name
        self._rows: dict[Any, dict[str, Any]] | None = None
        self._reloaded = False

    def get(self, key: Any) -> dict[str, Any] | None:
        if isinstance(key, bool) or not isinstance(key, int | str) or key == "":
            return None  # no id, or not an id at all: nothing to look up, nothing to reload for
        if self._rows is None:
            self._rows = self._cached()
        if self._rows is None or (key not in self._rows and not self._reloaded):
            self._reloaded = self._rows is not None
            self._rows = self._read()
        return self._rows.get(key)

    def _cached(self) -> dict[Any, dict[str, Any]] | None:
        raw = self._cache.get(self._name) if self._cache is not None else None
        if raw is None:
            return None
        try:
            rows = json.loads(raw)
        except ValueError:
            return None
        return _by_id(rows) if isinstance(rows, list) else None

    def _read(self) -> dict[Any, dict[str, Any]]:
        rows = [row for row in self._load() if isinstance(row, dict) and row.get("id") is not None]
        if self._cache is not None:
            self._cache.set(self._name, json.dumps(rows, separators=(",", ":")).encode())
        return _by_id(rows)


def _by_id(rows: list[Any]) -> dict[Any, dict[str, Any]]:
    return {row["id"]: row for row in rows if isinstance(row, dict) and row.get("id") is not None}
