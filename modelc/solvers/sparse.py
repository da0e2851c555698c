"""Sparse Jacobians and a matrix-free linear solve for the stiff steppers (issue 16).

A generated module of a large reaction network (`modelc.codegen.network`)
gives its Jacobian as values at a fixed pattern (``jacobian_values`` at
``JACOBIAN_ROWS``/``JACOBIAN_COLS``). `SparseJacobianFunction` wraps it: called,
it returns the dense matrix, as every Jacobian does; a stiff stepper that
declares ``sparse_jacobian`` (Rosenbrock, ESDIRK) gets, through
`modelc.solvers.implicit.make_jacobian`, the `SparseMatrix` instead, for
systems of at least `SPARSE_MIN_N` unknowns. No dense ``n x n`` array is then
formed: `factor_sparse` keeps ``W = I/(h gamma) - J`` as its nonzeros and
`solve_sparse` solves ``W x = b`` by restarted GMRES (JAX's
``jax.scipy.sparse.linalg.gmres``, differentiable through
``lax.custom_linear_solve``) with a Jacobi preconditioner. A solve that does
not reach its tolerance returns NaN, so the step is rejected and retried
with a smaller ``h`` (where ``W`` is closer to ``I/(h gamma)``), exactly as a
singular dense ``W`` is handled.
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.sparse.linalg import gmres

__all__ = ["SparsePattern", "SparseMatrix", "SparseW", "SparseJacobianFunction", "factor_sparse",
           "solve_sparse", "SPARSE_MIN_N", "GMRES_RESTART", "GMRES_RESTARTS"]

SPARSE_MIN_N = 200
"""Systems with at least this many unknowns (and a sparse Jacobian) solve ``W x = b``
by GMRES; smaller ones by the dense LU (measured, see docs/benchmarks.md)."""
GMRES_RESTART = 30
"""Krylov dimension between restarts."""
GMRES_RESTARTS = 20
"""Most restarts before a solve counts as failed (the step is then rejected)."""


class SparsePattern:
    """The nonzero positions of an ``n x n`` matrix: ``rows``, ``cols`` (NumPy, static)
    and the position of each diagonal entry in them (``-1`` where structurally zero).
    Compared and hashed by identity (it is static data of traced functions)."""

    def __init__(self, rows, cols, n: int):
        self.rows = np.asarray(rows, dtype=np.int32)
        self.cols = np.asarray(cols, dtype=np.int32)
        self.n = int(n)
        diagonal = np.full(self.n, -1, dtype=np.int32)
        on = self.rows == self.cols
        diagonal[self.rows[on]] = np.nonzero(on)[0]
        self.diagonal = diagonal

    def matvec(self, values, x):
        """``A x`` for the matrix with ``values`` at this pattern."""
        return jax.ops.segment_sum(values * x[self.cols], self.rows, num_segments=self.n)

    def diag(self, values):
        """The diagonal of the matrix with ``values`` at this pattern."""
        padded = jnp.concatenate([values, jnp.zeros((1,), values.dtype)])
        return padded[self.diagonal]   # -1: the appended zero

    def dense(self, values):
        """The dense matrix (for tests and small systems)."""
        return jnp.zeros((self.n, self.n), values.dtype).at[self.rows, self.cols].add(values)


@jax.tree_util.register_pytree_node_class
class SparseMatrix:
    """A square matrix as ``values`` (traced) at a static `SparsePattern`."""

    def __init__(self, values, pattern: SparsePattern):
        self.values = values
        self.pattern = pattern

    def tree_flatten(self):
        """Leaves: the values; static: the pattern."""
        return (self.values,), self.pattern

    @classmethod
    def tree_unflatten(cls, pattern, leaves):
        """Rebuild from :meth:`tree_flatten`."""
        return cls(leaves[0], pattern)

    @property
    def shape(self):
        """``(n, n)``."""
        return (self.pattern.n, self.pattern.n)


@jax.tree_util.register_pytree_node_class
class SparseW:
    """``W = I * inv_hg - J`` for a `SparseMatrix` ``J`` (what `factor_sparse` returns)."""

    def __init__(self, jacobian: SparseMatrix, inv_hg):
        self.jacobian = jacobian
        self.inv_hg = inv_hg

    def tree_flatten(self):
        """Leaves: the Jacobian and ``inv_hg``."""
        return (self.jacobian, self.inv_hg), None

    @classmethod
    def tree_unflatten(cls, _, leaves):
        """Rebuild from :meth:`tree_flatten`."""
        return cls(*leaves)


class SparseJacobianFunction:
    """A Jacobian ``jac(t, y, args) -> (n, n)`` that also has a sparse form
    (``sparse(t, y, args) -> SparseMatrix``), from a generated module's ``jacobian``,
    ``jacobian_values`` and pattern."""

    def __init__(self, dense: Callable, values: Callable, rows, cols, n: int):
        self.dense = dense
        self.values = values
        self.pattern = SparsePattern(rows, cols, n)

    def __call__(self, t, y, args):
        return self.dense(t, y, args)

    def sparse(self, t, y, args, dtype) -> SparseMatrix:
        """The Jacobian as its nonzeros, in ``dtype``."""
        return SparseMatrix(jnp.asarray(self.values(t, y, args), dtype), self.pattern)


def factor_sparse(jacobian: SparseMatrix, inv_hg) -> SparseW:
    """``W = I/(h gamma) - J`` kept sparse (nothing is factorised: see `solve_sparse`)."""
    return SparseW(jacobian, jnp.asarray(inv_hg, jacobian.values.dtype))


def solve_sparse(w: SparseW, b):
    """Solve ``W x = b`` by Jacobi-preconditioned restarted GMRES; NaN if it does not converge."""
    pattern, values = w.jacobian.pattern, w.jacobian.values
    inv_hg = w.inv_hg

    def matvec(x):
        return inv_hg * x - pattern.matvec(values, x)

    diag = inv_hg - pattern.diag(values)
    diag = jnp.where(diag == 0, 1.0, diag)
    eps = jnp.finfo(b.dtype).eps
    tol = max(1e-10, 100.0 * float(eps))
    x, _ = gmres(matvec, b, M=lambda r: r / diag, tol=tol, atol=0.0, restart=GMRES_RESTART,
                 maxiter=GMRES_RESTARTS, solve_method="incremental")
    residual = jnp.linalg.norm(matvec(x) - b)
    converged = residual <= 1e3 * tol * jnp.linalg.norm(b)
    return jnp.where(converged, x, jnp.nan)
