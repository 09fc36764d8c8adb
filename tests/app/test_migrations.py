"""Migrations run up and down on the suite's database kind (SQLite, or PostgreSQL when configured)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from plugin import migrate
from plugin.db import make_engine
from plugin.models import Base


def test_up_down_up_and_models_match(fresh_database: Any) -> None:
    engine = make_engine(fresh_database("migrations"))
    try:
        migrate.upgrade(engine)
        assert migrate.current(engine) == migrate.head()
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"

        migrate.downgrade(engine, "base")
        assert migrate.current(engine) is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

        migrate.upgrade(engine)
        assert migrate.current(engine) == migrate.head()
    finally:
        engine.dispose()


def test_cli_upgrade_reports_the_revision(runner: Any) -> None:
    result = runner.invoke(args=["brobygger", "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert migrate.head() in result.output
    assert runner.invoke(args=["brobygger", "db", "current"]).output.strip() == migrate.head()
