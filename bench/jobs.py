"""Submit → COMPLETE latency and throughput of AI jobs with the built-in planner.

    .venv/bin/python -m bench.jobs [--latency-jobs 50] [--burst 200]

For SQLite and PostgreSQL (a throwaway cluster), with 1 and 4 in-process workers, on the
demo warehouse (as of 2026-11-26, seed 42): latency of one job at a time on an idle
server (server-side, ``completedAt - createdAt``), then jobs per second for a burst of
jobs submitted together. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml

from bench.generate_query import percentile
from bench.support import postgres
from parley.accounts import service as accounts
from parley.app import create_app
from parley.config import Settings
from parley.demo.model import MODEL_PATH
from parley.demo.warehouse import build_demo_warehouse
from parley.models import service as models

PROMPTS = ["Revenue by region", "Orders by status", "Top 5 brands by revenue this year"]


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def run(database_url: str, warehouse: Path, workers: int, args: Any) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(
            _env_file=None,
            database_url=database_url,
            home=Path(home),
            workers=workers,
            access_log=False,
            log_level="WARNING",
            now=datetime(2026, 11, 26, 12),
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            database = app.state.database
            async with database.write() as conn:
                org, owner = await accounts.create_organization(conn, "Bench", "b@bench.io")
                key = await accounts.create_key(conn, org.id, owner.id)
                model = await models.register(
                    conn,
                    org.id,
                    name="Demo",
                    connection_url=f"duckdb:///{warehouse}",
                    definition=yaml.safe_load(MODEL_PATH.read_text()),
                )
            transport = httpx.ASGITransport(app=app)
            headers = {"Authorization": f"Bearer {key.token}"}
            async with httpx.AsyncClient(
                transport=transport, base_url="http://bench", headers=headers
            ) as http:

                async def submit(i: int) -> str:
                    body = {"modelId": str(model.id), "prompt": PROMPTS[i % len(PROMPTS)]}
                    job_id: str = (await http.post("/api/v1/ai/jobs", json=body)).json()["jobId"]
                    return job_id

                async def finished(job_id: str) -> dict[str, Any]:
                    while True:
                        job: dict[str, Any] = (await http.get(f"/api/v1/ai/jobs/{job_id}")).json()
                        if job["state"] in ("COMPLETE", "FAILED", "CANCELLED"):
                            assert job["state"] == "COMPLETE", job
                            return job
                        await asyncio.sleep(0.005)

                await finished(await submit(0))  # warm the model's runtime
                latencies = []
                for i in range(args.latency_jobs):
                    job = await finished(await submit(i))
                    seconds = (_at(job["completedAt"]) - _at(job["createdAt"])).total_seconds()
                    latencies.append(seconds * 1000)
                # Eight clients submitting as fast as they can, as a busy server sees.
                gate = asyncio.Semaphore(8)

                async def gated(i: int) -> str:
                    async with gate:
                        return await submit(i)

                started = time.perf_counter()
                ids = await asyncio.gather(*(gated(i) for i in range(args.burst)))
                for job_id in ids:
                    await finished(job_id)
                elapsed = time.perf_counter() - started
    return {
        "p50": percentile(latencies, 0.5),
        "p99": percentile(latencies, 0.99),
        "rate": args.burst / elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-jobs", type=int, default=50)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--warehouse", type=Path)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        warehouse = args.warehouse
        if warehouse is None:
            warehouse = Path(scratch) / "demo.duckdb"
            build_demo_warehouse(warehouse, date(2026, 11, 26), seed=42)
        cluster = postgres.start(durable=True)
        try:
            for name in ("sqlite", "postgresql"):
                for workers in (1, 4):
                    if name == "sqlite":
                        url = f"sqlite+aiosqlite:///{scratch}/state-{workers}.db"
                    else:
                        url = cluster.url
                        # A fresh schema per run: drop what the last run left.
                        asyncio.run(_reset_postgres(url))
                    figures = asyncio.run(run(url, warehouse, workers, args))
                    rows.append((name, workers, figures))
        finally:
            cluster.stop()
    print("| state database | workers | submit→COMPLETE p50 | p99 | jobs/s |")
    print("|---|---|---|---|---|")
    for name, workers, f in rows:
        print(f"| {name} | {workers} | {f['p50']:.0f} ms | {f['p99']:.0f} ms | {f['rate']:.0f} |")


async def _reset_postgres(url: str) -> None:
    from sqlalchemy import text

    from parley.db.database import Database

    database = Database(url)
    try:
        async with database.write() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await database.dispose()


if __name__ == "__main__":
    main()
