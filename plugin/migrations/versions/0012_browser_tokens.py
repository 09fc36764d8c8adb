"""browser tokens: a recruiter's connected browser extensions

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import plugin.models.base

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "browser_tokens",
        sa.Column("recruiter_id", sa.Uuid(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", plugin.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", plugin.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recruiter_id"],
            ["recruiters.id"],
            name=op.f("fk_browser_tokens_recruiter_id_recruiters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_browser_tokens_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_browser_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_browser_tokens_token_hash")),
    )
    with op.batch_alter_table("browser_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_browser_tokens_tenant_recruiter", ["tenant_id", "recruiter_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("browser_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_browser_tokens_tenant_recruiter")

    op.drop_table("browser_tokens")
