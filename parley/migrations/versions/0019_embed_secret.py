"""An organization's embed secret (encrypted at rest), which signs standard SSO login URLs.

Revision ID: 0019
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("embed_settings") as batch:
        batch.add_column(sa.Column("sealed_secret", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("embed_settings") as batch:
        batch.drop_column("sealed_secret")
