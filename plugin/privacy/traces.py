"""What still names an erased person outside their own record: their full name, e-mail addresses and
LinkedIn profile typed into other records' free text ("Tipset oss uoppfordret om Kari Nordmann") and
written into stored e-mails. Erasure replaces each mention with REDACTED and deletes the stored e-mails
that name them.

A name is only looked for as a whole (first and last name together, any case and spacing): a first name
alone cannot be told from another person's, and would take their names with it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Table, Text, func, or_, select, update
from sqlalchemy.orm import Session

from plugin.models import AtsApplication, Base, Person, Reference
from plugin.people.identity import LINKEDIN_HOST, linkedin_key

REDACTED = "[…]"
# Free text kept in short columns; every Text column of a tenant's tables is free text already.
_SHORT_FREE_TEXT = (Person.data_source, Reference.name, AtsApplication.source_name, AtsApplication.rejection_reason)


@dataclass(frozen=True)
class Traces:
    names: tuple[str, ...]  # full names, words separated by one space
    emails: tuple[str, ...]
    profiles: tuple[str, ...]  # LinkedIn keys (`linkedin_key`)

    @classmethod
    def of(cls, person: Person) -> Traces:
        """Read before the person is anonymised: what names them."""
        name = " ".join(person.full_name.split())
        whole = len(name.split()) > 1 and person.anonymised_at is None
        profile = linkedin_key(person.linkedin_url) if person.linkedin_url else ""
        return cls((name,) if whole else (), tuple(e.email for e in person.emails),
                   (profile,) if "/" in profile.rstrip("/") else ())

    def pattern(self) -> re.Pattern[str] | None:
        """One case-insensitive expression matching any mention, None when there is nothing to look for."""
        # A name may carry the genitive s ("Kari Nordmanns CV", "Nordmann's"): it goes with the name.
        parts = [r"(?<!\w)" + r"\s+".join(map(re.escape, name.split())) + r"(?:['\u2019]?s)?(?!\w)"
                 for name in self.names]
        parts += [r"(?<![\w.+-])" + re.escape(email) + r"(?!\.?[\w-])" for email in self.emails]
        parts += [_profile_pattern(profile) for profile in self.profiles]
        return re.compile("|".join(parts), re.IGNORECASE) if parts else None

    def likes(self) -> list[str]:
        """LIKE patterns for lower-cased text that every mention matches (and a few others: see `_loose`)."""
        pieces = [name.split() for name in self.names] + [[email] for email in self.emails]
        pieces += [[profile.partition("/")[2]] for profile in self.profiles]
        return ["%" + "%".join(_loose(word) for word in words) + "%" for words in pieces]

    def found_in(self, text: str) -> bool:
        pattern = self.pattern()
        return bool(pattern and pattern.search(text))


def _profile_pattern(profile: str) -> str:
    host, _, path = profile.partition("/")
    host_pattern = r"(?:[\w-]+\.)*linkedin\.com" if host == LINKEDIN_HOST else re.escape(host)
    return rf"(?:https?://)?{host_pattern}/{re.escape(path)}(?![\w%-])/?(?:[?#]\S*)?"


def _loose(text: str) -> str:
    """`text` for LIKE on lower(column): ASCII lower-cased and escaped, any other character a `_` wildcard,
    as SQLite's lower() leaves non-ASCII letters as they are (Ø stays Ø) while PostgreSQL's folds them."""
    out = []
    for char in text:
        if not char.isascii():
            out.append("_")
        elif char in "%_\\":
            out.append("\\" + char)
        else:
            out.append(char.lower())
    return "".join(out)


def free_text_columns() -> Iterator[tuple[Table, Column[Any]]]:
    """Every Text column of a tenant-owned table (not the encrypted secrets), and the short free-text ones."""
    short = {(column.class_.__table__.name, column.key) for column in _SHORT_FREE_TEXT}
    for table in Base.metadata.sorted_tables:
        if "tenant_id" not in table.c:
            continue
        for column in table.columns:
            if ((isinstance(column.type, Text) and not column.name.endswith("_encrypted"))
                    or (table.name, column.name) in short):
                yield table, column


def scrub(session: Session, tenant_id: uuid.UUID, traces: Traces) -> int:
    """Replace every mention in the tenant's free text; returns the number of values changed. In the
    caller's transaction. SQL narrows each column to the rows that may mention the person; the pattern
    decides."""
    pattern = traces.pattern()
    if pattern is None:
        return 0
    likes = traces.likes()
    changed = 0
    for table, column in free_text_columns():
        keys = list(table.primary_key.columns)
        rows = session.execute(select(*keys, column).where(
            table.c.tenant_id == tenant_id, or_(*(func.lower(column).like(like, escape="\\") for like in likes))))
        for row in rows.all():
            value = row[-1]
            cleaned = pattern.sub(REDACTED, value) if value else value
            if cleaned != value:
                values = {column.name: cleaned}
                if (table.name, column.name) == ("followups", "reason"):  # its template's parameters named them too
                    values.update(reason_key=None, reason_params=None)
                session.execute(update(table).where(*(key == row[i] for i, key in enumerate(keys))).values(values))
                changed += 1
    if traces.emails:  # a referrer known only by name and address is the person, by address
        session.execute(update(Reference).where(Reference.tenant_id == tenant_id, Reference.email.in_(traces.emails))
                        .values(email=None).execution_options(synchronize_session="fetch"))
    return changed
