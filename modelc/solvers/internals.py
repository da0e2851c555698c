"""Solver internals as outputs: per-step times, step sizes and local error estimates.

Opt-in and separate from :func:`~.integrate.integrate` (which keeps only what
the outputs need).  :func:`step_history` replays the same loop one step per
iteration (:func:`~.stepwise.stepwise`) in a ``lax.scan`` of fixed length, so it
is differentiable in both modes (reverse mode stores every recorded step:
memory grows with ``max_record``).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from .integrate import IntegrateOptions, default_controller, integrate_options, static_direction
from .loop import Counter, LoopInputs, LoopSpec, StepRecord
from .stepwise import stepwise
from .methods import resolve_method
from .stepper import AdaptiveStepper

__all__ = ["StepHistory", "step_history"]


class StepHistory(NamedTuple):
    """Per step attempt (``max_record`` rows; rows after the end are NaN/False).

    ``t``: time at the start of the attempt; ``h``: step size attempted;
    ``error``: the stepper's scaled local error norm (accepted when <= 1 for
    adaptive steppers; 0 for fixed-step ones, which estimate none);
    ``accepted``: bool.
    """

    t: jnp.ndarray
    h: jnp.ndarray
    error: jnp.ndarray
    accepted: jnp.ndarray


def error_norm(stepper, record: StepRecord, tol):
    """The stepper's error norm of one step attempt (0 without an error estimate)."""
    if record.err is None or not isinstance(stepper, AdaptiveStepper):
        return jnp.zeros((), record.y1.dtype)
    scale = tol.atol + tol.rtol * jnp.maximum(jnp.abs(record.y), jnp.abs(record.y1))
    return stepper.error_norm(record.err, scale)


def step_history(rhs, y0, ts, args=None, *, method="tsit5", max_record: int = 1000,
                 options: IntegrateOptions | None = None, **settings) -> StepHistory:
    """Record the first ``max_record`` step attempts of ``integrate(rhs, y0, ts, args, ...)``.

    Same arguments as :func:`~modelc.solvers.integrate` (``settings``:
    ``rtol``, ``atol``, ``dt0``, ``jac``, ... as :class:`~.integrate.IntegrateOptions`
    fields); differentiable with respect to ``y0`` and ``args`` (``jax.grad``
    of a function of the step sizes, e.g. to penalise stiffness).  Returns a
    :class:`StepHistory`.
    """
    options = integrate_options(options, settings)
    stepper = resolve_method(method)
    y0 = jnp.asarray(y0)
    y0 = y0 if jnp.issubdtype(y0.dtype, jnp.floating) else y0.astype(float)
    spec = LoopSpec(rhs, stepper, default_controller(stepper), int(max_record),
                    static_direction(ts), options.dt0 is None, True, options.jac, None)
    sw = stepwise(spec, LoopInputs(y0, ts, None, options.rtol, options.atol, options.dt0),
                  lambda a: a)
    f0, i0 = sw.start(y0, args)

    def body(c, _):
        f, i = c
        live = (i[0][Counter.STATUS] == 0) & (i[1] < sw.loop.nts)
        f1, i1, record = sw.step(args, f, i)
        accepted = i1[0][Counter.ACCEPTED] > i[0][Counter.ACCEPTED]
        nan = jnp.asarray(jnp.nan, y0.dtype)
        row = (jnp.where(live, record.t, nan), jnp.where(live, record.h, nan),
               jnp.where(live, error_norm(stepper, record, sw.loop.tol), nan), live & accepted)
        keep = lambda new, old: jnp.where(live, new, old)  # noqa: E731
        tm = jax.tree_util.tree_map
        return (tm(keep, f1, f), tm(keep, i1, i)), row

    _, rows = lax.scan(body, (f0, i0), None, length=int(max_record))
    return StepHistory(*rows)
