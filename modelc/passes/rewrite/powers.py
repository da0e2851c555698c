"""Integer and rational powers: ``x*x = x**2``, merging exponents, ``sqrt``.

``ipow(x, n)`` is ``x**n`` for an integer ``n >= 2``; its cost follows what
JAX emits for it (`cost.integer_power_cost`: ``x**2`` is one multiplication;
priced in `extract`).
Merging ``sqrt(x)*sqrt(x) -> x`` extends the domain, so it lives in `assumed`.
"""

from __future__ import annotations

from egglog import birewrite, i64, rewrite, ruleset

from .constants import rat
from .terms import Term

__all__ = ["powers"]


@ruleset
def powers(a: Term, b: Term, n: i64, m: i64):
    """Products of equal factors as integer powers, and powers of products."""
    # a*a = a**2
    yield birewrite(a * a).to(a.ipow(2))
    # a**n * a = a**(n+1) (both ways); a**n * a**m = a**(n+m); (a**n)**m = a**(n*m)
    yield rewrite(a.ipow(n) * a).to(a.ipow(n + 1))
    yield rewrite(a.ipow(n)).to(a.ipow(n - 1) * a, n > 2)
    yield rewrite(a.ipow(n) * a.ipow(m)).to(a.ipow(n + m))
    yield rewrite(a.ipow(n).ipow(m)).to(a.ipow(n * m))
    # (a*b)**n = a**n * b**n, read both ways
    yield birewrite((a * b).ipow(n)).to(a.ipow(n) * b.ipow(n))
    # (-a)**2 = a**2
    yield rewrite((-a).ipow(2)).to(a.ipow(2))
    # a**(3/2) = a*sqrt(a) (both NaN for a < 0)
    yield rewrite(a ** rat(3, 2)).to(a * a.sqrt())
    # (sqrt a)**2 keeps the domain a >= 0 only as sqrt(a)*sqrt(a): see assumed
    yield rewrite(a.sqrt().ipow(n)).to(a.sqrt() * a.sqrt().ipow(n - 1), n > 2)

