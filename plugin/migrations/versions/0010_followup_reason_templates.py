"""follow-ups keep a rule's reason as a template key and parameters, so each reader sees it in their language

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("reason_params", JSON, nullable=True))
    _backfill()


def _backfill() -> None:
    """The rules' follow-ups already stored get their template: the thank-you has no parameters, and a role
    opening's are its role's title and expected day (the rule rewrites the reason whenever those change)."""
    followups = sa.table(
        "followups",
        sa.column("id"),
        sa.column("kind"),
        sa.column("role_id"),
        sa.column("reason_key"),
        sa.column("reason_params", JSON),
    )
    roles = sa.table("roles", sa.column("id"), sa.column("title"), sa.column("expected_opening_on", sa.Date))
    conn = op.get_bind()
    conn.execute(
        followups.update()
        .where(followups.c.kind == "connect_and_thank", followups.c.reason_key.is_(None))
        .values(reason_key="connect_and_thank", reason_params={})
    )
    rows = conn.execute(
        sa.select(followups.c.id, roles.c.title, roles.c.expected_opening_on)
        .join(roles, roles.c.id == followups.c.role_id)
        .where(followups.c.kind == "role_opening", followups.c.reason_key.is_(None))
    ).all()
    for id_, title, day in rows:  # a few per role on a shortlist: one update each is fine
        params = {"title": title, "date": day.isoformat() if day else ""}
        conn.execute(
            followups.update().where(followups.c.id == id_).values(reason_key="role_opening", reason_params=params)
        )


def downgrade() -> None:
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.drop_column("reason_params")
        batch_op.drop_column("reason_key")
