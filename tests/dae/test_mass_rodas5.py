"""The mass-matrix Rodas5 on its own (`modelc.solvers.dae`): fifth order on index-1
DAEs with closed forms, in the differential and the algebraic component."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from modelc import solvers


def forced(t, y, a):
    """x' = -x + z^2, 0 = z - a sin(t): x = (x0 - p(0)) e^-t + p(t), p = 1/2 - (cos 2t + 2 sin 2t)/10."""
    x, z = y
    return jnp.stack([-x + z * z, z - a * jnp.sin(t)])


def forced_exact(t):
    p = lambda s: 0.5 - (np.cos(2 * s) + 2 * np.sin(2 * s)) / 10  # noqa: E731
    return np.array([(1.0 - p(0)) * np.exp(-t) + p(t), np.sin(t)])


def coupled(t, y, a):
    """x' = -x z, 0 = z - x^2: x = 1/sqrt(1 + 2t) from x0 = 1, z = x^2."""
    x, z = y
    return jnp.stack([-x * z, z - x * x])


def coupled_exact(t):
    x = 1 / np.sqrt(1 + 2 * t)
    return np.array([x, x * x])


@pytest.mark.parametrize("rhs, exact", [
    pytest.param(forced, forced_exact, marks=pytest.mark.slow),  # one more compile (~6 s)
    (coupled, coupled_exact),
])
def test_fixed_step_errors_fall_at_fifth_order(rhs, exact):
    ts = jnp.array([0.0, 2.0])
    # a bad guess for z (0.3): the consistent initialisation sets it before the first step
    run = jax.jit(lambda dt: solvers.integrate_dae(
        rhs, jnp.array([1.0, 0.3]), ts, 1.0, algebraic=(1,), method="rodas5", dt0=dt,
        controller=solvers.ConstantStepController()).ys[-1])
    steps = np.array([0.4, 0.2, 0.1, 0.05])
    errors = np.array([np.abs(np.asarray(run(h)) - exact(2.0)) for h in steps])
    assert np.all(np.isfinite(errors))
    x_orders = np.log2(errors[:-1, 0] / errors[1:, 0])
    np.testing.assert_array_less(4.7, x_orders)
    if rhs is coupled:  # forced: z = sin(t) is exact at every step end (stiffly accurate)
        np.testing.assert_array_less(4.7, np.log2(errors[:-1, 1] / errors[1:, 1]))
    np.testing.assert_allclose(errors[-1], 0.0, atol=1e-8)


def test_other_methods_are_refused():
    with pytest.raises(ValueError, match="rodas5 or auto"):
        solvers.integrate_dae(forced, jnp.array([1.0, 0.0]), jnp.array([0.0, 1.0]), 1.0,
                              algebraic=(1,), method="tsit5")
