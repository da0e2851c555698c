"""etdrk43: adaptive ETDRK4 with an embedded third-order estimate, for a split ``f = L y + N``.

Design.  The fixed-step ETD methods of :mod:`.expint` need only ``phi_k(hL)``
of the split's operator -- elementwise functions for a diagonal (also a
Fourier diagonal behind an FFT pair) or scalar ``L`` -- so they scale to
spectral PDEs with 10^4+ unknowns, where exprb32/exprb43 would need a dense
Jacobian and its exponential.  etdrk43 keeps that property and adds an error
estimate at no extra evaluation of ``N`` per accepted step:

* the propagated solution is Cox--Matthews ETDRK4 (order 4, stages at
  ``c = 0, 1/2, 1/2, 1``; weights ``b_1 = phi_1 - 3 phi_2 + 4 phi_3``,
  ``b_2 = b_3 = 2 phi_2 - 4 phi_3``, ``b_4 = 4 phi_3 - phi_2`` of ``hL``);
* the embedded solution takes the same weights, which are those of
  Cox--Matthews ETDRK3 (nodes 0, 1/2, 1) with the midpoint value split in two,
  but evaluates the end node at the new solution, ``N(t + h, y1)``, instead
  of at the fourth stage ``c``.  The nodes' values are then accurate to
  ``O(h^3)`` (midpoint: the average of stages 2 and 3, as in classical RK4)
  and ``O(h^5)`` (end point), and the weights integrate ``e^{(h-s)L} N(s)``
  exactly for quadratic ``N(s)``, so the embedded solution has classical
  order 3.  Their difference is one term,

      ``err = y1 - y1_hat = h (4 phi_3(hL) - phi_2(hL)) (N(c) - N(t + h, y1))``,

  damped like ``1 / |hL|`` on stiff modes (``phi_k(z) ~ 1/|z|`` for
  ``z -> -inf``), so the estimate measures ``N``'s variation, not ``L``'s;
* ``N(t + h, y1)`` is the first stage of the next step (first same as last):
  4 evaluations of ``N`` per step, as fixed-step ETDRK4 (5 when ``L``
  depends on time, where the frozen nonlinearity changes from step to step).

The estimate, of order 3 while the solution is of order 4 (local
extrapolation, as in the Dormand--Prince pairs), drives the shared PI
controller of :mod:`.loop` (``error_order = 3``).  The first step is chosen
by Hairer's rule applied to ``dy/dt = N`` alone (``controller_rhs``): ``L``
is integrated exactly, so only ``N``'s scale and variation should limit it.
Dense output is exponential, like the step: ``N`` is interpolated in time by
the quadratic through ``N(t, y0)``, ``N(t + h/2, y_m)`` and ``N(t + h, y1)``
(``y_m`` from the ETD2 formula with ``N`` linear between the ends, accurate to
``O(h^3)``) and integrated exactly against ``e^{(s - r) L}``:

    ``y(t + s) = e^{sL} y0 + s (phi_1 n0 + theta phi_2 c1 + 2 theta^2 phi_3 c2)``,

``phi_k`` of ``sL``, ``s = theta h``, ``N ~ n0 + c1 theta + c2 theta^2``: local
error ``O(h^4)`` (as a cubic Hermite interpolant) but exact in ``L``.  A
polynomial interpolant of ``y`` would not be: a stiff mode decaying by
``e^{-h|L|}`` within the step is no cubic, and with ``f = L y`` at the ends the
Hermite cubic overshoots by about ``h |L|`` times the mode's amplitude (on a
linear problem, where the estimate is zero and the steps unbounded, the
Hermite output was off by 1e-4 at rtol 1e-8).  3 evaluations of ``N`` and
the phi-functions of ``theta h L`` per output, only for steps that carry one.

Why not a Lawson (integrating-factor) pair such as Lawson-Dormand--Prince:
the integrating factor moves the stiff ``L`` into the transformed
nonlinearity ``e^{-tL} N(e^{tL} v)``, whose derivatives grow like powers of
``|L|``; on Kuramoto--Sivashinsky this makes integrating-factor methods need
steps near explicit stability limits for 1e-6 accuracy (Kassam & Trefethen,
SIAM J. Sci. Comput. 26, 2005, Fig. 5).  ETD quadrature keeps the error
constants bounded in ``hL``.  Related embedded ETD pairs: Whalen, Brio &
Moloney, J. Comput. Phys. 280 (2015).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import jax.numpy as jnp
from jax import lax

from .stepper import AdaptiveStepper, ExtraDenseStagesStepper
from .expint import ETDRK4
from . import phi_tableaus as pt
from .phi import DiagonalOperator

__all__ = ["ETDRK43"]

_ERROR_WEIGHT = pt.ETDRK43.e[3]
"""``4 phi_3 - phi_2`` (:data:`~.phi_tableaus.ETDRK43`)."""

_PHIS = {0.5: 1, 1.0: 3}
"""The phi-functions of a step: ``phi_0, phi_1`` of ``hL/2`` (stages) and
``phi_0..phi_3`` of ``hL`` (update, estimate); 6 arrays."""


@dataclass(frozen=True)
class ETDRK43(ETDRK4, AdaptiveStepper, ExtraDenseStagesStepper):
    """Adaptive ETDRK4 with an embedded order-3 estimate (module docstring); FSAL.

    ``cache_phis`` (set by the coefficient-basis loop,
    :func:`~modelc.solvers.coefficients.stepping_in_coefficients`, for a constant
    diagonal ``L``): the stepper state is ``[N(y); phi rows; h]``, the
    phi-functions of the last accepted step packed like the state, and they are
    recomputed (``lax.cond``) only when the step size changes.
    """

    order = 4
    error_order = 3
    dense_carry_rows = 2
    cache_phis: bool = False

    def with_cached_phis(self):
        """This stepper with ``cache_phis`` switched on."""
        return dataclasses.replace(self, cache_phis=True)

    def init(self, rhs, t0, y0, args):
        """``N(t0, y0)``, the first stage of the first step (1 evaluation); with
        ``cache_phis`` followed by empty phi rows and ``h = 0`` (nothing cached)."""
        _, n = rhs.frozen(t0, args)
        n0 = n(t0, y0)
        if not self.cache_phis:
            return n0, 1
        rows = cache_rows(rhs.operator(t0, args).d)
        return jnp.concatenate([n0[None], jnp.zeros((rows, n0.shape[0]), n0.dtype)]), 1

    def controller_rhs(self, rhs, dtype):
        """The rhs the controller's automatic first step sees: ``N`` alone."""
        nonlinear = rhs.split.nonlinear
        return lambda t, y, a: jnp.asarray(nonlinear(t, y, a), dtype)  # noqa: E731

    def step(self, rhs, t, y, dt, args, state):
        """One step: ``(y1, err, (y, y1), state, nfe)`` with the state ``N(t + h, y1)``
        (and the phi rows); ``nfe`` 4 (5 for a time-dependent ``L``)."""
        op, n = rhs.frozen(t, args)
        constant = rhs.split.constant
        if self.cache_phis:
            n0, (phis, rows) = state[0], _cached_phis(op, dt, state[1:])
        else:
            n0 = state if constant else n(t, y)
            phis = op.step_phis(dt, _PHIS) if isinstance(op, DiagonalOperator) else None
        y1, nc = self.advance(op, n, t, y, dt, n0, rhs.nonlinear_in_basis(args), phis)
        n1 = n(t + dt, y1)
        terms = [(_ERROR_WEIGHT, dt * (nc - n1))]
        err = op.combine(dt, terms) if phis is None else op.combine(dt, terms, phis[1.0])
        state1 = jnp.concatenate([n1[None], rows]) if self.cache_phis else n1
        return y1, err, (y, y1), state1, 4 if constant else 5

    def dense_carry(self, dense_info):
        """``[y0; y1]`` of the step."""
        y0, y1 = dense_info
        return jnp.stack([y0, y1])

    def dense_from_carry(self, rhs, args, t, dt, carry):
        """The exponential continuous extension (module docstring) from ``[y0; y1]``:
        ``N`` at both ends and at the midpoint of an ETD2 predictor; 3 evaluations of ``N``."""
        y0, y1 = carry[0], carry[1]
        op, n = rhs.frozen(t, args)
        n0, n1 = n(t, y0), n(t + dt, y1)
        half = 0.5 * dt
        ym = op.combine(half, [((1.0,), y0), ((0.0, 1.0), half * n0),
                               ((0.0, 0.0, 0.5), half * (n1 - n0))])
        nm = n(t + half, ym)
        c1 = 4.0 * nm - 3.0 * n0 - n1
        c2 = 2.0 * (n0 + n1) - 4.0 * nm
        return (op, dt, y0, n0, c1, c2), 3

    @staticmethod
    def eval_dense_poly(poly, theta):
        """``e^{s L} y0 + s (phi_1 n0 + theta phi_2 c1 + 2 theta^2 phi_3 c2)``, phi_k of
        ``s L`` with ``s = theta h``: the quadratic in time through ``N`` at 0, h/2, h,
        integrated exactly."""
        op, dt, y0, n0, c1, c2 = poly
        s = theta * dt
        return op.combine(s, [((1.0,), y0), ((0.0, 1.0), s * n0),
                              ((0.0, 0.0, 1.0), s * theta * c1),
                              ((0.0, 0.0, 0.0, 2.0), s * theta * theta * c2)])

    def interpolate(self, dense_info, theta):
        """Not available without the rhs: the loop uses :meth:`dense_from_carry`."""
        raise NotImplementedError("etdrk43's dense output needs the rhs (dense_from_carry)")


def _cached_phis(op, dt, cache):
    """``(table, rows)``: the phi-functions of ``dt`` (:data:`_PHIS`) for a diagonal
    ``op`` whose basis is packed coefficients (``[Re c; Im c]``, the rows of the
    state), from ``cache`` (their rows and a last row holding their step) when its
    step is ``dt``, else evaluated afresh; ``rows`` is the new cache.  A complex
    phi-function takes a row ``[Re; Im]``, two real ones share a row."""
    m = cache.shape[1] // 2
    real = not jnp.iscomplexobj(op.d)
    count = sum(k + 1 for k in _PHIS.values())

    def fresh():
        table = op.step_phis(dt, _PHIS)
        values = [jnp.broadcast_to(p, (m,)) for c in _PHIS for p in table[c]]
        if real:
            values += [jnp.zeros_like(values[0])] * (count % 2)
            rows = [jnp.concatenate(values[i:i + 2]) for i in range(0, len(values), 2)]
        else:
            rows = [jnp.concatenate([v.real, v.imag]) for v in values]
        rows.append(jnp.full_like(rows[0], dt))
        return jnp.stack(rows).astype(cache.dtype)

    rows = lax.cond(cache[-1, 0] == dt, lambda: cache, fresh)
    if real:
        values = [r[i * m:(i + 1) * m] for r in rows[:-1] for i in (0, 1)]
    else:
        values = [lax.complex(r[:m], r[m:]) for r in rows[:-1]]
    table, start = {}, 0
    for c, k in _PHIS.items():
        table[c], start = values[start:start + k + 1], start + k + 1
    return table, rows


def cache_rows(d) -> int:
    """Rows of the phi cache (with the step's row) for a diagonal ``d`` (real or complex)."""
    count = sum(k + 1 for k in _PHIS.values())
    return (count + 1) // 2 + 1 if not jnp.iscomplexobj(d) else count + 1
