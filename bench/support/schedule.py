"""What a scheduler with no overhead at all would make of the LLM burst: the reference
that ``bench/llm_jobs.py`` sets Parley's completion beside.

The "ideal" (the model's time divided by the calls allowed in flight) assumes every
slot busy from the first moment to the last. The burst cannot be run so, whoever runs
it: a job's two calls follow each other, a conversation's jobs follow each other, and
a 429 or a 500 puts a call back by its backoff. Near the end fewer calls are left than
there are slots. This module plays the same burst (conversations, turns, latencies
drawn from the fake endpoint's distribution, its shares of 429s and 500s, the same
backoffs, a process's slots and how many jobs it holds) as a discrete-event
simulation in which nothing but the model takes time, many times over, and reports the
share of the ideal it reached.
"""

from __future__ import annotations

import heapq
import random
import statistics
from dataclasses import dataclass, field
from typing import Literal

CALLS_PER_JOB = 2  # a plan, then a written answer


@dataclass(frozen=True)
class Burst:
    turns: list[int]  # questions asked in turn, per conversation
    processes: int
    slots: int  # calls in flight per process
    holds: int  # jobs a process holds at once
    latency: float
    jitter: float
    rate_limited: float
    retry_after: float
    server_errors: float
    retry_seconds: float
    answer_extra: float = 0.0  # a streamed answer's pauses between chunks


@dataclass(order=True)
class _Event:
    at: float
    order: int
    kind: Literal["submit", "ask", "failed", "answered"] = field(compare=False)
    job: _Job = field(compare=False)


@dataclass
class _Job:
    conversation: int
    call: int = 0
    failures: int = 0  # of the current call
    backoff: float = 0.0  # before the current call is tried again
    process: int = -1


def _play(burst: Burst, rng: random.Random) -> float:
    """One burst; the share of the ideal it reached."""
    events: list[_Event] = []
    order = 0
    free = [burst.slots] * burst.processes
    held = [0] * burst.processes
    waiting: list[list[_Job]] = [[] for _ in range(burst.processes)]
    queue: list[_Job] = []
    left = list(burst.turns)
    model_seconds = 0.0
    end = 0.0

    def push(at: float, kind: Literal["submit", "ask", "failed", "answered"], job: _Job) -> None:
        nonlocal order
        order += 1
        heapq.heappush(events, _Event(at, order, kind, job))

    def start(now: float, job: _Job) -> None:
        nonlocal model_seconds
        draw = rng.random()
        if draw < burst.rate_limited:
            job.backoff = burst.retry_after  # as the 429's Retry-After says
            push(now, "failed", job)
        elif draw < burst.rate_limited + burst.server_errors:
            ceiling = burst.retry_seconds * 2**job.failures  # as the gateway backs off
            job.backoff = rng.uniform(ceiling / 2, ceiling)
            push(now, "failed", job)
        else:
            took = rng.lognormvariate(0, burst.jitter) * burst.latency
            if job.call == CALLS_PER_JOB - 1:
                took += burst.answer_extra
            model_seconds += took
            push(now + took, "answered", job)

    def ask(now: float, job: _Job) -> None:
        if free[job.process]:
            free[job.process] -= 1
            start(now, job)
        else:
            waiting[job.process].append(job)

    def release(now: float, process: int) -> None:
        if waiting[process]:
            start(now, waiting[process].pop(0))
        else:
            free[process] += 1

    def claim(now: float) -> None:
        while queue:
            process = min(range(burst.processes), key=lambda p: held[p])
            if held[process] >= burst.holds:
                return
            job = queue.pop(0)
            job.process = process
            held[process] += 1
            ask(now, job)

    for conversation in range(len(burst.turns)):
        push(0.0, "submit", _Job(conversation))
    while events:
        event = heapq.heappop(events)
        now, job = event.at, event.job
        if event.kind == "submit":
            queue.append(job)
            claim(now)
        elif event.kind == "ask":
            ask(now, job)
        elif event.kind == "failed":
            release(now, job.process)
            job.failures += 1
            push(now + job.backoff, "ask", job)
        else:
            release(now, job.process)
            job.call, job.failures = job.call + 1, 0
            if job.call < CALLS_PER_JOB:
                ask(now, job)
                continue
            end = max(end, now)
            held[job.process] -= 1
            left[job.conversation] -= 1
            if left[job.conversation]:
                queue.append(_Job(job.conversation))
            claim(now)
    ideal = model_seconds / (burst.slots * burst.processes)
    return ideal / end


def best_share(burst: Burst, *, runs: int = 200, seed: int = 7) -> tuple[float, float, float]:
    """Mean, 10th and 90th percentile of the share of the ideal reached over ``runs``
    simulated bursts."""
    rng = random.Random(seed)
    shares = sorted(_play(burst, rng) for _ in range(runs))
    return statistics.fmean(shares), shares[runs // 10], shares[runs * 9 // 10]
