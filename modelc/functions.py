"""The one function table: language name -> arity and SymPy builder.

The parser reads it to build expressions and check arity; the printer knows
how to emit each SymPy class it produces. Adding a function means adding one
entry here (and, if SymPy's JAX printer lacks it, one printer method).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy
from sympy.codegen.cfunctions import expm1, hypot, log1p

from .special import exprel

__all__ = ["Function", "FUNCTIONS"]


@dataclass(frozen=True)
class Function:
    """A built-in function of the language."""

    name: str
    arity: int
    build: Callable[..., sympy.Expr]
    doc: str


def _log10(x):
    return sympy.log(x, 10)


def _heaviside(x):
    return sympy.Heaviside(x, sympy.Rational(1, 2))


_TABLE = [
    ("sin", 1, sympy.sin, "sine"),
    ("cos", 1, sympy.cos, "cosine"),
    ("tan", 1, sympy.tan, "tangent"),
    ("asin", 1, sympy.asin, "inverse sine"),
    ("acos", 1, sympy.acos, "inverse cosine"),
    ("atan", 1, sympy.atan, "inverse tangent"),
    ("atan2", 2, sympy.atan2, "atan2(y, x): angle of the point (x, y)"),
    ("sinh", 1, sympy.sinh, "hyperbolic sine"),
    ("cosh", 1, sympy.cosh, "hyperbolic cosine"),
    ("tanh", 1, sympy.tanh, "hyperbolic tangent"),
    ("asinh", 1, sympy.asinh, "inverse hyperbolic sine"),
    ("acosh", 1, sympy.acosh, "inverse hyperbolic cosine"),
    ("atanh", 1, sympy.atanh, "inverse hyperbolic tangent"),
    ("exp", 1, sympy.exp, "exponential"),
    ("log", 1, sympy.log, "natural logarithm"),
    ("log10", 1, _log10, "base-10 logarithm"),
    ("sqrt", 1, sympy.sqrt, "square root"),
    ("abs", 1, sympy.Abs, "absolute value"),
    ("sign", 1, sympy.sign, "sign: -1, 0 or 1"),
    ("min", 2, sympy.Min, "smaller of two values"),
    ("max", 2, sympy.Max, "larger of two values"),
    ("floor", 1, sympy.floor, "largest integer not above"),
    ("ceil", 1, sympy.ceiling, "smallest integer not below"),
    ("sech", 1, sympy.sech, "hyperbolic secant"),
    ("csch", 1, sympy.csch, "hyperbolic cosecant"),
    ("coth", 1, sympy.coth, "hyperbolic cotangent"),
    ("heaviside", 1, _heaviside, "step function, heaviside(0) = 1/2"),
    ("expm1", 1, expm1, "exp(x) - 1, accurate for small x"),
    ("log1p", 1, log1p, "log(1 + x), accurate for small x"),
    ("exprel", 1, exprel, "(exp(x) - 1)/x, with its limit 1 at x = 0"),
    ("hypot", 2, hypot, "hypot(x, y) = sqrt(x^2 + y^2) without overflow or underflow"),
]

FUNCTIONS: dict[str, Function] = {
    name: Function(name, arity, build, doc) for name, arity, build, doc in _TABLE
}
