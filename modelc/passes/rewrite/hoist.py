"""Loop-invariant hoisting: parameter-only subexpressions become constants computed once per solve.

A subexpression that uses only parameters (no state, no ``t``) has the same
value at every evaluation of the right-hand side during a solve. `hoist`
names each such subexpression ``_k0, _k1, ...`` and replaces it by that
name; code generation computes the constants once per solve (the generated
``with_constants(parameter)``, docs/design.md). Because products and sums
are n-ary in SymPy, the parameter factors of a product are grouped first
(``k1*x*V/V2`` becomes ``_k0*x`` with ``_k0 = k1*V/V2``: a division per
evaluation becomes a multiplication), which plain CSE cannot do. Only
grouping and naming happen: every value is computed by the same operations
on the same operands up to reassociation of a product or a sum, so the
result is the original wherever the original is defined (a constant like
``1/V`` with ``V = 0`` is infinite where the original divided by zero).
"""

from __future__ import annotations

import sympy

from ...graphorder import topological_order
from .cost import WEIGHTS, weighted_cost

__all__ = ["CONSTANT_PREFIX", "Hoisted", "hoist", "hoist_lets"]

CONSTANT_PREFIX = "_k"


class Hoisted:
    """The constants found so far: ``definitions`` maps each constant's symbol to its
    expression (in parameters and earlier constants), in the order they were named."""

    def __init__(self, fixed, taken=()):
        self.fixed = set(fixed)
        self.definitions: dict[sympy.Symbol, sympy.Expr] = {}
        self._names: dict[sympy.Expr, sympy.Symbol] = {}
        self._taken = {str(n) for n in taken}
        self._fixed: dict = {}
        self._inlined: dict[sympy.Symbol, sympy.Expr] = {}
        self._counter = 0

    def name_of(self, expr: sympy.Expr) -> sympy.Symbol:
        """The constant standing for the parameter-only ``expr`` (a new one if it is new)."""
        if expr in self._names:
            return self._names[expr]
        while f"{CONSTANT_PREFIX}{self._counter}" in self._taken:
            self._counter += 1
        sym = sympy.Symbol(f"{CONSTANT_PREFIX}{self._counter}", real=True)
        self._counter += 1
        self._names[expr] = sym
        self.definitions[sym] = expr
        self._inlined[sym] = expr.xreplace(self._inlined)
        self.fixed.add(sym)
        return sym

    def folded(self, expr):
        """``expr`` with earlier constants written out, when that is cheaper: ``a - _k0``
        with ``_k0 = a + b`` is ``-b``."""
        if not (expr.free_symbols & self._inlined.keys()):
            return expr
        inlined = expr.xreplace(self._inlined)
        return inlined if weighted_cost(inlined) < weighted_cost(expr) else expr

    def is_fixed(self, expr) -> bool:
        """True when ``expr`` is a numeric expression of parameters and constants only."""
        if expr.is_Atom:
            return expr in self.fixed or expr.is_Number
        known = self._fixed.get(expr)
        if known is None:
            known = (isinstance(expr, sympy.Expr) and not expr.is_Boolean
                     and all(self.is_fixed(a) for a in expr.args))
            self._fixed[expr] = known
        return known

    def visit(self, expr):
        """``expr`` with its maximal parameter-only subexpressions replaced by constants."""
        if expr.is_Atom:
            return expr
        if self.is_fixed(expr):
            expr = self.folded(expr)
            return self.name_of(expr) if _worth(expr) else expr
        if isinstance(expr, (sympy.Add, sympy.Mul)):
            return self._grouped(expr)
        args = [self.visit(a) for a in expr.args]
        return expr if all(n is o for n, o in zip(args, expr.args)) else expr.func(*args)

    def _grouped(self, expr):
        """A sum or product whose parameter-only operands are combined into one constant."""
        fixed = [a for a in expr.args if self.is_fixed(a)]
        others = [a for a in expr.args if not self.is_fixed(a)]
        rest = [self.visit(a) for a in others]
        sign = sympy.Integer(-1) if isinstance(expr, sympy.Mul) and sympy.Integer(-1) in fixed else None
        core = [a for a in fixed if a is not sign]
        written = expr.func(*core) if core else expr.func.identity
        group = self.folded(written)
        if not _worth(group):
            if group is written and all(n is o for n, o in zip(rest, others)):
                return expr   # nothing hoisted: keep the node (rebuilding a product is slow)
        else:
            group = self.name_of(group)
        parts = rest + [group] + ([sign] if sign is not None else [])
        return expr.func(*parts)


def _worth(expr) -> bool:
    """True when naming ``expr`` saves at least one addition's worth per evaluation
    (``-k`` in a sum is a subtraction: free)."""
    return not expr.is_Atom and weighted_cost(expr) >= WEIGHTS["add"]


def hoist(exprs: list, parameters, taken=(), hoisted: Hoisted | None = None):
    """Hoist the parameter-only subexpressions of ``exprs``.

    Args:
        exprs: SymPy expressions (right-hand sides).
        parameters: the symbols that are constant during a solve.
        taken: names that constants must not use.
        hoisted: constants found earlier (extended in place), or None.
    Returns:
        ``(new expressions, Hoisted)``.
    """
    hoisted = hoisted or Hoisted(parameters, taken)
    return [hoisted.visit(e) for e in exprs], hoisted


def hoist_lets(lets: list, ders: list, parameters, taken=(), hoisted: Hoisted | None = None):
    """`hoist` over a model's let ``(symbol, expr)`` pairs and ``der`` expressions.

    A let whose value uses only parameters becomes a constant: its uses
    elsewhere read the constant (so it groups with other parameters), and the
    let itself stays as an alias of the constant for observables.
    Returns ``(let expressions, der expressions, Hoisted)``.
    """
    hoisted = hoisted or Hoisted(parameters, taken)
    by_symbol = dict(lets)
    edges = [(s, sym) for sym, expr in lets for s in expr.free_symbols if s in by_symbol]
    aliases: dict = {}
    new_lets: dict = {}
    for sym in topological_order(list(by_symbol), edges, key=str):
        expr = by_symbol[sym].xreplace(aliases)
        new = hoisted.visit(expr)
        if new in hoisted.definitions:
            aliases[sym] = new
        new_lets[sym] = new
    new_ders = [hoisted.visit(e.xreplace(aliases)) for e in ders]
    return [new_lets[sym] for sym, _ in lets], new_ders, hoisted
