"""Constant folding that stays bounded and agrees with run-time evaluation.

The transformer folds constants with SymPy's exact arithmetic. Left alone, SymPy
multiplies out ``9^9^9`` (370 million digits), turns ``1/0`` into ``zoo`` (an
infinity without a sign) and ``sqrt(-1)`` into ``I`` where the generated (real)
code would give ``inf`` or NaN. The rules:

- exact rationals keep at most `EXACT_BITS` bits (about 1,200 digits; the SBML
  importer writes infinity as ``10^400``, which stays exact and overflows to
  inf only at run time); a longer one is rounded to a double, as the run time
  would compute it, and reported where it overflows one (`power`, `rounded`);
- a decimal literal is the double nearest to it, as the generated code reads it
  (`literal`: ``1e308`` is the double 1.00000000000000001e308, ``1e-999`` is 0);
  integers stay exact;
- floating-point numbers stay within double range (``1e999`` is reported);
- a constant expression that SymPy leaves unevaluated (``1e308^pi``,
  ``sin(18446744073709551617)``) is evaluated from its exact operands
  (`evaluated`): beyond double range or not real, it is reported (the generated
  code would raise or compute inf/NaN in Python floats); one that uses an integer
  no double holds (beyond 2^53) is folded to its correctly rounded double, so
  that ``sin(2^64 + 1)`` is the sine of that integer, not of the double 2^64;
- ``zoo`` and signed infinities are reported (``1/0``, ``log(0)``); NaN is
  kept, because the run time computes NaN for ``0/0`` as well;
- a constant that is not real, in a model without complex fields, is
  reported (``sqrt(-1)``: the run time computes NaN);
- `flatten_sums` turns a chain ``a + b - c + ...`` of the parse tree into one
  node, so that a sum of n terms is built once (SymPy re-sorts a sum each time
  a term is added: n additions cost O(n^2 log n)).
"""

from __future__ import annotations

import math

import mpmath
import sympy
from lark import Token, Tree

from .numeric import numeric_value

__all__ = ["EXACT_BITS", "evaluated", "literal", "power", "problem", "rounded", "flatten_sums"]

# Exact rationals keep numerator and denominator within this many bits (about 1,200
# digits); longer ones are rounded to the nearest double.
EXACT_BITS = 4000
# Stands for a value beyond double range (reported by `problem` as an overflow).
_OVERFLOW = sympy.Float("1e999")
_NON_FINITE = {sympy.zoo: "infinite (a division by zero or a pole)", sympy.oo: "infinite",
               -sympy.oo: "-infinite"}


def _bits(r: sympy.Rational) -> int:
    return max(abs(int(r.p)).bit_length(), int(r.q).bit_length())


def power(base: sympy.Basic, exponent: sympy.Basic) -> sympy.Basic:
    """``base**exponent`` with exact results bounded: a huge rational power is rounded
    to a double (a stand-in beyond double range when it overflows one, which `problem`
    then reports). A product's rational factor is raised on its own (SymPy would
    distribute the power over ``(10^40/x)^(2^64)`` and multiply out the integer)."""
    if base.is_Mul and exponent.is_Integer:
        coefficient, rest = base.as_coeff_Mul()
        if coefficient.is_Rational and coefficient != 1:
            return power(coefficient, exponent) * rest**exponent
    if not (base.is_Rational and exponent.is_Integer) or base == 0 or abs(base) == 1:
        return base**exponent
    if _bits(base) * abs(int(exponent)) <= EXACT_BITS:
        return base**exponent
    log2 = float(exponent) * (math.log2(abs(int(base.p))) - math.log2(int(base.q)))
    if log2 > 1100:
        return _OVERFLOW if base > 0 or int(exponent) % 2 == 0 else -_OVERFLOW
    if log2 < -1100:
        return sympy.Float(0.0)
    value = sympy.Float(base, 30) ** exponent   # mpmath: exponents of any size, fast
    return sympy.Float(float(value))


def rounded(value: sympy.Basic) -> sympy.Basic:
    """An exact rational too long to keep (over `EXACT_BITS` bits) as its nearest
    double (a stand-in beyond double range when it overflows one); anything else unchanged."""
    if not (isinstance(value, sympy.Rational) and _bits(value) > EXACT_BITS):
        return value
    try:
        return sympy.Float(int(value.p) / int(value.q))   # correctly rounded
    except OverflowError:
        return _OVERFLOW if value > 0 else -_OVERFLOW


def literal(text: str) -> sympy.Number:
    """The value of a number literal: an integer exactly, a decimal as the double nearest
    to it (a stand-in beyond double range when it overflows one, which `problem` reports)."""
    if text.isdigit():
        return sympy.Integer(int(text))
    value = float(text)
    if math.isinf(value):
        return _OVERFLOW
    return sympy.Float(value)


_EXACT_INTEGER = 2**53   # every integer up to this is a double


def _inexact_integer(expr: sympy.Basic) -> bool:
    return any(isinstance(a, sympy.Rational) and max(abs(int(a.p)), int(a.q)) > _EXACT_INTEGER
               for a in expr.atoms(sympy.Rational))


def evaluated(value: sympy.Basic, real: bool) -> sympy.Basic:
    """A constant expression that is not a number, checked by evaluating it from its exact
    operands (`numeric_value`): ±stand-in beyond double range, ``I`` (reported as not
    real) when it is complex in a ``real`` model, its correctly rounded double when it
    uses an integer beyond 2^53; else ``value`` unchanged (also when it cannot be
    evaluated)."""
    if not isinstance(value, sympy.Expr) or value.is_Number or not value.args:
        return value
    number = numeric_value(value)
    if number is None:
        return value
    if isinstance(number, mpmath.mpc):
        if not real or abs(number.imag) <= 1e-15 * abs(number.real):
            return value
        return sympy.I
    if not mpmath.isfinite(number):
        return value
    if abs(number) > _DOUBLE_MAX:
        return _OVERFLOW if number > 0 else -_OVERFLOW
    return sympy.Float(float(number)) if _inexact_integer(value) else value


_DOUBLE_MAX = 1.7976931348623157e308


def _beyond_double(value: sympy.Basic) -> bool:
    if isinstance(value, sympy.Float):
        return not math.isfinite(float(value))
    return False


def problem(value: sympy.Basic, constant: bool, real: bool) -> str | None:
    """What is wrong with ``value``, just built from checked parts, or None.

    Only the value and its direct arguments are looked at (the parts were checked
    when they were built), so checking a whole expression costs time linear in it.

    Args:
        value: the SymPy value of an expression node.
        constant: whether the node uses no names (only numbers, pi, I).
        real: whether the model is real (no complex field), so that a complex
            constant would be cast to real (or be NaN) at run time.
    """
    for part in (value, *getattr(value, "args", ())):
        if isinstance(part, sympy.Basic) and part in _NON_FINITE:
            return f"is {_NON_FINITE[part]}, not a finite number"
        if isinstance(part, sympy.Number) and _beyond_double(part):
            return "overflows to inf (the largest double is about 1.8e308)"
    if real and constant and isinstance(value, sympy.Expr) and value.is_extended_real is False:
        return "is not a real number (the generated code would compute NaN)"
    return None


_SUMS = ("add", "sub")


def flatten_sums(tree: Tree) -> Tree:
    """Rewrite (in place) each maximal chain of ``add``/``sub`` nodes into one
    ``sum_chain`` node whose children are the first term, then a ``+``/``-``
    token and a term for each further term. Iterative: any depth is fine."""
    for node in tree.iter_subtrees_topdown():
        if node.data not in _SUMS:
            continue
        pieces = []
        top = node
        while isinstance(top, Tree) and top.data in _SUMS:
            sign = Token("SUM_SIGN", "+" if top.data == "add" else "-")
            pieces.append((sign, top.children[-1]))
            top = top.children[0]
        children = [top]
        for sign, term in reversed(pieces):
            children += [sign, term]
        node.data, node.children = "sum_chain", children
    return tree
