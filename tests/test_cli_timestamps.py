"""The CLI's JSON writes times as the API does: RFC 3339, UTC, milliseconds, ``Z``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from parley.cli import app as cli_app

API_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_key_and_usage_times_are_in_the_api_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PARLEY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PARLEY_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'parley.db'}")
    runner = CliRunner()

    def parley(*args: str) -> Any:
        result = runner.invoke(cli_app, [*args, "--json"])
        assert result.exit_code == 0, result.stdout
        return json.loads(result.stdout)

    org = parley("orgs", "create", "Shop")["id"]
    created = parley("keys", "create", "--org", org, "--expires-in", "3")
    assert API_TIME.match(created["expiresAt"]), created
    listed = {k["id"]: k for k in parley("keys", "list", "--org", org)["keys"]}
    assert listed[created["id"]]["expiresAt"] == created["expiresAt"]
    revoked = parley("keys", "revoke", created["id"])
    assert API_TIME.match(revoked["revokedAt"]), revoked
    usage = parley("orgs", "usage", org, "--since", "2026-05-01")
    assert usage["since"] == "2026-05-01T00:00:00.000Z"
