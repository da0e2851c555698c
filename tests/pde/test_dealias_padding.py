"""dealias = pad (the default on spectral grids): nonlinear terms on a zero-padded grid.

The reproducer of issue 19 item 5: the NLSE bright soliton was 3.1e-6 off the
exact solution with the 2/3-rule truncation; padding keeps spectral accuracy.
The aliasing test: a quadratic product of two modes whose sum lies beyond the
grid's Nyquist mode must vanish after dealiasing (it aliases onto a resolved
mode without it).
"""

import numpy as np
import pytest

import modelc
from modelc import fieldops
from modelc.passes.discretize.dealias import nonlinear_degree, padded_points

SOLITON = """model soliton "NLSE bright soliton"
parameter a = 1.5
domain x = [-20, 20], periodic, points = 256{dealias}
field psi: complex = a*sech(a*x)
der(psi) = I*(0.5*diff(psi, x, 2) + abs(psi)^2*psi)
simulate t = [0, 3], method = dopri8, rtol = 1e-10, atol = 1e-10, points = 2
"""


def _soliton_error(dealias: str) -> float:
    m = modelc.parse(SOLITON.format(dealias=dealias))
    sol = m.solve()
    assert sol.ok
    a, t = 1.5, 3.0
    x = np.asarray(sol.grid["x"])
    exact = a / np.cosh(a * x) * np.exp(0.5j * a * a * t)  # psi = a sech(a x) e^{i a^2 t / 2}
    return float(np.max(np.abs(np.asarray(sol["psi"])[-1] - exact)))


def test_soliton_keeps_spectral_accuracy_with_the_default():
    """Default (pad): near 1e-9 at rtol 1e-10 (the 2/3 rule gave 3.1e-6)."""
    error = _soliton_error("")
    np.testing.assert_array_less(error, 3e-9)


@pytest.mark.slow
def test_soliton_truncation_stays_available():
    """``dealias = truncate`` is the old 2/3 rule: it drops resolved modes of size ~1e-6."""
    error = _soliton_error(", dealias = truncate")
    assert 1e-6 < error < 1e-5


def _product_rhs(dealias: str, n: int = 16):
    """rhs of ``der(u) = v*w`` at t = 0 with v = cos(5x), w = cos(6x) on n points (a
    product of modes 5 and 6: modes 1 and 11, and 11 > n/2 aliases onto mode 5)."""
    text = f"""model alias "aliasing"
domain x = [0, 2*pi], periodic, points = {n}{dealias}
field u = 0
field v = cos(5*x)
field w = cos(6*x)
der(u) = v*w
der(v) = 0*v
der(w) = 0*w
"""
    m = modelc.parse(text)
    p = m.module.parameter_vector({})
    y0 = m.module.initial_state(p, {})
    x = 2 * np.pi * np.arange(n) / n
    return np.asarray(m.module.rhs(0.0, y0, p))[:n], x


def test_padding_removes_the_aliased_mode():
    got, x = _product_rhs("")
    np.testing.assert_allclose(got, 0.5 * np.cos(x), atol=1e-13)  # mode 11 removed, mode 1 exact


def test_without_dealiasing_the_product_aliases():
    got, x = _product_rhs(", dealias = off")
    # cos(11 x) on 16 points is cos(5 x): the aliased mode the padded rhs removes
    np.testing.assert_allclose(got, 0.5 * np.cos(x) + 0.5 * np.cos(5 * x), atol=1e-13)


def test_truncation_filters_the_output_but_keeps_the_aliased_mode():
    """The 2/3 rule filters modes >= n/3 of the rhs; here the alias (mode 5 < 16/3)
    of the unfiltered initial data's product survives it, as it would in any code
    that filters the rhs only: padding is what removes it."""
    got, x = _product_rhs(", dealias = truncate")
    np.testing.assert_allclose(got, 0.5 * np.cos(x) + 0.5 * np.cos(5 * x), atol=1e-13)


def test_prolong_then_restrict_is_the_identity_and_interpolates():
    n, m = 16, 24
    x, xf = 2 * np.pi * np.arange(n) / n, 2 * np.pi * np.arange(m) / m
    u = np.sin(3 * x) + 0.5 * np.cos(7 * x) + 0.2 * np.cos(8 * x)  # with the Nyquist mode
    fine = np.asarray(fieldops.prolong(u, (m,)))
    np.testing.assert_allclose(fine, np.sin(3 * xf) + 0.5 * np.cos(7 * xf) + 0.2 * np.cos(8 * xf),
                               atol=1e-13)
    np.testing.assert_allclose(np.asarray(fieldops.restrict(fine, (n,))), u, atol=1e-13)


@pytest.mark.parametrize("text,degree,points", [
    ("u^2", 2, 384), ("u*diff(u, x)", 2, 384), ("abs(u)^2*u", 3, 512), ("u^3 - u", 3, 512),
    ("exp(u)", None, 512), ("3*u + 1", 1, 256)])
def test_padding_follows_the_degree_of_the_nonlinear_terms(text, degree, points):
    from modelc.spatial import Diff
    import sympy
    u, x = sympy.Symbol("u"), sympy.Symbol("x", real=True)
    expr = sympy.sympify(text, locals={"u": u, "x": x, "diff": lambda e, ax: Diff(e, ax, 1)})
    assert nonlinear_degree(expr, {"u"}) == degree
    assert padded_points(256, degree) == points


def test_dealias_option_words():
    """`on` (the old spelling) means pad; `method = spectral` beside it still parses; an
    unknown word names the choices."""
    from modelc.api import compile_source
    from modelc.errors import ModelError

    text = ("domain x = [0, 2*pi], periodic, points = 16, method = spectral, dealias = {}\n"
            "field u = sin(x)\nder(u) = -u*diff(u, x)\n")
    model, _ = compile_source(text.format("on"))
    assert model.discretization.padded_shape == (24,)
    model, _ = compile_source(text.format("truncate"))
    assert model.discretization.padded_shape == () and model.discretization.dealias == ("u",)
    with pytest.raises(ModelError, match="pad | truncate | off"):
        compile_source(text.format("maybe"))
