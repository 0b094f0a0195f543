"""A job's webhook settings in a table of their own, written once at submit.

The jobs row is rewritten at every progress step and state change (SQLite rewrites the
whole row), so settings carried in it, metadata up to 16 KiB, were rewritten each time.
Existing settings move over as they are; their signing secrets stay readable in
plaintext form and newer ones are encrypted by the application.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_jobs = sa.table("jobs", sa.column("id", sa.Uuid()), sa.column("webhook", sa.JSON()))
_webhooks = sa.table(
    "job_webhooks",
    sa.column("job_id", sa.Uuid()),
    sa.column("url", sa.Text()),
    sa.column("destination", sa.String()),
    sa.column("secret", sa.Text()),
    sa.column("metadata", sa.JSON()),
    sa.column("progress", sa.Boolean()),
)


def _destination(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{(parts.hostname or '').rstrip('.')}:{port}"[:300]


def upgrade() -> None:
    op.create_table(
        "job_webhooks",
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("destination", sa.String(length=300), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=True),
        sa.Column("progress", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_job_webhooks_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_job_webhooks")),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(_jobs.c.id, _jobs.c.webhook).where(_jobs.c.webhook.is_not(None)))
    moved: list[dict[str, Any]] = []
    for job_id, webhook in rows:
        if not isinstance(webhook, dict) or not webhook.get("url"):
            continue
        moved.append(
            {
                "job_id": job_id,
                "url": str(webhook["url"]),
                "destination": _destination(str(webhook["url"])),
                "secret": str(webhook.get("secret") or ""),
                "metadata": webhook.get("metadata"),
                "progress": bool(webhook.get("progress")),
            }
        )
    if moved:
        op.bulk_insert(_webhooks, moved)
    # Both databases drop a plain column in place (SQLite since 3.35).
    op.execute("ALTER TABLE jobs DROP COLUMN webhook")


def downgrade() -> None:
    op.execute("ALTER TABLE jobs ADD COLUMN webhook JSON")
    bind = op.get_bind()
    for row in bind.execute(sa.select(_webhooks)).mappings():
        settings = {
            "url": row["url"],
            "secret": row["secret"],
            "metadata": row["metadata"],
            "progress": row["progress"],
        }
        bind.execute(sa.update(_jobs).where(_jobs.c.id == row["job_id"]).values(webhook=settings))
    op.drop_table("job_webhooks")
