"""Empirical order of every method with constant steps, and dense-output accuracy."""

import jax.numpy as jnp
import numpy as np
import pytest

from modelc.solvers import ConstantStepController, integrate

from problems import rotation, rotation_exact

T_END = 2.0
Y0 = jnp.array([1.0, 0.0])
# (method, nominal order, largest step): steps halve three times; the ranges keep the
# errors in the asymptotic regime and above round-off.
CASES = [("euler", 1, 0.02), ("rk4", 4, 0.1), ("bosh3", 3, 0.1), ("dopri5", 5, 0.1),
         ("tsit5", 5, 0.05), ("dopri8", 8, 0.4)]


@pytest.mark.parametrize("method,order,dt_max", CASES, ids=[c[0] for c in CASES])
def test_convergence_order(method, order, dt_max):
    """Slope of log(error) vs log(dt) is within 0.3 of the nominal order."""
    dts = np.array([dt_max / 2**k for k in range(4)])
    errs = []
    for dt in dts:
        sol = integrate(rotation, Y0, jnp.array([0.0, T_END]), None, method=method, dt0=dt,
                        controller=ConstantStepController())
        assert int(sol.status) == 0
        assert int(sol.steps) == int(round(T_END / dt))
        errs.append(np.abs(np.asarray(sol.ys[-1]) - rotation_exact(T_END)).max())
    slope = np.polyfit(np.log(dts), np.log(errs), 1)[0]
    assert abs(slope - order) < 0.3, (slope, errs)


def test_fixed_step_lands_on_outputs():
    """rk4 with output times off the step grid keeps 4th order accuracy at the outputs."""
    ts = jnp.linspace(0.0, T_END, 17)  # spacing 0.125, not a multiple of dt
    for dt, tol in [(0.05, 3e-5), (0.025, 2e-6)]:
        sol = integrate(rotation, Y0, ts, None, method="rk4", dt0=dt)
        err = np.abs(np.asarray(sol.ys) - rotation_exact(np.asarray(ts))).max()
        assert err < tol


def test_fixed_step_needs_dt0():
    """A fixed-step method without dt0 is a clear error."""
    with pytest.raises(ValueError, match="dt0"):
        integrate(rotation, Y0, jnp.array([0.0, 1.0]), None, method="rk4")


@pytest.mark.parametrize("method,tol", [("tsit5", 1e-7), ("dopri5", 1e-7), ("dopri8", 1e-8),
                                        ("bosh3", 1e-6)])
def test_dense_output_accuracy(method, tol):
    """Adaptive solutions at many interior output times match the exact solution."""
    ts = jnp.linspace(0.0, T_END, 301)
    sol = integrate(rotation, Y0, ts, None, method=method, rtol=1e-9, atol=1e-9)
    assert int(sol.status) == 0
    err = np.abs(np.asarray(sol.ys) - rotation_exact(np.asarray(ts))).max()
    assert err < tol, err
    # far fewer steps than outputs: the interior values come from the dense output
    if method in ("tsit5", "dopri5", "dopri8"):
        assert int(sol.steps) < 150
