"""people's search keys folded: Ø as o, Æ as ae, Å as aa, accents dropped (were lower-cased only)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BATCH = 1000
# The folding as of this revision (plugin/models/people.py's `fold`), kept here so the migration stays what it was.
_SPELLED_OUT = str.maketrans(
    {"ø": "o", "æ": "ae", "å": "aa", "ß": "ss", "đ": "d", "ð": "d", "þ": "th", "ł": "l", "œ": "oe"}
)


def _fold(text: str) -> str:
    spelled = text.casefold().translate(_SPELLED_OUT)
    return "".join(c for c in unicodedata.normalize("NFKD", spelled) if not unicodedata.combining(c))


def _rekey(key: Callable[[str], str]) -> None:
    people = sa.table(
        "people",
        sa.column("id"),
        sa.column("first_name"),
        sa.column("last_name"),
        sa.column("employer"),
        sa.column("name_key"),
        sa.column("last_name_key"),
        sa.column("employer_key"),
    )
    conn = op.get_bind()
    last = None
    while True:  # in batches by id, so a large tenant is never held in memory at once
        query = sa.select(people.c.id, people.c.first_name, people.c.last_name, people.c.employer)
        if last is not None:
            query = query.where(people.c.id > last)
        rows = conn.execute(query.order_by(people.c.id).limit(BATCH)).all()
        if not rows:
            return
        conn.execute(
            people.update()
            .where(people.c.id == sa.bindparam("row_id"))
            .values(
                name_key=sa.bindparam("new_name_key"),
                last_name_key=sa.bindparam("new_last_name_key"),
                employer_key=sa.bindparam("new_employer_key"),
            ),
            [
                {
                    "row_id": row.id,
                    "new_name_key": key(f"{row.first_name or ''} {row.last_name or ''}".strip())[:201],
                    "new_last_name_key": key(row.last_name or "")[:100],
                    "new_employer_key": key(row.employer or "")[:200],
                }
                for row in rows
            ],
        )
        last = rows[-1].id


def upgrade() -> None:
    _rekey(_fold)


def downgrade() -> None:
    _rekey(str.casefold)
