"""The docs say what the code does: every setting, route and command is documented."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main
from fastapi import FastAPI

from parley.cli import app as cli_app
from parley.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def read(name: str) -> str:
    return (ROOT / name).read_text()


def test_every_setting_is_documented() -> None:
    configuration, readme = read("docs/configuration.md"), read("README.md")
    for name in Settings.model_fields:
        variable = f"`PARLEY_{name.upper()}`"
        assert variable in configuration, f"{variable} missing from docs/configuration.md"
        assert variable in readme, f"{variable} missing from README.md's table"


def test_every_api_route_is_documented(app: FastAPI) -> None:
    api = read("docs/api.md")
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            heading = f"`{method.upper()} {path}"
            assert heading in api, f"{heading}` missing from docs/api.md"


def _commands(group: typer.Typer, prefix: str = "") -> list[str]:
    click_group = typer.main.get_command(group)
    names: list[str] = []
    for name, command in getattr(click_group, "commands", {}).items():
        sub = getattr(command, "commands", None)
        if sub:
            names.extend(f"{prefix}{name} {child}" for child in sub)
        else:
            names.append(f"{prefix}{name}")
    return names


def test_every_command_is_documented() -> None:
    cli = read("docs/cli.md")
    commands = _commands(cli_app)
    assert "keys create" in commands and "serve" in commands
    for command in commands:
        assert re.search(rf"`parley {re.escape(command)}\b", cli), f"parley {command}"
