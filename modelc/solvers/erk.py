"""Explicit Runge--Kutta steppers driven by a :class:`ButcherTableau`.

A stepper is an immutable object with at most hashable fields (usable as a static jit
argument).  Capabilities are expressed by marker base classes:

* :class:`AdaptiveStepper` -- has an embedded error estimate (``error_order``,
  ``error_norm``), so it may be driven by an adaptive controller;
* :class:`DenseOutputStepper` -- has a continuous extension (``interpolate``);
* :class:`FSALStepper` -- the last stage is ``f(t + h, y1)`` and is carried as
  the stepper state to become the first stage of the next step;
* :class:`ExtraDenseStagesStepper` -- the continuous extension needs extra rhs
  evaluations (``prepare_dense``) that are done only when output is needed.

Stepper protocol (``rhs(t, y, args) -> dy/dt``)::

    state, nfe = stepper.init(rhs, t0, y0, args)
    y1, err, dense_info, state1, nfe = stepper.step(rhs, t, y, dt, args, state)
    y = stepper.interpolate(dense_info, theta)      # theta in [0, 1]

``state`` is None, an n-vector (FSAL: ``f`` at the step end) or a
``(k, n)`` array of rows whose first row is that ``f`` (etdrk43 adds its
cached phi-functions); the loop carries it among its state rows.

The loop keeps only a compact array per step (``dense_carry(dense_info)``,
``dense_carry_rows`` rows of n-vectors) and, when an output time falls into
the last step, turns it into a polynomial with ``dense_from_carry`` (DOP853
evaluates its extra stages there) evaluated by ``eval_dense_poly``.
``nfe`` are Python ints (static counts of rhs evaluations).  The stage loop
is unrolled in Python with the tableau coefficients as Python floats, so XLA
sees one fused expression per stage and zero coefficients cost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import jax.numpy as jnp
import numpy as np
from jax import lax

from . import tableaus as tb


def _combine(ks, coeffs):
    """``sum_j coeffs[j] * ks[j]`` with Python-float coefficients, zeros skipped.

    Written with ``lax`` primitives (not ``jnp``) to keep tracing cheap.
    """
    acc = None
    for k, c in zip(ks, coeffs):
        c = float(c)
        if c == 0.0:
            continue
        term = k if c == 1.0 else lax.mul(k, np.asarray(c, k.dtype))
        acc = term if acc is None else lax.add(acc, term)
    return acc


def _axpy(y, dt, inc):
    """``y + dt * inc`` (``inc`` may be None, meaning zero)."""
    return y if inc is None else lax.add(y, lax.mul(dt, inc))


class AbstractStepper:
    """Base class of all steppers; subclasses define ``order``."""

    order: ClassVar[int]

    def init(self, rhs, t0, y0, args):
        """Return ``(state, nfe)``: the stepper state before the first step."""
        return None, 0

    def step(self, rhs, t, y, dt, args, state):
        """Advance one step: ``(y1, err, dense_info, new_state, nfe)``."""
        raise NotImplementedError


class AdaptiveStepper(AbstractStepper):
    """Marker: the stepper returns an error estimate usable for step control."""

    error_order: ClassVar[int]

    def error_norm(self, err, scale):
        """RMS norm of the error estimate ``err`` weighted by ``1/scale``."""
        return _rms(err / scale)


class DenseOutputStepper(AbstractStepper):
    """Marker: the stepper has a continuous extension (``interpolate`` and the
    loop-facing ``dense_carry_rows``/``dense_carry``/``dense_from_carry``/
    ``eval_dense_poly``, see the module docstring)."""

    def interpolate(self, dense_info, theta):
        """Solution at ``t + theta*dt`` of the step described by ``dense_info``."""
        raise NotImplementedError


class StepHistory(NamedTuple):
    """The state of a multistep stepper (``init`` returns it, ``step`` takes and
    returns it): ``rows``, a ``(k, n)`` array of vectors shaped like ``y`` (e.g.
    past values of the rhs) that the loop carries next to ``y``, and
    ``scalars``, a ``(m,)`` vector of the state's dtype (e.g. past step sizes)
    that it carries with the step size.  The loop differentiates through
    ``rows``; ``scalars`` are treated as constants, like the step sizes.
    ``step`` receives the rows with ``y`` prepended (``rows[0] == y``, a
    ``(k + 1, n)`` block: the loop's own buffer, which a ``lax.cond`` in the
    step can take without copying slices of it) and returns the ``k`` new
    history rows."""

    rows: Any
    scalars: Any


class FSALStepper(AbstractStepper):
    """Marker: first-same-as-last; the state is ``f(t, y)`` at the step start."""


class ExtraDenseStagesStepper(DenseOutputStepper):
    """Marker: ``prepare_dense`` must be applied to ``dense_info`` before use."""

    def prepare_dense(self, rhs, args, dense_info):
        """Return ``(dense_info, nfe)`` completed with the extra stages."""
        raise NotImplementedError


def _select(pred, a, b):
    """``where(pred, a, b)`` for a scalar ``pred`` via ``lax.select`` (cheaper to trace
    and compile than ``jnp.where``); Python scalars take the other operand's dtype."""
    if not hasattr(a, "dtype"):
        a = lax.full(jnp.shape(b), a, b.dtype)
    if not hasattr(b, "dtype"):
        b = lax.full(jnp.shape(a), b, a.dtype)
    if a.dtype != b.dtype:
        dt = jnp.promote_types(a.dtype, b.dtype)
        a, b = a.astype(dt), b.astype(dt)
    if a.shape != b.shape:
        shape = jnp.broadcast_shapes(a.shape, b.shape)
        a, b = jnp.broadcast_to(a, shape), jnp.broadcast_to(b, shape)
    return lax.select(pred, a, b)


def _rms(x):
    """Root mean square, with a floored square root (forward-mode safe at 0)."""
    ms = jnp.sum(x * x) / max(x.size, 1)  # an empty state has norm 0, not NaN
    return jnp.sqrt(jnp.maximum(ms, jnp.finfo(ms.dtype).tiny))


@dataclass(frozen=True)
class ExplicitRK(AbstractStepper):
    """Generic explicit RK stepper; subclasses set the ``tableau`` class variable.

    ``dense_info`` is ``(t, dt, y0, y1, ks)`` with ``ks`` the tuple of stages.
    """

    tableau: ClassVar[tb.ButcherTableau]

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
        tab = self.tableau
        fsal = isinstance(self, FSALStepper)
        ks = [state if fsal else rhs(t, y, args)]
        nfe = 0 if fsal else 1
        last = tab.stages - 1
        y1 = None
        for i in range(1, tab.stages):
            yi = _axpy(y, dt, _combine(ks, tab.a[i, :i]))
            if fsal and i == last:
                y1 = yi
            ks.append(rhs(t + float(tab.c[i]) * dt, yi, args))
            nfe += 1
        if y1 is None:
            y1 = _axpy(y, dt, _combine(ks, tab.b))
        err = self._error(ks, dt)
        new_state = ks[-1] if fsal else None
        return y1, err, (t, dt, y, y1, tuple(ks)), new_state, nfe

    def _error(self, ks, dt):
        """Local error estimate ``dt * sum e_i k_i`` (None without an estimator)."""
        if self.tableau.e is None:
            return None
        return lax.mul(dt, _combine(ks, self.tableau.e))

    def dense_poly(self, dense_info):
        """Monomial form ``(y0, Q)`` of the continuous extension of one step.

        ``y(theta) = y0 + sum_j theta**(j+1) Q[j]`` with ``Q[j] = dt sum_i P[i, j] k_i``;
        computing ``Q`` once per step makes each output a short Horner sweep.
        """
        _, dt, y0, _, ks = dense_info
        P = self.tableau.dense
        return y0, jnp.stack([lax.mul(dt, _combine(ks, P[: len(ks), j]))
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
        return (lax.mul(dt, _combine(ks, self.tableau.e)),
                lax.mul(dt, _combine(ks, self.tableau.e2)))

    def error_norm(self, err, scale):
        """Hairer's combination ``e5^2 / sqrt(n (e5^2 + 0.01 e3^2))`` of the two estimators."""
        e5, e3 = err[0] / scale, err[1] / scale
        s5, s3 = jnp.sum(e5 * e5), jnp.sum(e3 * e3)
        den = jnp.maximum((s5 + 0.01 * s3) * e5.shape[0], jnp.finfo(s5.dtype).tiny)
        return s5 / jnp.sqrt(den)

    def prepare_dense(self, rhs, args, dense_info):
        """Evaluate the 3 extra stages of the 7th order continuous extension."""
        t, dt, y0, y1, ks = dense_info
        ks = list(ks)
        tab = self.tableau
        for c, row in zip(tab.extra_c, tab.extra_a):
            yi = _axpy(y0, dt, _combine(ks, row[: len(ks)]))
            ks.append(rhs(t + float(c) * dt, yi, args))
        return (t, dt, y0, y1, tuple(ks)), len(tab.extra_c)

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
