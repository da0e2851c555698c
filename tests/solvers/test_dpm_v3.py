"""DPM-Solver-v3: the empirical model statistics and the predictor-corrector.

For Gaussian data N(mu, diag(sd^2)) under the VP schedule the noise prediction is
linear in x, eps = sigma (x - alpha mu) / s^2 with s^2 = alpha^2 sd^2 + sigma^2, so
the statistics are known: l = E[sigma d eps_i/d x_i] = 1 / (1 + sd^2 e^{2 lambda}),
f = (sigma eps - l x) / alpha = -mu l does not vary over the samples (s = 0) and
b = df/dlambda = 2 mu sd^2 e^{2 lambda} / (1 + sd^2 e^{2 lambda})^2. The flow is
x_t = alpha_t mu + (x_T - alpha_T mu) s_t / s_T."""

import functools
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpy.testing import assert_allclose

import modelc
from modelc.ems import ModelStatistics, estimate_model_statistics, load_statistics
from modelc.errors import SolveError
from modelc.solvers.diffusion import vp_linear
from modelc.solvers.dpm_v3 import (Statistics, V3Options, estimate_statistics, step_indexes,
                                   v3_trajectory)

ROOT = Path(__file__).resolve().parents[2]
SCHEDULE = vp_linear()
T0, T1 = 1.0, 1e-3
MU, SD = jnp.array([0.7, -0.3]), jnp.array([0.5, 0.2])
N = 16
X_T = jax.random.normal(jax.random.PRNGKey(1), (N, 2))


def s2(t):
    return jnp.exp(2 * SCHEDULE.log_alpha(t)) * SD**2 + SCHEDULE.sigma(t) ** 2


def eps(x, t):
    """The exact noise prediction of N(MU, SD^2) on rows of x."""
    return SCHEDULE.sigma(t) * (x - jnp.exp(SCHEDULE.log_alpha(t)) * MU) / s2(t)


def flow(t):
    a, a_T = jnp.exp(SCHEDULE.log_alpha(t)), jnp.exp(SCHEDULE.log_alpha(T0))
    return a * MU + (X_T - a_T * MU) * jnp.sqrt(s2(t) / s2(T0))


@functools.cache
def grid(k):
    lam = np.linspace(float(SCHEDULE.lam(T0)), float(SCHEDULE.lam(T1)), k + 1)
    return np.array(jax.vmap(SCHEDULE.t_of_lambda)(jnp.asarray(lam))), lam


def exact(lam):
    e = np.exp(2 * lam[:, None]) * np.asarray(SD) ** 2
    return 1 / (1 + e), np.asarray(MU) * 2 * e / (1 + e) ** 2


def tile(row):
    return jnp.tile(jnp.asarray(row), N)


def flat_eps(x, t):
    return jnp.reshape(eps(jnp.reshape(x, (N, 2)), t), (-1,))


def end_error(stats, steps, **options):
    xs, nfe = v3_trajectory(flat_eps, SCHEDULE, jnp.reshape(X_T, (-1,)), stats,
                            step_indexes(stats, steps), tile, V3Options(**options))
    assert nfe == steps
    return float(jnp.max(jnp.abs(jnp.reshape(xs[-1], (N, 2)) - flow(T1))))


@pytest.mark.parametrize("probes", [None, pytest.param(64, marks=pytest.mark.slow)])
def test_statistics_of_a_gaussian_are_recovered(probes):
    """l exactly (Hutchinson: eps is linear, so Rademacher probes are exact too), s = 0,
    b to the accuracy of dl/dlambda's differences."""
    t, lam = grid(100)
    xs = jax.vmap(flow)(jnp.asarray(t))
    st = estimate_statistics(eps, SCHEDULE, xs, t, probes)
    l_exact, b_exact = exact(lam)
    assert_allclose(st.lam, lam, rtol=0, atol=1e-9)
    assert_allclose(st.l, l_exact, rtol=0, atol=1e-12)
    assert_allclose(st.s, 0.0, rtol=0, atol=1e-12)
    assert_allclose(st.b, b_exact, rtol=0, atol=1e-4 * np.max(np.abs(b_exact)))


def test_exact_statistics_make_the_first_order_step_exact():
    """With the exact EMS g is constant: order 1 with 3 steps is exact up to the
    trapezoid rule on the statistics grid (second order in its spacing)."""
    errs = []
    for k in (100, 200):
        t, lam = grid(k)
        l_exact, b_exact = exact(lam)
        st = Statistics(t, lam, l_exact, np.zeros_like(l_exact), b_exact)
        errs.append(end_error(st, 3, order=1, corrector=False))
    assert errs[0] < 3e-3 and 3.0 < errs[0] / errs[1] < 5.0, errs
    # without the statistics (l = 1, s = b = 0: data prediction) three steps are far off
    t, lam = grid(100)
    one = np.ones((lam.size, 2))
    assert end_error(Statistics(t, lam, one, 0 * one, 0 * one), 3, order=1) > 30 * errs[0]


@pytest.mark.slow
@pytest.mark.parametrize("order, corrector, expected",
                         [(1, False, 1.0), (2, False, 2.0), (1, True, 2.0), (2, True, 3.0)])
def test_convergence_orders(order, corrector, expected):
    """The predictor of order k converges at order k, the corrector adds one (statistics
    l = 1, s = b = 0 on a fine grid, so that f varies and the quadrature is exact enough)."""
    t, lam = grid(4000)
    one = np.ones((lam.size, 2))
    st = Statistics(t, lam, one, 0 * one, 0 * one)
    ns = np.array([10, 20, 40])
    errs = [end_error(st, int(n), order=order, corrector=corrector, lower_order_final=False)
            for n in ns]
    slope = -np.polyfit(np.log(ns), np.log(errs), 1)[0]
    assert expected - 0.3 < slope < expected + 0.5, (slope, errs)


def test_step_indexes_are_distinct_and_span_the_grid():
    lam = np.linspace(-5.0, 5.0, 11)
    st = Statistics(1.0 / (1.0 + np.exp(lam)), lam, *(np.zeros((11, 2)),) * 3)
    for steps in (1, 3, 7, 10):
        for spacing in ("logsnr", "time"):
            idx = step_indexes(st, steps, spacing)
            assert idx[0] == 0 and idx[-1] == 10 and np.all(np.diff(idx) > 0), (steps, idx)
    with pytest.raises(ValueError, match="at least 11 intervals"):
        step_indexes(st, 11)


# -- the model-file method (slow: the statistics are estimated through a compiled model) ---
sys.path.insert(0, str(ROOT / "examples"))


@pytest.fixture(scope="module")
def gmm():
    """The example model with a 4-mode mixture of std 0.3, its statistics (48 samples,
    a grid of 40 intervals) and 64 test samples with their tsit5 end points."""
    from diffusion_gmm import MODEL, mixture_eps, noise

    m = modelc.load(MODEL)
    e = mixture_eps(4, 0.3, 1.5)
    stats = estimate_model_statistics(m, e, 48, sample_shape=(2,), t=(T0, T1), grid=40)
    x = noise(64, seed=0)
    ref = m.solve(t=(T0, T1), y0={"x": x}, externals={"eps": e}, method="tsit5", rtol=1e-10,
                  atol=1e-10, points=2)["x"][-1]
    return m, e, stats, x, np.asarray(ref)


def _v3(m, e, x, stats, steps, **options):
    return m.solve(t=(T0, T1), y0={"x": x}, externals={"eps": e}, method="dpm_solver_v3",
                   statistics=stats, steps=steps, **options)


@pytest.mark.slow
def test_method_error_falls_with_evaluations(gmm):
    m, e, stats, x, ref = gmm
    assert stats.info["cost"]["statistics_evaluations"] == 4 * 41
    errs = []
    for steps in (5, 10, 20):
        sol = _v3(m, e, x, stats, steps)
        assert sol.stats["nfe"] == steps and len(sol.t) == steps + 1
        errs.append(float(np.mean(np.linalg.norm(np.asarray(sol["x"][-1]) - ref, axis=-1))))
    assert np.all(np.isfinite(errs)) and errs[0] > 2 * errs[1] > 4 * errs[2], errs


@pytest.mark.slow
def test_statistics_reload_bit_for_bit_and_solver_agrees(gmm, tmp_path):
    m, e, stats, x, _ = gmm
    back = load_statistics(stats.save(tmp_path / "ems.npz"))
    for name in ("t", "lam", "l", "s", "b"):
        assert np.array_equal(getattr(stats, name), getattr(back, name)), name
    assert back.info == stats.info
    a = np.asarray(_v3(m, e, x, stats, 8)["x"][-1])
    b = np.asarray(_v3(m, e, x, str(tmp_path / "ems.npz"), 8)["x"][-1])
    assert np.array_equal(a, b)
    f = jax.jit(m.solver(method="dpm_solver_v3", statistics=back, steps=8, externals={"eps": e}))
    assert_allclose(np.asarray(f({"x": x}, {}, jnp.asarray([T0, T1]))["x"][-1]), a,
                    rtol=0, atol=1e-12)


@pytest.mark.slow
def test_refusals(gmm, tmp_path):
    m, e, stats, x, _ = gmm
    with pytest.raises(SolveError, match="needs statistics="):
        m.solve(t=(T0, T1), y0={"x": x}, externals={"eps": e}, method="dpm_solver_v3")
    with pytest.raises(SolveError, match="statistics= is for method 'dpm_solver_v3'"):
        m.solve(t=(T0, T1), y0={"x": x}, externals={"eps": e}, method="ddim", statistics=stats)
    with pytest.raises(SolveError, match="statistics run from t = 1 to 0.001"):
        m.solve(t=(T0, 0.01), y0={"x": x}, externals={"eps": e}, method="dpm_solver_v3",
                statistics=stats, steps=5)
    with pytest.raises(SolveError, match="at least 41 intervals"):
        _v3(m, e, x, stats, 41)
    with pytest.raises(SolveError, match="another noise schedule"):
        _v3(m, e, x, stats, 5, params={"beta_max": 10.0})
    with pytest.raises(SolveError, match="choose 'logsnr' or 'time'"):
        _v3(m, e, x, stats, 5, schedule=np.linspace(T0, T1, 6))
    (tmp_path / "bad.npz").write_bytes(b"not a file")
    with pytest.raises(SolveError, match="malformed"):
        load_statistics(tmp_path / "bad.npz")
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(SolveError, match="not a modelc-model-statistics file"):
        load_statistics(tmp_path / "other.npz")
    with pytest.raises(SolveError, match="l is not finite"):
        ModelStatistics(stats.t, stats.lam, stats.l * np.nan, stats.s, stats.b)
    with pytest.raises(SolveError, match="uniformly"):
        ModelStatistics(stats.t, stats.lam ** 3, stats.l, stats.s, stats.b)
