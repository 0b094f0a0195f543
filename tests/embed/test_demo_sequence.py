"""Omni's agentic chat demo, request for request, against a real ``parley serve``: upsert
the app's user with generate-session, find its id with one SCIM filter (no paging), ask
as that user, fetch the result and chart, and make the "open in chat" link."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from bench.support.server import cli_json, environment, running_server
from tests.support.warehouses import NOW, small_warehouse_path

EMAIL, NAME = "demo.user@example.com", "Demo User"


@pytest.fixture
def home(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    shutil.copy(small_warehouse_path(tmp_path_factory), folder / "demo.duckdb")
    return folder


def test_the_demo_finds_its_user_with_one_filter_and_asks_as_it(
    database_url: str, home: Path
) -> None:
    env = environment(
        home,
        database_url,
        PARLEY_NOW=NOW.isoformat() + "Z",
        PARLEY_JOB_POLL_INTERVAL="0.05",
        PARLEY_ACCESS_LOG="false",
    )
    with running_server(env) as server:
        creds = server.credentials()
        model = creds["modelId"]
        who = httpx.get(
            f"{server.url}/api/v1/whoami",
            headers={"Authorization": f"Bearer {creds['personalToken']}"},
        ).json()
        key = cli_json(env, "keys", "create", "--org", who["organizationId"], "--name", "app")
        headers = {"Authorization": f"Bearer {key['token']}", "Content-Type": "application/json"}
        base = server.url

        def call(method: str, path: str, **kwargs: Any) -> httpx.Response:
            response = httpx.request(method, base + path, headers=headers, timeout=15, **kwargs)
            assert response.status_code < 400 or response.status_code == 422, response.text
            return response

        # 1a: upsert the embed user.
        call(
            "POST",
            "/api/v1/embed/sso/generate-session",
            json={"contentPath": "/my", "externalId": EMAIL, "name": NAME},
        )
        # 1b: the fast path, one filtered call; the demo pages only when this finds nobody.
        found = call(
            "GET", "/api/scim/v2/embed/Users", params={"filter": f'userName eq "{EMAIL}"'}
        ).json()
        matches = [
            user["id"]
            for user in found["Resources"]
            if EMAIL in (user.get("embedExternalId"), user.get("externalId"), user.get("userName"))
        ]
        assert len(matches) == 1 and found["totalResults"] == 1, found
        user_id = matches[0]

        # 2: a job as that user, polled to the end, and its result.
        job = call(
            "POST",
            "/api/v1/ai/jobs",
            params={"userId": user_id},
            json={"modelId": model, "prompt": "Revenue by region"},
        ).json()
        deadline = time.monotonic() + 60
        while True:
            status = call("GET", f"/api/v1/ai/jobs/{job['jobId']}").json()
            if status["state"] in ("COMPLETE", "FAILED", "CANCELLED"):
                break
            assert time.monotonic() < deadline, status
            time.sleep(0.05)
        assert status["state"] == "COMPLETE", status
        result = call("GET", f"/api/v1/ai/jobs/{job['jobId']}/result").json()
        assert "North America" in result["actions"][0]["result"]["csvResult"]
        chat_url = status.get("omniChatUrl") or result.get("omniChatUrl") or job.get("omniChatUrl")
        assert chat_url

        # 3: the chart.
        chart = call("GET", f"/api/v1/ai/jobs/{job['jobId']}/vis")
        assert chart.status_code == 200 and "image" in chart.headers["content-type"]

        # 2d: the "open in chat" link for the same user, to the same conversation.
        path = urlsplit(chat_url).path if chat_url.startswith("http") else chat_url
        link = call(
            "POST",
            "/api/v1/embed/sso/generate-url",
            json={"contentPath": path, "externalId": EMAIL, "name": NAME},
        ).json()
        session_id = urlsplit(link["url"]).query.removeprefix("sessionId=")
        redeemed = httpx.post(f"{base}/embed/redeem", json={"sessionId": session_id}).json()
        assert redeemed["userId"] == user_id
        assert redeemed["contentPath"] == f"/chat/{job['conversationId']}"
