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
