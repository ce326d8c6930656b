"""Every third-party module the code imports is declared in pyproject.toml: the product's in the
dependencies, the tests' and benchmarks' in the dev extras (or the product's)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OWN = {"ingest", "search", "eval", "benchmarks", "tests", "conftest", "app", "ui"}


def top_level_imports(files: list[Path]) -> dict[str, set[str]]:
    """module name -> the files importing it (third-party modules only)."""
    found: dict[str, set[str]] = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in OWN and top not in sys.stdlib_module_names:
                    found.setdefault(top, set()).add(path.name)
    return found


def declared(group: str | None) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = project["dependencies"] if group is None else project["optional-dependencies"][group]
    return {_normal(re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0]) for spec in specs}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def undeclared(imports: dict[str, set[str]], allowed: set[str]) -> dict[str, str]:
    distributions = packages_distributions()
    missing = {}
    for module, users in sorted(imports.items()):
        names = {_normal(d) for d in distributions.get(module, [module])}
        if not names & allowed:
            missing[module] = f"{sorted(names)} imported by {sorted(users)[:3]}"
    return missing


def test_the_product_declares_what_it_imports() -> None:
    files = [*(ROOT / "ingest").rglob("*.py"), *(ROOT / "search").rglob("*.py"), ROOT / "app.py"]
    missing = undeclared(top_level_imports(files), declared(None))
    assert not missing, f"add to [project] dependencies in pyproject.toml: {missing}"


def test_tests_benchmarks_and_evaluation_declare_what_they_import() -> None:
    files = [*(ROOT / "tests").rglob("*.py"), *(ROOT / "benchmarks").glob("*.py"), *(ROOT / "eval").rglob("*.py")]
    missing = undeclared(top_level_imports(files), declared(None) | declared("dev") | declared("studies"))
    assert not missing, f"add to the dev (or studies) extras in pyproject.toml: {missing}"


def test_an_undeclared_import_is_reported(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import numpy\nfrom pandas import DataFrame\nimport json\nfrom search import cli\n",
                      encoding="utf-8")
    imports = top_level_imports([module])
    assert set(imports) == {"numpy", "pandas"}
    assert set(undeclared(imports, {"numpy"})) == {"pandas"}
