"""ESDIRK steppers with simplified Newton iterations: Kvaerno5.

Stage ``i`` solves ``z = g_i + h gamma f(t_i, z)`` with
``g_i = y + h sum_{j<i} a_ij k_j``.  Per step the Jacobian is evaluated once,
at ``(t, y)``, and ``W = I/(h gamma) - J`` is factorised once; every Newton
iteration of every stage reuses the factors (``dz = W^-1 (f(z) - (z - g)/(h
gamma))``).  The stage derivative is taken from the stage equation,
``k_i = (z_i - g_i) / (h gamma)``, not from a further rhs evaluation, which
keeps stiff components damped.  The Newton start is ``g_i + h gamma sum_j
p_ij k_j`` (the tableau's predictor).

Convergence (Hairer--Wanner IV.8): with the contraction estimate
``theta = |dz_m| / |dz_{m-1}|`` (scaled RMS norm, 1 = the tolerance) and
``eta = theta / (1 - theta)`` (carried into the next stage for its first
iteration, starting from 1), a stage has converged when ``eta |dz_m| <=
kappa``.  ``theta >= 1``, a non-finite update or ``max_iters`` iterations
without convergence fail the step: the error estimate is then infinite, the
controller rejects the step and retries with a smaller one.

Dense output: the cubic Hermite interpolant through ``(y0, f0)`` and
``(y1, f1)`` (``f1 = k_s``, carried to the next step: first same as last).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from . import implicit_tableaus as itb
from .stepper import FSALStepper
from .ops import rms, select
from .implicit import ImplicitStepper, factor_w, hermite_q, solve_w
from .rolled import use_rolled
from .sparse import SparseMatrix


class Newton(NamedTuple):
    """The simplified-Newton setup of one step: the factors of ``W = I/(h gamma) - J``,
    ``h gamma``, its inverse and the error scale ``atol + rtol |y|``."""

    w: Any
    hg: Any
    inv_hg: Any
    scale: Any


@dataclass(frozen=True)
class ESDIRK(ImplicitStepper, FSALStepper):
    """Generic stiffly accurate ESDIRK stepper; subclasses set ``tableau``.

    ``kappa`` is the Newton tolerance relative to the step tolerance,
    ``max_iters`` the iteration limit per stage.
    """

    family = "esdirk"
    sparse_jacobian = True   # issue 16 (network): only factor_w/solve_w see rhs.jac

    tableau: ClassVar[itb.ESDIRKTableau]
    dense_degree: ClassVar[int] = 3
    kappa: float = 0.01
    max_iters: int = 10
    roll: bool | None = None  # reverse mode's exact stage steps rolled: True, False, None = by size

    def init(self, rhs, t0, y0, args):
        """The first stage of each step is ``f(t, y)`` (carried; 1 evaluation here)."""
        return rhs(t0, y0, args), 1

    def step(self, rhs, t, y, dt, args, state):
        """One step; returns ``(y1, err, (y0, Q), f1, (nfe, njev, nlu))``."""
        ks, ok, nfe = self._newton_stages(rhs, t, y, dt, args, state)
        return self._finish(y, dt, ks, ok) + ((nfe, 1, 1),)

    def _finish(self, y, dt, ks, ok):
        """``(y1, err, (y0, Q), f1)`` from the stage derivatives ``ks`` (``y`` and an
        infinite error unless ``ok``)."""
        tab = self.tableau
        y1 = select(ok, y + lax.mul(dt, jnp.asarray(tab.b, y.dtype) @ ks), y)
        err = select(ok, lax.mul(dt, jnp.asarray(tab.e, y.dtype) @ ks), jnp.inf)
        f1 = ks[-1]
        return y1, err, (y, hermite_q(dt, y, y1, ks[0], f1)), f1

    def _newton_stages(self, rhs, t, y, dt, args, state):
        """The stage derivatives of one step by simplified Newton: ``(ks, ok, nfe)``."""
        tab = self.tableau
        hg = dt * tab.gamma
        w = factor_w(rhs.jac(t, y, args), 1.0 / hg)
        ks = jnp.zeros((tab.stages, y.shape[0]), y.dtype).at[0].set(state)
        newton = Newton(w, hg, 1.0 / hg, rhs.atol + rhs.rtol * jnp.abs(y))
        return self._stages(rhs, (t, y, dt, args), ks, newton)

    def differentiable_step(self, rhs, t, y, dt, args, state):
        """:meth:`step` for reverse mode (the discrete adjoint).

        The Newton ``while_loop`` runs on constants (``stop_gradient``); then
        every stage takes one more Newton step with its exact Jacobian, so its
        derivative is the implicit-function one, ``(I/(h gamma) - J)^-1
        (dg/(h gamma) + df/dp)`` (the converged residual carries no tangent).
        Those exact steps run as a loop over the tableau's rows (rolled, one
        Jacobian, factorisation and solve in the program) under the rule of
        :func:`~.rolled.use_rolled` (``roll``; else the rhs's size or a Krylov solve of
        a sparse ``W``), unrolled in Python otherwise.
        """
        sg = lax.stop_gradient
        tab = self.tableau
        ks_c, ok, nfe = self._newton_stages(rhs, sg(t), sg(y), sg(dt), sg(args), sg(state))
        hg, dtype = dt * tab.gamma, y.dtype
        a, c = jnp.asarray(tab.a, dtype), jnp.asarray(tab.c, dtype)

        def exact(i, ks):   # stage i's exact Newton step from its converged value
            g = y + lax.mul(dt, a[i] @ ks)
            z_c = sg(g + hg * ks_c[i])
            ti = t + c[i] * dt
            w = factor_w(rhs.jac(ti, z_c, args), 1.0 / hg)
            z = z_c + solve_w(w, rhs(ti, z_c, args) - (z_c - g) / hg)
            return ks.at[i].set((z - g) / hg)

        ks = jnp.zeros_like(ks_c).at[0].set(state)
        sparse_w = isinstance(jax.eval_shape(rhs.jac, t, y, args), SparseMatrix)
        if use_rolled(self.roll, rhs, t, y, args, iterative_solve=sparse_w):
            ks = lax.fori_loop(1, tab.stages, exact, ks)
        else:
            for i in range(1, tab.stages):
                ks = exact(i, ks)
        return self._finish(y, dt, ks, ok) + ((nfe, 1, 1),)

    def _stages(self, rhs, point, ks, newton: Newton):
        """All implicit stages of the step from ``point = (t, y, dt, args)`` in one
        ``while_loop`` (one rhs evaluation and one solve per iteration; the stage index
        is part of the carry, so the body is compiled once, not once per stage).
        Returns ``(ks, ok, nfe)``."""
        t, y, dt, args = point
        w, hg, inv_hg, scale = newton
        tab = self.tableau
        s, kappa, max_iters = tab.stages, float(self.kappa), int(self.max_iters)
        dtype = y.dtype
        a, pred = jnp.asarray(tab.a, dtype), jnp.asarray(tab.predictor, dtype)
        c = jnp.asarray(tab.c, dtype)

        def start(i, ks):  # base g_i and Newton start z0 of stage i
            g = y + lax.mul(dt, a[i] @ ks)
            return g, g + lax.mul(hg, pred[i] @ ks)

        def cond(carry):
            i, _, _, _, _, _, _, ok, _ = carry
            return ok & (i < s)

        def body(carry):
            i, it, z, g, ks, dn_prev, eta, _, nfe = carry
            dz = solve_w(w, rhs(t + c[i] * dt, z, args) - lax.mul(inv_hg, z - g))
            z = z + dz
            dn = rms(dz / scale)
            theta = dn / select(it == 0, 1.0, dn_prev)
            eta = select(it == 0, eta, theta / jnp.maximum(1.0 - theta, 1e-3))
            bad = ~jnp.isfinite(dn) | ((it > 0) & (theta >= 1.0))
            done = ~bad & ((eta * dn <= kappa) | (dn <= 1e-12))
            ok = ~bad & (done | (it + 1 < max_iters))
            ks_done = lax.dynamic_update_index_in_dim(ks, lax.mul(inv_hg, z - g), i, 0)
            g_next, z_next = start(jnp.minimum(i + 1, s - 1), ks_done)
            i_next = i + done.astype(i.dtype)
            return (i_next, select(done, 0, it + 1), select(done, z_next, z),
                    select(done, g_next, g), select(done, ks_done, ks), dn,
                    select(done, jnp.maximum(eta, 1e-10) ** 0.8, eta), ok, nfe + 1)

        g1, z1 = start(1, ks)
        one = jnp.ones((), dtype)
        init = (jnp.asarray(1, jnp.int32), jnp.asarray(0, jnp.int32), z1, g1, ks, one, one,
                jnp.asarray(True), jnp.asarray(0, jnp.int32))
        out = lax.while_loop(cond, body, init)
        return out[4], out[7], out[8]


class Kvaerno5(ESDIRK):
    """Kvaerno's 5(4) ESDIRK: 7 stages (6 implicit, gamma = 0.26), L-stable,
    stiffly accurate, embedded order 4; cubic Hermite dense output."""

    tableau = itb.KVAERNO5
