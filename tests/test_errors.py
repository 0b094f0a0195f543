"""One check over every API route: without a valid token, each answers 401 in the one
error shape — never 422, never a stack trace."""

from __future__ import annotations

import re
import uuid

import httpx
from fastapi import FastAPI

from parley.auth.throttle import failure_throttle_for


def api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every documented API operation, with its path parameters filled in."""
    found: list[tuple[str, str]] = []
    for template, operations in app.openapi()["paths"].items():
        if template.startswith("/api/v1"):
            path = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), template)
            found.extend((method.upper(), path) for method in operations)
    return found


async def test_every_api_route_wants_a_token(app: FastAPI, client: httpx.AsyncClient) -> None:
    routes = api_routes(app)
    assert ("GET", "/api/v1/ai/conversations") in routes
    # Every route gets a bad token here, far more than the failed-authentication throttle
    # allows one address in a minute (tests/security covers the throttle itself).
    app.state.auth_throttle = failure_throttle_for(app.state.database, 100_000)
    for method, path in routes:
        for headers in ({}, {"Authorization": "Bearer parley_pat_" + "f" * 48}):
            response = await client.request(method, path, headers=headers, json={})
            assert response.status_code == 401, (method, path, response.text)
            assert response.json() == {"detail": "Missing or invalid API key", "status": 401}


async def test_unknown_paths_and_methods_use_the_error_shape(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not found", "status": 404}
    wrong_method = await client.delete("/healthz")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["status"] == 405
