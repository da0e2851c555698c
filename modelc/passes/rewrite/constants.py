"""Constant terms used by the rules (``0``, ``1``, ``-1``, ``2``, ``1/2``)."""

from __future__ import annotations

from egglog import BigRat

from .terms import Term

__all__ = ["ZERO", "ONE", "TWO", "MINUS_ONE", "HALF", "rat"]


def rat(p: int, q: int = 1) -> Term:
    """The exact rational constant ``p/q``."""
    return Term.rat(BigRat(p, q))


ZERO = rat(0)
ONE = rat(1)
TWO = rat(2)
MINUS_ONE = rat(-1)
HALF = rat(1, 2)
