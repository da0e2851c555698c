"""Constant terms used by the rules (``0``, ``1``, ``-1``, ``2``, ``1/2``)."""

from __future__ import annotations

from egglog import BigInt, BigRat

from .terms import Term

__all__ = ["ZERO", "ONE", "TWO", "MINUS_ONE", "HALF", "rat", "big_rat"]

_I64 = 2**63


def rat(p: int, q: int = 1) -> Term:
    """The exact rational constant ``p/q``."""
    return Term.rat(big_rat(p, q))


def big_rat(p: int, q: int = 1) -> BigRat:
    """``p/q`` as an egglog `BigRat` of any size (its Python constructor takes 64-bit
    integers only; larger ones go in as decimal strings, exactly)."""
    if -_I64 <= p < _I64 and -_I64 <= q < _I64:
        return BigRat(p, q)
    return BigRat(BigInt.from_string(str(p)), BigInt.from_string(str(q)))


ZERO = rat(0)
ONE = rat(1)
TWO = rat(2)
MINUS_ONE = rat(-1)
HALF = rat(1, 2)
