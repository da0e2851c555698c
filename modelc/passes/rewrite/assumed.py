"""Rules that hold only for positive operands, guarded by a positivity analysis.

Some identities change where an expression is defined: ``x/x -> 1`` (not at
``x = 0``), ``sqrt(x)*sqrt(x) -> x`` and ``exp(log x) -> x`` (not for
``x < 0``), ``log(a*b) -> log a + log b`` (not for ``a, b < 0``). They fire
only on terms the relation ``positive`` holds for. It is seeded with the
names the user declared positive (``assume_positive``) and propagated by
`positivity`: positive constants, sums, products, quotients, powers and
square roots of positive terms, and every ``exp`` and ``cosh``.
"""

from __future__ import annotations

from egglog import BigRat, f64, i64, relation, rewrite, rule, ruleset

from .constants import ONE
from .terms import Term

__all__ = ["positive", "positivity", "assumed"]

positive = relation("positive", Term)


@ruleset
def positivity(a: Term, b: Term, c: Term, p: BigRat, x: f64, n: i64):
    """Propagate ``positive`` to terms built from positive terms."""
    yield rule(c == Term.rat(p), p > BigRat(0, 1)).then(positive(c))
    yield rule(c == Term.flt(x), x > 0.0).then(positive(c))
    for build in (Term.__add__, Term.__mul__, Term.__truediv__, Term.__pow__):
        yield rule(c == build(a, b), positive(a), positive(b)).then(positive(c))
    yield rule(c == a ** b, positive(a)).then(positive(c))
    yield rule(c == a.ipow(n), positive(a)).then(positive(c))
    yield rule(c == a.sqrt(), positive(a)).then(positive(c))
    yield rule(c == a.exp()).then(positive(c))
    yield rule(c == a.cosh()).then(positive(c))


@ruleset
def assumed(a: Term, b: Term, n: i64):
    """Cancellations and log/exp/sqrt laws for positive operands."""
    yield rewrite(a / a).to(ONE, positive(a))
    yield rewrite(a * (ONE / a)).to(ONE, positive(a))
    yield rewrite(a.sqrt() * a.sqrt()).to(a, positive(a))
    yield rewrite(a.abs()).to(a, positive(a))
    yield rewrite(a.log().exp()).to(a, positive(a))
    yield rewrite((a * b).log()).to(a.log() + b.log(), positive(a), positive(b))
    yield rewrite(a.log() + b.log()).to((a * b).log(), positive(a), positive(b))
    yield rewrite((a / b).log()).to(a.log() + -(b.log()), positive(a), positive(b))
    yield rewrite(a.sqrt() * b.sqrt()).to((a * b).sqrt(), positive(a), positive(b))
    yield rewrite((a * b).sqrt()).to(a.sqrt() * b.sqrt(), positive(a), positive(b))
    yield rewrite((a ** b).log()).to(b * a.log(), positive(a))
    yield rewrite((b * a.log()).exp()).to(a ** b, positive(a))
    yield rewrite(a.ipow(2).log()).to(Term.rat(BigRat(2, 1)) * a.log(), positive(a))
