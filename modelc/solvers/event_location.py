"""Locating an event inside a step: the root finder and the interpolant of fixed-step methods.

`locate` finds the earliest time in a step at which a crossing function changes side,
on the step's dense output; `hermite` is the cubic interpolant used where a method
carries none (fixed-step methods). Both serve `modelc.solvers.events`.
"""

from __future__ import annotations

import jax.numpy as jnp
from jax import lax

from .loop import Loop

__all__ = ["hermite", "locate"]

_sg = lax.stop_gradient


def hermite(t0, y0, f0, t1, y1, f1):
    """The cubic Hermite interpolant ``value(t)`` on ``[t0, t1]`` of ``y`` and ``f`` at both ends."""
    hs = t1 - t0

    def value(t):
        s = (t - t0) / jnp.where(hs == 0, 1.0, hs)  # (a zero-length step: the events of t0)
        h00 = (1 + 2 * s) * (1 - s) ** 2
        h10 = s * (1 - s) ** 2
        h01 = s * s * (3 - 2 * s)
        h11 = s * s * (s - 1)
        return h00 * y0 + h10 * hs * f0 + h01 * y1 + h11 * hs * f1

    return value


def locate(functions, loop: Loop, args, value, span, ends, changed):
    """``functions = (crossings, side)``: the crossing functions ``g(t, y, args)`` and which
    side of each a value is on; ``span = (t0, t1)``, ``ends = (g(t0), g(t1))``;
    ``changed``: which functions changed side over the step. Returns
    ``(theta, located, j)``: the earliest sign change of a crossing function over the
    step, at ``t0 + theta (t1 - t0)`` (the first point found past the crossing), whether
    there is one, and which function it is.

    One bracket ``[a, b]`` for all crossing functions (at ``a`` every one is on its
    side at ``t0``, at ``b`` some one has changed side): each iteration evaluates the
    dense output once, at the earliest regula falsi point of the functions that change
    side in the bracket, with the Illinois halving of the value kept at a stale end and
    a bisection step whenever two steps did not halve the bracket; it stops below
    ``1e-3 rtol |h|`` plus a few ulps of ``t``.
    """
    crossings, side = functions
    t0, t1 = _sg(span[0]), _sg(span[1])
    g0, g1 = ends
    hs = t1 - t0
    dtype = loop.dtype
    before = side(_sg(g0))

    def g_at(theta):
        t = t0 + theta * hs
        return jnp.asarray(crossings(t, _sg(value(t)), args), dtype)

    scale = jnp.maximum(jnp.abs(t0), jnp.abs(t1))
    tol = (1e-3 * jnp.min(loop.tol.rtol) * jnp.abs(hs) + 8 * loop.finfo.eps * scale)
    tol = tol / jnp.where(hs == 0, 1.0, jnp.abs(hs))
    zero, one = jnp.zeros((), dtype), jnp.ones((), dtype)

    m = jnp.shape(g0)[0]
    # The carry is one vector [a, b, stale end, width two steps ago, iteration, g(a), g(b)]
    # (one loop buffer: the body compiles to a few kernels, not one per carried value).

    def cond(v):
        return any_changed & (v[1] - v[0] > tol) & (v[4] < 100)

    def body(v):
        a, b, stale, width2, i = v[0], v[1], v[2], v[3], v[4]
        ga, gb = v[5:5 + m], v[5 + m:]
        w = b - a
        odd = jnp.mod(i, 2) == 1
        crossing = side(gb) != before  # which functions change side in [a, b]
        denom = jnp.where(gb == ga, 1.0, gb - ga)
        rf = jnp.where(crossing & (gb != ga), (a * gb - b * ga) / denom, b)
        rf = jnp.min(rf)
        slow = odd & (w > 0.5 * width2)
        c_ = jnp.where(slow | ~((rf > a) & (rf < b)), 0.5 * (a + b), rf)
        gc = g_at(c_)
        after = jnp.any(side(gc) != before)
        # Illinois: halve the values kept at an end that stays twice in a row.
        ga_new = jnp.where(after, jnp.where(stale == 1, 0.5 * ga, ga), gc)
        gb_new = jnp.where(after, gc, jnp.where(stale == 2, 0.5 * gb, gb))
        head = jnp.stack([jnp.where(after, a, c_), jnp.where(after, c_, b),
                          jnp.where(after, 1.0, 2.0), jnp.where(odd, w, width2), i + 1])
        return jnp.concatenate([head.astype(dtype), ga_new, gb_new])

    any_changed = jnp.any(changed)
    init = jnp.concatenate([jnp.stack([zero, one, zero, 2 * one, zero]), _sg(g0), _sg(g1)])
    v = lax.while_loop(cond, body, init)
    b, gb = v[1], v[5 + m:]
    j = jnp.argmax(side(gb) != before)
    return jnp.where(any_changed, b, one), any_changed, j
