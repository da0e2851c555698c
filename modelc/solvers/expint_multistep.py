"""Exponential Adams--Bashforth methods etdab2, etdab3, etdab4 for ``f = L y + N``.

Formula (Cox & Matthews, J. Comput. Phys. 176 (2002), "ETDs" multistep
methods; here for variable node spacing).  With a constant ``L``,

    ``y(t_n + h) = e^{hL} y_n + h int_0^1 e^{(1 - theta) hL} N(t_n + theta h) dtheta``.

An ``s``-step method replaces ``N`` by the polynomial ``P(theta)`` of degree
``s - 1`` through the last ``s`` values ``N_j = N(t_{n-j}, y_{n-j})`` at the
node offsets ``theta_j = (t_{n-j} - t_n) / h`` (``theta_0 = 0``; ``-j`` for
uniform steps).  Writing ``P(theta) = sum_m A_m theta^m`` with ``A_m = sum_j
C_mj N_j`` (``C``: the monomial coefficients of the Lagrange polynomials of the
nodes, :func:`lagrange_monomials`, an ``s x s`` scalar computation per step)
and using ``int_0^1 e^{(1 - theta) z} theta^m dtheta = m! phi_{m+1}(z)``,

    ``y_{n+1} = e^{hL} y_n + h sum_{m < s} m! phi_{m+1}(hL) A_m``:

one evaluation of ``N`` per step and one phi-combination of ``s + 1``
vectors; the weights of ``N_j`` are ``h sum_m m! C_mj phi_{m+1}(hL)``
(:func:`node_weights`; the classical uniform-step weights of Cox & Matthews
for ``theta_j = -j``).  The node offsets follow from the past step sizes,
kept in the stepper state (:class:`~modelc.solvers.stepper.MultistepState`: the
values ``N_{n-1}, ..., N_{n-s+1}`` as rows next to ``y``, the count of
filled entries and the signed sizes ``h_{n-1}, ..., h_{n-s+1}`` as scalars),
so the steps the loop shortens to land on output times keep the order.
The local error is ``O(h^{s+1})``, the global ``O(h^s)``.

Start: while fewer than ``s - 1`` past values are stored, the step is an
ETDRK4 step (order 4, its first stage the same ``N(t_n, y_n)`` that fills the
history), chosen by ``lax.switch`` so the loop body is one program.  The
same switch takes the common step (the past steps all equal this one, the
loop's nominal step): for a diagonal ``L`` its weights ``w_j`` are then loop
invariants (phi-functions of the nominal step, constant Lagrange
coefficients), and the step is ``e^{hL} y_n + h sum_j w_j N_j``, one fused
multiply-add per vector (combining the monomial vectors with the
phi-functions in every step cost 2x the hand-written code on a 128 x 128
grid); other steps compute ``C`` from the traced offsets.  ``nfe``:
4 per starting step, 1 per multistep step (``startup_nfe``).  Under ``vmap``
the ``switch`` becomes a select and every step evaluates all branches (5
evaluations of ``N``); the reported ``nfe`` counts what one member needs.

Only a constant ``L`` (diagonal, also in a Fourier basis, dense or scalar):
a time-dependent ``L`` would change the propagator between the nodes.  The
phi-functions of the nominal step are loop invariants
(:meth:`~modelc.solvers.phi.DiagonalOperator.step_phis`).  Multistep
methods are for smooth problems at tight tolerances, where one evaluation
per step beats a four-stage method; their stability region is smaller than
ETDRK4's when ``N`` is stiff (e.g. stiff reactions), and a constant step
cannot react to fast transients.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import jax.numpy as jnp
from jax import lax

from .expint import ETDRK4
from .stepper import ConstantLinearStepper, MultistepState
from .phi import step_combiner

__all__ = ["ETDAB", "ETDAB2", "ETDAB3", "ETDAB4", "lagrange_monomials", "node_weights"]


def lagrange_monomials(thetas) -> list:
    """``C[m][j]``: the coefficient of ``theta^m`` in the Lagrange polynomial of node
    ``j`` for the nodes ``thetas`` (distinct scalars, Python floats or traced)."""
    s = len(thetas)
    rows = [[None] * s for _ in range(s)]
    for j in range(s):
        poly, denom = [1.0], 1.0  # coefficients of prod_{k != j} (theta - theta_k), low first
        for k in range(s):
            if k == j:
                continue
            shifted = [0.0] + poly
            poly = [a - thetas[k] * b for a, b in zip(shifted, poly + [0.0])]
            denom = denom * (thetas[j] - thetas[k])
        for m in range(s):
            rows[m][j] = poly[m] / denom
    return rows


def node_weights(thetas, phis) -> list:
    """``[w_0, ..., w_{s-1}]`` with ``y_{n+1} = e^{hL} y_n + h sum_j w_j N_j``:
    ``w_j = sum_m m! C_mj phi_{m+1}`` for ``phis = [phi_0, ..., phi_s]`` of ``hL``
    (the uniform-step weights of a diagonal operator, loop invariants; a step with
    other nodes combines the monomial vectors ``A_m`` instead)."""
    c = lagrange_monomials(thetas)
    s = len(thetas)
    return [sum(math.factorial(m) * c[m][j] * phis[m + 1] for m in range(s)) for j in range(s)]


def _monomial_terms(nodes, values, dt):
    """The phi-combination terms ``(m! e_{m+1}, h A_m)`` of the step for ``values``
    ``N_j`` at offsets ``nodes`` (``A_m = sum_j C_mj N_j``)."""
    c = lagrange_monomials(nodes)
    terms = []
    for m, row in enumerate(c):
        a = None
        for cj, v in zip(row, values):
            a = cj * v if a is None else a + cj * v
        coeffs = (0.0,) * (m + 1) + (float(math.factorial(m)),)
        terms.append((coeffs, dt * a))
    return terms


class ETDAB(ConstantLinearStepper):
    """Exponential Adams--Bashforth of ``order`` steps (module docstring); fixed step."""

    order: int
    family = "exponential-multistep"

    @property
    def name(self) -> str:
        """The method's name in ``METHODS``."""
        return f"etdab{self.order}"

    def init(self, rhs, t0, y0, args):
        """Empty history: ``s - 1`` zero rows, count 0 and zero past steps."""
        s = self.order
        return MultistepState(jnp.zeros((s - 1,) + y0.shape, y0.dtype),
                           jnp.zeros((s,), y0.dtype)), 0

    def startup_nfe(self, steps):
        """The starting ETDRK4 steps' evaluations beyond the one every step makes."""
        return 3 * jnp.minimum(steps, self.order - 1)

    def step(self, rhs, t, y, dt, args, state):
        """One step: ``(y1, None, None, history, 1)`` (an ETDRK4 step, 3 evaluations
        more, while the history is filling: :meth:`startup_nfe`)."""
        if not rhs.split.constant:
            raise ValueError(f"{self.name} needs a constant linear operator L (exponential "
                             "Adams-Bashforth integrates e^{hL} over several past steps); "
                             "this split's L depends on t: use etdrk4 or etdrk43")
        s = self.order
        op, n = rhs.frozen(t, args)
        # block = [y; N_{n-1}; ...; N_{n-s+1}], the loop's buffer: the branches below
        # slice it themselves, so the switch takes no copies of rows.
        block, scalars = state.rows, state.scalars
        count, steps = scalars[0], scalars[1:]
        n0 = n(t, y)
        uniform = jnp.all(steps == dt)  # past steps all equal this one: nodes 0, -1, ...

        def multistep(comb, nodes):
            values = [n0] + [block[j] for j in range(1, s)]
            return comb(1.0, [((1.0,), block[0])] + _monomial_terms(nodes, values, dt))

        def variable_nodes():  # after a step shortened to land on an output time
            nodes, offset = [0.0], 0.0
            for j in range(s - 1):
                offset = offset - steps[j]
                nodes.append(offset / dt)
            return nodes

        uniform_nodes = [-float(j) for j in range(s)]
        nominal = getattr(op, "nominal", None)
        if nominal is None:
            comb = step_combiner(op, dt, {1.0: s})
            general = lambda: multistep(comb, variable_nodes())  # noqa: E731
            common = lambda: multistep(comb, uniform_nodes)  # noqa: E731
        else:
            # The common step (uniform nodes, the nominal step): the weights of the
            # N_j are loop invariants (phi-functions of the nominal step, constant
            # Lagrange coefficients), so the step is one multiply-add per vector.
            fixed = op._replace(nominal=None)
            phis = fixed.step_phis(nominal, {1.0: s})[1.0]
            weights = node_weights(uniform_nodes, phis)
            uniform = uniform & (dt == nominal)
            general = lambda: multistep(step_combiner(fixed, dt, {1.0: s}),  # noqa: E731
                                        variable_nodes())
            to = op.to_basis
            acc = phis[0] * to(block[0]) + dt * weights[0] * to(n0)
            for j in range(1, s):
                acc = acc + dt * weights[j] * to(block[j])
            y_common = op.from_basis(acc, not jnp.iscomplexobj(y))
            common = lambda: y_common  # noqa: E731

        def starting():
            return ETDRK4().advance(op, n, t, block[0], dt, n0, rhs.nonlinear_in_basis(args))[0]

        # 0: history not yet filled; 1: the common step; 2: other nodes or step size
        branch = jnp.where(count < s - 1, 0, jnp.where(uniform, 1, 2))
        y1 = lax.switch(branch, [starting, common, general])
        rows = jnp.concatenate([n0[None], block[1:s - 1]])
        new = jnp.concatenate([jnp.minimum(count + 1, s - 1)[None], jnp.asarray(dt, y.dtype)[None],
                               steps[:-1]])
        return y1, None, None, MultistepState(rows, new), 1


@dataclass(frozen=True)
class ETDAB2(ETDAB):
    """Exponential Adams--Bashforth, 2 steps; order 2."""

    order = 2


@dataclass(frozen=True)
class ETDAB3(ETDAB):
    """Exponential Adams--Bashforth, 3 steps; order 3."""

    order = 3


@dataclass(frozen=True)
class ETDAB4(ETDAB):
    """Exponential Adams--Bashforth, 4 steps; order 4."""

    order = 4
