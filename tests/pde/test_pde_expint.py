"""Exponential integrators on spectral grids: the Fourier split ``rhs = L u + N``
of field models (L diagonal in Fourier space) and the ETD steppers on it."""

import jax.numpy as jnp
import numpy as np
import pytest

import modelc
from modelc.solvers.phi import make_operator


def _load(path):
    return modelc.load(path, cache_modules=False)


def _residual(m, seed=0):
    """max |L u + N(u) - rhs(u)| at a random state, relative to max |rhs|."""
    mod, split = m.module, m.split
    p = mod.parameter_vector({})
    y = jnp.asarray(np.random.default_rng(seed).standard_normal(mod.STATE_SIZE))
    op = make_operator(split.kind, split.linear(0.0, p), split.transform)
    f = mod.rhs(0.0, y, p)
    total = op.matvec(y) + split.nonlinear(0.0, y, p)
    assert total.dtype == f.dtype
    return float(jnp.max(jnp.abs(total - f)) / jnp.max(jnp.abs(f)))


@pytest.mark.parametrize("name", ["kuramoto_sivashinsky", "nlse_soliton", "heat_2d", "burgers"])
def test_fourier_split_reproduces_the_rhs(examples_dir, name):
    """L u + N(u) through the FFT pair equals the generated rhs (real, complex, 2-D, dealiased)."""
    m = _load(examples_dir / f"{name}.model")
    assert m.ir.split.kind == "fourier"
    assert m.split.kind == "diagonal" and m.split.transform is not None
    for seed in range(3):
        assert _residual(m, seed) < 1e-12


def test_transform_pair_round_trips(examples_dir):
    """inverse(forward(y)) == y for a real and a complex field."""
    for name in ("kuramoto_sivashinsky", "nlse_soliton"):
        mod = _load(examples_dir / f"{name}.model").module
        y = jnp.asarray(np.random.default_rng(1).standard_normal(mod.STATE_SIZE))
        assert float(jnp.max(jnp.abs(mod.inverse(mod.forward(y)) - y))) < 1e-14


def test_no_fourier_split_for_fd_grids_or_extra_states(examples_dir):
    """Finite differences or scalar ODE states beside the fields: a matrix-free split
    (kinds "banded"/"operator", tests/pde/test_pde_banded.py), not a Fourier one."""
    assert _load(examples_dir / "heat_1d.model").ir.split.kind == "banded"
    text = ("model mixed\ndomain x = [0, 2*pi], periodic, points = 16\nfield u = sin(x)\n"
            "state a = 1\nder(u) = diff(u, x, 2)\nder(a) = -a\n")
    m = modelc.parse(text, cache_modules=False)
    assert m.ir.split.kind == "operator" and m.split.kind == "operator"
    text = text.replace("der(u) = diff(u, x, 2)", "der(u) = u*diff(u, x)")
    m = modelc.parse(text, cache_modules=False)
    assert m.ir.split is None and m.split is None
    with pytest.raises(Exception, match="no linear part"):
        m.solve(t=(0, 1), method="etdrk4", dt0=0.1)


def test_split_false_leaves_no_split(examples_dir):
    """``split=False`` turns the Fourier split off too."""
    assert modelc.load(examples_dir / "burgers.model", cache_modules=False, split=False).split is None


def test_etd1_is_exact_on_periodic_heat(examples_dir):
    """heat_2d (D = 0.1): exponential Euler with one large step reproduces the mode decay
    sin(x)cos(2y) e^{-5Dt} + 0.5 cos(3x) e^{-9Dt} (no nonlinear part, so ETD is exact)."""
    m = _load(examples_dir / "heat_2d.model")
    t1 = 5.0
    sol = m.solve(t=(0, t1), saveat=np.array([t1]), method="etd1", dt0=2.5)
    x, y = np.meshgrid(sol.grid["x"], sol.grid["y"], indexing="ij")
    exact = np.sin(x) * np.cos(2 * y) * np.exp(-0.5 * t1) + 0.5 * np.cos(3 * x) * np.exp(-0.9 * t1)
    assert sol.stats["steps"] == 2
    assert np.max(np.abs(sol.fields["u"][-1] - exact)) < 1e-12


def test_etdrk4_order_on_burgers(examples_dir):
    """ETDRK4 on viscous Burgers (64 modes, t = 0..1) against a tight dopri8
    reference: the empirical order is 4 within 0.3 for h = 0.2, 0.1, 0.05."""
    m = _load(examples_dir / "burgers.model")
    at = np.array([1.0])
    ref = m.solve(t=(0, 1), saveat=at, method="dopri8", rtol=1e-13, atol=1e-13).fields["u"][-1]
    errors = [np.max(np.abs(m.solve(t=(0, 1), saveat=at, method="etdrk4", dt0=h).fields["u"][-1] - ref))
              for h in (0.2, 0.1, 0.05)]
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(np.abs(orders - 4) < 0.3), (errors, orders)


@pytest.mark.parametrize("name,field", [("kuramoto_sivashinsky", "u"), ("nlse_soliton", "psi")])
def test_solver_function_runs_etdrk4(examples_dir, name, field):
    """``m.solver(method="etdrk4", dt0=...)`` agrees with ``m.solve`` (same fixed steps)."""
    m = _load(examples_dir / f"{name}.model")
    ts = np.array([0.0, 0.5, 1.0])
    sol = m.solve(t=(0, 1), saveat=ts[1:], method="etdrk4", dt0=0.05)
    states = m.solver(method="etdrk4", dt0=0.05)({}, {}, jnp.asarray(ts))
    assert sol.ok
    assert np.max(np.abs(np.asarray(states[field])[1:] - sol.fields[field])) < 1e-12
