"""The rows a thread owns in the jobs' tables: the files of its prompts (listed with the
thread) and its jobs with their webhooks and pending deliveries (removed with it).

Plain SQL on the shared tables: jobs write into conversations (jobs/states.py), so the
conversations package reads and removes these rows without importing jobs."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.tables import job_attachments, job_webhooks, jobs, webhook_deliveries


async def attachments_by_job(
    conn: AsyncConnection, conversation_id: uuid.UUID
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """Every file of a conversation's prompts, by job, in one query (without content)."""
    c = job_attachments.c
    query = (
        select(c.job_id, c.name, c.mime_type, c.size_bytes)
        .join(jobs, jobs.c.id == c.job_id)
        .where(jobs.c.conversation_id == conversation_id)
        .order_by(c.job_id, c.position)
    )
    found: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for row in (await conn.execute(query)).all():
        found.setdefault(row.job_id, []).append(
            {"name": row.name, "mimeType": row.mime_type, "sizeBytes": row.size_bytes}
        )
    return found


async def delete_jobs(conn: AsyncConnection, conversation_id: uuid.UUID) -> None:
    """Jobs, results and pending webhooks of a conversation (before it is deleted)."""
    ids = select(jobs.c.id).where(jobs.c.conversation_id == conversation_id)
    await conn.execute(delete(webhook_deliveries).where(webhook_deliveries.c.job_id.in_(ids)))
    await conn.execute(delete(job_webhooks).where(job_webhooks.c.job_id.in_(ids)))
    await conn.execute(delete(jobs).where(jobs.c.conversation_id == conversation_id))
