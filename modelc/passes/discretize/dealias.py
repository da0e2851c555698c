"""How a spectral grid is dealiased: the padded grid from the nonlinear terms' degree.

``dealias = pad`` (the default) evaluates the right-hand side of an
all-periodic spectral grid on a finer grid of ``M`` points per axis -- the
fields' spectra zero-padded -- and cuts the result's spectrum back to the
grid's ``n`` modes (Orszag's padding, the "3/2 rule", as Dedalus does). A
product of ``p`` band-limited factors with modes up to ``n/2`` has modes up to
``p n / 2``; on ``M`` points it aliases onto modes above ``M - p n / 2``, which
are cut when ``M - p n / 2 >= n / 2``, i.e. ``M >= (p + 1) n / 2``: 3/2 for
quadratic terms, 2 for cubic ones. Unlike the 2/3-rule truncation (``dealias =
truncate``), no resolved mode is dropped, so spectral accuracy is kept. The
degree ``p`` is the total polynomial degree of the nonlinear part in the fields,
their derivatives and their conjugates (``|u|^2 = u conj(u)`` is quadratic);
a non-polynomial nonlinearity (``exp(u)``, ``sech(u)``) cannot be dealiased
exactly and gets the cubic rule, ``M = 2 n``.
"""

from __future__ import annotations

import math

import sympy

from ... import spatial

__all__ = ["nonlinear_degree", "padded_points", "MAX_FACTOR"]

MAX_FACTOR = 2.0
"""Padding factor for cubic and non-polynomial nonlinearities (``M = 2 n``)."""


def nonlinear_degree(expr: sympy.Expr, fields: set[str]) -> int | None:
    """Total degree of ``expr`` in the fields (derivatives and conjugates of a field
    count as degree 1; ``Abs(u)**(2k)`` as ``(u conj(u))**k``); None when ``expr`` is
    not a polynomial in them."""
    atoms: dict = {}

    def atom(node):
        return atoms.setdefault(node, sympy.Dummy(f"a{len(atoms)}"))

    def has_field(node) -> bool:
        return any(s.name in fields for s in node.free_symbols)

    def visit(node):
        if isinstance(node, sympy.Symbol):
            return atom(node) if node.name in fields else node
        if not has_field(node):
            return node
        if isinstance(node, sympy.Pow) and isinstance(node.base, sympy.Abs) and node.exp.is_Integer \
                and int(node.exp) % 2 == 0:
            inner = visit(node.base.args[0])
            if inner is None:
                return None
            return (inner * atom(sympy.conjugate(node.base.args[0]))) ** (int(node.exp) // 2)
        if isinstance(node, sympy.conjugate) and isinstance(node.args[0], sympy.Symbol):
            return atom(node)
        if isinstance(node, (sympy.Add, sympy.Mul, sympy.Pow)):
            args = [visit(a) for a in node.args]
            return None if any(a is None for a in args) else node.func(*args)
        if isinstance(node, (spatial.Diff, spatial.Laplacian)):
            return visit(node.args[0])  # a derivative keeps the degree of what it differentiates
        if isinstance(node, spatial.DomainIntegral):
            return sympy.Dummy("integral")  # a scalar: degree 0 on the grid
        return None  # any other function of a field

    try:
        reduced = visit(expr)
        if reduced is None:
            return None
        gens = list(atoms.values())
        if not gens:
            return 0
        if not reduced.is_polynomial(*gens):
            return None
        return int(sympy.Poly(reduced, *gens).total_degree())
    except (TypeError, sympy.PolynomialError):
        return None


def padded_points(points: int, degree: int | None) -> int:
    """Points of the padded grid for ``points`` and a nonlinearity of ``degree``:
    ``ceil((p + 1) n / 2)`` rounded up to an even number (at most ``2 n``);
    ``points`` itself for a linear rhs."""
    if degree is not None and degree <= 1:
        return points
    factor = MAX_FACTOR if degree is None else min(MAX_FACTOR, (degree + 1) / 2)
    m = math.ceil(factor * points)
    return m + (m % 2)
