"""Events under the discrete adjoint: the event map made reverse-differentiable.

The checkpointed discrete adjoint (:mod:`.adjoint`, ``CheckpointAdjoint``) replays
every step attempt under ``jax.vjp`` (:mod:`.stepwise`), events included
(:meth:`~.events.EventSpec.after_step`). Three pieces of the event handling are not
reverse-differentiable as the forward loop writes them; a :class:`~.loop.Loop`
built with ``differentiable=True`` (the replay's) swaps the first two, and the third
is written once for both:

* the **rounds** of firing (:meth:`~.events.EventSpec.rounds`, a ``while_loop``
  whose carry is the state): :func:`linearized_rounds` runs them on
  stop-gradient inputs and adds a zero-valued correction whose derivative is the
  explicit Jacobian of the new state with respect to ``(t*, y*, args)``
  (forward mode through the very same rounds, one column per input scalar:
  the transposed jump is never written a second time). The tangent is then
  ``J @ d``, linear, which reverse mode transposes;
* the **location** (an Illinois ``while_loop``) already runs on stop-gradient
  values of the state; its ``args`` are stopped too (its result only enters
  through the zero-valued Newton correction of the event time);
* the **restart time** ``t*`` carries ``dt*/dp``, but the replay treats the step
  times as constants: :func:`fold_time` restarts at ``stop_gradient(t*)`` from
  ``y+`` plus a zero-valued term whose derivative is ``-f(t*, y+) dt*/dp``, giving
  the saltation term ``dy+/dp - f+ dt*/dp`` (the state at a fixed time of the
  trajectory that restarts at ``t*``). The forward loop restarts the same way (for
  ODEs), so both modes differentiate one computation, and an output at exactly
  ``t*`` gets its fixed-time derivative (with ``t*`` itself carrying ``dt*/dp``,
  forward mode gave that output ``dy+/dp`` alone).

Together with the event time's implicit-function correction in
:meth:`~.events.EventSpec._handle` (``dt*/dp = -(dg/dp + dg/dy dy/dp)/(dg/dt)``,
``y* = y(t*) + f- dt*/dp``), the derivative of an event step is
``dy+/dp = J_G (dy-/dp + f- dt*/dp) + dG/dt dt*/dp + dG/dp - f+ dt*/dp``: the
jump condition of hybrid-system sensitivities (Stapor, Froehlich and Hasenauer
2018, AMICI); its transpose is what the discrete adjoint applies at each event.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax
from jax.flatten_util import ravel_pytree

__all__ = ["linearized_rounds", "fold_time"]

_sg = lax.stop_gradient


def _is_float(x) -> bool:
    return jnp.issubdtype(jnp.result_type(x), jnp.inexact)


def _jacobian_correction(ymap, t, y, args):
    """``J @ (x - stop_gradient(x))`` for ``x = (t, y, float leaves of args)``, ``J``
    the Jacobian of ``ymap(t, y, args)`` at the (stop-gradient) primal point, by
    forward mode (a ``vmap`` over the identity basis): zero in value, ``J @ dx`` in
    derivative, linear in ``dx``. (Computed eagerly, in the replay only: a
    ``custom_jvp`` would close over the loop's traced values.)"""
    leaves, tree = jax.tree_util.tree_flatten(args)
    floats = [_is_float(x) for x in leaves]
    x = (t, y, [v for v, f in zip(leaves, floats) if f])
    flat, unravel = ravel_pytree(x)
    flat0 = _sg(flat)

    def g(v):
        t_, y_, fl = unravel(v)
        it = iter(fl)
        return ymap(t_, y_, tree.unflatten([next(it) if f else _sg(v_)
                                            for v_, f in zip(leaves, floats)]))

    basis = jnp.eye(flat0.shape[0], dtype=flat0.dtype)
    jac = jax.vmap(lambda e: jax.jvp(g, (flat0,), (e,))[1], out_axes=1)(basis)
    jac = jnp.where(jnp.isfinite(jac), jac, 0.0)  # (the value stays exactly y_new)
    return (jac @ (flat - flat0)).astype(y.dtype)


def linearized_rounds(rounds, loop, args, t, y, ev):
    """``rounds(loop, args, t, y, ev)`` (``(y_new, ev, status, fired)``) with a
    reverse-differentiable ``y_new``: the rounds run on stop-gradient inputs (their
    decisions and the queue are not differentiated) and ``y_new`` gains the
    zero-valued Jacobian correction (module docstring)."""
    ev0 = _sg(ev)
    y_new, ev1, status, fired = rounds(loop, _sg(args), _sg(t), _sg(y), ev0)
    y_new = y_new + _jacobian_correction(lambda t_, y_, a_: rounds(loop, a_, t_, y_, ev0)[0],
                                         t, y, args)
    return y_new, ev1, status, fired


def fold_time(loop, args, t_star, y):
    """``(stop_gradient(t*), y + c)``: the restart point with the event time's derivative
    moved into the state. ``c`` is zero in value (no rhs evaluation when nothing is
    differentiated) and ``-f(t*, y) dt*`` in derivative: the state at a fixed time of
    the trajectory that restarts at ``t*``, so an output at ``t*`` and every later step
    see ``dy+/dp - f+ dt*/dp`` and the step times carry no derivative."""
    return _sg(t_star), y + _moved(loop.f)(t_star, y, args)


def _moved(f):
    """A function of ``(t, y, args)`` that is zero, with derivative ``-f(t, y, args) dt``."""

    @jax.custom_jvp
    def moved(t, y, args):
        return jnp.zeros_like(y)

    @moved.defjvp
    def moved_jvp(primals, tangents):
        t, y, args = primals
        slope = f(t, y, args)
        slope = jnp.where(jnp.isfinite(slope), slope, 0.0)
        return jnp.zeros_like(y), (-slope * tangents[0]).astype(y.dtype)

    return moved
