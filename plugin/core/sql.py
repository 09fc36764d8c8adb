"""SQL that reads the same on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class epoch_days(FunctionElement[float]):  # named as the SQL function it is
    """Days since 1970 of a stored UTC time, as a float: lets intervals held in columns (a cadence's
    `max_days`) and decays over days be computed in SQL on both databases."""

    type = Float()
    name = "brobygger_epoch_days"
    inherit_cache = True


@compiles(epoch_days)
def _epoch_days_postgresql(element: epoch_days, compiler: SQLCompiler, **kw: Any) -> str:
    # EXTRACT gives numeric on PostgreSQL 14 and later: cast, so the result is the float the type promises
    return f"(CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS DOUBLE PRECISION) / 86400.0)"


@compiles(epoch_days, "sqlite")
def _epoch_days_sqlite(element: epoch_days, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(julianday({compiler.process(element.clauses, **kw)}) - 2440587.5)"
