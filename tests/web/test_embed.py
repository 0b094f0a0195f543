"""The embedded chat in a real browser: an application on another origin asks Parley for
a session for one of its users, frames the login URL, and its user asks a question."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

from playwright.sync_api import Browser, expect

from bench.support.server import cli_json, free_port
from tests.support.browser import ARTIFACTS, DESKTOP, Site
from tests.support.embed_urls import v1_params

EMBEDDED_CHAT = re.compile(r"/embed/([0-9a-f-]{36})/chat/([0-9a-f-]{36})$")


@contextmanager
def host_page(html: str, port: int | None = None) -> Iterator[str]:
    """The organization's own application: one page, on 127.0.0.1 at another port."""
    body = html.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            del format, args

    port = port or free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()


def _frame(url: str) -> str:
    return (
        "<!doctype html><title>Acme analytics</title><h1>Acme</h1>"
        f'<iframe id="parley" src="{url}" width="1200" height="800"></iframe>'
    )


def _org_key(site: Site) -> tuple[str, str]:
    """The demo organization's id and a new organization key for it."""
    who = site.api(site.personal_token, "GET", "/api/v1/whoami").json()
    org_id = who["organizationId"]
    key = cli_json(site.server.env, "keys", "create", "--org", org_id, "--name", "embedding")
    return org_id, key["token"]


def test_an_application_frames_the_chat_signed_in_as_its_user(browser: Browser, site: Site) -> None:
    org_id, key = _org_key(site)
    port = free_port()
    allowed = f"http://127.0.0.1:{port}"
    settings = site.api(key, "PUT", "/api/v1/embed/settings", json={"frameAncestors": [allowed]})
    assert settings.status_code == 200, settings.text
    session = site.api(
        key,
        "POST",
        "/api/v1/embed/sso/generate-session",
        json={"contentPath": "/my", "externalId": "grace@acme.test", "name": "Grace"},
    )
    assert session.status_code == 200, session.text
    login_url = session.json()["url"]
    assert login_url.startswith(site.url + "/embed/login?sessionId=")

    context = browser.new_context(viewport=DESKTOP)
    problems: list[str] = []
    tab = context.new_page()
    tab.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    try:
        with host_page(_frame(login_url), port) as host:
            assert host == allowed
            tab.goto(host)
            frame = tab.frame_locator("#parley")
            prompt = frame.get_by_label("Ask a question about your data")
            prompt.wait_for(timeout=30_000)
            prompt.fill("Revenue by region")
            prompt.press("Enter")
            answer = frame.locator(".message.assistant")
            expect(answer).to_have_count(1, timeout=30_000)
            expect(answer.first.locator(".markdown")).to_contain_text("region")
            inner = next(f for f in tab.frames if f != tab.main_frame)
            match = EMBEDDED_CHAT.search(inner.url)
            assert match and match.group(1) == org_id, inner.url
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(ARTIFACTS / "embedded_chat.png"))
    finally:
        context.close()
    assert not problems, problems

    # The question was asked as the embed user, in its own conversation.
    users = site.api(
        key,
        "GET",
        "/api/scim/v2/embed/Users",
        params={"filter": 'embedExternalId eq "grace@acme.test"'},
    ).json()["Resources"]
    (grace,) = users
    conversation = match.group(2)
    detail = site.api(
        key, "GET", f"/api/v1/ai/conversations/{conversation}", params={"userId": grace["id"]}
    )
    assert detail.status_code == 200
    assert detail.json()["userId"] == grace["id"]
    assert detail.json()["messages"][0]["content"] == "Revenue by region"

    # The session was spent: the same login URL no longer signs anyone in.
    context = browser.new_context(viewport=DESKTOP, base_url=site.url)
    again = context.new_page()
    try:
        again.goto(login_url)
        expect(again.locator("#sign-in-error")).to_contain_text("cannot be used")
    finally:
        context.close()


def test_an_origin_the_organization_did_not_allow_cannot_frame_the_chat(
    browser: Browser, site: Site
) -> None:
    _, key = _org_key(site)
    session = site.api(
        key,
        "POST",
        "/api/v1/embed/sso/generate-session",
        json={"contentPath": "/my", "externalId": "mallory@acme.test", "name": "Mallory"},
    )
    login_url = session.json()["url"]
    context = browser.new_context(viewport=DESKTOP)
    tab = context.new_page()
    try:
        with host_page(_frame(login_url)) as host:
            policy = site.api(key, "GET", "/api/v1/embed/settings").json()["frameAncestors"]
            assert host not in policy
            # Chromium refuses to render the framed page and shows its error page instead.
            with tab.expect_event(
                "framenavigated", predicate=lambda f: f.url.startswith("chrome-error:")
            ):
                tab.goto(host)
            frame = tab.frame_locator("#parley")
            expect(frame.locator("#sign-in")).to_have_count(0)
    finally:
        context.close()
    # Unframed, the same session still works: refusing the frame did not spend it.
    context = browser.new_context(viewport=DESKTOP)
    direct = context.new_page()
    try:
        direct.goto(login_url)
        direct.get_by_label("Ask a question about your data").wait_for(timeout=30_000)
        assert "/embed/" in direct.url
    finally:
        context.close()


def test_a_standard_sso_url_opens_the_chat_signed_in_once(browser: Browser, site: Site) -> None:
    _, key = _org_key(site)
    made = site.api(key, "POST", "/api/v1/embed/secrets", json={"name": "Production"})
    assert made.status_code == 201, made.text
    # As Omni's SDK builds it: the host's /embed/login, which names no organization,
    # and one signed payload.
    login_url = f"{site.url}/embed/login"
    params = v1_params(made.json()["secret"], login_url, name="Ida", expires_in=300)
    assert set(params) == {"payload", "signature"}
    url = f"{login_url}?{urlencode(params)}"
    context = browser.new_context(viewport=DESKTOP)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    try:
        tab.goto(url)
        tab.get_by_label("Ask a question about your data").wait_for(timeout=30_000)
        assert re.search(r"/embed/[0-9a-f-]{36}/$", tab.url), tab.url
        # The same URL again, in a fresh browser: its nonce is spent.
        again = browser.new_context(viewport=DESKTOP).new_page()
        again.goto(url)
        expect(again.locator("#sign-in-error")).to_contain_text("already used")
        again.context.close()
    finally:
        context.close()
    assert not problems, problems
