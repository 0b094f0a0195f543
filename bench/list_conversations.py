"""Benchmark of GET /api/v1/ai/conversations over real HTTP, on SQLite and PostgreSQL.

One organization with 1,000,000 conversations over 10,000 members; one of the members
("heavy") owns 20,000 of them so that a personal token has a page after 10,000 rows.
For each database it reports p50/p99 of:

- page 1 and the page after 10,000 rows, for a personal token and organization-wide;
- the same SQL run directly on the database (the floor the endpoint stands on);
- a no-op endpoint of the same app (``/healthz``: the HTTP floor);

and throughput of page 1 at 8 concurrent connections. HTTP load comes from ``wrk``
(Debian package ``wrk``), a separate process on loopback.

    python -m bench.list_conversations [--conversations N] [--members M] [--duration S]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.support import postgres
from bench.support.server import environment, free_port
from parley import migrate
from parley.accounts import service as accounts
from parley.conversations import repository, synthetic
from parley.db.database import Database

HEAVY_CONVERSATIONS = 20_000


@dataclass
class Figures:
    p50_ms: float
    p99_ms: float
    rps: float = 0.0


@dataclass
class Fixture:
    org_id: uuid.UUID
    heavy_member: uuid.UUID
    pat: str
    org_key: str
    seed_seconds: float


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if match is None:
        raise ValueError(f"unexpected wrk latency {text!r}")
    value, unit = match.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def wrk(url: str, token: str | None, *, connections: int, threads: int, seconds: int) -> Figures:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw errors for {url}:\n{out}")
    # The "Latency Distribution" lines, e.g. "     50%    1.50ms"; anchored, because the
    # thread-stats lines above them also end in percentages.
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)$", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)$", out, re.M).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return Figures(p50, p99, rps)


def percentiles(samples: list[float]) -> Figures:
    samples.sort()
    return Figures(statistics.median(samples) * 1000, samples[int(len(samples) * 0.99) - 1] * 1000)


async def build(database: Database, conversations: int, members: int) -> Fixture:
    await migrate.upgrade(database)
    async with database.write() as conn:
        org, owner = await accounts.create_organization(conn, "Bench")
        org_key = await accounts.create_key(conn, org.id)
    started = time.perf_counter()
    done = 0

    def progress(n: int) -> None:
        nonlocal done
        done += n
        if done % 100_000 < n:
            print(f"  seeded {done:,} conversations", file=sys.stderr)

    heavy = await synthetic.seed_conversations(
        database,
        org.id,
        members=1,
        conversations_count=HEAVY_CONVERSATIONS,
        seed=1,
        progress=progress,
    )
    await synthetic.seed_conversations(
        database,
        org.id,
        members=members - 1,
        conversations_count=conversations - HEAVY_CONVERSATIONS,
        seed=2,
        progress=progress,
    )
    seed_seconds = time.perf_counter() - started
    del heavy, owner
    async with database.read() as conn:
        from sqlalchemy import func, select

        from parley.tables import conversations as table

        heavy_member = (
            await conn.execute(
                select(table.c.membership_id)
                .where(table.c.organization_id == org.id)
                .group_by(table.c.membership_id)
                .order_by(func.count().desc())
                .limit(1)
            )
        ).scalar_one()
    async with database.write() as conn:
        pat = await accounts.create_key(conn, org.id, heavy_member)
    return Fixture(org.id, heavy_member, pat.token, org_key.token, seed_seconds)


def cursor_after(base: str, token: str, rows: int) -> tuple[str, datetime, uuid.UUID]:
    """Walk pages of 100 to the cursor that follows ``rows`` rows."""
    cursor = ""
    last: dict[str, Any] = {}
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
        for _ in range(rows // 100):
            params: dict[str, str | int] = {"pageSize": 100}
            if cursor:
                params["cursor"] = cursor
            body = http.get("/api/v1/ai/conversations", params=params).json()
            cursor, last = body["pageInfo"]["nextCursor"], body["data"][-1]
    updated = datetime.fromisoformat(last["updatedAt"].replace("Z", "+00:00"))
    return cursor, updated, uuid.UUID(last["id"])


def direct_sqlite(path: str, sql: str, values: list[Any], n: int) -> Figures:
    conn = sqlite3.connect(path)
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        conn.execute(sql, values).fetchall()
        samples.append(time.perf_counter() - started)
    conn.close()
    return percentiles(samples)


async def direct_postgres(dsn: str, sql: str, values: list[Any], n: int) -> Figures:
    conn = await asyncpg.connect(dsn)
    samples = []
    try:
        statement = await conn.prepare(sql)
        for _ in range(n):
            started = time.perf_counter()
            await statement.fetch(*values)
            samples.append(time.perf_counter() - started)
    finally:
        await conn.close()
    return percentiles(samples)


def run_backend(name: str, args: argparse.Namespace, workdir: Path) -> dict[str, Figures]:
    cluster = postgres.start(durable=True) if name == "postgresql" else None
    try:
        url = cluster.url if cluster else f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        database = Database(url)
        print(f"[{name}] seeding {args.conversations:,} conversations", file=sys.stderr)
        fixture = asyncio.run(_build_and_dispose(database, args))
        if cluster:
            # Measure the steady state, not autovacuum catching up with the fresh load.
            asyncio.run(_vacuum(cluster.url))
        figures: dict[str, Figures] = {"seed": Figures(fixture.seed_seconds * 1000, 0)}
        port = free_port()
        env = environment(workdir / name, url, PARLEY_FIRST_RUN="false")
        server = subprocess.Popen(
            [sys.executable, "-m", "parley", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(base)
            figures.update(_measure(name, base, url, database, fixture, args))
        finally:
            server.terminate()
            server.wait()
        return figures
    finally:
        if cluster:
            cluster.stop()


async def _build_and_dispose(database: Database, args: argparse.Namespace) -> Fixture:
    try:
        return await build(database, args.conversations, args.members)
    finally:
        await database.dispose()


async def _vacuum(url: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()


def _wait(base: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(base + "/healthz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def _measure(
    name: str,
    base: str,
    url: str,
    database: Database,
    fixture: Fixture,
    args: argparse.Namespace,
) -> dict[str, Figures]:
    seconds = args.duration
    endpoint = base + "/api/v1/ai/conversations"
    figures: dict[str, Figures] = {}
    scopes: dict[str, tuple[str, uuid.UUID | None]] = {
        "personal": (fixture.pat, fixture.heavy_member),
        "org": (fixture.org_key, None),
    }
    run_direct: Callable[[str, list[Any]], Figures]
    if name == "sqlite":
        path = url.split("///", 1)[1]

        def run_direct(sql: str, values: list[Any]) -> Figures:
            return direct_sqlite(path, sql, values, args.direct_samples)
    else:
        dsn = url.replace("postgresql+asyncpg://", "postgresql://")

        def run_direct(sql: str, values: list[Any]) -> Figures:
            return asyncio.run(direct_postgres(dsn, sql, values, args.direct_samples))

    # Every HTTP measurement as (label, URL, token, connections), run in rounds: a burst
    # of load from elsewhere on a shared machine then spoils one round of every row
    # rather than all the rounds of one row, and the median round is reported.
    runs: list[tuple[str, str, str | None, int]] = [("noop", base + "/healthz", None, 1)]
    for scope, (token, member) in scopes.items():
        cursor, updated, last_id = cursor_after(base, token, 10_000)
        runs.append((f"{scope} page 1", endpoint, token, 1))
        runs.append((f"{scope} after 10k", f"{endpoint}?cursor={cursor}", token, 1))
        for label, after in (("page 1", None), ("after 10k", (updated, last_id))):
            query, params = repository.page_statement(fixture.org_id, member, after=after, limit=51)
            plan = query.plan(database.engine.dialect)
            figures[f"{scope} {label} direct SQL"] = run_direct(plan.sql, plan.arguments(params))
    runs.append(("personal page 1 @8 connections", endpoint, fixture.pat, 8))
    rounds: dict[str, list[Figures]] = {label: [] for label, *_ in runs}
    for _ in range(args.rounds):
        for label, target, bearer, connections in runs:
            threads = 2 if connections > 1 else 1
            rounds[label].append(
                wrk(target, bearer, connections=connections, threads=threads, seconds=seconds)
            )
    for label, measured in rounds.items():
        measured.sort(key=lambda f: f.p50_ms)
        figures[label] = measured[len(measured) // 2]
    rows = ("page 1", "after 10k", "page 1 direct SQL", "after 10k direct SQL")
    order = ["noop", *(f"{scope} {row}" for scope in scopes for row in rows)]
    return {label: figures[label] for label in [*order, "personal page 1 @8 connections"]}


def _ratio(figures: dict[str, Figures], a: str, b: str) -> str:
    return f"{figures[a].p50_ms / figures[b].p50_ms:.2f}x"


def report(results: dict[str, dict[str, Figures]], args: argparse.Namespace) -> str:
    lines = [
        f"{args.conversations:,} conversations, {args.members:,} members, one server process, "
        f"`wrk` for {args.duration} s per row (1 connection unless noted), the median of "
        f"{args.rounds} interleaved rounds; direct SQL: "
        f"{args.direct_samples} runs through the raw driver.",
        "",
        "| measurement | " + " | ".join(results) + " |",
        "|---|" + "---|" * len(results),
    ]
    keys = [k for k in next(iter(results.values())) if k != "seed"]
    for key in keys:
        cells = []
        for figures in results.values():
            f = figures[key]
            cell = f"p50 {f.p50_ms:.2f} ms, p99 {f.p99_ms:.2f} ms"
            if "@8" in key:
                cell += f", {f.rps:,.0f} req/s"
            cells.append(cell)
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    seeds = " | ".join(f"{f['seed'].p50_ms / 1000:.0f} s" for f in results.values())
    lines.append(f"| seeding (in process, with messages) | {seeds} |")
    lines.append("")
    lines.append("| ratio (p50) | " + " | ".join(results) + " |")
    lines.append("|---|" + "---|" * len(results))
    ratios = {
        "personal: after 10k / page 1": ("personal after 10k", "personal page 1"),
        "org-wide: after 10k / page 1": ("org after 10k", "org page 1"),
        "page 1: org-wide / personal": ("org page 1", "personal page 1"),
        "personal page 1 / no-op": ("personal page 1", "noop"),
        "org page 1 / no-op": ("org page 1", "noop"),
    }
    for label, (a, b) in ratios.items():
        cells = [_ratio(figures, a, b) for figures in results.values()]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each wrk row")
    parser.add_argument("--direct-samples", type=int, default=2000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    results: dict[str, dict[str, Figures]] = {}
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as tmp:
        for name in args.backends.split(","):
            results[name] = run_backend(name, args, Path(tmp))
    print(report(results, args))


if __name__ == "__main__":
    main()
