"""Numerically safe forms: each rewrite keeps the value and removes the 0/0 or cancellation."""

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest
import sympy
from sympy.codegen.cfunctions import expm1, hypot, log1p

import modelc
from modelc import runtime
from modelc.passes.safe_forms import safe_forms
from modelc.special import exprel, exprel_derivative

x, y, V = sympy.symbols("x y V", real=True)

REWRITES = [
    (x / (sympy.exp(x) - 1), exprel),
    ((sympy.exp(2 * x) - 1) / (3 * x), exprel),
    (sympy.Float(0.01) * (V + 55) / (1 - sympy.exp(-(V + 55) / 10)), exprel),
    (3 * sympy.exp(x) - 3 + y, expm1),
    (x / (sympy.exp(x ** 2) - 1), expm1),
    (sympy.log(1 + x * y), log1p),
    (sympy.sqrt(x ** 2 + 4 * y ** 2), hypot),
]


@pytest.mark.parametrize("expr, function", REWRITES)
def test_rewrite_keeps_the_value(expr, function):
    safe, used = safe_forms(expr)
    assert safe.has(function) and sum(used.values()) >= 1
    rng = np.random.default_rng(0)
    for _ in range(5):
        point = {s: sympy.Float(rng.uniform(0.2, 3.0)) for s in expr.free_symbols}
        exact, rewritten = expr.evalf(30, subs=point), safe.evalf(30, subs=point)
        # decimals are read as the exact fractions they denote: equal to about 1e-17
        assert abs(rewritten - exact) <= 1e-15 * abs(exact)


def test_singular_ratio_is_not_rewritten():
    """x/(exp(x^2) - 1) really is singular at 0: no exprel, only expm1."""
    safe, _ = safe_forms(x / (sympy.exp(x ** 2) - 1))
    assert not safe.has(exprel)


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_runtime_exprel_matches_its_integral(n):
    points = [-40.0, -3.0, -1.0, -0.5, -1e-9, 0.0, 1e-12, 0.3, 0.999, 1.0, 2.5, 20.0]
    values = np.asarray(runtime.exprel(jnp.asarray(points), n))
    with mpmath.workdps(30):
        exact = [float(mpmath.quad(lambda s: s ** n * mpmath.exp(s * p), [0, 1])) for p in points]
    np.testing.assert_allclose(values, exact, rtol=4e-15)


def test_exprel_derivatives_are_the_family():
    assert exprel(x).diff(x) == exprel_derivative(1, x)
    assert exprel(x).diff(x, 2) == exprel_derivative(2, x)
    assert exprel(0) == 1 and exprel_derivative(2, 0) == sympy.Rational(1, 3)
    grad = jax.grad(lambda z: runtime.exprel(z))
    np.testing.assert_allclose([grad(0.0), grad(2.0)], [0.5, float(runtime.exprel(2.0, 1))], rtol=1e-14)


HH_RATE = """
model rate "a Hodgkin-Huxley rate at its removable singularity"
state V = -55, r = 0
let an = 0.01*(V + 55)/(1 - exp(-(V + 55)/10))
der(V) = 0
der(r) = an
"""


@pytest.mark.parametrize("method", ["rk4", pytest.param("tsit5", marks=pytest.mark.slow),
                                    pytest.param("rodas5", marks=pytest.mark.slow)])
def test_rate_at_its_removable_singularity_is_the_limit(method):
    """0.01*(V + 55)/(1 - exp(-(V + 55)/10)) -> 0.1 at V = -55, on every path: r = 0.1 t."""
    m = modelc.parse(HH_RATE)
    assert any("exprel" in note for note in m.ir.safe_forms)
    ts = jnp.linspace(0.0, 1.0, 3)
    options = {"dt0": 0.5} if method == "rk4" else {}
    np.testing.assert_allclose(m.solver(method=method, **options)({}, {}, ts)["r"], 0.1 * ts,
                               rtol=1e-12, atol=1e-15)
    sol = m.solve(t=(0, 1), points=3, method=method, **options)
    np.testing.assert_allclose(sol["r"], 0.1 * ts, rtol=1e-12, atol=1e-15)


def test_float32_accuracy_near_the_singularity():
    """In float32, x/(exp(x) - 1) as written loses every digit near 0; the safe form keeps them."""
    text = "state x = 1, r = 0\nder(x) = 0\nder(r) = x/(exp(x) - 1)\n"
    m = modelc.parse(text)
    xs = np.asarray([1e-7, -3e-6, 2e-5, 1e-3], dtype=np.float32)
    sols = [m.solve(t=(0, 1), points=2, y0={"x": v}, method="rk4", dt0=1.0, dtype="float32")
            for v in xs]
    assert all(s["r"].dtype == np.float32 for s in sols)
    got = np.array([s["r"][-1] for s in sols])   # r(1) = x/(e^x - 1)
    exact = np.array([float(v / mpmath.expm1(v)) for v in np.asarray(xs, dtype=np.float64)])
    np.testing.assert_allclose(got, exact, rtol=2e-7)
    naive = np.asarray(xs) / (np.exp(np.asarray(xs)) - np.float32(1))
    assert np.max(np.abs(naive - exact) / exact) > 1e-2   # the unsafe form really is wrong


@pytest.mark.slow
def test_language_functions_parse_and_differentiate():
    text = ("parameter a = 0.5\nstate u = 0, w = 2\n"
            "der(u) = -a*u + exprel(u) + expm1(-u) + log1p(w*1e-3) - hypot(u, w)/10\n"
            "der(w) = -w\n")
    m = modelc.parse(text)
    sol = m.solve(t=(0, 1), method="rodas5", rtol=1e-10, atol=1e-12)
    ref = m.solve(t=(0, 1), method="tsit5", rtol=1e-10, atol=1e-12)
    assert sol.status == 0
    np.testing.assert_allclose(sol["u"], ref["u"], rtol=1e-7, atol=1e-10)


def test_show_lists_the_rewrites():
    from modelc.api import compile_source
    from modelc.show import describe

    model, _ = compile_source(HH_RATE)
    assert "an: N/(exp(g) - 1) -> exprel(g)" in describe(model)
