"""N in Fourier space (``nonlinear_hat``) and fixed-step split steppers that keep the
state in the coefficient basis (modelc/solvers/coefficients.py)."""

import dataclasses
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import modelc
from modelc.solvers import coefficients, integrate
from modelc.solvers.adjoint import CheckpointAdjoint


def _parse(examples_dir, name, *replacements):
    text = (examples_dir / f"{name}.model").read_text()
    for old, new in replacements:
        text = text.replace(old, new)
    return modelc.parse(text, cache_modules=False)


@pytest.mark.parametrize("name,replacements", [
    # 2/3-rule dealiased, u u_x from the coefficients of u (dealias = pad, the default,
    # evaluates N on the padded grid and has no nonlinear_hat)
    ("kuramoto_sivashinsky", (("points = 128", "points = 128, dealias = truncate"),)),
    ("kuramoto_sivashinsky", (("-u*diff(u, x)", "-diff(u^2, x)/2"), ("points = 128", "points = 128, dealias = off"))),
    ("gray_scott", (("points = 64", "points = 64, dealias = truncate"),)),  # 2-D, two fields
    ("nlse_soliton", ()),  # complex field (dealias = off in the file)
])
def test_nonlinear_hat_is_the_transformed_nonlinearity(examples_dir, name, replacements):
    """nonlinear_hat(forward(y)) == forward(nonlinear(y)) at a random state."""
    mod = _parse(examples_dir, name, *replacements).module
    p = mod.parameter_vector({})
    y = jnp.asarray(np.random.default_rng(1).standard_normal(mod.STATE_SIZE))
    expected = mod.forward(mod.nonlinear(0.3, y, p))
    got = mod.nonlinear_hat(0.3, mod.forward(y), p)
    assert float(jnp.max(jnp.abs(got - expected))) < 1e-12 * float(jnp.max(jnp.abs(expected)))


@pytest.fixture(scope="module")
def burgers():
    return _parse(Path(__file__).resolve().parents[2] / "examples", "burgers", ("points = 64", "points = 32"))


def _solve(m, split, method="etdrk4", y0=None, nu=None, ts=(0.0, 0.3, 0.45, 1.0), h=0.1):
    mod = m.module
    p = mod.parameter_vector({} if nu is None else {"nu": nu})
    y0 = mod.initial_state(p, {}) if y0 is None else y0
    return integrate(mod.rhs, y0, jnp.asarray(ts, y0.dtype), p.astype(y0.dtype), method=method,
                     dt0=h, split=split)


@pytest.mark.parametrize("method", [
    "etdrk4", *(pytest.param(m, marks=pytest.mark.slow) for m in ("etd1", "etdrk2", "etdrk4b", "lawson4"))])
def test_coefficient_basis_matches_the_grid_basis(burgers, method):
    """The same steps in either basis, output times off the step grid included."""
    coeff = _solve(burgers, burgers.split, method)
    grid = _solve(burgers, burgers.split._replace(nonlinear_hat=None), method)
    assert int(coeff.status) == 0 and int(coeff.nfe) == int(grid.nfe)
    np.testing.assert_allclose(coeff.ys, grid.ys, rtol=0, atol=1e-13)


@pytest.mark.slow
def test_coefficient_basis_derivatives(burgers):
    """Reverse-mode derivatives in nu agree with the grid basis."""
    def final(split):
        return lambda nu: jnp.sum(_solve(burgers, split, nu=nu).ys[-1] ** 2)
    plain = burgers.split._replace(nonlinear_hat=None)
    np.testing.assert_allclose(jax.grad(final(burgers.split))(0.1), jax.grad(final(plain))(0.1),
                               rtol=1e-10)


@pytest.mark.parametrize("method", ["etdrk4", pytest.param("etdrk43", marks=pytest.mark.slow)])
def test_coefficient_basis_float32(burgers, method):
    """float32 runs in the coefficient basis (fixed and adaptive steps), stays float32
    and follows the Cole-Hopf solution (nu = 0.1)."""
    y0 = burgers.module.initial_state(burgers.module.parameter_vector({}), {}).astype(jnp.float32)
    single = (_solve(burgers, burgers.split, y0=y0) if method == "etdrk4"
              else _adaptive(burgers, burgers.split, 1e-5, y0=y0))
    assert single.ys.dtype == jnp.float32 and int(single.status) == 0
    np.testing.assert_allclose(single.ys, _cole_hopf(burgers, single.ts), atol=1e-6)


@pytest.mark.slow
def test_coefficient_basis_vmap(burgers):
    """A vmapped batch of initial states."""
    y0 = burgers.module.initial_state(burgers.module.parameter_vector({}), {})
    double = _solve(burgers, burgers.split)
    batch = jax.vmap(lambda s: _solve(burgers, burgers.split, y0=s * y0).ys[-1])(jnp.array([0.5, 1.0]))
    np.testing.assert_allclose(batch[1], double.ys[-1], atol=1e-13)


# -- etdrk43 (adaptive) in the coefficient basis -------------------------------------------

def _adaptive(m, split, tol, ts=(0.0, 0.3, 0.45, 1.0), y0=None, nu=None, adjoint=None):
    mod = m.module
    p = mod.parameter_vector({} if nu is None else {"nu": nu})
    y0 = mod.initial_state(p, {}) if y0 is None else y0
    return integrate(mod.rhs, y0, jnp.asarray(ts, y0.dtype), p.astype(y0.dtype),
                     method="etdrk43", rtol=tol, atol=tol, split=split, adjoint=adjoint)


def _cole_hopf(m, ts, nu=0.1):
    """u = 2 nu e^(-nu t) sin x / (2 + e^(-nu t) cos x) on the model's grid."""
    x = np.asarray(m.grid()["x"])[None]
    decay = np.exp(-nu * np.asarray(ts, np.float64))[:, None]
    return 2 * nu * decay * np.sin(x) / (2 + decay * np.cos(x))


def test_etdrk43_coefficient_basis_matches_the_grid_basis(burgers, monkeypatch):
    """Without the step hold the loop in coefficients takes the grid loop's steps (its
    controller sees the same grid values) and gives the same solution, outputs inside
    steps (the exponential dense output formed in coefficients) included."""
    monkeypatch.setattr(coefficients, "STEP_HOLD", 1.0)
    coeff = _adaptive(burgers, burgers.split, 1e-9)
    grid = _adaptive(burgers, burgers.split._replace(nonlinear_hat=None), 1e-9)
    assert int(coeff.status) == 0 and int(coeff.steps) > 5
    assert (int(coeff.accepted), int(coeff.rejected), int(coeff.nfe)) == \
        (int(grid.accepted), int(grid.rejected), int(grid.nfe))
    np.testing.assert_allclose(coeff.ys, grid.ys, rtol=0, atol=1e-13)


def _without_cache(monkeypatch):
    """Coefficient-basis etdrk43 evaluating its phi-functions in every step (same hold)."""
    every = coefficients.stepping_in_coefficients

    def uncached(stepper, controller, split):
        stepper, controller = every(stepper, controller, split)
        return dataclasses.replace(stepper, cache_phis=False), controller

    monkeypatch.setattr(coefficients, "stepping_in_coefficients", uncached)


@pytest.mark.slow
def test_etdrk43_cached_phis_are_those_of_the_step(burgers, monkeypatch):
    """With the hold, the phi-functions carried from step to step give what evaluating
    them in every step gives (same steps, same numbers)."""
    cached = _adaptive(burgers, burgers.split, 1e-9)
    _without_cache(monkeypatch)
    fresh = _adaptive(burgers, burgers.split, 1e-9)
    assert int(cached.steps) == int(fresh.steps)
    np.testing.assert_allclose(cached.ys, fresh.ys, rtol=0, atol=1e-15)


def test_etdrk43_coefficient_basis_meets_tolerance(burgers):
    """With the step hold and the cached phi-functions, the error against a converged
    solution (rtol = atol = 1e-12) stays below the tolerance and falls with it (nu = 1:
    N drives the steps)."""
    ts = (0.0, 0.3, 0.45, 1.0)
    ref = np.asarray(_adaptive(burgers, burgers.split, 1e-12, ts, nu=1.0).ys)
    errs = []
    for tol in (1e-4, 1e-6, 1e-8):
        sol = _adaptive(burgers, burgers.split, tol, ts, nu=1.0)
        assert int(sol.status) == 0
        errs.append(float(np.max(np.abs(np.asarray(sol.ys) - ref))))
    assert errs[0] < 1e-4 and errs[1] < errs[0] / 20 and errs[2] < errs[1] / 20, errs


@pytest.mark.slow
def test_etdrk43_coefficient_basis_derivatives(burgers, monkeypatch):
    """Derivatives in nu through the cached phi-functions (which depend on nu through L),
    by forward sensitivities and by the discrete adjoint, equal those with the
    phi-functions evaluated in every step; a vmapped batch of initial states matches
    single solves."""
    def final(adjoint=None):
        return lambda nu: jnp.sum(_adaptive(burgers, burgers.split, 1e-8, nu=nu,
                                            adjoint=adjoint).ys[-1] ** 2)
    y0 = burgers.module.initial_state(burgers.module.parameter_vector({}), {})
    cached = jax.grad(final())(0.3)
    assert abs(float(jax.grad(final(CheckpointAdjoint()))(0.3)) / float(cached) - 1) < 1e-9
    batch = jax.vmap(lambda s: _adaptive(burgers, burgers.split, 1e-8, y0=s * y0).ys[-1])(
        jnp.array([0.5, 1.0]))
    single = _adaptive(burgers, burgers.split, 1e-8, y0=0.5 * y0).ys[-1]
    _without_cache(monkeypatch)
    np.testing.assert_allclose(cached, jax.grad(final())(0.3), rtol=1e-10)
    np.testing.assert_allclose(batch[0], single, atol=1e-13)
