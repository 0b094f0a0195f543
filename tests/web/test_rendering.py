"""The page's own Markdown and CSV readers, run in the browser on hostile and tricky input."""

from __future__ import annotations

from playwright.sync_api import Page

RENDER = """async (text) => {
  const { renderMarkdown } = await import('/static/js/markdown.js');
  return renderMarkdown(text).innerHTML;
}"""


def _render(page: Page, text: str) -> str:
    page.goto("/")
    return str(page.evaluate(RENDER, text))


def test_markdown_never_turns_answer_text_into_markup(page: Page) -> None:
    hostile = (
        '<img src=x onerror="window.hacked=1"> **<b>bold</b>** '
        "[click](javascript:alert(1)) <script>window.hacked=2</script>"
    )
    html = _render(page, hostile)
    assert "<img" not in html and "<script" not in html and "<b>" not in html
    assert "&lt;img src=x" in html and "<strong>&lt;b&gt;bold&lt;/b&gt;</strong>" in html
    assert "javascript:" not in html and "click" in html
    assert page.evaluate("window.hacked") is None


def test_markdown_renders_the_answer_shapes(page: Page) -> None:
    text = "\n".join(
        [
            "## Revenue",
            "Revenue *rose* by **12%** in `order_items.revenue`; snake_case_names stay.",
            "",
            "- North America",
            "- Europe",
            "",
            "1. first",
            "2. second",
            "",
            "| Region | Revenue |",
            "|:--|--:|",
            "| Asia | 1,066,227.51 |",
            "",
            "See [the thread](/chat/abc).",
        ]
    )
    html = _render(page, text)
    assert "<h4>Revenue</h4>" in html
    assert "<em>rose</em>" in html and "<strong>12%</strong>" in html
    assert "<code>order_items.revenue</code>" in html and "snake_case_names" in html
    assert "<ul><li>North America</li><li>Europe</li></ul>" in html
    assert "<ol><li>first</li><li>second</li></ol>" in html
    assert '<th scope="col">Region</th><th class="align-right" scope="col">Revenue</th>' in html
    assert '<td class="align-right">1,066,227.51</td>' in html
    assert '<a href="/chat/abc" rel="noopener noreferrer">the thread</a>' in html


def test_csv_results_with_quotes_commas_and_newlines(page: Page) -> None:
    page.goto("/")
    rows = page.evaluate(
        """async (text) => (await import('/static/js/csv.js')).parseCsv(text)""",
        'users.region,"a ""quoted"", name"\r\nAsia,"two\nlines"\nEurope,3\n',
    )
    assert rows == [
        ["users.region", 'a "quoted", name'],
        ["Asia", "two\nlines"],
        ["Europe", "3"],
    ]
