"""Find the linear, constant-coefficient part ``L u`` of each field's right-hand side.

A term counts as linear when it is a coefficient that uses only parameters
(no fields, coordinates, states or ``t``) times the field itself, one of its
derivatives, or its Laplacian. The rest is the nonlinear part ``N``. On an
all-periodic spectral grid the Fourier symbol of ``L`` is recorded too, in the
wavenumber symbols ``k_<axis>``: the diagonal that an exponential integrator
needs.
"""

from __future__ import annotations

import sympy

from ... import spatial
from ...ir import LinearOperator
from .context import Grid

__all__ = ["linear_operator", "wavenumber"]


def wavenumber(axis: str) -> sympy.Symbol:
    """The wavenumber symbol ``k_<axis>`` of the Fourier symbols."""
    return sympy.Symbol(f"k_{axis}", real=True)


def linear_operator(field: str, rhs: sympy.Expr, grid: Grid, parameters: set[str]) -> LinearOperator:
    """Split ``rhs`` (lets inlined, operators not yet discretised) into ``L u + N``."""
    axes = list(grid.domains)
    terms: dict[tuple[int, ...], sympy.Expr] = {}
    rest = []
    for term in sympy.Add.make_args(sympy.expand(rhs)):
        found = _linear_term(term, field, axes, parameters)
        if found is None:
            rest.append(term)
            continue
        for coefficient, orders in found:
            terms[orders] = terms.get(orders, 0) + coefficient
    pairs = tuple((c, o) for o, c in terms.items() if c != 0)
    symbol = None
    if grid.all_spectral:
        symbol = sympy.Add(*(c * sympy.Mul(*((sympy.I * wavenumber(a)) ** n for a, n in zip(axes, o)))
                             for c, o in pairs))
        symbol = sympy.expand(symbol)
    return LinearOperator(field, pairs, symbol, sympy.Add(*rest))


def _linear_term(term, field, axes, parameters):
    """``[(coefficient, orders), ...]`` if ``term`` is linear in ``field`` with a constant coefficient."""
    factors = sympy.Mul.make_args(term)
    operators = [f for f in factors if _operator_of(f, field, axes) is not None]
    if len(operators) != 1:
        return None
    coefficient = sympy.Mul(*(f for f in factors if f is not operators[0]))
    if any(s.name not in parameters for s in coefficient.free_symbols) or coefficient.has(*spatial.SPATIAL_NODES):
        return None
    return [(coefficient, orders) for orders in _operator_of(operators[0], field, axes)]


def _operator_of(expr, field, axes):
    """The derivative orders of ``expr`` as a list of per-axis tuples, if it is an operator applied to ``field``."""
    if isinstance(expr, sympy.Symbol) and expr.name == field:
        return [tuple(0 for _ in axes)]
    if isinstance(expr, spatial.Laplacian):
        inner = _operator_of(expr.args[0], field, axes)
        if inner is None or len(inner) != 1:
            return None
        return [tuple(n + (2 if i == j else 0) for j, n in enumerate(inner[0])) for i in range(len(axes))]
    if isinstance(expr, spatial.Diff):
        inner = _operator_of(expr.args[0], field, axes)
        if inner is None or len(inner) != 1 or expr.args[1].name not in axes:
            return None
        i = axes.index(expr.args[1].name)
        return [tuple(n + (int(expr.args[2]) if j == i else 0) for j, n in enumerate(inner[0]))]
    return None
