"""Functions of the language that SymPy lacks: ``exprel`` and its derivatives.

``exprel(x) = (exp(x) - 1)/x`` with its limit 1 at ``x = 0``: the function
behind every removable singularity of the form ``x/(exp(x) - 1)`` (rate laws
of Hodgkin–Huxley type, the Goldman–Hodgkin–Katz current). Its derivatives
have the same singularity, so they are a family of their own:
``exprel_derivative(n, x)`` is the n-th derivative,

    d^n/dx^n exprel(x) = integral_0^1 s^n exp(s x) ds,

finite and smooth everywhere. The JAX side is `modelc.runtime.exprel`.
(``expm1``, ``log1p`` and ``hypot`` are SymPy's own, in
``sympy.codegen.cfunctions``.)
"""

from __future__ import annotations

import mpmath
import sympy

__all__ = ["exprel", "exprel_derivative"]


class exprel_derivative(sympy.Function):  # noqa: N801  (SymPy function classes are lowercase)
    """``exprel_derivative(n, x)``: the n-th derivative of `exprel` at ``x`` (n >= 0)."""

    nargs = 2

    @classmethod
    def eval(cls, n, x):
        if not (n.is_Integer and n >= 0):
            raise ValueError(f"exprel_derivative needs an integer order n >= 0, not {n}")
        if x.is_zero:
            return sympy.Rational(1, int(n) + 1)
        return None

    def fdiff(self, argindex=2):
        if argindex != 2:
            raise sympy.ArgumentIndexError(self, argindex)
        n, x = self.args
        return exprel_derivative(n + 1, x)

    def _eval_evalf(self, prec):
        n, x = self.args
        if not x.is_number:
            return None
        dps = prec_to_dps(prec) + 10
        with mpmath.workdps(dps):
            value = mpmath.quad(lambda s: s ** int(n) * mpmath.exp(s * _mp(x, dps)), [0, 1])
        return sympy.Float(value, prec_to_dps(prec))

    def _eval_is_real(self):
        return self.args[1].is_real


class exprel(sympy.Function):  # noqa: N801
    """``exprel(x) = (exp(x) - 1)/x``, 1 at ``x = 0``."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sympy.S.One
        return None

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise sympy.ArgumentIndexError(self, argindex)
        return exprel_derivative(1, self.args[0])

    def _eval_evalf(self, prec):
        return exprel_derivative(0, self.args[0])._eval_evalf(prec)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return (sympy.exp(x) - 1) / x

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None


def prec_to_dps(prec: int) -> int:
    """Decimal digits of a binary precision (as mpmath counts them)."""
    return mpmath.libmp.prec_to_dps(prec)


def _mp(x, dps):
    return mpmath.mpf(str(sympy.Float(x, dps))) if x.is_real else mpmath.mpc(complex(x))
