"""Failure modes report a status and NaN outputs instead of a silent wrong answer."""

import jax.numpy as jnp
import numpy as np
import pytest

from modelc.solvers import Status, integrate

from problems import lorenz, LORENZ_P


def blowup(t, y, args):
    """y' = y^2, y(0) = 1 blows up at t = 1."""
    return y * y


def nan_after_half(t, y, args):
    """A right-hand side that produces NaN for t > 0.5."""
    return jnp.where(t > 0.5, jnp.nan, -y)


def always_nan(t, y, args):
    return y * jnp.nan


TS = jnp.linspace(0.0, 2.0, 21)


def test_messages():
    """Every status has a user-facing message."""
    for s in Status:
        assert isinstance(Status(int(s)).message, str) and len(s.message) > 10
    assert Status(0) is Status.SUCCESS


def test_max_steps_reached():
    sol = integrate(lorenz, jnp.ones(3), jnp.linspace(0.0, 20.0, 21), jnp.asarray(LORENZ_P),
                    rtol=1e-10, atol=1e-10, max_steps=50)
    assert Status(int(sol.status)) is Status.MAX_STEPS_REACHED
    assert int(sol.steps) == 50
    ys = np.asarray(sol.ys)
    assert np.isnan(ys[-1]).all() and np.isfinite(ys[0]).all()


def test_step_size_underflow_at_blowup():
    ts = jnp.linspace(0.0, 2.0, 20)  # no output exactly at the singularity t = 1
    sol = integrate(blowup, jnp.array([1.0]), ts)
    assert Status(int(sol.status)) is Status.STEP_SIZE_UNDERFLOW
    ys, ts = np.asarray(sol.ys)[:, 0], np.asarray(ts)
    before = ts < 1.0
    np.testing.assert_allclose(ys[before], 1.0 / (1.0 - ts[before]), rtol=1e-4)
    assert np.isnan(ys[~before]).all()


@pytest.mark.parametrize("rhs", [nan_after_half, always_nan])
def test_nonfinite_state(rhs):
    sol = integrate(rhs, jnp.array([1.0, 2.0]), TS)
    assert Status(int(sol.status)) is Status.NONFINITE_STATE
    ys, ts = np.asarray(sol.ys), np.asarray(TS)
    assert np.isnan(ys[ts > 0.5]).all()
    np.testing.assert_allclose(ys[0], [1.0, 2.0])
    if rhs is nan_after_half:
        np.testing.assert_allclose(ys[ts < 0.5], np.exp(-ts[ts < 0.5])[:, None] * [1, 2],
                                   rtol=1e-5)


def test_nonfinite_fixed_step():
    """Fixed-step methods cannot reject: a NaN state stops the loop at once."""
    sol = integrate(nan_after_half, jnp.array([1.0]), TS, method="rk4", dt0=0.01)
    assert Status(int(sol.status)) is Status.NONFINITE_STATE
    assert np.isnan(np.asarray(sol.ys)[np.asarray(TS) > 0.5]).all()


def test_unknown_setting_names_the_valid_ones():
    """A misspelt keyword of integrate is a TypeError that lists the settings."""
    with pytest.raises(TypeError, match="unknown solver setting.*rtoll.*the settings are rtol"):
        integrate(lambda t, y, a: -y, jnp.ones(1), jnp.array([0.0, 1.0]), rtoll=1e-6)
