"""Numerically solved constraints against the mathematics: analytic solutions, an
independent ODE reference, consistent initialisation, jit/vmap/derivatives, float32."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

import modelc
from modelc import solvers

# x' = -k x + z with z = a sin(w t) as a constraint (kept numerical): a non-autonomous
# algebraic row (its t-derivative enters every Rosenbrock stage) with a closed form.
FORCED = """
parameter k = 0.7, a = 1.5, w = 2
state x = 1
state z = 0.3
der(x) = -k*x + z
constraint z = a*sin(w*t)
"""

# y^2 = x + t has two real roots: the starting guess picks the branch (SymPy finds no unique
# one); the algebraic row depends on t (its t-derivative enters the Rosenbrock stages).
BRANCH = """
state x = 4
state y = 1
der(x) = -x
constraint y^2 = x + t
"""

# z + exp(z) + z^3 = x: transcendental, no closed form.
TRANSCENDENTAL = """
parameter k = 1
state x = 2
state z = 0
der(x) = -k*z
constraint z + exp(z) + z^3 = x
"""
TS = np.array([0.0, 0.25, 0.5, 1.0, 2.0, 3.0])


def forced_exact(t, k=0.7, a=1.5, w=2.0, x0=1.0):
    """The closed-form x(t) of FORCED."""
    return x0 * np.exp(-k * t) + a * (k * np.sin(w * t) - w * np.cos(w * t) + w * np.exp(-k * t)) / (k**2 + w**2)


@pytest.fixture(scope="module")
def forced():
    return modelc.parse(FORCED, constraints="numerical", cache_modules=False)


@pytest.fixture(scope="module")
def transcendental():
    return modelc.parse(TRANSCENDENTAL, cache_modules=False)


def _root(x):
    """z with z + exp(z) + z^3 = x (the function is increasing: one real root)."""
    return brentq(lambda z: z + np.exp(z) + z**3 - x, -50, 50, xtol=1e-15)


@pytest.mark.slow  # one more compile; the branch test has a t-dependent algebraic row too
def test_a_time_dependent_algebraic_row_matches_the_closed_form(forced):
    sol = forced.solve(saveat=TS, rtol=1e-9, atol=1e-12)  # no method given: auto, i.e. rodas5
    assert sol.ok, sol.message
    assert sol.stats["method"] == "rodas5"
    np.testing.assert_allclose(sol["x"], forced_exact(TS), rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(sol["z"], 1.5 * np.sin(2 * TS), rtol=1e-7, atol=1e-9)


def test_the_starting_guess_picks_the_branch_and_no_root_is_a_status():
    m = modelc.parse(BRANCH, cache_modules=False)
    assert m.module.CONSTRAINT_PATHS == (("y", "numerical"),)
    for guess, sign in ((1.0, 1.0), (-0.5, -1.0)):  # y0 in full each time: one compile
        sol = m.solve(saveat=TS, method="rodas5", rtol=1e-9, atol=1e-12, y0={"x": 4.0, "y": guess})
        assert sol.ok, sol.message
        np.testing.assert_allclose(sol["x"], 4 * np.exp(-TS), rtol=1e-7)
        np.testing.assert_allclose(sol["y"], sign * np.sqrt(4 * np.exp(-TS) + TS), rtol=1e-7)
    # y^2 = -1 has no real root at t0: a status and NaN, not a wrong answer
    with pytest.warns(RuntimeWarning, match="no consistent initial values"):
        sol = m.solve(saveat=TS, method="rodas5", rtol=1e-9, atol=1e-12, y0={"x": -1.0, "y": 1.0})
    assert not sol.ok and sol.status == solvers.Status.INCONSISTENT_INITIAL
    assert np.all(np.isnan(sol["y"][1:]))


def test_a_transcendental_constraint_matches_an_independent_ode_reference_and_its_rows(transcendental):
    assert transcendental.module.CONSTRAINT_PATHS == (("z", "numerical"),)
    # reference: differentiate the constraint by hand, z' = x' / (1 + exp(z) + 3 z^2), as an ODE
    z0 = _root(2.0)

    def f(t, y):
        x, z = y
        return [-z, -z / (1 + np.exp(z) + 3 * z**2)]

    ref = solve_ivp(f, (0, TS[-1]), [2.0, z0], method="DOP853", rtol=1e-13, atol=1e-14, t_eval=TS).y
    # a bad starting guess (8, the root is about 0.32): Newton from far away
    sol = transcendental.solve(saveat=TS, method="rodas5", rtol=1e-9, atol=1e-12, y0={"z": 8.0})
    assert sol.ok, sol.message
    np.testing.assert_allclose(sol["x"], ref[0], rtol=1e-7)
    np.testing.assert_allclose(sol["z"], ref[1], rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(sol["z"], [_root(x) for x in sol["x"]], rtol=1e-8, atol=1e-12)
    # the generated rows and Jacobian: der(x) = -k z (k = 1) and the residual z + exp(z) + z^3 - x
    module = transcendental.module
    p, x, z = module.parameter_vector({}), 1.3, -0.4
    y = jnp.array([x, z])
    np.testing.assert_allclose(jax.jit(module.rhs)(0.2, y, p), [-z, z + np.exp(z) + z**3 - x], rtol=1e-14)
    np.testing.assert_allclose(jax.jit(module.jacobian)(0.2, y, p),
                               [[0.0, -1.0], [-1.0, 1 + np.exp(z) + 3 * z**2]], rtol=1e-14)


@pytest.mark.slow  # compiles the forward-mode derivative of the DAE loop (~15 s on 2 shared cores)
def test_forward_derivative_of_a_jitted_dae_solve_matches_the_closed_form(forced):
    f = forced.solver(method="rodas5", rtol=1e-10, atol=1e-12)
    dk = jax.jit(jax.jacfwd(lambda k: f({}, {"k": k}, jnp.asarray(TS))["x"]))(0.7)
    h = 1e-5
    exact = (forced_exact(TS, k=0.7 + h) - forced_exact(TS, k=0.7 - h)) / (2 * h)
    np.testing.assert_allclose(dk, exact, rtol=1e-6, atol=1e-9)


@pytest.mark.slow  # several compiles of the DAE loop (vmap, jacfwd, finite differences)
def test_vmap_and_forward_derivatives_against_central_differences(forced):
    f = jax.jit(forced.solver(method="rodas5", rtol=1e-10, atol=1e-12))
    ts = jnp.asarray(TS)

    def x_of(k):
        return f({}, {"k": k}, ts)["x"]

    ks = jnp.array([0.3, 0.7, 1.2])
    batch = jax.jit(jax.vmap(x_of))(ks)
    np.testing.assert_allclose(batch, np.stack([forced_exact(TS, k=float(k)) for k in ks]), rtol=1e-8,
                               atol=1e-11)
    dk = jax.jit(jax.jacfwd(x_of))(0.7)
    h = 1e-5
    central = (x_of(0.7 + h) - x_of(0.7 - h)) / (2 * h)
    np.testing.assert_allclose(dk, central, rtol=1e-5, atol=1e-8)


@pytest.mark.slow  # forward and reverse mode through the consistent initialisation and the loop
def test_derivatives_with_respect_to_the_constraints_parameters_and_the_guess(transcendental):
    # dz/dx0 through the consistent initialisation: 1/(1 + exp(z) + 3 z^2) at t0; the guess
    # itself has no influence on the solution
    f = jax.jit(transcendental.solver(method="rodas5", rtol=1e-10, atol=1e-12))
    ts = jnp.asarray([0.0, 0.5])
    z0 = _root(2.0)
    dz_dx0 = jax.jacfwd(lambda x0: f({"x": x0, "z": 0.0}, {}, ts)["z"])(2.0)
    np.testing.assert_allclose(dz_dx0[0], 1 / (1 + np.exp(z0) + 3 * z0**2), rtol=1e-10)
    dz_dguess = jax.jacfwd(lambda g: f({"z": g}, {}, ts)["z"])(0.0)
    np.testing.assert_allclose(dz_dguess, 0.0, atol=1e-12)
    grad_k = jax.grad(lambda k: f({}, {"k": k}, ts)["x"][-1])(1.0)
    h = 1e-5
    central = (f({}, {"k": 1 + h}, ts)["x"][-1] - f({}, {"k": 1 - h}, ts)["x"][-1]) / (2 * h)
    np.testing.assert_allclose(grad_k, central, rtol=1e-5)


@pytest.mark.slow  # two more compiles (float32 and float64)
def test_float32_dae_solves(transcendental):
    sol = transcendental.solve(saveat=TS, method="rodas5", rtol=1e-5, atol=1e-7, dtype="float32")
    assert sol.ok, sol.message
    assert sol.y.dtype == np.float32
    ref = transcendental.solve(saveat=TS, method="rodas5", rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sol.y, ref.y, rtol=1e-4, atol=1e-5)


@pytest.mark.slow  # the discrete adjoint's compile
def test_reverse_mode_through_the_discrete_adjoint_and_backsolve_is_refused(forced):
    f = forced.solver(method="rodas5", rtol=1e-10, atol=1e-12, adjoint=modelc.CheckpointAdjoint())
    ts = jnp.asarray([0.0, 1.0, 3.0])
    grad = jax.jit(jax.grad(lambda p: f({}, p, ts)["x"][-1]))({"k": 0.7, "a": 1.5, "w": 2.0})
    h = 1e-6
    for name, value in {"k": 0.7, "a": 1.5, "w": 2.0}.items():
        exact = (forced_exact(3.0, **{name: value + h}) - forced_exact(3.0, **{name: value - h})) / (2 * h)
        np.testing.assert_allclose(grad[name], exact, rtol=1e-7)
    # the continuous adjoint of an ODE gave wrong gradients for the algebraic row's a and w
    with pytest.raises(modelc.SolveError, match="BacksolveAdjoint"):
        forced.solver(method="rodas5", adjoint=modelc.BacksolveAdjoint())
