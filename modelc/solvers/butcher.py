"""The Butcher tableau of an explicit Runge--Kutta method, as plain data.

A leaf module (NumPy only): the :class:`ButcherTableau` type and the helpers
that build its matrices from sparse rows and polynomials.  The tableaus
themselves are in :mod:`.tableaus` (DOP853's in :mod:`.tableau_dop853`); the
conventions are in :mod:`.tableaus`' docstring.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ButcherTableau", "lower", "monomial_rows"]


@dataclass(frozen=True, eq=False)
class ButcherTableau:
    """Coefficients of an explicit RK method (see the module docstring)."""

    name: str
    c: np.ndarray
    a: np.ndarray
    b: np.ndarray
    order: int
    e: np.ndarray | None = None
    e2: np.ndarray | None = None  # second error estimator (DOP853's 3rd order)
    error_order: int | None = None
    dense: np.ndarray | None = None
    extra_c: np.ndarray | None = None
    extra_a: np.ndarray | None = None

    @property
    def stages(self) -> int:
        """Number of stages of one step (including an FSAL stage)."""
        return len(self.c)

    @property
    def fsal(self) -> bool:
        """True if the last stage is ``f(t + h, y1)`` (first same as last)."""
        return bool(self.c[-1] == 1.0 and np.array_equal(self.a[-1], self.b))


def lower(rows, n=None) -> np.ndarray:
    """Build a strictly lower triangular matrix from sparse rows ``{col: val}``."""
    n = len(rows) if n is None else n
    a = np.zeros((len(rows), n))
    for i, row in enumerate(rows):
        for j, v in row.items():
            assert j < i or n != len(rows)
            a[i, j] = v
    return a


def monomial_rows(polys, degree) -> np.ndarray:
    """Stack polynomials (coefficients from theta**0) as rows of theta**1..degree."""
    out = np.zeros((len(polys), degree))
    for i, p in enumerate(polys):
        p = np.trim_zeros(np.asarray(p, dtype=float), "b")
        assert len(p) == 0 or abs(p[0]) < 1e-14, "dense weights must vanish at 0"
        out[i, : len(p) - 1] = p[1:]
    return out
