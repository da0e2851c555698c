"""Lorenz against scipy's DOP853 at a very tight tolerance (scipy is a test-only dependency)."""

import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from modelc.solvers import integrate

from problems import LORENZ_P, lorenz

TS = np.linspace(0.0, 5.0, 51)
Y0 = np.array([1.0, 1.0, 1.0])


@pytest.fixture(scope="module")
def reference():
    """scipy DOP853 with rtol=1e-13."""
    s, r, b = LORENZ_P
    f = lambda t, y: [s * (y[1] - y[0]), y[0] * (r - y[2]) - y[1], y[0] * y[1] - b * y[2]]  # noqa: E731
    ref = solve_ivp(f, (0.0, 5.0), Y0, method="DOP853", t_eval=TS, rtol=1e-13, atol=1e-13)
    return ref.y.T


@pytest.mark.parametrize("method", ["dopri8", "tsit5"])
def test_lorenz_matches_scipy(method, reference):
    """rtol=atol=1e-10 solutions agree with the reference to better than 1e-7 relative."""
    sol = integrate(lorenz, jnp.asarray(Y0), jnp.asarray(TS), jnp.asarray(LORENZ_P),
                    method=method, rtol=1e-10, atol=1e-10)
    assert int(sol.status) == 0
    ys = np.asarray(sol.ys)
    rel = np.abs(ys - reference).max() / np.abs(reference).max()
    assert rel < 1e-7, rel
    assert rel > 1e-15  # a genuine independent computation
