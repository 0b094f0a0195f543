"""Job attachments, member profiles (external ids, groups, user attributes), embed
settings and single-use embed sign-in sessions.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "job_attachments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        _fk("job_attachments", "job_id", "jobs"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_attachments")),
    )
    op.create_index(op.f("ix_job_attachments_job_id"), "job_attachments", ["job_id"])
    op.create_table(
        "member_profiles",
        sa.Column("membership_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("user_attributes", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("member_profiles", "membership_id", "memberships"),
        _fk("member_profiles", "organization_id", "organizations"),
        sa.PrimaryKeyConstraint("membership_id", name=op.f("pk_member_profiles")),
        sa.UniqueConstraint(
            "organization_id",
            "external_id",
            name=op.f("uq_member_profiles_organization_id_external_id"),
        ),
    )
    op.create_table(
        "embed_settings",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("session_minutes", sa.Integer(), nullable=False),
        sa.Column("frame_origins", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("embed_settings", "organization_id", "organizations"),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_embed_settings")),
    )
    op.create_table(
        "embed_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("membership_id", sa.Uuid(), nullable=False),
        sa.Column("content_path", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=True),
        _fk("embed_sessions", "organization_id", "organizations"),
        _fk("embed_sessions", "membership_id", "memberships"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_embed_sessions")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_embed_sessions_secret_hash")),
    )


def downgrade() -> None:
    op.drop_table("embed_sessions")
    op.drop_table("embed_settings")
    op.drop_table("member_profiles")
    op.drop_index(op.f("ix_job_attachments_job_id"), table_name="job_attachments")
    op.drop_table("job_attachments")
