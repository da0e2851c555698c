"""DPM-Solver and DEIS samplers on a diffusion ODE with a closed-form solution: Gaussian data
N(0, sd^2) under the VP schedule, where the exact noise prediction is
eps(x, t) = sigma_t x / s_t^2 with s_t^2 = alpha_t^2 sd^2 + sigma_t^2, and the
probability-flow ODE maps x_T to x_t = x_T s_t / s_T."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from modelc.solvers.deis import deis_weights
from modelc.solvers.diffusion import sample, time_grid, vp_linear
from gaussian_sampling import EXACT, SCHEDULE, T0, T1, X_T, eps, s2



def _error(method, steps, spacing="logsnr"):
    x, nfe = sample(eps, SCHEDULE, X_T, time_grid(SCHEDULE, T0, T1, steps, spacing), method)
    return float(jnp.abs(x - EXACT).max()), nfe


@pytest.mark.parametrize("method,order,steps", [
    pytest.param("dpm1", 1, 32, marks=pytest.mark.slow), pytest.param("dpm2", 2, 16, marks=pytest.mark.slow), ("dpm3", 3, 16),
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


# ---- DEIS: tAB (polynomial in t), rhoAB (polynomial in rho = sigma/alpha) ----------------


@pytest.mark.parametrize("method,order,steps", [
    pytest.param("deis1", 1, 16, marks=pytest.mark.slow),
    pytest.param("deis2", 2, 16, marks=pytest.mark.slow), ("deis3", 3, 32),
    pytest.param("deisrho2", 2, 16, marks=pytest.mark.slow),
    pytest.param("deisrho3", 3, 32, marks=pytest.mark.slow)])
def test_deis_order(method, order, steps):
    """Error against the number of steps on a log-SNR grid: slope within 0.3 (the
    warm-up steps of lower order do not spoil it)."""
    ns = np.array([steps, 2 * steps, 4 * steps])
    errs = [_error(method, int(n))[0] for n in ns]
    slope = -np.polyfit(np.log(ns), np.log(errs), 1)[0]
    assert abs(slope - order) < 0.3, (slope, errs)


def test_deis_of_order_one_and_one_step_is_ddim():
    """deisrho1 is DDIM, x_{i+1} = (alpha_{i+1}/alpha_i) x_i + alpha_{i+1}
    (rho_{i+1} - rho_i) eps_i, and so is deis3 with one step (warm-up); deis_1 == ddim
    through a model file is in tests/test_externals.py."""
    grid = time_grid(SCHEDULE, T0, T1, 7, "time")
    ddim = sample(eps, SCHEDULE, X_T, grid, "ddim")[0]
    assert float(jnp.abs(sample(eps, SCHEDULE, X_T, grid, "deisrho1")[0] - ddim).max()) <= 1e-12
    one = jnp.array([T0, T1])
    assert float(jnp.abs(sample(eps, SCHEDULE, X_T, one, "deis3")[0]
                         - sample(eps, SCHEDULE, X_T, one, "ddim")[0]).max()) <= 1e-12


def _vp_rho_rate(t, beta_min=0.1, beta_max=20.0):
    """d(rho)/dt of the VP schedule in NumPy: rho = sqrt(e^{-2 log alpha} - 1)."""
    log_alpha = -0.25 * (beta_max - beta_min) * t**2 - 0.5 * beta_min * t
    slope = -0.5 * (beta_max - beta_min) * t - 0.5 * beta_min
    return -slope * np.exp(-2 * log_alpha) / np.sqrt(np.expm1(-2 * log_alpha))


def test_tab_weights_against_adaptive_quadrature():
    """The Gauss-Legendre weights of the last step of a time grid (the one nearest the
    1/sqrt(t) of rho') equal alpha_{i+1} int l_j rho' dt by adaptive quadrature."""
    from scipy.integrate import quad

    ts = time_grid(SCHEDULE, T0, T1, 10, "time")
    weights = jax.jit(deis_weights, static_argnums=(0, 2, 3))(SCHEDULE, ts, 3, "t")[1]
    i = 9
    knots = [float(ts[i - j]) for j in range(3)]
    alpha = float(jnp.exp(SCHEDULE.log_alpha(ts[i + 1])))

    def integrand(t, j):
        basis = np.prod([(t - knots[m]) / (knots[j] - knots[m]) for m in range(3) if m != j])
        return basis * _vp_rho_rate(t)

    for j in range(3):
        ref = alpha * quad(integrand, float(ts[i]), float(ts[i + 1]), args=(j,),
                           epsabs=1e-14, epsrel=1e-13)[0]
        assert abs(float(weights[i, j]) - ref) < 1e-13


@pytest.mark.slow
def test_deis_grad_with_respect_to_the_noise_prediction_scale():
    """eps_w = w eps keeps the flow linear: d(sum x(t1)^2)/dw at w = 1 is
    2 sum x(t1)^2 (log(s1/s0) - log(alpha1/alpha0)), s_t^2 = alpha_t^2 SD^2 + sigma_t^2."""
    grid = time_grid(SCHEDULE, T0, T1, 64, "logsnr")

    def final(w):
        return jnp.sum(sample(lambda x, t: w * eps(x, t), SCHEDULE, X_T, grid, "deis3")[0] ** 2)

    rate = 0.5 * jnp.log(s2(T1) / s2(T0)) - (SCHEDULE.log_alpha(T1) - SCHEDULE.log_alpha(T0))
    np.testing.assert_allclose(jax.grad(final)(1.0), 2 * jnp.sum(EXACT**2) * rate, rtol=1e-3)


@pytest.mark.slow
def test_deis_forward_direction():
    """From data to noise (t increasing) the DEIS samplers reach x_T."""
    for method in ("deis3", "deisrho3"):
        x, _ = sample(eps, SCHEDULE, EXACT, time_grid(SCHEDULE, T1, T0, 64, "logsnr"), method)
        assert float(jnp.abs(x - X_T).max()) < 1e-2


def test_log_snr_grid_is_differentiable_in_the_schedule():
    """The log-SNR grid's inner times move with beta_max: jax.grad through the
    bisection-and-Newton inverse of lambda equals a central difference."""
    def third_time(beta_max):
        return time_grid(vp_linear(beta_max=beta_max), T0, T1, 6, "logsnr")[3]

    value_and_grad = jax.jit(jax.value_and_grad(third_time))
    grad = value_and_grad(20.0)[1]
    central = (value_and_grad(20.0 + 1e-4)[0] - value_and_grad(20.0 - 1e-4)[0]) / 2e-4
    assert grad != 0 and abs(grad - central) < 1e-8 * max(1.0, abs(central))
