"""Rosenbrock (linearly implicit) steppers: Rodas5.

Per step: one Jacobian ``J = df/dy(t, y)``, one ``jax.jvp`` in ``t`` for
``f(t, y)`` and ``df/dt`` (so non-autonomous problems are exact, not finite
differences), one LU factorisation of ``W = I/(h gamma) - J`` and ``s``
triangular solves; no Newton iteration, so a step never fails to converge
(a singular ``W`` gives a non-finite error estimate, i.e. a rejected step with
a smaller ``h``).  The formulas are in :mod:`implicit_tableaus`.  Two hooks,
``mass_diagonal`` and ``mass_times``, let :mod:`.dae` run the same step on
``M y' = f`` with a constant diagonal mass matrix (index-1 DAEs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from jax import lax

from . import implicit_tableaus as itb
from .ops import combine
from .implicit import ImplicitStepper, f_and_dfdt, factor_w, solve_w
from .rolled import rosenbrock_stages, use_rolled
from .sparse import SparseW


@dataclass(frozen=True)
class Rosenbrock(ImplicitStepper):
    """Generic stiffly accurate Rosenbrock stepper; subclasses set ``tableau``."""

    family = "rosenbrock"
    sparse_jacobian = True   # issue 16 (network): only factor_w/solve_w see rhs.jac

    tableau: ClassVar[itb.RosenbrockTableau]
    roll: bool | None = None  # rolled stages (issue 16): True, False, or None = by size (.rolled)

    @property
    def dense_degree(self) -> int:  # type: ignore[override]
        """Degree of the continuous extension."""
        return self.tableau.H.shape[0] + 1

    def step(self, rhs, t, y, dt, args, state):
        """One step; returns ``(y1, err, (y0, Q), None, (nfe, njev, nlu))``."""
        tab = self.tableau
        s = tab.stages
        f0, dfdt = f_and_dfdt(rhs, t, y, args)
        lu = factor_w(rhs.jac(t, y, args), 1.0 / (dt * tab.gamma), self.mass_diagonal(y))
        inv_dt = 1.0 / dt
        # --- rolled stages (issue 16 item 4): one rhs and one solve in the program ---
        if use_rolled(self.roll, rhs, t, y, args, iterative_solve=isinstance(lu, SparseW)):
            # mass_times: the mass-matrix hook of M y' = f (dae branch), the identity for ODEs
            mass_times = getattr(self, "mass_times", lambda v: v)
            K = rosenbrock_stages(rhs, t, y, dt, args, tab, lambda b: solve_w(lu, b),
                                  (f0, dfdt, mass_times))
            ks = [K[i] for i in range(s)]
            y1 = lax.add(lax.add(y, combine(ks[:-1], tab.a[s - 1, : s - 1])), ks[-1])
            return y1, ks[-1], (y, self._dense_q(y, y1, ks)), None, (s, 1, 1)
        # --- end rolled stages ---
        ks = []
        for i in range(s):
            if i == 0:
                fi = f0
            else:
                yi = lax.add(y, combine(ks, tab.a[i, :i]))
                fi = rhs(t + float(tab.c[i]) * dt, yi, args)
            b = fi
            if i > 0:
                b = lax.add(b, self.mass_times(lax.mul(inv_dt, combine(ks, tab.C[i, :i]))))
            if tab.d[i] != 0.0:
                b = lax.add(b, lax.mul(float(tab.d[i]) * dt, dfdt))
            ks.append(solve_w(lu, b))
        y1 = lax.add(lax.add(y, combine(ks[:-1], tab.a[s - 1, : s - 1])), ks[-1])
        return y1, ks[-1], (y, self._dense_q(y, y1, ks)), None, (s, 1, 1)

    # Mass-matrix hooks (``M y' = f``): the identity for ODEs, so that the ODE step
    # traces exactly as without them; `modelc.solvers.dae.MassRodas5` overrides both.
    def mass_diagonal(self, y):
        """The diagonal of the mass matrix ``M`` (None: the identity)."""
        return None

    def mass_times(self, v):
        """``M v`` (the identity: ``v`` itself)."""
        return v

    def _dense_q(self, y0, y1, ks):
        """Monomial rows of ``(1-th) y0 + th (y1 + (1-th) sum_j th**j K_j)``."""
        kd = [combine(ks, row) for row in self.tableau.H]
        rows = [y1 - y0 + kd[0]]
        rows += [kd[j] - kd[j - 1] for j in range(1, len(kd))]
        rows.append(-kd[-1])
        return lax.concatenate([r[None] for r in rows], 0)


class Rodas5(Rosenbrock):
    """Rodas5 (Di Marzo 1993): order 5, L-stable, stiffly accurate, 8 stages,
    embedded order 4 estimate (the last stage), 4th order dense output."""

    tableau = itb.RODAS5
