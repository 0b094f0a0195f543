"""A cap on the request line and headers of one request, for ``parley serve``.

uvicorn's h11 parser has a cap (``h11_max_incomplete_event_size``); its httptools
parser, the faster one ``parley serve`` uses when it is installed, has none, and reads a
header of any size into memory. ``protocol_class`` returns an httptools protocol that
counts the bytes of the URL and headers as the parser hands them over and answers 431
once they pass the cap, or h11 with its own cap when httptools is missing.
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


def _response_431(limit: int) -> bytes:
    body = orjson.dumps(
        {"detail": f"Request line and headers larger than {limit} bytes", "status": 431}
    )
    return (
        b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
        b"content-type: application/json\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\n"
        b"connection: close\r\n\r\n" + body
    )


def protocol_class(max_header_bytes: int) -> type[asyncio.Protocol] | str:
    """What to pass as uvicorn's ``http`` option."""
    if HttpToolsProtocol is None:  # pragma: no cover
        return "h11"
    refusal = _response_431(max_header_bytes)

    class CappedHttpToolsProtocol(HttpToolsProtocol):
        _header_bytes = 0
        _too_large = False

        def on_message_begin(self) -> None:
            self._header_bytes = 0
            super().on_message_begin()

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
