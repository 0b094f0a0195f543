"""The gateway against the fake endpoint: retries, Retry-After, the circuit, the slots."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bench.fake_llm import FakeLLM, Hang, Status, Text
from parley.config import Settings
from parley.llm.gateway import Breaker, Gateway, LLMRefused, LLMUnavailable, Tally, retry_after
from parley.llm.slots import FairSlots
from parley.metrics import Metrics

ORG = uuid.uuid4()
MESSAGES = [{"role": "user", "content": "hello"}]


def settings(url: str, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "llm_base_url": url,
        "llm_model": "m",
        "llm_timeout": 5,
        "llm_retry_seconds": 0.01,
        **extra,
    }
    return Settings(_env_file=None, **values)


@pytest.fixture
async def gateway(llm_url: str) -> AsyncIterator[Gateway]:
    subject = Gateway(settings(llm_url), metrics=Metrics())
    yield subject
    await subject.aclose()


def _sample(metrics: Metrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return value or 0.0


async def test_429s_and_500s_are_retried_and_reported(fake_llm: FakeLLM, gateway: Gateway) -> None:
    fake_llm.replies(Status(429, retry_after=0.05), Status(500), Text("fine"))
    said: list[str] = []

    async def on_retry(text: str) -> None:
        said.append(text)

    async def on_text(_text: str) -> None:
        return None

    tally = Tally()
    text = await gateway.stream_text(
        org=ORG,
        purpose="answer",
        tally=tally,
        on_text=on_text,
        on_retry=on_retry,
        messages=MESSAGES,
    )
    assert text == "fine"
    assert len(fake_llm.requests) == 3 and tally.retries == 2 and len(tally.calls) == 1
    # Retry-After is honoured, and the wait is said as it is.
    assert said[0] == "The language model is busy (HTTP 429); trying again in 0.1 s"
    assert said[1].startswith("The language model answered HTTP 500; trying again in")
    assert tally.calls[0].completion_tokens > 0 and tally.calls[0].prompt_tokens > 0
    metrics = gateway.metrics
    assert metrics is not None
    assert _sample(metrics, "parley_llm_retries_total", reason="rate_limited") == 1
    assert _sample(metrics, "parley_llm_retries_total", reason="server_error") == 1
    assert _sample(metrics, "parley_llm_tokens_total", direction="out", organization=str(ORG)) > 0


async def test_a_refusal_is_not_retried(fake_llm: FakeLLM, gateway: Gateway) -> None:
    fake_llm.replies(Status(401))
    with pytest.raises(LLMRefused):
        await gateway.complete(org=ORG, purpose="plan", tally=Tally(), messages=MESSAGES)
    assert len(fake_llm.requests) == 1


async def test_a_slow_call_times_out_and_is_retried(fake_llm: FakeLLM, llm_url: str) -> None:
    fake_llm.replies(Hang(5), Text("late but fine"))
    subject = Gateway(settings(llm_url, llm_timeout=0.3))
    try:
        completion = await subject.complete(
            org=ORG, purpose="plan", tally=Tally(), messages=MESSAGES
        )
    finally:
        await subject.aclose()
    assert completion.choices[0].message.content == "late but fine"


async def test_the_circuit_opens_and_fails_fast(fake_llm: FakeLLM, llm_url: str) -> None:
    fake_llm.behaviour.down = True
    subject = Gateway(
        settings(llm_url, llm_max_retries=2, llm_breaker_failures=3, llm_breaker_seconds=60)
    )
    try:
        with pytest.raises(LLMUnavailable) as first:
            await subject.complete(org=ORG, purpose="plan", tally=Tally(), messages=MESSAGES)
        assert "503" in first.value.detail and "try again" in first.value.message
        assert len(fake_llm.requests) == 3
        # Open: the next job fails without a request, with a message a user understands.
        with pytest.raises(LLMUnavailable) as second:
            await subject.complete(org=ORG, purpose="plan", tally=Tally(), messages=MESSAGES)
        assert len(fake_llm.requests) == 3
        assert second.value.code == "LLM_UNAVAILABLE" and "circuit open" in second.value.detail
    finally:
        await subject.aclose()


def test_the_breaker_lets_one_probe_through_after_its_pause() -> None:
    now = [0.0]
    breaker = Breaker(2, 10, clock=lambda: now[0])
    breaker.failed()
    assert breaker.allow()
    breaker.failed()
    assert not breaker.allow()
    now[0] = 11
    assert breaker.allow() and not breaker.allow()  # one probe only
    breaker.failed()  # the probe failed: open again
    now[0] = 15
    assert not breaker.allow()
    now[0] = 22
    assert breaker.allow()
    breaker.succeeded()
    assert breaker.allow() and breaker.allow()


def test_the_odd_failure_among_answers_keeps_the_circuit_closed() -> None:
    breaker = Breaker(5, 10, clock=lambda: 0.0)
    for _ in range(4):
        breaker.failed()
    for _ in range(200):  # 2% of failures, some back to back
        for _ in range(48):
            breaker.succeeded()
        breaker.failed()
        breaker.failed()
        assert breaker.allow()
    for _ in range(10):  # then the provider goes down
        breaker.failed()
    assert not breaker.allow()


def test_early_errors_of_a_burst_do_not_open_the_circuit() -> None:
    breaker = Breaker(5, 10, clock=lambda: 0.0)
    for _ in range(6):  # errors come back at once; 60 answers are still on their way
        breaker.failed(in_flight=60)
    assert breaker.allow()


def test_retry_after_forms() -> None:
    assert retry_after({"retry-after": "2"}) == 2
    assert retry_after({"retry-after-ms": "150"}) == 0.15
    assert retry_after({"retry-after": "3600"}) == 60  # capped
    assert retry_after({"retry-after": "soon"}) is None
    assert retry_after({}) is None


async def test_a_cancelled_call_is_cut_off_at_the_endpoint(
    fake_llm: FakeLLM, gateway: Gateway
) -> None:
    fake_llm.replies(Hang(30))
    call = asyncio.create_task(
        gateway.complete(org=ORG, purpose="plan", tally=Tally(), messages=MESSAGES)
    )
    for _ in range(500):
        if fake_llm.in_flight:
            break
        await asyncio.sleep(0.01)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    for _ in range(200):
        if fake_llm.cancelled:
            break
        await asyncio.sleep(0.01)
    assert fake_llm.cancelled == 1 and gateway.slots.total == 0


async def test_slots_go_first_to_the_organization_with_fewest_in_flight() -> None:
    slots = FairSlots(2)
    busy, other = uuid.uuid4(), uuid.uuid4()
    await slots.acquire(busy)
    await slots.acquire(busy)
    order: list[str] = []

    async def take(org: uuid.UUID, name: str) -> None:
        await slots.acquire(org)
        order.append(name)

    waiters = [asyncio.create_task(take(busy, f"busy{i}")) for i in range(3)]
    await asyncio.sleep(0)
    waiters.append(asyncio.create_task(take(other, "other")))
    await asyncio.sleep(0)
    assert order == [] and slots.waiting == 4
    slots.release(busy)
    await asyncio.sleep(0)
    assert order == ["other"]  # arrived last, served first: it had nothing in flight
    slots.release(busy)
    await asyncio.sleep(0)
    assert order == ["other", "busy0"]
    for task in waiters:
        task.cancel()
    await asyncio.gather(*waiters, return_exceptions=True)
    assert slots.waiting == 0 and slots.total == 2


async def test_an_organization_cap_holds_even_with_free_slots() -> None:
    slots = FairSlots(4, org_cap=2)
    org = uuid.uuid4()
    await slots.acquire(org)
    await slots.acquire(org)
    third = asyncio.create_task(slots.acquire(org))
    await asyncio.sleep(0.01)
    assert not third.done() and slots.total == 2
    await slots.acquire(uuid.uuid4())  # another organization still gets in
    slots.release(org)
    await asyncio.wait_for(third, 1)
    assert slots.in_flight[org] == 2
