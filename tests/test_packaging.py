"""The package declares what it imports: a plain `pip install` must be able to run it."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    bare = re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0]
    return bare.lower().replace("_", "-")


def _imports(tree: ast.Module) -> list[tuple[ast.AST, bool]]:
    """Every import node, and whether it runs only when a function is called."""
    found: list[tuple[ast.AST, bool]] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.append((child, lazy))
            visit(child, inner)

    visit(tree, False)
    return found


def test_every_third_party_import_is_a_runtime_dependency() -> None:
    """Imported on load: a runtime dependency. Imported inside a function: a runtime
    dependency or a warehouse driver extra (the kind checks for it first and names
    the extra when it is missing)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_name(r) for r in project["dependencies"]}
    extras = {
        _name(r)
        for name, requirements in project["optional-dependencies"].items()
        if name != "dev"
        for r in requirements
    }
    distributions = packages_distributions()
    missing = set()
    for path in (ROOT / "parley").rglob("*.py"):
        for node, lazy in _imports(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top == "parley" or top in sys.stdlib_module_names:
                    continue
                providers = {_name(d) for d in distributions.get(top, [top])}
                if not providers & (declared | extras if lazy else declared):
                    missing.add(f"{top} ({path.relative_to(ROOT)})")
    assert not missing, f"imported but not in [project].dependencies: {sorted(missing)}"
