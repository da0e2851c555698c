"""Solver internals as outputs: per-step times, step sizes and local error estimates.

Opt-in and separate from :func:`~.loop.integrate` (which keeps only what the
outputs need).  :func:`step_history` replays the same loop one step per
iteration in a ``lax.scan`` of fixed length, so it is differentiable in both
modes (reverse mode stores every recorded step: memory grows with
``max_record``).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from .erk import _rms

__all__ = ["StepHistory", "step_history"]


class StepHistory(NamedTuple):
    """Per step attempt (``max_record`` rows; rows after the end are NaN/False).

    ``t``: time at the start of the attempt; ``h``: step size attempted;
    ``error``: the scaled RMS local error estimate (accepted when <= 1 for
    adaptive steppers; 0 for fixed-step ones); ``accepted``: bool.
    """

    t: jnp.ndarray
    h: jnp.ndarray
    error: jnp.ndarray
    accepted: jnp.ndarray


def step_history(rhs, y0, ts, args=None, *, method="tsit5", rtol=1e-6, atol=1e-9, dt0=None,
                 max_record: int = 1000, jac=None) -> StepHistory:
    """Record the first ``max_record`` step attempts of ``integrate(rhs, y0, ts, args, ...)``.

    Same arguments as :func:`~modelc.solvers.integrate`; differentiable with
    respect to ``y0`` and ``args`` (``jax.grad`` of a function of the step
    sizes, e.g. to penalise stiffness).  Returns a :class:`StepHistory`.
    """
    from .adjoint import _flat_loop
    from .controllers import ConstantStepController, PIController
    from .erk import AdaptiveStepper
    from .loop import _resolve_method, _static_direction
    stepper = _resolve_method(method)
    controller = (PIController() if isinstance(stepper, AdaptiveStepper)
                  else ConstantStepController())
    y0 = jnp.asarray(y0)
    y0 = y0 if jnp.issubdtype(y0.dtype, jnp.floating) else y0.astype(float)
    static = (rhs, stepper, controller, int(max_record), _static_direction(ts), dt0 is None,
              True, jac, None)
    L, start, step, _ = _flat_loop(static, y0, ts, lambda a: a, rtol, atol, dt0, None)
    f0, i0 = start(y0, args)

    def body(c, _):
        f, i = c
        live = (i[0][2] == 0) & (i[1] < L.nts)
        f1, i1 = step(args, f, i)
        t, h, err, y, y1 = L.last
        scale = L.atol + L.rtol * jnp.maximum(jnp.abs(y), jnp.abs(y1))
        accepted = i1[0][0] > i[0][0]
        nan = jnp.asarray(jnp.nan, y0.dtype)
        row = (jnp.where(live, t, nan), jnp.where(live, h, nan),
               jnp.where(live, _rms(err / scale), nan), live & accepted)
        keep = lambda new, old: jnp.where(live, new, old)  # noqa: E731
        tm = jax.tree_util.tree_map
        return (tm(keep, f1, f), tm(keep, i1, i)), row

    _, rows = lax.scan(body, (f0, i0), None, length=int(max_record))
    return StepHistory(*rows)

