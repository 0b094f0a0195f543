"""Prometheus metrics of one app instance."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        # A registry per app, so several apps in one process (tests) never collide.
        self.registry = CollectorRegistry()
        self.request_seconds = Histogram(
            "parley_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template.",
            ["method", "route", "status"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.requests = Counter(
            "parley_http_requests",
            "HTTP requests answered, by route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.llm_calls = Counter(
            "parley_llm_calls",
            "Calls to the LLM endpoint, by purpose (plan, answer) and outcome (ok, failed "
            "after its retries, refused, circuit_open).",
            ["purpose", "outcome"],
            registry=self.registry,
        )
        self.llm_retries = Counter(
            "parley_llm_retries",
            "LLM requests retried, by reason (rate_limited, server_error, timeout, connection).",
            ["reason"],
            registry=self.registry,
        )
        self.llm_tokens = Counter(
            "parley_llm_tokens",
            "Tokens sent to (in) and written by (out) the LLM, by organization.",
            ["direction", "organization"],
            registry=self.registry,
        )
        self.llm_seconds = Histogram(
            "parley_llm_request_duration_seconds",
            "Time one LLM request took, by purpose.",
            ["purpose"],
            registry=self.registry,
            buckets=(0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 20, 60),
        )
        self.llm_answers = Counter(
            "parley_llm_answers",
            "Answers by who wrote them: the model, or the template (the model's text had a "
            "number the rows do not back, or the model failed).",
            ["writer"],
            registry=self.registry,
        )
        self.llm_in_flight = Gauge(
            "parley_llm_in_flight",
            "LLM requests in flight in this process.",
            registry=self.registry,
        )
        self.llm_waiting = Gauge(
            "parley_llm_waiting",
            "LLM requests waiting for a slot (PARLEY_LLM_CONCURRENCY) in this process.",
            registry=self.registry,
        )
        self.llm_circuit_open = Gauge(
            "parley_llm_circuit_open",
            "1 while the circuit to the LLM endpoint is open (jobs fail fast).",
            registry=self.registry,
        )
        # labels() looks the child up under a lock on every call; the set of (method,
        # route, status) is small, so the children are kept at hand.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            labels = (method, route, str(status))
            children = (self.request_seconds.labels(*labels), self.requests.labels(*labels))
            self._children[key] = children
        children[0].observe(seconds)
        children[1].inc()
