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
path (docs/dae.md): the state stays in the state vector, its ``der`` stays 0
in the IR, and `rhs_rows` gives the rows of the mass-matrix right-hand side
``M y' = f`` that code generation emits (the residual ``lhs - rhs`` in the row
of each constrained state, `algebraic_states` the rows where ``M`` is 0).
With ``mode="numerical"`` no constraint is eliminated (every one takes the
numerical path: for comparisons and for solutions that are better computed
numerically). ``model.constraint_paths`` records ``(state, "symbolic" |
"numerical")`` for each constraint, so the solve statistics can report it. The
initial value of an eliminated state (a starting guess) is not used.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import sympy
from sympy.core.function import AppliedUndef

from ..functions import FUNCTIONS
from ..ir import DerValue, Model, Observe, TIME, symbol
from .derivative_values import has_atoms, map_expressions
from .inline import let_values

__all__ = ["eliminate_constraints", "solve_constraints", "rhs_rows", "algebraic_states",
           "algebraic_rates", "CONSTRAINT_MODES", "MAX_RATE_SYSTEM"]

CONSTRAINT_MODES = ("auto", "numerical")
"""``auto``: eliminate what SymPy solves uniquely; ``numerical``: eliminate nothing."""

MAX_RATE_SYSTEM = 4
"""``der(z)`` values of kept constraints are derived when at most this many are kept."""

# SymPy's exceptions for equations it cannot solve.
_UNSOLVABLE = (NotImplementedError, ValueError, TypeError, ZeroDivisionError, RecursionError)


def eliminate_constraints(model: Model, mode: str = "auto") -> Model:
    """The model with every constraint that SymPy solves uniquely eliminated.

    Args:
        model: a checked model (constraints paired with states that have no ``der``).
        mode: one of `CONSTRAINT_MODES` (``"numerical"``: eliminate none).

    Returns:
        the model with eliminated states turned into observables and
        ``constraint_paths`` recorded; the other constraints stay.
    """
    if mode not in CONSTRAINT_MODES:
        raise ValueError(f"constraints={mode!r}; choose one of {', '.join(CONSTRAINT_MODES)}")
    if not model.constraints:
        return model
    lets = let_values(model)
    residuals = {c.state: (c.lhs - c.rhs).xreplace(lets) for c in model.constraints}
    solved = solve_constraints(residuals) if mode == "auto" else {}
    kept = tuple(c for c in model.constraints if c.state not in solved)
    paths = tuple((c.state, "symbolic" if c.state in solved else "numerical") for c in model.constraints)
    if not solved:
        return algebraic_rates(replace(model, constraint_paths=model.constraint_paths + paths))
    values = {symbol(name): expr for name, expr in solved.items()}
    states = tuple(s for s in model.states if s.name not in solved)
    reduced = replace(model, states=states, constraints=kept,
                      derivatives=tuple(d for d in model.derivatives if d.state not in solved))
    rates = _rates(reduced, solved)  # der(y) first: substituting y would change the atom
    reduced = map_expressions(reduced, lambda e: e.xreplace(rates).xreplace(values))
    spans = {s.name: s.span for s in model.states}
    observes = tuple(Observe(name, expr, spans[name]) for name, expr in solved.items())
    return algebraic_rates(replace(reduced, observes=reduced.observes + observes,
                                   constraint_paths=model.constraint_paths + paths))


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
    if any(_mixed(e, u) for e in equations for u in unknowns):
        return None  # no closed form in the language (SymPy may spend minutes finding LambertW)
    try:
        solutions = sympy.solve(equations, unknowns, dict=True, rational=False)
    except _UNSOLVABLE:
        return None
    if len(solutions) != 1 or set(solutions[0]) != set(unknowns):
        return None
    if not all(_in_language(v) for v in solutions[0].values()):
        return None  # e.g. LambertW: no code for it; the numerical path solves the constraint
    return solutions[0]


def _mixed(equation: sympy.Expr, unknown: sympy.Symbol) -> bool:
    """Whether ``unknown`` appears inside a function (``exp(u)``, ``sin(2*u)``) and also
    elsewhere in ``equation`` (``u + exp(u)``, Shockley's ``i - Is*exp(-Rs*i/nVt)``): solving
    it needs LambertW or has no closed form."""
    numerator = sympy.together(equation).as_numer_denom()[0]
    poly = numerator.as_poly()
    if poly is None:
        return False
    holding = [g for g in poly.gens if unknown in g.free_symbols]
    inside = [g for g in holding if any(unknown in f.free_symbols for f in g.atoms(sympy.Function))]
    return bool(inside) and len(holding) > 1


@lru_cache(maxsize=1)
def _language_functions() -> frozenset:
    """The SymPy function classes that the language's functions build (and ``if``'s Piecewise)."""
    x, y = sympy.symbols("x y", real=True)
    built = [f.build(*(x, y)[:f.arity]) for f in FUNCTIONS.values()]
    return frozenset({sympy.Piecewise} | {type(a) for e in built for a in e.atoms(sympy.Function)})


def _in_language(expr: sympy.Expr) -> bool:
    """Whether a solution uses only real numbers and functions the language has (so code
    generation can print it)."""
    if expr.has(sympy.I, sympy.zoo, sympy.nan, sympy.RootOf):
        return False
    allowed = _language_functions()
    return all(type(a) in allowed or isinstance(a, (DerValue, AppliedUndef))  # externals
               for a in expr.atoms(sympy.Function))


def algebraic_rates(model: Model) -> Model:
    """``der(z)`` values of the states that kept constraints determine, by differentiating
    the constraints: ``G(t, x, z) = 0`` gives ``G_z z' = -(G_t + G_x x')``, solved
    symbolically for ``z'`` with ``x'`` the differential states' right-hand sides (at most
    `MAX_RATE_SYSTEM` kept constraints; the values are then expressions of the states, exact
    on the solution). ``der(z)`` is left in place (and refused by
    `modelc.passes.unsupported`) when a ``der`` equation or a constraint itself uses
    ``der(z)`` (a cycle through the rates) or more constraints are kept."""
    kept = {c.state for c in model.constraints}
    if not kept or not has_atoms(model, DerValue) or len(kept) > MAX_RATE_SYSTEM:
        return model
    lets = let_values(model)
    rows = [c.residual.xreplace(lets) for c in model.constraints]
    rhs = {symbol(d.state): d.expr.xreplace(lets) for d in model.derivatives if d.state not in kept}
    if any(e.atoms(DerValue) for e in rows + list(rhs.values())):
        return model
    residuals = sympy.Matrix(rows)
    unknowns = [symbol(c.state) for c in model.constraints]
    total = residuals.diff(TIME) + sum((residuals.diff(x) * f for x, f in rhs.items()),
                                       sympy.zeros(len(rows), 1))
    try:
        rates = residuals.jacobian(unknowns).LUsolve(-total)
    except (ValueError, ZeroDivisionError, NotImplementedError):  # a structurally singular G_z
        return model
    mapping = dict(zip((DerValue(u) for u in unknowns), rates))
    return map_expressions(model, lambda e: e.xreplace(mapping) if e.atoms(DerValue) else e)


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


def rhs_rows(model: Model) -> list[sympy.Expr]:
    """The rows of ``f`` in ``M y' = f``, in state order: each state's ``der`` expression,
    or for a state a kept constraint determines, its residual ``lhs - rhs``."""
    residuals = {c.state: c.residual for c in model.constraints}
    return [residuals.get(d.state, d.expr) for d in model.derivatives]


def algebraic_states(model: Model) -> tuple[str, ...]:
    """The states determined by kept constraints (the zero rows of ``M``), in state order."""
    kept = {c.state for c in model.constraints}
    return tuple(name for name in model.state_names if name in kept)
