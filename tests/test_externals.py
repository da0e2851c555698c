"""External functions and array states: language, solve/solver, jit/vmap/grad, and the
diffusion samplers (DDIM, DPM-Solver) from model files.

The diffusion tests use Gaussian data N(0, SD^2) under the VP schedule with linear
beta, where eps(x, t) = sigma_t x / s_t^2 (s_t^2 = alpha_t^2 SD^2 + sigma_t^2) is
exact and the probability-flow ODE maps x_T to x_t = x_T s_t / s_T.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import modelc
from modelc.errors import ModelError, SolveError
from modelc.solvers.diffusion import sample, time_grid, vp_linear

VP = """
model vp
parameter beta_min = 0.1, beta_max = 20
external eps(x, t)
state x: array
let beta = beta_min + (beta_max - beta_min)*t
let sigma = sqrt(1 - exp(-beta_min*t - (beta_max - beta_min)*t^2/2))
der(x) = -beta/2*x + beta/(2*sigma)*eps(x, t)
"""

MIXED = """
model mixed
parameter k = 0.5
external f(x, t)
state x: array, y = 1
der(x) = -k*x + f(x, t)
der(y) = -k*y
"""

SCHEDULE = vp_linear()
SD = 0.5
T0, T1 = 1.0, 1e-3
X_T = jnp.linspace(-2.0, 2.0, 6).reshape(3, 2)


def s2(t):
    return jnp.exp(2 * SCHEDULE.log_alpha(t)) * SD**2 + SCHEDULE.sigma(t) ** 2


def gaussian_eps(x, t):
    return SCHEDULE.sigma(t) * x / s2(t)


EXACT = X_T * jnp.sqrt(s2(T1) / s2(T0))


@pytest.fixture(scope="module")
def vp():
    return modelc.parse(VP)


@pytest.fixture(scope="module")
def mixed():
    return modelc.parse(MIXED)


# ---- the language ------------------------------------------------------------------


def test_equations_and_show_print_the_external_call(vp):
    from modelc.show import describe

    assert "eps(x, t)" in str(vp.equations[0].rhs)
    text = describe(vp.ir)
    assert "x: array (from y0)" in text and "  eps(x, t)" in text
    assert "diffusion form" in text
    assert vp.external_names == ("eps",) and vp.array_state_names == ("x",)


def _error(text):
    with pytest.raises(ModelError) as info:
        modelc.parse(text, "m.model", cache_modules=False)
    return info.value.diagnostics


def test_wrong_arity_names_the_call():
    [d] = _error("external eps(x, t)\nstate x: array\nder(x) = eps(x)\n")
    assert d.message == "external `eps` takes 2 arguments, got 1"
    assert (d.span.file, d.span.line, d.span.col) == ("m.model", 3, 10)


def test_external_used_before_its_declaration():
    [d] = _error("state x: array\nder(x) = eps(x, t)\nexternal eps(x, t)\n")
    assert d.message == "external `eps` is used before its declaration on line 3"
    assert d.span.line == 2


def test_external_without_a_call_and_in_a_default():
    [d] = _error("external eps(x, t)\nstate x: array\nder(x) = eps*x\n")
    assert d.message == "`eps` is an external function: call it with 2 arguments"
    assert (d.span.line, d.span.col) == (3, 10)
    [d] = _error("external eps(x, t)\nparameter k = eps(1, 2)\nstate x: array\nder(x) = -k*x\n")
    assert d.message == "external function `eps` is called in a parameter"
    assert (d.span.line, d.span.col) == (2, 15)


def test_external_name_clash_and_observe_of_an_array():
    diags = _error("parameter eps = 1\nexternal eps(x)\nstate x: array\nder(x) = -x\nobserve m = x\n")
    messages = [d.message for d in diags]
    assert any("declared twice" in m for m in messages)
    assert any("observable `m` uses array state `x`" in m for m in messages)


# ---- solve-time checks -------------------------------------------------------------


def test_solve_time_errors(mixed, vp):
    y0 = {"x": np.ones(3)}
    with pytest.raises(SolveError, match="no function was bound to it"):
        mixed.solve(t=(0, 1), y0=y0)
    with pytest.raises(SolveError, match="declares no external 'g'"):
        mixed.solve(t=(0, 1), y0=y0, externals={"f": lambda x, t: x, "g": lambda x, t: x})
    with pytest.raises(SolveError, match="must be a callable"):
        mixed.solve(t=(0, 1), y0=y0, externals={"f": 1.0})
    with pytest.raises(SolveError, match="takes its value from y0"):
        mixed.solve(t=(0, 1), externals={"f": lambda x, t: x})
    with pytest.raises(SolveError, match="not of this form"):
        mixed.solve(t=(1, 0.1), y0=y0, externals={"f": lambda x, t: x}, method="dpm_solver_2")
    with pytest.raises(SolveError, match="not of this form"):
        mixed.solver("deis_3")
    with pytest.raises(SolveError, match="steps= or dt0="):
        vp.solve(t=(T0, T1), y0={"x": X_T}, externals={"eps": gaussian_eps}, method="ddim",
                 steps=4, dt0=0.1)
    with pytest.raises(SolveError, match="declares no external functions"):
        modelc.parse("state u = 1\nder(u) = -u\n").solve(t=(0, 1), externals={"f": abs})


# ---- arrays with scalars; jit, vmap, grad, backwards -------------------------------


def _mixed_exact(x0, k, t0, t1, w=1.0):
    """f(x, t) = w t x: x(t1) = x0 exp(-k (t1 - t0) + w (t1^2 - t0^2) / 2)."""
    return x0 * np.exp(-k * (t1 - t0) + w * (t1**2 - t0**2) / 2)


def test_array_and_scalar_states_backwards(mixed):
    x0 = np.arange(6.0).reshape(3, 2)
    sol = mixed.solve(t=(1.0, 0.0), y0={"x": x0}, externals={"f": lambda x, t: t * x},
                      rtol=1e-10, atol=1e-12, points=5)
    assert sol.ok and sol.t[-1] == 0.0
    assert sol["x"].shape == (5, 3, 2)
    np.testing.assert_allclose(sol["x"][-1], _mixed_exact(x0, 0.5, 1.0, 0.0), rtol=1e-8)
    np.testing.assert_allclose(sol["y"][-1], np.exp(0.5), rtol=1e-8)


def test_vmap_over_a_batch_of_arrays_and_grad(mixed):
    f = mixed.solver("tsit5", rtol=1e-10, atol=1e-12, externals={"f": lambda x, t: t * x})
    ts = jnp.array([1.0, 0.0])
    batch = jnp.arange(24.0).reshape(4, 3, 2)
    out = jax.jit(jax.vmap(lambda x: f({"x": x}, {}, ts)["x"][-1]))(batch)
    np.testing.assert_allclose(out, _mixed_exact(np.asarray(batch), 0.5, 1.0, 0.0), rtol=1e-8)

    def final_sum(k):
        return jnp.sum(f({"x": jnp.ones(3)}, {"k": k}, ts)["x"][-1])

    # d/dk x(t1) = -(t1 - t0) x(t1) = x(t1) going from 1 to 0
    grad = jax.grad(final_sum)(0.5)
    np.testing.assert_allclose(grad, 3 * _mixed_exact(1.0, 0.5, 1.0, 0.0), rtol=1e-6)


def test_grad_with_respect_to_weights_bound_at_call_time(mixed):
    f = mixed.solver("tsit5", rtol=1e-10, atol=1e-12)
    ts = jnp.array([0.0, 1.0])

    def loss(w):
        states = f({"x": jnp.ones(2)}, {}, ts, externals={"f": lambda x, t: w * t * x})
        return jnp.sum(states["x"][-1])

    w = 0.3
    # d/dw x(1) = x(1) / 2
    np.testing.assert_allclose(jax.grad(loss)(w), 2 * _mixed_exact(1.0, 0.5, 0.0, 1.0, w) / 2,
                               rtol=1e-6)


def test_jitted_runs_with_externals_are_bounded(mixed):
    from modelc.compiled import EXTERNAL_CACHE_SIZE

    for i in range(EXTERNAL_CACHE_SIZE + 3):
        mixed.solve(t=(0, 0.1), y0={"x": np.ones(2)}, externals={"f": lambda x, t, c=i: c * x},
                    method="euler", steps=2, points=2)
    assert len(mixed.runs.with_externals) == EXTERNAL_CACHE_SIZE


def test_cached_module_of_an_array_model(vp):
    again = modelc.parse(VP)  # from the module cache: no IR, no SymPy
    assert again._ir is None
    sol = again.solve(t=(T0, T1), y0={"x": X_T}, externals={"eps": gaussian_eps}, method="ddim",
                      steps=4)
    ref = vp.solve(t=(T0, T1), y0={"x": X_T}, externals={"eps": gaussian_eps}, method="ddim",
                   steps=4)
    np.testing.assert_array_equal(sol["x"], ref["x"])


def test_float32(mixed):
    sol = mixed.solve(t=(0, 1), y0={"x": np.ones(3)}, externals={"f": lambda x, t: t * x},
                      dtype="float32", rtol=1e-5, points=2)
    assert sol["x"].dtype == np.float32
    np.testing.assert_allclose(sol["x"][-1], _mixed_exact(1.0, 0.5, 0.0, 1.0), rtol=1e-4)


# ---- steps and names -----------------------------------------------------------------


def test_steps_is_dt0_of_the_span_and_krogstad_is_etdrk4b(mixed):
    opts = dict(t=(1.0, 0.0), y0={"x": np.ones(2)}, externals={"f": lambda x, t: t * x}, points=3)
    a = mixed.solve(method="rk4", steps=40, **opts)
    b = mixed.solve(method="rk4", dt0=1 / 40, **opts)
    np.testing.assert_array_equal(a["x"], b["x"])
    assert a.stats["steps"] == 40
    c = mixed.solve(method="krogstad", steps=20, **opts)
    d = mixed.solve(method="etdrk4b", steps=20, **opts)
    np.testing.assert_array_equal(c["x"], d["x"])


# ---- diffusion samplers ----------------------------------------------------------------


def _sample(m, method, steps, schedule="logsnr"):
    sol = m.solve(t=(T0, T1), y0={"x": X_T}, externals={"eps": gaussian_eps}, method=method,
                  steps=steps, schedule=schedule)
    return sol


def test_dpm_solver_1_is_ddim(vp):
    for schedule in ("time", "logsnr"):
        a = _sample(vp, "ddim", 7, schedule)["x"]
        b = _sample(vp, "dpm_solver_1", 7, schedule)["x"]
        assert np.max(np.abs(a - b)) <= 1e-12


def test_model_schedule_matches_the_closed_form_schedule(vp):
    """alpha, sigma from the model's a(t), b(t) (closed-form log alpha, quadrature for
    sigma) give the same samples as the hand-written VP schedule."""
    sol = _sample(vp, "dpm_solver_3", 5)
    grid = time_grid(SCHEDULE, T0, T1, 5, "logsnr")
    np.testing.assert_allclose(sol.t, grid, rtol=1e-9)
    x, nfe = sample(gaussian_eps, SCHEDULE, X_T, grid, "dpm3")
    assert sol.stats["nfe"] == nfe == 15
    np.testing.assert_allclose(sol["x"][-1], x, atol=1e-9)


def test_deis_through_the_model_file(vp):
    """deis_1 is DDIM; deis_3 from the model's a(t), b(t) (rho' = b/alpha) equals deis3 on
    the hand-written VP schedule (rho' by differentiation), in float64 and float32."""
    ddim = _sample(vp, "ddim", 7, "time")["x"]  # compiled by test_dpm_solver_1_is_ddim
    assert np.max(np.abs(_sample(vp, "deis_1", 7, "time")["x"] - ddim)) <= 1e-12
    sol = _sample(vp, "deis_3", 7, "time")
    x, nfe = sample(gaussian_eps, SCHEDULE, X_T, time_grid(SCHEDULE, T0, T1, 7, "time"), "deis3")
    assert sol.stats["nfe"] == nfe == 7
    np.testing.assert_allclose(sol["x"][-1], x, atol=1e-9)
    single = vp.solve(t=(T0, T1), y0={"x": X_T}, externals={"eps": gaussian_eps},
                      method="deis_3", steps=7, schedule="time", dtype="float32")
    assert single["x"].dtype == np.float32
    np.testing.assert_allclose(single["x"][-1], x, atol=1e-4)


def test_deis_solver_vmap_and_grad_through_weights(vp):
    """The pure function of deis_rho_2: vmap over samples equals the batch run, and the
    derivative with respect to beta_max (through the schedule's weights; the log-SNR
    grid's derivative is tested in tests/solvers/test_diffusion.py) matches a central
    difference of the same sampler."""
    f = vp.solver("deis_rho_2", steps=8, schedule="time", externals={"eps": gaussian_eps})
    ts = jnp.array([T0, T1])

    def final(x, beta_max):
        return f({"x": x}, {"beta_max": beta_max}, ts)["x"][-1]

    def loss(beta_max):
        return jnp.sum(jax.vmap(final, (0, None))(X_T, beta_max) ** 2)

    value_and_grad = jax.jit(jax.value_and_grad(loss))
    value, grad = value_and_grad(20.0)
    np.testing.assert_allclose(value, jnp.sum(jax.jit(final)(X_T, 20.0) ** 2), rtol=1e-12)
    central = (value_and_grad(20.0 + 1e-5)[0] - value_and_grad(20.0 - 1e-5)[0]) / 2e-5
    np.testing.assert_allclose(grad, central, rtol=1e-6)


def test_explicit_schedule_and_solver_path(vp):
    grid = np.linspace(T0, T1, 9)
    sol = vp.solve(y0={"x": X_T}, externals={"eps": gaussian_eps}, method="dpm_solver_pp_2m",
                   schedule=grid)
    np.testing.assert_array_equal(sol.t, grid)
    f = vp.solver("dpm_solver_pp_2m", schedule="given", externals={"eps": gaussian_eps},
                  full_output=True)
    states, info = jax.jit(f)({"x": X_T}, {}, jnp.asarray(grid))
    np.testing.assert_allclose(states["x"], sol["x"], atol=1e-12)
    assert int(info["nfe"]) == 8


@pytest.mark.parametrize("method,order,steps", [
    pytest.param("dpm_solver_1", 1, 16, marks=pytest.mark.slow), ("dpm_solver_2", 2, 8),
    pytest.param("dpm_solver_3", 3, 16, marks=pytest.mark.slow)])
def test_dpm_orders_through_the_model_file(vp, method, order, steps):
    """Error at t = 1e-3 against the exact solution on log-SNR grids: slope within 0.3."""
    ns = np.array([steps, 2 * steps, 4 * steps])
    errs = [float(np.max(np.abs(_sample(vp, method, int(n))["x"][-1] - EXACT))) for n in ns]
    slope = -np.polyfit(np.log(ns), np.log(errs), 1)[0]
    assert abs(slope - order) < 0.3, (slope, errs)
