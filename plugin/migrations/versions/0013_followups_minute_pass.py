"""follow-ups for the minute pass: changed since its previous run (updated_at), snoozes ending (snoozed_until)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.create_index("ix_followups_changed", ["updated_at"], unique=False)
        batch_op.create_index("ix_followups_snoozed", ["status", "snoozed_until"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.drop_index("ix_followups_snoozed")
        batch_op.drop_index("ix_followups_changed")
