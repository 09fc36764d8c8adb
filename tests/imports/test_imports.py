"""Importing people from LinkedIn's Connections export and from any CSV: matching, bad rows, one transaction."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plugin.extension import get_state
from plugin.imports import importers
from plugin.models import AuditEvent, Origin, Person, Recruiter, Touchpoint
from tests.helpers import brobygger, child_env

DATA = Path(__file__).parent.parent / "data"
LINKEDIN = DATA / "linkedin_connections.csv"
BAD_ROWS = DATA / "linkedin_bad_rows.csv"
SEMICOLON = DATA / "people_semicolon.csv"
OWNER = "kari.rekrutterer@acme.no"
CSV_MAP = ["--map", "Fornavn=first_name", "--map", "Etternavn=last_name", "--map", "E-post=email",
           "--map", "Jobb-e-post=email", "--map", "Arbeidsgiver=employer", "--map", "Stilling=title",
           "--map", "Sted=location", "--map", "Telefon=phone", "--map", "Stikkord=tags",
           "--map", "LinkedIn=linkedin_url"]


@pytest.fixture
def owner(tenant: Any) -> uuid.UUID:
    return uuid.UUID(tenant.create("/recruiters", {"email": OWNER, "name": "Kari Rekrutterer"})["id"])


def _import(runner: Any, tenant: Any, kind: str, path: Path, *extra: str, owner: str = OWNER) -> Any:
    return runner.invoke(args=["brobygger", "import", kind, str(path), "--tenant", str(tenant.id), "--owner", owner,
                               *extra])


def _db(app: Flask) -> Session:
    """A fresh session per look, so it sees what the command committed."""
    return get_state(app).sessions()


def _people(app: Flask) -> dict[str, Person]:
    with _db(app) as session:
        return {p.first_name: p for p in session.scalars(select(Person))}


def _count(app: Flask, model: Any, *where: Any) -> int:
    with _db(app) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _linkedin_file(path: Path, rows: list[str]) -> Path:
    header = LINKEDIN.read_text(encoding="utf-8").split("First Name,")[0] + "First Name,Last Name,URL,Email Address,"
    path.write_text(header + "Company,Position,Connected On\n" + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def test_linkedin_export_creates_people_with_source_owner_and_connection(runner: Any, app: Flask, tenant: Any,
                                                                          owner: uuid.UUID) -> None:
    before = datetime.now(UTC)
    result = _import(runner, tenant, "linkedin", LINKEDIN, owner="Kari.Rekrutterer@Acme.no")
    assert result.exit_code == 0, result.output
    assert result.stdout == "created 6, updated 0, skipped 0, bad 0\n"
    assert result.stderr == ""

    people = _people(app)
    assert {(p.first_name, p.last_name) for p in people.values()} == {
        ("Kari", "Nordmann"), ("Bjørn", "Ødegård"), ("Åse", "Kjærvik"), ("Ståle", "Brå-Hætta"),
        ("Ingvild", "Sæther Løkken"), ("Øyvind", "Aas")}
    bjorn = people["Bjørn"]
    assert (bjorn.linkedin_url, bjorn.employer, bjorn.title, bjorn.email_addresses) == (
        "https://www.linkedin.com/in/bjorn-odegard-1a2b3c", "Aker Solutions ASA", "Head of Engineering, Subsea",
        ["bjorn.odegard@example.no"])
    assert people["Ståle"].title == 'Founder "Fjordlys", CTO'
    assert people["Ingvild"].email_addresses == ["ingvild@sæther.no"]
    assert people["Kari"].email_addresses == [] and people["Øyvind"].employer is None
    for person in people.values():
        assert person.owner_id == owner and person.tenant_id == tenant.id
        assert person.data_source == "LinkedIn connections export" and person.lawful_basis == "legitimate_interest"
        assert before - timedelta(seconds=1) <= person.collected_at <= datetime.now(UTC)

    with _db(app) as session:
        touchpoints = {t.person_id: t for t in session.scalars(select(Touchpoint))}
        events = list(session.scalars(select(AuditEvent)))
    assert len(touchpoints) == 6
    kari = touchpoints[people["Kari"].id]
    assert (kari.kind, kari.summary, kari.origin, kari.recruiter_id) == ("message", "Connected on LinkedIn",
                                                                         "import", owner)
    assert kari.occurred_at == datetime(2026, 11, 26, 12, tzinfo=UTC)
    assert touchpoints[people["Ståle"].id].occurred_at == datetime(2019, 9, 9, 12, tzinfo=UTC)

    imported = [e for e in events if e.surface == Origin.IMPORT]
    assert sorted((e.action, e.entity_type) for e in imported).count(("create", "person")) == 6
    kari_event = next(e for e in imported if e.entity_id == people["Kari"].id)
    assert kari_event.details == {"fields": sorted(["first_name", "last_name", "linkedin_url", "employer", "title",
                                                    "owner_id", "data_source", "collected_at", "lawful_basis"])}
    assert all("Kari" not in str(e.details) and "Equinor" not in str(e.details) for e in imported)


def test_utf8_bom_and_windows_line_ends_read_the_same(runner: Any, app: Flask, tenant: Any, owner: uuid.UUID,
                                                      tmp_path: Path) -> None:
    variant = tmp_path / "Connections.csv"
    variant.write_bytes(b"\xef\xbb\xbf" + LINKEDIN.read_bytes().replace(b"\n", b"\r\n"))
    result = _import(runner, tenant, "linkedin", variant)
    assert result.exit_code == 0, result.output
    assert result.stdout == "created 6, updated 0, skipped 0, bad 0\n"
    assert set(_people(app)) == {"Kari", "Bjørn", "Åse", "Ståle", "Ingvild", "Øyvind"}


def test_bad_rows_are_reported_by_physical_line_and_good_rows_import(runner: Any, app: Flask, tenant: Any,
                                                                     owner: uuid.UUID) -> None:
    result = _import(runner, tenant, "linkedin", BAD_ROWS)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "line 7: no first or last name",
        "line 8: unreadable Connected On date '31 Foo 2024' (expected e.g. 26 Nov 2026)",
        "line 9: malformed e-mail address 'siri.berg(at)example.no'",
        "line 10: employer is longer than 200 characters",
        "line 13: 8 fields where the header has 7 (an unquoted delimiter?)",
        "line 14: unreadable Connected On date '30 Feb 2020' (expected e.g. 26 Nov 2026)",
    ]
    assert result.stdout == "created 2, updated 0, skipped 0, bad 6\n"
    assert result.output.index("line 14:") < result.output.index("created 2")
    people = _people(app)
    assert set(people) == {"Ingrid", "Tone"}
    assert people["Ingrid"].title == "Head of Sales Nordics"  # a quoted field over two lines, folded


def test_reimport_creates_nothing_and_no_second_touchpoint(runner: Any, app: Flask, tenant: Any,
                                                           owner: uuid.UUID) -> None:
    assert _import(runner, tenant, "linkedin", LINKEDIN).stdout.startswith("created 6,")
    events = _count(app, AuditEvent)
    again = _import(runner, tenant, "linkedin", LINKEDIN)
    assert again.exit_code == 0, again.output
    assert again.stdout == "created 0, updated 0, skipped 6, bad 0\n"
    assert (_count(app, Person), _count(app, Touchpoint), _count(app, AuditEvent)) == (6, 6, events)


def test_matches_by_url_then_email_and_fills_only_empty_fields(runner: Any, app: Flask, tenant: Any,
                                                               owner: uuid.UUID) -> None:
    kari = tenant.create("/people", {"first_name": "Kari", "last_name": "Nordmann-Berg", "employer": "Statoil",
                                     "linkedin_url": "https://WWW.LinkedIn.com/in/kari-nordmann/?trk=people",
                                     "emails": ["kari@privat.no"]})
    bjorn = tenant.create("/people", {"first_name": "Bjørn", "emails": ["Bjorn.Odegard@example.no"]})
    ingvild = tenant.create("/people", {"first_name": "Ingvild", "last_name": "Løkken",
                                        "title": "Engineering Manager, Platform",
                                        "linkedin_url": "https://www.linkedin.com/in/ingvild-saether/",
                                        "emails": ["ingvild.lokken@kahoot.com"]})

    result = _import(runner, tenant, "linkedin", LINKEDIN)
    assert result.exit_code == 0, result.output
    assert result.stdout == "created 3, updated 3, skipped 0, bad 0\n"

    people = _people(app)
    assert len(people) == 6
    by_url = people["Kari"]  # typed values stay; only the empty title is filled
    assert (by_url.last_name, by_url.employer, by_url.title) == ("Nordmann-Berg", "Statoil", "Senior Data Engineer")
    assert by_url.linkedin_url == "https://WWW.LinkedIn.com/in/kari-nordmann/?trk=people"
    assert by_url.email_addresses == ["kari@privat.no"] and by_url.owner_id is None
    by_email = people["Bjørn"]
    assert (by_email.last_name, by_email.linkedin_url, by_email.employer, by_email.title) == (
        "Ødegård", "https://www.linkedin.com/in/bjorn-odegard-1a2b3c", "Aker Solutions ASA",
        "Head of Engineering, Subsea")
    different_email = people["Ingvild"]  # matched by URL; the new address is added, nothing overwritten
    assert different_email.email_addresses == ["ingvild.lokken@kahoot.com", "ingvild@sæther.no"]
    assert (different_email.last_name, different_email.title, different_email.employer) == (
        "Løkken", "Engineering Manager, Platform", "Kahoot!")

    with _db(app) as session:
        updates = {e.entity_id: e.details["fields"] for e in session.scalars(select(AuditEvent).where(
            AuditEvent.surface == Origin.IMPORT, AuditEvent.action == "update"))}
        connected = set(session.scalars(select(Touchpoint.person_id)))
    assert updates == {uuid.UUID(kari["id"]): ["title"],
                       uuid.UUID(bjorn["id"]): ["employer", "last_name", "linkedin_url", "title"],
                       uuid.UUID(ingvild["id"]): ["emails", "employer"]}
    assert connected == {p.id for p in people.values()}  # matched people get the connection too


def test_duplicate_rows_in_one_file_are_merged(runner: Any, app: Flask, tenant: Any, owner: uuid.UUID,
                                               tmp_path: Path) -> None:
    path = _linkedin_file(tmp_path / "dupes.csv", [
        "Kari,Nordmann,https://www.linkedin.com/in/kari-nordmann,,Equinor,Data Engineer,26 Nov 2026",
        "Kari,Nordmann,https://www.LINKEDIN.com/in/kari-nordmann/?miniProfileUrn=x,kari@equinor.com,,,26 Nov 2026",
        "Kari,Nordmann,https://www.linkedin.com/in/kari-nordmann/,kari@equinor.com,Equinor,Data Engineer,26 Nov 2026",
        "Bjørn,Ødegård,,bjorn@example.no,Aker,Engineer,14 Mar 2025",
        "Bjørn,Ødegård,,BJORN@example.no,Aker,Engineer,14 Mar 2025",
    ])
    result = _import(runner, tenant, "linkedin", path)
    assert result.exit_code == 0, result.output
    assert result.stdout == "created 2, updated 1, skipped 2, bad 0\n"  # one row, one verdict
    people = _people(app)
    assert people["Kari"].email_addresses == ["kari@equinor.com"]
    assert people["Kari"].linkedin_url == "https://www.linkedin.com/in/kari-nordmann"
    assert (_count(app, Person), _count(app, Touchpoint)) == (2, 2)


def test_failure_mid_import_leaves_nothing_written(app: Flask, session: Session, tenant: Any,
                                                   owner: uuid.UUID) -> None:
    """The owner is removed after validation, inside the import's transaction, once the first chunk has
    been written: the database itself then refuses the next chunk's people (foreign key)."""
    rows = importers.linkedin_rows(importers.read_text(LINKEDIN))
    written_before_failure: list[int] = []

    def rows_losing_their_owner() -> Iterator[importers.SourceRow]:
        for index, row in enumerate(rows):
            if index == 3:
                written_before_failure.append(session.scalar(select(func.count()).select_from(Person)) or 0)
                session.execute(delete(Recruiter).where(Recruiter.id == owner))
            yield row

    with pytest.raises(IntegrityError):
        importers.import_rows(session, tenant.id, owner, rows_losing_their_owner(), source=importers.LINKEDIN_SOURCE,
                            chunk_size=2)
    assert written_before_failure == [2]
    assert (_count(app, Person), _count(app, Touchpoint), _count(app, AuditEvent, AuditEvent.surface == "import"),
            _count(app, Recruiter)) == (0, 0, 0, 1)


def test_dry_run_reports_the_same_counts_and_writes_nothing(runner: Any, app: Flask, tenant: Any,
                                                            owner: uuid.UUID) -> None:
    tenant.create("/people", {"first_name": "Bjørn", "emails": ["bjorn.odegard@example.no"]})
    events = _count(app, AuditEvent)
    dry = _import(runner, tenant, "linkedin", LINKEDIN, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.stdout == "created 5, updated 1, skipped 0, bad 0\ndry run: nothing was written\n"
    assert (_count(app, Person), _count(app, Touchpoint), _count(app, AuditEvent)) == (1, 0, events)
    assert _people(app)["Bjørn"].linkedin_url is None
    real = _import(runner, tenant, "linkedin", LINKEDIN)
    assert real.stdout == "created 5, updated 1, skipped 0, bad 0\n"


def test_generic_csv_with_semicolons_and_a_mapping(runner: Any, app: Flask, tenant: Any, owner: uuid.UUID) -> None:
    result = _import(runner, tenant, "csv", SEMICOLON, *CSV_MAP, "--delimiter", ";", "--source",
                     "Oslo Tech Meetup 2026")
    assert result.exit_code == 0, result.output
    assert result.stderr == "line 4: malformed e-mail address 'lise@example'\n"
    assert result.stdout == "created 2, updated 0, skipped 0, bad 1\n"
    marte = _people(app)["Marte"]
    assert marte.email_addresses == ["marte@example.no", "marte.kirkerud@visma.no"]
    assert (marte.title, marte.location, marte.phones, marte.tags) == ("Utvikler; backend", "Oslo",
                                                                       ["+47 912 34 567"], ["java", "kotlin"])
    assert marte.linkedin_url == "https://linkedin.com/in/marte-kirkerud"
    assert (marte.data_source, marte.owner_id) == ("Oslo Tech Meetup 2026", owner)
    assert _people(app)["Jørgen"].last_name == "Ås"
    assert _count(app, Touchpoint) == 0  # a CSV has no connection date

    again = _import(runner, tenant, "csv", SEMICOLON, *CSV_MAP[:6], "--map", "Sted=location", "--delimiter", ";")
    assert again.stdout.startswith("created 1, updated 0, skipped 1,")  # Jørgen has no URL or e-mail to match


def test_wrong_mappings_fail_before_anything_is_read(runner: Any, app: Flask, tenant: Any, owner: uuid.UUID) -> None:
    unknown = _import(runner, tenant, "csv", SEMICOLON, "--map", "Fornavn=fornavn", "--delimiter", ";")
    assert unknown.exit_code == 2
    assert "Invalid value for '--map': 'fornavn' is not a field; use one of first_name" in unknown.output
    no_first = _import(runner, tenant, "csv", SEMICOLON, "--map", "E-post=email", "--delimiter", ";")
    assert no_first.exit_code == 2 and "No column is mapped to first_name" in no_first.output
    missing = _import(runner, tenant, "csv", SEMICOLON, "--map", "Fornavn=first_name", "--map", "Epost=email",
                      "--delimiter", ";")
    assert missing.exit_code == 1
    with pytest.raises(importers.ImportFileError, match=r"^The header has no column 'Epost' \(it has Fornavn, Etter"):
        importers.csv_rows(importers.read_text(SEMICOLON), [("Fornavn", "first_name"), ("Epost", "email")], ";")
    assert _count(app, Person) == 0
    for args in (["import", "--help"], ["import", "linkedin", "--help"], ["import", "csv", "--help"]):
        assert "Usage:" in runner.invoke(args=["brobygger", *args]).output


def test_failures_are_one_line_with_a_non_zero_exit(app: Flask, app_config: dict, tenant: Any, owner: uuid.UUID,
                                                    tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(LINKEDIN.read_text(encoding="utf-8").encode("cp1252"))
    base = ["--tenant", str(tenant.id), "--owner", OWNER]
    cases = [
        (["linkedin", str(LINKEDIN), "--tenant", str(tenant.id), "--owner", "nobody@acme.no"], {},
         "No recruiter 'nobody@acme.no' in this tenant."),
        (["linkedin", str(SEMICOLON), *base], {}, "No LinkedIn Connections header row"),
        (["linkedin", str(latin1), *base], {}, "latin1.csv is not UTF-8 text (line 6)"),
        (["csv", str(SEMICOLON), *base, "--map", "Navn=first_name"], {}, "The header has no column 'Navn'"),
        (["linkedin", str(LINKEDIN), *base],
         {"BROBYGGER_DATABASE_URL": f"sqlite:///{tmp_path / 'no-tables.db'}"},
         "import failed, nothing was written: OperationalError: no such table"),
    ]
    for args, env, expected in cases:
        result = subprocess.run(brobygger("import", *args), env=child_env(app_config, **env), capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 1, (args, result.stderr)
        assert result.stdout == "", args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (args, result.stderr)
        assert lines[0].startswith("brobygger: error: ") and expected in lines[0], (args, lines)
    assert _count(app, Person) == 0


def test_big_file_imports_quietly_and_matching_is_not_n_plus_one(runner: Any, app: Flask, tenant: Any,
                                                                 owner: uuid.UUID, tmp_path: Path) -> None:
    def rows(start: int, count: int) -> list[str]:
        return [f"Person{i},Ås,https://www.linkedin.com/in/person-{i},p{i}@example.no,Firma {i % 7},Utvikler,"
                f"{1 + i % 28} Mar 2024" for i in range(start, start + count)]

    big = _linkedin_file(tmp_path / "big.csv", rows(0, 600))
    result = _import(runner, tenant, "linkedin", big)
    assert result.exit_code == 0, result.output
    assert (result.stdout, result.stderr) == ("created 600, updated 0, skipped 0, bad 0\n", "")  # no bar off a TTY

    def statements(path: Path, count: int) -> int:
        """Statements sent to import a file of `count` people nobody has seen: matching and inserting."""
        seen: list[str] = []
        engine = get_state(app).engine

        def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE")):
                seen.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            with _db(app) as session:
                rows_read = importers.linkedin_rows(importers.read_text(path))
                outcome = importers.import_rows(session, tenant.id, owner, rows_read, source=importers.LINKEDIN_SOURCE)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert (outcome.created, outcome.updated, outcome.skipped) == (count, 0, 0)  # the insert path, every row
        return len(seen)

    small = statements(_linkedin_file(tmp_path / "small.csv", rows(1000, 20)), 20)
    assert small <= 16  # a fixed number of lookups and batched inserts, whatever the number of rows
    # 30 times the rows, a few statements more: lookups go in IN batches of 500, inserts in batches.
    more = statements(_linkedin_file(tmp_path / "more.csv", rows(2000, 600)), 600)
    assert more <= small + 8, (small, more)
