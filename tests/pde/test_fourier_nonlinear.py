"""N in Fourier space (``nonlinear_hat``) and fixed-step split steppers that keep the
state in the coefficient basis (modelc/solvers/coefficients.py)."""

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import modelc
from modelc.solvers import integrate


def _parse(examples_dir, name, *replacements):
    text = (examples_dir / f"{name}.model").read_text()
    for old, new in replacements:
        text = text.replace(old, new)
    return modelc.parse(text, cache_modules=False)


@pytest.mark.parametrize("name,replacements", [
    ("kuramoto_sivashinsky", ()),  # dealiased, u u_x from the coefficients of u
    ("kuramoto_sivashinsky", (("-u*diff(u, x)", "-diff(u^2, x)/2"), ("points = 128", "points = 128, dealias = off"))),
    ("gray_scott", ()),  # 2-D, two fields
    ("nlse_soliton", ()),  # complex field
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


def test_coefficient_basis_float32(burgers):
    """float32 runs in the coefficient basis, stays float32 and follows the Cole-Hopf
    solution u = 2 nu e^(-nu t) sin x / (2 + e^(-nu t) cos x) (nu = 0.1)."""
    y0 = burgers.module.initial_state(burgers.module.parameter_vector({}), {})
    single = _solve(burgers, burgers.split, y0=y0.astype(jnp.float32))
    assert single.ys.dtype == jnp.float32 and int(single.status) == 0
    x = np.asarray(burgers.grid()["x"])[None]
    decay = np.exp(-0.1 * np.asarray(single.ts, np.float64))[:, None]
    exact = 0.2 * decay * np.sin(x) / (2 + decay * np.cos(x))
    np.testing.assert_allclose(single.ys, exact, atol=1e-6)


@pytest.mark.slow
def test_coefficient_basis_vmap(burgers):
    """A vmapped batch of initial states."""
    y0 = burgers.module.initial_state(burgers.module.parameter_vector({}), {})
    double = _solve(burgers, burgers.split)
    batch = jax.vmap(lambda s: _solve(burgers, burgers.split, y0=s * y0).ys[-1])(jnp.array([0.5, 1.0]))
    np.testing.assert_allclose(batch[1], double.ys[-1], atol=1e-13)
