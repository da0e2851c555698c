"""Sparse Jacobians and a matrix-free linear solve for the stiff steppers (issue 16).

A generated module of a large reaction network (`modelc.codegen.network`)
gives its Jacobian as values at a fixed pattern (``jacobian_values`` at
``JACOBIAN_ROWS``/``JACOBIAN_COLS``). `SparseJacobianFunction` wraps it: called,
it returns the dense matrix, as every Jacobian does; a stiff stepper that
declares ``sparse_jacobian`` (Rosenbrock, ESDIRK) gets, through
`modelc.solvers.implicit.make_jacobian`, the `SparseMatrix` instead, for
systems of at least `SPARSE_MIN_N` unknowns. No dense ``n x n`` array is then
formed: `factor_sparse` keeps ``W = I/(h gamma) - J`` as its nonzeros and
`solve_sparse` solves the Jacobi-scaled system ``D^-1 W x = D^-1 b`` (``D`` the
diagonal of ``W``) by BiCGSTAB (``jax.scipy.sparse.linalg.bicgstab``) or restarted
GMRES (`gmres`), chosen by `KRYLOV_METHOD`; both are differentiable through
``lax.custom_linear_solve``. Every stage of a Rosenbrock step inlines the solve, so
its program size matters: ``jax.scipy.sparse.linalg.gmres`` (and LAPACK's QR in
a hand-written GMRES) took several times longer to compile than BiCGSTAB. A solve that does
not reach its tolerance returns NaN, so the step is rejected and retried
with a smaller ``h`` (where ``W`` is closer to ``I/(h gamma)``), exactly as a
singular dense ``W`` is handled.
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.scipy.sparse.linalg import bicgstab

__all__ = ["SparsePattern", "SparseMatrix", "SparseW", "SparseJacobianFunction", "factor_sparse",
           "solve_sparse", "gmres", "SPARSE_MIN_N", "GMRES_RESTART", "GMRES_RESTARTS"]

SPARSE_MIN_N = 50
"""Systems with at least this many unknowns (and a sparse Jacobian) solve ``W x = b``
by a Krylov method; smaller ones by the dense LU (measured, see docs/benchmarks.md:
at 50 species BiCGSTAB compiles as fast as the LU path and runs faster)."""
GMRES_RESTART = 30
"""Krylov dimension between restarts."""
GMRES_RESTARTS = 20
"""Most restarts before a solve counts as failed (the step is then rejected)."""
KRYLOV_METHOD = "bicgstab"
"""``"bicgstab"`` (``jax.scipy.sparse.linalg.bicgstab``, default: it stops as soon as it
converges, and its program is small) or ``"gmres"`` (`gmres`: 30 Arnoldi steps per cycle
whatever the residual, about twice the compile time and 7-20x the run time of BiCGSTAB on
the networks of benchmarks/network_thresholds.py)."""
BICGSTAB_MAXITER = 600



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


def gmres(matvec: Callable, b, tol: float, restart: int = GMRES_RESTART, restarts: int = GMRES_RESTARTS):
    """``x`` with ``|matvec(x) - b| <= tol |b|`` (if reached) by restarted GMRES.

    A small program on purpose (one matvec inside one ``fori_loop`` of Arnoldi steps
    with classical Gram–Schmidt done twice, one small QR least-squares solve, all in a
    ``while_loop`` over restarts): every stage of a stiff step inlines it.
    A breakdown (the Krylov space stops growing: the solution is in it) leaves zero
    columns, whose unknowns the least-squares solve sets to zero.
    """
    n, dtype = b.shape[0], b.dtype
    m = min(restart, n)
    bnorm = jnp.linalg.norm(b)

    def safe(v):
        return jnp.where(v > 0, v, 1.0)

    def cycle(x):
        r = b - matvec(x)
        beta = jnp.linalg.norm(r)
        basis = jnp.zeros((m + 1, n), dtype).at[0].set(r / safe(beta))
        hess = jnp.zeros((m + 1, m), dtype)

        def arnoldi(k, carry):
            basis, hess = carry
            w = matvec(basis[k])
            h = basis @ w
            w = w - h @ basis
            h2 = basis @ w
            w, h = w - h2 @ basis, h + h2
            norm = jnp.linalg.norm(w)
            basis = basis.at[k + 1].set(w / safe(norm))
            return basis, hess.at[:, k].set(h.at[k + 1].set(norm))

        basis, hess = _loop(m, arnoldi, (basis, hess))
        return x + _least_squares(hess, beta) @ basis[:m]

    def cond(carry):
        k, x = carry
        return (k < restarts) & (jnp.linalg.norm(matvec(x) - b) > tol * bnorm)

    def body(carry):
        k, x = carry
        return k + 1, cycle(x)

    return lax.while_loop(cond, body, (0, jnp.zeros_like(b)))[1]


def _loop(count: int, body: Callable, carry):
    """``body(k, carry)`` for ``k < count`` as a ``while_loop`` (XLA compiles it faster than
    the ``scan`` of a ``fori_loop`` with a static trip count)."""
    def step(state):
        k, c = state
        return k + 1, body(k, c)

    return lax.while_loop(lambda state: state[0] < count, step, (0, carry))[1]


def _least_squares(hess, beta):
    """``argmin |beta e1 - H y|`` for the ``(m + 1, m)`` Hessenberg ``H``: Givens rotations
    and back substitution in ``fori_loop``s (LAPACK's QR costs seconds to compile); a zero
    pivot (a breakdown) gives a zero unknown."""
    m, dtype = hess.shape[1], hess.dtype
    tiny = jnp.finfo(dtype).tiny * 1e10

    def rotate(k, carry):
        r, g = carry
        a, b = r[k, k], r[k + 1, k]
        norm = jnp.hypot(a, b)
        c, s = jnp.where(norm > 0, a / jnp.where(norm > 0, norm, 1.0), 1.0), b / jnp.where(norm > 0, norm, 1.0)
        rk, rk1, gk, gk1 = r[k], r[k + 1], g[k], g[k + 1]
        r = r.at[k].set(c * rk + s * rk1).at[k + 1].set(c * rk1 - s * rk)
        return r, g.at[k].set(c * gk + s * gk1).at[k + 1].set(c * gk1 - s * gk)

    g0 = jnp.zeros((m + 1,), dtype).at[0].set(beta)
    r, g = _loop(m, rotate, (hess, g0))

    def back(j, y):
        i = m - 1 - j
        pivot = r[i, i]
        value = (g[i] - r[i, :m] @ y) / jnp.where(jnp.abs(pivot) > tiny, pivot, 1.0)
        return y.at[i].set(jnp.where(jnp.abs(pivot) > tiny, value, 0.0))

    return _loop(m, back, jnp.zeros((m,), dtype))


def solve_sparse(w: SparseW, b):
    """Solve ``W x = b`` by BiCGSTAB or GMRES (`KRYLOV_METHOD`) on the Jacobi-scaled system
    ``D^-1 W x = D^-1 b`` (``D`` the diagonal of ``W``); NaN if it does not converge.
    Differentiable: a ``lax.custom_linear_solve`` (JAX's, inside ``bicgstab``; ours, whose
    transpose solve is GMRES again)."""
    pattern, values = w.jacobian.pattern, w.jacobian.values
    inv_hg = w.inv_hg
    diag = inv_hg - pattern.diag(values)
    scale = 1.0 / jnp.where(diag == 0, 1.0, diag)

    def scaled(x):
        return scale * (inv_hg * x - pattern.matvec(values, x))

    rhs = scale * b
    tol = max(1e-10, 100.0 * float(jnp.finfo(b.dtype).eps))

    if KRYLOV_METHOD == "bicgstab":   # custom_linear_solve inside
        x = bicgstab(scaled, rhs, tol=tol, atol=0.0, maxiter=BICGSTAB_MAXITER)[0]
    else:
        def solve(mv, v):
            return gmres(mv, v, tol)

        x = lax.custom_linear_solve(scaled, rhs, solve, transpose_solve=solve)
    converged = jnp.linalg.norm(scaled(x) - rhs) <= 10.0 * tol * jnp.linalg.norm(rhs)
    return jnp.where(converged, x, jnp.nan)
