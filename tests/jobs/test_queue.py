"""The queue under contention and the webhook outbox, on both state databases."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from parley.db.database import Database
from parley.jobs.worker import Workers
from tests.factories import Org
from tests.support.jobs import submit, wait_final


class Receiver:
    """A webhook receiver on loopback that is down (503) for the first ``outage``
    deliveries of a final event."""

    def __init__(self, outage: int) -> None:
        self.outage = outage
        self.calls: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.calls.append((dict(self.headers), body))
                final = json.loads(body)["completed_at"] is not None
                down = final and receiver.outage > 0
                receiver.outage -= down
                status = 503 if down else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def allowed_networks() -> str:
    # The receivers here listen on loopback, which webhooks may reach only when allowed.
    return "127.0.0.1/32"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(outage=2) as running:
        yield running


def verified(secret: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    timestamp = headers["X-Omni-Signature-Timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    assert hmac.compare_digest(headers["X-Omni-Signature"], "sha256=" + expected.hexdigest())
    payload: dict[str, Any] = json.loads(body)
    return payload


async def test_final_webhook_survives_a_receiver_outage(
    client: httpx.AsyncClient, org: Org, model_id: str, receiver: Receiver
) -> None:
    ids = (
        await submit(
            client,
            org.owner.token,
            model_id,
            "Revenue by region",
            webhookUrl=receiver.url,
            webhookSigningSecret="s3cret",
            webhookMetadata={"ticket": 42},
            progressWebhookEnabled=True,
        )
    ).json()
    job = await wait_final(client, org.owner.token, ids["jobId"])
    for _ in range(200):
        finals = [
            verified("s3cret", h, b)
            for h, b in receiver.calls
            if json.loads(b)["status"] == "COMPLETE"
        ]
        if len(finals) >= 3:
            break
        await asyncio.sleep(0.05)
    # Two 503s, then delivered: the same event each time, so receivers can dedupe.
    assert len(finals) == 3 and len({f["event_id"] for f in finals}) == 1
    final = finals[-1]
    assert final == {
        "event_id": final["event_id"],
        "jobId": ids["jobId"],
        "status": "COMPLETE",
        "result_summary": job["resultSummary"],
        "metadata": {"ticket": 42},
        "completed_at": job["completedAt"],
    }
    progress = [json.loads(b) for _, b in receiver.calls if json.loads(b)["status"] == "EXECUTING"]
    # Progress events are sent once each: reading, running, writing.
    assert len(progress) == 3 and len(progress) + len(finals) == len(receiver.calls)
    assert all(p["completed_at"] is None for p in progress)
    await asyncio.sleep(0.3)
    assert len(receiver.calls) == len(progress) + 3


@pytest.mark.parametrize("workers", [0])
async def test_two_workers_never_claim_the_same_job(
    app: FastAPI, client: httpx.AsyncClient, database: Database, org: Org, model_id: str
) -> None:
    ids = [
        (await submit(client, org.owner.token, model_id, f"Revenue by region {i}")).json()["jobId"]
        for i in range(24)
    ]
    state = app.state
    pools = [Workers(state.database, state.runtimes, state.settings, count=1) for _ in range(6)]
    claimed: list[str] = []

    async def drain(pool: Workers, name: str) -> None:
        while (claim := await pool.claim(name)) is not None:
            claimed.append(str(claim.job.id))

    await asyncio.gather(*(drain(pool, f"w{i}") for i, pool in enumerate(pools)))
    assert sorted(claimed) == sorted(ids)
