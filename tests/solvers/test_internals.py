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


def test_fixed_step_history_has_zero_error():
    """A fixed-step stepper estimates no error (``err`` is None): recorded as 0, and the
    steps are the constant ``dt0`` landing on the output times."""
    ts = jnp.array([0.0, 0.5, 1.0])
    hist = step_history(decay, jnp.ones(1), ts, 1.5, method="rk4", dt0=0.1, max_record=20)
    live = np.isfinite(np.asarray(hist.t))
    assert live.sum() == 10
    np.testing.assert_allclose(np.asarray(hist.h)[live], 0.1, rtol=1e-9)
    np.testing.assert_array_equal(np.asarray(hist.error)[live], 0.0)
    assert np.all(np.asarray(hist.accepted)[live])


def test_dopri8_history_uses_its_own_error_norm():
    """dopri8's error estimate is a pair, combined by its ``error_norm``."""
    ts = jnp.array([0.0, 5.0])
    hist = step_history(decay, jnp.ones(1), ts, 1.5, method="dopri8", rtol=1e-8, atol=1e-10,
                        max_record=100)
    accepted = np.asarray(hist.accepted)
    assert accepted.any()
    err = np.asarray(hist.error)[accepted]
    assert np.all(np.isfinite(err)) and np.all(err <= 1.0)
