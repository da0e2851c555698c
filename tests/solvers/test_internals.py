"""Per-step internals: they match the solve's counters and are differentiable."""

import jax
import jax.numpy as jnp
import numpy as np

from modelc.solvers import integrate
from modelc.solvers.internals import step_history


def decay(t, y, k):
    return -k * y


def test_step_history_matches_the_solve_and_has_gradients():
    ts = jnp.array([0.0, 5.0])
    k = jnp.asarray(1.5)
    hist = step_history(decay, jnp.ones(1), ts, k, rtol=1e-6, atol=1e-9, max_record=200)
    raw = integrate(decay, jnp.ones(1), ts, k, rtol=1e-6, atol=1e-9)
    live = np.isfinite(np.asarray(hist.t))
    assert live.sum() == int(raw.steps)
    assert int(np.sum(hist.accepted)) == int(raw.accepted)
    assert np.all(np.asarray(hist.error)[np.asarray(hist.accepted)] <= 1.0)
    g = jax.grad(lambda k: jnp.nansum(step_history(decay, jnp.ones(1), ts, k, rtol=1e-6,
                                                   atol=1e-9, max_record=200).h))(k)
    assert np.isfinite(g)
