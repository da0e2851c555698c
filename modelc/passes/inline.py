"""Inline ``let`` definitions into the expressions that use them."""

from __future__ import annotations

from dataclasses import replace

from typing import TYPE_CHECKING

from ..graphorder import topological_order
from ..ir import Model, symbol

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["inline_lets", "let_values", "let_dependency_graph", "let_edges", "constant_values"]


def let_dependency_graph(model: Model) -> nx.DiGraph:
    """A graph over let names with an edge ``a -> b`` when let ``b`` uses let ``a``."""
    import networkx as nx  # on first use: `modelc check` does not load networkx

    graph = nx.DiGraph()
    graph.add_nodes_from(le.name for le in model.lets)
    graph.add_edges_from(let_edges(model))
    return graph


def let_edges(model: Model) -> list[tuple[str, str]]:
    """The edges ``(a, b)`` of `let_dependency_graph`: let ``b`` uses let ``a``."""
    names = {le.name for le in model.lets}
    return [(s.name, le.name) for le in model.lets for s in le.expr.free_symbols if s.name in names]


def let_values(model: Model) -> dict:
    """Each let's symbol mapped to its expression in states, parameters, hoisted constants
    (`constant_values`) and ``t`` only."""
    by_name = {le.name: le for le in model.lets}
    values: dict = {}
    for name in topological_order(list(by_name), let_edges(model)):
        values[symbol(name)] = by_name[name].expr.xreplace(values)
    return values


def constant_values(model: Model) -> dict:
    """Each hoisted constant's symbol (``model.constants``) mapped to its expression in
    parameters only."""
    values: dict = {}
    for name, expr in model.constants:
        values[symbol(name)] = expr.xreplace(values)
    return values


def inline_lets(model: Model) -> Model:
    """The model with every let substituted into derivatives, observables and constraints;
    lets removed."""
    values = let_values(model)
    return replace(
        model,
        lets=(),
        derivatives=tuple(replace(d, expr=d.expr.xreplace(values)) for d in model.derivatives),
        observes=tuple(replace(o, expr=o.expr.xreplace(values)) for o in model.observes),
        constraints=tuple(replace(c, lhs=c.lhs.xreplace(values), rhs=c.rhs.xreplace(values))
                          for c in model.constraints),
    )
