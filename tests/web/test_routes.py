"""The page and its files over HTTP: one page for / and /chat/{id}, a strict CSP, only
files that exist, nothing from another origin, and no trace in the API's OpenAPI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from parley.app import create_app
from parley.config import Settings
from parley.web.routes import STATIC, assets

CSP = re.compile(r"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:")


@pytest.fixture
def web(tmp_path: Path) -> TestClient:
    """The page needs no database, so the app runs without its lifespan; and these tests
    are synchronous, as the browser tests beside them own the thread's event loop."""
    settings = Settings(
        _env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path}/p.db", home=tmp_path
    )
    return TestClient(create_app(settings), base_url="http://parley.test")


def test_home_and_chat_paths_serve_the_same_page_with_a_strict_csp(
    web: TestClient,
) -> None:
    home = web.get("/")
    chat = web.get("/chat/0b9c6a8e-5d0f-4d55-9f3e-8f7d4f4f2a10")
    assert home.status_code == chat.status_code == 200
    assert home.text == chat.text and "<main" in home.text
    assert home.headers["content-type"] == "text/html; charset=utf-8"
    assert CSP.match(home.headers["content-security-policy"])
    assert "frame-ancestors 'none'" in home.headers["content-security-policy"]
    assert home.headers["x-content-type-options"] == "nosniff"
    again = web.get("/", headers={"If-None-Match": home.headers["etag"]})
    assert again.status_code == 304


def test_every_referenced_file_is_served_with_its_type(web: TestClient) -> None:
    page = web.get("/").text
    referenced = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', page))
    assert {"/static/app.css", "/static/js/main.js", "/static/favicon.svg"} <= referenced
    for script in STATIC.glob("js/*.js"):
        for module in re.findall(r'from "\./([\w-]+\.js)"', script.read_text()):
            referenced.add(f"/static/js/{module}")
    types = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}
    for path in referenced:
        response = web.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith(types[Path(path).suffix]), path


def test_nothing_outside_the_static_folder_is_served(web: TestClient) -> None:
    for path in ("/static/../routes.py", "/static/%2e%2e/routes.py", "/static/nope.js"):
        response = web.get(path)
        assert response.status_code == 404, path
        assert response.json()["status"] == 404


def test_the_page_fetches_nothing_from_another_origin() -> None:
    assert "index.html" in assets() and "js/main.js" in assets()
    for name, asset in assets().items():
        text = asset.body.decode()
        # The SVG namespace is a name, not a request.
        urls = set(re.findall(r"https?://[^\s\"')]+", text)) - {"http://www.w3.org/2000/svg"}
        assert not urls, (name, urls)
        assert "innerHTML" not in text and "outerHTML =" not in text, name


def test_the_page_is_not_part_of_the_api_document(web: TestClient) -> None:
    paths = web.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p == "/" or p.startswith(("/chat", "/static"))]
