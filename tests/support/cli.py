"""The CLI driven in process, on a SQLite database of the test's own."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from parley.cli import app as cli_app


def json_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """``parley ARGS --json`` in `tmp_path`'s own home and database: its parsed output,
    once the command has succeeded."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PARLEY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PARLEY_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'parley.db'}")
    runner = CliRunner()

    def parley(*args: str) -> Any:
        result = runner.invoke(cli_app, [*args, "--json"])
        assert result.exit_code == 0, result.stdout
        return json.loads(result.stdout)

    return parley
