"""An organization's named embed secrets (sealed at rest), any of which signs standard SSO
login URLs, and the nonces of login URLs already used.

Revision ID: 0019
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _organization(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["organization_id"],
        ["organizations.id"],
        name=op.f(f"fk_{table}_organization_id_organizations"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "embed_secrets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("sealed_secret", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        _organization("embed_secrets"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_embed_secrets")),
        sa.UniqueConstraint(
            "organization_id", "name", name=op.f("uq_embed_secrets_organization_id_name")
        ),
    )
    op.create_table(
        "embed_nonces",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        _organization("embed_nonces"),
        sa.PrimaryKeyConstraint("organization_id", "nonce_hash", name=op.f("pk_embed_nonces")),
    )
    op.create_index(op.f("ix_embed_nonces_expires_at"), "embed_nonces", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_embed_nonces_expires_at"), table_name="embed_nonces")
    op.drop_table("embed_nonces")
    op.drop_table("embed_secrets")
