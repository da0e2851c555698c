"""Exponential Adams--Bashforth etdab2/3/4: weights from the maths, empirical orders
(with output times off the step grid), counts, refusals, float32, vmap, and
Kuramoto--Sivashinsky against an independent NumPy implementation (derivatives:
test_adjoint.py)."""

import math
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.integrate

import modelc
from modelc.solvers import integrate
from modelc.solvers.expint_multistep import lagrange_monomials, node_weights

from test_expint import PROBLEMS, T_END, _order, exact

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _phis(z, kmax):
    """phi_0..phi_kmax of a scalar z by the defining integral (independent of modelc)."""
    out = [math.exp(z)]
    for k in range(1, kmax + 1):
        out.append(scipy.integrate.quad(
            lambda s: math.exp((1 - s) * z) * s ** (k - 1), 0, 1)[0] / math.factorial(k - 1))
    return out


def _quadrature_weights(thetas, z):
    """``int_0^1 e^{(1 - theta) z} l_j(theta) dtheta`` for the Lagrange polynomials l_j."""
    def lagrange(j, th):
        return np.prod([(th - tk) / (thetas[j] - tk) for k, tk in enumerate(thetas) if k != j])
    return [scipy.integrate.quad(lambda th: math.exp((1 - th) * z) * lagrange(j, th), 0, 1)[0]
            for j in range(len(thetas))]


@pytest.mark.parametrize("z", [-0.3, -4.0, -25.0, 0.7])
def test_uniform_weights_are_the_classical_ones(z):
    """theta_j = -j: the weights equal Cox & Matthews's ETD-AB weights, written in
    backward differences (order 4: c0 = phi1, c1 = phi2, c2 = phi3 + phi2/2, c3 = phi4 +
    phi3 + phi2/3; w0 = c0+c1+c2+c3, w1 = -(c1+2c2+3c3), w2 = c2+3c3, w3 = -c3), and
    the quadrature of the Lagrange polynomials; order 2: (phi1 + phi2, -phi2)."""
    ph = _phis(z, 4)
    c0, c1, c2, c3 = ph[1], ph[2], ph[3] + ph[2] / 2, ph[4] + ph[3] + ph[2] / 3
    classical = [c0 + c1 + c2 + c3, -(c1 + 2 * c2 + 3 * c3), c2 + 3 * c3, -c3]
    thetas = [0.0, -1.0, -2.0, -3.0]
    np.testing.assert_allclose(node_weights(thetas, ph), classical, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(node_weights(thetas, ph), _quadrature_weights(thetas, z),
                               rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(node_weights(thetas[:2], ph), [ph[1] + ph[2], -ph[2]],
                               rtol=1e-12)
    np.testing.assert_allclose(node_weights(thetas[:3], ph), _quadrature_weights(thetas[:3], z),
                               rtol=1e-8, atol=1e-12)


def test_variable_node_weights_integrate_the_interpolant():
    """Unequal past steps (after a shortened landing step): the weights are the exact
    integrals of the Lagrange polynomials, and the Lagrange coefficients reproduce
    every monomial of degree < s."""
    thetas = [0.0, -0.37, -1.37, -2.37]
    z = -3.0
    np.testing.assert_allclose(node_weights(thetas, _phis(z, 4)), _quadrature_weights(thetas, z),
                               rtol=1e-8, atol=1e-12)
    c = np.array(lagrange_monomials(thetas))
    vandermonde = np.array([[th**m for th in thetas] for m in range(4)])
    np.testing.assert_allclose(c @ vandermonde.T, np.eye(4), atol=1e-12)


@pytest.mark.parametrize("method,order,dt_max", [
    ("etdab2", 2, 1 / 32), pytest.param("etdab3", 3, 1 / 32, marks=pytest.mark.slow),
    pytest.param("etdab4", 4, 1 / 32, marks=pytest.mark.slow)])  # etdab4: next test
def test_order(method, order, dt_max):
    """Empirical order within 0.3 on the stiff problem with a known solution."""
    slope, errs = _order(method, "diagonal", dt_max)
    assert abs(slope - order) < 0.3, (slope, errs)


@pytest.mark.slow
def test_order_dense_matrix():
    """A dense (non-diagonal) L."""
    slope, errs = _order("etdab4", "matrix", 1 / 32)
    assert abs(slope - 4) < 0.3, (slope, errs)


def test_outputs_off_the_step_grid_keep_the_order():
    """Output times that are not multiples of the step: the loop shortens a step to land
    on each, the next steps see unequal node spacing, and the order stays 4 at every
    output (slopes 4 to 4.7: the landing fractions change with h), the final error
    as small as without the outputs; the count is 4 evaluations per starting step
    and 1 per step after."""
    f, split = PROBLEMS["diagonal"]
    run = jax.jit(lambda ts, dt: integrate(f, exact(0.0), ts, None, method="etdab4", dt0=dt,
                                           split=split))
    dts = np.array([1 / 32, 1 / 64, 1 / 128])

    def errors(ts):
        errs = []
        for dt in dts:
            sol = run(ts, dt)
            assert int(sol.status) == 0
            assert int(sol.nfe) == int(sol.steps) + 9
            errs.append([float(jnp.abs(sol.ys[i] - exact(ts[i])).max()) for i in range(1, 5)])
        return np.array(errs)

    errs = errors(jnp.array([0.0, 0.37, 1.13, 1.5, T_END]))
    slopes = np.polyfit(np.log(dts), np.log(errs), 1)[0]
    assert np.all((slopes > 3.7) & (slopes < 4.8)), (slopes, errs)
    on_grid = errors(jnp.array([0.0, 0.5, 1.0, 1.5, T_END]))  # multiples of every step
    np.testing.assert_allclose(errs[:, -1], on_grid[:, -1], rtol=0.2)


def test_time_dependent_linear_part_is_refused():
    """A time-dependent L is a clear error naming the method."""
    f, split = PROBLEMS["scalar"]
    with pytest.raises(ValueError, match="etdab3 needs a constant linear operator"):
        integrate(f, exact(0.0), jnp.array([0.0, 1.0]), None, method="etdab3", dt0=0.1,
                  split=split)


def test_model_with_time_dependent_linear_part_is_refused():
    """At the model level the refusal is a SolveError naming the method and the model."""
    m = modelc.parse("model tdep\nstate x = 1.0\nder(x) = -(1 + t)*x + 0.1*sin(x)\n",
                     cache_modules=False)
    with pytest.raises(modelc.SolveError, match="'etdab4'.*'tdep' depends on t"):
        m.solve(t=(0.0, 1.0), method="etdab4", steps=10)


@pytest.fixture(scope="module")
def burgers():
    text = (EXAMPLES / "burgers.model").read_text().replace("points = 64", "points = 32")
    return modelc.parse(text, cache_modules=False)


@pytest.mark.parametrize("dtype,tol", [("float32", 1e-6),
                                       pytest.param("float64", 5e-7, marks=pytest.mark.slow)])
def test_model_solve_in_coefficients(burgers, dtype, tol):
    """m.solve(method="etdab4", steps=...) on a Fourier split with nonlinear_hat (the
    coefficient basis) follows the Cole--Hopf solution u = 2 nu e^(-nu t) sin x /
    (2 + e^(-nu t) cos x) (nu = 0.1; 32 modes: 2e-7 spatial error)."""
    x = np.asarray(burgers.grid()["x"])[None]
    sol = burgers.solve(t=(0.0, 1.0), saveat=np.array([0.0, 0.45, 1.0]), method="etdab4",
                        steps=40, dtype=dtype)
    assert sol.status == 0 and sol.stats["nfe"] == sol.stats["steps"] + 9
    decay = np.exp(-0.1 * np.asarray(sol.t, np.float64))[:, None]
    exact_u = 0.2 * decay * np.sin(x) / (2 + decay * np.cos(x))
    assert sol.fields["u"].dtype == np.dtype(dtype)
    np.testing.assert_allclose(sol.fields["u"], exact_u, atol=tol)


@pytest.mark.slow
def test_vmap_and_backward(burgers):
    """A vmapped batch equals single solves; integrating backwards retraces a mild problem."""
    mod = burgers.module
    p = mod.parameter_vector({})
    y0 = mod.initial_state(p, {})
    ts = jnp.array([0.0, 0.45, 1.0])

    def final(y):
        return integrate(mod.rhs, y, ts, p, method="etdab4", dt0=0.05, split=burgers.split).ys[-1]
    batch = jax.vmap(final)(jnp.stack([0.5 * y0, y0]))
    np.testing.assert_allclose(batch[1], final(y0), atol=1e-13)
    f, split = PROBLEMS["mild"]
    sol = integrate(f, exact(1.0), jnp.array([1.0, 0.45, 0.0]), None, method="etdab4",
                    dt0=1 / 64, split=split)
    assert float(jnp.abs(sol.ys[-1] - exact(0.0)).max()) < 2e-6  # 2.4e-7 forwards


# --- Kuramoto--Sivashinsky against an independent NumPy ETD-AB4 ------------------------

def _numpy_ks(u0, steps_ab, h_ref=1 / 256, t_end=50.0):
    """Errors at t = 50 of a NumPy ETD-AB4 (3 ETDRK4 starting steps, classical weights,
    contour-integral phi-functions as Kassam & Trefethen) against NumPy ETDRK4 at h_ref,
    from ``u0`` on 128 points of [0, 32 pi)."""
    n = 128
    k = np.fft.rfftfreq(n, d=1 / n) / 16
    lin, g = k**2 - k**4, -0.5j * k
    nl = lambda v: g * np.fft.rfft(np.fft.irfft(v, n) ** 2)  # noqa: E731
    roots = np.exp(1j * np.pi * (np.arange(1, 65) - 0.5) / 64)

    def phis(z, kmax):
        lr = z[:, None] + roots[None, :]
        p, fact, out = np.exp(lr), 1, [np.exp(z)]
        for j in range(1, kmax + 1):
            p = (p - 1 / fact) / lr
            fact *= j
            out.append(np.real(np.mean(p, axis=1)))
        return out

    def rk4_step(v, nv, h):
        e, p1, p2, p3 = phis(h * lin, 3)
        e2, q1 = phis(h * lin / 2, 1)
        q = h / 2 * q1
        a = e2 * v + q * nv
        na = nl(a)
        b = e2 * v + q * na
        nb = nl(b)
        c = e2 * a + q * (2 * nb - nv)
        return (e * v + h * (nv * (p1 - 3 * p2 + 4 * p3) + 2 * (na + nb) * (p2 - 2 * p3)
                             + nl(c) * (4 * p3 - p2)))

    ref = np.fft.rfft(u0)
    for _ in range(round(t_end / h_ref)):
        ref = rk4_step(ref, nl(ref), h_ref)
    ref = np.fft.irfft(ref, n)
    errs = []
    for steps in steps_ab:
        h = t_end / steps
        e, p1, p2, p3, p4 = phis(h * lin, 4)
        c1, c2, c3 = p2, p3 + p2 / 2, p4 + p3 + p2 / 3
        w = [h * (p1 + c1 + c2 + c3), -h * (c1 + 2 * c2 + 3 * c3), h * (c2 + 3 * c3), -h * c3]
        v, hist = np.fft.rfft(u0), []
        for i in range(steps):
            nv = nl(v)
            if i < 3:
                v = rk4_step(v, nv, h)
            else:
                v = e * v + w[0] * nv + w[1] * hist[-1] + w[2] * hist[-2] + w[3] * hist[-3]
            hist.append(nv)
        u = np.fft.irfft(v, n)
        errs.append(np.linalg.norm(u - ref) / np.linalg.norm(ref))
    return ref, np.array(errs)


@pytest.mark.slow
def test_ks_reproduces_an_independent_implementation():
    """KS (128 modes, dealias off, t = 50): modelc's etdab4 errors equal the NumPy
    implementation's (5.1e-7 at 1600 steps with 1609 evaluations of N, 1.6e-6 at 1200,
    3.6e-4 at 300) and fall like h^4."""
    text = (EXAMPLES / "kuramoto_sivashinsky.model").read_text()
    text = text.replace("points = 128", "points = 128, dealias = off")
    m = modelc.parse(text.replace("-u*diff(u, x)", "-diff(u^2, x)/2"), cache_modules=False)
    mod = m.module
    p = mod.parameter_vector({})
    y0 = mod.initial_state(p, {})
    ts = jnp.array([0.0, 50.0])
    run = jax.jit(lambda h: integrate(mod.rhs, y0, ts, p, method="etdab4", dt0=h,
                                      split=m.split, max_steps=100_000))
    steps = (300, 1200, 1600)
    ref, expected = _numpy_ks(np.asarray(y0), steps)
    errs = []
    for n in steps:
        sol = run(50.0 / n)
        assert int(sol.status) == 0 and int(sol.steps) == n and int(sol.nfe) == n + 9
        errs.append(np.linalg.norm(np.asarray(sol.ys[-1]) - ref) / np.linalg.norm(ref))
    np.testing.assert_allclose(errs, expected, rtol=0.02)
    np.testing.assert_allclose(errs, [3.6e-4, 1.6e-6, 5.1e-7], rtol=0.05)
