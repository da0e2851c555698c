"""Stiffness detection and ``method="auto"``.

The decision is taken once, at the start, from the Jacobian's spectrum along
a short probe of the solution:

* probe points: ``y0`` and linearly implicit Euler steps (stable on stiff
  problems, one linear solve each) to ``t0 + f (t1 - t0)`` for
  ``f = 1e-8, 1e-7, ..., 1e-2`` -- stiff transients (a fast species filling
  up, as in Robertson's problem) usually start right after ``t0``, where the
  Jacobian at ``y0`` alone may look harmless;
* spectral radius ``rho`` of each Jacobian by Gelfand's formula
  ``||J^32||^(1/32)`` (5 rescaled squarings, no eigenvalue routine, so it runs
  inside ``jit`` on any backend; it overestimates by at most ``n^(1/32)``);
* stiffness index ``S = max rho * |t1 - t0|``.  An explicit method of
  stability interval about 3.3 (tsit5) needs at least ``S / 3.3`` steps for
  stability alone; the problem is called stiff when that exceeds a budget of
  ``1000 (1e-6 / rtol)^(1/5)`` steps (what tsit5 would plausibly spend for
  accuracy; the budget grows like a 5th order method's step count).

``integrate(method="auto")`` with concrete inputs calls :func:`choose_method`
before tracing and runs the chosen method only (the choice and its reason go
to the ``modelc.solvers`` logger).  Under ``jit`` (traced inputs) both loops
are compiled and ``lax.cond`` picks one at run time: compile time is about the
sum of the two methods' (and under ``vmap`` with a batched decision, both run).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .erk import AbstractStepper
from .implicit import make_jacobian

logger = logging.getLogger("modelc.solvers")

PROBE_FRACTIONS = (1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2)
STABILITY_INTERVAL = 3.3
STEP_BUDGET = 1000.0


@dataclass(frozen=True)
class AutoStepper(AbstractStepper):
    """``method="auto"``: ``nonstiff`` or ``stiff`` (names in ``METHODS``),
    chosen by :func:`choose_method`.  Not a stepper itself."""

    nonstiff: str = "tsit5"
    stiff: str = "rodas5"

    @property
    def order(self) -> int:  # type: ignore[override]
        """The order of the non-stiff method (both are 5th order)."""
        from . import METHODS
        return METHODS[self.nonstiff].order


def spectral_radius(jacobian, squarings: int = 5):
    """Gelfand estimate ``||J^(2^k)||_inf^(1/2^k)`` with rescaling at each squaring."""
    a, log_rho = jacobian, jnp.zeros((), jacobian.dtype)
    tiny = jnp.finfo(jacobian.dtype).tiny
    for i in range(squarings + 1):
        s = jnp.maximum(jnp.max(jnp.sum(jnp.abs(a), axis=1)), tiny)
        log_rho = log_rho + jnp.log(s) * 2.0 ** -i
        a = a / s
        a = a @ a
    return jnp.exp(log_rho)


def stiffness_index(rhs, jac, t0, t1, y0, args):
    """``(rho, S)``: largest spectral radius along the probe (module docstring)
    and the stiffness index ``S = rho |t1 - t0|``; traceable."""
    y = jnp.asarray(y0)
    dtype = y.dtype if jnp.issubdtype(y.dtype, jnp.floating) else jnp.result_type(float)
    y = y.astype(dtype)
    t0, t1 = jnp.asarray(t0, dtype), jnp.asarray(t1, dtype)
    f = lambda t, y, a: jnp.asarray(rhs(t, y, a), dtype)  # noqa: E731
    jacf = make_jacobian(f, jac, dtype)
    eye = jnp.eye(y.shape[0], dtype=dtype)
    t, rho = t0, jnp.zeros((), dtype)
    for frac in PROBE_FRACTIONS + (None,):
        jm = jacf(t, y, args)
        rho = jnp.fmax(rho, spectral_radius(jm))  # fmax: a NaN probe point is ignored
        if frac is None:
            break
        t_next = t0 + frac * (t1 - t0)
        h = t_next - t
        y = y + h * jnp.linalg.solve(eye - h * jm, f(t, y, args))
        t = t_next
    return rho, rho * jnp.abs(t1 - t0)


def stiff_threshold(rtol):
    """Stiffness index above which the stiff method is chosen."""
    return STABILITY_INTERVAL * STEP_BUDGET * (1e-6 / rtol) ** 0.2


_index_jit = jax.jit(stiffness_index, static_argnums=(0, 1))


def choose_method(rhs, jac, t0, t1, y0, args, rtol, auto: AutoStepper | None = None):
    """Choose ``"tsit5"`` or ``"rodas5"`` for ``rhs`` on ``[t0, t1]`` from ``y0``.

    Runs before ``jit`` on concrete values (``jac`` may be None: ``jax.jacfwd``
    is used).  Returns ``(name, reason)`` where ``reason`` states the measured
    spectral radius, the stiffness index and the threshold it was compared to.
    """
    auto = auto or AutoStepper()
    rho, index = (float(v) for v in _index_jit(rhs, jac, t0, t1, y0, args))
    threshold = float(stiff_threshold(float(rtol)))
    stiff = bool(index > threshold)
    name = auto.stiff if stiff else auto.nonstiff
    reason = (f"{'stiff' if stiff else 'non-stiff'}: spectral radius of df/dy up to "
              f"{rho:.3g} over |t1 - t0| = {abs(float(t1) - float(t0)):.3g} gives stiffness "
              f"index {index:.3g} {'>' if stiff else '<='} {threshold:.3g} (an explicit "
              f"method would need at least {index / STABILITY_INTERVAL:.3g} steps for "
              f"stability alone at rtol {float(rtol):.3g}); using {name}")
    return name, reason


def _is_traced(tree) -> bool:
    return any(isinstance(x, jax.core.Tracer) for x in jax.tree_util.tree_leaves(tree))


def integrate_auto(auto, rhs, y0, ts, args, *, rtol, atol, dt0, max_steps, dtmin, jac,
                   adjoint=None):
    """``integrate`` for an :class:`AutoStepper` (see the module docstring)."""
    from . import METHODS
    from .loop import _integrate_stepper, integrate
    if not _is_traced((y0, ts, args, rtol, atol, dt0, dtmin)):
        ts_np = np.asarray(ts)
        name, reason = choose_method(rhs, jac, ts_np[0], ts_np[-1], y0, args, rtol, auto)
        logger.info("method='auto': %s", reason)
        return integrate(rhs, y0, ts, args, method=name, rtol=rtol, atol=atol, dt0=dt0,
                         max_steps=max_steps, dtmin=dtmin, jac=jac, adjoint=adjoint)
    ts = jnp.asarray(ts)
    rtol_a = jnp.asarray(rtol, jnp.result_type(float))
    _, index = stiffness_index(rhs, jac, ts[0], ts[-1], y0, args)

    def run(name):
        return lambda: _integrate_stepper(rhs, y0, ts, args, METHODS[name], rtol, atol, dt0,
                                          max_steps, None, dtmin, jac, jit=False,
                                          adjoint=adjoint)

    return lax.cond(index > stiff_threshold(rtol_a), run(auto.stiff), run(auto.nonstiff))
