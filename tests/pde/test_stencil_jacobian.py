"""Sparse Jacobians of finite-difference grid models (issue 16 item 3, modelc.solvers.colouring):
the compressed Jacobian equals ``jax.jacfwd``'s, non-local models keep the dense one, and a
stiff solve on the sparse path agrees with the dense path and with an explicit reference."""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import modelc
from modelc.solvers import implicit
from modelc.solvers.colouring import StencilJacobian, StencilPattern, axis_colours

GRAY_SCOTT = """
parameter Du = 2e-5, Dv = 1e-5, F = 0.04, k = 0.06
domain x = [0, 1], periodic, method = fd, points = {nx}
domain y = [0, 1], periodic, method = fd, points = {ny}
field u = 1 - 0.5*exp(-20*((x - 0.5)^2 + (y - 0.5)^2))
field v = 0.25*exp(-20*((x - 0.5)^2 + (y - 0.5)^2))
der(u) = Du*laplacian(u) - u*v^2 + F*(1 - u)
der(v) = Dv*laplacian(v) + u*v^2 - (F + k)*v
"""

BOUNDED_ORDER4 = """
parameter D = 0.1, a = 2
domain x = [0, 1], points = 17, order = 4
field u = sin(pi*x) + x
boundary u = 0 at x = 0
boundary diff(u, x) = 1 at x = 1
der(u) = D*diff(u, x, 2) - a*u^3 + diff(u, x)
"""

NONLOCAL = """
parameter D = 0.1
domain x = [0, 1], points = 30
field u = sin(pi*x)
boundary u = 0 at x = 0
boundary u = 0 at x = 1
der(u) = D*diff(u, x, 2) - u*integral(u^2)
"""


@pytest.mark.parametrize("points,radius", list(itertools.product([1, 2, 3, 5, 7, 8, 10, 11, 16, 17], [1, 2, 4])))
def test_axis_colours_separate_every_pair_within_twice_the_radius(points, radius):
    colours, count = axis_colours(points, radius)
    assert colours.shape == (points,) and colours.max() < count
    for i, j in itertools.combinations(range(points), 2):
        if min(abs(i - j), points - abs(i - j)) <= 2 * radius:
            assert colours[i] != colours[j], (i, j)


@pytest.mark.parametrize("shape,radius", [((5, 7), 1), ((9,), 4), ((6, 5, 5), 2)])
def test_pattern_rows_never_meet_one_colour_twice(shape, radius):
    pattern = StencilPattern(shape, 2, radius)
    cols, colours = (np.asarray(a) for a in pattern.columns())
    assert cols.shape == colours.shape == (pattern.n, pattern.width)
    for row_cols, row_colours in zip(cols, colours):
        assert len(set(row_cols.tolist())) == pattern.width     # no column twice
        assert len(set(row_colours.tolist())) == pattern.width  # no colour twice
    np.testing.assert_array_equal(np.asarray(pattern.column_colours())[cols], colours)
    assert colours.max() < pattern.count


def _probe(model):
    jac = model.jacobian
    assert isinstance(jac, StencilJacobian)
    t, y, p = jac.probe()
    y = y * (1.0 + 0.05 * jnp.sin(3.0 * jnp.arange(y.size)))
    return jac, t, y, p


@pytest.mark.parametrize("text,radius", [(GRAY_SCOTT.format(nx=6, ny=5), 1), (BOUNDED_ORDER4, 4)])
def test_compressed_jacobian_equals_jacfwd(text, radius):
    model = modelc.parse(text, "stencil.model", simplify=False)
    jac, t, y, p = _probe(model)
    found = jac.resolve()
    assert found is not None
    assert jac.radius == radius
    exact = jax.jacfwd(model.module.rhs, argnums=1)(t, y, p)
    np.testing.assert_allclose(found(t, y, p), exact, rtol=1e-12, atol=1e-12 * float(jnp.abs(exact).max()))
    np.testing.assert_allclose(jac(t, y, p), exact, rtol=1e-12, atol=1e-12 * float(jnp.abs(exact).max()))


def test_nonlocal_coupling_keeps_the_dense_jacobian():
    model = modelc.parse(NONLOCAL, "nonlocal.model", simplify=False)
    jac, t, y, p = _probe(model)
    assert jac.resolve() is None                      # integral(u^2) couples every point
    np.testing.assert_allclose(jac(t, y, p), jax.jacfwd(model.module.rhs, argnums=1)(t, y, p),
                               rtol=1e-13, atol=1e-13)


def test_spectral_and_scalar_models_have_no_stencil_jacobian():
    spectral = modelc.parse(GRAY_SCOTT.format(nx=8, ny=8).replace(", method = fd", ""), "spec.model")
    assert spectral.jacobian is None
    assert modelc.load("examples/lorenz.model").jacobian is not None   # its symbolic one


def test_rodas5_on_a_grid_forms_no_dense_matrix(traced_shapes):
    model = modelc.parse(GRAY_SCOTT.format(nx=12, ny=10), "nodense_fd.model", simplify=False)
    n = 2 * 12 * 10
    assert n >= implicit.SPARSE_MIN_N
    solve = model.solver(method="rodas5", rtol=1e-6, atol=1e-9)
    shapes = traced_shapes(solve, {}, {}, jnp.linspace(0.0, 1.0, 3))
    assert (n, n) not in shapes


@pytest.mark.slow
@pytest.mark.parametrize("method", ["rodas5", "kvaerno5"])
def test_sparse_and_dense_paths_agree_with_an_explicit_reference(method, monkeypatch):
    text = GRAY_SCOTT.format(nx=12, ny=12)
    final = {}
    for path, smallest in (("dense", 10**9), ("sparse", 10)):
        monkeypatch.setattr(implicit, "SPARSE_MIN_N", smallest)
        model = modelc.parse(text + f"# {path}\n", f"gs_{path}.model")   # its own stored program
        sol = model.solve(t=(0.0, 200.0), method=method, rtol=1e-8, atol=1e-10, points=2)
        assert int(sol.status) == 0
        final[path] = np.asarray(sol["u"][-1])
    reference = modelc.parse(text, "gs_ref.model").solve(
        t=(0.0, 200.0), method="tsit5", rtol=1e-11, atol=1e-13, points=2)
    np.testing.assert_allclose(final["sparse"], final["dense"], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(final["sparse"], np.asarray(reference["u"][-1]), rtol=0, atol=1e-6)
