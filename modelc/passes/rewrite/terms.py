"""The e-graph's expression sort: one constructor per operation the emitted code performs.

Each constructor carries its cost from `cost.WEIGHTS` (constants are free;
each use of a variable costs a tenth of an addition, which breaks ties), so
egglog's extractor picks the cheapest equivalent term. Subtraction is
``a + neg(b)`` and division ``div(a, b)``, as the printer emits them; an
integer power ``ipow(x, n)`` (``n >= 2``) is priced by `powers.ipow_costs`.
Anything the rules do not know (conditionals, ``min``, ``atan2``, ...) enters
as an opaque ``var`` standing for the whole subexpression (see `bridge`).
"""

# egglog reads the annotations at class creation; the bodies are never run.
# mypy: disable-error-code="empty-body"
from __future__ import annotations

from egglog import BigRatLike, Expr, StringLike, f64Like, i64Like, method

from .cost import egg_cost

__all__ = ["Term", "UNARY"]


class Term(Expr):
    """A real-valued expression."""

    @method(cost=0)
    @classmethod
    def rat(cls, value: BigRatLike) -> Term: ...

    @method(cost=0)
    @classmethod
    def flt(cls, value: f64Like) -> Term: ...

    @method(cost=1)  # a tenth of an addition per use: ties go to the form reading fewer values
    @classmethod
    def var(cls, name: StringLike) -> Term: ...

    @method(cost=egg_cost("add"))
    def __add__(self, other: Term) -> Term: ...

    @method(cost=egg_cost("mul"))
    def __mul__(self, other: Term) -> Term: ...

    @method(cost=egg_cost("div"))
    def __truediv__(self, other: Term) -> Term: ...

    @method(cost=egg_cost("neg"))
    def __neg__(self) -> Term: ...

    @method(cost=egg_cost("pow_int"))
    def ipow(self, n: i64Like) -> Term: ...

    @method(cost=egg_cost("pow"))
    def __pow__(self, other: Term) -> Term: ...

    @method(cost=egg_cost("sqrt"))
    def sqrt(self) -> Term: ...

    @method(cost=egg_cost("exp"))
    def exp(self) -> Term: ...

    @method(cost=egg_cost("log"))
    def log(self) -> Term: ...

    @method(cost=egg_cost("sin"))
    def sin(self) -> Term: ...

    @method(cost=egg_cost("cos"))
    def cos(self) -> Term: ...

    @method(cost=egg_cost("tan"))
    def tan(self) -> Term: ...

    @method(cost=egg_cost("sinh"))
    def sinh(self) -> Term: ...

    @method(cost=egg_cost("cosh"))
    def cosh(self) -> Term: ...

    @method(cost=egg_cost("tanh"))
    def tanh(self) -> Term: ...

    @method(cost=egg_cost("abs"))
    def abs(self) -> Term: ...


# Unary functions by SymPy class name -> Term method name (read by the bridge both ways).
UNARY = {
    "exp": "exp", "log": "log", "sin": "sin", "cos": "cos", "tan": "tan",
    "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "Abs": "abs",
}
