"""float32 solves and gradients, and the tolerance floor of each precision."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from modelc.solvers import integrate


def decay(t, y, k):
    return -k * y


def test_float32_solve_and_gradient_stay_float32():
    ts = jnp.linspace(0.0, 1.0, 3, dtype=jnp.float32)
    y0 = jnp.array([1.0], jnp.float32)

    def final(k):
        return integrate(decay, y0, ts, k, rtol=1e-5, atol=1e-7).ys[-1, 0]

    k = jnp.float32(0.5)
    assert final(k).dtype == jnp.float32
    np.testing.assert_allclose(final(k), np.exp(-0.5), rtol=1e-4)
    g = jax.grad(final)(k)
    assert g.dtype == jnp.float32
    np.testing.assert_allclose(g, -np.exp(-0.5), rtol=1e-3)


@pytest.mark.parametrize("dtype, rtol", [(jnp.float32, 1e-7), (jnp.float64, 1e-16)])
def test_rtol_below_the_precision_is_an_error(dtype, rtol):
    with pytest.raises(ValueError, match="below what"):
        integrate(decay, jnp.ones(1, dtype), jnp.linspace(0, 1, 2, dtype=dtype), 1.0, rtol=rtol)


def test_model_float32_defaults_follow_the_precision(decay):
    """dtype="float32" without an rtol uses a tolerance float32 can meet; an explicit
    rtol below it is refused; fixed-step methods (which ignore rtol) always run."""
    import modelc

    sol = decay.solve(dtype="float32", t=(0, 2), points=3)
    assert sol.ok and sol.y.dtype == np.float32
    np.testing.assert_allclose(sol["u"], np.exp(-0.5 * sol.t), rtol=1e-4)
    fixed = decay.solve(dtype="float32", method="rk4", dt0=0.01, rtol=1e-9, t=(0, 2), points=3)
    np.testing.assert_allclose(fixed["u"], np.exp(-0.5 * fixed.t), rtol=1e-5)
    with pytest.raises(modelc.SolveError, match="float32"):
        decay.solve(dtype="float32", rtol=1e-7)
