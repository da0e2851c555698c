"""Index-1 differential-algebraic systems ``M y' = f(t, y)`` with a diagonal 0/1 mass matrix.

A model with constraints that SymPy could not eliminate is solved in
mass-matrix form: ``M = diag(1 for differential states, 0 for algebraic
ones)``; the rows of ``f`` of the algebraic states are the constraint
residuals ``lhs - rhs`` (`modelc.codegen.scalar`).  For index 1 (the Jacobian
block of the residuals in the algebraic states is nonsingular) this is what
Rosenbrock methods are built for (Hairer & Wanner, *Solving ODEs II*, VI.4):
the stage equations of Rodas5 become

    (M/(h gamma) - J) k_i = f(t + c_i h, y + sum_j a_ij k_j) + M sum_j (C_ij/h) k_j + d_i h f_t

and nothing else changes: Rodas5 is stiffly accurate, so ``y1`` (the last
stage's argument plus ``k_s``) satisfies the constraints to the tolerance,
the embedded error estimate is again ``k_s``, in the same norm for every
component (as in Hairer's RODAS code, which takes index-1 problems only; the
``h``-scaling of index-2/3 components in RADAU5 does not arise), and the
4th-order continuous extension applies (OrdinaryDiffEq uses
the same one for mass-matrix problems).  :class:`MassRodas5` is Rodas5 with
the two mass hooks of :class:`~.rosenbrock.Rosenbrock` filled in; the ODE
Rodas5 is untouched.

The initial values of the algebraic states are starting guesses:
:func:`consistent_initial` solves the residuals for them at ``t0`` by Newton's
method (the differential states fixed).  :func:`integrate_dae` ties both
together; a Newton iteration that does not converge gives the status
:attr:`~.loop.Status.INCONSISTENT_INITIAL` and NaN outputs after ``t0``.

Explicit and other implicit methods are refused (`dae_stepper`): they would
need the constraint solved at every stage.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .adjoint import BacksolveAdjoint
from .implicit import make_jacobian
from .integrate import IntegrateOptions, Problem, check_tolerance, integrate_options, integrate_stepper
from .loop import RawSolution, Status
from .ops import rms
from .rosenbrock import Rodas5

__all__ = ["MassRodas5", "DAE_METHODS", "dae_stepper", "consistent_initial", "integrate_dae",
           "NEWTON_MAX_ITERATIONS", "ConsistentAfterEvents"]

DAE_METHODS = ("rodas5", "auto")
"""The methods that solve a DAE (``auto`` chooses rodas5 with the mass matrix)."""

NEWTON_MAX_ITERATIONS = 50
"""Newton iterations of the consistent initialisation before it gives up."""

# Newton stops once its update is this small in the solve's error norm (atol + rtol |z|);
# one more (differentiable) step follows, which squares it.
_NEWTON_TOL = 1e-3


@dataclass(frozen=True)
class MassRodas5(Rodas5):
    """Rodas5 on ``M y' = f`` with ``M = diag(0 at the indices ``algebraic``, 1 elsewhere)``
    (module docstring). ``algebraic`` is a static tuple of state indices."""

    algebraic: tuple[int, ...] = ()
    # The sparse W of `modelc.solvers.sparse` is I/(h gamma) - J, without M: dense LU here.
    sparse_jacobian = False

    def mass_diagonal(self, y):
        """``M``'s diagonal in ``y``'s dtype (a constant)."""
        mask = np.ones(y.shape[0])
        mask[list(self.algebraic)] = 0.0
        return jnp.asarray(mask, y.dtype)

    def mass_times(self, v):
        """``M v``: ``v`` with its algebraic components zeroed."""
        return v * self.mass_diagonal(v)


def dae_stepper(method, algebraic) -> MassRodas5:
    """The stepper that solves a DAE with algebraic states ``algebraic`` by ``method`` (a name,
    or a `MassRodas5`, returned as it is).

    Raises:
        ValueError: for a method other than ``DAE_METHODS`` (naming them).
    """
    if isinstance(method, MassRodas5):
        return method
    name = method.lower() if isinstance(method, str) else method
    if name not in DAE_METHODS:
        raise ValueError(f"method {method!r} cannot solve a model with algebraic constraints (a DAE: "
                         f"states {list(algebraic)} are determined by constraints); use "
                         f"{' or '.join(DAE_METHODS)} (Rodas5 with the mass matrix)")
    return MassRodas5(algebraic=tuple(int(i) for i in algebraic))


def consistent_initial(rhs, jac, t0, y0, args, algebraic, tol):
    """``(y0 with consistent algebraic components, converged)``.

    Newton's method on the residual rows ``rhs(t0, y)[algebraic] = 0`` in the
    algebraic components of ``y`` (the differential ones fixed), from ``y0``'s
    values as the starting guess, with the Jacobian block ``jac[alg, alg]``;
    at most `NEWTON_MAX_ITERATIONS`, stopping once the update is small in the
    error norm of ``tol = (rtol, atol)``. The iteration runs without
    derivatives; one last Newton step carries them, which gives exactly the
    implicit-function derivative ``dz = -g_z^{-1} (g_x dx + g_p dp)`` (forward
    and reverse mode). ``converged`` is a traced bool.
    """
    idx = np.asarray(algebraic, dtype=np.int32)
    rtol, atol = (jnp.broadcast_to(jnp.asarray(v, y0.dtype), y0.shape)[idx] for v in tol)

    def update(z, y, a):
        y = y.at[idx].set(z)
        g = rhs(t0, y, a)[idx]
        return jnp.linalg.solve(jac(t0, y, a)[idx[:, None], idx[None, :]], g)

    def small(z, dz):
        return rms(dz / (atol + rtol * jnp.abs(z)))

    y0s, args_s = lax.stop_gradient(y0), jax.tree_util.tree_map(lax.stop_gradient, args)

    def cond(c):
        _, k, size = c
        return (k < NEWTON_MAX_ITERATIONS) & (size > _NEWTON_TOL)

    def body(c):
        z, k, _ = c
        dz = update(z, y0s, args_s)
        z1 = z - dz
        size = jnp.where(jnp.all(jnp.isfinite(z1)), small(z1, dz), -1.0)  # -1: stop, diverged
        return z1, k + 1, size

    start = (y0s[idx], jnp.asarray(0, jnp.int32), jnp.asarray(jnp.inf, y0.dtype))
    z, _, size = lax.while_loop(cond, body, start)
    z = lax.stop_gradient(z)
    z1 = z - update(z, y0, args)
    converged = (size >= 0) & (size <= _NEWTON_TOL) & jnp.all(jnp.isfinite(z1))
    return y0.at[idx].set(z1), converged


@dataclass(frozen=True)
class ConsistentAfterEvents:
    """The events' hook of a DAE (``EventSpec.consistent``, `modelc.solvers.events`): after
    the events at a time ``t``, the algebraic states at indices ``algebraic`` are solved
    again by :func:`consistent_initial` (Newton on the constraint rows, the differential
    states as the events left them, an event's value for an algebraic state only the
    starting guess), in the loop's tolerances and with its Jacobian; MassRodas5 then
    restarts from consistent values. Static and hashable (part of the loop's spec)."""

    algebraic: tuple[int, ...]

    def __call__(self, loop, t, y, args):
        """``(y with consistent algebraic components, converged)`` at ``t``."""
        return consistent_initial(loop.f, loop.fn.jac, t, y, args, self.algebraic, loop.tol)


def integrate_dae(rhs, y0, ts, args=None, *, algebraic, method="auto",
                  options: IntegrateOptions | None = None, **settings) -> RawSolution:
    """Integrate ``M y' = rhs(t, y, args)`` (``M`` zero on the rows ``algebraic``) like
    :func:`~.integrate.integrate`: consistent initial values, then :class:`MassRodas5`.

    ``rhs``'s rows at ``algebraic`` are the constraint residuals. ``settings`` are
    :class:`~.integrate.IntegrateOptions` fields (``split`` is ignored). With ``events``,
    the algebraic states are solved again after the events at each time
    (:class:`ConsistentAfterEvents`) before the stepper restarts. jit, vmap,
    jacfwd and grad compatible.

    Raises:
        ValueError: for a method other than ``DAE_METHODS``, a too small ``rtol`` or
            ``adjoint=BacksolveAdjoint()`` (a continuous adjoint of the ODE only; it gave
            wrong gradients for the algebraic rows' parameters).
    """
    options = integrate_options(options, {**settings, "split": None})
    stepper = dae_stepper(method, algebraic)
    if options.events is not None:  # after each event, the constraints are solved again
        options = replace(options, events=replace(
            options.events, consistent=ConsistentAfterEvents(stepper.algebraic)))
    if isinstance(options.adjoint, BacksolveAdjoint):
        raise ValueError("BacksolveAdjoint integrates the adjoint ODE backwards, which a DAE "
                         "(algebraic constraints) does not have; use CheckpointAdjoint (the "
                         "discrete adjoint) or ForwardAdjoint")
    y0 = jnp.asarray(y0)
    if not jnp.issubdtype(y0.dtype, jnp.floating):
        y0 = y0.astype(jnp.result_type(float))
    check_tolerance(options.rtol, y0)
    dtype = y0.dtype
    f = lambda t, y, a: jnp.asarray(rhs(t, y, a), dtype)  # noqa: E731
    prepared = args if options.prepare is None else options.prepare(args)
    t0 = jnp.asarray(ts, dtype)[0]
    y0c, converged = consistent_initial(f, make_jacobian(f, options.jac, dtype), t0, y0, prepared,
                                        stepper.algebraic, (options.rtol, options.atol))
    raw = integrate_stepper(Problem(rhs, y0c, ts, args), stepper, options)
    failed_ys = raw.ys.at[1:].set(jnp.nan)
    return raw._replace(ys=jnp.where(converged, raw.ys, failed_ys),
                        status=jnp.where(converged, raw.status,
                                         jnp.asarray(Status.INCONSISTENT_INITIAL, raw.status.dtype)))
