"""What Omni's request fields show on the web page: a prompt's attachments, and
generate-query's workbookUrl opening the page with the prompt ready to ask."""

from __future__ import annotations

import base64
import time
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from tests.support.browser import Site, sign_in

PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)


def test_a_prompt_shows_its_attachments(page: Page, site: Site) -> None:
    submitted = site.api(
        site.personal_token,
        "POST",
        "/api/v1/ai/jobs",
        json={
            "modelId": site.model_id,
            "prompt": "Revenue by region",
            "attachments": [
                {
                    "data": base64.b64encode(PNG).decode(),
                    "mimeType": "image/png",
                    "name": "q3-dashboard.png",
                }
            ],
        },
    )
    assert submitted.status_code == 201, submitted.text
    ids = submitted.json()
    deadline = time.monotonic() + 30
    while site.api(site.personal_token, "GET", f"/api/v1/ai/jobs/{ids['jobId']}").json()[
        "state"
    ] not in ("COMPLETE", "FAILED"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    sign_in(page, site.personal_token)
    page.goto(f"/chat/{ids['conversationId']}")
    prompt = page.locator(".message.user").first
    expect(prompt.locator(".attachment")).to_have_text(["q3-dashboard.png (image/png)"])
    expect(page.locator(".message.assistant").first).to_contain_text("q3-dashboard.png")


def test_workbook_url_opens_the_page_ready_to_ask(page: Page, site: Site) -> None:
    response = site.api(
        site.personal_token,
        "POST",
        "/api/v1/ai/generate-query",
        json={
            "modelId": site.model_id,
            "prompt": "Orders by status",
            "runQuery": False,
            "workbookUrl": True,
        },
    )
    link = urlsplit(response.json()["workbookUrl"])
    sign_in(page, site.personal_token)
    page.goto(f"{link.path}?{link.query}")
    expect(page.get_by_label("Ask a question about your data")).to_have_value("Orders by status")
    expect(page.get_by_label("Model")).to_have_value(site.model_id)
    # The address bar keeps the page, not the question.
    assert urlsplit(page.url).query == ""
