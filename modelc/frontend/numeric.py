"""Numeric value of a constant SymPy expression, from its exact operands, with mpmath.

SymPy's own ``evalf`` may expand ``(a + b*I)^(10^40)`` as a polynomial before it
evaluates it; this walk evaluates each node with mpmath at a fixed working
precision instead, so its cost is linear in the expression and bounded per node.
Used by `constants.evaluated` to check and fold constants as they are built.
"""

from __future__ import annotations

import mpmath
import sympy

__all__ = ["numeric_value"]

_DIGITS = 30

_FUNCTIONS = {
    sympy.sin: mpmath.sin, sympy.cos: mpmath.cos, sympy.tan: mpmath.tan,
    sympy.asin: mpmath.asin, sympy.acos: mpmath.acos, sympy.atan: mpmath.atan,
    sympy.sinh: mpmath.sinh, sympy.cosh: mpmath.cosh, sympy.tanh: mpmath.tanh,
    sympy.asinh: mpmath.asinh, sympy.acosh: mpmath.acosh, sympy.atanh: mpmath.atanh,
    sympy.exp: mpmath.exp, sympy.log: mpmath.log, sympy.Abs: abs,
    sympy.sech: mpmath.sech, sympy.csch: mpmath.csch, sympy.coth: mpmath.coth,
}


class _Unknown(Exception):
    """A node this walk does not evaluate."""


def _value(expr: sympy.Basic):
    if expr.is_Integer:
        return mpmath.mpf(int(expr))
    if expr.is_Rational:
        return mpmath.mpf(int(expr.p)) / int(expr.q)
    if expr.is_Float:
        return mpmath.mpf(expr._mpf_)
    if expr is sympy.pi:
        return +mpmath.pi
    if expr is sympy.E:
        return mpmath.e
    if expr is sympy.I:
        return mpmath.mpc(0, 1)
    args = [_value(a) for a in expr.args]
    if expr.is_Add:
        return mpmath.fsum(args)
    if expr.is_Mul:
        return mpmath.fprod(args)
    if expr.is_Pow:
        return mpmath.power(*args)
    fn = _FUNCTIONS.get(expr.func)
    if fn is None or len(args) != 1:
        raise _Unknown(expr.func)
    return fn(args[0])


def numeric_value(expr: sympy.Basic):
    """``expr``'s value as an mpmath number (mpf or mpc) at 30 digits more than its
    longest exact integer or ratio has (so ``cos(10^40 - 1)`` reduces the exact
    integer), or None when it uses a node this walk does not know or mpmath cannot
    evaluate it."""
    bits = max((max(abs(int(a.p)), int(a.q)).bit_length() for a in expr.atoms(sympy.Rational)), default=0)
    try:
        with mpmath.workdps(_DIGITS + int(bits * 0.302) + 1):
            return _value(expr)
    except (_Unknown, ValueError, ZeroDivisionError, OverflowError, TypeError):
        return None
