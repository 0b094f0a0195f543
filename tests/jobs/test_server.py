"""End to end over real processes: ``parley serve`` answering every shared example as
jobs, ``parley ask``, and ``parley worker`` processes killed with SIGKILL mid-job."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bench.support.server import Server, cli, environment, running_server
from parley.assistant.evaluation import expected_rows, judge, load_questions
from parley.assistant.executor import DuckDBWarehouse
from parley.db.database import Database
from parley.tables import jobs, messages
from tests.support.warehouses import NOW, small_warehouse_path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "eval" / "examples.yaml"
JOBS = "/api/v1/ai/jobs"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def home(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home whose demo warehouse is the small test one (first run then skips building)."""
    folder = tmp_path / "home"
    folder.mkdir()
    shutil.copy(small_warehouse_path(tmp_path_factory), folder / "demo.duckdb")
    return folder


def env_for(home: Path, database_url: str, **extra: str) -> dict[str, str]:
    return environment(
        home,
        database_url,
        PARLEY_NOW=NOW.isoformat() + "Z",
        PARLEY_JOB_POLL_INTERVAL="0.05",
        PARLEY_ACCESS_LOG="false",
        **extra,
    )


def ask_job(server: Server, token: str, model: str, prompt: str, conversation: str | None) -> Any:
    body: dict[str, Any] = {"modelId": model, "prompt": prompt}
    if conversation:
        body["conversationId"] = conversation
    ids = httpx.post(server.url + JOBS, json=body, headers=bearer(token)).json()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job = httpx.get(f"{server.url}{JOBS}/{ids['jobId']}", headers=bearer(token)).json()
        if job["state"] in ("COMPLETE", "FAILED", "CANCELLED"):
            return job
        time.sleep(0.02)
    raise AssertionError(f"job {ids['jobId']} did not finish")


def csv_rows(text: str) -> list[tuple[Any, ...]]:
    def value(cell: str) -> Any:
        if cell == "":
            return None
        try:
            return float(cell)
        except ValueError:
            return cell

    rows = list(csv.reader(io.StringIO(text)))[1:]
    return [tuple(value(c) for c in row) for row in rows]


def test_every_shared_example_as_a_job(database_url: str, home: Path) -> None:
    env = env_for(home, database_url)
    warehouse = DuckDBWarehouse(home / "demo.duckdb")
    try:
        with running_server(env) as server:
            creds = server.credentials()
            token, model = creds["personalToken"], creds["modelId"]
            failures = []
            for group in load_questions(EXAMPLES):
                conversation = None
                for question in group:
                    job = ask_job(server, token, model, question.prompt, conversation)
                    conversation = job["conversationId"]
                    assert job["state"] == "COMPLETE", (question.prompt, job)
                    result = httpx.get(
                        f"{server.url}{JOBS}/{job['id']}/result", headers=bearer(token)
                    ).json()
                    data = result["actions"][0]["result"]
                    expected = expected_rows(question, warehouse, NOW)
                    difference = judge(expected, csv_rows(data["csvResult"]))
                    if difference:
                        failures.append(f"{question.prompt}: {difference}")
                    assert data["totalRowCount"] == len(expected)
                if len(group) > 1:
                    thread = httpx.get(
                        f"{server.url}/api/v1/ai/conversations/{conversation}",
                        headers=bearer(token),
                    ).json()
                    assert [m["role"] for m in thread["messages"]] == ["user", "assistant"] * len(
                        group
                    )
            assert failures == []

            asked = cli(env, "ask", "Revenue by region", "--url", server.url, "--token", token)
            assert "North America" in asked.stdout and "users.region" in asked.stdout
            assert "complete" in asked.stderr  # its progress, however brief
    finally:
        warehouse.close()


class WorkerFleet:
    """``parley worker`` processes that the test kills with SIGKILL and replaces."""

    def __init__(self, env: dict[str, str], size: int) -> None:
        self.env = env
        self.processes = [self._start() for _ in range(size)]

    def _start(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "parley", "worker", "--count", "2"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def kill(self, pid: int) -> bool:
        for index, process in enumerate(self.processes):
            if process.pid == pid and process.poll() is None:
                os.kill(pid, signal.SIGKILL)
                process.wait()
                self.processes[index] = self._start()
                return True
        return False

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def fleet_env(database_url: str, home: Path) -> dict[str, str]:
    return env_for(
        home,
        database_url,
        PARLEY_WORKERS="0",
        PARLEY_JOB_LEASE_SECONDS="1",
        PARLEY_JOB_MAX_ATTEMPTS="4",
    )


async def _running_pid(database: Database) -> int | None:
    async with database.read() as conn:
        owner = (
            await conn.execute(
                select(jobs.c.lease_owner)
                .where(jobs.c.state.in_(("EXECUTING", "DELIVERING")))
                .limit(1)
            )
        ).scalar()
    return int(str(owner).split(":")[1]) if owner else None


async def _crash_test(env: dict[str, str], kills: int, jobs_per_kill: int) -> None:
    database = Database(
        env["PARLEY_DATABASE_URL"]
        if "PARLEY_DATABASE_URL" in env
        else f"sqlite+aiosqlite:///{env['PARLEY_HOME']}/parley.db"
    )
    with running_server(env) as server:
        creds = server.credentials()
        token, model = creds["personalToken"], creds["modelId"]
        fleet = WorkerFleet(env, 2)
        submitted: list[str] = []
        killed = 0
        try:
            async with httpx.AsyncClient(base_url=server.url, headers=bearer(token)) as http:
                while killed < kills:
                    for i in range(jobs_per_kill):
                        response = await http.post(
                            JOBS, json={"modelId": model, "prompt": f"Revenue by region {i}"}
                        )
                        submitted.append(response.json()["jobId"])
                    deadline = time.monotonic() + 30
                    while time.monotonic() < deadline:
                        pid = await _running_pid(database)
                        if pid is not None and fleet.kill(pid):
                            killed += 1
                            break
                        await asyncio.sleep(0.002)
                deadline = time.monotonic() + 120
                states: dict[str, str] = {}
                while time.monotonic() < deadline:
                    states = {j: (await http.get(f"{JOBS}/{j}")).json()["state"] for j in submitted}
                    if all(s in ("COMPLETE", "FAILED") for s in states.values()):
                        break
                    await asyncio.sleep(0.2)
        finally:
            fleet.stop()
        assert killed == kills
        assert all(s in ("COMPLETE", "FAILED") for s in states.values()), states
        async with database.read() as conn:
            per_job = (
                await conn.execute(
                    select(messages.c.job_id, messages.c.role, func.count()).group_by(
                        messages.c.job_id, messages.c.role
                    )
                )
            ).all()
            retried = (
                await conn.execute(select(func.count()).where(jobs.c.attempts > 1))
            ).scalar_one()
        await database.dispose()
        counts = {(str(job), role): n for job, role, n in per_job}
        for job_id in submitted:
            assert counts.get((job_id, "user")) == 1, job_id
            assert counts.get((job_id, "assistant")) == 1, job_id
        assert sum(counts.values()) == 2 * len(submitted)
        assert retried >= 1  # the kills really landed mid-job


def test_killed_workers_lose_and_duplicate_nothing(fleet_env: dict[str, str]) -> None:
    asyncio.run(_crash_test(fleet_env, kills=3, jobs_per_kill=4))


@pytest.mark.soak
def test_fifty_worker_kills(fleet_env: dict[str, str]) -> None:
    asyncio.run(_crash_test(fleet_env, kills=50, jobs_per_kill=3))


def test_a_separate_worker_is_woken_by_the_submit(
    backend: str, database_url: str, home: Path, tmp_path: Path
) -> None:
    """On PostgreSQL a `parley worker` process hears of a submit at once (LISTEN/NOTIFY):
    with a poll interval of a minute, the job still completes in seconds."""
    if backend != "postgresql":
        pytest.skip("SQLite has no notices; its workers poll")
    env = env_for(home, database_url, PARLEY_WORKERS="0")
    worker_log = tmp_path / "worker.log"
    with running_server(env) as server, worker_log.open("w") as log_file:
        creds = server.credentials()
        worker = subprocess.Popen(
            [sys.executable, "-m", "parley", "worker", "--count", "1"],
            env={**env, "PARLEY_JOB_POLL_INTERVAL": "60"},
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
        try:
            deadline = time.monotonic() + 60
            while "listening for job notices" not in worker_log.read_text():
                assert worker.poll() is None, worker_log.read_text()
                assert time.monotonic() < deadline, "the worker never started listening"
                time.sleep(0.1)
            # Past the worker's first look for work: from here on only a notice wakes it.
            time.sleep(1)
            started = time.monotonic()
            job = ask_job(
                server, creds["personalToken"], creds["modelId"], "Revenue by region", None
            )
            assert job["state"] == "COMPLETE", job
            assert time.monotonic() - started < 15
        finally:
            worker.terminate()
            worker.wait(timeout=20)
