"""Connections: added once they answer, credentials sealed, used by models, on both
state databases; the PostgreSQL warehouse is the session's demo copy."""

from __future__ import annotations

import json
import socket
import stat
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import yaml
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from parley.cli import app as cli_app
from parley.config import Settings
from parley.connections import service as connections
from parley.connections import urls
from parley.connections.records import Connection
from parley.db.database import Database
from parley.demo.model import MODEL_PATH
from parley.http.errors import BadRequest, Conflict, NotFound
from parley.kit.secretbox import KEY_FILE, SecretBox, SecretUnreadable
from parley.models import service as models
from parley.tables import connections as connections_table
from tests.factories import Org, bearer, make_org

PASSWORD = "s3cr%t p@ss"  # trust authentication ignores it; it must still travel sealed


@pytest.fixture(scope="module")
def reader_url(postgres_warehouse_url: str) -> str:
    """The warehouse as a reader role with a password."""
    with psycopg.connect(postgres_warehouse_url, autocommit=True) as admin:
        admin.execute(b"DROP ROLE IF EXISTS reader")
        admin.execute(f"CREATE ROLE reader LOGIN PASSWORD '{PASSWORD}'".encode())
        admin.execute(b"GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader")
    user, _, rest = postgres_warehouse_url.partition("postgres@")
    from urllib.parse import quote

    return f"{user}reader:{quote(PASSWORD, safe='')}@{rest}"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_a_connection_is_tested_and_its_password_sealed(
    app: FastAPI, database: Database, org: Org, reader_url: str
) -> None:
    box: SecretBox = app.state.runtimes.secrets
    async with database.write() as conn:
        info = await connections.add(
            conn, org.id, name="shop", url=reader_url, box=box, query_timeout=10
        )
    assert info.kind == "postgres" and info.tested_at is not None
    assert "reader@127.0.0.1" in info.url and "p%40ss" not in info.url
    async with database.read() as conn:
        row = (await conn.execute(select(connections_table))).one()
        listed = await connections.list_connections(conn, org.id)
    assert PASSWORD not in json.dumps([str(v) for v in row])
    assert row.sealed_secret and json.loads(box.open(row.sealed_secret)) == {"password": PASSWORD}
    stored = Connection.of(row._mapping)
    assert make_url(connections.full_url(stored, box)) == make_url(reader_url)
    assert [c.name for c in listed] == ["shop"]
    async with database.write() as conn:
        again = await connections.test(conn, org.id, "shop", box=box, query_timeout=10)
    assert again.id == info.id and again.tested_at is not None


async def test_what_cannot_be_reached_is_not_stored(
    app: FastAPI, database: Database, org: Org
) -> None:
    box: SecretBox = app.state.runtimes.secrets
    bad = {
        f"postgresql://nobody@127.0.0.1:{closed_port()}/shop": "cannot reach PostgreSQL",
        "mysql://nobody@127.0.0.1/shop": "no warehouse kind for URL scheme 'mysql'",
        "snowflake://nobody@account/db": r"pip install 'parley\[snowflake\]'",
        "duckdb:////nowhere/demo.duckdb": "no DuckDB warehouse",
    }
    for url, message in bad.items():
        async with database.write() as conn:
            with pytest.raises(BadRequest, match=message):
                await connections.add(conn, org.id, name="x", url=url, box=box, query_timeout=5)
    async with database.read() as conn:
        assert await connections.list_connections(conn, org.id) == []


async def test_names_are_unique_per_organization(
    app: FastAPI, database: Database, org: Org, small_warehouse: Path
) -> None:
    box: SecretBox = app.state.runtimes.secrets
    other = await make_org(database)
    url = f"duckdb:///{small_warehouse}"
    async with database.write() as conn:
        await connections.add(conn, org.id, name="demo", url=url, box=box, query_timeout=5)
        await connections.add(conn, other.id, name="demo", url=url, box=box, query_timeout=5)
    async with database.write() as conn:
        with pytest.raises(Conflict):
            await connections.add(conn, org.id, name="demo", url=url, box=box, query_timeout=5)
    async with database.read() as conn:
        mine = await connections.list_connections(conn, org.id)
    # Another organization's connection is invisible, even by id.
    async with database.write() as conn:
        with pytest.raises(NotFound):
            await connections.test(conn, other.id, str(mine[0].id), box=box, query_timeout=5)


async def test_a_model_reads_through_its_connection(
    app: FastAPI, client: httpx.AsyncClient, database: Database, org: Org, reader_url: str
) -> None:
    box: SecretBox = app.state.runtimes.secrets
    definition = yaml.safe_load(MODEL_PATH.read_text())
    async with database.write() as conn:
        info = await connections.add(
            conn, org.id, name="shop", url=reader_url, box=box, query_timeout=10
        )
        model = await models.register(
            conn, org.id, name="Shop", connection="shop", definition=definition
        )
    assert model.connection_id == info.id
    response = await client.post(
        "/api/v1/ai/generate-query",
        json={"modelId": str(model.id), "prompt": "Number of customers by region"},
        headers=bearer(org.owner.token),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["error"] is None
    regions = {row[0] for row in body["result"]["rows"]}
    assert regions == {"North America", "South America", "Europe", "Asia", "Oceania"}
    listed = await client.get("/api/v1/models", headers=bearer(org.owner.token))
    assert listed.json()["records"][0]["connectionId"] == str(info.id)
    async with database.write() as conn:
        with pytest.raises(Conflict, match="used by 1 model"):
            await connections.remove(conn, org.id, "shop")
        with pytest.raises(NotFound):
            await models.register(
                conn, org.id, name="Other", connection="nope", definition=definition
            )


def test_the_key_file_is_private_and_kept(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, home=tmp_path / "home", secret_key=None)
    sealed = SecretBox.from_settings(settings).seal("hunter2")
    key_file = tmp_path / "home" / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert SecretBox.from_settings(settings).open(sealed) == "hunter2"
    # Moving to PARLEY_SECRET_KEY: what the key file sealed still opens while it exists...
    keyed = Settings(_env_file=None, home=tmp_path / "home", secret_key="shared by replicas")
    assert SecretBox.from_settings(keyed).open(sealed) == "hunter2"
    # ...but not on a replica without the file, which shares only the setting.
    elsewhere = Settings(_env_file=None, home=tmp_path / "other", secret_key="shared by replicas")
    with pytest.raises(SecretUnreadable, match="PARLEY_SECRET_KEY"):
        SecretBox.from_settings(elsewhere).open(sealed)
    assert SecretBox.from_settings(elsewhere).open(SecretBox.from_settings(keyed).seal("x")) == "x"


def test_a_rotated_key_still_opens_what_the_old_one_sealed(tmp_path: Path) -> None:
    old = Settings(_env_file=None, home=tmp_path / "home", secret_key="before")
    sealed = SecretBox.from_settings(old).seal("hunter2")
    rotated = Settings(_env_file=None, home=tmp_path / "home", secret_key="after")
    with pytest.raises(SecretUnreadable):
        SecretBox.from_settings(rotated).open(sealed)
    listed = Settings(
        _env_file=None,
        home=tmp_path / "home",
        secret_key="after",
        previous_secret_keys="older, before",
    )
    assert SecretBox.from_settings(listed).open(sealed) == "hunter2"
    # New secrets are sealed with the new key alone.
    assert SecretBox.from_settings(rotated).open(SecretBox.from_settings(listed).seal("x")) == "x"


def test_connection_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reader_url: str, small_warehouse: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PARLEY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PARLEY_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'parley.db'}")
    runner = CliRunner()

    def parley(*args: str) -> tuple[int, dict[str, Any]]:
        result = runner.invoke(cli_app, [*args, "--json"])
        return result.exit_code, json.loads(result.stdout)

    code, org = parley("orgs", "create", "Shop")
    assert code == 0
    code, added = parley(
        "connections", "add", "--org", str(org["id"]), "--name", "pg", "--url", reader_url
    )
    assert code == 0 and added["kind"] == "postgres" and "p%40ss" not in str(added["url"])
    code, failed = parley(
        "connections",
        "add",
        "--org",
        str(org["id"]),
        "--name",
        "gone",
        "--url",
        f"postgresql://x@127.0.0.1:{closed_port()}/db",
    )
    assert code == 1 and failed["status"] == 400 and "cannot reach" in str(failed["detail"])
    code, tested = parley("connections", "test", "--org", str(org["id"]), "pg")
    assert code == 0 and tested["id"] == added["id"]
    model_file = tmp_path / "demo.yaml"
    model_file.write_text(MODEL_PATH.read_text())
    code, model = parley(
        "models", "add", "--org", str(org["id"]), "--file", str(model_file), "--connection", "pg"
    )
    assert code == 0 and model["connectionId"] == added["id"]
    code, legacy = parley(
        "models",
        "add",
        "--org",
        str(org["id"]),
        "--file",
        str(model_file),
        "--connection",
        f"duckdb:///{small_warehouse}",
        "--name",
        "duck",
    )
    assert code == 0 and legacy["connectionId"] is None
    code, listed = parley("connections", "list", "--org", str(org["id"]))
    assert code == 0 and [c["name"] for c in listed["connections"]] == ["pg"]
    code, refused = parley("connections", "remove", "--org", str(org["id"]), "pg")
    assert code == 1 and refused["status"] == 409


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("postgresql://bob:pa%3Ass@db.internal:5432/shop", "pa:ss"),
        ("snowflake://bob:hunter2@acme-xy123/shop/public?warehouse=wh&role=analyst", "hunter2"),
        ("trino://bob@trino.internal:443/hive?access_token=tok-123&source=parley", "tok-123"),
        ("databricks://token:dapi-999@adb.example.net?http_path=/sql/1&catalog=main", "dapi-999"),
        ("sc://spark.example.net:443/;use_ssl=true;token=sc-777", "sc-777"),
    ],
)
def test_credentials_leave_the_url_and_come_back(url: str, secret: str) -> None:
    public, sealed = urls.split(url)
    assert secret not in public and sealed is not None and secret in sealed
    joined = urls.join(public, sealed)
    if url.startswith("sc://"):
        assert sorted(joined.split(";")) == sorted(url.split(";"))
        return
    before, after = make_url(url), make_url(joined)
    assert after.password == before.password and dict(after.query) == dict(before.query)
    assert (after.username, after.host, after.port, after.database) == (
        before.username,
        before.host,
        before.port,
        before.database,
    )


async def test_a_warehouse_that_is_down_is_a_clear_503(
    client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    async with database.write() as conn:
        model = await models.register(
            conn,
            org.id,
            name="Gone",
            connection_url=f"postgresql://reader@127.0.0.1:{closed_port()}/shop",
            definition=yaml.safe_load(MODEL_PATH.read_text()),
            check_connection=False,  # it was up when registered
        )
    response = await client.post(
        "/api/v1/ai/generate-query",
        json={"modelId": str(model.id), "prompt": "Revenue by region"},
        headers=bearer(org.owner.token),
    )
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == 503 and body["detail"].startswith("cannot open the model's warehouse")
