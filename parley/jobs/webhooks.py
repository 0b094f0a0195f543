"""Webhook delivery from the outbox (docs/api.md, Webhooks; decision 0009).

Rows are written in the same transaction as the job's state change, so a committed final
state always has its event queued; a sender claims due rows with a lease (like jobs),
POSTs them signed, and on failure schedules the next try with exponential backoff.

Deliveries run concurrently, at most ``webhook_per_destination`` at a time to one
receiver (``host:port``) and each within ``webhook_timeout``: a slow receiver holds up
its own events only. Every try vets the destination again (parley/jobs/destinations.py)
and connects to the address it vetted.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import time
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import anyio
import httpx
import orjson

from parley.config import Settings
from parley.db.database import Database
from parley.http.errors import BadRequest
from parley.jobs import destinations, repository, signing_secrets
from parley.jobs.destinations import Destination, RefusedDestination
from parley.jobs.records import Delivery, Webhook
from parley.jobs.schemas import SubmitJobRequest
from parley.jobs.signals import Pulse
from parley.kit import clock
from parley.kit.backoff import Backoff
from parley.kit.json import JsonObject
from parley.networks import allow_list

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


async def job_settings(body: SubmitJobRequest, settings: Settings) -> dict[str, Any] | None:
    """The webhook settings a submit stores with its job, once its URL has passed the
    destination policy (a 400 otherwise) and its secret is encrypted."""
    if body.webhookUrl is None:
        return None
    url = str(body.webhookUrl)
    allowed = allow_list(settings.webhook_allowed_networks)
    try:
        with anyio.fail_after(settings.webhook_timeout):
            await destinations.vet(url, allowed)
    except RefusedDestination as refused:
        raise BadRequest(str(refused)) from refused
    except TimeoutError as slow:
        raise BadRequest(
            f"webhookUrl host {body.webhookUrl.host} could not be resolved in time"
        ) from slow
    return {
        "url": url,
        "destination": destinations.destination_key(url),
        "secret": signing_secrets.seal(settings, body.webhookSigningSecret or ""),
        "metadata": body.webhookMetadata,
        "progress": body.progressWebhookEnabled,
    }


def event_body(payload: JsonObject, metadata: JsonObject | None) -> JsonObject:
    """The POSTed event: the queued payload with the job's metadata, which is stored once
    with the job rather than in every event."""
    return {
        "event_id": payload["event_id"],
        "jobId": payload["jobId"],
        "status": payload["status"],
        "result_summary": payload.get("result_summary"),
        "metadata": metadata,
        "completed_at": payload.get("completed_at"),
    }


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class Sender:
    """Delivers due webhooks until stopped; one per process is plenty."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings
        self.wakeup = Pulse()
        self.name = f"webhooks:{uuid.uuid4().hex[:12]}"
        self.stopping = False
        self.in_flight: Counter[str] = Counter()
        # Loaded once: building a context reads the whole CA bundle.
        self.tls = httpx.create_ssl_context()
        self.lease = max(LEASE_SECONDS, settings.webhook_timeout * 4)

    def busy(self) -> list[str]:
        """Destinations with as many deliveries in flight as one may have."""
        limit = self.settings.webhook_per_destination
        return sorted(key for key, count in self.in_flight.items() if count >= limit)

    async def run(self) -> None:
        """Claim due deliveries while there is room and send each in its own task; on
        stop, claim no more and let the ones in flight finish (each within its timeout)."""
        # An outage of the database is logged once per distinct error, not every poll.
        backoff = Backoff(
            log, "claiming a webhook delivery", base=self.settings.job_poll_interval, cap=10.0
        )
        async with anyio.create_task_group() as group:
            while not self.stopping:
                ticket = self.wakeup.ticket()
                claimed = None
                if self.in_flight.total() < self.settings.webhook_concurrency:
                    try:
                        claimed = await self.claim()
                    except Exception as error:  # the database may be away; send later
                        await Pulse.wait(ticket, backoff.failed(error))
                        continue
                    backoff.succeeded()
                if claimed is None:
                    await Pulse.wait(ticket, self.settings.job_poll_interval)
                    continue
                delivery, webhook = claimed
                key = webhook.destination if webhook is not None else ""
                self.in_flight[key] += 1
                group.start_soon(self._deliver_then_release, delivery, webhook, key)

    async def claim(self) -> tuple[Delivery, Webhook | None] | None:
        now, busy = clock.utcnow(), self.busy()
        async with self.database.read() as conn:
            if not await repository.deliveries_due(conn, now=now, busy=busy):
                return None
        async with self.database.write() as conn:
            return await repository.claim_delivery(
                conn,
                lease=self.name,
                now=now,
                expires=now + timedelta(seconds=self.lease),
                busy=busy,
            )

    async def _deliver_then_release(
        self, delivery: Delivery, webhook: Webhook | None, key: str
    ) -> None:
        try:
            await self.deliver(delivery, webhook)
        except Exception:  # its lease runs out and it is tried again
            log.exception("webhook delivery failed")
        finally:
            self.in_flight[key] -= 1
            if self.in_flight[key] <= 0:
                del self.in_flight[key]
            self.wakeup.fire()  # room for another delivery, maybe to the same receiver

    async def deliver(self, delivery: Delivery, webhook: Webhook | None) -> None:
        """One try of one delivery, and its outcome recorded."""
        try:
            error = await self.attempt(delivery, webhook)
        except Exception as unexpected:
            # Counted as a failed try like any other, so a delivery that cannot be made
            # ends as failed after its attempts instead of being claimed forever.
            log.exception("webhook for job %s: its try failed", delivery.job_id)
            error = f"could not be sent: {type(unexpected).__name__}: {unexpected}"[:500]
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

    async def attempt(self, delivery: Delivery, webhook: Webhook | None) -> str | None:
        """POST the event; None when the receiver took it, else what went wrong."""
        if webhook is None:
            return "the job has no webhook"
        timeout = self.settings.webhook_timeout
        allowed = allow_list(self.settings.webhook_allowed_networks)
        try:
            secret = signing_secrets.unseal(self.settings, webhook.secret)
            body = event_body(dict(delivery.payload), webhook.metadata)
            with anyio.fail_after(timeout):
                # Vetted again on every try: the name may point elsewhere by now.
                destination = await destinations.vet(webhook.url, allowed)
                status = await self.post(destination, secret, body)
        except (RefusedDestination, signing_secrets.UnreadableSecret) as refused:
            return str(refused)
        except TimeoutError:
            return f"no answer within {timeout:g} s"
        except httpx.HTTPError as failure:
            return f"{type(failure).__name__}: {failure}"[:500]
        if not 200 <= status < 300:
            return f"HTTP {status}"
        return None

    async def post(self, destination: Destination, secret: str, payload: dict[str, Any]) -> int:
        """Send to the vetted address while the request still names the original host
        (``Host`` header, TLS server name and certificate check)."""
        content, headers = signed_request(secret, payload)
        url = destination.url
        headers["Host"] = url.netloc.decode("ascii")
        extensions: dict[str, Any] = {}
        if url.scheme == "https" and not _is_address(destination.host):
            extensions["sni_hostname"] = destination.host
        # A fresh client per try: a pooled connection verified for one name must never
        # carry another name's request to the same address.
        async with (
            httpx.AsyncClient(
                verify=self.tls,
                trust_env=False,
                follow_redirects=False,
                timeout=self.settings.webhook_timeout,
            ) as http,
            http.stream(
                "POST",
                url.copy_with(host=destination.address),
                content=content,
                headers=headers,
                extensions=extensions,
            ) as response,
        ):
            # Only the status matters; the response body is never read.
            return response.status_code
