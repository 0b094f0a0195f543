"""Prometheus metrics of one app instance."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram


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
