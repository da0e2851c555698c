"""Constraints solved symbolically where SymPy can: the determined state becomes an observable.

`eliminate_constraints` runs after `modelc.passes.derivative_values`. It solves
the constraints (lets inlined) for their paired states, all together first and
then one by one; a state with exactly one real solution that does not use
another constrained state is *eliminated*: it leaves the state vector, every
expression uses its solution instead, ``der(y)`` values of it become the time
derivative of the solution (by the chain rule through the other states'
right-hand sides), and an observable of its name keeps ``sol[name]`` working.
Robertson's ``constraint y1 + y2 + y3 = 1`` gives ``y3 = 1 - y1 - y2``.

The other constraints are kept in ``model.constraints`` for the numerical DAE
path. ``model.constraint_paths`` records ``(state, "symbolic" | "numerical")``
for each constraint, so the solve statistics can report it. The initial value of
an eliminated state (a starting guess) is not used.
"""

from __future__ import annotations

from dataclasses import replace

import sympy

from ..ir import DerValue, Model, Observe, TIME, symbol
from .derivative_values import map_expressions
from .inline import let_values

__all__ = ["eliminate_constraints", "solve_constraints"]

# SymPy's exceptions for equations it cannot solve.
_UNSOLVABLE = (NotImplementedError, ValueError, TypeError, ZeroDivisionError, RecursionError)


def eliminate_constraints(model: Model) -> Model:
    """The model with every constraint that SymPy solves uniquely eliminated.

    Args:
        model: a checked model (constraints paired with states that have no ``der``).

    Returns:
        the model with eliminated states turned into observables and
        ``constraint_paths`` recorded; the other constraints stay.
    """
    if not model.constraints:
        return model
    lets = let_values(model)
    residuals = {c.state: (c.lhs - c.rhs).xreplace(lets) for c in model.constraints}
    solved = solve_constraints(residuals)
    kept = tuple(c for c in model.constraints if c.state not in solved)
    paths = tuple((c.state, "symbolic" if c.state in solved else "numerical") for c in model.constraints)
    if not solved:
        return replace(model, constraint_paths=model.constraint_paths + paths)
    values = {symbol(name): expr for name, expr in solved.items()}
    states = tuple(s for s in model.states if s.name not in solved)
    reduced = replace(model, states=states, constraints=kept,
                      derivatives=tuple(d for d in model.derivatives if d.state not in solved))
    rates = _rates(reduced, solved)  # der(y) first: substituting y would change the atom
    reduced = map_expressions(reduced, lambda e: e.xreplace(rates).xreplace(values))
    spans = {s.name: s.span for s in model.states}
    observes = tuple(Observe(name, expr, spans[name]) for name, expr in solved.items())
    return replace(reduced, observes=reduced.observes + observes,
                   constraint_paths=model.constraint_paths + paths)


def solve_constraints(residuals: dict[str, sympy.Expr]) -> dict[str, sympy.Expr]:
    """``{state: solution}`` for the states whose residual ``= 0`` SymPy solves uniquely.

    All residuals are solved together first; when that gives no unique solution,
    each alone, keeping a solution only if it uses no other constrained state.
    """
    unknowns = [symbol(name) for name in residuals]
    together = _unique(list(residuals.values()), unknowns)
    if together is not None and all(not (v.free_symbols & set(unknowns)) for v in together.values()):
        return {u.name: together[u] for u in unknowns}
    solved = {}
    for name, residual in residuals.items():
        alone = _unique([residual], [symbol(name)])
        if alone is not None and not (alone[symbol(name)].free_symbols & set(unknowns)):
            solved[name] = alone[symbol(name)]
    return solved


def _unique(equations: list, unknowns: list) -> dict | None:
    """SymPy's solution of ``equations = 0`` for ``unknowns`` if it has exactly one, else None."""
    if any(e.atoms(DerValue) for e in equations):
        return None
    try:
        solutions = sympy.solve(equations, unknowns, dict=True, rational=False)
    except _UNSOLVABLE:
        return None
    if len(solutions) != 1 or set(solutions[0]) != set(unknowns):
        return None
    return solutions[0]


def _rates(model: Model, solved: dict[str, sympy.Expr]) -> dict:
    """``DerValue(y) -> d/dt solution(y)`` for each eliminated ``y``: the partial derivative in
    ``t`` plus, for each state ``x`` it uses, ``d(solution)/dx * der(x)``."""
    rhs = {symbol(d.state): d.expr for d in model.derivatives}
    rates = {}
    for name, expr in solved.items():
        total = sympy.diff(expr, TIME) + sympy.Add(*(sympy.diff(expr, x) * f for x, f in rhs.items()
                                                      if x in expr.free_symbols))
        rates[DerValue(symbol(name))] = total
    return rates
