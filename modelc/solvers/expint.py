"""Exponential integrators for ``dy/dt = L(t) y + N(t, y)``.

Two families, both driven by the shared loop:

* **split steppers** (:class:`SplitStepper`: ETD1, ETDRK2, ETDRK4, ETDRK4-B,
  Lawson4; fixed step) see the rhs as a :class:`SplitRHS` carrying the
  model's :class:`Split` ``(kind, linear, nonlinear)``.  ``linear(t, args)``
  returns the operator's data (a diagonal vector, a matrix or a scalar, see
  :func:`~modelc.solvers.phi.make_operator`).  A time-dependent ``L`` is
  frozen at the step start ``t_n`` and the difference moved into the
  nonlinearity, ``N_n(s, y) = N(s, y) + (L(s) - L(t_n)) y``: an exact
  reformulation, so the classical order is kept;
* **exponential Rosenbrock** steppers (exprb32, exprb43; adaptive, embedded
  estimates) linearise at every step around the current state with the
  Jacobian ``J_n`` (the model's symbolic ``jacobian``) and ``v_n = df/dt``,
  ``g_n(t, y) = f(t, y) - J_n y - v_n t``; they need no split and are
  :class:`~modelc.solvers.implicit.ImplicitStepper` s (the rhs is a
  :class:`~modelc.solvers.implicit.StiffRHS`; work is ``(nfe, njev, 0)``).
  Formulas: Hochbruck, Ostermann & Schweitzer, SIAM J. Numer. Anal. 47 (2009).

ETD formulas: Cox & Matthews, J. Comput. Phys. 176 (2002) (ETD1, ETDRK2,
ETDRK4); Krogstad, J. Comput. Phys. 203 (2005) (ETDRK4-B, stiff order 4 in
more cases); Lawson, SIAM J. Numer. Anal. 4 (1967) (integrating-factor RK4).
``nfe`` counts evaluations of ``N`` (split steppers) or ``f`` (exprb).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, ClassVar, NamedTuple

import jax.numpy as jnp

from .stepper import ExtraDenseStagesStepper, SplitStepper
from .implicit import ImplicitStepper, f_and_dfdt, hermite_q
from . import phi_tableaus as pt
from .phi import DenseOperator, make_operator, step_combiner

__all__ = ["Split", "SplitRHS", "SplitStepper", "ETD1", "ETDRK2", "ETDRK4", "ETDRK4B",
           "Lawson4", "ExpRB32", "ExpRB43"]


class Split(NamedTuple):
    """``f(t, y) = L(t) y + N(t, y)`` as functions.

    ``kind``: a :class:`~modelc.solvers.phi.SplitKind` ("diagonal", "matrix",
    "scalar" or "operator", plain strings work too); ``linear(t, args)``
    returns the diagonal vector, the ``(n, n)`` matrix, the scalar or (for
    "operator", a matrix-free ``L``) the operator object itself
    (:func:`~modelc.solvers.krylov.matrix_free_linear`); ``nonlinear(t,
    y, args)`` returns ``N``; ``constant``: ``L`` does not depend on ``t``;
    ``transform``: optional ``(forward, inverse)`` callables, the basis in
    which a diagonal is diagonal (e.g. an FFT pair); ``nonlinear_hat``:
    optional ``N`` in that basis, ``nonlinear_hat(t, forward(y), args) =
    forward(N(t, y, args))``, computed without transforming ``y`` there and
    back (then fixed-step split steppers run in the basis:
    :mod:`~modelc.solvers.coefficients`).
    """

    kind: str
    linear: Callable
    nonlinear: Callable
    constant: bool = True
    transform: Any = None
    nonlinear_hat: Any = None


class SplitRHS(NamedTuple):
    """The rhs as a :class:`SplitStepper` sees it: callable as ``f(t, y, args)``
    and carrying the model's :class:`Split` (``nominal``: the constant step of
    the loop, a loop invariant, if any: see
    :meth:`~modelc.solvers.phi.DiagonalOperator.step_phis`)."""

    f: Callable
    split: Split
    nominal: Any = None

    def __call__(self, t, y, args):
        return self.f(t, y, args)

    def operator(self, t, args):
        """The linear operator at time ``t`` (a :mod:`~modelc.solvers.phi` operator)."""
        s = self.split
        return make_operator(s.kind, s.linear(t, args), s.transform, self.nominal)

    def frozen(self, t, args):
        """``(L_n, N_n)``: the operator at ``t`` and the matching nonlinearity
        ``N_n(s, y)`` (module docstring)."""
        op = self.operator(t, args)
        nonlinear = self.split.nonlinear
        dtype_of = lambda y, v: jnp.asarray(v, y.dtype)  # noqa: E731
        if self.split.constant:
            return op, lambda s, y: dtype_of(y, nonlinear(s, y, args))  # noqa: E731

        def n_frozen(s, y):
            drift = self.operator(s, args).matvec(y) - op.matvec(y)
            return dtype_of(y, nonlinear(s, y, args) + drift)

        return op, n_frozen

    def nonlinear_in_basis(self, args):
        """``N`` from and to the operator's basis (``nonlinear_hat``) when the split
        offers it for a constant ``L``, else None."""
        s = self.split
        if s.nonlinear_hat is None or not s.constant:
            return None
        return lambda t, v: jnp.asarray(s.nonlinear_hat(t, v, args), v.dtype)  # noqa: E731


@dataclass(frozen=True)
class ETD1(SplitStepper):
    """Exponential Euler: ``y1 = e^{hL} y + h phi_1(hL) N(t, y)``; order 1."""

    order = 1

    def step(self, rhs, t, y, dt, args, state):
        """One step; ``(y1, None, None, None, 1)``."""
        op, n = rhs.frozen(t, args)
        comb = step_combiner(op, dt, {1.0: 1})
        y1 = comb(1.0, [((1.0,), y), ((0.0, 1.0), dt * n(t, y))])
        return y1, None, None, None, 1


@dataclass(frozen=True)
class ETDRK2(SplitStepper):
    """Cox--Matthews ETDRK2: ``a = e^{hL}y + h phi_1 N(y)``,
    ``y1 = a + h phi_2 (N(a) - N(y))``; order 2."""

    order = 2

    def step(self, rhs, t, y, dt, args, state):
        """One step; 2 evaluations of ``N``."""
        op, n = rhs.frozen(t, args)
        comb = step_combiner(op, dt, {1.0: 2})
        n0 = n(t, y)
        a = comb(1.0, [((1.0,), y), ((0.0, 1.0), dt * n0)])
        y1 = a + comb(1.0, [((0.0, 0.0, 1.0), dt * (n(t + dt, a) - n0))])
        return y1, None, None, None, 2


def _etd4_update(comb, weights: pt.PhiWeights, y, dt, stages):
    """``e^{hL} y + h (b_1 N_1 + b_2 (N_2 + N_3) + b_4 N_4)`` for ``stages = (N_1, ..., N_4)``
    (``b_2 = b_3``: one term), all vectors in the operator's diagonal basis (``comb``:
    the step's combiner)."""
    b1, b2, b3, b4 = weights.b
    assert b2 == b3, "stages 2 and 3 share their weight"
    n0, na, nb, nc = stages
    return comb(1.0, [((1.0,), y), (b1, dt * n0), (b2, dt * (na + nb)), (b4, dt * nc)])


class _ETD4(SplitStepper):
    """Shared step of the fourth-order ETD methods: the first stage
    ``a = e^{hL/2} y + (h/2) phi_1(hL/2) N(y)``, the method's stages 3 and 4
    (:meth:`_stages`), and the output weights ``weights`` (a
    :class:`~.phi_tableaus.PhiWeights`)."""

    order = 4
    weights: ClassVar[pt.PhiWeights] = pt.ETDRK4

    def step(self, rhs, t, y, dt, args, state):
        """One step; 4 evaluations of ``N``."""
        op, n = rhs.frozen(t, args)
        n_hat = rhs.nonlinear_in_basis(args)
        n0 = None if n_hat is not None else n(t, y)
        return self.advance(op, n, t, y, dt, n0, n_hat)[0], None, None, None, 4

    def advance(self, op, n, t, y, dt, n0, n_hat=None, phis=None):
        """``(y1, N(c))``: the step from ``n0 = N(t, y)`` (3 more evaluations of
        ``N``; 4 with ``n0`` None) and the last stage's ``N`` (used by the
        embedded estimate of etdrk43); ``phis``: the phi-functions of the step
        if the caller has them (:func:`~modelc.solvers.phi.step_combiner`).

        Works in the operator's diagonal basis (``op.to_basis``, e.g. Fourier
        coefficients): every vector is transformed once and only the stages
        are transformed back, 9 transforms per step instead of about 14; with
        ``n_hat`` (``N`` in that basis, :meth:`SplitRHS.nonlinear_in_basis`)
        the stages are not transformed back at all."""
        h2 = 0.5 * dt
        to, back = op.to_basis, op.from_basis
        comb = step_combiner(op, dt, {0.5: 2, 1.0: 3}, in_basis=True, table=phis)
        real = not jnp.iscomplexobj(y)
        if n_hat is None:
            stage = lambda s, vh: to(n(s, back(vh, real)))  # noqa: E731
        else:
            stage = n_hat
        yh = to(y)
        n0h = stage(t, yh) if n0 is None else to(n0)
        ah = comb(0.5, [((1.0,), yh), ((0.0, 1.0), h2 * n0h)])
        nah = stage(t + h2, ah)
        bh, c_of = self._stages(comb, yh, dt, n0h, ah, nah)
        nbh = stage(t + h2, bh)
        if n_hat is None:
            nc = n(t + dt, back(c_of(nbh), real))
            nch = to(nc)
        else:
            nch = n_hat(t + dt, c_of(nbh))
            nc = back(nch, real)  # only etdrk43 uses it
        y1h = _etd4_update(comb, self.weights, yh, dt, (n0h, nah, nbh, nch))
        return back(y1h, real), nc

    def _stages(self, comb, y, dt, n0, a, na):
        """``(b, c_of)``: stage 3 and a function of ``N(b)`` giving stage 4 (``comb``:
        the step's combiner, :func:`~modelc.solvers.phi.step_combiner`)."""
        raise NotImplementedError


@dataclass(frozen=True)
class ETDRK4(_ETD4):
    """Cox--Matthews ETDRK4 (as written by Kassam & Trefethen 2005); order 4."""

    def _stages(self, comb, y, dt, n0, a, na):
        """``b = e^{hL/2} y + (h/2) phi_1 N(a)``, ``c = e^{hL/2} a + (h/2) phi_1 (2 N(b) - N(y))``
        (in the operator's diagonal basis)."""
        h2 = 0.5 * dt
        b = comb(0.5, [((1.0,), y), ((0.0, 1.0), h2 * na)])
        return b, lambda nb: comb(0.5, [((1.0,), a), ((0.0, 1.0), h2 * (2.0 * nb - n0))])


@dataclass(frozen=True)
class ETDRK4B(_ETD4):
    """Krogstad's ETDRK4-B: stages in phi-functions of ``c_i h L``; order 4."""

    weights = pt.KROGSTAD

    def _stages(self, comb, y, dt, n0, a, na):
        """Krogstad's stages 3 (phi-functions of ``hL/2``) and 4 (of ``hL``), in the
        operator's diagonal basis."""
        h2 = 0.5 * dt
        b = comb(0.5, [((1.0,), y), ((0.0, 1.0), h2 * n0), ((0.0, 0.0, 1.0), dt * (na - n0))])
        return b, lambda nb: comb(1.0, [((1.0,), y), ((0.0, 1.0, -2.0), dt * n0),
                                        ((0.0, 0.0, 2.0), dt * nb)])


@dataclass(frozen=True)
class Lawson4(SplitStepper):
    """Lawson's integrating-factor RK4 (classical RK4 for ``e^{-tL} y``); order 4.

    Only ``e^{hL/2}`` is needed; not stiffly accurate (order drops for very
    stiff ``N``-driven transients, unlike the ETD methods)."""

    order = 4

    def step(self, rhs, t, y, dt, args, state):
        """One step; 4 evaluations of ``N``."""
        op, n = rhs.frozen(t, args)
        h2 = 0.5 * dt
        comb = step_combiner(op, dt, {0.5: 0})
        e2 = lambda v: comb(0.5, [((1.0,), v)])  # noqa: E731
        k1 = n(t, y)
        e2y = e2(y)
        k2 = n(t + h2, e2(y + h2 * k1))
        k3 = n(t + h2, e2y + h2 * k2)
        k4 = n(t + dt, e2(e2y + dt * k3))
        y1 = e2(e2(y + (dt / 6) * k1) + (dt / 3) * (k2 + k3)) + (dt / 6) * k4
        return y1, None, None, None, 4


class Linearisation(NamedTuple):
    """An exponential Rosenbrock step's linearisation at ``(t, y)``: the operator
    ``op`` of ``J = df/dy``, ``f0 = f(t, y)`` and ``v = df/dt``."""

    rhs: Callable
    t: Any
    y: Any
    args: Any
    op: Any
    f0: Any
    v: Any

    def defect(self, c, dt, u):
        """``D = f(t + c h, U) - f0 - J (U - y) - c h v``."""
        return (self.rhs(self.t + c * dt, u, self.args) - self.f0 - self.op.matvec(u - self.y)
                - (c * dt) * self.v)


class _ExpRosenbrock(ImplicitStepper, ExtraDenseStagesStepper):
    """Shared parts of exprb32/exprb43: linearisation and cubic Hermite dense output.

    The continuous extension is the cubic Hermite interpolant of ``y0``, ``y1`` and
    the slopes ``f(t, y0)`` (the step's own) and ``f(t + h, y1)`` (evaluated lazily,
    only for outputs and event location: 1 evaluation per output-bearing step);
    third order, so an event located on it is as accurate as the step (the
    quadratic through ``y0``, ``y1`` and ``f0`` it replaces misplaced spike times by
    ~4e-3 at rtol 1e-6). Outputs at step ends are exact.
    """

    family = "exponential-rosenbrock"
    dense_degree = 3
    dense_carry_rows = 3
    orders: ClassVar[tuple[int, int]]
    """(order, order of the embedded solution)."""

    @property
    def order(self) -> int:  # type: ignore[override]
        """Order of the propagated solution."""
        return self.orders[0]

    @property
    def error_order(self) -> int:  # type: ignore[override]
        """Order of the embedded solution."""
        return self.orders[1]

    def _linearise(self, rhs, t, y, args):
        """The :class:`Linearisation` at ``(t, y)`` (``J``, ``f0``, ``v``)."""
        f0, v = f_and_dfdt(rhs, t, y, args)
        return Linearisation(rhs, t, y, args, DenseOperator(rhs.jac(t, y, args)), f0, v)

    def dense_carry(self, dense_info):
        """``[y0; y1; f0]`` of the step."""
        return jnp.stack(dense_info)

    def dense_from_carry(self, rhs, args, t, dt, carry):
        """``((y0, Q), 1)``: the cubic Hermite interpolant's monomial rows, ``f`` at the
        step end evaluated here (1 evaluation)."""
        y0, y1, f0 = carry[0], carry[1], carry[2]
        f1 = jnp.asarray(rhs(t + dt, y1, args), y0.dtype)
        return (y0, hermite_q(dt, y0, y1, f0, f1)), 1

    def restep_value(self, rhs, args, t, carry):
        """``value(ti)``: the state at ``ti`` by one step of the method itself from the
        step's start ``(t, y0)`` over ``ti - t``, as accurate as the step. The event
        location uses it (:meth:`~modelc.solvers.loop.Loop.dense` with ``hoisted``):
        where the method is exact (a linear problem) its steps span many time
        constants and no interpolant is accurate (the cubic Hermite misplaced the
        spike times of a leaky integrate-and-fire neuron by ~2 at rtol 1e-6)."""
        y0 = carry[0]
        return lambda ti: self.step(rhs, t, y0, ti - t, args, None)[0]

    def interpolate(self, dense_info, theta):
        """Not available without the rhs: the loop uses :meth:`dense_from_carry`."""
        raise NotImplementedError("exprb's dense output needs the rhs (dense_from_carry)")


@dataclass(frozen=True)
class ExpRB32(_ExpRosenbrock):
    """exprb32: order 3, exponential Rosenbrock--Euler (order 2) embedded.

    ``U = y + h phi_1 f + h^2 phi_2 v``; ``y1 = U + 2 h phi_3 D(U)``; error ``y1 - U``.
    """

    orders = (3, 2)
    weights = pt.EXPRB32

    def step(self, rhs, t, y, dt, args, state):
        """One step; ``(y1, err, (y, y1, f0), None, (2, 1, 0))``."""
        lin = self._linearise(rhs, t, y, args)
        op, f0, v = lin.op, lin.f0, lin.v
        (c,), (e,) = self.weights.c, self.weights.e
        u = y + op.combine(dt, [((0.0, 1.0), dt * f0), ((0.0, 0.0, 1.0), dt * dt * v)])
        d = lin.defect(c, dt, u)
        err = op.combine(dt, [(e, dt * d)])
        y1 = u + err
        return y1, err, (y, y1, f0), None, (2, 1, 0)


@dataclass(frozen=True)
class ExpRB43(_ExpRosenbrock):
    """exprb43: order 4 with an embedded order 3 solution (3 stages, c = 0, 1/2, 1)."""

    orders = (4, 3)
    weights = pt.EXPRB43

    def step(self, rhs, t, y, dt, args, state):
        """One step; ``(y1, err, (y, y1, f0), None, (3, 1, 0))``."""
        lin = self._linearise(rhs, t, y, args)
        op, f0, v = lin.op, lin.f0, lin.v
        (c2, c3), (b2, b3), (e2, e3) = self.weights.c, self.weights.b, self.weights.e
        h2 = c2 * dt
        u2 = y + op.combine(h2, [((0.0, 1.0), h2 * f0), ((0.0, 0.0, 1.0), h2 * h2 * v)])
        d2 = lin.defect(c2, dt, u2)
        u3 = y + op.combine(dt, [((0.0, 1.0), dt * (f0 + d2)), ((0.0, 0.0, 1.0), dt * dt * v)])
        d3 = lin.defect(c3, dt, u3)
        err = op.combine(dt, [(e2, dt * d2), (e3, dt * d3)])
        y1 = y + op.combine(dt, [((0.0, 1.0), dt * f0), ((0.0, 0.0, 1.0), dt * dt * v),
                                 (b2, dt * d2), (b3, dt * d3)])
        return y1, err, (y, y1, f0), None, (3, 1, 0)
