"""The import rules of docs/design.md hold: packages import downwards only, with no
exception, the product imports neither tests nor benchmarks, benchmarks import no tests,
and nothing imports a conftest module."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
_LINT = (
    "import sys; from importlinter.cli import lint_imports; "
    "sys.exit(lint_imports(config_filename=sys.argv[1], no_cache=True))"
)


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


def test_no_contract_ignores_an_import() -> None:
    # An ignored import is a loop kept on purpose; the layers have none left.
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    assert [c["id"] for c in config["contracts"] if c.get("ignore_imports")] == []


def test_the_import_contracts_are_kept() -> None:
    # In a process of its own: import-linter configures logging with dictConfig, which
    # would disable every logger the suite had already created.
    done = subprocess.run(
        [sys.executable, "-c", _LINT, str(PYPROJECT)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_module_imports_a_conftest() -> None:
    # Fixtures reach tests through pytest; what a test imports lives in tests/support.
    offenders = []
    for path in [*(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            if any(name.split(".")[-1] == "conftest" for name in names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, offenders
