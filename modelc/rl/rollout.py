"""Training episodes: one solve as a ``lax.scan`` over a fixed step budget.

The scan takes the same steps as the integration loop (same stepper, the
first step from :meth:`PolicyController.init`'s PI rule, the last step cut to
land on ``t1``) and the same decision function
(:func:`modelc.rl.policy.decide`), but with sampled action noise, traced
weights and every step's features and actions recorded, which the loop does
not do.  Steps after the end are masked out.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from ..solvers.controllers import PIController, StepStart, Tolerance
from . import policy as pol

__all__ = ["Episode", "rollout"]


class Episode(NamedTuple):
    """What one episode recorded: ``feats (N, F)``, ``actions (N, A)``,
    ``valid (N,)`` (a step was taken), ``y1`` (state at the end), ``nfe``,
    ``reached`` (``t1`` reached with a finite state within the budget)."""

    feats: jax.Array
    actions: jax.Array
    valid: jax.Array
    y1: jax.Array
    nfe: jax.Array
    reached: jax.Array


def rollout(params, rhs: Callable, stepper, y0, args, t1, rtol, atol, noise,
            pi: PIController = PIController()) -> Episode:
    """Integrate ``rhs`` from ``t = 0`` to ``t1`` with the policy ``params``.

    ``noise`` has shape ``(N, len(ACTIONS))``: ``N`` is the step budget (zeros
    for the deterministic policy).  Pure JAX; vmap it over episodes.
    """
    dtype = y0.dtype
    t0 = jnp.asarray(0.0, dtype)
    t1 = jnp.asarray(t1, dtype)
    rtol, atol = jnp.asarray(rtol, dtype), jnp.asarray(atol, dtype)
    fs, nfe0 = stepper.init(rhs, t0, y0, args)
    dt, pi_state, nfe_dt = pi.init(stepper, rhs, StepStart(t0, t1, y0, fs), args,
                                   Tolerance(rtol, atol), None)
    state = (pi_state, pol.initial_history(dtype))
    work = {}  # the static rhs evaluations of one step, recorded while tracing

    def body(carry, eps):
        t, y, fs, dt, state, done, steps = carry
        rem = t1 - t
        hit = rem <= dt
        h = jnp.minimum(rem, dt)
        y1, err, _, fs1, work["step"] = stepper.step(rhs, t, y, h, args, fs)
        accept, dt_next, state1, x, action, _ = pol.decide(params, pi, stepper, h, y, y1, err,
                                                           state, rtol, atol, eps)
        acc = accept & ~done
        bad = acc & ~jnp.all(jnp.isfinite(y1))
        t_new = jnp.where(acc, jnp.where(hit, t1, t + h), t)
        keep = lambda new, old: jnp.where(done, old, new)  # noqa: E731
        carry = (t_new, jnp.where(acc, y1, y), jnp.where(acc, fs1, fs), keep(dt_next, dt),
                 jax.tree_util.tree_map(keep, state1, state),
                 done | bad | (acc & hit) | (dt_next <= 0), steps + (~done).astype(jnp.int32))
        return carry, (x, action, ~done)

    carry0 = (t0, y0, fs, dt, state, jnp.asarray(False), jnp.asarray(0, jnp.int32))
    (t, y, _, _, _, _, steps), (xs, acts, valid) = lax.scan(body, carry0, noise)
    reached = (t >= t1) & jnp.all(jnp.isfinite(y))
    nfe = nfe0 + nfe_dt + work["step"] * steps
    return Episode(xs, acts, valid, y, nfe, reached)

