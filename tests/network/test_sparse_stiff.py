"""Sparse stiff solves (issue 16 item 3): a Krylov solve on the structured Jacobian gives the
dense LU's solution, and no dense n x n array appears in the traced program."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from network_models import mass_action_text, network_text

import modelc
from modelc.solvers import implicit, sparse
from modelc.solvers.sparse import SparseMatrix, SparsePattern, factor_sparse, solve_sparse


def _final(text, method, sparse_from, monkeypatch, rtol=1e-8):
    monkeypatch.setattr(implicit, "SPARSE_MIN_N", sparse_from)
    model = modelc.parse(text, "sparse.model")
    sol = model.solve(t=(0.0, 5.0), method=method, rtol=rtol, atol=1e-12, points=3)
    assert int(sol.status) == 0
    names = model.module.STATE_NAMES
    return np.array([float(sol[name][-1]) for name in names]), model


@pytest.mark.parametrize("method", ["rodas5", pytest.param("kvaerno5", marks=pytest.mark.slow)])
def test_sparse_solve_equals_dense(method, monkeypatch):
    text = network_text(12, 30, seed=5)
    dense, _ = _final(text, method, 10**9, monkeypatch)
    sparse, _ = _final(text, method, 10, monkeypatch)
    np.testing.assert_allclose(sparse, dense, rtol=1e-7, atol=1e-12)


def test_no_dense_jacobian_when_sparse(monkeypatch, traced_shapes):
    n = 40
    monkeypatch.setattr(implicit, "SPARSE_MIN_N", 10)
    model = modelc.parse(mass_action_text(n), "nodense.model")
    solve = model.solver(method="rodas5", rtol=1e-6, atol=1e-9)
    ts = jnp.linspace(0.0, 1.0, 3)
    shapes = traced_shapes(solve, {}, {}, ts)
    assert (n, n) not in shapes
    monkeypatch.setattr(implicit, "SPARSE_MIN_N", 10**9)   # the dense path does form it
    model = modelc.parse(mass_action_text(n), "nodense.model")
    solve = model.solver(method="rodas5", rtol=1e-6, atol=1e-9)
    assert (n, n) in traced_shapes(solve, {}, {}, ts)


@pytest.mark.parametrize("krylov", ["bicgstab", "gmres"])
def test_krylov_solve_matches_numpy(krylov, monkeypatch):
    monkeypatch.setattr(sparse, "KRYLOV_METHOD", krylov)
    rng = np.random.default_rng(0)
    n = 60
    rows = np.concatenate([np.arange(n), rng.integers(0, n, 200)])
    cols = np.concatenate([np.arange(n), rng.integers(0, n, 200)])
    keys = sorted(set(zip(rows.tolist(), cols.tolist())))
    rows, cols = np.array([r for r, _ in keys]), np.array([c for _, c in keys])
    pattern = SparsePattern(rows, cols, n)
    values = jnp.asarray(rng.normal(size=len(keys)))
    b = jnp.asarray(rng.normal(size=n))
    x = jax.jit(lambda v, b: solve_sparse(factor_sparse(SparseMatrix(v, pattern), 25.0), b))(values, b)
    w = 25.0 * np.eye(n) - np.asarray(pattern.dense(values))
    np.testing.assert_allclose(x, np.linalg.solve(w, b), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("krylov", ["bicgstab", "gmres"])
def test_krylov_failure_is_nan(krylov, monkeypatch):
    monkeypatch.setattr(sparse, "KRYLOV_METHOD", krylov)
    pattern = SparsePattern([0, 1], [1, 0], 2)   # J = 0 and 1/(h gamma) = 0: W = 0, singular
    x = jax.jit(lambda v, b: solve_sparse(factor_sparse(SparseMatrix(v, pattern), 0.0), b))(
        jnp.asarray([0.0, 0.0]), jnp.asarray([1.0, 2.0]))
    assert not np.isfinite(np.asarray(x)).any()


@pytest.mark.slow
def test_thousand_species_rodas5_without_dense_jacobian(traced_shapes):
    n = 1000
    model = modelc.parse(mass_action_text(n), "net1000.model")
    assert model.jacobian.pattern.n == n
    solve = model.solver(method="rodas5", rtol=1e-6, atol=1e-9)
    ts = jnp.linspace(0.0, 10.0, 3)
    assert (n, n) not in traced_shapes(solve, {}, {}, ts)
    sol = model.solve(t=(0.0, 10.0), method="rodas5", rtol=1e-6, atol=1e-9, points=3)
    assert int(sol.status) == 0
    assert np.isfinite([float(sol[f"S{i}"][-1]) for i in range(n)]).all()


def test_krylov_rodas5_rolls_its_stages_by_default(monkeypatch, primitive_count):
    """With an iterative (Krylov) solve of W, the default rolls Rodas5's 8 stages: one solve in
    the program instead of 8 (the compile time of issue 16), the unrolled results to rounding."""
    from modelc.solvers import integrate
    from modelc.solvers.rosenbrock import Rodas5

    monkeypatch.setattr(implicit, "SPARSE_MIN_N", 10)
    model = modelc.parse(mass_action_text(40), "roll.model")
    p = model.module.parameter_vector({})
    y0 = model.module.initial_state(p, {})
    ts = jnp.linspace(0.0, 2.0, 3)

    def run(roll):
        return jax.jit(lambda: integrate(model.module.rhs, y0, ts, p, method=Rodas5(roll=roll),
                                         rtol=1e-8, atol=1e-12, jac=model.jacobian))

    whiles = {roll: primitive_count(run(roll), "while") for roll in (None, True, False)}
    assert whiles[None] == whiles[True]
    assert whiles[False] - whiles[True] >= 7 - 1   # 8 solves unrolled; 1 solve + the stage loop
    rolled, unrolled = run(None)(), run(False)()
    assert int(rolled.status) == int(unrolled.status) == 0
    assert int(rolled.steps) == int(unrolled.steps)
    np.testing.assert_allclose(rolled.ys, unrolled.ys, rtol=1e-9, atol=1e-13)
