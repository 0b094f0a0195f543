"""A fake OpenAI-compatible chat endpoint on loopback, for the LLM benchmark and tests.

It answers like a hosted model: tool calls for planning requests, text (streamed when
asked) for answer requests, a latency drawn around a mean, and a share of 429s (with
``Retry-After``) and 500s. Tests script exact replies; without a script it improvises:
a query over the demo model chosen from the question's words, and an answer quoting the
first row it was shown.

    .venv/bin/python -m bench.fake_llm --port 8199 --latency 1.5 --rate-limited 0.05
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import random
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any] | str


@dataclass(frozen=True)
class Text:
    text: str
    pause: float | None = None  # between streamed chunks (default: CHUNK_PAUSE with latency)


@dataclass(frozen=True)
class Status:
    """An error answer: 429 (with ``retry_after``), 500, 401..."""

    code: int
    retry_after: float | None = None


@dataclass(frozen=True)
class Hang:
    """No answer for ``seconds`` (longer than the client's timeout, to test it)."""

    seconds: float


Reply = ToolCall | Text | Status | Hang
# Between two streamed chunks of an answer, when the fake has a latency.
CHUNK_PAUSE = 0.01

# Improvised plans over the demo model, by a word of the question.
PLANS: dict[str, dict[str, Any]] = {
    "region": {
        "table": "order_items",
        "fields": ["users.region", "order_items.revenue"],
        "sorts": [{"column_name": "order_items.revenue", "sort_descending": True}],
    },
    "status": {
        "table": "order_items",
        "fields": ["order_items.status", "order_items.items_sold"],
        "sorts": [{"column_name": "order_items.items_sold", "sort_descending": True}],
    },
    "brand": {
        "table": "order_items",
        "fields": ["products.brand", "order_items.revenue"],
        "sorts": [{"column_name": "order_items.revenue", "sort_descending": True}],
        "limit": 5,
    },
    "category": {
        "table": "order_items",
        "fields": ["products.category", "order_items.revenue"],
        "sorts": [{"column_name": "order_items.revenue", "sort_descending": True}],
    },
}
DEFAULT_PLAN = PLANS["region"]


@dataclass
class Behaviour:
    latency: float = 0.0  # mean seconds per answer (lognormal around it)
    jitter: float = 0.25  # sigma of the lognormal
    rate_limited: float = 0.0  # share of 429s
    retry_after: float = 1.0
    server_errors: float = 0.0  # share of 500s
    down: bool = False  # every request a 503
    stream_chunks: int = 8
    seed: int | None = None


@dataclass
class FakeLLM:
    behaviour: Behaviour = field(default_factory=Behaviour)
    script: list[Reply] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    in_flight: int = 0
    most_in_flight: int = 0
    cancelled: int = 0
    # Time the model "worked" on the answers it gave (latency and streaming pauses).
    model_seconds: float = 0.0
    base_url: str = ""  # set while served

    def __post_init__(self) -> None:
        self.random = random.Random(self.behaviour.seed)
        self.app = Starlette(
            routes=[
                Route("/v1/chat/completions", self._completions, methods=["POST"]),
                Route("/stats", self._stats, methods=["GET"]),
            ]
        )

    def replies(self, *replies: Reply) -> None:
        self.script.extend(replies)

    def _count(self, status: int) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1

    async def _stats(self, _request: Request) -> Response:
        return JSONResponse(
            {
                "requests": len(self.requests),
                "statuses": self.statuses,
                "mostInFlight": self.most_in_flight,
                "cancelled": self.cancelled,
                "modelSeconds": self.model_seconds,
            }
        )

    async def _completions(self, request: Request) -> Response:
        body = json.loads(await request.body())
        self.requests.append({"body": body, "auth": request.headers.get("authorization")})
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            return await self._answer(body, request)
        finally:
            self.in_flight -= 1

    async def _answer(self, body: dict[str, Any], request: Request) -> Response:
        behaviour = self.behaviour
        reply = self.script.pop(0) if self.script else None
        if isinstance(reply, Hang):
            until = time.monotonic() + reply.seconds
            while time.monotonic() < until:
                if await request.is_disconnected():
                    # The client gave up (a timeout, a cancelled job): so does the model.
                    self.cancelled += 1
                    return Response(status_code=499)
                await asyncio.sleep(0.02)
            reply = None
        if behaviour.down:
            reply = Status(503)
        elif reply is None:
            draw = self.random.random()
            if draw < behaviour.rate_limited:
                reply = Status(429, behaviour.retry_after)
            elif draw < behaviour.rate_limited + behaviour.server_errors:
                reply = Status(500)
        if isinstance(reply, Status):
            self._count(reply.code)
            headers = {}
            if reply.retry_after is not None:
                headers["Retry-After"] = f"{reply.retry_after:g}"
            kind = "rate_limit_exceeded" if reply.code == 429 else "server_error"
            return JSONResponse(
                {"error": {"message": f"fake {reply.code}", "type": kind, "code": kind}},
                status_code=reply.code,
                headers=headers,
            )
        if behaviour.latency:
            delay = self.random.lognormvariate(0, behaviour.jitter) * behaviour.latency
            self.model_seconds += delay
            await asyncio.sleep(delay)
        if reply is None:
            reply = self._improvise(body)
        self._count(200)
        prompt_tokens = len(json.dumps(body.get("messages", []))) // 4
        if isinstance(reply, ToolCall):
            return JSONResponse(_tool_completion(body, reply, prompt_tokens))
        assert isinstance(reply, Text)
        if body.get("stream"):
            pause = reply.pause
            if pause is None:
                pause = CHUNK_PAUSE if behaviour.latency else 0.0
            return StreamingResponse(
                self._chunks(body, reply.text, prompt_tokens, pause),
                media_type="text/event-stream",
            )
        return JSONResponse(_text_completion(body, reply.text, prompt_tokens))

    def _improvise(self, body: dict[str, Any]) -> Reply:
        messages = body.get("messages", [])
        if body.get("tools"):
            question = _text(next((m["content"] for m in messages if m["role"] == "user"), ""))
            question = question.lower()
            plan = next((p for word, p in PLANS.items() if word in question), DEFAULT_PLAN)
            return ToolCall("semantic_query", plan)
        return Text(_answer_from_rows(messages[-1]["content"] if messages else ""))

    async def _chunks(
        self, body: dict[str, Any], text: str, prompt_tokens: int, pause: float
    ) -> AsyncIterator[str]:
        base = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
        }
        base["model"] = body["model"]
        pieces = max(1, self.behaviour.stream_chunks)
        size = max(1, -(-len(text) // pieces))
        first = True
        for start in range(0, len(text), size):
            delta: dict[str, Any] = {"content": text[start : start + size]}
            if first:
                delta["role"] = "assistant"
                first = False
            choice = {"index": 0, "delta": delta, "finish_reason": None}
            yield f"data: {json.dumps({**base, 'choices': [choice]})}\n\n"
            if pause:
                self.model_seconds += pause
                await asyncio.sleep(pause)
        done = {"index": 0, "delta": {}, "finish_reason": "stop"}
        yield f"data: {json.dumps({**base, 'choices': [done]})}\n\n"
        if (body.get("stream_options") or {}).get("include_usage"):
            usage = _usage(prompt_tokens, text)
            yield f"data: {json.dumps({**base, 'choices': [], 'usage': usage})}\n\n"
        yield "data: [DONE]\n\n"


def _text(content: str | list[dict[str, Any]]) -> str:
    """A message's text, whether it is a string or a list of parts (text, images)."""
    if isinstance(content, str):
        return content
    return " ".join(part.get("text", "") for part in content if part.get("type") == "text")


def _usage(prompt_tokens: int, text: str) -> dict[str, int]:
    completion = max(1, len(text) // 4)
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": prompt_tokens + completion,
    }


def _tool_completion(body: dict[str, Any], reply: ToolCall, prompt_tokens: int) -> dict[str, Any]:
    arguments = reply.arguments if isinstance(reply.arguments, str) else json.dumps(reply.arguments)
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body["model"],
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": f"call_{random.getrandbits(32):08x}",
                            "type": "function",
                            "function": {"name": reply.name, "arguments": arguments},
                        }
                    ],
                },
            }
        ],
        "usage": _usage(prompt_tokens, arguments),
    }


def _text_completion(body: dict[str, Any], text: str, prompt_tokens: int) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body["model"],
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": text},
            }
        ],
        "usage": _usage(prompt_tokens, text),
    }


def _answer_from_rows(prompt: str) -> str:
    """A sentence quoting the first row of the CSV in an answer request."""
    lines = prompt.split("\n")
    start = next((i for i, line in enumerate(lines) if line.startswith("Rows (")), None)
    if start is None or start + 2 >= len(lines):
        return "There is nothing to report."
    rows = list(csv.reader(io.StringIO("\n".join(lines[start + 1 :]))))
    header, first = rows[0], rows[1]
    pairs = ", ".join(f"{h}: {v}" for h, v in zip(header, first, strict=False))
    return f"The first row leads: **{pairs}**. There are {len(rows) - 1} rows in all."


@contextmanager
def serving(fake: FakeLLM) -> Iterator[str]:
    """Serve ``fake`` on a free loopback port in a thread; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(fake.app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the fake LLM did not start")
        time.sleep(0.01)
    fake.base_url = f"http://127.0.0.1:{port}/v1"
    try:
        yield fake.base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency", type=float, default=1.5)
    parser.add_argument("--rate-limited", type=float, default=0.05)
    parser.add_argument("--retry-after", type=float, default=1.0)
    parser.add_argument("--server-errors", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    fake = FakeLLM(
        Behaviour(
            latency=args.latency,
            rate_limited=args.rate_limited,
            retry_after=args.retry_after,
            server_errors=args.server_errors,
            seed=args.seed,
        )
    )
    uvicorn.run(fake.app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
