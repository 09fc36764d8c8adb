"""Migrations run up and down on the suite's database kind (SQLite, or PostgreSQL when configured)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from plugin import migrate
from plugin.db import make_engine
from plugin.models import Base
from plugin.models.people import Person
from tests.migration_support import old_tenant


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


def test_folding_the_search_keys_rekeys_the_people_already_stored(fresh_database: Any) -> None:
    """0008 rewrites keys that were only lower-cased, so `odeg` finds an Ødegård stored before it."""
    engine = make_engine(fresh_database("migrations_fold"))
    try:
        migrate.upgrade(engine, "0007")
        with Session(engine) as session, session.begin():
            tenant_id = old_tenant(session)
            session.add(Person(tenant_id=tenant_id, first_name="Åse", last_name="Ødegård", employer="Bjørnstad AS"))
        with engine.begin() as conn:  # the keys as the revisions before 0008 wrote them
            conn.execute(text("UPDATE people SET name_key = 'åse ødegård', last_name_key = 'ødegård', "
                              "employer_key = 'bjørnstad as'"))

        migrate.upgrade(engine)
        with engine.connect() as conn:
            keys = conn.execute(text("SELECT name_key, last_name_key, employer_key FROM people")).one()
        assert tuple(keys) == ("aase odegaard", "odegaard", "bjornstad as")

        migrate.downgrade(engine, "0007")
        with engine.connect() as conn:
            keys = conn.execute(text("SELECT name_key, last_name_key, employer_key FROM people")).one()
        assert tuple(keys) == ("åse ødegård", "ødegård", "bjørnstad as")
    finally:
        engine.dispose()
