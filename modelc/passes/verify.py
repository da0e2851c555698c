"""Invariants of the IR, checked between passes in tests.

A frontend that accepted a model, and every pass after it, must leave these
true; a violation is a bug in modelc, not in the user's model, so it raises
AssertionError rather than ModelError.
"""

from __future__ import annotations

import networkx as nx
import sympy

from ..ir import TIME, Model
from .inline import let_dependency_graph

__all__ = ["verify"]


def verify(model: Model) -> Model:
    """Check the IR's invariants and return the model unchanged.

    - every name is declared once across parameters, states, lets, observables;
    - derivatives are one per state, in state order;
    - expressions use only declared names and ``t``; parameter defaults use
      earlier parameters only; initial values use parameters only;
    - lets are acyclic;
    - reactions (before lowering) use declared species with positive integer
      coefficients and rates of declared names; species have no ``der``;
    - a network (after lowering) has a species x reactions stoichiometry
      matrix, and each of its species is a state or an eliminated one's
      observable, whose total is a parameter;
    - fields have one ``der`` each, in field order; their initial values use
      parameters and domain coordinates; boundaries name a field and an axis;
    - events assign states (or species before lowering) and use declared names;
      each constraint determines its own state; ``constraint_paths`` name each
      constrained state once, as ``"symbolic"`` (no longer a state, an
      observable) or ``"numerical"`` (a state with a kept constraint).
    """
    groups = {
        "parameter": [p.name for p in model.parameters],
        "state": [s.name for s in model.states],
        "species": [s.name for s in model.species],
        "let": [le.name for le in model.lets],
        "observable": [o.name for o in model.observes],
        "field": list(model.field_names),
        "domain": [d.name for d in model.domains],
    }
    every = [name for names in groups.values() for name in names]
    assert len(every) == len(set(every)), f"duplicate names in {every}"
    assert tuple(d.state for d in model.derivatives) == model.state_names, "der order"

    params = set(groups["parameter"])
    usable = params | set(groups["state"]) | set(groups["species"]) | set(groups["let"]) | {TIME.name}
    usable |= set(groups["field"]) | set(groups["domain"])
    usable |= _verify_constants(model, params, usable)
    _verify_fields(model, usable, params | set(groups["domain"]))
    for d in model.derivatives:
        _uses_only(d.expr, usable, f"der({d.state})")
    for item in model.lets + model.observes:
        _uses_only(item.expr, usable, item.name)
    for s in model.states + model.species:
        _uses_only(s.initial, params, f"initial value of {s.name}")
    _verify_reactions(model, usable)
    _verify_events(model, usable)
    _verify_network(model)
    earlier: set[str] = set()
    for p in model.parameters:
        _uses_only(p.default, earlier, f"default of {p.name}")
        earlier.add(p.name)
    assert nx.is_directed_acyclic_graph(let_dependency_graph(model)), "circular lets"
    return model


def _verify_reactions(model: Model, usable: set[str]) -> None:
    species = {s.name for s in model.species}
    labels = [r.label for r in model.reactions]
    assert len(labels) == len(set(labels)), f"duplicate reaction labels in {labels}"
    for r in model.reactions:
        for name, coeff in r.reactants + r.products:
            assert name in species, f"reaction {r.label} uses {name!r}, not a species"
            assert isinstance(coeff, (int, sympy.Rational)) and coeff > 0, \
                f"reaction {r.label}: coefficient {coeff!r} of {name}"
        for expr in (r.forward, r.reverse):
            if expr is not None:
                _uses_only(expr, usable, f"rate of reaction {r.label}")
        assert not (r.explicit and r.reverse is not None), f"reaction {r.label}: explicit rate with reverse constant"
    assert not species & {d.state for d in model.derivatives}, "a species has a der"


def _verify_events(model: Model, usable: set[str]) -> None:
    targets = set(model.state_names) | {s.name for s in model.species}
    for e in model.events:
        assert not (e.stop and e.assignments), f"stop event {e.name} with assignments"
        for expr in (e.condition, e.options.delay, e.options.priority):
            _uses_only(expr, usable, f"event {e.name}")
        for a in e.assignments:
            assert a.target in targets, f"event {e.name} assigns {a.target!r}, not a state"
            _uses_only(a.expr, usable, f"event {e.name}")
    states = [c.state for c in model.constraints]
    assert len(states) == len(set(states)) and set(states) <= set(model.state_names), f"constraints {states}"
    for c in model.constraints:
        _uses_only(c.lhs - c.rhs, usable, f"constraint for {c.state}")
    paths = dict(model.constraint_paths)
    assert len(paths) == len(model.constraint_paths), "a state with two constraint paths"
    for state, path in paths.items():
        assert path in ("symbolic", "numerical"), f"constraint path {path!r}"
        if path == "symbolic":
            assert state in model.observe_names and state not in model.state_names, f"eliminated {state}"
        else:
            assert state in states, f"numerical constraint of {state} is gone"


def _verify_fields(model: Model, usable: set[str], coordinates: set[str]) -> None:
    assert tuple(d.state for d in model.field_derivatives) == model.field_names, "field der order"
    for d in model.field_derivatives:
        _uses_only(d.expr, usable, f"der({d.state})")
    for f in model.fields:
        _uses_only(f.initial, coordinates, f"initial value of field {f.name}")
    axes = {d.name for d in model.domains}
    for b in model.boundaries:
        assert b.field in model.field_names and b.axis in axes, f"boundary of {b.field} at {b.axis}"
        assert b.side in ("lower", "upper") and b.kind in ("dirichlet", "neumann"), "boundary kind"
        _uses_only(b.value, usable, f"boundary value of {b.field}")


def _verify_network(model: Model) -> None:
    network = model.network
    if network is None:
        return
    assert network.stoichiometry.shape == (len(network.species), len(network.reactions)), "stoichiometry shape"
    assert all(isinstance(x, sympy.Rational) for x in network.stoichiometry), "stoichiometry not rational"
    states, observes = set(model.state_names), set(model.observe_names)
    eliminated = dict(network.eliminated)
    for name in network.species:
        if name in eliminated:
            assert name in observes and name not in states, f"eliminated species {name} is not an observable"
            assert eliminated[name] in model.parameter_names, f"total of {name} is not a parameter"
        else:
            assert name in states, f"species {name} is not a state after lowering"


def _verify_constants(model: Model, params: set[str], names: set[str]) -> set[str]:
    """Hoisted constants use only parameters and earlier constants; returns their names."""
    earlier: set[str] = set()
    for name, expr in model.constants:
        assert name not in names and name not in earlier, f"constant {name} clashes with a name"
        _uses_only(expr, params | earlier, f"constant {name}")
        earlier.add(name)
    return earlier


def _uses_only(expr, allowed: set[str], where: str) -> None:
    unknown = {s.name for s in expr.free_symbols} - allowed
    assert not unknown, f"{where} uses undeclared {sorted(unknown)}"
