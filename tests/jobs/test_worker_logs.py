"""What a worker logs when the state database fails under a job it holds: each missed
lease renewal in one line, and a failure it could not store with its traceback. The
database is made to fail by moving the jobs table away while the job waits on the
model; nothing is written for the job, which stays EXECUTING until its lease runs out.
A progress step it could not write is one line too, and does not fail the job."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bench.fake_llm import FakeLLM, Hang
from parley.assistant.runtime import Runtimes
from parley.db.database import Database
from parley.jobs.worker import Claim, Step, Workers
from parley.llm.planner import LLMPlanner
from tests.factories import Org, bearer
from tests.support.jobs import JOBS, claimed, submit

pytestmark = pytest.mark.parametrize("workers", [0])


async def test_a_failing_database_is_logged_by_the_heartbeat_and_the_failure_path(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    org: Org,
    model_id: str,
    caplog: pytest.LogCaptureFixture,
    fake_llm: FakeLLM,
) -> None:
    # A heartbeat every 0.1 s; the model call hangs past its 1.5 s timeout, unretried.
    settings = app.state.settings.model_copy(
        update={
            "job_lease_seconds": 0.3,
            "llm_base_url": fake_llm.base_url,
            "llm_model": "fake",
            "llm_timeout": 1.5,
            "llm_max_retries": 0,
        }
    )
    fake_llm.replies(Hang(5))
    runtimes = Runtimes(settings, LLMPlanner)
    pool = Workers(database, runtimes, settings, count=1)
    job_id = (await submit(client, org.owner.token, model_id, "Revenue by region")).json()["jobId"]
    claim = await pool.claim("test")
    assert claim is not None and str(claim.job.id) == job_id
    caplog.set_level(logging.INFO, logger="parley")
    running = asyncio.create_task(pool.run_claim(claim))
    try:
        for _ in range(1000):  # until the job waits on the model, 10 s at most
            if fake_llm.in_flight:
                break
            await asyncio.sleep(0.01)
        assert fake_llm.in_flight
        async with database.write() as conn:
            await conn.execute(text("ALTER TABLE jobs RENAME TO jobs_away"))
        async with asyncio.timeout(10):
            await running
    finally:
        if pool.gateway is not None:
            await pool.gateway.aclose()
        runtimes.close()

    mine = [r for r in caplog.records if r.name == "parley.jobs" and job_id in r.getMessage()]
    renewals = [r for r in mine if "lease renewal failed" in r.getMessage()]
    assert renewals, [r.getMessage() for r in mine]
    assert all(r.levelno == logging.WARNING and r.exc_info is None for r in renewals)
    assert "jobs" in renewals[0].getMessage()  # the database's own words, on the one line
    unstored = [r for r in mine if r.getMessage().endswith("its failure could not be stored")]
    assert len(unstored) == 1 and unstored[0].levelno == logging.ERROR
    assert unstored[0].exc_info is not None

    async with database.write() as conn:
        await conn.execute(text("ALTER TABLE jobs_away RENAME TO jobs"))
    job = (await client.get(f"{JOBS}/{job_id}", headers=bearer(org.owner.token))).json()
    assert job["state"] == "EXECUTING", job


@pytest.mark.parametrize("allowed_networks", ["127.0.0.1/32"])
async def test_a_failed_progress_write_of_a_progress_webhook_job_is_logged_not_fatal(
    app: FastAPI,
    client: httpx.AsyncClient,
    org: Org,
    model_id: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Progress webhooks write each step in line. The first step after the claim finds
    # the database busy; nothing is delivered here (no sender runs), only stored.
    job_id = (
        await submit(
            client,
            org.owner.token,
            model_id,
            "Revenue by region",
            webhookUrl="http://127.0.0.1:9/hook",
            webhookSigningSecret="s3cret",
            progressWebhookEnabled=True,
        )
    ).json()["jobId"]
    pool, claim = await claimed(app)
    assert claim.progress_webhook
    step = pool._step
    failures = [OperationalError("UPDATE jobs", {}, Exception("database is locked"))]

    async def busy_once(claim: Claim, message: str, *, draft: str | None = None) -> Step:
        if failures:
            raise failures.pop()
        return await step(claim, message, draft=draft)

    monkeypatch.setattr(pool, "_step", busy_once)
    caplog.set_level(logging.INFO, logger="parley")
    await pool.run_claim(claim)

    job = (await client.get(f"{JOBS}/{job_id}", headers=bearer(org.owner.token))).json()
    assert job["state"] == "COMPLETE", job
    mine = [r for r in caplog.records if r.name == "parley.jobs" and job_id in r.getMessage()]
    failed = [r for r in mine if "could not write its progress" in r.getMessage()]
    assert len(failed) == 1 and failed[0].levelno == logging.WARNING
    assert failed[0].exc_info is None and "database is locked" in failed[0].getMessage()
