"""Real ``parley serve`` processes for the security tests, with the small demo warehouse
(so first run skips building one) and whatever limits a test sets."""

from __future__ import annotations

import contextlib
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bench.support.server import Server, environment, running_server
from tests.support.warehouses import small_warehouse_path


def new_home(folder: Path, factory: pytest.TempPathFactory) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(small_warehouse_path(factory), folder / "demo.duckdb")
    return folder


@dataclass
class Served(Server):
    """A running server whose output is read as it comes (an unread pipe would fill up
    and stall the server's logging) and kept for the test."""

    lines: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    def stop_and_read(self) -> str:
        """Stop the server gracefully and return everything it printed."""
        self.process.terminate()
        self.process.wait(timeout=30)
        if self.reader is not None:
            self.reader.join(timeout=10)
        return "".join(self.lines)


@contextmanager
def serve(home: Path, database_url: str | None, *args: str, **settings: str) -> Iterator[Served]:
    env = environment(home, database_url, PARLEY_ACCESS_LOG="false", **settings)
    with running_server(env, *args) as server:
        served = Served(server.url, server.home, server.env, server.process)
        stream = server.process.stdout
        assert stream is not None

        def drain() -> None:
            with contextlib.suppress(ValueError, OSError):
                for line in stream:
                    served.lines.append(line)

        served.reader = threading.Thread(target=drain, daemon=True)
        served.reader.start()
        yield served


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def port_of(server: Server) -> int:
    return int(server.url.rsplit(":", 1)[1])


def raw_request(server: Server, head: bytes, body: bytes = b"") -> socket.socket:
    """A connection to the server with ``head`` (and ``body``) sent as they are."""
    sock = socket.create_connection(("127.0.0.1", port_of(server)), timeout=10)
    sock.sendall(head + body)
    return sock


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks: list[bytes] = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
