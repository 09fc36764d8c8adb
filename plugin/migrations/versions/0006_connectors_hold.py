"""connectors hold against the vendors: two more vendors, richer webhook deliveries

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OLD_VENDORS = ("greenhouse", "lever", "teamtailor")
NEW_VENDORS = (*OLD_VENDORS, "kombo", "ashby")


def _allow_vendors(values: tuple[str, ...]) -> None:
    """The vendor column is a string with a CHECK constraint: replace the constraint (batch mode rebuilds the
    table on SQLite, which cannot alter a constraint in place)."""
    listed = ", ".join(f"'{value}'" for value in values)
    with op.batch_alter_table("installations", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_installations_vendor"), type_="check")
        batch_op.create_check_constraint(op.f("ck_installations_vendor"), sa.text(f"vendor IN ({listed})"))


def upgrade() -> None:
    _allow_vendors(NEW_VENDORS)
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resource_ats_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("merged_into_ats_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("sync_wanted", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_column("sync_wanted")
        batch_op.drop_column("merged_into_ats_id")
        batch_op.drop_column("resource_ats_id")
    op.execute(sa.text("DELETE FROM installations WHERE vendor IN ('kombo', 'ashby')"))
    _allow_vendors(OLD_VENDORS)
