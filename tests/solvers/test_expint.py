"""Exponential integrators: phi-functions against mpmath, empirical orders of the
split (ETD) and exponential Rosenbrock steppers on a stiff semilinear problem."""

import math

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest

from modelc.solvers import ETDRK4, ConstantStepController, Split, SplitRHS, integrate
from modelc.solvers.phi import phi_dense_apply, phi_diagonal

# --- phi-functions ----------------------------------------------------------------


def _phi_mp(z, k):
    mpmath.mp.dps = 40
    z = mpmath.mpmathify(z)
    return complex(mpmath.nsum(lambda j: z**j / mpmath.factorial(j + k), [0, mpmath.inf]))


@pytest.mark.parametrize("k", range(5))
def test_phi_diagonal_matches_mpmath_near_zero(k):
    """phi_k to 1e-13 (relative) for tiny to moderate, real and complex arguments."""
    zs = np.concatenate([[0.0], np.logspace(-15, 1.3, 40), -np.logspace(-15, 1.3, 40)])
    got = np.asarray(phi_diagonal(jnp.asarray(zs), k)[k])
    exact = np.array([_phi_mp(float(z), k).real for z in zs])
    assert np.max(np.abs(got - exact) / np.abs(exact)) < 1e-13
    zc = np.array([1e-12j, 0.3 + 0.4j, 0.999j, 1.001j, -4 + 3j, 7j])
    got = np.asarray(phi_diagonal(jnp.asarray(zc), k)[k])
    exact = np.array([_phi_mp(complex(z), k) for z in zc])
    assert np.max(np.abs(got - exact) / np.abs(exact)) < 1e-13


def test_phi_dense_matches_series():
    """sum_k phi_k(A) w_k by the augmented expm equals the Taylor series."""
    rng = np.random.default_rng(0)
    a = 0.5 * rng.normal(size=(6, 6))
    ws = [rng.normal(size=6) for _ in range(4)]
    ref = np.zeros(6)
    for k, w in enumerate(ws):
        term, acc = np.eye(6), np.zeros((6, 6))
        for j in range(60):
            acc += term / math.factorial(j + k)
            term = term @ a
        ref += acc @ w
    got = np.asarray(jax.jit(phi_dense_apply)(jnp.asarray(a), ws))
    assert np.max(np.abs(got - ref)) < 1e-13


# --- a stiff semilinear test problem with a known smooth solution ------------------
# f(t, y) = L(t) (y - g) + g' - 0.2 (y^2 - g^2) + 0.5 (sin(roll(y)) - sin(roll(g))) has the
# exact solution y = g(t) for y(0) = g(0), for every L: stiff, nonlinear, non-autonomous.

D = -jnp.array([1.0, 10.0, 40.0, 100.0])
MATRIX = jnp.diag(D) + 0.5 * jnp.eye(4, k=1) - 0.3 * jnp.eye(4, k=-1)
T_END = 2.0


def exact(t):
    """The solution g(t)."""
    return jnp.stack([jnp.cos(t), jnp.sin(2 * t), jnp.exp(-t), 1 / (1 + t)])


def _rest(t, y):
    g, dg = jax.jvp(exact, (t,), (jnp.ones_like(t),))
    return dg - 0.2 * (y**2 - g**2) + 0.5 * (jnp.sin(jnp.roll(y, 1)) - jnp.sin(jnp.roll(g, 1)))


_LINEAR = {"diagonal": (lambda t: D, lambda lv, v: lv * v),
           "matrix": (lambda t: MATRIX, lambda lv, v: lv @ v),
           "scalar": (lambda t: -(20.0 + 10.0 * t), lambda lv, v: lv * v),
           "mild": (lambda t: -jnp.array([0.5, 1.0, 1.5, 2.0]), lambda lv, v: lv * v)}


def problem(kind):
    """``(f, Split)`` of the test problem with the given kind of linear part."""
    lin, apply = _LINEAR[kind]

    def nonlinear(t, y, args):
        return _rest(t, y) - apply(lin(t), exact(t))

    def f(t, y, args):
        return apply(lin(t), y) + nonlinear(t, y, args)

    split_kind = "diagonal" if kind == "mild" else kind
    return f, Split(split_kind, lambda t, a: lin(t), nonlinear, constant=kind != "scalar")


PROBLEMS = {kind: problem(kind) for kind in _LINEAR}


def _order(method, kind, dt_max):
    """Slope of log(error at T_END) against log(dt) for three halving steps."""
    f, split = PROBLEMS[kind]
    dts = np.array([dt_max / 2**k for k in range(3)])
    errs = []
    for dt in dts:
        sol = integrate(f, exact(0.0), jnp.array([0.0, T_END]), None, method=method, dt0=dt,
                        controller=ConstantStepController(), split=split)
        assert int(sol.status) == 0
        errs.append(float(jnp.abs(sol.ys[-1] - exact(T_END)).max()))
    return np.polyfit(np.log(dts), np.log(errs), 1)[0], errs


# (method, kind, nominal order, largest step): errors in the asymptotic regime (in the
# very stiff regime h |L| >> 1 the ETD methods show the known stiff order reduction).
ORDER_CASES = [
    ("etd1", "diagonal", 1, 1 / 32), ("etdrk2", "diagonal", 2, 1 / 256),
    ("etdrk4", "diagonal", 4, 1 / 128), ("etdrk4b", "diagonal", 4, 1 / 128),
    ("lawson4", "diagonal", 4, 1 / 128), ("etd1", "scalar", 1, 1 / 32),
    ("etdrk4", "scalar", 4, 1 / 128),
    pytest.param("etdrk4", "matrix", 4, 1 / 128, marks=pytest.mark.slow),
    ("exprb32", "matrix", 3, 1 / 8), ("exprb43", "matrix", 4, 1 / 8),
    pytest.param("etdrk2", "scalar", 2, 1 / 256, marks=pytest.mark.slow),
    pytest.param("etdrk4b", "scalar", 4, 1 / 128, marks=pytest.mark.slow),
    pytest.param("lawson4", "scalar", 4, 1 / 64, marks=pytest.mark.slow),
]


@pytest.mark.parametrize("method,kind,order,dt_max", ORDER_CASES)
def test_exponential_order(method, kind, order, dt_max):
    """Empirical order within 0.3 of the nominal one (diagonal, dense and time-dependent
    scalar L; exprb uses only f and its Jacobian)."""
    slope, errs = _order(method, kind, dt_max)
    assert abs(slope - order) < 0.3, (slope, errs)


@pytest.mark.parametrize("method", ["exprb32", pytest.param("exprb43", marks=pytest.mark.slow)])
def test_exprb_adaptive_meets_tolerance(method):
    """Adaptive exprb reaches about the requested accuracy on the stiff problem."""
    f, _ = PROBLEMS["matrix"]
    sol = integrate(f, exact(0.0), jnp.array([0.0, T_END]), None, method=method, rtol=1e-8,
                    atol=1e-10)
    assert int(sol.status) == 0
    assert float(jnp.abs(sol.ys[-1] - exact(T_END)).max()) < 1e-6
    assert int(sol.njev) == int(sol.steps)


def test_split_steppers_backward():
    """Integrating backwards (t1 < t0) follows the exact solution back to g(0)."""
    f, split = PROBLEMS["mild"]  # a stiff decaying L would grow backwards
    sol = integrate(f, exact(1.0), jnp.array([1.0, 0.5, 0.0]), None, method="etdrk4",
                    dt0=1 / 64, split=split)
    assert float(jnp.abs(sol.ys[-1] - exact(0.0)).max()) < 1e-7


def test_split_stepper_needs_split():
    """A split stepper without a split is a clear error."""
    f, _ = PROBLEMS["diagonal"]
    with pytest.raises(ValueError, match="split"):
        integrate(f, exact(0.0), jnp.array([0.0, 1.0]), None, method="etdrk4", dt0=0.1)


def test_fourier_diagonal_transform():
    """A diagonal given in a transformed basis (FFT) matches the dense operator."""
    n = 16
    k = np.fft.fftfreq(n, 1.0 / n)
    lam = jnp.asarray(-(k**2) * 0.1, jnp.complex128)
    fwd, inv = jnp.fft.fft, jnp.fft.ifft
    dense = np.real(np.fft.ifft(np.asarray(lam)[:, None] * np.fft.fft(np.eye(n), axis=0), axis=0))
    dense = jnp.asarray(dense)
    nl = lambda t, y, a: 0.1 * jnp.sin(y)  # noqa: E731
    x = jnp.linspace(0, 2 * np.pi, n, endpoint=False)
    y0 = jnp.cos(x) + 0.3 * jnp.sin(2 * x)
    f = lambda t, y, a: dense @ y + nl(t, y, a)  # noqa: E731
    out = []
    for split in (Split("diagonal", lambda t, a: lam, nl, transform=(fwd, inv)),
                  Split("matrix", lambda t, a: dense, nl)):
        out.append(ETDRK4().step(SplitRHS(f, split), 0.0, y0, 0.1, None, None)[0])
    assert np.abs(np.asarray(out[0]) - np.asarray(out[1])).max() < 1e-12
