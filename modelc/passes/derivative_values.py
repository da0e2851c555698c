"""``der(x)`` used as a value: replaced by ``x``'s right-hand side.

`substitute_derivative_values` runs after reaction lowering (so a species'
``der(S)`` is its reaction terms). Each ``ir.DerValue(x)`` in the ``der``
equations, lets, observables, events and constraints becomes ``x``'s
right-hand side, itself with its ``der(y)`` values resolved first (the checker
has ruled out cycles). A state that only events change has the right-hand side
0. ``der(x)`` inside ``delay(...)`` is left in place (it is the rate at the delayed
time, 0 before t0: `modelc.codegen.delays`). ``der(y)`` of a state that a constraint
determines is left in place: the
constraints pass (`modelc.passes.constraints`) replaces it by the time
derivative of ``y``'s solution when it eliminates the constraint.
"""

from __future__ import annotations

from dataclasses import replace

import sympy

from ..ir import Delay, DerValue, Model

__all__ = ["substitute_derivative_values", "map_expressions", "has_atoms"]


def substitute_derivative_values(model: Model) -> Model:
    """The model with every ``der(x)`` value of a state with an equation replaced.

    Args:
        model: a checked model, reactions lowered.

    Returns:
        the model without `ir.DerValue` atoms, except those of constrained states.
    """
    if not has_atoms(model, DerValue):
        return model
    algebraic = {c.state for c in model.constraints}
    rhs = {d.state: d.expr for d in model.derivatives if d.state not in algebraic}
    for _ in range(len(rhs) + 1):
        mapping = _mapping(rhs, [*rhs.values()])
        if not mapping:
            break
        rhs = {name: expr.xreplace(mapping) for name, expr in rhs.items()}
    return map_expressions(model, lambda e: _outside_delays(e, rhs))


def _outside_delays(expr, rhs: dict):
    """``expr`` with its ``der(x)`` values replaced, except inside ``delay(...)``: there
    ``der(x)`` is the history's rate of change at the delayed time (0 before t0, where the
    history is constant), which `modelc.codegen.delays` lowers."""
    if not isinstance(expr, sympy.Basic) or not expr.atoms(DerValue):
        return expr
    delays = {d: sympy.Dummy() for d in expr.atoms(Delay)}
    return expr.xreplace(delays).xreplace(_mapping(rhs, [expr.xreplace(delays)])).xreplace(
        {v: k for k, v in delays.items()})


def _mapping(rhs: dict[str, sympy.Expr], exprs) -> dict:
    """``DerValue(x) -> rhs[x]`` for the `DerValue` atoms of ``exprs`` that have a right-hand side."""
    atoms = set().union(*(e.atoms(DerValue) for e in exprs)) if exprs else set()
    return {a: rhs[a.args[0].name] for a in atoms if a.args[0].name in rhs}


def map_expressions(model: Model, fn) -> Model:
    """The model with ``fn`` applied to every expression of its equations (fields' included), lets, observables,
    events (conditions, assignments, delay and priority) and constraints."""
    events = tuple(
        replace(e, condition=fn(e.condition),
                options=replace(e.options, delay=fn(e.options.delay), priority=fn(e.options.priority)),
                assignments=tuple(replace(a, expr=fn(a.expr)) for a in e.assignments))
        for e in model.events)
    return replace(
        model,
        derivatives=tuple(replace(d, expr=fn(d.expr)) for d in model.derivatives),
        field_derivatives=tuple(replace(d, expr=fn(d.expr)) for d in model.field_derivatives),
        lets=tuple(replace(le, expr=fn(le.expr)) for le in model.lets),
        observes=tuple(replace(o, expr=fn(o.expr)) for o in model.observes),
        events=events,
        constraints=tuple(replace(c, lhs=fn(c.lhs), rhs=fn(c.rhs)) for c in model.constraints),
    )


def has_atoms(model: Model, kind) -> bool:
    """Whether any expression of the model (as `map_expressions` visits them) contains a ``kind`` atom."""
    found = []
    map_expressions(model, lambda e: found.append(bool(e.atoms(kind))) or e)
    return any(found)
