"""The Python API: load/parse, solve, solver (jit, vmap, jacfwd), defaults, errors."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import modelc
from modelc.errors import SolveError

def test_declarations(decay):
    assert decay.name == "decay"
    assert decay.doc == "exponential decay"
    assert decay.state_names == ("u",)
    assert decay.param_names == ("k", "scale")
    assert decay.observable_names == ("twice",)
    assert decay.defaults == pytest.approx({"k": 0.5, "scale": 1.0, "u": 1.0})


def test_solve_matches_analytic_solution(decay):
    sol = decay.solve(rtol=1e-10, atol=1e-12)
    assert sol.ok and sol.status == modelc.Status.SUCCESS
    assert sol.t.shape == (41,)
    np.testing.assert_allclose(sol["u"], np.exp(-0.5 * sol.t), rtol=1e-8)
    np.testing.assert_allclose(sol["twice"], 2 * sol["u"])
    assert set(sol.stats) >= {"nfe", "steps", "accepted", "rejected", "method"}
    assert sol.stats["method"] == "tsit5"
    assert sol.stats["steps"] == sol.stats["accepted"] + sol.stats["rejected"]


def test_overrides_and_derived_defaults(decay):
    # scale defaults to 2*k, so overriding k moves the initial value too.
    sol = decay.solve(t=(0, 1), params={"k": 1.0}, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sol["u"], 2.0 * np.exp(-sol.t), rtol=1e-8)
    sol = decay.solve(t=(0, 1), y0={"u": 3.0}, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sol["u"], 3.0 * np.exp(-0.5 * sol.t), rtol=1e-8)


def test_saveat_not_starting_at_t0(decay):
    sol = decay.solve(t=(0, 4), saveat=[1.0, 2.0, 3.0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sol.t, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(sol["u"], np.exp(-0.5 * sol.t), rtol=1e-8)


@pytest.mark.parametrize("method", ["tsit5", "dopri5", "dopri8", "bosh3", "rk4", "euler"])
def test_every_method_solves(decay, method):
    sol = decay.solve(t=(0, 1), method=method, rtol=1e-8, dt0=1e-3)
    tol = 1e-3 if method == "euler" else 1e-6
    np.testing.assert_allclose(sol["u"], np.exp(-0.5 * sol.t), rtol=tol)
    assert sol.stats["method"] == method


def test_bad_solve_arguments_are_clear(decay):
    with pytest.raises(SolveError, match="no parameter named 'kk'; did you mean 'k'"):
        decay.solve(params={"kk": 1.0})
    with pytest.raises(SolveError, match="no state named 'v'"):
        decay.solve(y0={"v": 1.0})
    with pytest.raises(SolveError, match="unknown method 'rk45'"):
        decay.solve(method="rk45")
    with pytest.raises(SolveError, match="below what float32 can deliver"):
        decay.solve(rtol=1e-10, dtype="float32")
    with pytest.raises(KeyError, match="did you mean 'u'"):
        decay.solve()["uu"]


def test_missing_time_span_is_explained():
    m = modelc.parse("model m\nstate x = 1\nder(x) = -x\n")
    with pytest.raises(SolveError, match="simulate t = "):
        m.solve()


def test_float32(decay):
    sol = decay.solve(t=(0, 1), rtol=1e-5, atol=1e-7, dtype="float32")
    assert sol.y.dtype == np.float32
    np.testing.assert_allclose(sol["u"], np.exp(-0.5 * sol.t), rtol=1e-4)


def test_failure_is_reported_in_status():
    blowup = modelc.parse("model b\nstate x = 1\nder(x) = x^2\n")  # x = 1/(1 - t)
    with pytest.warns(RuntimeWarning):
        sol = blowup.solve(t=(0, 2), points=5)
    assert not sol.ok
    assert np.isnan(sol["x"][-1])
    with pytest.warns(RuntimeWarning):
        sol = blowup.solve(t=(0, 0.5), points=3, max_steps=2)
    assert sol.status == modelc.Status.MAX_STEPS_REACHED


def test_solver_is_pure_and_composes(examples_dir):
    m = modelc.load(examples_dir / "lorenz.model")
    f = m.solver(method="tsit5", rtol=1e-8, atol=1e-8)
    ts = jnp.linspace(0.0, 1.0, 11)
    out = jax.jit(f)({}, {"rho": 28.0}, ts)
    assert set(out) == {"x", "y", "z"} and out["x"].shape == (11,)
    ref = m.solve(t=(0, 1), points=11, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(out["x"], ref["x"], rtol=1e-12)


def test_vmap_over_1000_parameter_sets_equals_loop(examples_dir):
    m = modelc.load(examples_dir / "lorenz.model")
    f = jax.jit(m.solver(method="tsit5", rtol=1e-8, atol=1e-8))
    ts = jnp.linspace(0.0, 1.0, 5)
    rhos = jnp.linspace(20.0, 30.0, 1000)
    sigmas = jnp.linspace(9.0, 11.0, 1000)
    batch = jax.jit(jax.vmap(f, in_axes=(None, 0, None)))({}, {"rho": rhos, "sigma": sigmas}, ts)
    for i in range(1000):
        single = f({}, {"rho": rhos[i], "sigma": sigmas[i]}, ts)
        for name in ("x", "y", "z"):
            np.testing.assert_allclose(batch[name][i], single[name], rtol=1e-10, atol=1e-12)


def test_vmap_over_initial_states(examples_dir):
    m = modelc.load(examples_dir / "vanderpol.model")
    f = m.solver(rtol=1e-9, atol=1e-9)
    ts = jnp.linspace(0.0, 2.0, 3)
    x0 = jnp.array([0.5, 1.0, 2.0])
    batch = jax.vmap(f, in_axes=({"x": 0}, None, None))({"x": x0}, {}, ts)
    for i in range(3):
        single = f({"x": x0[i]}, {}, ts)
        np.testing.assert_allclose(batch["v"][i], single["v"], rtol=1e-10)


def test_jacfwd_matches_finite_differences(decay):
    f = decay.solver(rtol=1e-11, atol=1e-13)
    ts = jnp.array([0.0, 2.0])

    def final_u(k):
        return f({}, {"k": k}, ts)["u"][-1]

    # u(2) = 2k exp(-2k): du/dk = 2 exp(-2k) (1 - 2k)
    k = 0.3
    exact = 2 * np.exp(-2 * k) * (1 - 2 * k)
    np.testing.assert_allclose(jax.jacfwd(final_u)(k), exact, rtol=1e-7)


def test_full_output_reports_status(decay):
    f = decay.solver(full_output=True)
    states, info = f({}, {}, jnp.linspace(0, 1, 3))
    assert int(info["status"]) == 0 and int(info["nfe"]) > 0


def test_equations_show_the_model_in_sympy(examples_dir):
    import sympy

    m = modelc.load(examples_dir / "pendulum.model")
    eqs = m.equations
    assert len(eqs) == 2
    assert all(isinstance(e, sympy.Eq) for e in eqs)
    g, L, theta = (sympy.Symbol(n, real=True) for n in ("g", "L", "theta"))
    assert sympy.simplify(eqs[1].rhs + g / L * sympy.sin(theta)) == 0


@pytest.mark.parametrize("method", ["tsit5", "dopri8", "rodas5", "kvaerno5"])
def test_model_without_states_reaches_the_end(method):
    # Only parameters and outputs (as some imported SBML models are): the error
    # norm of an empty state is 0, so every step is accepted.
    m = modelc.parse("model e\nparameter a = 2\nobserve b = a*t\n")
    sol = m.solve(t=(0, 1), points=3, method=method)
    assert sol.ok
    np.testing.assert_allclose(sol["b"], [0.0, 1.0, 2.0])


def test_auto_method_chooses_by_stiffness(examples_dir):
    stiff = modelc.load(examples_dir / "robertson.model").solve(method="auto", points=11)
    assert stiff.stats["method"] == "rodas5" and stiff.stats["auto"].startswith("stiff")
    assert stiff.stats["njev"] == stiff.stats["steps"]
    calm = modelc.load(examples_dir / "lorenz.model").solve(t=(0, 1), method="auto", points=11)
    assert calm.stats["method"] == "tsit5" and calm.stats["njev"] == 0


def test_gradient_counts_only_the_given_parameters():
    """`solver` hands the loop only the parameters a call gives (the rest are filled in
    once per solve), so a gradient w.r.t. one of ten parameters is one forward-
    sensitivity direction, while all ten exceed FORWARD_MAX_PERTURBED and take the
    discrete adjoint (its transpose is the `modelc_linear_map` primitive). The first
    equals the exact d/dk1 of x(1) = exp(-(k1 + ... + k10)), -exp(-sum k)."""
    from modelc.solvers.adjoint import FORWARD_MAX_PERTURBED

    names = [f"k{i}" for i in range(1, 11)]
    assert len(names) > FORWARD_MAX_PERTURBED
    text = ("model decay\n" + "".join(f"parameter {n} = 0.1\n" for n in names)
            + "state x = 1\nder(x) = -(" + " + ".join(names) + ")*x\n")
    f = modelc.parse(text).solver(rtol=1e-10, atol=1e-12)
    ts = jnp.array([0.0, 1.0])

    def one(k1):
        return f({}, {"k1": k1}, ts)["x"][-1]

    def every(ks):
        return f({}, dict(zip(names, ks)), ts)["x"][-1]

    ks = jnp.full(10, 0.1)
    assert "modelc_linear_map" not in str(jax.make_jaxpr(jax.grad(one))(0.1))
    assert "modelc_linear_map" in str(jax.make_jaxpr(jax.grad(every))(ks))
    np.testing.assert_allclose(jax.grad(one)(0.1), -np.exp(-1.0), rtol=1e-8)


def test_solver_default_is_auto_chosen_once(examples_dir):
    """`m.solver()` chooses once, at build time, what `solve` chooses for the file's
    problem; the function runs that one method under jit and says which (`.method`)."""
    rob = modelc.load(examples_dir / "robertson.model")
    f = rob.solver(rtol=1e-8, atol=1e-10)
    assert f.method == "rodas5" and f.auto.startswith("stiff")
    assert rob.solve(rtol=1e-8, atol=1e-10).stats["method"] == "rodas5"
    ts = jnp.array([0.0, 1.0, 10.0])
    got = jax.jit(f)({}, {}, ts)
    want = rob.solve(saveat=np.asarray(ts), method="rodas5", rtol=1e-8, atol=1e-10)
    for name in rob.state_names:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-9, atol=1e-14)
    named = rob.solver(method="kvaerno5")
    assert named.method == "kvaerno5" and named.auto is None


def test_solver_auto_without_bound_externals_falls_back_to_tsit5():
    m = modelc.parse("external g(x)\nstate x = 1\nder(x) = g(x)\n", cache_modules=False)
    f = m.solver()
    assert f.method == "tsit5" and "externals" in f.auto
    out = f({}, {}, jnp.array([0.0, 1.0]), externals={"g": lambda x: -x})
    np.testing.assert_allclose(out["x"], [1.0, np.exp(-1.0)], rtol=1e-5)
