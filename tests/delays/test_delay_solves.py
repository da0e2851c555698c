"""Delay equations through the public API: convergence order across the kinks,
variable lags, a SciPy reference, vmap, grad, the history's overflow, float32."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import modelc
from modelc import solvers
from modelc.solvers.history import DelaySpec
from modelc.solvers.loop import Status

from .reference import hutchinson_steps, linear_exact, pantograph_exact

LINEAR = """
parameter tau = 0.7
state x = 1
der(x) = -delay(x, tau)
"""

HUTCHINSON = """
model hutchinson "delayed logistic growth"
parameter r = 1.4, K = 2, tau = 1
state x = 0.5
let crowding = x/K
der(x) = r*x*(1 - delay(crowding, tau))
"""


@pytest.fixture(scope="module")
def linear():
    return modelc.parse(LINEAR)


def test_fixed_step_rk4_converges_at_fourth_order_across_the_kinks():
    """rk4 on the delayed logistic equation with steps that do not divide the lag 0.7:
    the loop lands on the kinks at 0.7, 1.4, ... and the history is fourth order, so
    the error falls 16x per halving of the step (SciPy method-of-steps reference)."""
    m = modelc.parse(HUTCHINSON)
    ts = np.linspace(0, 3.5, 6)
    ref = hutchinson_steps(1.4, 2.0, 0.7, 0.5, 3.5)(ts)
    errors = []
    for dt in (0.3, 0.15, 0.075):
        sol = m.solve(t=(0, 3.5), saveat=ts, params={"tau": 0.7}, method="rk4", dt0=dt)
        assert sol.status == 0
        errors.append(np.max(np.abs(np.asarray(sol["x"]) - ref)))
    orders = np.log2(np.asarray(errors[:-1]) / np.asarray(errors[1:]))
    np.testing.assert_allclose(orders, 4.0, atol=0.3)


@pytest.mark.slow
def test_time_dependent_lag_pantograph():
    """x' = x(t/2) (the lag t/2 is smaller than the step near t = 0: extrapolated
    there) against its power series."""
    m = modelc.parse("state x = 1\nder(x) = delay(x, t/2)\n")
    sol = m.solve(t=(0, 3), points=13, rtol=1e-9, atol=1e-12)
    assert sol.status == 0
    np.testing.assert_allclose(np.asarray(sol["x"]), pantograph_exact(sol.t), rtol=1e-7)


def test_history_overflow_is_a_status_not_a_wrong_value():
    """A ring of 16 step ends and 100 steps per lag: HISTORY_OVERFLOW, NaN after it."""
    def rhs(t, y, args, history):
        return -history(t - 1.0)

    spec = DelaySpec(lambda t, y, a: jnp.ones(1), (True,), (0,), capacity=16)
    raw = solvers.integrate(rhs, jnp.ones(1), jnp.linspace(0, 3, 7), None, method="rk4",
                            dt0=0.01, delays=spec)
    assert int(raw.status) == Status.HISTORY_OVERFLOW
    assert "history_capacity" in Status.HISTORY_OVERFLOW.message
    ys = np.asarray(raw.ys)
    assert np.isnan(ys[-1]).all()
    ok = ~np.isnan(ys[:, 0])
    np.testing.assert_allclose(ys[ok, 0], linear_exact(np.linspace(0, 3, 7)[ok]), atol=1e-8)


@pytest.mark.slow
def test_hutchinson_against_scipy_method_of_steps():
    m = modelc.parse(HUTCHINSON)
    ts = np.linspace(0, 20, 41)
    sol = m.solve(saveat=ts, rtol=1e-10, atol=1e-12)
    assert sol.status == 0
    ref = hutchinson_steps(1.4, 2.0, 1.0, 0.5, 20.0)(ts)
    np.testing.assert_allclose(np.asarray(sol["x"]), ref, rtol=2e-7, atol=1e-9)


@pytest.mark.slow
def test_vmap_over_the_lag_equals_single_solves(linear):
    f = linear.solver(rtol=1e-9, atol=1e-12)
    ts = jnp.linspace(0, 3, 7)
    taus = jnp.asarray([0.5, 0.7, 1.1])
    batched = jax.jit(jax.vmap(lambda tau: f({}, {"tau": tau}, ts)["x"]))(taus)
    for i, tau in enumerate(np.asarray(taus)):
        np.testing.assert_allclose(np.asarray(batched[i]), linear_exact(ts, tau=float(tau)),
                                   atol=1e-8)
        single = f({}, {"tau": float(tau)}, ts)["x"]
        np.testing.assert_allclose(np.asarray(batched[i]), np.asarray(single), rtol=1e-12,
                                   atol=1e-14)


@pytest.mark.slow
def test_grad_wrt_the_lag_and_rate_equals_central_differences():
    m = modelc.parse(HUTCHINSON)
    f = m.solver(rtol=1e-11, atol=1e-13)
    ts = jnp.linspace(0, 6, 4)

    def final(r, tau):
        return f({}, {"r": r, "tau": tau}, ts)["x"][-1]

    g = jax.grad(final, argnums=(0, 1))(1.4, 1.0)
    h = 1e-5
    fd_r = (final(1.4 + h, 1.0) - final(1.4 - h, 1.0)) / (2 * h)
    fd_tau = (final(1.4, 1.0 + h) - final(1.4, 1.0 - h)) / (2 * h)
    np.testing.assert_allclose([float(g[0]), float(g[1])], [float(fd_r), float(fd_tau)],
                               rtol=1e-5)
    with pytest.raises(ValueError, match="ForwardAdjoint"):
        jax.grad(lambda r: m.solver(rtol=1e-8, adjoint=modelc.CheckpointAdjoint())(
            {}, {"r": r}, ts)["x"][-1])(1.4)


@pytest.mark.slow
def test_float32(linear):
    sol = linear.solve(t=(0, 2.8), points=9, rtol=1e-5, atol=1e-7, dtype="float32")
    assert sol.status == 0
    assert np.asarray(sol["x"]).dtype == np.float32
    np.testing.assert_allclose(np.asarray(sol["x"]), linear_exact(sol.t, tau=0.7, pieces=4),
                               atol=2e-5)


@pytest.mark.slow
def test_history_capacity_setting_overflows_and_recovers(linear):
    """``history_capacity`` through the public API: too small a ring is a status and
    NaN outputs, the default holds the whole lag."""
    with pytest.warns(RuntimeWarning, match="history_capacity"):
        small = linear.solve(t=(0, 2.8), points=5, method="rk4", dt0=0.05, history_capacity=8)
    assert small.status == Status.HISTORY_OVERFLOW
    assert np.isnan(np.asarray(small["x"])[-1])
    full = linear.solve(t=(0, 2.8), points=5, method="rk4", dt0=0.05)
    assert full.status == 0
    np.testing.assert_allclose(np.asarray(full["x"]), linear_exact(full.t, tau=0.7, pieces=4),
                               atol=1e-10)


@pytest.mark.parametrize("method", ["tsit5", pytest.param("rodas5", marks=pytest.mark.slow)])
def test_state_dependent_lag(method):
    """x' = x(t - (x - 1)), x = 1 before 0: the lag x - 1 = t makes every query t0,
    so x = 1 + t; rodas5 differentiates the rhs through the history (the query
    moves with the state)."""
    m = modelc.parse("state x = 1\nder(x) = delay(x, x - 1)\n")
    sol = m.solve(t=(0, 2), points=5, method=method, rtol=1e-9, atol=1e-12)
    assert sol.status == 0
    np.testing.assert_allclose(np.asarray(sol["x"]), 1 + np.asarray(sol.t), rtol=1e-8)


@pytest.mark.slow
def test_ensemble_auto_over_the_lag(linear):
    """``ensemble`` with ``method="auto"`` (its stiffness probe reads the history
    before t0) against the exact solution for each lag."""
    taus = np.asarray([0.5, 0.7, 1.1])
    sol = linear.ensemble(params={"tau": taus}, t=(0, 2), points=5, method="auto",
                          rtol=1e-9, atol=1e-12)
    for i, tau in enumerate(taus):
        np.testing.assert_allclose(np.asarray(sol["x"])[i], linear_exact(np.linspace(0, 2, 5),
                                                                         tau=float(tau)), atol=1e-8)
