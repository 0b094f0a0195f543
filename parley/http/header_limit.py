"""A cap on the request line and headers of one request, for ``parley serve``.

uvicorn's h11 parser has a cap (``h11_max_incomplete_event_size``); its httptools
parser, the faster one ``parley serve`` uses when it is installed, has none, and reads a
header of any size into memory. ``protocol_class`` returns an httptools protocol that
counts the bytes of the URL and headers as the parser hands them over and answers 431
once they pass the cap, or h11 with its own cap when httptools is missing.

It also times the request line and headers: uvicorn times a body (through the app) and
the idle gap after a response, but not a connection that never finishes its headers, or
sends nothing at all, which could otherwise be held open for ever by anyone. Past the
timeout the connection is answered 408 and closed.
"""

from __future__ import annotations

import asyncio

import orjson

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools comes with uvicorn[standard]
    HttpToolsProtocol = None  # type: ignore[assignment,misc]


class HeadersTooLarge(Exception):
    pass


def _closing_response(status: bytes, detail: str, code: int) -> bytes:
    body = orjson.dumps({"detail": detail, "status": code})
    return (
        b"HTTP/1.1 " + status + b"\r\n"
        b"content-type: application/json\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\n"
        b"connection: close\r\n\r\n" + body
    )


def protocol_class(max_header_bytes: int, header_timeout: float) -> type[asyncio.Protocol] | str:
    """What to pass as uvicorn's ``http`` option."""
    if HttpToolsProtocol is None:  # pragma: no cover
        return "h11"
    refusal = _closing_response(
        b"431 Request Header Fields Too Large",
        f"Request line and headers larger than {max_header_bytes} bytes",
        431,
    )
    late = _closing_response(
        b"408 Request Timeout",
        f"Request line and headers not received within {header_timeout:g} s",
        408,
    )

    class CappedHttpToolsProtocol(HttpToolsProtocol):
        _header_bytes = 0
        _too_large = False
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._time_headers()

        def connection_lost(self, exc: Exception | None) -> None:
            self._headers_done()
            super().connection_lost(exc)

        def _time_headers(self) -> None:
            if self._header_timer is None:
                self._header_timer = self.loop.call_later(header_timeout, self._headers_late)

        def _headers_done(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_late(self) -> None:
            self._header_timer = None
            if not self.transport.is_closing():
                self.transport.write(late)
                self.transport.close()

        def on_message_begin(self) -> None:
            self._header_bytes = 0
            self._time_headers()  # a new request on a kept-alive connection
            super().on_message_begin()

        def on_headers_complete(self) -> None:
            self._headers_done()
            super().on_headers_complete()

        def _count(self, size: int) -> None:
            self._header_bytes += size
            if self._header_bytes > max_header_bytes:
                self._too_large = True
                # The parser stops at the first exception from a callback and reports
                # the request as invalid, which lands in send_400_response below.
                raise HeadersTooLarge()

        def on_url(self, url: bytes) -> None:
            self._count(len(url))
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            # Four bytes for ": " and the line's end.
            self._count(len(name) + len(value) + 4)
            super().on_header(name, value)

        def send_400_response(self, msg: str) -> None:
            if not self._too_large:
                super().send_400_response(msg)
                return
            self.transport.write(refusal)
            self.transport.close()

    return CappedHttpToolsProtocol
