"""Time the state database's short reads: ``Database.read()`` on SQLite, the transaction
every GET endpoint outside the list opens (a job's status, a conversation, models), the
job workers' cancel checks and the event streams' polls.

    .venv/bin/python -m bench.state_reads [--reads 3000] [--concurrency 16]

Each read is one transaction with two indexed SELECTs (an organization and its members),
as a job status read is. Prints p50/p99 of one read alone, and the reads/s of
``--concurrency`` readers at once on one event loop.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from parley import migrate
from parley.accounts import service as accounts
from parley.db.database import Database
from parley.tables import memberships, organizations


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def run(path: Path, reads: int, concurrency: int) -> None:
    database = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await migrate.upgrade(database)
        async with database.write() as conn:
            org, _owner = await accounts.create_organization(conn, "Bench")

        async def one() -> None:
            async with database.read() as conn:
                await conn.execute(select(organizations).where(organizations.c.id == org.id))
                found = select(memberships).where(memberships.c.organization_id == org.id)
                (await conn.execute(found)).all()

        for _ in range(200):  # warm the pools and the statement cache
            await one()
        alone: list[float] = []
        for _ in range(reads):
            started = time.perf_counter()
            await one()
            alone.append((time.perf_counter() - started) * 1000)

        async def reader(count: int) -> None:
            for _ in range(count):
                await one()

        started = time.perf_counter()
        await asyncio.gather(*(reader(reads // concurrency) for _ in range(concurrency)))
        seconds = time.perf_counter() - started
        done = (reads // concurrency) * concurrency
        print(
            f"one read: p50 {statistics.median(alone):.3f} ms, "
            f"p99 {percentile(alone, 0.99):.3f} ms; "
            f"{concurrency} readers: {done / seconds:,.0f} reads/s"
        )
    finally:
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reads", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        asyncio.run(run(Path(scratch) / "state.db", args.reads, args.concurrency))


if __name__ == "__main__":
    main()
