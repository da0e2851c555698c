"""What the stiff steppers share: their marker class, the right-hand side they
see, the Jacobian, the linear algebra and a polynomial dense output.

An :class:`ImplicitStepper` is called by the loop like any other stepper, with
two differences:

* its ``rhs`` is a :class:`StiffRHS` -- still callable as ``rhs(t, y, args)``,
  and carrying the Jacobian ``rhs.jac(t, y, args) -> (n, n)`` and the
  tolerances (for Newton convergence tests);
* ``step`` returns its work as a triple ``(nfe, njev, nlu)`` of Python ints or
  traced int32 scalars (Newton iterations make ``nfe`` data dependent); the
  loop sums them in its integer carry.

Counting: ``nfe`` counts rhs evaluations (``jax.jvp`` of the rhs in ``t``,
which gives ``f`` and ``df/dt`` together, counts one), ``njev`` Jacobian
evaluations (a ``jax.jacfwd`` fallback counts one, although it costs about
``n`` forward passes), ``nlu`` LU factorisations.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from .erk import ExplicitRK
from .colouring import StencilJacobian
from .sparse import (SPARSE_MIN_N, SparseJacobianFunction, SparseMatrix, SparseW, factor_sparse,
                     solve_sparse)
from .stepper import AdaptiveStepper, DenseOutputStepper


class StiffRHS(NamedTuple):
    """The right-hand side as an implicit stepper sees it (module docstring)."""

    f: Callable
    jac: Callable
    rtol: Any
    atol: Any

    def __call__(self, t, y, args):
        return self.f(t, y, args)


def make_jacobian(f: Callable, jac: Callable | None, dtype, sparse: bool = False) -> Callable:
    """``jac`` cast to ``dtype``, or ``jax.jacfwd`` of ``f`` in ``y`` when None.

    With ``sparse`` (a stepper whose ``factor_w``/``solve_w`` take it), a
    `SparseJacobianFunction` on ``SPARSE_MIN_N`` or more unknowns gives its
    `SparseMatrix` instead of the dense matrix (issue 16: no dense ``n x n``); a
    `StencilJacobian` (finite-difference grid models) is resolved to one for such a
    stepper (None when its coupling is not local) and is ``jax.jacfwd`` for others (the
    stiffness probe), which then do not pay for its search."""
    if isinstance(jac, StencilJacobian):
        jac = jac.resolve() if sparse else None
    if jac is None:
        return jax.jacfwd(f, argnums=1)
    # --- issue 16 (network): sparse Jacobians of large networks ---
    if sparse and isinstance(jac, SparseJacobianFunction) and jac.pattern.n >= SPARSE_MIN_N:
        return lambda t, y, a: jac.sparse(t, y, a, dtype)  # noqa: E731
    return lambda t, y, a: jnp.asarray(jac(t, y, a), dtype)  # noqa: E731


def f_and_dfdt(rhs, t, y, args):
    """``(f(t, y), df/dt(t, y))`` by one ``jax.jvp`` in ``t``.

    For an autonomous rhs the tangent is a symbolic zero and costs nothing.
    """
    return jax.jvp(lambda s: rhs(s, y, args), (t,), (jnp.ones_like(t),))


INVERSE_MAX_N = 32
"""Systems up to this size are solved through ``W^-1`` (see :func:`factor_w`)."""


def factor_w(jacobian, inv_hg, mass=None):
    """Factorise ``W = I/(h gamma) - J`` (``inv_hg = 1/(h gamma)``) once per step;
    with ``mass`` (the diagonal of a mass matrix ``M``, :mod:`.dae`) ``W = M/(h gamma) - J``.

    One LU factorisation with partial pivoting (``lax.linalg.lu``, what
    ``jax.scipy.linalg.lu_factor`` calls).  For ``n <= INVERSE_MAX_N`` the
    factors are turned into ``W^-1`` right away (two triangular solves with
    ``n`` right-hand sides) and every stage solve is a matrix-vector product:
    on XLA CPU a small ``dot`` costs about a third of a LAPACK triangular-solve
    call, and it fuses with its neighbours.  Larger systems keep ``(lu, perm)``
    and solve by substitution.
    """
    if isinstance(jacobian, SparseMatrix):   # issue 16 (network): Krylov, no dense W
        return factor_sparse(jacobian, inv_hg)
    n = jacobian.shape[0]
    eye = jnp.eye(n, dtype=jacobian.dtype)
    scaled = lax.mul(eye, inv_hg) if mass is None else jnp.diag(lax.mul(mass, inv_hg))
    lu, _, perm = lax.linalg.lu(scaled - jacobian)
    if n > INVERSE_MAX_N:
        return lu, perm
    return _lu_solve(lu, eye[perm])


def solve_w(factors, b):
    """Solve ``W x = b`` with the result of :func:`factor_w`."""
    if isinstance(factors, SparseW):   # issue 16 (network): Krylov (solvers.sparse)
        return solve_sparse(factors, b)
    if isinstance(factors, tuple):
        lu, perm = factors
        return _lu_solve(lu, b[perm][:, None])[:, 0]
    return factors @ b


def _lu_solve(lu, b):
    """``U^-1 L^-1 b`` for the packed factors ``lu`` and an (n, k) ``b``."""
    x = lax.linalg.triangular_solve(lu, b, left_side=True, lower=True, unit_diagonal=True)
    return lax.linalg.triangular_solve(lu, x, left_side=True, lower=False)


def hermite_q(dt, y0, y1, f0, f1):
    """Monomial coefficients (theta^1..3) of the cubic Hermite interpolant."""
    d = y1 - y0
    hf0, hf1 = lax.mul(dt, f0), lax.mul(dt, f1)
    return jnp.stack([hf0, 3 * d - 2 * hf0 - hf1, hf0 + hf1 - 2 * d])


class ImplicitStepper(AdaptiveStepper, DenseOutputStepper):
    """Marker: needs ``rhs.jac`` (a :class:`StiffRHS`) and reports ``(nfe, njev, nlu)``.

    ``sparse_jacobian``: whether ``rhs.jac`` may be a `SparseMatrix` (the stepper uses
    it only through :func:`factor_w` and :func:`solve_w`).

    ``dense_info`` is ``(y0, Q)`` in the monomial form of
    :meth:`ExplicitRK.dense_poly`: ``y(theta) = y0 + sum_j theta**(j+1) Q[j]``.
    """

    dense_degree: ClassVar[int] = 3
    sparse_jacobian: ClassVar[bool] = False

    @property
    def order(self) -> int:  # type: ignore[override]
        """Classical order of the propagated solution (from the subclass's ``tableau``)."""
        return self.tableau.order

    @property
    def error_order(self) -> int:  # type: ignore[override]
        """Order of the embedded solution (from the subclass's ``tableau``)."""
        return self.tableau.error_order

    @property
    def dense_carry_rows(self) -> int:
        """``y0`` and one row per polynomial degree."""
        return self.dense_degree + 1

    def dense_carry(self, dense_info):
        """``[y0; Q]``."""
        y0, q = dense_info
        return jnp.concatenate([y0[None], q])

    def dense_from_carry(self, rhs, args, t, dt, carry):
        """``((y0, Q), 0)``; nothing is evaluated."""
        return (carry[0], carry[1:]), 0

    eval_dense_poly = staticmethod(ExplicitRK.eval_dense_poly)

    def interpolate(self, dense_info, theta):
        """Evaluate the continuous extension of one step at ``theta`` in [0, 1]."""
        return self.eval_dense_poly(dense_info, theta)
