"""Warehouse connections per organization; a model reads through one (or a URL, as before).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("sealed_secret", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tested_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_connections_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connections")),
        sa.UniqueConstraint(
            "organization_id", "name", name=op.f("uq_connections_organization_id_name")
        ),
    )
    with op.batch_alter_table("models") as batch:
        batch.add_column(sa.Column("connection_id", sa.Uuid(), nullable=True))
        batch.alter_column("connection_url", existing_type=sa.Text(), nullable=True)
        batch.create_foreign_key(
            op.f("fk_models_connection_id_connections"),
            "connections",
            ["connection_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch.create_check_constraint(
            op.f("ck_models_has_connection"),
            "connection_url IS NOT NULL OR connection_id IS NOT NULL",
        )


def downgrade() -> None:
    # Models that read through a connection keep its URL (without the password).
    op.execute(
        "UPDATE models SET connection_url = (SELECT url FROM connections"
        " WHERE connections.id = models.connection_id) WHERE connection_url IS NULL"
    )
    with op.batch_alter_table("models") as batch:
        batch.drop_constraint(op.f("ck_models_has_connection"), type_="check")
        batch.drop_constraint(op.f("fk_models_connection_id_connections"), type_="foreignkey")
        batch.alter_column("connection_url", existing_type=sa.Text(), nullable=False)
        batch.drop_column("connection_id")
    op.drop_table("connections")
