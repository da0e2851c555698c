"""The symbolic Jacobian of the right-hand side and its sparsity pattern.

Lets are inlined first so that the chain rule runs through them; common
subexpressions are recovered later by code generation. Functions that are
piecewise constant (floor, ceil, sign, heaviside) have derivative 0 almost
everywhere, which is what a step-size-controlled solver needs; their
distributional parts (DiracDelta) are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from ..ir import Model, symbol
from .constraints import rhs_rows
from .inline import inline_lets

__all__ = ["JacobianEntry", "jacobian_entries"]


@dataclass(frozen=True)
class JacobianEntry:
    """``d rhs[row] / d state[col] = expr`` (a structurally nonzero entry)."""

    row: int
    col: int
    expr: sympy.Expr


def jacobian_entries(model: Model) -> list[JacobianEntry]:
    """The nonzero entries of d(rhs)/d(state), row by row, columns ascending (the rows of
    algebraic states are their constraint residuals, `modelc.passes.constraints.rhs_rows`)."""
    flat = inline_lets(model)
    columns = {symbol(name): j for j, name in enumerate(model.state_names)}
    entries = []
    for i, row in enumerate(rhs_rows(flat)):
        used = sorted(columns[s] for s in row.free_symbols if s in columns)
        for j in used:
            value = _almost_everywhere(sympy.diff(row, symbol(model.state_names[j])))
            if value != 0:
                entries.append(JacobianEntry(i, j, value))
    return entries


def _almost_everywhere(expr: sympy.Expr) -> sympy.Expr:
    """Drop DiracDelta terms and derivatives of piecewise-constant functions."""
    if not expr.has(sympy.DiracDelta, sympy.Derivative):
        return expr
    replacements = {}
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.DiracDelta):
            replacements[node] = sympy.Integer(0)
        elif isinstance(node, sympy.Derivative) and isinstance(
            node.expr, (sympy.floor, sympy.ceiling, sympy.sign, sympy.Heaviside)
        ):
            replacements[node] = sympy.Integer(0)
    expr = expr.xreplace(replacements)
    return expr.replace(lambda e: isinstance(e, sympy.Subs), lambda e: e.doit())
