"""Field models through the whole pipeline: `solve`, solutions on grids, IR records."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import modelc
from modelc.api import compile_source
from modelc.passes.discretize import wavenumber
from modelc.solution import Solution

MIXED = """
domain x = [0, 2*pi], periodic, points = 16
field u = 1 + sin(x)
state m = 0
der(u) = diff(u, x, 2)
der(m) = integral(u)
observe mean = integral(u)/(2*pi)
"""


def test_solution_holds_fields_on_the_grid_and_scalar_states():
    model = modelc.parse(MIXED, cache_modules=False)
    sol = model.solve(t=(0, 1), points=5, rtol=1e-10, atol=1e-12)
    assert sol.ok, sol.message
    x = sol.grid["x"]
    assert sol["u"].shape == (5, 16) and x.shape == (16,)
    exact = 1 + np.exp(-sol.t)[:, None] * np.sin(x)[None, :]
    assert np.max(np.abs(sol["u"] - exact)) < 1e-9
    # the spatial mean feeds the ODE: dm/dt = integral(u) = 2 pi
    assert np.allclose(sol["m"], 2 * np.pi * sol.t, rtol=1e-9)
    assert np.allclose(sol["mean"], 1.0, rtol=1e-12)
    assert model.field_names == ("u",)
    assert model.resolved_values()["u"].shape == (16,)


def test_complex_field_solution_is_complex_and_conserves_mass(examples_dir):
    model = modelc.load(examples_dir / "nlse_soliton.model", cache_modules=False)
    sol = model.solve(t=(0, 1), points=3)
    assert sol.ok, sol.message
    psi = sol["psi"]
    assert np.iscomplexobj(psi) and psi.shape == (3, 256)
    assert np.allclose(sol["mass"], 2.0, rtol=1e-9)  # integral of sech^2 is 2


def test_float32_solve():
    model = modelc.parse(MIXED, cache_modules=False)
    sol = model.solve(t=(0, 1), points=3, rtol=1e-4, atol=1e-6, dtype="float32")
    assert sol.ok and sol["u"].dtype == np.float32
    exact = 1 + np.exp(-1.0) * np.sin(sol.grid["x"])
    assert np.max(np.abs(sol["u"][-1] - exact)) < 1e-4


def test_linear_operator_is_recorded_as_a_fourier_symbol(examples_dir):
    model, _ = compile_source((examples_dir / "kuramoto_sivashinsky.model").read_text())
    (op,) = model.discretization.linear
    k = wavenumber("x")
    assert op.field == "u"
    assert sympy.expand(op.symbol - (k**2 - k**4)) == 0
    assert set(op.terms) == {(-1, (2,)), (-1, (4,))}
    # u u_x is quadratic: the default dealias = pad evaluates the rhs on 3/2 x 128 points
    assert op.nonlinear != 0 and model.discretization.padded_shape == (192,)
    assert model.discretization.dealias == ()
    text = (examples_dir / "kuramoto_sivashinsky.model").read_text()
    truncated, _ = compile_source(text.replace("points = 128", "points = 128, dealias = truncate"))
    assert truncated.discretization.dealias == ("u",) and truncated.discretization.padded_shape == ()


def test_linear_operator_of_a_2d_laplacian_with_parameters():
    model, _ = compile_source("""
parameter D = 0.5
domain x = [0, 1], periodic, points = 8
domain y = [0, 1], periodic, points = 8
field u = sin(2*pi*x)
der(u) = D*laplacian(u) - u
""")
    (op,) = model.discretization.linear
    kx, ky = wavenumber("x"), wavenumber("y")
    D = sympy.Symbol("D", real=True)
    assert sympy.expand(op.symbol - (-D * kx**2 - D * ky**2 - 1)) == 0
    assert op.nonlinear == 0 and model.discretization.dealias == ()


def test_fd_linear_operator_is_recorded_without_a_symbol(examples_dir):
    model, _ = compile_source((examples_dir / "heat_1d.model").read_text())
    (op,) = model.discretization.linear
    assert op.symbol is None and op.terms == ((sympy.Symbol("D", real=True), (2,)),)


def test_generated_code_uses_transforms_and_stencils_never_a_matrix(examples_dir):
    _, spectral = compile_source((examples_dir / "gray_scott.model").read_text())
    assert "fieldops.spectral_linear(" in spectral  # L u as one diagonal in Fourier space
    _, fd = compile_source((examples_dir / "keller_segel.model").read_text())
    assert "fieldops.flux_div(" in fd and "fieldops.stencil_diff(" in fd
    for code in (spectral, fd):
        assert "jacobian" not in code and "eye(" not in code and "zeros((" not in code


def test_plot_fields_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    from modelc.plot_fields import plot_fields

    t = np.linspace(0, 1, 4)
    x = np.linspace(0, 1, 8)
    one = Solution(t=t, y=np.zeros((4, 0)), state_names=(), observables=np.zeros((4, 0)),
                   observable_names=(), fields={"u": np.ones((4, 8))}, grid={"x": x})
    two = Solution(t=t, y=np.zeros((4, 0)), state_names=(), observables=np.zeros((4, 0)),
                   observable_names=(), fields={"u": np.ones((4, 8, 8)) * 1j}, grid={"x": x, "y": x})
    assert plot_fields(one, tmp_path / "a.png").stat().st_size > 0
    assert plot_fields(two, tmp_path / "b.png").stat().st_size > 0


def test_pure_jax_solver_returns_fields_on_the_grid():
    import jax
    import jax.numpy as jnp

    f = modelc.parse(MIXED, cache_modules=False).solver(rtol=1e-8)
    out = jax.jit(f)({}, {}, jnp.linspace(0.0, 1.0, 3))
    assert out["u"].shape == (3, 16) and out["m"].shape == (3,)
    assert float(out["m"][-1]) == pytest.approx(2 * np.pi, rel=1e-7)
