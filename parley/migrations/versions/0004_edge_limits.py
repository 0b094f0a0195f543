"""Failed-authentication windows per client address, and the fingerprint of an
idempotent submit's request.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auth_failure_windows",
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("client", "window_start", name=op.f("pk_auth_failure_windows")),
    )
    op.add_column("jobs", sa.Column("idempotency_fingerprint", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("jobs", "idempotency_fingerprint")
    op.drop_table("auth_failure_windows")
