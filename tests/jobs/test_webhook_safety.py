"""Webhooks as an attacker would use them, on both state databases.

Nothing here sends a request off this machine: refusals are checked at submit time with
no workers running (nothing is ever delivered), names that should resolve elsewhere are
resolved by a stand-in for the lookup, and every delivery goes to a receiver on
127.0.0.1 that the test allows explicitly.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import shutil
import socket
import stat
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import func, select, text, update

from bench.support.server import environment, running_server
from parley import migrate, networks
from parley.config import Settings
from parley.db.database import Database
from parley.jobs import destinations, repository, signing_secrets, webhooks
from parley.jobs.worker import Workers
from parley.tables import job_webhooks, jobs
from tests.factories import Org, make_org, register_demo_model
from tests.jobs.test_queue import verified
from tests.support.jobs import submit, wait_final
from tests.support.warehouses import NOW, small_warehouse_path

HOOK_SECRET = "s3cret-to-sign-with"

# Every spelling of an internal address the destination policy must see through.
INTERNAL = [
    "http://127.0.0.1:9/hook",
    "http://localhost/hook",  # a name from /etc/hosts
    "http://LOCALHOST/hook",
    "http://[::1]/hook",
    "http://[::1]:8080/hook",
    "http://0.0.0.0/hook",
    "http://[::]/hook",
    "http://2130706433/hook",  # decimal
    "http://0x7f000001/hook",  # hexadecimal
    "http://127.1/hook",  # short form
    "http://0177.0.0.1/hook",  # octal
    "http://0x7f.0.0.1/hook",
    "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped IPv6
    "http://[::ffff:7f00:1]/hook",
    "http://[64:ff9b::7f00:1]/hook",  # NAT64 of a loopback address
    "http://[2002:7f00:1::]/hook",  # 6to4 of a loopback address
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
    "http://[fe80::1]/hook",
    "http://10.0.0.1/hook",
    "http://172.16.5.4/hook",
    "http://192.168.1.1/hook",
    "http://[fc00::1]/hook",  # unique-local
    "http://[fd12:3456::1]/hook",
    "http://100.64.0.1/hook",  # shared address space
    "http://224.0.0.1/hook",  # multicast
    "http://[ff02::1]/hook",
    "http://240.0.0.1/hook",  # reserved
    "http://255.255.255.255/hook",
    "https://127.0.0.1/hook",
    "http://[3fff::1]/hook",  # IPv6 documentation prefix (RFC 9637)
    "http://192.88.99.1/hook",  # retired 6to4 relay anycast
]


@pytest.fixture
def workers() -> int:
    """No in-process workers: a refused webhook can never be attempted, and tests that
    deliver run their own workers when they are ready."""
    return 0


class Hook:
    """A webhook receiver on 127.0.0.1 that records what reaches it. ``hold`` keeps
    requests waiting until released; ``answer`` is the status it replies with."""

    def __init__(self, answer: int = 200, location: str | None = None) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.answer = answer
        self.location = location
        self.hold = threading.Event()
        self.hold.set()
        self.in_flight = 0
        self.most_in_flight = 0
        lock = threading.Lock()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with lock:
                    hook.in_flight += 1
                    hook.most_in_flight = max(hook.most_in_flight, hook.in_flight)
                    hook.calls.append((dict(self.headers), body))
                hook.hold.wait(20)
                with lock:
                    hook.in_flight -= 1
                self.send_response(hook.answer)
                if hook.location:
                    self.send_header("Location", hook.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"

    def __enter__(self) -> Hook:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    with Hook() as running:
        yield running


class FakeDns:
    """Stands in for the host lookup so no query leaves the machine: names in ``table``
    resolve to the addresses given, ``localhost`` through /etc/hosts and numeric
    spellings as the C library reads them; any other name is unknown."""

    def __init__(self, real: Callable[[str, int], list[str]]) -> None:
        self.real = real
        self.table: dict[str, list[str]] = {}

    def __call__(self, host: str, port: int) -> list[str]:
        if host in self.table:
            return list(self.table[host])
        if host != "localhost":
            try:
                socket.getaddrinfo(host, port, flags=socket.AI_NUMERICHOST)
            except socket.gaierror as error:
                raise OSError(f"{host} is not in the test's table") from error
        return self.real(host, port)


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDns:
    fake = FakeDns(destinations.resolve)
    monkeypatch.setattr(destinations, "resolve", fake)
    return fake


async def job_count(database: Database) -> int:
    async with database.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(jobs))).scalar_one())


def hook_body(url: str, **extra: Any) -> dict[str, Any]:
    return {"webhookUrl": url, "webhookSigningSecret": HOOK_SECRET, **extra}


@asynccontextmanager
async def running_workers(app: FastAPI) -> AsyncIterator[Workers]:
    state = app.state
    pool = Workers(state.database, state.runtimes, state.settings, count=2)
    task = asyncio.create_task(pool.run())
    try:
        yield pool
    finally:
        pool.stop()
        await asyncio.wait_for(task, 30)


async def eventually(check: Callable[[], Any], seconds: float = 20) -> Any:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def final_delivery(database: Database, job_id: str) -> Any:
    async with database.read() as conn:
        rows = await repository.deliveries(conn, uuid.UUID(job_id))
    return next((row for row in rows if row.event == "final"), None)


# -- destinations ----------------------------------------------------------------------


async def test_every_spelling_of_an_internal_address_is_refused_at_submit(
    client: httpx.AsyncClient, database: Database, org: Org, model_id: str, dns: FakeDns
) -> None:
    for url in INTERNAL:
        response = await submit(client, org.owner.token, model_id, "Revenue", **hook_body(url))
        assert response.status_code == 400, (url, response.text)
        body = response.json()
        assert body["status"] == 400 and "webhookUrl" in body["detail"], (url, body)
        assert "PARLEY_WEBHOOK_ALLOWED_NETWORKS" in body["detail"], (url, body)
    assert await job_count(database) == 0


async def test_credentials_and_other_schemes_are_refused(
    client: httpx.AsyncClient, database: Database, org: Org, model_id: str, dns: FakeDns
) -> None:
    for url, reason in [
        ("http://user:pass@127.0.0.1/hook", "user name or password"),
        ("https://user@hooks.example.com/hook", "user name or password"),
        ("ftp://hooks.example.com/hook", "http"),
        ("file:///etc/passwd", "http"),
        ("gopher://127.0.0.1:25/", "http"),
        ("http://hooks.example.com:0/hook", "port 0"),
    ]:
        response = await submit(client, org.owner.token, model_id, "Revenue", **hook_body(url))
        assert response.status_code == 400, (url, response.text)
        assert reason in response.json()["detail"], (url, response.json())
    assert await job_count(database) == 0


async def test_a_name_resolving_to_a_private_address_is_refused(
    client: httpx.AsyncClient, database: Database, org: Org, model_id: str, dns: FakeDns
) -> None:
    dns.table["internal.example.test"] = ["10.20.30.40"]
    # One internal address among public ones is enough: the connection might pick it.
    dns.table["mixed.example.test"] = ["8.8.8.8", "192.168.0.7"]
    dns.table["mapped.example.test"] = ["::ffff:169.254.169.254"]
    for name, address in [
        ("internal.example.test", "10.20.30.40"),
        ("mixed.example.test", "192.168.0.7"),
        ("mapped.example.test", "169.254.169.254"),
    ]:
        url = f"https://{name}/hook"
        response = await submit(client, org.owner.token, model_id, "Revenue", **hook_body(url))
        assert response.status_code == 400, (name, response.text)
        assert address in response.json()["detail"]
    unknown = await submit(
        client, org.owner.token, model_id, "Revenue", **hook_body("https://nowhere.test/hook")
    )
    assert unknown.status_code == 400 and "could not be resolved" in unknown.json()["detail"]
    assert await job_count(database) == 0
    # A public address passes (no worker runs here, so nothing is ever sent to it).
    dns.table["public.example.test"] = ["8.8.8.8", "2001:4860:4860::8888"]
    ok = await submit(
        client,
        org.owner.token,
        model_id,
        "Revenue",
        **hook_body("https://public.example.test/hook"),
    )
    assert ok.status_code == 201, ok.text


@pytest.mark.parametrize("allowed_networks", ["127.0.0.0/8, hooks.example.test"])
async def test_the_allow_list_admits_networks_and_names(
    client: httpx.AsyncClient, database: Database, org: Org, model_id: str, dns: FakeDns
) -> None:
    dns.table["hooks.example.test"] = ["10.9.9.9"]
    dns.table["other.example.test"] = ["10.9.9.9"]
    for url, expected in [
        ("http://127.0.0.1:9/hook", 201),
        ("http://2130706433:9/hook", 201),
        ("http://[::1]:9/hook", 400),  # 127.0.0.0/8 says nothing about IPv6 loopback
        ("http://hooks.example.test/hook", 201),
        ("http://other.example.test/hook", 400),
        ("http://user:pass@127.0.0.1:9/hook", 400),  # credentials never
    ]:
        response = await submit(client, org.owner.token, model_id, "Revenue", **hook_body(url))
        assert response.status_code == expected, (url, response.text)


def test_a_bad_allow_list_entry_stops_the_server_starting() -> None:
    with pytest.raises(ValueError, match="neither a CIDR"):
        Settings(_env_file=None, webhook_allowed_networks="10.0.0.0/8, http://x/")
    assert networks.AllowList.parse(" 10.0.0.0/8 ,, Hooks.Example. ") == (
        networks.AllowList((ipaddress.ip_network("10.0.0.0/8"),), frozenset({"hooks.example"}))
    )


# -- delivery --------------------------------------------------------------------------


@pytest.mark.parametrize("allowed_networks", ["127.0.0.1/32"])
async def test_delivery_connects_to_the_vetted_address_and_vets_every_try(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    org: Org,
    model_id: str,
    hook: Hook,
    dns: FakeDns,
) -> None:
    name = "receiver.example.test"
    dns.table[name] = ["127.0.0.1"]
    url = f"http://{name}:{hook.port}/hook"
    ids = (
        await submit(client, org.owner.token, model_id, "Revenue by region", **hook_body(url))
    ).json()
    # Rebound after the submit, to a loopback address the allow-list does not cover.
    dns.table[name] = ["127.0.0.2"]
    async with running_workers(app):
        await wait_final(client, org.owner.token, ids["jobId"])

        async def refused_once() -> Any:
            row = await final_delivery(database, ids["jobId"])
            return row if row is not None and row.attempts >= 1 and row.last_error else None

        row = await eventually(refused_once)
        assert "127.0.0.2" in row.last_error and "loopback" in row.last_error
        assert hook.calls == []
        dns.table[name] = ["127.0.0.1"]  # back: the next try goes through

        async def delivered() -> Any:
            row = await final_delivery(database, ids["jobId"])
            return row if row.status == "delivered" else None

        await eventually(delivered)
    [(headers, body)] = hook.calls
    # The request went to the vetted address under its own name: the lookup stand-in is
    # the only thing that knows receiver.example.test.
    assert headers["Host"] == f"{name}:{hook.port}"
    assert "Authorization" not in headers
    assert json.loads(body)["status"] == "COMPLETE"


@pytest.mark.parametrize("allowed_networks", ["127.0.0.1/32"])
async def test_redirects_are_not_followed(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    org: Org,
    model_id: str,
    dns: FakeDns,
) -> None:
    with Hook() as target, Hook(answer=307, location=None) as redirector:
        redirector.location = target.url
        ids = (
            await submit(client, org.owner.token, model_id, "Revenue", **hook_body(redirector.url))
        ).json()
        async with running_workers(app):
            await wait_final(client, org.owner.token, ids["jobId"])
            await eventually(lambda: len(redirector.calls) >= 2)
        row = await final_delivery(database, ids["jobId"])
        assert row.status == "pending" and row.last_error == "HTTP 307"
        assert target.calls == []


async def set_timeout(app: FastAPI, seconds: float) -> None:
    app.state.settings = app.state.settings.model_copy(update={"webhook_timeout": seconds})


@pytest.mark.parametrize("allowed_networks", ["127.0.0.1/32"])
async def test_one_slow_receiver_does_not_hold_up_another(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    org: Org,
    model_id: str,
    small_warehouse: Path,
) -> None:
    await set_timeout(app, 15)  # the slow receiver is released well before that
    other = await make_org(database, "Other")
    other_model = await register_demo_model(database, other, small_warehouse)
    with Hook() as slow, Hook() as fast:
        slow.hold.clear()
        slow_jobs = [
            (
                await submit(
                    client, org.owner.token, model_id, f"Revenue {i}", **hook_body(slow.url)
                )
            ).json()["jobId"]
            for i in range(3)
        ]
        fast_job = (
            await submit(client, other.owner.token, other_model, "Revenue", **hook_body(fast.url))
        ).json()["jobId"]
        async with running_workers(app):
            for job in slow_jobs:
                await wait_final(client, org.owner.token, job)
            await wait_final(client, other.owner.token, fast_job)
            # The other organization's event arrives while the slow receiver still holds
            # its first requests, and that receiver never gets more than two at a time.
            await eventually(lambda: len(fast.calls) == 1 and slow.in_flight == 2)
            await asyncio.sleep(0.3)
            assert len(slow.calls) == 2
            slow.hold.set()
            await eventually(lambda: len(slow.calls) == 3)
        assert slow.most_in_flight == 2
        assert json.loads(fast.calls[0][1])["jobId"] == fast_job


@pytest.mark.parametrize("allowed_networks", ["127.0.0.1/32"])
async def test_a_receiver_that_does_not_answer_in_time_is_retried(
    app: FastAPI, client: httpx.AsyncClient, database: Database, org: Org, model_id: str
) -> None:
    await set_timeout(app, 0.3)
    with Hook() as silent:
        silent.hold.clear()
        ids = (
            await submit(client, org.owner.token, model_id, "Revenue", **hook_body(silent.url))
        ).json()
        async with running_workers(app):
            await wait_final(client, org.owner.token, ids["jobId"])

            async def timed_out() -> Any:
                row = await final_delivery(database, ids["jobId"])
                return row if row is not None and row.last_error else None

            row = await eventually(timed_out)
            assert row.last_error == "no answer within 0.3 s" and row.status == "pending"
            silent.hold.set()


@pytest.mark.parametrize("allowed_networks", ["127.0.0.1/32"])
async def test_an_event_that_cannot_be_sent_fails_after_its_attempts(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    org: Org,
    model_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A try that breaks in Parley itself (here the event cannot be encoded) counts as a
    failed try: the delivery ends failed, with the error, after its attempts, instead of
    being claimed again forever."""

    def unencodable(*_args: Any) -> Any:
        raise TypeError("Recursion limit reached")

    monkeypatch.setattr(webhooks, "event_body", unencodable)
    app.state.settings = app.state.settings.model_copy(update={"webhook_max_attempts": 3})
    with Hook() as hook:
        ids = (
            await submit(client, org.owner.token, model_id, "Revenue", **hook_body(hook.url))
        ).json()
        async with running_workers(app):
            await wait_final(client, org.owner.token, ids["jobId"])

            async def given_up() -> Any:
                row = await final_delivery(database, ids["jobId"])
                return row if row is not None and row.status == "failed" else None

            row = await eventually(given_up)
        assert row.attempts == 3 and "Recursion limit reached" in row.last_error
        assert hook.calls == []


# -- sizes and storage -----------------------------------------------------------------


async def test_webhook_metadata_is_capped_at_16_kib(
    client: httpx.AsyncClient, database: Database, org: Org, model_id: str, dns: FakeDns
) -> None:
    dns.table["hooks.example.test"] = ["8.8.8.8"]  # no worker runs: nothing is sent
    url = "https://hooks.example.test/hook"
    # {"k":"…"} is 8 bytes of JSON around the value.
    at_cap = {"k": "x" * (16 * 1024 - 8)}
    over = {"k": "x" * (16 * 1024 - 7)}
    refused = await submit(
        client, org.owner.token, model_id, "Revenue", **hook_body(url, webhookMetadata=over)
    )
    assert refused.status_code == 400
    assert "16 KiB" in refused.json()["detail"] and "16385 bytes" in refused.json()["detail"]
    assert await job_count(database) == 0
    ok = await submit(
        client, org.owner.token, model_id, "Revenue", **hook_body(url, webhookMetadata=at_cap)
    )
    assert ok.status_code == 201, ok.text
    async with database.read() as conn:
        stored = (await conn.execute(select(job_webhooks))).one()
    assert stored.metadata == at_cap and stored.destination == "hooks.example.test:443"


@pytest.mark.parametrize("allowed_networks", ["127.0.0.1/32"])
async def test_signing_secrets_are_encrypted_at_rest(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    org: Org,
    model_id: str,
    settings: Settings,
    hook: Hook,
) -> None:
    first = (
        await submit(
            client,
            org.owner.token,
            model_id,
            "Revenue",
            **hook_body(hook.url, webhookMetadata={"ticket": 7}),
        )
    ).json()
    key_file = settings.home / "secret.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    async with database.write() as conn:
        sealed = (await conn.execute(select(job_webhooks.c.secret))).scalar_one()
    assert sealed.startswith("fernet:") and HOOK_SECRET not in sealed
    # A row written before encryption (plaintext) still signs.
    second = (
        await submit(client, org.owner.token, model_id, "Revenue again", **hook_body(hook.url))
    ).json()
    async with database.write() as conn:
        await conn.execute(
            update(job_webhooks)
            .where(job_webhooks.c.job_id == uuid.UUID(second["jobId"]))
            .values(secret="legacy-plain")
        )
    async with running_workers(app):
        for job in (first, second):
            await wait_final(client, org.owner.token, job["jobId"])
        await eventually(lambda: len(hook.calls) == 2)
    bodies = {}
    for headers, body in hook.calls:
        payload = json.loads(body)
        secret = HOOK_SECRET if payload["jobId"] == first["jobId"] else "legacy-plain"
        bodies[payload["jobId"]] = verified(secret, headers, body)
    assert bodies[first["jobId"]]["metadata"] == {"ticket": 7}
    assert bodies[second["jobId"]]["metadata"] is None


def test_secret_key_rotation_keeps_pending_secrets_readable(tmp_path: Path) -> None:
    def configured(key: str | None, previous: str | None = None) -> Settings:
        return Settings(
            _env_file=None,
            home=tmp_path,
            secret_key=SecretStr(key) if key else None,
            previous_secret_keys=SecretStr(previous) if previous else None,
        )

    from_file = signing_secrets.seal(configured(None), "one")
    old = signing_secrets.seal(configured("old key"), "two")
    assert stat.S_IMODE(os.stat(tmp_path / "secret.key").st_mode) == 0o600
    rotated = configured("new key", previous="older key, old key")
    assert signing_secrets.unseal(rotated, old) == "two"
    assert signing_secrets.unseal(rotated, from_file) == "one"  # the key file still opens
    assert signing_secrets.unseal(rotated, "plain") == "plain"
    (tmp_path / "secret.key").unlink()
    signing_secrets._box.cache_clear()  # a process started after the file was lost
    with pytest.raises(signing_secrets.UnreadableSecret):
        signing_secrets.unseal(configured("new key"), old)
    with pytest.raises(signing_secrets.UnreadableSecret):
        signing_secrets.unseal(configured(None), from_file)  # a new key file: lost key


async def test_webhook_settings_move_both_ways_between_schemas(
    client: httpx.AsyncClient, database: Database, org: Org, model_id: str, dns: FakeDns
) -> None:
    """0003 moves settings out of the jobs row into job_webhooks (and back on downgrade),
    keeping secrets stored before encryption readable as they were."""
    dns.table["hooks.example.test"] = ["8.8.8.8"]  # no worker runs: nothing is sent
    url = "https://hooks.example.test:8443/hook"
    await submit(
        client,
        org.owner.token,
        model_id,
        "Revenue",
        **hook_body(url, webhookMetadata={"ticket": 9}, progressWebhookEnabled=True),
    )
    async with database.write() as conn:
        await conn.execute(update(job_webhooks).values(secret="legacy-plain"))
        before = (await conn.execute(select(job_webhooks))).one()
    await migrate.downgrade(database, "0002")
    async with database.read() as conn:
        moved_back = (await conn.execute(text("SELECT webhook FROM jobs"))).scalar_one()
    if isinstance(moved_back, str):
        moved_back = json.loads(moved_back)
    assert moved_back == {
        "url": url,
        "secret": "legacy-plain",
        "metadata": {"ticket": 9},
        "progress": True,
    }
    await migrate.upgrade(database)
    async with database.read() as conn:
        after = (await conn.execute(select(job_webhooks))).one()
    assert after == before and after.destination == "hooks.example.test:8443"


def test_a_real_server_refuses_internal_webhooks_and_reads_its_allow_list(
    database_url: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(small_warehouse_path(tmp_path_factory), home / "demo.duckdb")
    env = environment(
        home,
        database_url,
        PARLEY_NOW=NOW.isoformat() + "Z",
        PARLEY_ACCESS_LOG="false",
        PARLEY_WORKERS="0",  # nothing is ever delivered
        PARLEY_WEBHOOK_ALLOWED_NETWORKS="127.0.0.2/32",
    )
    with running_server(env) as server:
        creds = server.credentials()
        headers = {"Authorization": f"Bearer {creds['personalToken']}"}

        def post(url: str) -> httpx.Response:
            body = {"modelId": creds["modelId"], "prompt": "Revenue", **hook_body(url)}
            return httpx.post(f"{server.url}/api/v1/ai/jobs", json=body, headers=headers)

        for url in ["http://localhost/", "http://2130706433/", "http://[::1]/", "http://127.1/"]:
            refused = post(url)
            assert refused.status_code == 400, (url, refused.text)
            assert refused.json()["status"] == 400
        assert post("http://127.0.0.2:9/hook").status_code == 201
    assert stat.S_IMODE(os.stat(home / "secret.key").st_mode) == 0o600


async def test_a_lookup_that_hangs_is_a_400_in_time(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    org: Org,
    model_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await set_timeout(app, 0.2)
    release = threading.Event()

    def hanging(host: str, port: int) -> list[str]:
        release.wait(5)
        return ["8.8.8.8"]

    monkeypatch.setattr(destinations, "resolve", hanging)
    try:
        response = await submit(
            client, org.owner.token, model_id, "Revenue", **hook_body("https://slow.test/")
        )
    finally:
        release.set()
    assert response.status_code == 400 and "in time" in response.json()["detail"]
    assert await job_count(database) == 0
