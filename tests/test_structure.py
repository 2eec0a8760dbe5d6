"""The layout the code promises (README, "Where things are"): floors that only
import downwards, areas that do not import each other, no cycle anywhere, and
modules and templates small enough to read. Read from the source with `ast`,
every import counted (one inside a function hides a cycle just as well)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "caseapp"

# Lower floors never import upper ones. Anything not named here sits between the
# rules and the areas (infrastructure: errors, security, navigation, demo, ...).
GROUND = {"caseapp.process", "caseapp.dates"}
RULES = {
    "caseapp.models",
    "caseapp.changes",
    "caseapp.contacts",
    "caseapp.permissions",
    "caseapp.workflow",
    "caseapp.notifications",
    "caseapp.outbox",
    "caseapp.validators",
}
AREAS = {
    "caseapp.intake",
    "caseapp.board",
    "caseapp.registrations",
    "caseapp.insight",
    "caseapp.auth",
    "caseapp.admin",
}
MAX_MODULE_LINES = 400
MAX_TEMPLATE_LINES = 200


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ours that `name` imports, anywhere in its code."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [module] + [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(target for target in targets if target in known and target != name)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, set(modules)) for name, path in modules.items()}


def _floor_of(module: str) -> str:
    """caseapp.board.service -> caseapp.board; caseapp.outbox.queue -> caseapp.outbox."""
    return ".".join(module.split(".")[:2])


def _reachable(edges: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for target in edges.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_the_ground_floor_imports_nothing_of_ours(graph):
    for module in GROUND:
        assert graph[module] == set(), f"{module} imports {sorted(graph[module])}"


def test_the_rules_import_no_area(graph):
    for module, targets in graph.items():
        if _floor_of(module) in RULES:
            upward = sorted(t for t in targets if _floor_of(t) in AREAS)
            assert not upward, f"{module} imports the areas {upward}"


def test_there_is_no_import_cycle(graph):
    for module in graph:
        # A package importing its own modules (re-exports) is not a cycle.
        edges = {m: {t for t in ts if not t.startswith(m + ".")} for m, ts in graph.items()}
        assert module not in _reachable(edges, module), f"{module} imports itself through others"


def test_no_two_top_level_parts_import_each_other(graph):
    """Areas, and the modules of the floors below them, depend one way only (the
    factory in caseapp/__init__.py wires everything and is left out)."""
    edges: dict[str, set[str]] = defaultdict(set)
    for module, targets in graph.items():
        for target in targets:
            if "caseapp" not in (_floor_of(module), _floor_of(target)) and _floor_of(module) != _floor_of(target):
                edges[_floor_of(module)].add(_floor_of(target))
    pairs = sorted(
        (a, b) for a in edges for b in _reachable(edges, a) if a < b and a in _reachable(edges, b)
    )
    assert pairs == []


@pytest.mark.parametrize(
    "folder, suffix, limit", [("caseapp", ".py", MAX_MODULE_LINES), ("templates", ".html", MAX_TEMPLATE_LINES)]
)
def test_no_file_is_too_long_to_read(folder, suffix, limit):
    too_long = {
        str(path.relative_to(ROOT)): length
        for path in (ROOT / folder).rglob(f"*{suffix}")
        if (length := len(path.read_text().splitlines())) > limit
    }
    assert too_long == {}
