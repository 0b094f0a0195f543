"""How long one organization's slow webhook receiver delays another organization's.

    .venv/bin/python -m bench.webhooks [--rounds 3] [--postgres]

Two receivers on loopback: organization A's answers each request after 9 seconds,
organization B's at once. Each round submits three jobs of A (webhooks to the slow
receiver) and then one of B (to the fast one) to a fresh in-process server with two
workers, and measures B's delay: from the moment its job was COMPLETE (``completedAt``)
to the moment its webhook reached the receiver. Run once with the default delivery
settings and once with one delivery at a time (``PARLEY_WEBHOOK_CONCURRENCY=1``), which
is how webhooks were sent before they were sent concurrently. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import yaml

from bench.jobs import _reset_postgres
from bench.support import postgres
from parley.accounts import service as accounts
from parley.app import create_app
from parley.config import Settings
from parley.demo.model import MODEL_PATH
from parley.demo.warehouse import build_demo_warehouse
from parley.models import service as models

SLOW_SECONDS = 9.0


@contextmanager
def receiver(delay: float) -> Iterator[tuple[str, list[float]]]:
    """A loopback receiver answering after ``delay``; yields its URL and arrival times."""
    arrivals: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            arrivals.append(time.time())
            self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(delay)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", arrivals
    finally:
        server.shutdown()
        server.server_close()


async def round_delay(
    database_url: str,
    warehouse: Path,
    concurrency: int,
    slow_url: str,
    fast: tuple[str, list[float]],
) -> float:
    """One round on a fresh server: seconds from B's completedAt to its webhook."""
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(
            _env_file=None,
            database_url=database_url,
            home=Path(home),
            workers=2,
            access_log=False,
            log_level="ERROR",
            now=datetime(2026, 11, 26, 12),
            job_poll_interval=0.05,
            webhook_concurrency=concurrency,
            webhook_allowed_networks="127.0.0.1/32",
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            database = app.state.database
            tokens, model_ids = [], []
            async with database.write() as conn:
                for name in ("A", "B"):
                    org, owner = await accounts.create_organization(conn, name, f"{name}@b.io")
                    key = await accounts.create_key(conn, org.id, owner.id)
                    model = await models.register(
                        conn,
                        org.id,
                        name="Demo",
                        connection_url=f"duckdb:///{warehouse}",
                        definition=yaml.safe_load(MODEL_PATH.read_text()),
                    )
                    tokens.append(key.token)
                    model_ids.append(str(model.id))
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:

                async def submit(org: int, prompt: str, url: str) -> str:
                    body = {
                        "modelId": model_ids[org],
                        "prompt": prompt,
                        "webhookUrl": url,
                        "webhookSigningSecret": "bench",
                    }
                    headers = {"Authorization": f"Bearer {tokens[org]}"}
                    response = await http.post("/api/v1/ai/jobs", json=body, headers=headers)
                    job_id: str = response.json()["jobId"]
                    return job_id

                for i in range(3):
                    await submit(0, f"Revenue by region {i}", slow_url)
                fast_url, arrivals = fast
                job_b = await submit(1, "Orders by status", fast_url)
                deadline = time.monotonic() + 120
                while not arrivals:
                    if time.monotonic() > deadline:
                        raise RuntimeError("B's webhook never arrived")
                    await asyncio.sleep(0.01)
                headers = {"Authorization": f"Bearer {tokens[1]}"}
                job = (await http.get(f"/api/v1/ai/jobs/{job_b}", headers=headers)).json()
                completed = datetime.fromisoformat(job["completedAt"].replace("Z", "+00:00"))
                return arrivals[0] - completed.timestamp()


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        warehouse = Path(scratch) / "demo.duckdb"
        build_demo_warehouse(warehouse, as_of=date(2026, 11, 26), seed=42)
        cluster = postgres.start(durable=True) if args.postgres else None
        try:
            rows = []
            for label, concurrency in [
                ("default (32 at once, 2 per receiver)", 32),
                ("one delivery at a time", 1),
            ]:
                delays = []
                for index in range(args.rounds):
                    if cluster is not None:
                        url = cluster.url
                        await _reset_postgres(url)  # a fresh schema per round
                    else:
                        url = f"sqlite+aiosqlite:///{scratch}/parley-{concurrency}-{index}.db"
                    with receiver(SLOW_SECONDS) as (slow_url, _), receiver(0) as fast:
                        delay = await round_delay(url, warehouse, concurrency, slow_url, fast)
                    delays.append(delay)
                rows.append((label, delays))
        finally:
            if cluster is not None:
                cluster.stop()
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"\n{backend}, 2 workers, organization A: 3 jobs whose receiver answers after "
        f"{SLOW_SECONDS:g} s; organization B: 1 job, fast receiver; {args.rounds} rounds.\n"
    )
    print("| delivery settings | B's webhook after its job completed: median | max |")
    print("|---|---|---|")
    for label, delays in rows:
        print(f"| {label} | {statistics.median(delays):.2f} s | {max(delays):.2f} s |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
