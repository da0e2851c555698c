"""Constant folding: exact for rationals, IEEE double arithmetic for floats.

A float folded with another float (or a rational) rounds once, as the
emitted code would have at run time (to within one ulp).
"""

from __future__ import annotations

from egglog import BigRat, f64, i64, ne, rewrite, ruleset

from .terms import Term

__all__ = ["fold"]


@ruleset
def fold(p: BigRat, q: BigRat, x: f64, y: f64, n: i64):
    """Arithmetic on constant operands."""
    yield rewrite(Term.rat(p) + Term.rat(q)).to(Term.rat(p + q))
    yield rewrite(Term.rat(p) * Term.rat(q)).to(Term.rat(p * q))
    yield rewrite(-Term.rat(p)).to(Term.rat(-p))
    yield rewrite(Term.rat(p) / Term.rat(q)).to(Term.rat(p / q), ne(q).to(BigRat(0, 1)))
    yield rewrite(Term.rat(p).ipow(2)).to(Term.rat(p * p))
    yield rewrite(Term.rat(p).ipow(n)).to(Term.rat(p) * Term.rat(p).ipow(n - 1), n > 2)
    yield rewrite(Term.flt(x) + Term.flt(y)).to(Term.flt(x + y))
    yield rewrite(Term.flt(x) * Term.flt(y)).to(Term.flt(x * y))
    yield rewrite(-Term.flt(x)).to(Term.flt(-x))
    yield rewrite(Term.rat(p) * Term.flt(y)).to(Term.flt(p.to_f64() * y))
    yield rewrite(Term.rat(p) + Term.flt(y)).to(Term.flt(p.to_f64() + y))
