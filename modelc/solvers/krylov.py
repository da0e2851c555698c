"""phi-functions of a matrix-free linear operator: dense Pade or Krylov (Arnoldi).

A field model's ``"banded"``/``"operator"`` split gives ``L`` only as a
function ``v -> L v`` (stencils, no matrix).  :func:`matrix_free_linear`
turns it into the ``linear(t, args)`` of a :class:`~modelc.solvers.expint.Split`
whose operator is, by the ``phi`` option,

* ``"dense"``: the ``(n, n)`` matrix, built from ``n`` applications of ``L``
  to the unit vectors (one ``vmap``), and the augmented Pade ``expm`` of
  :func:`~modelc.solvers.phi.phi_dense_apply` (exact to rounding;
  ``O(n^3)`` per combination, fine for a few hundred unknowns); differentiable
  in forward and reverse mode through :func:`~.phi.expm_reversible`;
* ``"krylov"``: :class:`KrylovOperator`, Arnoldi on the same augmented matrix
  ``[[hL, W], [0, J]]`` (Al-Mohy & Higham 2011) applied to the last unit
  vector, so one Krylov space serves all the phi-functions of a combination;
  ``e^{tau A} v`` is advanced over ``tau`` in ``[0, 1]`` in substeps as in
  Sidje's Expokit (ACM TOMS 24, 1998): each substep builds an ``m``-dimensional
  Krylov space, takes the largest ``tau`` (halving from what is left) whose
  error estimate ``beta h_{m+1,m} |e_m^T tau phi_1(tau H_m) e_1|`` is below
  ``tol * beta``, and uses ``beta V_m e^{tau H_m} e_1``;
* ``"auto"`` (default): dense up to :data:`DENSE_LIMIT` unknowns, Krylov above.

The Krylov path costs ``m`` applications of ``L`` per substep and never
forms a matrix (2-D grids with 10^4 unknowns).  It is jit-able and
differentiable in both modes: ``e^{A} v`` is a ``custom_jvp`` whose tangent
map is a :func:`~.linear.linear_map`, evaluated by forward mode through the
substep ``while_loop`` and transposed by re-running the substeps (recording
each ``tau`` and starting vector) and applying their pullbacks backwards at
the recorded ``tau`` (:func:`_expv_transpose`).
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from .linear import linear_map
from .phi import (DenseOperator, collect_terms, combine_in_identity_basis, expm, expm_reversible,
                  identity_from_basis, identity_to_basis)

__all__ = ["KrylovOperator", "phi_krylov_apply", "matrix_free_linear", "dense_matrix",
           "PHI_METHODS", "DENSE_LIMIT"]

PHI_METHODS = ("auto", "dense", "krylov")
DENSE_LIMIT = 64
"""``phi="auto"``: dense Pade up to this many unknowns, Krylov above."""
KRYLOV_DIM = 30
"""Krylov subspace dimension ``m`` per substep."""
KRYLOV_TOL = 1e-12
"""Relative error target of one substep (against the norm of the vector it propagates)."""
_MAX_SUBSTEPS = 500
_HALVINGS = 30


def dense_matrix(apply: Callable, n: int, dtype) -> Any:
    """The ``(n, n)`` matrix of the linear map ``apply`` (its action on the unit vectors)."""
    return jax.vmap(apply)(jnp.eye(n, dtype=dtype)).T


def _norm(w):
    """``||w||_2`` with a finite derivative at ``w = 0`` (zero there: a breakdown
    of Arnoldi, or a zero vector, is then differentiated as a constant)."""
    sq = jnp.sum(w * w)
    return jnp.where(sq > 0, jnp.sqrt(jnp.where(sq > 0, sq, 1.0)), 0.0)


def _arnoldi(matvec, v, m: int):
    """Arnoldi (classical Gram--Schmidt, twice) from unit ``v``: ``(V (m+1, N), H (m+1, m))``.

    A breakdown (``h_{j+1,j} = 0``, an invariant subspace) leaves zero rows.
    """
    n = v.shape[0]
    basis = jnp.zeros((m + 1, n), v.dtype).at[0].set(v)
    hess = jnp.zeros((m + 1, m), v.dtype)
    tiny = jnp.finfo(v.dtype).tiny ** 0.5

    def body(j, carry):
        basis, hess = carry
        w = matvec(basis[j])
        h1 = basis @ w
        w = w - basis.T @ h1
        h2 = basis @ w
        w = w - basis.T @ h2
        h = h1 + h2
        norm = _norm(w)
        hess = hess.at[:, j].set(h.at[j + 1].set(norm))
        nxt = jnp.where(norm > tiny, w / jnp.where(norm > tiny, norm, 1.0), 0.0)
        return basis.at[j + 1].set(nxt), hess

    return lax.fori_loop(0, m, body, (basis, hess))


def _krylov_space(matvec, w, m: int):
    """``(beta, V, [[H_m, 0], [h e_m^T, 0]])`` of the Krylov space of ``w``: the last
    row of ``e^{tau big}`` holds the substep's error coefficient."""
    beta = _norm(w)
    basis, hess = _arnoldi(matvec, w / jnp.where(beta > 0, beta, 1.0), m)
    big = jnp.zeros((m + 1, m + 1), w.dtype).at[:, :m].set(hess)
    return beta, basis, big


def _substep(matvec, w, tau_left, m: int, tol: float, halvings):
    """One substep: the largest ``tau`` (``tau_left`` halved) whose error estimate is
    below ``tol * beta``, and ``beta V_m e^{tau H_m} e_1``."""
    beta, basis, big = _krylov_space(matvec, w, m)
    taus = tau_left * halvings
    first = jax.vmap(lambda tau: expm(tau * big)[:, 0])(taus)  # (H, m + 1)
    errors = beta * jnp.abs(first[:, m])
    ok = errors <= tol * jnp.maximum(beta, 1e-300)
    pick = jnp.where(jnp.any(ok), jnp.argmax(ok), _HALVINGS - 1)
    return taus[pick], beta * (basis[:m].T @ first[pick, :m])


def _substep_at(matvec, w, tau, m: int):
    """The substep of :func:`_substep` with its ``tau`` given, reverse-differentiable
    (``expm`` through :func:`expm_reversible`)."""
    beta, basis, big = _krylov_space(matvec, w, m)
    return beta * (basis[:m].T @ expm_reversible(tau * big)[:m, 0])


def _expv_loop(matvec, v, m: int, tol: float, record: bool = False):
    """``(e^{A} v, substeps, records)`` by substeps in ``tau`` (module docstring);
    ``record=True`` keeps each substep's ``tau`` and starting vector (for the
    transpose).  ``e^{A} v`` is NaN when the substep budget runs out (the
    solver loop then reports a non-finite state)."""
    dtype = v.dtype
    tol = max(tol, 50 * float(jnp.finfo(dtype).eps))
    halvings = 2.0 ** -jnp.arange(_HALVINGS, dtype=dtype)

    def substep(carry):
        tau_done, w, count, rec = carry
        tau, new = _substep(matvec, w, 1.0 - tau_done, m, tol, halvings)
        if record:
            rec = (rec[0].at[count].set(tau), rec[1].at[count].set(w))
        return tau_done + tau, new, count + 1, rec

    def more(carry):
        tau_done, w, count, _ = carry
        return (tau_done < 1.0) & (count < _MAX_SUBSTEPS) & (jnp.linalg.norm(w) > 0)

    rec = ((jnp.zeros((_MAX_SUBSTEPS,), dtype), jnp.zeros((_MAX_SUBSTEPS,) + v.shape, dtype))
           if record else ())
    tau_done, w, count, rec = lax.while_loop(more, substep, (jnp.zeros((), dtype), v, 0, rec))
    return jnp.where((tau_done < 1.0) & (jnp.linalg.norm(w) > 0), jnp.nan, w), count, rec


def _expv(matvec, v, m: int, tol: float):
    """``e^{A} v`` for ``A`` given by ``matvec`` (:func:`_expv_loop`), differentiable in
    both modes with respect to ``v`` and everything ``matvec`` closes over."""
    fn, consts = jax.closure_convert(matvec, v)
    return _expv_differentiable(fn, m, tol, v, *consts)


@partial(jax.custom_jvp, nondiff_argnums=(0, 1, 2))
def _expv_differentiable(fn, m, tol, v, *consts):
    """:func:`_expv_loop` on ``x -> fn(x, *consts)``; its tangent map is one
    `~.linear.linear_map`: evaluated by forward mode through the substep loop,
    transposed by :func:`_expv_transpose`."""
    return _expv_loop(lambda x: fn(x, *consts), v, m, tol)[0]


@_expv_differentiable.defjvp
def _expv_jvp(fn, m, tol, primals, tangents):
    out = _expv_differentiable(fn, m, tol, *primals)
    n_res = len(primals)

    def tangent(*flat):
        res, lin = flat[:n_res], flat[n_res:]
        loop = lambda v, *c: _expv_loop(lambda x: fn(x, *c), v, m, tol)[0]  # noqa: E731
        return [jax.jvp(loop, tuple(res), tuple(lin))[1]]

    def transpose(*flat):
        res, (ct,) = flat[:n_res], flat[n_res:]
        return _expv_transpose(fn, m, tol, res[0], list(res[1:]), ct)

    primals = [jnp.asarray(p) for p in primals]
    lin = [jnp.zeros_like(p) if jnp.result_type(t) == jax.dtypes.float0 else jnp.asarray(t, p.dtype)
           for p, t in zip(primals, tangents)]
    (t_out,) = linear_map(tangent, transpose, primals, lin)
    return out, t_out


def _expv_transpose(fn, m, tol, v, consts, ct):
    """Cotangents of ``(v, *consts)`` for the cotangent ``ct`` of ``e^{A} v``: the
    substeps are re-run recording their ``tau`` and starting vector, then walked
    backwards applying each substep's pullback at its fixed ``tau`` (the step
    choice is piecewise constant, as in the solver's discrete adjoint)."""
    _, count, (taus, starts) = _expv_loop(lambda x: fn(x, *consts), v, m, tol, record=True)

    def back(i, carry):
        j = count - 1 - i
        g, gc = carry
        _, pull = jax.vjp(lambda w, c: _substep_at(lambda x: fn(x, *c), w, taus[j], m),
                          starts[j], consts)
        gw, gcj = pull(g)
        return gw, [a + b for a, b in zip(gc, gcj)]

    g, gc = lax.fori_loop(0, count, back, (ct, [jnp.zeros_like(c) for c in consts]))
    return [g, *gc]


def phi_krylov_apply(matvec, ws, m: int = KRYLOV_DIM, tol: float = KRYLOV_TOL):
    """``sum_k phi_k(A) ws[k]`` (``ws[k]`` None: zero) for ``A`` given by ``matvec``.

    The augmented matrix of :func:`~modelc.solvers.phi.phi_dense_apply`,
    applied matrix-free, and :func:`_expv` on its last unit vector.
    """
    n = next(v.shape[0] for v in ws if v is not None)
    dtype = next(v.dtype for v in ws if v is not None)
    zero = jnp.zeros((n,), dtype)
    w = [zero if v is None else v for v in ws]
    base = w[0]
    if len(w) == 1:
        w.append(zero)
    w[1] = w[1] + matvec(w[0])
    p = len(w) - 1
    cols = jnp.stack(w[:0:-1], axis=1)  # (n, p): w_p, ..., w_1

    def augmented(x):
        head, tail = x[:n], x[n:]
        shifted = jnp.concatenate([tail[1:], jnp.zeros((1,), dtype)])
        return jnp.concatenate([matvec(head) + cols @ tail, shifted])

    start = jnp.zeros((n + p,), dtype).at[-1].set(1.0)
    return base + _expv(augmented, start, m, tol)[:n]


class KrylovOperator(NamedTuple):
    """``L`` given by ``apply(v) = L v``; phi-functions by :func:`phi_krylov_apply`."""

    apply: Callable
    dim: int = KRYLOV_DIM
    tol: float = KRYLOV_TOL

    def combine(self, h, terms):
        """``sum_j (sum_k c_jk phi_k(h L)) v_j`` for ``terms = [(c_j, v_j)]``."""
        return phi_krylov_apply(lambda v: h * self.apply(v), collect_terms(terms), self.dim, self.tol)

    def matvec(self, v):
        """``L v``."""
        return self.apply(v)

    to_basis = staticmethod(identity_to_basis)
    from_basis = staticmethod(identity_from_basis)
    combine_in_basis = combine_in_identity_basis


def matrix_free_linear(apply: Callable, size: int, phi: str = "auto") -> Callable:
    """``linear(t, args)`` returning the operator of ``L v = apply(t, v, args)`` (module docstring).

    ``size`` is the length of the state vector; ``phi`` one of :data:`PHI_METHODS`.
    """
    if phi not in PHI_METHODS:
        raise ValueError(f"phi={phi!r}; choose one of {', '.join(PHI_METHODS)}")
    dense = phi == "dense" or (phi == "auto" and size <= DENSE_LIMIT)

    def linear(t, args):
        mapped = lambda v: apply(t, v, args)  # noqa: E731
        if dense:
            return DenseOperator(dense_matrix(mapped, size, jnp.asarray(args).dtype), expm_reversible)
        return KrylovOperator(mapped)

    return linear
