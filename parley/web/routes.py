"""The browser UI: one page at ``/`` and ``/chat/{conversationId}``, and its static files.

The page holds no data: its scripts call the same JSON API as any client, with the token
the member pasted. So these routes need no token themselves, and they are left out of the
OpenAPI document, which describes the API only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request
from starlette.responses import Response

from parley.http.errors import NotFound

STATIC = Path(__file__).parent / "static"

# Everything from this origin, nothing from anywhere else, no inline script or style.
# Charts arrive as images fetched with the token and shown from blob: URLs (an <img src>
# cannot send an Authorization header). No one may frame the page, except the origins an
# organization allows for its embedded page (parley/embed/pages.py).
_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors "
)
CONTENT_SECURITY_POLICY = _POLICY + "'none'"


def policy_framed_by(origins: list[str]) -> str:
    """The page's policy, letting ``origins`` (checked origins, never raw input) frame it."""
    return _POLICY + (" ".join(origins) if origins else "'none'")


SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


@cache
def assets() -> dict[str, Asset]:
    """Every file under static/, read once. Serving only names found here means no
    request path can ever reach outside the folder."""
    found: dict[str, Asset] = {}
    for path in sorted(STATIC.rglob("*")):
        if path.is_file() and path.suffix in MEDIA_TYPES:
            body = path.read_bytes()
            found[path.relative_to(STATIC).as_posix()] = Asset(
                body=body,
                media_type=MEDIA_TYPES[path.suffix],
                etag='"' + hashlib.sha256(body).hexdigest()[:20] + '"',
            )
    return found


def serve(request: Request, name: str, *, policy: str = CONTENT_SECURITY_POLICY) -> Response:
    asset = assets().get(name)
    if asset is None:
        raise NotFound(f"No file {name!r}")
    # Revalidate every time: a new release must never run against a stale script.
    headers = {
        **SECURITY_HEADERS,
        "Content-Security-Policy": policy,
        "ETag": asset.etag,
        "Cache-Control": "no-cache",
    }
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


@router.api_route("/", methods=["GET", "HEAD"])
async def home(request: Request) -> Response:
    return serve(request, "index.html")


@router.api_route("/chat/{conversation_id}", methods=["GET", "HEAD"])
async def chat(request: Request, conversation_id: str) -> Response:
    """The same page; its script reads the conversation id from the path (an unknown or
    invisible id is the API's 404, shown on the page)."""
    del conversation_id
    return serve(request, "index.html")


@router.api_route("/static/{name:path}", methods=["GET", "HEAD"])
async def static(request: Request, name: str) -> Response:
    return serve(request, name)
