"""Identities of ``exp`` and ``log`` that hold for every real argument.

Only the merging directions: ``exp(a)*exp(b) -> exp(a + b)`` (splitting could
turn ``exp(800 - 800)`` into ``inf*0``). ``log(exp(a)) = a`` holds for real
``a``; ``exp(log a) = a`` and ``log(a*b) = log a + log b`` need ``a > 0`` and
live in `assumed`.
"""

from __future__ import annotations

from egglog import rewrite, ruleset

from .constants import HALF, ONE, ZERO
from .terms import Term

__all__ = ["explog"]


@ruleset
def explog(a: Term, b: Term):
    """exp/log identities valid on all of the real line."""
    yield rewrite(a.exp() * b.exp()).to((a + b).exp())
    yield rewrite(ONE / a.exp()).to((-a).exp())
    yield rewrite(a.exp().ipow(2)).to((a + a).exp())
    yield rewrite(a.exp().log()).to(a)
    yield rewrite(ZERO.exp()).to(ONE)
    yield rewrite(ONE.log()).to(ZERO)
    # log(sqrt a) = log(a)/2 and log(1/a) = -log(a) (both sides NaN for a < 0, inf at 0)
    yield rewrite(a.sqrt().log()).to(HALF * a.log())
    yield rewrite((ONE / a).log()).to(-(a.log()))
