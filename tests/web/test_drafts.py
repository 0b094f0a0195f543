"""The web page with a language model behind it (the fake OpenAI-compatible endpoint of
bench/fake_llm.py, on loopback): the answer shows while the model writes it, then the
finished answer takes its place."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from bench.fake_llm import FakeLLM, Text, ToolCall, serving
from bench.support.server import Server, environment, running_server
from tests.support.browser import ARTIFACTS, CHROMIUM, DESKTOP, sign_in

BY_REGION = {
    "table": "order_items",
    "fields": ["users.region", "order_items.revenue"],
    "sorts": [{"column_name": "order_items.revenue", "sort_descending": True}],
}
# No numbers: every one would have to come from the rows.
WORDS = (
    "Europe leads the regions by revenue, well ahead of every other region, "
    "and the gap between the first and the last region is wide."
)

# Every text the draft answer shows, in order.
WATCH_DRAFTS = """() => {
  window.draftsSeen = [];
  new MutationObserver(() => {
    const draft = document.querySelector('.message.assistant.draft .answer');
    const text = draft ? draft.textContent.trim() : '';
    if (text && window.draftsSeen.at(-1) !== text) window.draftsSeen.push(text);
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
}"""


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeLLM]:
    fake = FakeLLM()
    with serving(fake):
        yield fake


@pytest.fixture(scope="module")
def llm_server(fake_llm: FakeLLM, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed")
    home: Path = tmp_path_factory.mktemp("web-llm") / "home"
    env = environment(
        home,
        None,
        PARLEY_ACCESS_LOG="false",
        PARLEY_LLM_BASE_URL=fake_llm.base_url,
        PARLEY_LLM_MODEL="fake-model",
    )
    with running_server(env) as server:
        yield server


def test_the_answer_shows_while_the_model_writes_it(
    browser: Browser, llm_server: Server, fake_llm: FakeLLM
) -> None:
    # Eight chunks, 0.4 s apart: drafts are written twice a second.
    fake_llm.replies(ToolCall("semantic_query", BY_REGION), Text(WORDS, pause=0.4))
    context = browser.new_context(viewport=DESKTOP, base_url=llm_server.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        sign_in(page, llm_server.credentials()["personalToken"])
        page.evaluate(WATCH_DRAFTS)
        page.get_by_label("Ask a question about your data").fill("Revenue by region")
        page.get_by_label("Ask a question about your data").press("Enter")

        draft = page.locator(".message.assistant.draft")
        expect(draft).to_be_visible(timeout=30_000)
        expect(draft).to_have_attribute("aria-busy", "true")
        answers = page.locator(".message.assistant:not(.draft)")
        expect(answers).to_have_count(1, timeout=30_000)
        expect(draft).to_have_count(0)
        expect(answers.first.locator(".answer")).to_contain_text(WORDS)
        expect(answers.first.locator(".result-table")).to_have_count(1)

        seen: list[str] = page.evaluate("window.draftsSeen")
        # Part of the answer before all of it, each draft the start of the next.
        assert seen and all(WORDS.startswith(text) for text in seen), seen
        assert any(len(text) < len(WORDS) for text in seen), seen
        assert seen == sorted(seen, key=len), seen
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "draft_answer_1440.png"))
        context.close()
    assert not errors, errors
