"""Every documented response body fits the route's declared ``response_model``.

Routes return ``JsonResponse(dict)``, so FastAPI never checks a body against the model it
publishes in /openapi.json. This test does: it walks the app's routes, calls each one
that declares a model with valid inputs (a real app on a real SQLite database, with
job workers), and reads every 2xx body as that model, refusing fields the model does
not name, so the published contract and the wire cannot drift apart.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel

from parley.config import Settings
from parley.db.database import Database
from tests.factories import Org, add_conversations, bearer, make_org, register_demo_model
from tests.support.jobs import wait_final
from tests.support.warehouses import NOW, small_warehouse_path


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        home=tmp_path / "home",
        secret_key=None,
        public_url="https://parley.example",
        workers=1,
        job_poll_interval=0.05,
        now=NOW,
    )


def documented_routes(app: FastAPI) -> dict[tuple[str, str], APIRoute]:
    """(method, path) of every route that declares a response model, with its route."""
    found: dict[tuple[str, str], APIRoute] = {}
    pending: list[Any] = list(app.routes)
    while pending:
        route = pending.pop()
        if isinstance(route, APIRoute):
            if route.response_model is not None and route.include_in_schema:
                for method in route.methods or ():
                    found[(method, route.path)] = route
            continue
        # An included router (FastAPI keeps it whole) or a mount: look inside.
        inner = getattr(route, "original_router", None) or getattr(route, "app", None)
        pending.extend(getattr(inner, "routes", []))
    return found


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation may hold (``X``, ``X | None``, ``list[X]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if typing.get_origin(annotation) in (list, typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
    return []


def unknown_fields(model: type[BaseModel], body: Any, where: str = "") -> list[str]:
    """Fields of ``body`` that ``model`` (or a model inside it) does not declare."""
    if isinstance(body, list):
        return [f for i, item in enumerate(body) for f in unknown_fields(model, item, where)]
    if not isinstance(body, dict):
        return []
    fields = {(info.alias or name): info for name, info in model.model_fields.items()}
    problems = [f"{where}{key}" for key in body if key not in fields]
    for key, info in fields.items():
        for inner in _models_in(info.annotation):
            if key in body:
                problems += unknown_fields(inner, body[key], f"{where}{key}.")
    return problems


class Recorder:
    """Reads each 2xx JSON body as the model its route declares."""

    def __init__(self, app: FastAPI) -> None:
        self.routes = documented_routes(app)
        self.checked: set[tuple[str, str]] = set()

    async def __call__(self, response: httpx.Response) -> None:
        await response.aread()
        request = response.request
        scope = {"type": "http", "path": request.url.path, "method": request.method}
        for key, route in self.routes.items():
            if key[0] != request.method or route.matches(scope)[0].name != "FULL":
                continue
            if not 200 <= response.status_code < 300:
                return
            model = route.response_model
            assert isinstance(model, type) and issubclass(model, BaseModel), key
            body = response.json()
            model.model_validate(body)
            assert unknown_fields(model, body) == [], (key, unknown_fields(model, body))
            self.checked.add(key)
            return


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_every_documented_body_fits_its_response_model(
    app: FastAPI,
    database: Database,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    recorder = Recorder(app)
    org: Org = await make_org(database)
    model_id = await register_demo_model(database, org, small_warehouse_path(tmp_path_factory))
    await add_conversations(database, org.id, org.owner.id, 3)
    key, own = bearer(org.org_key), bearer(org.owner.token)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://parley.test",
        event_hooks={"response": [recorder]},
    ) as client:
        ai, models = "/api/v1/ai", f"/api/v1/models/{model_id}"
        submitted = await client.post(
            f"{ai}/jobs", json={"modelId": model_id, "prompt": "Revenue by region"}, headers=own
        )
        assert submitted.status_code == 201, submitted.text
        job_id = submitted.json()["jobId"]
        conversation = submitted.json()["conversationId"]
        assert (await wait_final(client, org.owner.token, job_id, seconds=30))[
            "state"
        ] == "COMPLETE"
        assert (await client.get(f"{ai}/jobs/{job_id}/result", headers=own)).status_code == 200
        assert (await client.post(f"{ai}/jobs/{job_id}/cancel", headers=own)).status_code == 200
        # A queued job, cancelled at once, shows the fields of that state too.
        follow = await client.post(
            f"{ai}/jobs",
            json={"modelId": model_id, "prompt": "Orders", "conversationId": conversation},
            headers=own,
        )
        assert follow.status_code == 201, follow.text
        await client.post(f"{ai}/jobs/{follow.json()['jobId']}/cancel", headers=own)
        await wait_final(client, org.owner.token, follow.json()["jobId"], seconds=30)
        for params in ({}, {"pageSize": "1"}, {"q": "question"}):
            listed = await client.get(f"{ai}/conversations", params=params, headers=key)
            assert listed.status_code == 200, listed.text
        assert (await client.get(f"{ai}/conversations/{conversation}", headers=own)).is_success
        renamed = await client.patch(
            f"{ai}/conversations/{conversation}", json={"name": "Revenue"}, headers=own
        )
        assert renamed.status_code == 200, renamed.text
        asked = {"modelId": model_id, "prompt": "Revenue by region"}
        assert (await client.post(f"{ai}/generate-query", json=asked, headers=key)).is_success
        assert (await client.post(f"{ai}/pick-topic", json=asked, headers=key)).is_success
        assert (await client.get("/api/v1/models", headers=key)).is_success
        assert (await client.get(f"{models}/topic", headers=key)).is_success
        assert (await client.get(f"{models}/topic/order_items", headers=key)).is_success
        assert (await client.get(f"{models}/ai-agent-actions", headers=key)).is_success
        assert (await client.get("/api/v1/whoami", headers=own)).is_success
        embed = "/api/v1/embed"
        assert (await client.get(f"{embed}/settings", headers=key)).is_success
        settings = {"sessionLengthMinutes": 90, "frameAncestors": ["http://127.0.0.1:8123/"]}
        assert (await client.put(f"{embed}/settings", json=settings, headers=key)).is_success
        user = {"contentPath": "/my", "externalId": "ada@example.com", "name": "Ada"}
        for path in ("generate-session", "generate-url"):
            made = await client.post(f"{embed}/sso/{path}", json=user, headers=key)
            assert made.is_success, made.text
        secret = await client.post(f"{embed}/secrets", json={"name": "Production"}, headers=key)
        assert secret.status_code == 201, secret.text
        assert (await client.get(f"{embed}/secrets", headers=key)).is_success
    assert recorder.checked == set(recorder.routes), set(recorder.routes) - recorder.checked


def test_unknown_fields_are_found_at_any_depth() -> None:
    class Inner(BaseModel):
        a: int

    class Outer(BaseModel):
        items: list[Inner]
        one: Inner | None = None

    assert unknown_fields(Outer, {"items": [{"a": 1}], "one": {"a": 2}}) == []
    assert unknown_fields(Outer, {"items": [{"a": 1, "b": 2}], "c": 3}) == ["c", "items.b"]
    assert unknown_fields(Outer, {"items": [], "one": {"a": 1, "z": 0}}) == ["one.z"]
