"""The generated symbolic Jacobian equals automatic differentiation of the rhs."""

from __future__ import annotations

import jax
import numpy as np
import pytest

import modelc

EXAMPLES = ["lorenz", "vanderpol", "lotka_volterra", "pendulum", "three_body"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_jacobian_matches_jacfwd(examples_dir, name):
    m = modelc.load(examples_dir / f"{name}.model")
    g = m.module
    p = g.parameter_vector({})
    y0 = np.asarray(g.initial_state(p, {}))
    rng = np.random.default_rng(1)
    for _ in range(5):
        y = y0 + rng.normal(scale=0.3, size=y0.shape)
        t = rng.uniform(0, 2)
        exact = jax.jacfwd(g.rhs, argnums=1)(t, y, p)
        np.testing.assert_allclose(g.jacobian(t, y, p), exact, rtol=1e-12, atol=1e-12)
        nonzero = set(zip(g.JACOBIAN_ROWS, g.JACOBIAN_COLS))
        for i, j in zip(*np.nonzero(np.asarray(exact))):
            assert (i, j) in nonzero


def test_jacobian_of_piecewise_functions_is_zero_almost_everywhere():
    m = modelc.parse(
        "model p\nstate x = 0.3, y = 0.7\n"
        "der(x) = floor(3*x) + sign(x - y) + heaviside(y - 0.5) + abs(x - y) + min(x, y)\n"
        "der(y) = if(x < y, x^2, y)\n"
    )
    g = m.module
    p = g.parameter_vector({})
    y = np.array([0.3, 0.7])
    np.testing.assert_allclose(g.jacobian(0.0, y, p), [[-1.0 + 1.0, 1.0], [0.6, 0.0]], atol=1e-14)
    np.testing.assert_allclose(g.jacobian(0.0, y, p), jax.jacfwd(g.rhs, argnums=1)(0.0, y, p),
                               atol=1e-14)
