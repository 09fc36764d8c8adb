"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import plugin.models.base

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("default_language", sa.String(length=8), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("sidebar_secret_encrypted", sa.Text(), nullable=False),
        sa.Column(
            "ats_origins", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "settings", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
    )
    op.create_table(
        "api_keys",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "scopes", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", plugin.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", plugin.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_api_keys_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index("ix_api_keys_tenant", ["tenant_id"], unique=False)

    op.create_table(
        "audit_events",
        sa.Column("at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column(
            "surface",
            sa.Enum(
                "api",
                "sidebar",
                "cli",
                "sync",
                "import",
                "system",
                name="origin",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "details", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_audit_events_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_entity", ["tenant_id", "entity_type", "entity_id"], unique=False)
        batch_op.create_index("ix_audit_events_tenant_at", ["tenant_id", "at"], unique=False)

    op.create_table(
        "installations",
        sa.Column(
            "vendor",
            sa.Enum(
                "greenhouse", "lever", "teamtailor", name="vendor", native_enum=False, create_constraint=True, length=24
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column("credentials_encrypted", sa.Text(), nullable=False),
        sa.Column("webhook_secret_encrypted", sa.Text(), nullable=False),
        sa.Column(
            "settings", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_installations_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installations")),
    )
    with op.batch_alter_table("installations", schema=None) as batch_op:
        batch_op.create_index("ix_installations_tenant", ["tenant_id"], unique=False)

    op.create_table(
        "recruiters",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column(
            "ats_user_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_recruiters_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recruiters")),
        sa.UniqueConstraint("tenant_id", "email", name=op.f("uq_recruiters_tenant_id_email")),
    )
    op.create_table(
        "people",
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("linkedin_url", sa.String(length=500), nullable=True),
        sa.Column("employer", sa.String(length=200), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column(
            "phones", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "languages", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "interests", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "work_history",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "tags", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "status",
            sa.Enum(
                "passive",
                "in_process",
                "hired",
                name="pipeline_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column(
            "lawful_basis",
            sa.Enum(
                "legitimate_interest",
                "consent",
                name="lawful_basis",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("data_source", sa.String(length=200), nullable=False),
        sa.Column("collected_at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("art14_notice_sent_at", plugin.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("consent_expires_at", plugin.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("do_not_contact", sa.Boolean(), nullable=False),
        sa.Column("name_key", sa.String(length=201), nullable=False),
        sa.Column("last_name_key", sa.String(length=100), nullable=False),
        sa.Column("employer_key", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["recruiters.id"], name=op.f("fk_people_owner_id_recruiters"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_people_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
    )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.create_index(
            "ix_people_tenant_employer_key",
            ["tenant_id", "employer_key"],
            unique=False,
            postgresql_ops={"employer_key": "text_pattern_ops"},
        )
        batch_op.create_index(
            "ix_people_tenant_last_name_key",
            ["tenant_id", "last_name_key"],
            unique=False,
            postgresql_ops={"last_name_key": "text_pattern_ops"},
        )
        batch_op.create_index(
            "ix_people_tenant_name_key",
            ["tenant_id", "name_key"],
            unique=False,
            postgresql_ops={"name_key": "text_pattern_ops"},
        )
        batch_op.create_index("ix_people_tenant_owner", ["tenant_id", "owner_id"], unique=False)

    op.create_table(
        "roles",
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "anticipated",
                "confidential",
                "advertised",
                "filled",
                "dropped",
                name="role_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("expected_opening_on", sa.Date(), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column(
            "keywords", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["recruiters.id"], name=op.f("fk_roles_owner_id_recruiters"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_roles_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roles")),
    )
    with op.batch_alter_table("roles", schema=None) as batch_op:
        batch_op.create_index("ix_roles_tenant_status", ["tenant_id", "status"], unique=False)

    op.create_table(
        "sync_bookmarks",
        sa.Column("installation_id", sa.Uuid(), nullable=False),
        sa.Column("stream", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("updated_at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["installations.id"],
            name=op.f("fk_sync_bookmarks_installation_id_installations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_sync_bookmarks_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("installation_id", "stream", name=op.f("pk_sync_bookmarks")),
    )
    op.create_table(
        "cadences",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("tier", sa.String(length=32), nullable=False),
        sa.Column("ideal_days", sa.Integer(), nullable=False),
        sa.Column("max_days", sa.Integer(), nullable=False),
        sa.Column("last_touch_at", plugin.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_cadences_person_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_cadences_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cadences")),
        sa.UniqueConstraint("person_id", name=op.f("uq_cadences_person_id")),
    )
    with op.batch_alter_table("cadences", schema=None) as batch_op:
        batch_op.create_index("ix_cadences_tenant_last_touch", ["tenant_id", "last_touch_at"], unique=False)

    op.create_table(
        "person_emails",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_person_emails_person_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_person_emails_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_emails")),
        sa.UniqueConstraint("tenant_id", "email", name=op.f("uq_person_emails_tenant_id_email")),
    )
    with op.batch_alter_table("person_emails", schema=None) as batch_op:
        batch_op.create_index("ix_person_emails_person", ["person_id"], unique=False)
        batch_op.create_index(
            "ix_person_emails_tenant_email_prefix",
            ["tenant_id", "email"],
            unique=False,
            postgresql_ops={"email": "text_pattern_ops"},
        )

    op.create_table(
        "person_links",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("installation_id", sa.Uuid(), nullable=False),
        sa.Column("ats_id", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("synced_at", plugin.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["installations.id"],
            name=op.f("fk_person_links_installation_id_installations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_person_links_person_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_person_links_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_links")),
        sa.UniqueConstraint("installation_id", "ats_id", name=op.f("uq_person_links_installation_id_ats_id")),
    )
    with op.batch_alter_table("person_links", schema=None) as batch_op:
        batch_op.create_index("ix_person_links_person", ["person_id"], unique=False)

    op.create_table(
        "references",
        sa.Column(
            "kind",
            sa.Enum(
                "employee",
                "outsider",
                "candidate",
                "client",
                name="reference_kind",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("recruiter_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "person_id IS NOT NULL OR recruiter_id IS NOT NULL OR name IS NOT NULL",
            name=op.f("ck_references_identified"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_references_person_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recruiter_id"], ["recruiters.id"], name=op.f("fk_references_recruiter_id_recruiters"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_references_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_references")),
        sa.UniqueConstraint("tenant_id", "person_id", name=op.f("uq_references_tenant_id_person_id")),
        sa.UniqueConstraint("tenant_id", "recruiter_id", name=op.f("uq_references_tenant_id_recruiter_id")),
    )
    op.create_table(
        "role_shortlist",
        sa.Column("role_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("added_at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_role_shortlist_person_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["role_id"], ["roles.id"], name=op.f("fk_role_shortlist_role_id_roles"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_role_shortlist_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("role_id", "person_id", name=op.f("pk_role_shortlist")),
    )
    with op.batch_alter_table("role_shortlist", schema=None) as batch_op:
        batch_op.create_index("ix_role_shortlist_person", ["tenant_id", "person_id"], unique=False)

    op.create_table(
        "touchpoints",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("recruiter_id", sa.Uuid(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "meeting",
                "interview",
                "call",
                "message",
                "event",
                "note",
                "positive_mention",
                name="touchpoint_kind",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("occurred_at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column(
            "origin",
            sa.Enum(
                "api",
                "sidebar",
                "cli",
                "sync",
                "import",
                "system",
                name="origin",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_touchpoints_person_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recruiter_id"],
            ["recruiters.id"],
            name=op.f("fk_touchpoints_recruiter_id_recruiters"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_touchpoints_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_touchpoints")),
        sa.UniqueConstraint("tenant_id", "external_id", name=op.f("uq_touchpoints_tenant_id_external_id")),
    )
    with op.batch_alter_table("touchpoints", schema=None) as batch_op:
        batch_op.create_index("ix_touchpoints_person_time", ["tenant_id", "person_id", "occurred_at"], unique=False)

    op.create_table(
        "followups",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("role_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("due_at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "done",
                "snoozed",
                "cancelled",
                name="followup_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("snoozed_until", plugin.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("completed_at", plugin.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("touchpoint_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["recruiters.id"], name=op.f("fk_followups_owner_id_recruiters"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_followups_person_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["role_id"], ["roles.id"], name=op.f("fk_followups_role_id_roles"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_followups_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["touchpoint_id"],
            ["touchpoints.id"],
            name=op.f("fk_followups_touchpoint_id_touchpoints"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followups")),
    )
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.create_index("ix_followups_person", ["tenant_id", "person_id"], unique=False)
        batch_op.create_index("ix_followups_queue", ["tenant_id", "owner_id", "status", "due_at"], unique=False)
        batch_op.create_index("ix_followups_tick", ["status", "due_at"], unique=False)

    op.create_table(
        "referrals",
        sa.Column("reference_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("role_id", sa.Uuid(), nullable=True),
        sa.Column("job_ref", sa.String(length=200), nullable=True),
        sa.Column(
            "channel",
            sa.Enum(
                "linkedin",
                "event",
                "email",
                "phone",
                "word_of_mouth",
                "other",
                name="referral_channel",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("prompted", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "received",
                "contacted",
                "in_process",
                "hired",
                "not_hired",
                "parked",
                name="referral_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("referred_at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status_changed_at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "origin",
            sa.Enum(
                "api",
                "sidebar",
                "cli",
                "sync",
                "import",
                "system",
                name="origin",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", plugin.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_referrals_person_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reference_id"], ["references.id"], name=op.f("fk_referrals_reference_id_references"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["role_id"], ["roles.id"], name=op.f("fk_referrals_role_id_roles"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_referrals_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint("tenant_id", "external_id", name=op.f("uq_referrals_tenant_id_external_id")),
        sa.UniqueConstraint(
            "tenant_id", "reference_id", "person_id", name=op.f("uq_referrals_tenant_id_reference_id_person_id")
        ),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index("ix_referrals_tenant_person", ["tenant_id", "person_id"], unique=False)
        batch_op.create_index("ix_referrals_tenant_referred_at", ["tenant_id", "referred_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_tenant_referred_at")
        batch_op.drop_index("ix_referrals_tenant_person")

    op.drop_table("referrals")
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.drop_index("ix_followups_tick")
        batch_op.drop_index("ix_followups_queue")
        batch_op.drop_index("ix_followups_person")

    op.drop_table("followups")
    with op.batch_alter_table("touchpoints", schema=None) as batch_op:
        batch_op.drop_index("ix_touchpoints_person_time")

    op.drop_table("touchpoints")
    with op.batch_alter_table("role_shortlist", schema=None) as batch_op:
        batch_op.drop_index("ix_role_shortlist_person")

    op.drop_table("role_shortlist")
    op.drop_table("references")
    with op.batch_alter_table("person_links", schema=None) as batch_op:
        batch_op.drop_index("ix_person_links_person")

    op.drop_table("person_links")
    with op.batch_alter_table("person_emails", schema=None) as batch_op:
        batch_op.drop_index("ix_person_emails_tenant_email_prefix", postgresql_ops={"email": "text_pattern_ops"})
        batch_op.drop_index("ix_person_emails_person")

    op.drop_table("person_emails")
    with op.batch_alter_table("cadences", schema=None) as batch_op:
        batch_op.drop_index("ix_cadences_tenant_last_touch")

    op.drop_table("cadences")
    op.drop_table("sync_bookmarks")
    with op.batch_alter_table("roles", schema=None) as batch_op:
        batch_op.drop_index("ix_roles_tenant_status")

    op.drop_table("roles")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index("ix_people_tenant_owner")
        batch_op.drop_index("ix_people_tenant_name_key", postgresql_ops={"name_key": "text_pattern_ops"})
        batch_op.drop_index("ix_people_tenant_last_name_key", postgresql_ops={"last_name_key": "text_pattern_ops"})
        batch_op.drop_index("ix_people_tenant_employer_key", postgresql_ops={"employer_key": "text_pattern_ops"})

    op.drop_table("people")
    op.drop_table("recruiters")
    with op.batch_alter_table("installations", schema=None) as batch_op:
        batch_op.drop_index("ix_installations_tenant")

    op.drop_table("installations")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_tenant_at")
        batch_op.drop_index("ix_audit_events_entity")

    op.drop_table("audit_events")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_api_keys_tenant")

    op.drop_table("api_keys")
    op.drop_table("tenants")
