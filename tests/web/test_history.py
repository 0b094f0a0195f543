"""The history sidebar in a real browser: sign-in, page 2 by scrolling, search, acting as a
member, the keyboard order, and the 375 px layout."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import PHONE, Site, sign_in

LIST = "/api/v1/ai/conversations"


def _titles(page: Page) -> list[str]:
    return page.locator("#history-list .conversation-link .title").all_inner_texts()


def _scroll_history_to_end(page: Page) -> None:
    page.locator("#history-scroller").evaluate(
        "element => element.scrollTo(0, element.scrollHeight)"
    )


def test_sign_in_rejects_a_bad_token_and_keeps_a_good_one_for_the_session(
    page: Page, site: Site
) -> None:
    page.goto("/")
    expect(page).to_have_title("Sign in · Parley")
    page.get_by_label("Token").fill("parley_pat_not-a-real-token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not accepted")
    expect(page.get_by_role("navigation", name="Conversation history")).to_be_hidden()

    sign_in(page, site.seeded_key)
    expect(page.locator("#who")).to_have_text("Organization key")
    expect(page.locator("#history-total")).to_have_text(re.compile(r"^\d+ conversations$"))
    # The token is in this tab's sessionStorage, never in a cookie or the address bar.
    assert page.evaluate("sessionStorage.getItem('parley.token')") == site.seeded_key
    assert page.context.cookies() == []
    assert site.seeded_key not in page.url
    page.reload()
    expect(page.get_by_role("navigation", name="Conversation history")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Token")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('parley.token')") is None


def test_the_history_scrolls_through_page_two_in_order_and_searches(page: Page, site: Site) -> None:
    everything = site.api(site.seeded_key, "GET", LIST, params={"pageSize": 100}).json()
    total = everything["pageInfo"]["totalRecords"]
    assert total >= 101  # enough for a third page of 50
    expected = [c["name"] or c["lastUserPrompt"] for c in everything["data"]]

    sign_in(page, site.seeded_key)
    expect(page.locator("#history-total")).to_have_text(f"{total} conversations")
    items = page.locator("#history-list > li")
    expect(items).to_have_count(50)
    # Each row: the name, or the last prompt when unnamed, and a relative time.
    first = everything["data"][0]
    first_row = items.first
    expect(first_row.locator(".title")).to_have_text(first["name"] or first["lastUserPrompt"])
    expect(first_row.locator("time")).to_have_attribute("datetime", first["updatedAt"])
    expect(first_row.locator("time")).to_have_text(re.compile(r"ago|yesterday|just now|last"))
    assert page.locator(".title.unnamed").count() + page.locator(".title:not(.unnamed)").count()

    _scroll_history_to_end(page)
    expect(items).to_have_count(100)
    assert _titles(page) == expected[:100]  # page 2 follows page 1 in the API's order
    _scroll_history_to_end(page)
    expect(items).to_have_count(total)
    expect(page.get_by_role("button", name="Load more")).to_be_hidden()
    ids = page.locator("#history-list > li").evaluate_all("items => items.map(i => i.dataset.id)")
    assert len(set(ids)) == total

    word = next(c["name"] for c in everything["data"] if c["name"]).split()[0]
    found = site.api(site.seeded_key, "GET", LIST, params={"q": word, "pageSize": 100}).json()
    matches = found["pageInfo"]["totalRecords"]
    assert 0 < matches < total
    page.get_by_label("Search conversations").fill(word)
    expect(page.locator("#history-total")).to_have_text(
        f"{matches} conversation{'s' if matches != 1 else ''} matching “{word}”"
    )
    expect(items).to_have_count(min(matches, 50))
    assert _titles(page)[: len(found["data"])] == [
        c["name"] or c["lastUserPrompt"] for c in found["data"][:50]
    ]
    page.get_by_label("Search conversations").fill("no conversation says this")
    expect(page.locator("#history-status")).to_have_text("No conversation matches.")
    expect(items).to_have_count(0)


def test_an_organization_key_can_act_as_one_member(page: Page, site: Site) -> None:
    theirs = site.api(
        site.seeded_key, "GET", LIST, params={"userId": site.seeded_member, "pageSize": 1}
    ).json()["pageInfo"]["totalRecords"]
    sign_in(page, site.seeded_key, act_as=site.seeded_member)
    expect(page.locator("#history-total")).to_have_text(f"{theirs} conversations")
    expect(page.locator("#who")).to_contain_text("acting as")

    # A personal token cannot act as anyone: the page says so instead of signing in.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Token").fill(site.personal_token)
    page.get_by_label("Act as member").fill(site.seeded_member)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Only an organization key")


def test_the_main_controls_are_reached_by_tab_in_order(page: Page, site: Site) -> None:
    sign_in(page, site.seeded_key)
    expect(page.locator("#history-list > li")).to_have_count(50)

    def focused() -> str:
        return str(
            page.evaluate(
                "() => { const e = document.activeElement;"
                " return e.id || e.getAttribute('aria-label') || e.textContent.trim(); }"
            )
        )

    def tab() -> str:
        page.keyboard.press("Tab")
        return focused()

    first_title = _titles(page)[0]
    # The page starts in the question box; the skip link is first in the document.
    assert focused() == "prompt"
    page.locator(".skip-link").focus()
    order = [focused()] + [tab() for _ in range(7)]
    assert order == [
        "Skip to the conversation",
        "model",
        "sign-out",
        "new-chat",
        "search",
        (page.locator("#history-list a").first.text_content() or "").strip(),
        f"Rename “{first_title}”",
        f"Delete “{first_title}”",
    ]
    # The skip link jumps past the history to the conversation and its question box.
    page.locator(".skip-link").focus()
    page.keyboard.press("Enter")
    assert tab() == "prompt"
    assert tab() == "ask"
    # Focus is visible: the focused control draws an outline.
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


@pytest.mark.parametrize("page", [PHONE], indirect=True)
def test_at_375_px_the_history_is_a_drawer(page: Page, site: Site) -> None:
    sign_in(page, site.seeded_key)
    history = page.get_by_role("navigation", name="Conversation history")
    toggle = page.get_by_role("button", name="History")
    expect(history).to_be_hidden()
    expect(page.get_by_label("Ask a question about your data")).to_be_visible()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(history).to_be_visible()
    expect(page.locator("#history-list > li")).to_have_count(50)
    page.screenshot(path=str(page_artifact("history_drawer_375.png")), animations="disabled")
    page.locator("#history-list a").first.click()
    expect(history).to_be_hidden()
    expect(page).to_have_url(re.compile(r"/chat/[0-9a-f-]{36}$"))
    # Nothing is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    toggle.click()
    page.keyboard.press("Escape")
    expect(history).to_be_hidden()
    expect(toggle).to_be_focused()


def page_artifact(name: str) -> Path:
    from tests.support.browser import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name
