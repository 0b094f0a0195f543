"""Workers: claim a job, run the assistant on it iteration by iteration, finish it.

A claim is a lease with a fresh token; a heartbeat renews it while the (blocking)
assistant runs on a thread. Every write a worker makes checks it still holds the lease,
so a worker that stalled past its lease and was taken over can never write twice. The
same code runs in the server (``PARLEY_WORKERS``) and in ``parley worker`` processes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import anyio

from parley.assistant.compiler import compile_query
from parley.assistant.executor import QueryResult, QueryTimeout, WarehouseError
from parley.assistant.planner import CannotAnswer, Plan
from parley.assistant.query import QueryError
from parley.assistant.runtime import Runtimes
from parley.config import Settings
from parley.db import Database
from parley.errors import NotFound
from parley.jobs import repository, results, states
from parley.jobs.signals import Pulse
from parley.jobs.webhooks import Sender
from parley.kit import clock
from parley.kit.timestamps import to_wire
from parley.models.service import WarehouseUnavailable, runtime_for

log = logging.getLogger("parley.jobs")
Step = Literal["go", "stop"]


class JobFailed(Exception):
    def __init__(self, message: str, code: str, detail: str = "") -> None:
        super().__init__(message)
        self.error = {"message": message, "code": code, "detail": detail}


@dataclass
class Claim:
    job: Any
    lease: str


def worker_name(index: int) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{index}"


class Workers:
    """``count`` job workers and one webhook sender, until ``stop()`` (or cancelled)."""

    def __init__(
        self,
        database: Database,
        runtimes: Runtimes,
        settings: Settings,
        *,
        count: int,
        wakeup: Pulse | None = None,
        changes: Pulse | None = None,
    ) -> None:
        self.database = database
        self.runtimes = runtimes
        self.settings = settings
        self.count = count
        self.wakeup = wakeup or Pulse()
        self.changes = changes or Pulse()
        self.sender = Sender(database, settings)
        self.stopping = False

    def stop(self) -> None:
        """Ask every loop to end at its next idle moment; a job being run is finished
        first. Ending this way, rather than by cancellation, returns every database
        connection cleanly."""
        self.stopping = True
        self.sender.stopping = True
        self.wakeup.fire()
        self.sender.wakeup.fire()

    async def run(self) -> None:
        async with anyio.create_task_group() as group:
            for index in range(self.count):
                group.start_soon(self._loop, index)
            group.start_soon(self.sender.run)

    async def _loop(self, index: int) -> None:
        name = worker_name(index)
        while not self.stopping:
            ticket = self.wakeup.ticket()
            try:
                claim = await self.claim(name)
            except Exception:  # the database may be briefly away; keep the worker alive
                log.exception("claiming a job failed")
                claim = None
            if claim is None:
                await Pulse.wait(ticket, self.settings.job_poll_interval)
                continue
            await self.run_claim(claim)

    def _lease_until(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.settings.job_lease_seconds)

    async def claim(self, name: str) -> Claim | None:
        now = clock.utcnow()
        async with self.database.read() as conn:
            if not await repository.work_waiting(conn, now=now):
                return None
        lease = f"{name}:{uuid.uuid4().hex[:12]}"
        async with self.database.write() as conn:
            for job in await repository.exhausted(
                conn, now=now, max_attempts=self.settings.job_max_attempts
            ):
                await states.fail(
                    conn,
                    job,
                    {
                        "message": f"The job was interrupted {job.attempts} times (its worker "
                        "stopped responding) and was given up.",
                        "code": "WORKER_LOST",
                    },
                    now=now,
                    webhook_attempts=self.settings.webhook_max_attempts,
                )
            job = await repository.claim(
                conn,
                lease=lease,
                now=now,
                expires=self._lease_until(now),
                max_attempts=self.settings.job_max_attempts,
            )
        if job is None:
            return None
        return Claim(job, lease)

    async def run_claim(self, claim: Claim) -> None:
        """Run a claimed job to a final state (or until its lease is lost)."""
        async with anyio.create_task_group() as group:
            group.start_soon(self._heartbeat, claim)
            try:
                await self._run(claim)
            except Exception as error:
                log.exception("job %s crashed", claim.job.id)
                with contextlib.suppress(Exception):
                    await self._fail(
                        claim,
                        JobFailed(
                            "The assistant ran into an unexpected error.",
                            "INTERNAL",
                            type(error).__name__,
                        ),
                    )
            finally:
                group.cancel_scope.cancel()
                self.changes.fire()

    async def _heartbeat(self, claim: Claim) -> None:
        every = self.settings.job_lease_seconds / 3
        while True:
            await anyio.sleep(every)
            with contextlib.suppress(Exception):
                async with self.database.write() as conn:
                    expires = self._lease_until(clock.utcnow())
                    if not await repository.renew(conn, claim.job.id, claim.lease, expires):
                        return

    async def _mine(self, conn: Any, claim: Claim, state: str) -> Any | None:
        job = await repository.lock(conn, claim.job.id)
        if job is None or job.lease_owner != claim.lease or job.state != state:
            return None
        return job

    async def _step(self, claim: Claim, iteration: int, message: str) -> Step:
        """Report progress; stop if the lease is gone or a cancel was asked for."""
        now = clock.utcnow()
        async with self.database.write() as conn:
            job = await self._mine(conn, claim, "EXECUTING")
            if job is None:
                return "stop"
            if job.cancel_requested:
                await states.cancel(
                    conn, job, now=now, by=None, webhook_attempts=self.settings.webhook_max_attempts
                )
                return "stop"
            values: dict[str, Any] = {
                "progress": {"iteration": iteration, "message": message, "updatedAt": to_wire(now)},
                "updated_at": now,
                "lease_expires_at": self._lease_until(now),
            }
            if job.execution_started_at is None:
                values["execution_started_at"] = now
            await repository.set_values(conn, job.id, **values)
            await states.queue_webhook(
                conn,
                job,
                state="EXECUTING",
                now=now,
                summary=message,
                max_attempts=1,
                progress=True,
            )
        self.changes.fire()
        return "go"

    async def _run(self, claim: Claim) -> None:
        job = claim.job
        if job.state == "DELIVERING" and job.result:
            await self._complete(claim, dict(job.result))
            return
        if await self._step(claim, 1, "Reading the question") == "stop":
            return
        try:
            body = await self._answer(claim)
        except JobFailed as failure:
            await self._fail(claim, failure)
            return
        if body is None:
            return
        await self._complete(claim, body)

    async def _answer(self, claim: Claim) -> dict[str, Any] | None:
        job, settings = claim.job, self.settings
        async with self.database.read() as conn:
            try:
                runtime = await runtime_for(conn, self.runtimes, job.organization_id, job.model_id)
            except NotFound as error:
                raise JobFailed("The job's semantic model no longer exists.", "NO_MODEL") from error
            except WarehouseUnavailable as error:
                raise JobFailed(
                    "The warehouse could not be opened.", "WAREHOUSE_ERROR", error.detail
                ) from error
            previous = results.stored_query(
                await repository.previous_result(conn, job.conversation_id, job.created_at)
            )
        now = settings.now or clock.utcnow()
        outcome = await anyio.to_thread.run_sync(
            lambda: runtime.planner.plan(
                job.prompt, topic=job.topic_name, previous=previous, now=now
            )
        )
        if isinstance(outcome, CannotAnswer):
            detail = ""
            if outcome.suggestions:
                detail = "Questions I can answer look like: " + "; ".join(outcome.suggestions)
            raise JobFailed(outcome.message, "CANNOT_ANSWER", detail)
        assert isinstance(outcome, Plan)
        if await self._step(claim, 2, f"Running the query on {outcome.topic}") == "stop":
            return None
        try:
            compiled = compile_query(outcome.query, runtime.model, runtime.warehouse.dialect)
        except QueryError as error:
            raise JobFailed(str(error), "INVALID_QUERY") from error
        try:
            table: QueryResult = await anyio.to_thread.run_sync(
                lambda: runtime.warehouse.execute(
                    compiled, row_cap=settings.query_row_cap, timeout=settings.query_timeout
                )
            )
        except QueryTimeout as error:
            raise JobFailed(str(error), "QUERY_TIMEOUT") from error
        except WarehouseError as error:
            raise JobFailed(
                "The warehouse could not run the query.", "WAREHOUSE_ERROR", str(error)
            ) from error
        if await self._step(claim, 3, "Writing the answer") == "stop":
            return None
        body = results.answer_body(
            runtime.model, job.prompt, outcome.query, outcome.topic, table, clock.utcnow()
        )
        # DELIVERING keeps the answer in the row: a worker taking over only finishes it.
        async with self.database.write() as conn:
            current = await self._mine(conn, claim, "EXECUTING")
            if current is None:
                return None
            now = clock.utcnow()
            if current.cancel_requested:
                await states.cancel(
                    conn, current, now=now, by=None, webhook_attempts=settings.webhook_max_attempts
                )
                return None
            await repository.set_values(
                conn,
                job.id,
                state="DELIVERING",
                result=body,
                topic_name=outcome.topic,
                progress=None,
                updated_at=now,
            )
        self.changes.fire()
        return body

    async def _complete(self, claim: Claim, body: dict[str, Any]) -> None:
        async with self.database.write() as conn:
            job = await self._mine(conn, claim, "DELIVERING")
            if job is not None:
                await states.complete(
                    conn,
                    job,
                    body,
                    now=clock.utcnow(),
                    webhook_attempts=self.settings.webhook_max_attempts,
                )
        self.sender.wakeup.fire()

    async def _fail(self, claim: Claim, failure: JobFailed) -> None:
        async with self.database.write() as conn:
            job = await repository.lock(conn, claim.job.id)
            if job is None or job.lease_owner != claim.lease or job.state not in repository.RUNNING:
                return
            await states.fail(
                conn,
                job,
                failure.error,
                now=clock.utcnow(),
                webhook_attempts=self.settings.webhook_max_attempts,
            )
        self.sender.wakeup.fire()
