"""Submitting a job over the API, waiting for its final state, and running a job step by
step with a worker the test holds."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI

from parley.jobs.records import FINAL
from parley.jobs.worker import Claim, Workers
from tests.factories import bearer

JOBS = "/api/v1/ai/jobs"


async def submit(
    client: httpx.AsyncClient, token: str, model_id: str, prompt: str, **extra: Any
) -> httpx.Response:
    params = extra.pop("params", None)
    headers = {**bearer(token), **extra.pop("headers", {})}
    return await client.post(
        JOBS, json={"modelId": model_id, "prompt": prompt, **extra}, headers=headers, params=params
    )


async def wait_final(
    client: httpx.AsyncClient, token: str, job_id: str, seconds: float = 20
) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        body: dict[str, Any] = (await client.get(f"{JOBS}/{job_id}", headers=bearer(token))).json()
        if body["state"] in FINAL:
            return body
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"job {job_id} still {body['state']}")
        await asyncio.sleep(0.02)


def hand_worker(app: FastAPI) -> Workers:
    state = app.state
    return Workers(state.database, state.runtimes, state.settings, count=1)


async def claimed(app: FastAPI) -> tuple[Workers, Claim]:
    pool = hand_worker(app)
    claim = await pool.claim("test")
    assert claim is not None
    return pool, claim
