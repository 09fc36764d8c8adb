"""Importing people from files: LinkedIn's "Connections" export, and any CSV with a column mapping.

Both readers turn a file into `SourceRow`s (field → raw cells, with the physical line the record starts
on); one writer, `import_rows`, validates each row, matches it against the tenant's people (LinkedIn URL
first, then e-mail) and writes everything in a single transaction. A bad row is reported and skipped;
anything else that goes wrong leaves nothing written.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from marshmallow import ValidationError, validate
from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from plugin.core import guards
from plugin.core.actors import Actor, audit
from plugin.core.lookup import check_owned
from plugin.errors import InvalidError, NotFoundError
from plugin.followups import cadences
from plugin.models import LawfulBasis, Origin, Person, PersonEmail, Recruiter, Touchpoint, TouchpointKind, utcnow, uuid7
from plugin.people.identity import linkedin_key, normalise_linkedin_url
from plugin.privacy import fingerprints, tasks

FIELDS = ("first_name", "last_name", "email", "linkedin_url", "employer", "title", "location", "phone", "tags")
REPEATABLE = frozenset({"email", "phone", "tags"})  # list fields: several columns may feed them
LINKEDIN_COLUMNS = (("First Name", "first_name"), ("Last Name", "last_name"), ("URL", "linkedin_url"),
                    ("Email Address", "email"), ("Company", "employer"), ("Position", "title"),
                    ("Connected On", "connected_on"))
LINKEDIN_SOURCE = "LinkedIn connections export"
CSV_SOURCE = "CSV import"
CONNECTED_SUMMARY = "Connected on LinkedIn"
IMPORT_ACTOR = Actor("system", "import", Origin.IMPORT)
CHUNK_SIZE = 1000  # rows per flush and per IN query
ERASED_ROW = fingerprints.ERASED

_TEXT_FIELDS = ("first_name", "last_name", "employer", "title", "location")
# Column lengths come from the model, so a row the database would refuse is a bad row instead.
_LENGTHS: dict[str, int] = {name: Person.__table__.c[name].type.length  # type: ignore[attr-defined]
                            for name in (*_TEXT_FIELDS, "linkedin_url")}
_EMAIL_LENGTH: int = PersonEmail.__table__.c.email.type.length  # type: ignore[attr-defined]
_MAX_EMAILS, _PHONE_LENGTH, _MAX_PHONES, _TAG_LENGTH, _MAX_TAGS = 10, 40, 10, 50, 50  # as schemas.PersonIn
_LABELS = {"first_name": "first name", "last_name": "last name", "employer": "employer", "title": "title",
           "location": "location", "linkedin_url": "LinkedIn URL"}
_MONTHS = {name: number for number, names in enumerate(
    ("jan january", "feb february", "mar march", "apr april", "may", "jun june", "jul july",
     "aug august", "sep sept september", "oct october", "nov november", "dec december"), start=1)
    for name in names.split()}
_DATE = re.compile(r"(\d{1,2}) ([A-Za-z]+)\.? (\d{4})")
_is_email = validate.Email()


class ImportFileError(InvalidError):
    """The file as a whole cannot be imported (not UTF-8, no header, a mapped column missing)."""


@dataclass(frozen=True)
class SourceRow:
    line: int  # the physical line the record starts on, as an editor numbers it
    values: dict[str, list[str]]  # field → raw cells of the columns mapped to it
    problem: str | None = None  # a defect of the record itself (wrong number of fields)


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    bad: list[BadRow] = field(default_factory=list)

    def summary(self) -> str:
        return f"created {self.created}, updated {self.updated}, skipped {self.skipped}, bad {len(self.bad)}"


# --- Reading files ----------------------------------------------------------------------------------------

def read_text(path: Path) -> str:
    """The file as text; UTF-8 with or without a BOM is what LinkedIn and Excel's "CSV UTF-8" write."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ImportFileError(f"{path.name} is not UTF-8 text (line {line}); save it as CSV UTF-8.") from None


def parse_mapping(items: Iterable[str]) -> list[tuple[str, str]]:
    """`COLUMN=FIELD` pairs, checked before the file is opened so a typo costs nothing."""
    pairs: list[tuple[str, str]] = []
    for item in items:
        column, sep, name = item.rpartition("=")
        column, name = column.strip(), name.strip()
        if not sep or not column:
            raise InvalidError(f"{item!r} is not COLUMN=FIELD.")
        if name not in FIELDS:
            raise InvalidError(f"{name!r} is not a field; use one of {', '.join(FIELDS)}.")
        if name not in REPEATABLE and any(name == other for _, other in pairs):
            raise InvalidError(f"{name} is mapped twice; only email, phone and tags may take several columns.")
        pairs.append((column, name))
    if not any(name == "first_name" for _, name in pairs):
        raise InvalidError("No column is mapped to first_name; every person needs one.")
    return pairs


def linkedin_rows(text: str) -> list[SourceRow]:
    """Rows of a LinkedIn Connections export; the header is found by its columns, whatever notes precede it."""
    wanted = {_key(column) for column, _ in LINKEDIN_COLUMNS}
    records = _records(text, ",")
    for header in records:
        if wanted <= {_key(cell) for cell in header.cells}:
            plan = _plan(header.cells, LINKEDIN_COLUMNS)
            return [_source_row(record, plan, len(header.cells)) for record in records]
    columns = ", ".join(column for column, _ in LINKEDIN_COLUMNS)
    raise ImportFileError(f"No LinkedIn Connections header row ({columns}) found in the file.")


def csv_rows(text: str, mapping: Sequence[tuple[str, str]], delimiter: str = ",") -> list[SourceRow]:
    """Rows of a CSV file whose first row is the header; a mapped column missing from it is an error."""
    records = _records(text, delimiter)
    header = next(records, None)
    if header is None:
        raise ImportFileError("The file is empty: no header row.")
    plan = _plan(header.cells, mapping)
    return [_source_row(record, plan, len(header.cells)) for record in records]


@dataclass(frozen=True)
class _Record:
    line: int
    cells: list[str]


def _records(text: str, delimiter: str) -> Iterator[_Record]:
    """Non-blank CSV records with the line each starts on (a quoted field may span several lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield _Record(start, cells)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ImportFileError(f"Line {start}: {exc}.") from None


def _key(column: str) -> str:
    return column.strip().casefold()


def _plan(header: list[str], mapping: Iterable[tuple[str, str]]) -> list[tuple[int, str]]:
    """(cell index, field) for each mapped column: an exact header match first, else one ignoring case."""
    exact = {cell.strip(): i for i, cell in reversed(list(enumerate(header)))}
    loose = {_key(cell): i for i, cell in reversed(list(enumerate(header)))}
    plan, missing = [], []
    for column, name in mapping:
        index = exact.get(column.strip(), loose.get(_key(column)))
        if index is None:
            missing.append(column)
        else:
            plan.append((index, name))
    if missing:
        # whitespace folded: a quoted header cell may hold line breaks, and the message is one line
        raise ImportFileError(f"The header has no column {', '.join(map(repr, missing))} "
                              f"(it has {', '.join(' '.join(cell.split()) for cell in header)}).")
    return plan


def _source_row(record: _Record, plan: list[tuple[int, str]], width: int) -> SourceRow:
    cells = record.cells
    problem = None
    if len(cells) < width or any(cell.strip() for cell in cells[width:]):
        problem = f"{len(cells)} fields where the header has {width} (an unquoted delimiter?)"
    values: dict[str, list[str]] = {}
    for index, name in plan:
        values.setdefault(name, []).append(cells[index] if index < len(cells) else "")
    return SourceRow(record.line, values, problem)


# --- Checking rows ----------------------------------------------------------------------------------------

class _Bad(Exception):
    """One row's problem; the row is reported and skipped, the import goes on."""


@dataclass(frozen=True)
class _Clean:
    line: int
    values: dict[str, Any]  # Person attribute → value, only for cells that had content
    emails: list[str]
    connected_at: datetime | None



def parse_connected_on(text: str) -> datetime:
    """LinkedIn's `26 Nov 2026` (English month names) as noon UTC, so the day survives any time zone."""
    match = _DATE.fullmatch(" ".join(text.split()))
    month = _MONTHS.get(match.group(2).lower()) if match else None
    if match is None or month is None:
        raise ValueError(text)
    return datetime(int(match.group(3)), month, int(match.group(1)), 12, tzinfo=UTC)


def _clean(row: SourceRow) -> _Clean:
    if row.problem:
        raise _Bad(row.problem)
    if any("\x00" in cell for cells in row.values.values() for cell in cells):
        raise _Bad("contains a NUL character")
    values = {name: _text(row, name) for name in _TEXT_FIELDS}
    if not values["first_name"]:
        raise _Bad("no first name" if values["last_name"] else "no first or last name")
    values["linkedin_url"] = _linkedin_url(_first(row, "linkedin_url"))
    values["phones"] = _phones(row.values.get("phone", []))
    values["tags"] = _tags(row.values.get("tags", []))
    return _Clean(row.line, {k: v for k, v in values.items() if v}, _emails(row.values.get("email", [])),
                  _connected_at(_first(row, "connected_on")))


def _first(row: SourceRow, name: str) -> str:
    """The first cell mapped to `name`, trimmed, stray line breaks and runs of spaces folded (a name of white
    space alone is no name, as on every path)."""
    return guards.squeeze(row.values.get(name, [""])[0])


def _text(row: SourceRow, name: str) -> str:
    value = _first(row, name)
    if len(value) > _LENGTHS[name]:
        raise _Bad(f"{_LABELS[name]} is longer than {_LENGTHS[name]} characters")
    return value


def _show(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:57] + "...")


def _linkedin_url(value: str) -> str | None:
    if not value:
        return None
    url = normalise_linkedin_url(value)
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. 'http://[': an unclosed IPv6 bracket
        raise _Bad(f"malformed LinkedIn URL {_show(value)}") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname or " " in url:
        raise _Bad(f"malformed LinkedIn URL {_show(value)}")
    if len(url) > _LENGTHS["linkedin_url"]:
        raise _Bad(f"LinkedIn URL is longer than {_LENGTHS['linkedin_url']} characters")
    return url


def _emails(cells: list[str]) -> list[str]:
    emails: list[str] = []
    for cell in cells:
        email = cell.strip().lower()
        if not email or email in emails:
            continue
        try:
            _is_email(email)
        except ValidationError:
            raise _Bad(f"malformed e-mail address {_show(cell.strip())}") from None
        if len(email) > _EMAIL_LENGTH:
            raise _Bad(f"e-mail address is longer than {_EMAIL_LENGTH} characters")
        emails.append(email)
    if len(emails) > _MAX_EMAILS:
        raise _Bad(f"more than {_MAX_EMAILS} e-mail addresses")
    return emails


def _phones(cells: list[str]) -> list[str]:
    phones = list(dict.fromkeys(" ".join(cell.split()) for cell in cells if cell.strip()))
    if any(len(phone) > _PHONE_LENGTH for phone in phones):
        raise _Bad(f"phone is longer than {_PHONE_LENGTH} characters")
    if len(phones) > _MAX_PHONES:
        raise _Bad(f"more than {_MAX_PHONES} phone numbers")
    return phones


def _tags(cells: list[str]) -> list[str]:
    tags = list(dict.fromkeys(tag.strip() for cell in cells for tag in cell.split(";") if tag.strip()))
    if any(len(tag) > _TAG_LENGTH for tag in tags):
        raise _Bad(f"a tag is longer than {_TAG_LENGTH} characters")
    if len(tags) > _MAX_TAGS:
        raise _Bad(f"more than {_MAX_TAGS} tags")
    return tags


def _connected_at(value: str) -> datetime | None:
    if not value:
        return None
    try:
        return parse_connected_on(value)
    except ValueError:
        raise _Bad(f"unreadable Connected On date {_show(value)} (expected e.g. 26 Nov 2026)") from None


# --- Writing ----------------------------------------------------------------------------------------------

def find_recruiter(session: Session, tenant_id: uuid.UUID, ref: str) -> Recruiter:
    """The tenant's active recruiter named by id or e-mail address, as a person at a terminal names one."""
    query = select(Recruiter).where(Recruiter.tenant_id == tenant_id)
    try:
        query = query.where(Recruiter.id == uuid.UUID(ref.strip()))
    except ValueError:
        query = query.where(Recruiter.email == ref.strip().lower())
    recruiter = session.scalars(query).first()
    if recruiter is None:
        raise NotFoundError(f"No recruiter {ref!r} in this tenant.")
    if not recruiter.active:
        raise InvalidError(f"Recruiter {ref!r} is inactive; new people need an active owner.")
    return recruiter


def import_rows(session: Session, tenant_id: uuid.UUID, owner_id: uuid.UUID, rows: Iterable[SourceRow], *,
                source: str, actor: Actor = IMPORT_ACTOR, dry_run: bool = False, chunk_size: int = CHUNK_SIZE,
                progress: Callable[[int], None] | None = None) -> ImportResult:
    """Write `rows` in one transaction: every good row lands, or on any error but a bad row, nothing does.

    A dry run does the same work, database included (so it meets the same refusals), then rolls back.
    """
    check_owned(session, Recruiter, tenant_id, owner_id, "owner_id")
    try:
        run = _Import(session, tenant_id, owner_id, source, actor)
        iterator = iter(rows)
        while chunk := list(islice(iterator, chunk_size)):
            run.add_chunk(chunk, progress)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    return run.result


class _Import:
    """The state of one import: the tenant's match keys, the people touched so far, and the counts."""

    def __init__(self, session: Session, tenant_id: uuid.UUID, owner_id: uuid.UUID, source: str,
                 actor: Actor) -> None:
        self.session, self.tenant_id, self.owner_id, self.source, self.actor = (
            session, tenant_id, owner_id, source, actor)
        self.now = utcnow()
        self.result = ImportResult()
        self.people: dict[uuid.UUID, Person] = {}
        self.created: list[Person] = []
        self.touches: dict[uuid.UUID, datetime] = {}  # this chunk's connections, for the cadence clocks
        self.connections: set[str] = set()  # external ids of connection touchpoints that exist
        self.by_url, self.by_email = self._load_keys()

    def _load_keys(self) -> tuple[dict[str, uuid.UUID], dict[str, uuid.UUID]]:
        """Every LinkedIn profile (its `linkedin_key`) and e-mail of the tenant → person, in two queries for
        the whole import.

        URLs are keyed here rather than in SQL because stored ones were typed in any spelling.
        """
        by_url: dict[str, uuid.UUID] = {}
        for person_id, url in self.session.execute(
                select(Person.id, Person.linkedin_url).where(Person.tenant_id == self.tenant_id,
                                                             Person.linkedin_url.is_not(None)).order_by(Person.id)):
            by_url.setdefault(linkedin_key(url), person_id)
        by_email = {email: person_id for email, person_id in self.session.execute(
            select(PersonEmail.email, PersonEmail.person_id).where(PersonEmail.tenant_id == self.tenant_id))}
        return by_url, by_email

    def add_chunk(self, rows: list[SourceRow], progress: Callable[[int], None] | None = None) -> None:
        """Check, match and write a chunk; `progress` hears of every row done."""
        cleaned = []
        for row in rows:
            try:
                cleaned.append(_clean(row))
            except _Bad as bad:
                self.result.bad.append(BadRow(row.line, str(bad)))
                if progress:
                    progress(1)
        cleaned = self._not_erased(cleaned, progress)
        self._prefetch(cleaned)
        created_before = len(self.created)
        for row in cleaned:
            self._add(row)
            if progress:
                progress(1)
        self.session.flush()
        tasks.on_created(self.session, self.tenant_id, self.created[created_before:])  # art. 14 notice tasks
        cadences.touched(self.session, self.tenant_id, self.touches)  # any touch resets the clock
        self.touches = {}

    def _not_erased(self, rows: list[_Clean], progress: Callable[[int], None] | None) -> list[_Clean]:
        """Rows naming an erased person's e-mail or LinkedIn URL are bad rows: never re-imported silently."""
        hits = fingerprints.blocked(self.session, self.tenant_id, [e for row in rows for e in row.emails],
                                    [row.values.get("linkedin_url") for row in rows])
        if not hits:
            return rows
        kept = []
        for row in rows:
            if ("linkedin", row.values.get("linkedin_url")) in hits or any(("email", e) in hits for e in row.emails):
                self.result.bad.append(BadRow(row.line, ERASED_ROW))
                if progress:
                    progress(1)
            else:
                kept.append(row)
        self.result.bad.sort(key=lambda bad: bad.line)
        return kept

    def _candidates(self, row: _Clean) -> list[uuid.UUID]:
        """The people a row may be, best first: by LinkedIn URL, then by each e-mail address."""
        url = row.values.get("linkedin_url")
        found = [self.by_url.get(linkedin_key(url)) if url else None,
                 *(self.by_email.get(email) for email in row.emails)]
        return [person_id for person_id in found if person_id is not None]

    def _prefetch(self, rows: list[_Clean]) -> None:
        """Load the chunk's existing people and their connection touchpoints: IN queries, not N+1."""
        ids = {person_id for row in rows for person_id in self._candidates(row) if person_id not in self.people}
        if not ids:
            return
        tenant = self.tenant_id
        query = select(Person).where(Person.tenant_id == tenant, Person.id.in_(ids))
        for person in self.session.scalars(query.options(lazyload(Person.ats_links))):  # never read here
            self.people[person.id] = person
        if not any(row.connected_at for row in rows):
            return
        external_ids = [self._connection_id(person_id) for person_id in ids]
        self.connections.update(self.session.scalars(select(Touchpoint.external_id).where(
            Touchpoint.tenant_id == tenant, Touchpoint.external_id.in_(external_ids))))

    def _add(self, row: _Clean) -> None:
        person = next((self.people[i] for i in self._candidates(row) if i in self.people), None)
        if person is None:
            person = self._create(row)
            self._connect(person, row.connected_at)
            self.result.created += 1
            return
        changed = self._fill(person, row)
        connected = self._connect(person, row.connected_at)
        if changed:
            audit(self.session, self.tenant_id, self.actor, "update", "person", person.id, changed)
        if changed or connected:
            self.result.updated += 1
        else:
            self.result.skipped += 1

    def _create(self, row: _Clean) -> Person:
        person = Person(id=uuid7(), tenant_id=self.tenant_id, owner_id=self.owner_id, data_source=self.source,
                        collected_at=self.now, lawful_basis=LawfulBasis.LEGITIMATE_INTEREST, **row.values)
        emails = self._unclaimed(row.emails)
        person.emails = [PersonEmail(tenant_id=self.tenant_id, email=email, position=position)
                         for position, email in enumerate(emails)]
        self.session.add(person)
        self.people[person.id] = person
        self.created.append(person)
        self._claim(person, emails)
        fields = [*row.values, *(["emails"] if emails else []), "owner_id", "data_source", "collected_at",
                  "lawful_basis"]
        audit(self.session, self.tenant_id, self.actor, "create", "person", person.id, fields)
        return person

    def _fill(self, person: Person, row: _Clean) -> list[str]:
        """Fill what is empty, never overwrite what a recruiter typed; e-mails are added, as they identify."""
        changed = [name for name, value in row.values.items() if not getattr(person, name)]
        for name in changed:
            setattr(person, name, row.values[name])
        emails = self._unclaimed(row.emails)[:max(0, _MAX_EMAILS - len(person.emails))]
        for email in emails:
            person.emails.append(PersonEmail(tenant_id=self.tenant_id, email=email, position=len(person.emails)))
        self._claim(person, emails)
        return changed + (["emails"] if emails else [])

    def _unclaimed(self, emails: list[str]) -> list[str]:
        """Addresses no person of the tenant has yet: taking one from another person is not ours to do."""
        return [email for email in emails if email not in self.by_email]

    def _claim(self, person: Person, emails: list[str]) -> None:
        """Make later rows of this import find `person` by its URL and new addresses."""
        if person.linkedin_url:
            self.by_url.setdefault(linkedin_key(person.linkedin_url), person.id)
        for email in emails:
            self.by_email[email] = person.id

    def _connection_id(self, person_id: uuid.UUID) -> str:
        """One connection per recruiter and person, so a re-import finds the touchpoint it made before."""
        return f"linkedin-connection:{self.owner_id}:{person_id}"

    def _connect(self, person: Person, at: datetime | None) -> bool:
        """Record the LinkedIn connection as a touchpoint, unless it is recorded already."""
        external_id = self._connection_id(person.id)
        if at is None or external_id in self.connections:
            return False
        self.connections.add(external_id)
        touchpoint = Touchpoint(id=uuid7(), tenant_id=self.tenant_id, person_id=person.id,
                                recruiter_id=self.owner_id, kind=TouchpointKind.MESSAGE, occurred_at=at,
                                summary=CONNECTED_SUMMARY, origin=self.actor.surface, external_id=external_id)
        self.session.add(touchpoint)
        self.touches[person.id] = max(at, self.touches.get(person.id, at))
        audit(self.session, self.tenant_id, self.actor, "create", "touchpoint", touchpoint.id,
              ("kind", "occurred_at", "summary", "recruiter_id", "external_id"))
        return True
