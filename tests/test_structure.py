"""The shape of the package: no import cycles, one-way layers, short solver signatures,
no private names imported across modules. Read from the source with `ast`, deferred
(function-level) imports included, so nothing here depends on import order."""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parent.parent / "modelc"
# The runtime facade: what turns generated modules into solutions for users.
FACADE = ("modelc.api", "modelc.compiled", "modelc.runs", "modelc.options", "modelc.sampling",
          "modelc.ensemble", "modelc.fitting", "modelc.array_model", "modelc.solution")
COMPILER_LAYERS = ("modelc.frontend", "modelc.passes", "modelc.codegen")
MAX_SOLVER_PARAMETERS = 8


@lru_cache(maxsize=1)
def modules() -> dict[str, Path]:
    """Every module of the package by dotted name."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _imports(name: str, path: Path):
    """``(module imported, name imported or None)`` for every import in the file."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[:len(base) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                full = f"{target}.{alias.name}"
                yield (full, None) if full in modules() else (target, alias.name)


def _owner(target: str) -> str | None:
    """The package module that ``target`` names (itself, or its nearest parent module)."""
    while target and target not in modules():
        if "." not in target:
            return None
        target = target.rsplit(".", 1)[0]
    return target or None


@lru_cache(maxsize=1)
def import_graph() -> nx.DiGraph:
    """Module -> modules it imports (within the package)."""
    graph = nx.DiGraph()
    for name, path in modules().items():
        graph.add_node(name)
        for target, _ in _imports(name, path):
            owner = _owner(target)
            if owner and owner != name:
                graph.add_edge(name, owner)
    return graph


def _is_package_reexport(cycle: list[str]) -> bool:
    """A package's ``__init__`` and its own submodules (re-exports, not a design cycle)."""
    return all(m == cycle[0] or m.startswith(cycle[0] + ".") for m in sorted(cycle))


def test_no_import_cycles():
    cycles = [sorted(c) for c in nx.strongly_connected_components(import_graph()) if len(c) > 1]
    assert [c for c in cycles if not _is_package_reexport(c)] == []


def test_compiler_layers_do_not_import_the_runtime():
    graph = import_graph()
    broken = [f"{m} -> {t}" for m, t in graph.edges
              if m.startswith(COMPILER_LAYERS) and (t.startswith("modelc.solvers") or t in FACADE)]
    assert broken == []


def test_solvers_import_nothing_above_them():
    allowed = ("modelc.solvers", "modelc.errors", "modelc.methods", "modelc.runtime")
    broken = [f"{m} -> {t}" for m, t in import_graph().edges
              if m.startswith("modelc.solvers") and not t.startswith(allowed)]
    assert broken == []


def test_solver_functions_take_few_parameters():
    long = []
    for name, path in modules().items():
        if not name.startswith("modelc.solvers"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = node.args
                params = [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
                count = len(params) - (params[:1] in (["self"], ["cls"]))
                if count > MAX_SOLVER_PARAMETERS:
                    long.append(f"{name}.{node.name} ({count})")
    assert long == []


def test_no_private_names_imported_across_modules():
    private = [f"{name} <- {target}.{imported}"
               for name, path in modules().items()
               for target, imported in _imports(name, path)
               if imported and imported.startswith("_") and not imported.startswith("__")
               and _owner(target) not in (None, name)]
    assert private == []


def test_the_checks_can_fail():
    """The graph sees deferred imports and relative ones (a check that reads nothing passes)."""
    graph = import_graph()
    assert graph.number_of_edges() > 50
    assert graph.has_edge("modelc.api", "modelc.cache")
