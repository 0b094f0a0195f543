"""Webhook delivery from the outbox (SPEC §5.6).

Rows are written in the same transaction as the job's state change, so a committed final
state always has its event queued; a sender claims due rows with a lease (like jobs),
POSTs them signed, and on failure schedules the next try with exponential backoff.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
import uuid
from datetime import timedelta
from typing import Any

import httpx
import orjson

from parley.config import Settings
from parley.db import Database
from parley.jobs import repository
from parley.jobs.signals import Pulse
from parley.kit import clock

log = logging.getLogger("parley.webhooks")
MAX_BACKOFF = 600.0
LEASE_SECONDS = 60.0


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">``, as Omni signs."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signed_request(secret: str, payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = orjson.dumps(payload)
    timestamp = int(time.time())
    return body, {
        "Content-Type": "application/json",
        "X-Omni-Signature-Timestamp": str(timestamp),
        "X-Omni-Signature": sign(secret, timestamp, body),
    }


def backoff(settings: Settings, attempts: int) -> float:
    return float(min(MAX_BACKOFF, settings.webhook_retry_seconds * 2 ** max(0, attempts - 1)))


class Sender:
    """Delivers due webhooks until cancelled; one per process is plenty."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings
        self.wakeup = Pulse()
        self.name = f"webhooks:{uuid.uuid4().hex[:12]}"
        self.stopping = False

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=self.settings.webhook_timeout) as http:
            while not self.stopping:
                ticket = self.wakeup.ticket()
                try:
                    sent = await self.send_one(http)
                except Exception:  # the database may be briefly away; keep sending later
                    log.exception("webhook delivery failed")
                    sent = False
                if not sent:
                    await self.wakeup.wait(ticket, self.settings.job_poll_interval)

    async def send_one(self, http: httpx.AsyncClient) -> bool:
        """Try the oldest due delivery; False when none was due."""
        now = clock.utcnow()
        async with self.database.read() as conn:
            if not await repository.deliveries_due(conn, now=now):
                return False
        async with self.database.write() as conn:
            claimed = await repository.claim_delivery(
                conn,
                lease=self.name,
                now=now,
                expires=now + timedelta(seconds=LEASE_SECONDS),
            )
        if claimed is None:
            return False
        delivery, webhook = claimed
        error: str | None = None
        if not webhook.get("url"):
            error = "the job has no webhook"
        else:
            body, headers = signed_request(str(webhook.get("secret") or ""), dict(delivery.payload))
            try:
                response = await http.post(str(webhook["url"]), content=body, headers=headers)
                if not 200 <= response.status_code < 300:
                    error = f"HTTP {response.status_code}"
            except httpx.HTTPError as failure:
                error = f"{type(failure).__name__}: {failure}"[:500]
        now = clock.utcnow()
        async with self.database.write() as conn:
            if error is None:
                await repository.settle_delivery(
                    conn, delivery.id, self.name, status="delivered", now=now
                )
            elif delivery.attempts >= delivery.max_attempts:
                log.warning("webhook for job %s given up: %s", delivery.job_id, error)
                await repository.settle_delivery(
                    conn, delivery.id, self.name, status="failed", now=now, error=error
                )
            else:
                retry = now + timedelta(seconds=backoff(self.settings, delivery.attempts))
                await repository.settle_delivery(
                    conn,
                    delivery.id,
                    self.name,
                    status="pending",
                    now=now,
                    next_attempt_at=retry,
                    error=error,
                )
        return True
