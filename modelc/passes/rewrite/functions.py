"""The algebra of common functions: parity, ``sqrt(x**2) = |x|``, Pythagoras, ``tan = sin/cos``."""

from __future__ import annotations

from egglog import birewrite, rewrite, ruleset

from .constants import ONE, ZERO
from .terms import Term

__all__ = ["functions"]


@ruleset
def functions(a: Term, b: Term):
    """Identities of sin, cos, tan, sinh, cosh, tanh, abs and sqrt valid for every real argument."""
    # odd and even functions
    yield rewrite((-a).sin()).to(-(a.sin()))
    yield rewrite((-a).cos()).to(a.cos())
    yield rewrite((-a).tan()).to(-(a.tan()))
    yield rewrite((-a).sinh()).to(-(a.sinh()))
    yield rewrite((-a).cosh()).to(a.cosh())
    yield rewrite((-a).tanh()).to(-(a.tanh()))
    yield rewrite((-a).abs()).to(a.abs())
    # |(|a|)| = |a|; |a*b| = |a|*|b|; |a**2| = a**2; sqrt(a**2) = |a|
    yield rewrite(a.abs().abs()).to(a.abs())
    yield birewrite((a * b).abs()).to(a.abs() * b.abs())
    yield rewrite(a.ipow(2).abs()).to(a.ipow(2))
    yield rewrite(a.ipow(2).sqrt()).to(a.abs())
    # sin^2 + cos^2 = 1, cosh^2 - sinh^2 = 1; sin/cos = tan; sinh/cosh = tanh
    yield rewrite(a.sin().ipow(2) + a.cos().ipow(2)).to(ONE)
    yield rewrite(a.cosh().ipow(2) + -(a.sinh().ipow(2))).to(ONE)
    yield rewrite(a.sin() / a.cos()).to(a.tan())
    yield rewrite(a.sinh() / a.cosh()).to(a.tanh())
    # values at zero
    for f in (Term.sin, Term.tan, Term.sinh, Term.tanh, Term.abs, Term.sqrt):
        yield rewrite(f(ZERO)).to(ZERO)
    for f in (Term.cos, Term.cosh):
        yield rewrite(f(ZERO)).to(ONE)
