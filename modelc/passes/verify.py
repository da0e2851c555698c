"""Invariants of the IR, checked between passes in tests.

A frontend that accepted a model, and every pass after it, must leave these
true; a violation is a bug in modelc, not in the user's model, so it raises
AssertionError rather than ModelError.
"""

from __future__ import annotations

import networkx as nx

from ..ir import TIME, Model
from .inline import let_dependency_graph

__all__ = ["verify"]


def verify(model: Model) -> Model:
    """Check the IR's invariants and return the model unchanged.

    - every name is declared once across parameters, states, lets, observables;
    - derivatives are one per state, in state order;
    - expressions use only declared names and ``t``; parameter defaults use
      earlier parameters only; initial values use parameters only;
    - lets are acyclic.
    """
    groups = {
        "parameter": [p.name for p in model.parameters],
        "state": [s.name for s in model.states],
        "let": [le.name for le in model.lets],
        "observable": [o.name for o in model.observes],
    }
    every = [name for names in groups.values() for name in names]
    assert len(every) == len(set(every)), f"duplicate names in {every}"
    assert tuple(d.state for d in model.derivatives) == model.state_names, "der order"

    params = set(groups["parameter"])
    usable = params | set(groups["state"]) | set(groups["let"]) | {TIME.name}
    for d in model.derivatives:
        _uses_only(d.expr, usable, f"der({d.state})")
    for item in model.lets + model.observes:
        _uses_only(item.expr, usable, item.name)
    for s in model.states:
        _uses_only(s.initial, params, f"initial value of {s.name}")
    earlier: set[str] = set()
    for p in model.parameters:
        _uses_only(p.default, earlier, f"default of {p.name}")
        earlier.add(p.name)
    assert nx.is_directed_acyclic_graph(let_dependency_graph(model)), "circular lets"
    return model


def _uses_only(expr, allowed: set[str], where: str) -> None:
    unknown = {s.name for s in expr.free_symbols} - allowed
    assert not unknown, f"{where} uses undeclared {sorted(unknown)}"
