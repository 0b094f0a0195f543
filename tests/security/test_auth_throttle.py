"""Failed authentications are throttled per client address; a valid token never is.
On PostgreSQL the count is shared by every replica."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.support.served import bearer, new_home, serve
from tests.support.throttle import away_from_a_window_edge

LIST = "/api/v1/ai/conversations"
LIMIT = 5
# A well-formed token that does not exist, and one that is not even well-formed.
WRONG = ["parley_pat_0000000000_" + "x" * 43, "not-a-token"]


def test_failed_attempts_are_throttled_per_address(
    database_url: str, backend: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    home = new_home(tmp_path / "home", tmp_path_factory)
    settings = {"PARLEY_AUTH_FAILURES_PER_MINUTE": str(LIMIT), "PARLEY_WORKERS": "0"}
    replicas = 2 if backend == "postgresql" else 1
    with ExitStack() as stack:
        servers = [
            stack.enter_context(serve(home, database_url, **settings)) for _ in range(replicas)
        ]
        token = servers[0].credentials()["personalToken"]
        away_from_a_window_edge()
        # Failures spread over the replicas count together.
        for attempt in range(LIMIT):
            server = servers[attempt % replicas]
            wrong = httpx.get(server.url + LIST, headers=bearer(WRONG[attempt % 2]))
            assert wrong.status_code == 401, attempt
        for server in servers:
            throttled = httpx.get(server.url + LIST, headers=bearer(WRONG[0]))
            assert throttled.status_code == 429
            assert throttled.json()["status"] == 429
            assert "failed authentications" in throttled.json()["detail"]
            assert 1 <= int(throttled.headers["Retry-After"]) <= 60
            # The valid token from the same address is served as ever.
            assert httpx.get(server.url + LIST, headers=bearer(token)).status_code == 200
        # A request without any token is not a guess: still a plain 401.
        assert httpx.get(servers[0].url + LIST).status_code == 401
        # Another client address (uvicorn trusts X-Forwarded-For from loopback, as from
        # a reverse proxy on the same machine) has its own count.
        elsewhere = httpx.get(
            servers[0].url + LIST,
            headers={**bearer(WRONG[0]), "X-Forwarded-For": "192.0.2.7"},
        )
        assert elsewhere.status_code == 401
