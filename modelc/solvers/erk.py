"""Explicit Runge--Kutta steppers driven by a :class:`ButcherTableau`.

The stepper protocol and its capability markers are in :mod:`.stepper`.

The loop keeps only a compact array per step (``dense_carry(dense_info)``,
``dense_carry_rows`` rows of n-vectors) and, when an output time falls into
the last step, turns it into a polynomial with ``dense_from_carry`` (DOP853
evaluates its extra stages there) evaluated by ``eval_dense_poly``.
``nfe`` are Python ints (static counts of rhs evaluations).  The stage loop
is unrolled in Python with the tableau coefficients as Python floats, so XLA
sees one fused expression per stage and zero coefficients cost nothing; for
large systems (or ``roll=True``) the stages run as a loop over the tableau held
as data instead, so the rhs appears once in the program (:mod:`.rolled`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import jax.numpy as jnp
from jax import lax

import numpy as np

from . import tableaus as tb
from .ops import axpy, combine
from .rolled import explicit_stages, use_rolled, weighted
from .stepper import (AbstractStepper, AdaptiveStepper, DenseOutputStepper,
                      ExtraDenseStagesStepper, FSALStepper)

__all__ = ["ExplicitRK", "Euler", "RK4", "Bosh3", "Dopri5", "Tsit5", "Dopri8", "explicit_rk"]


@dataclass(frozen=True)
class ExplicitRK(AbstractStepper):
    """Generic explicit RK stepper; subclasses set the ``tableau`` class variable.

    ``dense_info`` is ``(t, dt, y0, y1, ks)`` with ``ks`` the tuple of stages.
    ``roll``: run the stages as a loop over the tableau (True), unrolled (False),
    or choose by the size of the rhs (None; :func:`~.rolled.use_rolled`).
    """

    tableau: ClassVar[tb.ButcherTableau]
    roll: bool | None = None

    @property
    def order(self) -> int:  # type: ignore[override]
        """Classical order of the propagated solution."""
        return self.tableau.order

    def init(self, rhs, t0, y0, args):
        """FSAL steppers evaluate ``f(t0, y0)`` (1 evaluation); others need nothing."""
        if isinstance(self, FSALStepper):
            return rhs(t0, y0, args), 1
        return None, 0

    def step(self, rhs, t, y, dt, args, state):
        """One RK step; see the module docstring for the returned tuple."""
        if use_rolled(self.roll, rhs, t, y, args):
            return self._rolled_step(rhs, t, y, dt, args, state)
        tab = self.tableau
        fsal = isinstance(self, FSALStepper)
        ks = [state if fsal else rhs(t, y, args)]
        nfe = 0 if fsal else 1
        last = tab.stages - 1
        y1 = None
        for i in range(1, tab.stages):
            yi = axpy(y, dt, combine(ks, tab.a[i, :i]))
            if fsal and i == last:
                y1 = yi
            ks.append(rhs(t + float(tab.c[i]) * dt, yi, args))
            nfe += 1
        if y1 is None:
            y1 = axpy(y, dt, combine(ks, tab.b))
        err = self._error(ks, dt)
        new_state = ks[-1] if fsal else None
        return y1, err, (t, dt, y, y1, tuple(ks)), new_state, nfe

    def _rolled_step(self, rhs, t, y, dt, args, state):
        """:meth:`step` with the stages in a ``fori_loop`` (:func:`~.rolled.explicit_stages`)."""
        tab = self.tableau
        fsal = isinstance(self, FSALStepper)
        K = jnp.zeros((tab.stages,) + jnp.shape(y), y.dtype)
        if fsal:
            K = K.at[0].set(state)
        K = explicit_stages(rhs, t, y, dt, args, (tab.a, tab.c), K, 1 if fsal else 0)
        # FSAL: y1 is the last stage's input (its row of a is b)
        y1 = axpy(y, dt, weighted(tab.a[-1] if fsal else tab.b, K))
        ks = tuple(K[i] for i in range(tab.stages))
        new_state = ks[-1] if fsal else None
        return y1, self._error(ks, dt), (t, dt, y, y1, ks), new_state, tab.stages - int(fsal)

    def _error(self, ks, dt):
        """Local error estimate ``dt * sum e_i k_i`` (None without an estimator)."""
        if self.tableau.e is None:
            return None
        return lax.mul(dt, combine(ks, self.tableau.e))

    def dense_poly(self, dense_info):
        """Monomial form ``(y0, Q)`` of the continuous extension of one step.

        ``y(theta) = y0 + sum_j theta**(j+1) Q[j]`` with ``Q[j] = dt sum_i P[i, j] k_i``;
        computing ``Q`` once per step makes each output a short Horner sweep.
        """
        _, dt, y0, _, ks = dense_info
        P = self.tableau.dense
        return y0, jnp.stack([lax.mul(dt, combine(ks, P[: len(ks), j]))
                              for j in range(P.shape[1])])

    @property
    def dense_carry_rows(self) -> int:
        """Number of rows (n-vectors) of :meth:`dense_carry`."""
        return self.tableau.dense.shape[1] + 1

    def dense_carry(self, dense_info):
        """Compact array kept by the loop for the last step: ``[y0; Q]``."""
        y0, Q = self.dense_poly(dense_info)
        return jnp.concatenate([y0[None], Q])

    def dense_from_carry(self, rhs, args, t, dt, carry):
        """``(poly, nfe)`` for :meth:`eval_dense_poly` from :meth:`dense_carry`."""
        return (carry[0], carry[1:]), 0

    @staticmethod
    def eval_dense_poly(poly, theta):
        """Evaluate ``(y0, Q)`` from :meth:`dense_poly` at ``theta`` (Horner)."""
        y0, Q = poly
        acc = Q[-1]
        for j in range(Q.shape[0] - 2, -1, -1):
            acc = lax.add(Q[j], lax.mul(theta, acc))
        return lax.add(y0, lax.mul(theta, acc))

    def interpolate(self, dense_info, theta):
        """Evaluate the tableau's continuous extension at ``theta`` in [0, 1]."""
        return self.eval_dense_poly(self.dense_poly(dense_info), theta)


class Euler(ExplicitRK):
    """Forward Euler, order 1, fixed step only."""

    tableau = tb.EULER


class RK4(ExplicitRK):
    """Classical 4th order Runge--Kutta, fixed step only."""

    tableau = tb.RK4


class _AdaptiveERK(ExplicitRK, AdaptiveStepper, FSALStepper, DenseOutputStepper):
    """Embedded FSAL pair with a continuous extension."""

    @property
    def error_order(self) -> int:  # type: ignore[override]
        """Order of the embedded estimate (error behaves like ``dt**(error_order+1)``)."""
        return self.tableau.error_order


class Bosh3(_AdaptiveERK):
    """Bogacki--Shampine 3(2) with Hermite cubic dense output."""

    tableau = tb.BOSH3


class Dopri5(_AdaptiveERK):
    """Dormand--Prince 5(4) with Shampine's 4th order dense output."""

    tableau = tb.DOPRI5


class Tsit5(_AdaptiveERK):
    """Tsitouras 5(4) (2011) with its own 4th order continuous extension."""

    tableau = tb.TSIT5


class Dopri8(_AdaptiveERK, ExtraDenseStagesStepper):
    """Hairer's DOP853: order 8, 5th/3rd order combined error estimate,
    7th order dense output using 3 extra stages (evaluated lazily)."""

    tableau = tb.DOP853

    def _error(self, ks, dt):
        """Pair ``(dt * E5 k, dt * E3 k)`` combined by :meth:`error_norm`."""
        return (lax.mul(dt, combine(ks, self.tableau.e)),
                lax.mul(dt, combine(ks, self.tableau.e2)))

    def error_norm(self, err, scale):
        """Hairer's combination ``e5^2 / sqrt(n (e5^2 + 0.01 e3^2))`` of the two estimators."""
        e5, e3 = err[0] / scale, err[1] / scale
        s5, s3 = jnp.sum(e5 * e5), jnp.sum(e3 * e3)
        den = jnp.maximum((s5 + 0.01 * s3) * e5.shape[0], jnp.finfo(s5.dtype).tiny)
        return s5 / jnp.sqrt(den)

    def prepare_dense(self, rhs, args, dense_info):
        """Evaluate the 3 extra stages of the 7th order continuous extension."""
        t, dt, y0, y1, ks = dense_info
        tab = self.tableau
        if use_rolled(self.roll, rhs, t, y0, args):
            return self._rolled_extra_stages(rhs, args, dense_info), len(tab.extra_c)
        ks = list(ks)
        for c, row in zip(tab.extra_c, tab.extra_a):
            yi = axpy(y0, dt, combine(ks, row[: len(ks)]))
            ks.append(rhs(t + float(c) * dt, yi, args))
        return (t, dt, y0, y1, tuple(ks)), len(tab.extra_c)

    def _rolled_extra_stages(self, rhs, args, dense_info):
        """The extra stages of :meth:`prepare_dense` in one ``fori_loop``."""
        t, dt, y0, y1, ks = dense_info
        tab = self.tableau
        s, total = len(ks), len(ks) + len(tab.extra_c)
        a = np.zeros((total, total))
        for j, row in enumerate(tab.extra_a):
            a[s + j, : s + j] = np.asarray(row)[: s + j]
        c = np.concatenate([np.zeros(s), np.asarray(tab.extra_c)])
        K = jnp.concatenate([jnp.stack(ks), jnp.zeros((total - s,) + jnp.shape(y0), y0.dtype)])
        K = explicit_stages(rhs, t, y0, dt, args, (a, c), K, s)
        return t, dt, y0, y1, tuple(K[i] for i in range(total))

    @property
    def dense_carry_rows(self) -> int:
        """``y0`` and the 13 stages."""
        return self.tableau.stages + 1

    def dense_carry(self, dense_info):
        """The step's start value and stages ``[y0; k_0..k_12]``; the extra
        stages are evaluated only in :meth:`dense_from_carry`."""
        _, _, y0, _, ks = dense_info
        return jnp.stack([y0, *ks])

    def dense_from_carry(self, rhs, args, t, dt, carry):
        """Evaluate the 3 extra stages and return ``(poly, nfe)``."""
        ks = tuple(carry[i] for i in range(1, carry.shape[0]))
        info, nfe = self.prepare_dense(rhs, args, (t, dt, carry[0], None, ks))
        return self.dense_poly(info), nfe


def explicit_rk(tableau: tb.ButcherTableau) -> ExplicitRK:
    """A stepper for ``tableau``: fixed-step, or -- when the tableau has an error
    estimate (``e``, ``error_order``), a continuous extension (``dense``) and is FSAL
    -- an adaptive pair like :class:`Tsit5`.  With one line in
    :data:`~.methods.METHODS` (and one in :mod:`modelc.methods`) it is a new method
    (docs/design.md)."""
    adaptive = (tableau.e is not None and tableau.error_order is not None
                and tableau.dense is not None and tableau.fsal)
    base = _AdaptiveERK if adaptive else ExplicitRK
    name = "".join(part.title() for part in tableau.name.replace("-", "_").split("_"))
    cls = dataclass(frozen=True)(type(name, (base,), {"tableau": tableau, "__doc__":
                                                      f"The {tableau.name} tableau."}))
    return cls()
