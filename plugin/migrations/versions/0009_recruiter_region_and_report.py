"""recruiters' region (how English dates and numbers read) and the monthly report switch

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recruiters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("monthly_report_enabled", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("recruiters", schema=None) as batch_op:
        batch_op.drop_column("monthly_report_enabled")
        batch_op.drop_column("region")
