"""Step-size controllers.

Protocol (all controllers are immutable and hashable; tolerances are runtime
values passed in, so they may be traced)::

    dt, cstate, nfe = controller.init(stepper, rhs, StepStart(t0, t1, y0, f0), args,
                                      Tolerance(rtol, atol), dt0)
    accept, dt_next, cstate = controller.adapt_step_size(
        stepper, StepAttempt(t, dt, y0, y1, err), cstate, Tolerance(rtol, atol))

Time runs forward inside the loop (``t1 >= t0``); the loop maps backward
integration onto this.  ``nfe`` returned by ``init`` is a static Python int.
Step-size decisions are taken under ``stop_gradient``: forward-mode
derivatives are those of the discretisation on the (fixed) step mesh.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np
from jax import lax

from .ops import rms, select
from .stepper import AdaptiveStepper

__all__ = ["Tolerance", "StepStart", "StepAttempt", "AbstractController",
           "ConstantStepController", "PIController", "initial_step"]


class Tolerance(NamedTuple):
    """Relative and absolute tolerances (arrays or scalars; may be traced)."""

    rtol: Any
    atol: Any


class StepStart(NamedTuple):
    """Where the first step starts: the span ``t0 -> t1`` (forward time), ``y0`` and
    ``f0 = f(t0, y0)`` when the stepper has it (else None)."""

    t0: Any
    t1: Any
    y0: Any
    f0: Any = None


class StepAttempt(NamedTuple):
    """One step attempt as a controller sees it: from ``y0`` at ``t`` over ``dt`` to
    ``y1``, with the stepper's error estimate ``err`` (None for fixed steps)."""

    t: Any
    dt: Any
    y0: Any
    y1: Any
    err: Any


class AbstractController:
    """Base class of step-size controllers."""

    def init(self, stepper, rhs, start: StepStart, args, tol: Tolerance, dt0):
        """Return ``(dt, state, nfe)`` for the first step."""
        raise NotImplementedError

    def adapt_step_size(self, stepper, attempt: StepAttempt, state, tol: Tolerance):
        """Return ``(accept, dt_next, state)`` after the step ``attempt``."""
        raise NotImplementedError


@dataclass(frozen=True)
class ConstantStepController(AbstractController):
    """Fixed step ``dt0`` (required); every step is accepted."""

    def init(self, stepper, rhs, start, args, tol, dt0):
        """Use ``|dt0|`` as the step; no state, no rhs evaluation."""
        if dt0 is None:
            raise ValueError("a fixed-step method needs dt0 (the step size)")
        return jnp.abs(jnp.asarray(dt0, start.y0.dtype)), None, 0

    def adapt_step_size(self, stepper, attempt, state, tol):
        """Always accept; keep the step size."""
        return jnp.asarray(True), attempt.dt, state


def initial_step(stepper, rhs, start: StepStart, args, tol: Tolerance):
    """Hairer's automatic initial step (HINIT) from ``start`` (``f0`` given); costs
    one rhs evaluation.

    ``d0 = |y0|, d1 = |f0|`` (weighted RMS), ``h0 = 0.01 d0/d1``; an explicit
    Euler step of ``h0`` gives ``d2 = |f1 - f0| / h0`` and
    ``h1 = (0.01 / max(d1, d2))**(1/order)``; the result is
    ``min(100 h0, h1, t1 - t0)``.
    """
    t0, t1 = start.t0, start.t1
    y0, f0 = lax.stop_gradient(start.y0), lax.stop_gradient(start.f0)
    rtol, atol = tol
    scale = atol + rtol * jnp.abs(y0)
    span = t1 - t0
    d0, d1 = rms(y0 / scale), rms(f0 / scale)
    small = (d0 < 1e-5) | (d1 < 1e-5)
    h0 = select(small, 1e-6, 0.01 * d0 / select(small, 1.0, d1))
    h0 = jnp.minimum(h0, span)
    f1 = rhs(t0 + h0, y0 + h0 * f0, args)
    d2 = rms((f1 - f0) / scale) / select(h0 > 0, h0, 1.0)
    dmax = jnp.maximum(d1, d2)
    tiny = dmax <= 1e-15
    h1 = select(tiny, jnp.maximum(1e-6, h0 * 1e-3),
                   (0.01 / select(tiny, 1.0, dmax)) ** (1.0 / stepper.order))
    h = jnp.minimum(jnp.minimum(100 * h0, h1), span)
    return lax.stop_gradient(h.astype(y0.dtype))


@dataclass(frozen=True)
class PIController(AbstractController):
    """Hairer--Wanner (II.4) PI step-size control, as in Hairer's DOPRI5 code.

    ``err = RMS(e / (atol + rtol max(|y0|, |y1|)))`` (the stepper's norm), the
    step is accepted if ``err <= 1`` and
    ``factor = safety * err**-beta1 * err_prev**beta2`` clamped to
    ``[factor_min, factor_max]``, with ``beta1 = 1/(q+1) - 0.75 beta2`` for
    the error order ``q`` unless given.  A rejected step is retried with
    ``max(factor_min, safety err**-beta1)`` (no PI term); right after a
    rejection the step may not grow.  A non-finite error shrinks by
    ``factor_min``.  ``err_prev`` starts at, and is floored to, ``1e-4``.

    State: ``(log(err_prev), last_rejected)``.
    """

    beta2: float = 0.04
    beta1: float | None = None
    safety: float = 0.9
    factor_min: float = 0.2
    factor_max: float = 10.0

    def _beta1(self, stepper) -> float:
        if self.beta1 is not None:
            return float(self.beta1)
        return 1.0 / (stepper.error_order + 1) - 0.75 * self.beta2

    def init(self, stepper, rhs, start, args, tol, dt0):
        """First step ``|dt0|`` if given, else :func:`initial_step` (1 rhs eval, and
        1 more for ``f0 = rhs(t0, y0)`` when the stepper has no FSAL state)."""
        if not isinstance(stepper, AdaptiveStepper):
            raise ValueError(
                f"{type(stepper).__name__} has no error estimate; use a "
                "ConstantStepController (and give dt0)")
        dtype = start.y0.dtype
        state = (jnp.asarray(np.log(1e-4), dtype), jnp.asarray(False))
        if dt0 is not None:
            return jnp.minimum(jnp.abs(jnp.asarray(dt0, dtype)), start.t1 - start.t0), state, 0
        nfe = 1
        if start.f0 is None:
            start, nfe = start._replace(f0=rhs(start.t0, start.y0, args)), 2
        return initial_step(stepper, rhs, start, args, tol), state, nfe

    def adapt_step_size(self, stepper, attempt, state, tol):
        """PI update; returns ``(accept, dt_next, (err_prev, rejected))``."""
        _, dt, y0, y1, err = attempt
        rtol, atol = tol
        log_err_prev, last_rejected = state
        scale = atol + rtol * jnp.maximum(jnp.abs(y0), jnp.abs(y1))
        en = lax.stop_gradient(stepper.error_norm(err, scale))
        finite = jnp.isfinite(en)
        accept = en <= 1.0  # False for NaN
        b1 = self._beta1(stepper)
        log_en = jnp.log(jnp.maximum(select(finite, en, 1.0), 1e-10))
        # PI term only for accepted steps (a rejected step retries with the I part).
        expo = -b1 * log_en + select(accept, self.beta2 * log_err_prev, 0.0)
        factor = self.safety * jnp.exp(expo)
        fmax = select(last_rejected, jnp.asarray(1.0, factor.dtype), self.factor_max)
        factor = jnp.minimum(jnp.maximum(factor, self.factor_min), fmax)
        factor = select(finite, factor, self.factor_min)
        dt_next = lax.stop_gradient(dt * factor)
        log_err_prev = select(accept, jnp.maximum(log_en, np.log(1e-4)), log_err_prev)
        return accept, dt_next, (log_err_prev, ~accept)
