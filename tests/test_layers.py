"""The import rules of docs/design.md hold: packages import downwards only, the product
imports neither tests nor benchmarks, and benchmarks import no tests."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"


def _layers() -> list[str]:
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    contract = next(c for c in config["contracts"] if c["id"] == "layers")
    return [name.strip() for layer in contract["layers"] for name in layer.split("|")]


def test_every_package_has_a_layer() -> None:
    # A package missing from the layers would be free to import anything.
    named = set(_layers())
    unplaced = [
        f"parley.{path.stem if path.suffix else path.name}"
        for path in (ROOT / "parley").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__")
        or (path.is_dir() and (path / "__init__.py").exists())
    ]
    assert not [name for name in unplaced if name not in named], "add them to pyproject.toml"


def test_the_import_contracts_are_kept(capsys: pytest.CaptureFixture[str]) -> None:
    code = lint_imports(config_filename=str(PYPROJECT), no_cache=True)
    assert code == 0, capsys.readouterr().out
