"""Sizes and times on a real server: bodies over the cap are refused before they are
read or their token checked, headers are capped, and a slow or short body is cut off
instead of holding the connection."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from bench.support.server import Server
from tests.support.served import bearer, new_home, raw_request, read_all, serve

JOBS = "/api/v1/ai/jobs"
GENERATE = "/api/v1/ai/generate-query"
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = new_home(tmp_path_factory.mktemp("limits") / "home", tmp_path_factory)
    with serve(home, None, PARLEY_BODY_TIMEOUT="1", PARLEY_WORKERS="0") as running:
        yield running


def status_and_body(raw: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


def test_a_declared_body_over_the_cap_is_refused_unread_and_before_authentication(
    server: Server,
) -> None:
    # 50 MB announced, not one byte of it sent, no token: the answer comes at once.
    started = time.monotonic()
    sock = raw_request(
        server,
        b"POST /api/v1/ai/generate-query HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 50000000\r\n\r\n",
    )
    with sock:
        status, body = status_and_body(read_all(sock))
    assert status == 413 and time.monotonic() - started < 5
    assert body == {"detail": f"Request body larger than {MIB} bytes", "status": 413}


def test_a_streamed_body_is_counted_as_it_arrives(server: Server) -> None:
    token = server.credentials()["personalToken"]

    def chunks() -> Iterator[bytes]:
        for _ in range(4):
            yield b" " * (MIB // 2)

    # Chunked (no Content-Length): refused once the count passes 1 MiB.
    response = httpx.post(
        server.url + GENERATE,
        content=chunks(),
        headers={**bearer(token), "Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413
    assert set(response.json()) == {"detail", "status"}
    # Just under the cap is read and judged on its merits (here: not a job).
    fits = httpx.post(
        server.url + GENERATE,
        content=b" " * (MIB - 10) + b"{}",
        headers={**bearer(token), "Content-Type": "application/json"},
        timeout=30,
    )
    assert fits.status_code == 400
    # Without a token, a small body is a 401 as before.
    assert httpx.post(server.url + GENERATE, json={}).status_code == 401


def test_a_job_submit_has_room_for_attachments_and_a_cap_of_its_own(server: Server) -> None:
    token = server.credentials()["personalToken"]
    headers = {**bearer(token), "Content-Type": "application/json"}
    padded = b" " * (2 * MIB) + b"{}"
    # 2 MiB is over the general cap, but a job submit may carry attachments.
    assert httpx.post(server.url + GENERATE, content=padded, headers=headers).status_code == 413
    assert httpx.post(server.url + JOBS, content=padded, headers=headers).status_code == 400
    # Its own cap (16 MiB) is refused unread, before authentication, like the general one.
    sock = raw_request(
        server,
        b"POST /api/v1/ai/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 50000000\r\n\r\n",
    )
    with sock:
        status, body = status_and_body(read_all(sock))
    assert (status, body["detail"]) == (413, f"Request body larger than {16 * MIB} bytes")


def test_headers_over_the_cap_are_refused(server: Server) -> None:
    token = server.credentials()["personalToken"]
    whoami = server.url + "/api/v1/whoami"
    big = httpx.get(whoami, headers={**bearer(token), "X-Padding": "a" * 100_000})
    assert big.status_code == 431
    assert big.json()["status"] == 431 and "headers" in big.json()["detail"]
    # Spread over many headers it is the total that counts.
    many = {f"X-Pad-{i}": "b" * 1000 for i in range(80)}
    assert httpx.get(whoami, headers={**bearer(token), **many}).status_code == 431
    # Under the cap (64 KiB) is fine, and the server still serves.
    fine = httpx.get(whoami, headers={**bearer(token), "X-Padding": "a" * 30_000})
    assert fine.status_code == 200


@pytest.mark.parametrize("drip", [False, True])
def test_a_short_or_slow_body_times_out(server: Server, drip: bool) -> None:
    head = (
        b"POST /api/v1/ai/generate-query HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    )
    started = time.monotonic()
    sock = raw_request(server, head, b'{"modelId":')
    with sock:
        if drip:
            # A byte now and then keeps arriving, but the body is never complete in time.
            for _ in range(4):
                time.sleep(0.4)
                try:
                    sock.sendall(b" ")
                except OSError:
                    break
        raw = read_all(sock)
    elapsed = time.monotonic() - started
    status, body = status_and_body(raw)
    # PARLEY_BODY_TIMEOUT is 1 s here; the connection is answered and then closed.
    assert status == 408 and body["status"] == 408
    assert 0.9 < elapsed < 5
    assert b"connection: close" in raw.lower()


@pytest.mark.parametrize("sent", [b"", b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"])
def test_a_request_whose_headers_never_end_times_out(server: Server, sent: bytes) -> None:
    """Nothing sent at all, or headers begun and never finished: the connection is
    answered 408 and closed, not held open for as long as the client likes."""
    started = time.monotonic()
    sock = raw_request(server, sent)
    with sock:
        for _ in range(4):
            time.sleep(0.3)
            try:
                if sent:
                    sock.sendall(b"X-Drip: 1\r\n")  # a header now and then, never the end
            except OSError:
                break
        raw = read_all(sock)
    elapsed = time.monotonic() - started
    status, body = status_and_body(raw)
    # PARLEY_BODY_TIMEOUT (1 s here) bounds the request line and headers too.
    assert status == 408 and body["status"] == 408 and "headers" in str(body["detail"])
    assert 0.9 < elapsed < 5


def test_the_server_keeps_serving_after_every_refusal(server: Server) -> None:
    token = server.credentials()["personalToken"]
    listing = httpx.get(server.url + "/api/v1/ai/conversations", headers=bearer(token))
    assert listing.status_code == 200
