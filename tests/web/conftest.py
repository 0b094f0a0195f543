"""A real ``parley serve`` on SQLite, seeded once, and Debian's Chromium driven by Playwright.

One server serves the whole browser suite and one browser each module (starting them is
most of its cost); each test gets a fresh browser context, so nothing of one test's session leaks
into the next. Every test leaves a screenshot in tests/artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

from bench.support.server import cli_json, environment, running_server
from tests.support.browser import ARTIFACTS, CHROMIUM, DESKTOP, SEEDED, Site


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed: apt-get install -y chromium")
    home = tmp_path_factory.mktemp("web") / "home"
    env = environment(home, None, PARLEY_ACCESS_LOG="false")
    with running_server(env) as server:
        creds = server.credentials()
        org = cli_json(env, "orgs", "create", "Initech")
        key = cli_json(env, "keys", "create", "--org", org["id"], "--name", "browser tests")
        cli_json(
            env,
            "seed-conversations",
            "--org",
            org["id"],
            "--members",
            "3",
            "--conversations",
            str(SEEDED),
            "--seed",
            "5",
        )
        members = cli_json(env, "members", "list", "--org", org["id"])["members"]
        synthetic = [m for m in members if m["email"] != "owner@example.com"]
        yield Site(
            server=server,
            url=server.url,
            personal_token=creds["personalToken"],
            model_id=creds["modelId"],
            seeded_key=key["token"],
            seeded_member=synthetic[0]["id"],
        )


# Per module, not per session: while Playwright's sync API is open it owns the thread's
# event loop, which async tests elsewhere in the run need.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield launched
        launched.close()


def _artifact(request: pytest.FixtureRequest) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / (re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name) + ".png")


@pytest.fixture
def page(browser: Browser, site: Site, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh tab at 1440 px that fails the test on any script error or request that
    leaves the server's origin, and saves a screenshot when the test ends."""
    viewport: ViewportSize = getattr(request, "param", DESKTOP)
    context = browser.new_context(viewport=viewport, base_url=site.url)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    tab.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            if message.type == "error"
            and "the server responded with a status of" not in message.text
            else None
        ),
    )
    tab.on(
        "request",
        lambda req: (
            None
            if req.url.startswith((site.url, "blob:", "data:"))
            else problems.append(f"left the origin: {req.url}")
        ),
    )
    yield tab
    tab.screenshot(path=str(_artifact(request)))
    context.close()
    assert not problems, problems
