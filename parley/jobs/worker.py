"""Workers: claim jobs, run the assistant on each, iteration by iteration, finish them.

A claim is a lease with a fresh token; a heartbeat renews it while the job runs. Every
write a worker makes checks it still holds the lease, so a worker that stalled past its
lease and was taken over can never write twice. The same code runs in the server
(``PARLEY_WORKERS``) and in ``parley worker`` processes.

One dispatcher per process claims jobs while it has room for them: ``PARLEY_WORKERS``
jobs at a time without a language model; with one, up to twice
``PARLEY_LLM_CONCURRENCY``, since a job waiting on the model costs a coroutine, not a
thread. The blocking parts
(planning without a model, compiling and running warehouse queries) share a pool of
``PARLEY_WORKERS`` threads, so many waiting jobs never crowd out the CPU work.

With a model, a job is an analyst's loop: plan, validate, run; after a warehouse error
or an empty result the model sees what happened and may correct its query (at most
``PARLEY_LLM_ITERATIONS`` rounds). Then the model writes the answer from the rows; the
answer is kept only if every number in it comes from them.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Literal, TypeVar

import anyio
from anyio.abc import TaskGroup
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.assistant import service
from parley.assistant.compiler import compile_query
from parley.assistant.executor import QueryResult, QueryTimeout, WarehouseError
from parley.assistant.planner import CannotAnswer, Plan
from parley.assistant.planning.readback import sentence
from parley.assistant.query import QueryError, SemanticQuery
from parley.assistant.runtime import ModelRuntime, Runtimes
from parley.config import Settings
from parley.db.database import Database
from parley.jobs import attachments, repository, results, states
from parley.jobs.records import RUNNING, Job, JobState
from parley.jobs.signals import Pulse
from parley.jobs.webhooks import Sender
from parley.kit import clock
from parley.kit.backoff import Backoff, describe
from parley.kit.timestamps import to_wire
from parley.llm import usage
from parley.llm.gateway import Gateway, LLMRefused, LLMUnavailable, Tally
from parley.llm.numbers import unsupported_numbers
from parley.llm.planner import LLMPlanner, PlanSession
from parley.llm.writer import write_answer
from parley.metrics import Metrics
from parley.models import repository as models_repository
from parley.models.records import Model
from parley.models.service import WarehouseUnavailable, open_runtime, warehouse_url

log = logging.getLogger("parley.jobs")
Step = Literal["go", "stop"]
T = TypeVar("T")

# How often the process looks for cancel requests of the jobs it runs.
CANCEL_POLL_SECONDS = 0.5
# Least time between two writes of an answer being streamed into a job's progress.
DRAFT_EVERY_SECONDS = 0.5
# A progress step is written this long after it is taken, by the job's progress writer,
# not by the job itself; steps that follow each other faster are written once, as the
# latest. Steps taken before a model call are thus written while the model works.
PROGRESS_SETTLE_SECONDS = 0.1
FIRST_STEP = "Reading the question"
EXHAUSTED_LOOK_SECONDS = 1.0
EMPTY_FEEDBACK = (
    "The query ran and returned no rows. If no rows is the right answer to the question, "
    "call semantic_query again with the same query; otherwise correct it (check filter "
    "values and date ranges)."
)


class JobFailed(Exception):
    def __init__(self, message: str, code: str, detail: str = "") -> None:
        super().__init__(message)
        self.error = {"message": message, "code": code, "detail": detail}


class Stopped(Exception):
    """The job was cancelled, or its lease lost: nothing more is written for it."""


@dataclass(frozen=True, slots=True)
class Inputs:
    """What a job reads before it plans, read in its claim's transaction: one
    transaction less on every job's path."""

    model: Model | None
    # The warehouse's URL, or why it cannot be had (a connection's key missing).
    url: str
    url_error: str | None
    previous: SemanticQuery | None
    unread: list[dict[str, Any]]
    images: list[attachments.Attachment]


@dataclass
class Claim:
    job: Job
    lease: str
    inputs: Inputs
    # Read once per claim, so progress steps of jobs without progress webhooks (most)
    # skip the outbox entirely.
    progress_webhook: bool = False
    # Whether the job has a webhook at all (written with the job, never later).
    webhook: bool = True
    tally: Tally = field(default_factory=Tally)
    iteration: int = 1
    # Set by the cancel watcher; the scope around a model call it may cut short.
    cancel_asked: bool = False
    scope: anyio.CancelScope | None = None
    deadline: float = float("inf")
    last_draft: float = 0.0
    # Calls of ``tally`` whose usage is committed to the state database.
    recorded: int = 0
    # The latest progress step (message, draft) not yet written, and the progress
    # writer's wake-up call.
    pending: tuple[str, str | None] | None = None
    wake: anyio.Event = field(default_factory=anyio.Event)
    # A progress write found the job no longer this worker's (lease lost, cancelled):
    # the job stops at its next step or model call.
    stopped: bool = False


def worker_name(index: int) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{index}"


class Workers:
    """Jobs of the queue, ``count`` CPU threads for them and one webhook sender, until
    ``stop()`` (or cancelled)."""

    def __init__(
        self,
        database: Database,
        runtimes: Runtimes,
        settings: Settings,
        *,
        count: int,
        wakeup: Pulse | None = None,
        changes: Pulse | None = None,
        metrics: Metrics | None = None,
        gateway: Gateway | None = None,
    ) -> None:
        self.database = database
        self.runtimes = runtimes
        self.settings = settings
        self.count = count
        self.wakeup = wakeup or Pulse()
        self.changes = changes or Pulse()
        self.sender = Sender(database, settings)
        self.stopping = False
        self.metrics = metrics
        self._own_gateway = gateway is None and bool(settings.llm_base_url and settings.llm_model)
        if self._own_gateway:
            gateway = Gateway(settings, metrics=metrics)
        self.gateway = gateway
        # Jobs held at once. A job waiting on the model holds no thread, so with a model
        # a process takes twice as many jobs as it has calls in flight: the calls stay
        # busy while some jobs are between two of them (running a query, backing off).
        self.capacity = max(count, 2 * settings.llm_concurrency) if gateway else count
        self.cpu = anyio.CapacityLimiter(count)
        self.running: dict[uuid.UUID, Claim] = {}
        self._claimed_last = False
        self._next_exhausted_look = 0.0

    def stop(self) -> None:
        """Ask every loop to end at its next idle moment; jobs being run are finished
        first. Ending this way, rather than by cancellation, returns every database
        connection cleanly."""
        self.stopping = True
        self.sender.stopping = True
        self.wakeup.fire()
        self.sender.wakeup.fire()

    async def run(self) -> None:
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._dispatch, group)
                group.start_soon(self._watch_cancels)
                group.start_soon(self.sender.run)
        finally:
            if self.gateway is not None and self._own_gateway:
                with anyio.CancelScope(shield=True):
                    await self.gateway.aclose()

    async def _dispatch(self, group: TaskGroup) -> None:
        """Claim a job whenever there is room for one; run each in its own task."""
        name = worker_name(0)
        room = anyio.Semaphore(self.capacity)
        # A submit wakes the dispatcher at once even while it backs off, so the cap only
        # bounds how long queued work may wait after an outage.
        backoff = Backoff(log, "claiming a job", base=self.settings.job_poll_interval, cap=10.0)
        while not self.stopping:
            await room.acquire()
            if self.stopping:
                room.release()
                break
            ticket = self.wakeup.ticket()
            try:
                claim = await self.claim(name)
            except Exception as error:  # the database may be away; keep the worker alive
                room.release()
                await Pulse.wait(ticket, backoff.failed(error))
                continue
            backoff.succeeded()
            if claim is None:
                room.release()
                await Pulse.wait(ticket, self.settings.job_poll_interval)
                continue
            group.start_soon(self._hold, claim, room)

    async def _hold(self, claim: Claim, room: anyio.Semaphore) -> None:
        try:
            await self.run_claim(claim)
        finally:
            room.release()

    async def _watch_cancels(self) -> None:
        """Cut short the model calls of jobs whose cancel was asked for (by any replica)."""
        while not (self.stopping and not self.running):
            await anyio.sleep(CANCEL_POLL_SECONDS)
            if not self.running:
                continue
            try:
                async with self.database.read() as conn:
                    asked = await repository.cancel_requested(conn, list(self.running))
            except Exception:
                log.warning("looking for cancel requests failed", exc_info=True)
                continue
            for job_id in asked:
                claim = self.running.get(job_id)
                if claim is not None and not claim.cancel_asked:
                    claim.cancel_asked = True
                    if claim.scope is not None:
                        claim.scope.cancel()

    def _lease_until(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.settings.job_lease_seconds)

    async def claim(self, name: str) -> Claim | None:
        # The read that spares an idle worker a write transaction is skipped while
        # claims find jobs: in a burst it would only find what the claim finds.
        if not self._claimed_last:
            async with self.database.read() as conn:
                if not await repository.work_waiting(conn, now=clock.utcnow()):
                    return None
        while True:
            claim = await self._claim(name)
            if claim != "cancelled":
                break
            # A job taken over only to be cancelled: its webhook is due now, and the
            # queue may hold work, so the claim looks again at once.
            self.sender.wakeup.fire()
        self._claimed_last = claim is not None
        return claim

    async def _claim(self, name: str) -> Claim | Literal["cancelled"] | None:
        lease = f"{name}:{uuid.uuid4().hex[:12]}"
        async with self.database.write() as conn:
            # Read once the write has its turn: leases are measured from the claim, and
            # so is the job's start.
            now = clock.utcnow()
            # Jobs out of retries are looked for at most once a second per process, not
            # at every claim: their leases ran out long before.
            look = time.monotonic() >= self._next_exhausted_look
            if look:
                self._next_exhausted_look = time.monotonic() + EXHAUSTED_LOOK_SECONDS
            lost_jobs = (
                await repository.exhausted(
                    conn, now=now, max_attempts=self.settings.job_max_attempts
                )
                if look
                else []
            )
            for lost in lost_jobs:
                await states.fail(
                    conn,
                    lost,
                    {
                        "message": f"The job was interrupted {lost.attempts} times (its worker "
                        "stopped responding) and was given up.",
                        "code": "WORKER_LOST",
                    },
                    now=now,
                    webhook_attempts=self.settings.webhook_max_attempts,
                )
            # The claim writes the job's first progress step too: one transaction less
            # for every job.
            claimed = await repository.claim(
                conn,
                lease=lease,
                now=now,
                expires=self._lease_until(now),
                max_attempts=self.settings.job_max_attempts,
                progress=_progress(1, FIRST_STEP, now),
            )
            if claimed is None:
                return None
            job, webhook = claimed
            progress_webhook = bool(webhook is not None and webhook.progress)
            cancelled = job.state == JobState.EXECUTING and job.cancel_requested
            if cancelled:
                # Taken over after its worker was lost, with a cancel asked meanwhile.
                await states.cancel(
                    conn, job, now=now, by=None, webhook_attempts=self.settings.webhook_max_attempts
                )
            else:
                if job.state == JobState.EXECUTING and progress_webhook:
                    await states.queue_webhook(
                        conn,
                        job,
                        state=JobState.EXECUTING,
                        now=now,
                        summary=FIRST_STEP,
                        max_attempts=1,
                        progress=True,
                    )
                # What the job reads before planning rides in this transaction (a job
                # taken over only to be delivered reads it too, needlessly but rarely).
                inputs = await self._inputs(conn, job)
        self.changes.fire()
        if cancelled:
            return "cancelled"
        return Claim(
            job, lease, inputs, progress_webhook=progress_webhook, webhook=webhook is not None
        )

    async def _inputs(self, conn: AsyncConnection, job: Job) -> Inputs:
        row = await models_repository.get_model(conn, job.organization_id, job.model_id)
        url, url_error = "", None
        if row is not None:
            try:
                url = await warehouse_url(conn, self.runtimes, row)
            except DBAPIError:
                raise  # the claim is rolled back and the job claimed again
            except Exception as error:  # a connection's key missing or changed: the job's
                url_error = str(error)
        previous = results.stored_query(
            await repository.previous_result(conn, job.conversation_id, job.created_at)
        )
        # Files the planner does not look at are named in the answer. A model that
        # takes images (PARLEY_LLM_IMAGES) is sent them; no planner reads PDFs.
        unread = await attachments.of_job(conn, job.id)
        images = []
        if (
            self.settings.llm_images
            and self.gateway is not None
            and any(map(attachments.is_image, unread))
        ):
            images = await attachments.images_of(conn, job.id)
        return Inputs(row, url, url_error, previous, unread, images)

    async def run_claim(self, claim: Claim) -> None:
        """Run a claimed job to a final state (or until its lease is lost)."""
        claim.deadline = anyio.current_time() + self.settings.llm_job_timeout
        self.running[claim.job.id] = claim
        async with anyio.create_task_group() as group:
            group.start_soon(self._heartbeat, claim)
            group.start_soon(self._write_progress, claim)
            try:
                await self._run(claim)
            except Stopped:
                pass
            except Exception as error:
                log.exception("job %s crashed", claim.job.id)
                try:
                    await self._fail(
                        claim,
                        JobFailed(
                            "The assistant ran into an unexpected error.",
                            "INTERNAL",
                            type(error).__name__,
                        ),
                    )
                except Exception:
                    # The lease runs out and the job is claimed again or ends WORKER_LOST.
                    log.exception("job %s: its failure could not be stored", claim.job.id)
            finally:
                self.running.pop(claim.job.id, None)
                group.cancel_scope.cancel()
                self.changes.fire()

    async def _heartbeat(self, claim: Claim) -> None:
        every = self.settings.job_lease_seconds / 3
        while True:
            await anyio.sleep(every)
            try:
                async with self.database.one_statement() as conn:
                    expires = self._lease_until(clock.utcnow())
                    if not await repository.renew(conn, claim.job.id, claim.lease, expires):
                        return
            except Exception as error:
                # One missed renewal is not fatal (the lease outlasts three heartbeats): one
                # line, no traceback, as the polling loops log an unreachable database.
                log.warning("job %s: lease renewal failed: %s", claim.job.id, describe(error))

    async def _mine(self, conn: AsyncConnection, claim: Claim, state: JobState) -> Job | None:
        job = await repository.lock(conn, claim.job.id)
        if job is None or job.lease_owner != claim.lease or job.state != state:
            return None
        return job

    async def _step(self, claim: Claim, message: str, *, draft: str | None = None) -> Step:
        """Report progress; stop if the lease is gone or a cancel was asked for. A
        draft (the answer as the model writes it) is shown, not sent to webhooks."""
        now = clock.utcnow()
        progress = _progress(claim.iteration, message, now, claim.tally.retries, draft)
        # The lease and cancel checks ride in the write itself; only a job found no
        # longer this worker's to change is read, to see why. (The claim set
        # ``executionStartedAt``.)
        values = {
            "progress": progress,
            "updated_at": now,
            "lease_expires_at": self._lease_until(now),
        }
        event = draft is None and claim.progress_webhook
        if not event:
            # Most steps are this one statement: on PostgreSQL its own transaction.
            async with self.database.one_statement() as conn:
                written = await repository.set_if_held(conn, claim.job.id, claim.lease, **values)
            if not written:
                async with self.database.write() as conn:
                    await self._not_held(conn, claim, now)
                return "stop"
            self.changes.fire()
            return "go"
        async with self.database.write() as conn:
            if not await repository.set_if_held(conn, claim.job.id, claim.lease, **values):
                await self._not_held(conn, claim, now)
                return "stop"
            await states.queue_webhook(
                conn,
                claim.job,
                state=JobState.EXECUTING,
                now=now,
                summary=message,
                max_attempts=1,
                progress=True,
            )
        self.changes.fire()
        return "go"

    async def _not_held(self, conn: AsyncConnection, claim: Claim, now: datetime) -> None:
        """A job a guarded write found no longer this worker's to change: cancelled now
        if that is why (a cancel asked for while it ran)."""
        job = await self._mine(conn, claim, JobState.EXECUTING)
        if job is not None and job.cancel_requested:
            await states.cancel(
                conn, job, now=now, by=None, webhook_attempts=self.settings.webhook_max_attempts
            )

    def _show(self, claim: Claim, message: str, *, draft: str | None = None) -> None:
        """A progress step for the progress writer, which writes the latest one
        ``PROGRESS_SETTLE_SECONDS`` later."""
        claim.pending = (message, draft)
        claim.wake.set()

    async def _go(self, claim: Claim, message: str) -> None:
        # A cancel the watcher saw stops the job here, before its next step (a slow
        # warehouse query, say); the deferred step write would find it only later.
        if claim.stopped or claim.cancel_asked:
            raise Stopped
        if claim.progress_webhook:
            # Whoever asked for progress webhooks gets one per step, none merged. A step
            # whose write fails (a busy database) is logged and has no event; the job
            # goes on, as with steps the progress writer writes.
            try:
                step = await self._step(claim, message)
            except Exception as error:
                log.warning(
                    "job %s: could not write its progress: %s", claim.job.id, describe(error)
                )
                return
            if step == "stop":
                raise Stopped
            return
        self._show(claim, message)

    async def _write_progress(self, claim: Claim) -> None:
        """Write a job's progress steps, off its path, one transaction at a time (so
        never out of order); each write checks the lease and cancel requests as a
        step always did, and a job found no longer this worker's stops."""
        while True:
            await claim.wake.wait()
            claim.wake = anyio.Event()
            await anyio.sleep(PROGRESS_SETTLE_SECONDS)
            pending, claim.pending = claim.pending, None
            if pending is None:
                continue
            message, draft = pending
            # A write begun is finished, even when the job ends meanwhile: it then
            # finds the job final and changes nothing.
            with anyio.CancelScope(shield=True):
                try:
                    step = await self._step(claim, message, draft=draft)
                except Exception as error:  # the heartbeat keeps the lease; the next step retries
                    log.warning(
                        "job %s: could not write its progress: %s", claim.job.id, describe(error)
                    )
                    continue
            if step == "stop":
                claim.stopped = True
                if claim.scope is not None:
                    claim.scope.cancel()
                return

    async def _run(self, claim: Claim) -> None:
        job = claim.job
        if job.state == JobState.DELIVERING and job.result:
            await self._complete(claim, dict(job.result))
            return
        try:
            body = await self._answer(claim, finish=True)
        except JobFailed as failure:
            await self._fail(claim, failure)
            return
        except Stopped:
            if claim.cancel_asked:
                await self._step(claim, "Stopping")  # marks the job CANCELLED
            await self._settle_usage(claim)
            return
        if body is None:
            await self._settle_usage(claim)
            return
        self.sender.wakeup.fire()

    # -- the model and the thread pool ------------------------------------------------

    async def _model(self, claim: Claim, call: Callable[[], Awaitable[T]]) -> T:
        """A model call that a cancel request or the job's deadline cuts short."""
        if claim.cancel_asked or claim.stopped:
            raise Stopped
        with anyio.CancelScope(deadline=claim.deadline) as scope:
            claim.scope = scope
            try:
                return await call()
            except LLMUnavailable as error:
                raise JobFailed(error.message, error.code, error.detail) from error
            except LLMRefused as error:
                raise JobFailed(error.message, error.code, error.detail) from error
            finally:
                claim.scope = None
        if claim.cancel_asked or claim.stopped:
            raise Stopped
        seconds = self.settings.llm_job_timeout
        raise JobFailed(
            f"The question took longer than {seconds:.0f} seconds to answer and was stopped.",
            "JOB_TIMEOUT",
        )

    async def _on_retry(self, claim: Claim, message: str) -> None:
        await self._go(claim, message)

    async def _thread(self, work: Callable[[], T]) -> T:
        return await anyio.to_thread.run_sync(work, limiter=self.cpu)

    # -- answering --------------------------------------------------------------------

    async def _answer(self, claim: Claim, *, finish: bool = False) -> dict[str, Any] | None:
        """The job's answer, stored (DELIVERING), or None if the job was stopped.
        ``finish``: complete the job in the same transaction."""
        job, settings, inputs = claim.job, self.settings, claim.inputs
        row, previous, unread, images = inputs.model, inputs.previous, inputs.unread, inputs.images
        if row is None:
            raise JobFailed("The job's semantic model no longer exists.", "NO_MODEL")
        if inputs.url_error is not None:
            raise JobFailed(
                "The warehouse could not be opened.", "WAREHOUSE_ERROR", inputs.url_error
            )
        # After the claim's transaction: the first job on a model builds its runtime,
        # which takes a while, and the jobs behind it must not hold connections meanwhile.
        try:
            runtime = await open_runtime(self.runtimes, row, inputs.url)
        except WarehouseUnavailable as error:
            raise JobFailed(
                "The warehouse could not be opened.", "WAREHOUSE_ERROR", error.detail
            ) from error
        now = settings.now or clock.utcnow()
        session: PlanSession | None = None
        reads_images = False
        if self.gateway is not None and isinstance(runtime.planner, LLMPlanner):
            started = runtime.planner.session(
                job.prompt,
                topic=job.topic_name,
                previous=previous,
                now=now,
                images=[attachments.data_url(image) for image in images],
            )
            if isinstance(started, CannotAnswer):
                raise _cannot(started, unread)
            session = started
            if images:
                reads_images = True
                unread = [a for a in unread if not attachments.is_image(a)]
        note = partial(attachments.unread_note, reads_images=reads_images)
        try:
            plan, table = await self._analyse(claim, runtime, session, previous, now)
        except JobFailed as failure:
            if unread and failure.error["code"] == "CANNOT_ANSWER":
                detail = failure.error.get("detail", "") + note(unread)
                failure.error["detail"] = detail.strip()
            raise
        written = None
        if session is not None and settings.llm_write_answers and table.rows:
            written = await self._write(claim, runtime, plan, table)
        else:
            await self._go(claim, "Writing the answer")
        body = results.answer_body(
            runtime.model,
            job.prompt,
            plan.query,
            plan.topic,
            table,
            clock.utcnow(),
            written,
            reading=plan.reading or sentence(runtime.model, plan.query),
        )
        if unread:
            body["message"] += note(unread)
        if session is not None:
            body["usage"] = {
                **claim.tally.to_json(),
                "iterations": claim.iteration,
                "answerWrittenBy": "model" if written else "template",
            }
        # The final state supersedes any step not yet written.
        claim.pending = None
        tried = False
        if finish and not self.database.is_sqlite:
            if await self._complete_at_once(claim, body, plan.topic):
                self.changes.fire()
                return body
            tried = True
        stored: dict[str, Any] | None = None
        # The answer, the job's usage and its final state in one transaction. Without
        # ``finish``, DELIVERING keeps the answer in the row: a worker taking over only
        # finishes it.
        async with self.database.write() as conn:
            recorded = await self._record_usage(conn, claim)
            now = clock.utcnow()
            # Most jobs are still this worker's: the COMPLETE write checks so itself.
            # Otherwise the job is locked and read to see what became of it.
            if (
                finish
                and not tried
                and await states.complete_held(
                    conn,
                    job,
                    claim.lease,
                    body,
                    now=now,
                    webhook_attempts=settings.webhook_max_attempts,
                    topic_name=plan.topic,
                    webhook=claim.webhook,
                )
            ):
                current = None
                stored = body
            else:
                current = await self._mine(conn, claim, JobState.EXECUTING)
            if current is None:
                pass
            elif current.cancel_requested:
                await states.cancel(
                    conn, current, now=now, by=None, webhook_attempts=settings.webhook_max_attempts
                )
            elif finish:
                await states.complete(
                    conn,
                    current,
                    body,
                    now=now,
                    webhook_attempts=settings.webhook_max_attempts,
                    topic_name=plan.topic,
                    webhook=claim.webhook,
                )
                stored = body
            else:
                await repository.set_values(
                    conn,
                    job.id,
                    state=JobState.DELIVERING,
                    result=body,
                    topic_name=plan.topic,
                    progress=None,
                    updated_at=now,
                )
                stored = body
        claim.recorded += recorded
        self.changes.fire()
        return stored

    async def _complete_at_once(
        self, claim: Claim, body: dict[str, Any], topic: str | None
    ) -> bool:
        """On PostgreSQL, a job's end in one round trip: COMPLETE, its answer, its
        conversation, its final webhook and its usage in a single statement (decision
        0018). False when the job is no longer this worker's (a cancel asked for, the
        lease lost); its usage is recorded all the same, and the caller finds out why."""
        now = clock.utcnow()
        spent = self._unrecorded(claim, now)
        async with self.database.one_statement() as conn:
            done = await states.complete_held_at_once(
                conn,
                claim.job,
                claim.lease,
                body,
                now=now,
                webhook_attempts=self.settings.webhook_max_attempts,
                topic_name=topic,
                also=usage.inserts(spent),
            )
        claim.recorded += len(spent)
        return done

    async def _analyse(
        self,
        claim: Claim,
        runtime: ModelRuntime,
        session: PlanSession | None,
        previous: SemanticQuery | None,
        now: datetime,
    ) -> tuple[Plan, QueryResult]:
        """Plan, validate, run; with a model, up to ``llm_iterations`` rounds."""
        job, settings = claim.job, self.settings
        rounds = settings.llm_iterations if session is not None else 1
        empty_before: SemanticQuery | None = None
        for iteration in range(1, rounds + 1):
            claim.iteration = iteration
            last = iteration == rounds
            if session is not None:
                if iteration > 1:
                    await self._go(claim, "Correcting the query")
                outcome = await self._model(claim, partial(self._plan, claim, session))
            else:
                outcome = await self._thread(
                    lambda: runtime.planner.plan(
                        job.prompt, topic=job.topic_name, previous=previous, now=now
                    )
                )
            if isinstance(outcome, CannotAnswer):
                raise _cannot(outcome)
            await self._go(claim, f"Running the query on {outcome.topic}")
            # Any planner's filters must name values the warehouse holds; the model is
            # told which do not, and may correct its query while rounds remain. The
            # check and the query share one trip to the thread pool.
            checked, ran = await self._thread(partial(self._check_and_execute, runtime, outcome))
            if isinstance(checked, CannotAnswer):
                if session is not None and not last:
                    session.feedback(
                        f"{checked.message} Filter only on values that exist; correct the query."
                    )
                    continue
                raise _cannot(checked)
            plan = checked
            try:
                if isinstance(ran, Exception):
                    raise ran
                assert ran is not None
                table = ran
            except QueryError as error:
                if session is None or last:
                    raise JobFailed(str(error), "INVALID_QUERY") from error
                session.feedback(f"The query is not valid: {error}. Correct it.")
                continue
            except QueryTimeout as error:
                raise JobFailed(str(error), "QUERY_TIMEOUT") from error
            except WarehouseError as error:
                if session is None or last:
                    raise JobFailed(
                        "The warehouse could not run the query.", "WAREHOUSE_ERROR", str(error)
                    ) from error
                session.feedback(
                    f"The warehouse could not run the query: {error}. Correct the query."
                )
                continue
            if session is not None and not table.rows and not last and plan.query != empty_before:
                empty_before = plan.query
                session.feedback(EMPTY_FEEDBACK)
                continue
            return plan, table
        raise AssertionError("the last round always returns or raises")

    async def _plan(self, claim: Claim, session: PlanSession) -> Plan | CannotAnswer:
        assert self.gateway is not None
        return await session.plan(
            self.gateway,
            org=claim.job.organization_id,
            tally=claim.tally,
            on_retry=partial(self._on_retry, claim),
        )

    def _check_and_execute(
        self, runtime: ModelRuntime, plan: Plan
    ) -> tuple[Plan | CannotAnswer, QueryResult | Exception | None]:
        """The plan as checked and, if it passed, its rows or the error running it."""
        checked = service.checked(runtime, plan)
        if isinstance(checked, CannotAnswer):
            return checked, None
        try:
            return checked, self._execute(runtime, checked)
        except (QueryError, QueryTimeout, WarehouseError) as error:
            return checked, error

    def _execute(self, runtime: ModelRuntime, plan: Plan) -> QueryResult:
        compiled = compile_query(plan.query, runtime.model, runtime.warehouse.dialect)
        return runtime.warehouse.execute(
            compiled, row_cap=self.settings.query_row_cap, timeout=self.settings.query_timeout
        )

    async def _write(
        self, claim: Claim, runtime: ModelRuntime, plan: Plan, table: QueryResult
    ) -> str | None:
        """The model's answer, when every number in it comes from the rows; else None
        (the template answers). A model that fails here costs the job nothing."""
        await self._go(claim, "Writing the answer")
        gateway = self.gateway
        assert gateway is not None
        job = claim.job

        # A draft is for answers that take a while to write: none in the first moment.
        claim.last_draft = time.monotonic()

        async def on_text(text: str) -> None:
            if claim.stopped:
                raise Stopped
            moment = time.monotonic()
            if moment - claim.last_draft < DRAFT_EVERY_SECONDS:
                return
            claim.last_draft = moment
            self._show(claim, "Writing the answer", draft=text)

        try:
            text = await self._model(
                claim,
                lambda: write_answer(
                    gateway,
                    org=job.organization_id,
                    tally=claim.tally,
                    model=runtime.model,
                    prompt=job.prompt,
                    query=plan.query,
                    result=table,
                    on_text=on_text,
                    on_retry=lambda text: self._on_retry(claim, text),
                ),
            )
        except JobFailed as failure:
            if failure.error["code"] == "JOB_TIMEOUT":
                raise
            log.info("job %s: the model did not write the answer (%s)", job.id, failure)
            if self.metrics is not None:
                self.metrics.llm_answers.labels("template").inc()
            return None
        if not text:
            return None
        wrong = unsupported_numbers(text, table.columns, table.rows, question=job.prompt)
        if wrong:
            log.info("job %s: written answer has numbers not in the rows: %s", job.id, wrong)
            if self.metrics is not None:
                self.metrics.llm_answers.labels("template").inc()
            return None
        if self.metrics is not None:
            self.metrics.llm_answers.labels("model").inc()
        return text

    async def _record_usage(self, conn: AsyncConnection, claim: Claim) -> int:
        """The job's model calls not yet recorded, in the caller's transaction (the
        calls were made, whoever holds the job now). Returns how many: the caller
        counts them as recorded once its transaction has committed, so a rollback
        leaves them for the next write to record."""
        spent = self._unrecorded(claim, clock.utcnow())
        await usage.record(conn, spent)
        return len(spent)

    def _unrecorded(self, claim: Claim, now: datetime) -> list[dict[str, object]]:
        """Usage rows for the job's model calls whose usage is not yet committed."""
        if self.gateway is None:
            return []
        job = claim.job
        return usage.rows(
            claim.tally.calls[claim.recorded :],
            org_id=job.organization_id,
            member_id=job.membership_id,
            job_id=job.id,
            model=self.gateway.model_name,
            now=now,
        )

    async def _settle_usage(self, claim: Claim) -> None:
        """Record what a job stopped on its way (cancelled, lease lost) had spent."""
        if claim.tally.calls[claim.recorded :]:
            with anyio.CancelScope(shield=True):
                async with self.database.write() as conn:
                    recorded = await self._record_usage(conn, claim)
                claim.recorded += recorded

    async def _complete(self, claim: Claim, body: dict[str, Any]) -> None:
        async with self.database.write() as conn:
            job = await self._mine(conn, claim, JobState.DELIVERING)
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
        claim.pending = None
        async with self.database.write() as conn:
            recorded = await self._record_usage(conn, claim)
            job = await repository.lock(conn, claim.job.id)
            if job is not None and job.lease_owner == claim.lease and job.state in RUNNING:
                await states.fail(
                    conn,
                    job,
                    failure.error,
                    now=clock.utcnow(),
                    webhook_attempts=self.settings.webhook_max_attempts,
                )
        claim.recorded += recorded
        self.sender.wakeup.fire()


def _progress(
    iteration: int, message: str, now: datetime, retries: int = 0, draft: str | None = None
) -> dict[str, Any]:
    progress: dict[str, Any] = {
        "iteration": iteration,
        "message": message,
        "updatedAt": to_wire(now),
    }
    if retries:
        progress["retries"] = retries
    if draft is not None:
        progress["draft"] = draft
    return progress


def _cannot(outcome: CannotAnswer, unread: list[Any] | None = None) -> JobFailed:
    detail = service.refusal_detail(outcome)
    if unread:
        detail += attachments.unread_note(unread)
    return JobFailed(outcome.message, "CANNOT_ANSWER", detail.strip())
