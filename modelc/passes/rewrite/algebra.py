"""Field algebra of ``+`` and ``*``: commutativity, associativity, distributivity, units, negation.

Every rule holds for all real values (``a*0 -> 0`` and ``a + -a -> 0`` only
remove a NaN from an infinite operand, as SymPy's own constructors already do).
"""

from __future__ import annotations

from egglog import birewrite, rewrite, ruleset

from .constants import MINUS_ONE, ONE, TWO, ZERO
from .terms import Term

__all__ = ["algebra"]


@ruleset
def algebra(a: Term, b: Term, c: Term):
    """Commutativity, associativity and distributivity of ``+`` and ``*``, and the units."""
    # a + b = b + a; a*b = b*a
    yield rewrite(a + b).to(b + a)
    yield rewrite(a * b).to(b * a)
    # (a + b) + c = a + (b + c); likewise for *
    yield birewrite(a + (b + c)).to((a + b) + c)
    yield birewrite(a * (b * c)).to((a * b) * c)
    # a*(b + c) = a*b + a*c, read both ways: distributing and factoring
    yield birewrite(a * (b + c)).to(a * b + a * c)
    # a*b + a = a*(b + 1): factoring a term that is the common factor itself
    yield rewrite(a * b + a).to(a * (b + ONE))
    # a + a = 2*a
    yield birewrite(a + a).to(TWO * a)
    # units and zero
    yield rewrite(a + ZERO).to(a)
    yield rewrite(a * ONE).to(a)
    yield rewrite(a * ZERO).to(ZERO)
    # negation is multiplication by -1, so that signs fold and factor; -(-a) = a; a - a = 0
    yield birewrite(-a).to(MINUS_ONE * a)
    yield rewrite(-(-a)).to(a)  # noqa: B002  (egglog terms: a double negation, not --)
    yield rewrite(a + -a).to(ZERO)
