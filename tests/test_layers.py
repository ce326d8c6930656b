"""The shape of the code: dependencies point down the layers, no import cycles, modules stay short.

Each module's imports are read with ``ast`` from its own source, including imports inside
functions and ``TYPE_CHECKING`` blocks: a type named across a layer is a dependency too. Every
module must be placed in a layer below; a new module fails the test until it is.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ingest", "search", "eval", "ui")
MAX_LINES = 500

# Lowest first. A module may import modules of its own layer or of lower ones, never higher.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("ingest", ("ingest",)),
    ("values: errors, settings, types, filters", ("search.errors", "search.config", "search.types", "search.filters")),
    ("encoder", ("search.embed",)),
    ("index files", ("search.index.integrity", "search.index.layout", "search.index.segments", "search.index.schema", "search.index.store", "search.index.dense", "search.index.lexical",
                     "search.index.expansion")),
    ("findings data", ("search.findings.model", "search.findings.cues", "search.findings.corpus",
                       "search.findings.extract", "search.findings.trails", "search.findings.storage")),
    ("index load and build", ("search.index.snapshot", "search.index.publish", "search.index.corrections",
                              "search.index.plan", "search.index.embedding", "search.index.reuse", "search.index.segment",
                              "search.index.generation",
                              "search.index.build")),
    ("reports in and the report manager", ("search.sources", "search.reports")),
    ("retrieve", ("search.retrieve",)),
    ("findings api", ("search.findings.api",)),
    ("answer", ("search.answer", "search.topics")),
    ("present", ("search.present",)),
    ("command line and evaluation", ("search.cli_io", "search.cli_index", "search.cli_fetch", "search.cli",
                                     "search.__main__", "eval")),
    ("app: its pages, then the entry point", ("ui",)),
    ("app", ("app",)),
]
ENTRY_POINTS = {"search.__main__"}  # may import the command line
PACKAGE_DOCS = {"search", "search.index", "search.findings", "search.retrieve", "search.answer", "eval", "ui"}
"""Package __init__ modules: a docstring only, so no layer (test_package_modules_import_nothing)."""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def source_modules() -> dict[str, Path]:
    found = {module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}
    found["app"] = ROOT / "app.py"
    return found


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The project modules ``path`` imports (``from package import module`` names the module)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if f"{node.module}.{alias.name}" in known:
                    out.add(f"{node.module}.{alias.name}")
                elif node.module in known:
                    out.add(node.module)
    return out


@cache
def import_graph() -> dict[str, set[str]]:
    modules = source_modules()
    known = set(modules)
    return {name: imports_of(path, known) - {name} for name, path in modules.items()}


def layer_of(module: str) -> int:
    if module in PACKAGE_DOCS:
        return 0
    best, rank = -1, -1
    for n, (_label, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), n
    return rank


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """'a -> b (layer x above layer y)' for every import of a higher layer, and of the command line or app."""
    found = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            if layer_of(target) > layer_of(module):
                found.append(f"{module} -> {target} ({LAYERS[layer_of(target)][0]} is above "
                             f"{LAYERS[layer_of(module)][0]})")
            elif target in ("app", "search.cli") and module not in ENTRY_POINTS:
                found.append(f"{module} -> {target} (nothing imports the command line or the app)")
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return out


# ---------------------------------------------------------------- the checks on the real code


def test_every_module_is_placed_in_a_layer() -> None:
    unplaced = sorted(m for m in import_graph() if layer_of(m) < 0)
    assert not unplaced, f"place these modules in a layer of tests/test_layers.py: {unplaced}"


def test_package_modules_import_nothing() -> None:
    graph = import_graph()
    assert {name: graph[name] for name in PACKAGE_DOCS if graph[name]} == {}


def test_imports_point_down_the_layers() -> None:
    found = upward_imports(import_graph())
    assert not found, "upward imports:\n" + "\n".join(found)


def test_nothing_below_the_app_imports_its_pages() -> None:
    graph = import_graph()
    found = [f"{m} -> {t}" for m, targets in graph.items() if not m.startswith(("ui", "app"))
             for t in targets if t == "app" or t.startswith("ui")]
    assert not found, found


def test_ingest_never_imports_search() -> None:
    graph = import_graph()
    found = [f"{m} -> {t}" for m, targets in graph.items() if m.startswith("ingest") for t in targets
             if not t.startswith("ingest")]
    assert not found, found


@pytest.mark.parametrize(("lower", "allowed"), [
    ("search.errors", ()),
    ("search.types", ()),
    ("search.config", ("search.errors",)),
    ("search.filters", ("search.errors", "search.types")),
])
def test_the_value_modules_import_no_higher_layer(lower: str, allowed: tuple[str, ...]) -> None:
    found = sorted(t for t in import_graph()[lower] if not t.startswith("ingest") and t not in allowed)
    assert not found, found


@pytest.mark.parametrize(("layer", "forbidden"), [
    ("search.index", ("search.retrieve", "search.findings.api", "search.answer", "search.present", "search.cli")),
    ("search.findings", ("search.answer", "search.present", "search.cli")),
    ("search.retrieve", ("search.findings.api", "search.answer", "search.present", "search.cli")),
    ("search.answer", ("search.present", "search.cli")),
])
def test_named_layers_do_not_reach_up(layer: str, forbidden: tuple[str, ...]) -> None:
    found = [f"{m} -> {t}" for m, targets in import_graph().items() if m.startswith(layer + ".")
             for t in targets if t.startswith(forbidden)]
    assert not found, found


def test_there_is_no_import_cycle() -> None:
    found = cycles(import_graph())
    assert not found, f"import cycles: {found}"


def test_no_module_is_longer_than_the_limit() -> None:
    long = {str(p.relative_to(ROOT)): n for name, p in source_modules().items() if name.split(".")[0] in
            ("ingest", "search", "ui", "app") for n in [len(p.read_text(encoding="utf-8").splitlines())] if n > MAX_LINES}
    assert not long, f"split these modules (at most {MAX_LINES} lines each): {long}"


# ---------------------------------------------------------------- the checks can fail


def test_an_upward_import_is_reported() -> None:
    graph = {"search.index.store": {"search.retrieve.searcher"}, "search.retrieve.searcher": set(),
             "search.answer.router": {"search.cli"}, "search.cli": set()}
    found = upward_imports(graph)
    assert any(f.startswith("search.index.store -> search.retrieve.searcher") for f in found), found
    assert any(f.startswith("search.answer.router -> search.cli") for f in found), found


def test_a_cycle_is_reported() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_imports_inside_functions_and_type_checking_count(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from search.cli import main\n"
                      "def f():\n    import search.retrieve.searcher\n    from search.index import store\n",
                      encoding="utf-8")
    known = {"search.cli", "search.retrieve.searcher", "search.index", "search.index.store"}
    assert imports_of(module, known) == {"search.cli", "search.retrieve.searcher", "search.index.store"}
