"""AI jobs with a language model: a burst of 500 jobs over 200 conversations against the
fake OpenAI-compatible endpoint (bench/fake_llm.py, its own process on loopback), with
latency around 1.5 s per call, 5% of 429s (Retry-After: 1) and 2% of 500s.

    .venv/bin/python -m bench.llm_jobs [--jobs 500] [--conversations 200] [--latency 1.5]

Two runs: SQLite with the server's own in-process workers, and PostgreSQL (a throwaway
cluster) with two `parley worker` processes; default settings otherwise
(PARLEY_LLM_CONCURRENCY=32 per process). Each conversation asks its questions one after
the other (a conversation holds one unfinished job at a time), all conversations at once.

Figures: completion time against the ideal (the time the model spent on the answers it
gave, divided by the concurrency: what a perfect scheduler with no overhead would need),
Parley's own time per job (claimed → COMPLETE minus the time spent waiting on the model,
so queueing behind the concurrency limit is not counted; the time queued is shown apart),
jobs lost or duplicated, jobs failed and why, calls and retries, and CPU per job.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import func, select, text

from bench.fake_llm import CHUNK_PAUSE, Behaviour
from bench.generate_query import percentile
from bench.support import postgres, schedule
from bench.support.server import free_port
from parley import migrate
from parley.accounts import service as accounts
from parley.app import create_app
from parley.config import Settings
from parley.db.database import Database
from parley.demo.model import MODEL_PATH
from parley.demo.warehouse import build_demo_warehouse
from parley.jobs.records import FINAL
from parley.models import service as models
from parley.tables import jobs, messages

PROMPTS = [
    "Revenue by region",
    "Orders by status",
    "Top 5 brands by revenue",
    "Revenue by category",
]
NOW = datetime(2026, 11, 26, 12)


@dataclass
class Fixture:
    token: str
    model_id: str


def _llm_env(llm_url: str) -> dict[str, str]:
    return {"PARLEY_LLM_BASE_URL": llm_url, "PARLEY_LLM_MODEL": "fake-model"}


def _settings(database_url: str, home: Path, llm_url: str, workers: int) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        home=home,
        workers=workers,
        access_log=False,
        log_level="WARNING",
        first_run=False,
        now=NOW,
        llm_base_url=llm_url,
        llm_model="fake-model",
    )


async def _setup(database: Database, warehouse: Path) -> Fixture:
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
    return Fixture(key.token, str(model.id))


class Burst:
    """200 conversations at once, each asking its questions in turn; one reader of the
    jobs table tells each when its last job is final (no per-job polling to weigh on
    the figures)."""

    def __init__(self, http: httpx.AsyncClient, database: Database, fixture: Fixture) -> None:
        self.http = http
        self.database = database
        self.fixture = fixture
        self.final: dict[str, asyncio.Event] = {}
        self.submitted: list[str] = []
        self.done = False
        # The API serves 16 submits at a time, as a server process with its pool of
        # database connections would; the rest of the burst waits its turn.
        self.gate = asyncio.Semaphore(16)

    async def _submit(self, prompt: str, conversation: str | None) -> tuple[str, str]:
        body: dict[str, Any] = {"modelId": self.fixture.model_id, "prompt": prompt}
        if conversation:
            body["conversationId"] = conversation
        for _ in range(50):
            async with self.gate:
                response = await self.http.post("/api/v1/ai/jobs", json=body)
            if response.status_code == 201:
                data = response.json()
                job_id = str(data["jobId"])
                self.final[job_id] = asyncio.Event()
                self.submitted.append(job_id)
                return job_id, str(data["conversationId"])
            await asyncio.sleep(0.05)
        raise RuntimeError(f"submit kept failing: {response.status_code} {response.text}")

    async def _conversation(self, index: int, turns: int) -> None:
        conversation = None
        for turn in range(turns):
            prompt = PROMPTS[(index + turn) % len(PROMPTS)]
            job_id, conversation = await self._submit(prompt, conversation)
            await self.final[job_id].wait()

    async def _watch(self) -> None:
        while not self.done:
            await asyncio.sleep(0.1)
            waiting = [j for j, e in self.final.items() if not e.is_set()]
            if not waiting:
                continue
            async with self.database.read() as conn:
                rows = await conn.execute(
                    select(jobs.c.id).where(
                        jobs.c.id.in_([uuid.UUID(j) for j in waiting]), jobs.c.state.in_(FINAL)
                    )
                )
                for row in rows:
                    self.final[str(row.id)].set()

    async def run(self, jobs_total: int, conversations: int, deadline: float) -> float:
        turns = _turns(jobs_total, conversations)
        watcher = asyncio.create_task(self._watch())
        started = time.perf_counter()
        try:
            await asyncio.wait_for(
                asyncio.gather(*(self._conversation(i, n) for i, n in enumerate(turns))), deadline
            )
        except TimeoutError:
            print(f"  (deadline of {deadline:.0f} s reached)", file=sys.stderr)
        elapsed = time.perf_counter() - started
        self.done = True
        await watcher
        return elapsed


async def _figures(database: Database, submitted: list[str]) -> dict[str, Any]:
    ids = [uuid.UUID(j) for j in submitted]
    async with database.read() as conn:
        rows = (await conn.execute(select(jobs).where(jobs.c.id.in_(ids)))).all()
        answers = (
            await conn.execute(
                select(messages.c.job_id, func.count())
                .where(messages.c.job_id.in_(ids), messages.c.role == "assistant")
                .group_by(messages.c.job_id)
            )
        ).all()
    by_state: dict[str, int] = {}
    failures: dict[str, int] = {}
    overhead, queued, retries, calls = [], [], 0, 0
    for row in rows:
        by_state[row.state] = by_state.get(row.state, 0) + 1
        if row.state == "FAILED":
            code = (row.error or {}).get("code", "?")
            failures[code] = failures.get(code, 0) + 1
        if row.state == "COMPLETE" and row.execution_started_at is not None:
            use = (row.result or {}).get("usage") or {}
            spent = (row.completed_at - row.execution_started_at).total_seconds()
            overhead.append(1000 * (spent - float(use.get("modelSeconds", 0))))
            queued.append((row.execution_started_at - row.created_at).total_seconds())
            retries += int(use.get("retries", 0))
            calls += int(use.get("calls", 0))
    answered = {row[0]: row[1] for row in answers}
    return {
        "states": by_state,
        "failures": failures,
        "lost": len(ids) - sum(by_state.get(s, 0) for s in FINAL),
        "duplicated": sum(1 for r in rows if r.attempts > 1)
        + sum(1 for n in answered.values() if n > 1),
        "overhead_p50": percentile(overhead, 0.5) if overhead else float("nan"),
        "overhead_p90": percentile(overhead, 0.9) if overhead else float("nan"),
        "queued_p50": percentile(queued, 0.5) if queued else float("nan"),
        "retries": retries,
        "calls": calls,
    }


def _stats(llm_port: int) -> dict[str, Any]:
    data: dict[str, Any] = httpx.get(f"http://127.0.0.1:{llm_port}/stats", timeout=10).json()
    return data


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run_sqlite(args: Any, scratch: Path, warehouse: Path, llm_url: str) -> dict[str, Any]:
    home = scratch / "sqlite-home"
    url = f"sqlite+aiosqlite:///{scratch}/state.db"
    settings = _settings(url, home, llm_url, workers=2)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        database = app.state.database
        fixture = await _setup(database, warehouse)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        headers = {"Authorization": f"Bearer {fixture.token}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=headers, timeout=60
        ) as http:
            burst = Burst(http, database, fixture)
            cpu = time.process_time()
            elapsed = await burst.run(args.jobs, args.conversations, args.deadline)
            cpu = time.process_time() - cpu
            figures = await _figures(database, burst.submitted)
    figures.update(elapsed=elapsed, cpu=cpu, cpu_note="the whole bench process (server + client)")
    return figures


async def _prepare_postgres(database_url: str, warehouse: Path) -> Fixture:
    database = Database(database_url)
    try:
        async with database.write() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await migrate.upgrade(database)
        return await _setup(database, warehouse)
    finally:
        await database.dispose()


async def _postgres_burst(
    args: Any, scratch: Path, llm_url: str, database_url: str, fixture: Fixture
) -> tuple[float, dict[str, Any]]:
    settings = _settings(database_url, scratch / "pg-app", llm_url, workers=0)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        headers = {"Authorization": f"Bearer {fixture.token}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=headers, timeout=60
        ) as http:
            burst = Burst(http, app.state.database, fixture)
            elapsed = await burst.run(args.jobs, args.conversations, args.deadline)
        return elapsed, await _figures(app.state.database, burst.submitted)


def run_postgres(
    args: Any, scratch: Path, warehouse: Path, llm_url: str, database_url: str
) -> dict[str, Any]:
    fixture = asyncio.run(_prepare_postgres(database_url, warehouse))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env.update(
        PARLEY_DATABASE_URL=database_url,
        PARLEY_HOME=str(scratch / "pg-home"),
        PARLEY_LOG_LEVEL="WARNING",
        PARLEY_NOW=NOW.isoformat(),
        **_llm_env(llm_url),
    )
    logs = [(scratch / f"worker-{i}.log").open("w") for i in range(2)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "parley", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        for log in logs
    ]
    try:
        time.sleep(3)  # the workers' imports and first look at the queue
        cpu_before = sum(_cpu_seconds(w.pid) for w in workers)
        elapsed, figures = asyncio.run(
            _postgres_burst(args, scratch, llm_url, database_url, fixture)
        )
        cpu = sum(_cpu_seconds(w.pid) for w in workers) - cpu_before
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        for log in logs:
            log.close()
    figures.update(elapsed=elapsed, cpu=cpu, cpu_note="the two worker processes")
    return figures


def _turns(jobs_total: int, conversations: int) -> list[int]:
    """Questions per conversation: the jobs spread as evenly as they go."""
    turns = [jobs_total // conversations] * conversations
    for i in range(jobs_total % conversations):
        turns[i] += 1
    return turns


def _burst(args: Any, *, processes: int, slots: int) -> schedule.Burst:
    """The burst as ``bench/support/schedule.py`` plays it with no overhead."""
    defaults = Settings(_env_file=None)
    fake = Behaviour()
    return schedule.Burst(
        turns=_turns(args.jobs, args.conversations),
        processes=processes,
        slots=slots,
        holds=2 * slots,  # as a worker process with a model does
        latency=args.latency,
        jitter=fake.jitter,
        rate_limited=args.rate_limited,
        retry_after=fake.retry_after,
        server_errors=args.server_errors,
        retry_seconds=defaults.llm_retry_seconds,
        answer_extra=fake.stream_chunks * CHUNK_PAUSE,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--latency", type=float, default=1.5)
    parser.add_argument("--rate-limited", type=float, default=0.05)
    parser.add_argument("--server-errors", type=float, default=0.02)
    parser.add_argument("--deadline", type=float, default=600)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--warehouse", type=Path)
    args = parser.parse_args()
    concurrency = Settings(_env_file=None).llm_concurrency
    results: list[tuple[str, int, dict[str, Any], dict[str, Any]]] = []
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        warehouse = args.warehouse
        if warehouse is None:
            warehouse = scratch / "demo.duckdb"
            build_demo_warehouse(warehouse, date(2026, 11, 26), seed=42)
        runs = [args.only] if args.only else ["sqlite", "postgresql"]
        for name in runs:
            port = free_port()
            fake = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bench.fake_llm",
                    f"--port={port}",
                    f"--latency={args.latency}",
                    f"--rate-limited={args.rate_limited}",
                    f"--server-errors={args.server_errors}",
                ]
            )
            try:
                for _ in range(100):
                    try:
                        _stats(port)
                        break
                    except httpx.HTTPError:
                        time.sleep(0.1)
                llm_url = f"http://127.0.0.1:{port}/v1"
                if name == "sqlite":
                    figures = asyncio.run(run_sqlite(args, scratch, warehouse, llm_url))
                    slots = concurrency
                else:
                    cluster = postgres.start(durable=True)
                    try:
                        figures = run_postgres(args, scratch, warehouse, llm_url, cluster.url)
                    finally:
                        cluster.stop()
                    slots = 2 * concurrency
                stats = _stats(port)
            finally:
                fake.terminate()
                fake.wait(timeout=10)
            results.append((name, slots, figures, stats))
            print(json.dumps({"run": name, **figures, "llm": stats}, default=str), file=sys.stderr)
    print(
        "| state database | calls in flight (at most) | jobs | completion | ideal | of ideal "
        "| zero-overhead scheduler: of ideal, mean (p10 to p90) "
        "| own time/job p50 (p90) | queued p50 | lost | duplicated | failed | calls "
        "| 429s / 500s | retries | CPU/job |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, slots, f, stats in results:
        ideal = stats["modelSeconds"] / slots
        best, low, high = schedule.best_share(
            _burst(args, processes=slots // concurrency, slots=concurrency)
        )
        statuses = stats["statuses"]
        failed = ", ".join(f"{k} {v}" for k, v in f["failures"].items()) or "0"
        print(
            f"| {name} | {slots} ({stats['mostInFlight']}) | {args.jobs} | {f['elapsed']:.1f} s "
            f"| {ideal:.1f} s | {100 * ideal / f['elapsed']:.0f}% "
            f"| {100 * best:.0f}% ({100 * low:.0f} to {100 * high:.0f}%) "
            f"| {f['overhead_p50']:.0f} ms ({f['overhead_p90']:.0f} ms) | {f['queued_p50']:.1f} s "
            f"| {f['lost']} | {f['duplicated']} | {failed} | {stats['requests']} "
            f"| {statuses.get('429', 0)} / {statuses.get('500', 0)} | {f['retries']} "
            f"| {1000 * f['cpu'] / args.jobs:.0f} ms |"
        )


if __name__ == "__main__":
    main()
