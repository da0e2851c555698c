"""DPM-Solver samplers on a diffusion ODE with a closed-form solution: Gaussian data
N(0, sd^2) under the VP schedule, where the exact noise prediction is
eps(x, t) = sigma_t x / s_t^2 with s_t^2 = alpha_t^2 sd^2 + sigma_t^2, and the
probability-flow ODE maps x_T to x_t = x_T s_t / s_T."""

import jax.numpy as jnp
import numpy as np
import pytest

from modelc.solvers.diffusion import sample, time_grid, vp_linear

SCHEDULE = vp_linear()
SD = 0.5
T0, T1 = 1.0, 1e-3
X_T = jnp.linspace(-2.0, 2.0, 5)


def s2(t):
    return jnp.exp(2 * SCHEDULE.log_alpha(t)) * SD**2 + SCHEDULE.sigma(t) ** 2


def eps(x, t):
    return SCHEDULE.sigma(t) * x / s2(t)


EXACT = X_T * jnp.sqrt(s2(T1) / s2(T0))


def _error(method, steps, spacing="logsnr"):
    x, nfe = sample(eps, SCHEDULE, X_T, time_grid(SCHEDULE, T0, T1, steps, spacing), method)
    return float(jnp.abs(x - EXACT).max()), nfe


@pytest.mark.parametrize("method,order,steps", [
    pytest.param("dpm1", 1, 32, marks=pytest.mark.slow), ("dpm2", 2, 16), ("dpm3", 3, 16),
    ("dpmpp2m", 2, 32)])
def test_dpm_order(method, order, steps):
    """Error against the number of steps on a log-SNR grid: slope within 0.3."""
    ns = np.array([steps, 2 * steps, 4 * steps])
    errs = [_error(method, int(n))[0] for n in ns]
    slope = -np.polyfit(np.log(ns), np.log(errs), 1)[0]
    assert abs(slope - order) < 0.3, (slope, errs)


def test_nfe_counts():
    """eps evaluations: 1, 2, 3 per step for DPM-Solver-1/2/3, 1 for ++(2M)."""
    assert [_error(m, 10)[1] for m in ("dpm1", "dpm2", "dpm3", "dpmpp2m")] == [10, 20, 30, 10]


def test_time_grid_logsnr_is_uniform_in_lambda():
    """The bisection inverse of lambda puts the grid uniformly in log-SNR."""
    ts = time_grid(SCHEDULE, T0, T1, 12, "logsnr")
    lams = np.asarray(SCHEDULE.lam(ts))
    assert np.ptp(np.diff(lams)) < 1e-9 and ts[0] == T0 and ts[-1] == T1


def test_forward_direction():
    """The samplers also integrate forwards (data to noise), t increasing."""
    x0 = EXACT
    x, _ = sample(eps, SCHEDULE, x0, time_grid(SCHEDULE, T1, T0, 64, "logsnr"), "dpm3")
    assert float(jnp.abs(x - X_T).max()) < 1e-5
