"""Chatting in a real browser against real jobs: ask, watch progress, read the answer with
its table and chart, follow up, reopen from the address, rename and delete."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.support.browser import ARTIFACTS, Site, sign_in

CHAT_URL = re.compile(r"/chat/([0-9a-f-]{36})$")
DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot.png"

# Record every text the progress line shows, however briefly.
WATCH_PROGRESS = """() => {
  window.progressSeen = [];
  new MutationObserver(() => {
    const text = document.getElementById('progress').textContent.trim();
    if (text) window.progressSeen.push(text);
  }).observe(document.getElementById('progress'), {childList: true, subtree: true});
}"""


def _ask(page: Page, prompt: str) -> None:
    page.get_by_label("Ask a question about your data").fill(prompt)
    page.get_by_label("Ask a question about your data").press("Enter")


def _conversation(site: Site, conversation_id: str) -> dict[str, object]:
    response = site.api(site.personal_token, "GET", f"/api/v1/ai/conversations/{conversation_id}")
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


def test_ask_see_progress_and_a_chart_then_follow_up_in_the_same_thread(
    page: Page, site: Site
) -> None:
    sign_in(page, site.personal_token)
    expect(page.get_by_label("Model")).to_have_value(site.model_id)
    page.evaluate(WATCH_PROGRESS)
    _ask(page, "Revenue by month this year")

    answers = page.locator(".message.assistant")
    expect(answers).to_have_count(1, timeout=30_000)
    expect(page.locator("#progress")).to_have_text("Answer ready.")
    seen = page.evaluate("window.progressSeen")
    assert any(text != "Answer ready." for text in seen), seen  # progress before the answer
    assert page.locator("#progress").get_attribute("aria-live") == "polite"

    match = CHAT_URL.search(page.url)
    assert match, page.url
    conversation_id = match.group(1)
    first = answers.first
    expect(first.locator(".markdown")).not_to_be_empty()
    # How the question was read comes first, in plain words.
    expect(first.locator(".markdown p").first).to_contain_text(
        "Revenue by order date (month) for order date 1 Jan"
    )
    # The answer's own Markdown table, then the full result behind a disclosure.
    expect(first.locator(".markdown table th")).to_have_count(2)
    first.locator(".result-details summary").click()
    expect(first.locator(".result-table caption")).to_contain_text("Result:")
    expect(first.locator(".result-table thead th")).to_have_text(["Created at (month)", "Revenue"])
    chart = first.locator(".chart img")
    expect(chart).to_have_attribute("alt", "Chart of Created at (month), Revenue")
    chart.scroll_into_view_if_needed()
    expect(chart).to_have_js_property("complete", True)
    assert chart.evaluate("img => img.naturalWidth") > 600  # the PNG from /vis decoded
    # The new conversation is at the top of the history, marked as the open one.
    current = page.locator('#history-list a[aria-current="page"]')
    expect(current).to_have_attribute("href", f"/chat/{conversation_id}")

    _ask(page, "How many orders by status?")
    expect(answers).to_have_count(2, timeout=30_000)
    expect(answers.nth(1).locator(".chart img")).to_be_visible()
    expect(answers.nth(1).locator(".result-table tbody tr")).to_have_count(5)
    assert CHAT_URL.search(page.url).group(1) == conversation_id  # type: ignore[union-attr]
    messages = _conversation(site, conversation_id)["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"] * 2  # type: ignore[attr-defined]
    expect(page.locator("#history-list > li")).to_have_count(1)

    # The address opens the thread again, answers, tables and charts included.
    page.reload()
    expect(page.locator(".message.user")).to_have_text(
        ["You asked: Revenue by month this year", "You asked: How many orders by status?"]
    )
    expect(page.locator(".message.assistant .chart img")).to_have_count(2)
    page.locator("#messages-region").evaluate("region => { region.scrollTop = 0; }")
    shot = ARTIFACTS / "chat_1440.png"
    page.screenshot(path=str(shot), animations="disabled")
    if os.environ.get("PARLEY_UPDATE_SCREENSHOT"):
        DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copy(shot, DOCS_SCREENSHOT)


def test_a_single_number_is_answered_without_a_chart(page: Page, site: Site) -> None:
    sign_in(page, site.personal_token)
    _ask(page, "Total revenue")
    answer = page.locator(".message.assistant")
    expect(answer).to_have_count(1, timeout=30_000)
    expect(answer.locator(".result-table tbody tr")).to_have_count(1)
    expect(page.locator("#progress")).to_have_text("Answer ready.")
    expect(answer.locator(".chart")).to_have_count(0)  # /vis said 422


def _submitted(site: Site, prompt: str) -> str:
    """A finished conversation made through the API, as another client would."""
    job = site.api(
        site.personal_token,
        "POST",
        "/api/v1/ai/jobs",
        json={"modelId": site.model_id, "prompt": prompt},
    ).json()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = site.api(site.personal_token, "GET", f"/api/v1/ai/jobs/{job['jobId']}").json()
        if state["state"] in ("COMPLETE", "FAILED"):
            break
        time.sleep(0.1)
    return str(job["conversationId"])


def test_rename_and_delete_from_the_sidebar(page: Page, site: Site) -> None:
    keep = _submitted(site, "Orders by status")
    doomed = _submitted(site, "Users by region")
    sign_in(page, site.personal_token)
    page.goto(f"/chat/{doomed}")
    row = page.locator(f'#history-list li[data-id="{keep}"]')
    expect(row).to_be_visible()

    row.get_by_role("button", name=re.compile("^Rename")).click()
    field = page.get_by_label(re.compile("^New name for"))
    expect(field).to_be_focused()
    field.press("Escape")  # cancelling changes nothing
    expect(row.get_by_role("button", name=re.compile("^Rename"))).to_be_focused()
    row.get_by_role("button", name=re.compile("^Rename")).click()
    page.get_by_label(re.compile("^New name for")).fill("Order statuses, all time")
    page.get_by_label(re.compile("^New name for")).press("Enter")
    renamed = page.locator(f'#history-list li[data-id="{keep}"] .title')
    expect(renamed).to_have_text("Order statuses, all time")
    assert _conversation(site, keep)["name"] == "Order statuses, all time"

    total = page.locator("#history-total").inner_text()
    count = int(total.split()[0])
    open_row = page.locator(f'#history-list li[data-id="{doomed}"]')
    open_row.get_by_role("button", name=re.compile("^Delete")).click()
    dialog = page.get_by_role("dialog", name="Delete conversation?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(open_row).to_be_visible()
    open_row.get_by_role("button", name=re.compile("^Delete")).click()
    dialog.get_by_role("button", name="Delete").click()
    expect(open_row).to_have_count(0)
    expect(page.locator("#history-total")).to_have_text(f"{count - 1} conversations")
    # It was the open conversation: the page goes back to a new chat.
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("#chat-title")).to_have_text("New conversation")
    gone = site.api(site.personal_token, "GET", f"/api/v1/ai/conversations/{doomed}")
    assert gone.status_code == 404
