"""The phi-functions of exponential integrators and the linear operators they act on.

``phi_0(z) = e^z`` and ``phi_{k+1}(z) = (phi_k(z) - 1/k!) / z`` (so
``phi_k(0) = 1/k!``).  Evaluated

* elementwise (a diagonal or scalar operator) by :func:`phi_diagonal`: the
  Taylor series ``sum_j z^j / (j+k)!`` for ``|z| < 1`` (truncated where the
  remainder is below double precision) and the recurrence above, started from
  ``expm1``, for ``|z| >= 1`` where it loses at most a few ulps.  This is as
  accurate as the contour integrals of Kassam & Trefethen (2005) near ``z = 0``
  (tested against mpmath to 1e-14) at a fraction of their cost, and works for
  complex ``z`` (Fourier diagonals of advection or dispersion);
* for a dense matrix ``A`` by :func:`phi_dense_apply`: ``sum_k phi_k(A) w_k``
  as one matrix exponential of the ``(n + p)`` block matrix ``[[A, W], [0,
  J]]`` (``J`` the nilpotent shift; Al-Mohy & Higham 2011, Theorem 2.1),
  never forming ``phi_k(A)`` itself.  The exponential (:func:`expm`) is
  Higham's (2005) degree-13 Pade approximant with scaling and squaring, the
  squarings in a ``fori_loop``: one code path, so it compiles several times
  faster inside a solver loop than ``jax.scipy.linalg.expm`` (which traces
  all five Pade degrees).  Its derivative (:func:`expm_reversible`, the default
  everywhere) is a custom one, so reverse mode (the discrete adjoint) works
  through the run-time squaring loop.

Operators (:class:`DiagonalOperator`, :class:`DenseOperator`,
:class:`ScalarOperator`) share one method, ``combine(h, terms)``, computing
``sum_j (sum_k c_jk phi_k(h L)) v_j`` for ``terms = [(c_j, v_j), ...]``, so
steppers are written once for every kind.  A diagonal may live in a
transformed basis (``forward``/``inverse`` callables, e.g. an FFT for a
Fourier-spectral operator): then all terms are transformed, combined and
transformed back once.  Matrix-free operators (dense from ``L``'s action, or
Krylov) are in :mod:`~modelc.solvers.krylov`.
"""

from __future__ import annotations

import enum
import math
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from .linear import linear_map

__all__ = ["CommonStep", "phi_diagonal", "phi_dense_apply", "expm", "expm_reversible", "DiagonalOperator",
           "DenseOperator", "ScalarOperator", "SplitKind", "make_operator", "collect_terms", "step_combiner"]

class CommonStep(NamedTuple):
    """A ``nominal`` step that the caller guarantees equals the step taken (the loop's
    common step, selected by its own ``lax.cond``): :meth:`DiagonalOperator.step_phis`
    then returns the phi-functions of ``value`` directly, with no conditional (a
    conditional that passes loop invariants through copies them in every step).
    ``tables`` keeps them by request, so a caller can trace them once outside its
    conditional (where they stay loop invariants) and reuse them inside."""

    value: Any
    tables: dict


_SERIES_TERMS = 20
"""Taylor terms for ``|z| < 1``: the remainder is below ``1/20! ~ 4e-19``."""


def phi_diagonal(z, kmax: int) -> list:
    """``[phi_0(z), ..., phi_kmax(z)]`` elementwise for an array ``z`` (real or complex).

    Stable for all ``z``: series for ``|z| < 1``, recurrence from ``expm1`` otherwise
    (module docstring).  Differentiable (the unused branch sees a safe ``z``).
    """
    z = jnp.asarray(z)
    small = jnp.abs(z) < 1.0
    zs = jnp.where(small, z, 0.0)  # series argument (bounded)
    zl = jnp.where(small, 1.0, z)  # recurrence argument (never 0)
    out = [jnp.exp(z)]
    rec = _expm1(zl) / zl
    for k in range(1, kmax + 1):
        series = _phi_series(zs, k)
        out.append(jnp.where(small, series, rec))
        rec = (rec - 1.0 / math.factorial(k)) / zl
    return out


def _expm1(z):
    """``e^z - 1`` accurate for small ``|z|``, real or complex."""
    if jnp.iscomplexobj(z):
        # e^z - 1 = expm1(x) cos y + i e^x sin y - 2 sin^2(y/2) (no cancellation)
        x, y = z.real, z.imag
        return (jnp.expm1(x) * jnp.cos(y) - 2 * jnp.sin(y / 2) ** 2
                + 1j * jnp.exp(x) * jnp.sin(y))
    return jnp.expm1(z)


def _phi_series(z, k: int):
    """``sum_{j < _SERIES_TERMS} z^j / (j + k)!`` by Horner."""
    acc = jnp.full_like(z, 1.0 / math.factorial(_SERIES_TERMS - 1 + k))
    for j in range(_SERIES_TERMS - 2, -1, -1):
        acc = acc * z + 1.0 / math.factorial(j + k)
    return acc


def phi_dense_apply(a, ws, exp=None):
    """``sum_k phi_k(a) ws[k]`` for a square matrix ``a`` and vectors ``ws[0..p]``.

    ``ws[k]`` may be None (zero).  One ``expm`` of size ``n + p`` (``exp``:
    another matrix exponential, default :func:`expm_reversible`, which
    ``jax.grad`` can differentiate); the ``phi_0`` term is
    folded in as ``e^a w_0 = w_0 + phi_1(a) (a w_0)``.
    """
    n = a.shape[0]
    ws = list(ws)
    zero = jnp.zeros((n,), a.dtype)
    w = [zero if v is None else jnp.asarray(v, a.dtype) for v in ws]
    base = w[0]
    if len(w) == 1:
        w.append(zero)
    w[1] = w[1] + a @ w[0]
    p = len(w) - 1
    # Block [[a, W], [0, J]] with W = [w_p, ..., w_1] and J the upper shift.
    big = jnp.zeros((n + p, n + p), a.dtype)
    big = big.at[:n, :n].set(a)
    big = big.at[:n, n:].set(jnp.stack(w[:0:-1], axis=1))
    big = big.at[n:, n:].set(jnp.eye(p, k=1, dtype=a.dtype))
    return base + (exp or expm_reversible)(big)[:n, -1]


_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0,
           1187353796428800.0, 129060195264000.0, 10559470521600.0, 670442572800.0,
           33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152
"""1-norm up to which the degree-13 Pade approximant is accurate to double precision."""


def expm(a):
    """Matrix exponential: scaling so that ``||a / 2^s||_1 <= theta_13``, the
    degree-13 Pade approximant (one linear solve), then ``s`` squarings."""
    return _expm_scaled(a, _squarings(a))


def _squarings(a):
    """The number ``s`` of squarings :func:`expm` takes for ``a`` (an int32 scalar)."""
    norm = jnp.max(jnp.sum(jnp.abs(a), axis=0))
    s = jnp.ceil(jnp.log2(jnp.maximum(norm, 1e-300) / _THETA13))
    return jnp.where(jnp.isfinite(s), jnp.clip(s, 0, 1000), 0).astype(jnp.int32)


def _expm_scaled(a, s):
    """``r_13(a / 2^s)^(2^s)``: the Pade approximant, squared ``s`` times."""
    a = a * jnp.exp2(-s.astype(a.dtype))
    b = _PADE13
    eye = jnp.eye(a.shape[0], dtype=a.dtype)
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2)
             + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)
    v = (a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2)
         + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye)
    # (v - u)^-1 (v + u) through the inverse (v - u is well conditioned after scaling):
    # on XLA CPU (jax 0.10) jnp.linalg.solve and triangular_solve with a matrix
    # right-hand side are 20-70x slower than inv and a matmul at n ~ 36
    r = jnp.linalg.inv(v - u) @ (v + u)
    return lax.fori_loop(0, s, lambda i, x: x @ x, r)


@jax.custom_jvp
def expm_reversible(a):
    """:func:`expm` differentiable in both modes.  Its squaring loop has a run-time
    trip count, which ``jax.grad`` cannot reverse ("Reverse-mode differentiation does
    not work for lax.while_loop"), so the tangent is stated as one
    :func:`~.linear.linear_map`: evaluated by forward mode through the approximant
    (``s`` squarings, ``s`` fixed by ``a``) and transposed by the same forward mode
    at ``a^T``.  That transpose is exact, not an approximation: the Frechet
    derivative of a primary matrix function with real coefficients satisfies
    ``<L(a, e), g> = <e, L(a^T, g)>`` (Frobenius product; ``L(a, e) = int_0^1
    e^{s a} e e^{(1-s) a} ds`` for ``exp``), and the computed ``r_13(a/2^s)^(2^s)`` is
    such a function (a rational one, the same ``s`` used both ways)."""
    return expm(a)


def _frechet(a, s, e):
    """``[L(a, e)]``: the derivative of ``r_13(a/2^s)^(2^s)`` at ``a`` in the direction ``e``."""
    return [jax.jvp(lambda x: _expm_scaled(x, s), (a,), (e,))[1]]


@expm_reversible.defjvp
def _expm_jvp(primals, tangents):
    (a,), (da,) = primals, tangents
    s = lax.stop_gradient(_squarings(a))
    (dout,) = linear_map(_frechet, lambda x, k, g: _frechet(x.T, k, g), [a, s],
                         [jnp.asarray(da, a.dtype)])
    return _expm_scaled(a, s), dout


def _weighted(coeffs, phis):
    """``sum_k coeffs[k] phis[k]`` with Python-float coefficients, zeros skipped."""
    acc = None
    for c, p in zip(coeffs, phis):
        if c == 0:
            continue
        term = p if c == 1 else c * p
        acc = term if acc is None else acc + term
    return acc


def _combine_diagonal(z, terms, phis=None):
    """``sum_j (sum_k c_jk phi_k(z)) v_j`` for a diagonal (or scalar) ``z`` and
    ``terms = [(c_j, v_j)]``, elementwise (``phis``: ``[phi_0(z), ...]`` if known)."""
    kmax = max(len(c) for c, _ in terms) - 1
    if phis is None or len(phis) <= kmax:
        phis = phi_diagonal(z, kmax)
    acc = None
    for coeffs, v in terms:
        term = _weighted(coeffs, phis) * v
        acc = term if acc is None else acc + term
    return acc


def identity_to_basis(v):
    """``to_basis`` of an operator whose basis is the identity."""
    return v


def identity_from_basis(w, real: bool = True):
    """``from_basis`` of an operator whose basis is the identity."""
    return w


def combine_in_identity_basis(self, h, terms):
    """``combine_in_basis`` of an operator whose basis is the identity: :meth:`combine`."""
    return self.combine(h, terms)


class DiagonalOperator(NamedTuple):
    """``L = inverse o diag(d) o forward`` (``forward``/``inverse`` None: the identity).

    ``d`` has the shape of the transformed state; it may be complex (then
    the combination's real part is returned for a real state).
    """

    d: Any
    forward: Callable | None = None
    inverse: Callable | None = None
    nominal: Any = None

    def combine(self, h, terms, phis=None):
        """``sum_j (sum_k c_jk phi_k(h L)) v_j`` for ``terms = [(c_j, v_j)]`` (``phis``:
        the phi-functions of ``h L`` if known, from :meth:`step_phis`)."""
        acc = self.combine_in_basis(h, [(c, self.to_basis(v)) for c, v in terms], phis)
        return self.from_basis(acc, not jnp.iscomplexobj(terms[0][1]))

    def step_phis(self, dt, kmax: dict) -> dict:
        """``{c: [phi_0, ..., phi_kmax[c]](c dt L)}`` for the step fractions ``c`` of a stepper.

        With ``nominal`` (the constant step of the loop, a loop invariant) the
        values for ``dt == nominal`` do not depend on the step, so XLA computes
        them once before the loop; other steps (the one shortened to land on an
        output time) evaluate them afresh, in a ``lax.cond``."""
        fractions = tuple(kmax)

        def at(h):
            return [phi_diagonal((c * h) * self.d, kmax[c]) for c in fractions]

        if self.nominal is None:
            return dict(zip(fractions, at(dt)))
        if isinstance(self.nominal, CommonStep):  # the caller guarantees dt == nominal
            key = tuple(sorted(kmax.items()))
            if key not in self.nominal.tables:
                self.nominal.tables[key] = dict(zip(fractions, at(self.nominal.value)))
            return self.nominal.tables[key]
        cached = at(self.nominal)
        return dict(zip(fractions, lax.cond(dt == self.nominal, lambda: cached, lambda: at(dt))))

    def to_basis(self, v):
        """``v`` in the basis where ``L`` is diagonal (``forward(v)``)."""
        return v if self.forward is None else self.forward(v)

    def from_basis(self, w, real: bool = True):
        """Inverse of :meth:`to_basis` (the real part for a real state)."""
        out = w if self.inverse is None else self.inverse(w)
        return out.real if real and jnp.iscomplexobj(out) else out

    def combine_in_basis(self, h, terms, phis=None):
        """:meth:`combine` for terms already in the diagonal basis, result in it too:
        a stepper transforms each vector once and combines many times."""
        return _combine_diagonal(h * self.d, terms, phis)

    def matvec(self, v):
        """``L v``."""
        fwd = self.forward or (lambda x: x)  # noqa: E731
        out = self.d * fwd(v)
        out = out if self.inverse is None else self.inverse(out)
        return out.real if jnp.iscomplexobj(out) and not jnp.iscomplexobj(v) else out


class ScalarOperator(NamedTuple):
    """``L = a I`` for a scalar ``a``."""

    a: Any

    def combine(self, h, terms):
        """``sum_j (sum_k c_jk phi_k(h a)) v_j``."""
        return _combine_diagonal(h * self.a, terms)

    def matvec(self, v):
        """``a v``."""
        return self.a * v

    to_basis = staticmethod(identity_to_basis)
    from_basis = staticmethod(identity_from_basis)
    combine_in_basis = combine_in_identity_basis


def collect_terms(terms) -> list:
    """``[w_0, ..., w_kmax]`` with ``w_k = sum_j c_jk v_j`` (None where zero) for ``terms = [(c_j, v_j)]``."""
    kmax = max(len(c) for c, _ in terms) - 1
    ws = [None] * (kmax + 1)
    for coeffs, v in terms:
        for k, c in enumerate(coeffs):
            if c != 0:
                ws[k] = c * v if ws[k] is None else ws[k] + c * v
    return ws


class DenseOperator(NamedTuple):
    """``L`` a dense ``(n, n)`` matrix (``exp``: the matrix exponential, default
    :func:`expm_reversible`)."""

    matrix: Any
    exp: Any = None

    def combine(self, h, terms):
        """``sum_j (sum_k c_jk phi_k(h L)) v_j`` by one augmented ``expm``."""
        return phi_dense_apply(h * self.matrix, collect_terms(terms), self.exp)

    def matvec(self, v):
        """``L v``."""
        return self.matrix @ v

    to_basis = staticmethod(identity_to_basis)
    from_basis = staticmethod(identity_from_basis)
    combine_in_basis = combine_in_identity_basis


def step_combiner(op, dt, kmax: dict, in_basis: bool = False, table: dict | None = None):
    """``comb(c, terms)``: ``op.combine(c dt, terms)`` (``combine_in_basis`` if
    ``in_basis``) with the phi-functions of ``c dt L`` for the fractions ``c`` in
    ``kmax`` (-> highest phi index) evaluated once per step (diagonal operators:
    :meth:`DiagonalOperator.step_phis`, or ``table``, the same dict computed by the
    caller; other kinds evaluate their own)."""
    method = op.combine_in_basis if in_basis else op.combine
    if not isinstance(op, DiagonalOperator):
        return lambda c, terms: method(c * dt, terms)  # noqa: E731
    table = op.step_phis(dt, kmax) if table is None else table
    return lambda c, terms: method(c * dt, terms, table[c])  # noqa: E731


class SplitKind(str, enum.Enum):  # noqa: UP042  (str() of a member stays its name)
    """The kind of a split's linear part ``L`` (``Split.kind``): what ``linear(t, args)``
    returns.  A ``str`` enum, so the plain strings compare equal to its members."""

    DIAGONAL = "diagonal"
    MATRIX = "matrix"
    SCALAR = "scalar"
    OPERATOR = "operator"


def make_operator(kind: str, value, transform=None, nominal=None):
    """The operator object for a split's ``kind`` (a :class:`SplitKind`).

    ``value`` is what the split's ``linear(t, args)`` returned (for
    "operator", already an operator with ``combine``/``matvec``: see
    :mod:`~modelc.solvers.krylov`); ``transform`` an optional ``(forward,
    inverse)`` pair for a diagonal; ``nominal`` the loop's constant step, if any
    (:meth:`DiagonalOperator.step_phis`).
    """
    if kind == SplitKind.OPERATOR:
        return value
    if kind == SplitKind.DIAGONAL:
        fwd, inv = transform if transform is not None else (None, None)
        return DiagonalOperator(value, fwd, inv, nominal)
    if kind == SplitKind.MATRIX:
        return DenseOperator(value)
    if kind == SplitKind.SCALAR:
        return ScalarOperator(value)
    raise ValueError(f"unknown linear-operator kind {kind!r}; "
                     "expected 'diagonal', 'matrix', 'scalar' or 'operator'")
