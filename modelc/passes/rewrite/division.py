"""Subtraction and division normal forms.

Division ``a/b`` is also ``a * (1/b)``, so quotients with a common
denominator factor (``a/c + b/c = (a + b)/c``) through the distributive law,
and products of reciprocals merge. Dividing by a nonzero constant becomes
multiplying by its reciprocal (a rounding difference of at most one ulp).
Nothing here cancels a divisor: ``a/a -> 1`` lives in `assumed`.
"""

from __future__ import annotations

from egglog import BigRat, birewrite, ne, rewrite, ruleset

from .constants import ONE
from .terms import Term

__all__ = ["division"]


@ruleset
def division(a: Term, b: Term, c: Term, q: BigRat):
    """Quotients as products with reciprocals, and back."""
    # a/b = a * (1/b)
    yield birewrite(a / b).to(a * (ONE / b))
    # (1/a) * (1/b) = 1/(a*b)
    yield birewrite((ONE / a) * (ONE / b)).to(ONE / (a * b))
    # 1/(1/a) = a (also at a = 0 and a = inf)
    yield rewrite(ONE / (ONE / a)).to(a)
    # (a/b)/c = a/(b*c)
    yield birewrite((a / b) / c).to(a / (b * c))
    # 1/(-a) = -(1/a)
    yield rewrite(ONE / (-a)).to(-(ONE / a))
    # a/q = a * (1/q) for a constant q != 0
    yield rewrite(a / Term.rat(q)).to(a * Term.rat(BigRat(1, 1) / q), ne(q).to(BigRat(0, 1)))
