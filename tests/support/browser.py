"""What the browser tests share: the served site, viewports, where screenshots go, and
signing in on the page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, ViewportSize

from bench.support.server import Server

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
DESKTOP: ViewportSize = {"width": 1440, "height": 900}
PHONE: ViewportSize = {"width": 375, "height": 812}
SEEDED = 120


@dataclass(frozen=True)
class Site:
    server: Server
    url: str
    personal_token: str  # the demo organization's admin, who chats with the demo model
    model_id: str
    seeded_key: str  # an organization key of a second organization with SEEDED conversations
    seeded_member: str  # a membership id in that organization that owns some of them

    def api(self, token: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(
            method,
            self.url + path,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            **kwargs,
        )


def sign_in(page: Page, token: str, act_as: str = "") -> None:
    page.goto("/")
    page.get_by_label("Token").fill(token)
    if act_as:
        page.get_by_label("Act as member").fill(act_as)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Ask a question about your data").wait_for()
