"""Every call to the LLM endpoint goes through one ``Gateway`` per process.

It bounds the calls in flight (``FairSlots``), retries what a retry can fix (429, 5xx,
timeouts, lost connections) with exponential backoff and full jitter or the endpoint's
``Retry-After``, and keeps a circuit breaker so that, while the endpoint is down, jobs
fail at once with a plain message instead of each waiting out its retries. The openai
client's own retries are off: this loop reports each retry to the job (its progress) and
to ``/metrics``, and frees the call's slot while it waits.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio
from openai import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncOpenAI,
    OpenAIError,
)
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from parley.config import Settings
from parley.llm.slots import FairSlots
from parley.metrics import Metrics

log = logging.getLogger("parley.llm")
T = TypeVar("T")
OnRetry = Callable[[str], Awaitable[None]]
OnText = Callable[[str], Awaitable[None]]

MAX_BACKOFF = 30.0
MAX_RETRY_AFTER = 60.0
UNAVAILABLE = (
    "The language model service is not answering right now, so this question could not "
    "be answered. Please try again in a few minutes."
)


class LLMUnavailable(Exception):
    """The endpoint is down (circuit open) or did not answer after every retry."""

    code = "LLM_UNAVAILABLE"

    def __init__(self, detail: str) -> None:
        super().__init__(UNAVAILABLE)
        self.message = UNAVAILABLE
        self.detail = detail


class LLMRefused(Exception):
    """The endpoint answered with an error a retry cannot fix (bad key, unknown model)."""

    code = "LLM_ERROR"

    def __init__(self, detail: str) -> None:
        message = "The language model service refused the request; an administrator should "
        message += "check Parley's LLM settings."
        super().__init__(message)
        self.message = message
        self.detail = detail


@dataclass
class Call:
    purpose: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float


@dataclass
class Tally:
    """What one job (or one generate-query request) spent on the model."""

    calls: list[Call] = field(default_factory=list)
    retries: int = 0
    # Waiting for a slot, the calls themselves and the backoff between retries.
    model_seconds: float = 0.0

    @property
    def prompt_tokens(self) -> int:
        return sum(c.prompt_tokens for c in self.calls)

    @property
    def completion_tokens(self) -> int:
        return sum(c.completion_tokens for c in self.calls)

    def to_json(self) -> dict[str, Any]:
        return {
            "calls": len(self.calls),
            "promptTokens": self.prompt_tokens,
            "completionTokens": self.completion_tokens,
            "retries": self.retries,
            "modelSeconds": round(self.model_seconds, 3),
        }


class Breaker:
    """Closed while most requests succeed. It opens when, among the last ``WINDOW``
    requests and those in flight, at least ``failures`` failed and they are at least
    half: a provider that is down, not the odd 500 among many answers. Open for
    ``seconds``, then one request is let through (half-open) and decides."""

    WINDOW = 20

    def __init__(
        self, failures: int, seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.failures = failures
        self.seconds = seconds
        self.clock = clock
        self.recent: deque[bool] = deque(maxlen=max(self.WINDOW, failures))
        self.opened_at: float | None = None
        self.probing = False

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None

    def allow(self) -> bool:
        if self.opened_at is None:
            return True
        if not self.probing and self.clock() - self.opened_at >= self.seconds:
            self.probing = True
            return True
        return False

    def succeeded(self) -> None:
        self.recent.append(False)
        if self.opened_at is not None:
            self.recent.clear()
        self.opened_at = None
        self.probing = False

    def failed(self, reason: str = "", in_flight: int = 0) -> None:
        """``in_flight``: calls still waiting for an answer. They count as not failed
        yet: at the start of a burst errors come back at once while answers take
        seconds, and a few early errors must not open the circuit."""
        self.recent.append(True)
        failed = sum(self.recent)
        enough = failed >= self.failures and 2 * failed >= len(self.recent) + in_flight
        if self.probing or enough:
            if self.opened_at is None or self.probing:
                log.warning(
                    "LLM endpoint failing (%s); circuit open for %.0f s", reason, self.seconds
                )
            self.opened_at = self.clock()
            self.probing = False


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds the endpoint asked us to wait (``retry-after-ms`` or ``Retry-After``)."""
    if headers is None:
        return None
    try:
        if "retry-after-ms" in headers:
            return min(float(headers["retry-after-ms"]) / 1000, MAX_RETRY_AFTER)
        value = headers.get("retry-after")
        if value is None:
            return None
        try:
            return min(max(float(value), 0.0), MAX_RETRY_AFTER)
        except ValueError:
            when = email.utils.parsedate_to_datetime(value)
            return min(max(when.timestamp() - time.time(), 0.0), MAX_RETRY_AFTER)
    except (TypeError, ValueError):
        return None


def _reason(error: Exception) -> str | None:
    """Why a failed request may be retried, or None when it may not."""
    if isinstance(error, APITimeoutError | TimeoutError):
        return "timeout"
    if isinstance(error, APIConnectionError):
        return "connection"
    if isinstance(error, APIStatusError):
        if error.status_code == 429:
            return "rate_limited"
        if error.status_code >= 500 or error.status_code in (408, 409):
            return "server_error"
    return None


def _describe(reason: str, error: Exception) -> str:
    if reason == "rate_limited":
        return "the language model is busy (HTTP 429)"
    if isinstance(error, APIStatusError):
        return f"the language model answered HTTP {error.status_code}"
    if reason == "timeout":
        return "the language model did not answer in time"
    return "the language model could not be reached"


class Gateway:
    def __init__(
        self,
        settings: Settings,
        *,
        metrics: Metrics | None = None,
        client: AsyncOpenAI | None = None,
    ) -> None:
        assert settings.llm_base_url and settings.llm_model
        self.settings = settings
        self.model_name = settings.llm_model
        self.metrics = metrics
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "unused"
        # Local OpenAI-compatible servers often want no key; the client wants one.
        self.client = client or AsyncOpenAI(
            base_url=settings.llm_base_url,
            api_key=key,
            timeout=settings.llm_timeout,
            max_retries=0,
        )
        cap = max(1, round(settings.llm_concurrency * settings.llm_org_share))
        self.slots = FairSlots(settings.llm_concurrency, cap)
        self.breaker = Breaker(settings.llm_breaker_failures, settings.llm_breaker_seconds)

    async def aclose(self) -> None:
        await self.client.close()

    async def complete(
        self,
        *,
        org: uuid.UUID,
        purpose: str,
        tally: Tally,
        on_retry: OnRetry | None = None,
        **request: Any,
    ) -> ChatCompletion:
        """One chat completion (no streaming), retried as needed."""

        async def attempt() -> tuple[ChatCompletion, int, int]:
            with anyio.fail_after(self.settings.llm_timeout):
                completion: ChatCompletion = await self.client.chat.completions.create(
                    model=self.model_name, **request
                )
            usage = completion.usage
            return (
                completion,
                usage.prompt_tokens if usage else 0,
                usage.completion_tokens if usage else 0,
            )

        return await self._with_retries(org, purpose, tally, on_retry, attempt)

    async def stream_text(
        self,
        *,
        org: uuid.UUID,
        purpose: str,
        tally: Tally,
        on_text: OnText,
        on_retry: OnRetry | None = None,
        **request: Any,
    ) -> str:
        """A streamed text completion: ``on_text`` gets the text so far as it grows.
        A retried stream starts over."""

        async def attempt() -> tuple[str, int, int]:
            parts: list[str] = []
            prompt_tokens = completion_tokens = 0
            stream: AsyncIterator[ChatCompletionChunk] = await self.client.chat.completions.create(
                model=self.model_name,
                stream=True,
                stream_options={"include_usage": True},
                **request,
            )
            async for chunk in stream:
                if chunk.usage is not None:
                    prompt_tokens = chunk.usage.prompt_tokens
                    completion_tokens = chunk.usage.completion_tokens
                for choice in chunk.choices:
                    if choice.delta.content:
                        parts.append(choice.delta.content)
                        await on_text("".join(parts))
            return "".join(parts), prompt_tokens, completion_tokens

        return await self._with_retries(org, purpose, tally, on_retry, attempt)

    async def _with_retries(
        self,
        org: uuid.UUID,
        purpose: str,
        tally: Tally,
        on_retry: OnRetry | None,
        attempt: Callable[[], Awaitable[tuple[T, int, int]]],
    ) -> T:
        metrics = self.metrics
        last = "no attempt was made"
        for retry in range(self.settings.llm_max_retries + 1):
            if not self.breaker.allow():
                if metrics is not None:
                    metrics.llm_calls.labels(purpose, "circuit_open").inc()
                raise LLMUnavailable(f"circuit open after repeated failures ({last})")
            waited = time.perf_counter()
            async with self.slots.hold(org):
                self._gauges()
                started = time.perf_counter()
                try:
                    value, prompt_tokens, completion_tokens = await attempt()
                except (OpenAIError, TimeoutError) as error:
                    error_out: Exception | None = error
                else:
                    error_out = None
                finally:
                    ended = time.perf_counter()
                    tally.model_seconds += ended - waited
            self._gauges()
            if metrics is not None:
                metrics.llm_seconds.labels(purpose).observe(ended - started)
            if error_out is None:
                self.breaker.succeeded()
                self._circuit_gauge()
                tally.calls.append(Call(purpose, prompt_tokens, completion_tokens, ended - started))
                if metrics is not None:
                    metrics.llm_calls.labels(purpose, "ok").inc()
                    metrics.llm_tokens.labels("in", str(org)).inc(prompt_tokens)
                    metrics.llm_tokens.labels("out", str(org)).inc(completion_tokens)
                return value
            reason = _reason(error_out)
            if reason is None:
                if metrics is not None:
                    metrics.llm_calls.labels(purpose, "refused").inc()
                raise LLMRefused(str(error_out)[:500]) from error_out
            last = _describe(reason, error_out)
            if reason != "rate_limited":
                self.breaker.failed(last, self.slots.total)  # a 429 says the endpoint is up
                self._circuit_gauge()
            if retry == self.settings.llm_max_retries:
                break
            headers = error_out.response.headers if isinstance(error_out, APIStatusError) else None
            delay = retry_after(headers)
            if delay is None:
                ceiling = min(self.settings.llm_retry_seconds * 2**retry, MAX_BACKOFF)
                delay = random.uniform(ceiling / 2, ceiling)
            tally.retries += 1
            if metrics is not None:
                metrics.llm_retries.labels(reason).inc()
            log.info("LLM call retried in %.1f s: %s", delay, last)
            if on_retry is not None:
                await on_retry(f"{last[:1].upper()}{last[1:]}; trying again in {delay:.1f} s")
            slept = time.perf_counter()
            await anyio.sleep(delay)
            tally.model_seconds += time.perf_counter() - slept
        if metrics is not None:
            metrics.llm_calls.labels(purpose, "failed").inc()
        raise LLMUnavailable(f"{last}, {self.settings.llm_max_retries + 1} times")

    def _gauges(self) -> None:
        if self.metrics is not None:
            self.metrics.llm_in_flight.set(self.slots.total)
            self.metrics.llm_waiting.set(self.slots.waiting)

    def _circuit_gauge(self) -> None:
        if self.metrics is not None:
            self.metrics.llm_circuit_open.set(1 if self.breaker.is_open else 0)
