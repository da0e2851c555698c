"""Delay differential equations: the dense history the integration loop keeps.

A model with ``delay(expr, tau)`` gets ``rhs(t, y, args, history)``: ``history(q)``
is the state (the columns ``DelaySpec.columns`` of it) at an earlier time ``q``.
The loop (:mod:`.loop`, at a few marked points) keeps a :class:`Buffer` in its
carry and calls :class:`DelayLoop`:

* **storage** -- a ring of ``capacity`` accepted step ends ``(t_k, y_k, f_k)``;
  between two of them the value is the cubic Hermite interpolant of
  ``(y_k, f_k, y_k+1, f_k+1)`` (fourth-order accurate, for every stepper, fixed
  step or adaptive: it needs no dense output of the stepper, and ``f`` at a step
  end is the FSAL stage where the stepper has one, else one rhs evaluation per
  step attempt).  Before ``t0`` the value is the initial state (the language's
  rule); a query past the last stored point (only possible for a lag smaller
  than the step, i.e. a variable lag, see below) reads the quadratic through the
  newest step end's value and slope and the rhs's current state.  A query
  older than the oldest point still held (the ring wrapped) is NaN, and the
  step that needs it ends the solve with :attr:`~.loop.Status.HISTORY_OVERFLOW`:
  never a silent wrong value.
* **lookup** -- one vector compare-and-count over the ring's step ends (the
  ring holds the newest step ends in order of logical index and +inf in unused
  slots, so the count is the logical position; an unrolled binary search made
  the x' = -x(t - 1) solve take 80 s instead of 12 s to compile on the loaded
  2-core test machine).
* **step limits** -- each step is at most the smallest positive *constant* lag,
  so every query of a step with a constant lag lies in the stored past (no
  extrapolation, no implicit dependence on the step's own stages); variable
  (state- or time-dependent) lags are not limited (their queries past the last
  stored point read the quadratic above, a third-order local error there,
  stated in docs/delays.md).
* **discontinuities** -- the constant history meets the solution at ``t0`` with
  a jump in ``x'``; a constant lag ``tau`` carries it to ``t0 + tau`` (a jump in
  ``x''``), ``t0 + 2 tau`` (``x'''``) ... The loop lands steps exactly on
  ``t0 + k1 tau1 + ... + km taum`` for ``1 <= k1 + ... + km <= order`` (the
  stepper's order), so a high-order method never steps across a low-order kink
  and keeps its order; they are taken under ``stop_gradient`` like every step
  size (the grid is a constant of the derivative).

* **events** -- after events changed the state at ``t_e``, :meth:`DelayLoop.jump`
  keeps both sides at one time (the left limit, then the value after the
  event: a query at ``t_e`` reads the latter), the jump carries the lags' stops
  like ``t0``, and every stop is written with both slopes (``x'`` jumps one lag
  after ``x`` did).

Only increasing time is supported for delays (``integrate`` refuses others).
"""

from __future__ import annotations

import itertools
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .ops import select

__all__ = ["DelaySpec", "Buffer", "DelayArgs", "History", "DelayLoop", "DEFAULT_CAPACITY",
           "initial_history_rhs"]

#: Step ends kept by default (the ring's length): enough for 4096 steps within the
#: largest lag; ``history_capacity`` raises it (memory ``2 * capacity * columns`` numbers).
DEFAULT_CAPACITY = 4096

#: Event jumps whose propagated discontinuities the steps land on (the newest ones).
JUMPS = 8


class DelaySpec(NamedTuple):
    """The static description of a model's delays (hashable: part of the loop's spec).

    ``lags(t, y, args)``: the lag ``tau`` of every ``delay`` term, a vector;
    ``constant``: which of them depend on parameters only (those bound the step
    and place discontinuity stops); ``columns``: the state indices the delayed
    expressions read (the history stores only these); ``capacity``: the ring's
    length in step ends; ``observed``: the observables of a model with a delay in
    one, ``observed(t, y, args, history)``, evaluated by the loop at each output
    time (None: the observables are computed after the solve).
    """

    lags: Callable
    constant: tuple
    columns: tuple
    capacity: int = DEFAULT_CAPACITY
    observed: Callable | None = None  # observables(t, y, args, history), written at outputs


class Buffer(NamedTuple):
    """The history in the loop's carry (a pytree of fixed shapes).

    ``ts (C,)``, ``ys``/``fs (C, k)``: the ring of step ends (time, stored
    columns of the state and of its derivative); ``count``: step ends written so
    far (int32; the newest is at ``(count - 1) % C``); ``t0``, ``y0``: the start
    and the initial value of the stored columns (the value before ``t0``);
    ``stops``: the discontinuity times (``inf`` for unused entries);
    ``hmax``: the step bound (the smallest positive constant lag, or ``inf``);
    ``evals``: rhs evaluations of the right-hand ``f`` on stops (FSAL steppers, int32);
    ``jumps``: with events, the times of the last :data:`JUMPS` state jumps (``inf``
    unused): each carries the constant lags' discontinuity stops like ``t0`` (None
    without events).
    """

    ts: Any
    ys: Any
    fs: Any
    count: Any
    t0: Any
    y0: Any
    stops: Any
    hmax: Any
    evals: Any = 0
    jumps: Any = None


class DelayArgs(NamedTuple):
    """What the loop passes as ``args`` to the steppers of a delay model: the
    caller's ``args`` and the :class:`Buffer`."""

    args: Any
    buffer: Buffer


def _hermite(t_a, y_a, f_a, t_b, y_b, f_b, q):
    """The cubic Hermite interpolant of ``(y_a, f_a)`` at ``t_a`` and ``(y_b, f_b)``
    at ``t_b``, at ``q`` (a Taylor line ``y_b + f_b (q - t_b)`` when ``t_a == t_b``: the
    one point held, or the two sides of an event's jump, of which ``b`` is the later)."""
    h = t_b - t_a
    degenerate = h == 0
    hs = select(degenerate, jnp.ones_like(h), h)
    s = (q - t_a) / hs
    s2, s3 = s * s, s * s * s
    cubic = ((2 * s3 - 3 * s2 + 1) * y_a + (s3 - 2 * s2 + s) * hs * f_a
             + (3 * s2 - 2 * s3) * y_b + (s3 - s2) * hs * f_b)
    return select(degenerate, y_b + f_b * (q - t_b), cubic)


class History:
    """``history(q)``: the stored columns of the state at time ``q`` (a scalar),
    read from a :class:`Buffer` (module docstring: before ``t0`` the initial value,
    Hermite between step ends, NaN when the ring no longer holds ``q``).

    ``left`` (a traced bool) picks the branch at a ``q`` that is exactly a stored
    step end or ``t0``, where the history has a kink: the value is the same, its
    derivative is not. The rhs at a step's start takes the right-hand branch (the
    step reads the history after ``q``), at its later stages the left one (they
    read it up to ``q``), so forward-mode derivatives with respect to a lag see the
    side the step integrates over.

    ``now = (t, y)`` (the rhs's own time and stored columns of its state) serves a
    ``q`` past the newest step end (a variable lag shorter than the step): the
    quadratic through the newest step end's value and slope and ``y`` at ``t``, so
    a zero lag reads the current state exactly.
    """

    def __init__(self, buffer: Buffer, left=False, now=None):
        self.buffer, self.left, self.now = buffer, left, now

    def _before(self, q, m):
        """Whether ``q`` reads the constant history before ``t0`` (``m``: held points at or
        before ``q``, on this side): at ``t0`` itself the left side does."""
        b = self.buffer
        return (q < b.t0) | (b.count == 0) | ((q == b.t0) & (m == 0)) | ((q == b.t0) & self.left)

    def started(self, q):
        """1 where ``q`` reads the solution, 0 where it reads the constant history before
        ``t0`` (the factor of a delayed ``der(x)``: the history's rate is 0 there)."""
        b = self.buffer
        q = jnp.asarray(q, b.ts.dtype)
        m = select(self.left, jnp.sum(b.ts < q, dtype=jnp.int32), jnp.sum(b.ts <= q, dtype=jnp.int32))
        return select(self._before(q, m), jnp.zeros_like(q), jnp.ones_like(q))

    def __call__(self, q):
        b = self.buffer
        cap = b.ts.shape[0]
        q = jnp.asarray(q, b.ts.dtype)
        valid = jnp.minimum(b.count, cap)
        oldest = b.count - valid  # logical index of the oldest point held

        # m = number of held points with t <= q: the ring holds exactly the newest
        # min(count, C) step ends and unused slots hold +inf, so one compare-and-count
        # over the ring gives it (cheaper to compile than a binary search, and O(C)
        # vector work per query is microseconds for the default C).
        m = select(self.left, jnp.sum(b.ts < q, dtype=jnp.int32), jnp.sum(b.ts <= q, dtype=jnp.int32))
        # The interval [k, k+1] holding q (the last one for q past the newest point,
        # replaced below by the quadratic towards the current state when it is known).
        k = jnp.clip(oldest + m - 1, oldest, jnp.maximum(b.count - 2, oldest))
        a, c = jnp.mod(k, cap), jnp.mod(jnp.minimum(k + 1, b.count - 1), cap)
        value = _hermite(b.ts[a], b.ys[a], b.fs[a], b.ts[c], b.ys[c], b.fs[c], q)
        # At t0 itself the solution's branch (right) or the constant history (left); the
        # initial value once the ring has dropped t0 (the values agree).
        before = self._before(q, m)
        lost = (m == 0) & (q > b.t0)  # older than the oldest point still held
        if self.now is not None:  # past the newest step end: towards the current state
            newest = jnp.mod(b.count - 1, cap)
            t_n, (t_now, y_now) = b.ts[newest], self.now
            span = t_now - t_n
            s = (q - t_n) / select(span > 0, span, jnp.ones_like(span))
            y_n, f_n = b.ys[newest], b.fs[newest]
            quad = y_n + s * span * f_n + s * s * (y_now - y_n - span * f_n)
            value = select((q > t_n) & (span > 0) & (b.count > 0), quad.astype(value.dtype), value)
        value = select(lost, jnp.full_like(value, jnp.nan), value)
        return select(before, b.y0.astype(value.dtype), value)


def initial_history_rhs(rhs, y0, columns):
    """``rhs(t, y, args)`` of a delay model's ``rhs(t, y, args, history)`` with the
    history before ``t0`` (every delayed value is the initial one): exact at ``t0``,
    for probes such as ``method="auto"``'s stiffness estimate."""
    return lambda t, y, args: rhs(t, y, args, _Initial(jnp.asarray(y0)[jnp.asarray(columns, jnp.int32)]
                                                       .astype(y.dtype)))


class _Initial(NamedTuple):
    """The history before ``t0``: every query reads the initial value (not yet started)."""

    y_init: Any

    def __call__(self, q):
        return self.y_init

    def started(self, q):
        return jnp.zeros_like(jnp.asarray(q, self.y_init.dtype))


def _stop_multipliers(n_lags: int, order: int) -> np.ndarray:
    """Integer rows ``k`` with ``1 <= sum(k) <= order`` (the lag combinations that
    carry the discontinuity at ``t0``)."""
    rows = [k for k in itertools.product(range(order + 1), repeat=n_lags) if 1 <= sum(k) <= order]
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), n_lags)


class DelayLoop:
    """The integration loop's delay pieces (called from :mod:`.loop` at marked points).

    Args:
        spec: the :class:`DelaySpec`.
        rhs: the model's ``rhs(t, y, args, history)``.
        order: the stepper's order (how many discontinuity generations to stop at).
        fsal_row: the stepper carries ``f(t, y)`` as its single state row (FSAL),
            so ``f`` at a step end costs nothing.
        dtype: the float type of the solve.
        events: the model has events (the buffer keeps their jumps, :meth:`jump`).
    """

    def __init__(self, spec: DelaySpec, rhs, order: int, fsal_row: bool, dtype,
                 events: bool = False):
        self.spec, self.rhs, self.dtype, self.events = spec, rhs, dtype, events
        self.order, self.fsal_row = max(int(order), 1), fsal_row
        self.cols = jnp.asarray(spec.columns, jnp.int32)
        self.extra_nfe = 0  # rhs evaluations per step attempt for f at its end (set by after_step)

    def f(self, t, y, a: DelayArgs, left=None):
        """The rhs as the steppers call it: ``f(t, y, DelayArgs)`` (the history's left
        branch after the step's start, the newest stored step end, unless ``left``
        says otherwise)."""
        b = a.buffer
        if left is None:
            newest = b.ts[jnp.mod(b.count - 1, b.ts.shape[0])]
            left = (b.count > 0) & (t > newest)
        return self.rhs(t, y, a.args, History(b, left, (t, y[self.cols])))

    def start(self, t0, y0, args):
        """``(buffer, nfe)``: the history holding ``t0`` (its first point) and the
        step stops and bound from the constant lags at ``t0``."""
        dtype, cap, k = self.dtype, self.spec.capacity, len(self.spec.columns)
        t0 = jnp.asarray(t0, dtype)
        empty = Buffer(jnp.full((cap,), jnp.inf, dtype), jnp.zeros((cap, k), dtype),
                       jnp.zeros((cap, k), dtype), jnp.zeros((), jnp.int32), t0,
                       y0[self.cols], jnp.zeros((0,), dtype), jnp.asarray(jnp.inf, dtype),
                       jnp.zeros((), jnp.int32),
                       jnp.full((JUMPS,), jnp.inf, dtype) if self.events else None)
        f0 = jnp.asarray(self.f(t0, y0, DelayArgs(args, empty)), dtype)
        lags = jnp.atleast_1d(jnp.asarray(self.spec.lags(t0, y0, args), dtype))
        const = [i for i, c in enumerate(self.spec.constant) if c]
        stops = jnp.zeros((0,), dtype)
        hmax = jnp.asarray(jnp.inf, dtype)
        if const:
            tau = lax.stop_gradient(lags[jnp.asarray(const)])
            positive = tau > 0
            hmax = jnp.min(jnp.where(positive, tau, jnp.inf))
            mult = jnp.asarray(_stop_multipliers(len(const), self.order), dtype)
            stops = t0 + mult @ jnp.where(positive, tau, jnp.inf)
            stops = jnp.where(jnp.isfinite(stops), stops, jnp.inf)
        buffer = self.append(empty._replace(stops=stops, hmax=hmax), t0, y0, f0)
        return buffer, 1

    def append(self, b: Buffer, t, y, f) -> Buffer:
        """``b`` with the step end ``(t, y, f)`` written over the oldest slot."""
        slot = jnp.mod(b.count, b.ts.shape[0])
        return b._replace(ts=b.ts.at[slot].set(jnp.asarray(t, b.ts.dtype)),
                          ys=b.ys.at[slot].set(y[self.cols]), fs=b.fs.at[slot].set(f[self.cols]),
                          count=b.count + 1)

    def limit(self, t, h, hit, goal, b: Buffer, land: bool):
        """The attempted step ``(h, hit, goal, at_stop)`` bounded by the smallest constant
        lag and shortened to land on the next discontinuity stop after ``t``
        (``at_stop``: it does)."""
        fudge = (1 + 1e-6) if land else 1.0
        h_cap = jnp.minimum(h, b.hmax)
        hit_cap = hit & (h <= b.hmax)
        tiny = 64 * jnp.finfo(self.dtype).eps * jnp.maximum(jnp.abs(t), 1.0)
        if b.stops.shape[0] == 0:
            return h_cap, hit_cap, goal, jnp.zeros((), bool)
        stops = b.stops
        if b.jumps is not None:  # each event jump carries the lags' stops like t0
            stops = jnp.concatenate([stops, (b.jumps[:, None] + (stops - b.t0)[None, :]).ravel()])
        stop = jnp.min(jnp.where(stops > t + tiny, stops, jnp.inf))
        rem = stop - t
        to_stop = (rem <= h_cap * fudge) & ~(hit_cap & (rem >= h_cap))
        at_stop = to_stop
        if self.events:  # an output time on a stop is a stop too (x' may jump there)
            at_stop = to_stop | (hit_cap & (jnp.abs(stop - goal) <= tiny))
        return (select(to_stop, rem, h_cap), to_stop | hit_cap, select(to_stop, stop, goal),
                at_stop)

    def short_of(self, t, y, h, args, b: Buffer):
        """Whether a step from ``(t, y)`` over ``h`` needs a time the ring no longer
        holds: a lag's queries ``[t - tau, t + h - tau]`` (exact for constant lags,
        at the step start for variable ones) reach past ``t0`` into the dropped part."""
        cap = b.ts.shape[0]
        oldest_t = b.ts[jnp.mod(b.count, cap)]  # the slot written next holds the oldest
        q = t - jnp.atleast_1d(jnp.asarray(self.spec.lags(t, y, args), self.dtype))
        return (b.count > cap) & jnp.any((q < oldest_t) & (q + h > b.t0))

    def end_slope(self, args, b: Buffer, t_new, y1, f_row, at_stop):
        """``f`` at a step's end: the FSAL row ``f_row``, or (None) one rhs evaluation
        (whose lags reach only into the stored past, the step being at most the
        smallest constant lag). On a discontinuity stop it is the right-hand ``f``
        (the next step's, equal in value, not in its derivative with respect to a
        lag): the history and the FSAL row then carry the side the next step uses."""
        right = lambda: jnp.asarray(self.f(t_new, y1, DelayArgs(args, b), left=False),  # noqa: E731
                                    self.dtype)
        if f_row is not None:
            return lax.cond(at_stop, right, lambda: f_row)
        self.extra_nfe = 1
        return jnp.asarray(self.f(t_new, y1, DelayArgs(args, b), left=~at_stop), self.dtype)

    def with_history_error(self, err, b: Buffer, h, y1, f1, mid):
        """The step's error estimate joined (componentwise max of magnitudes) with the
        error of the history's cubic at the step's midpoint, measured against the
        stepper's own dense output ``mid`` there: a step whose interpolant would feed
        the delayed terms worse than the tolerance is rejected like any other (the
        stepper's estimate alone does not see it: a 5th-order method takes whole-lag
        steps on the piecewise-polynomial solutions of linear delay equations)."""
        newest = jnp.mod(b.count - 1, b.ts.shape[0])
        y_a, f_a = b.ys[newest], b.fs[newest]
        y_b, f_b = y1[self.cols], f1[self.cols]
        cubic = 0.5 * (y_a + y_b) + 0.125 * h * (f_a - f_b)
        gap = jnp.zeros_like(err).at[self.cols].set(cubic - mid[self.cols])
        return jnp.maximum(jnp.abs(err), jnp.abs(gap))

    def record(self, b: Buffer, t_new, y1, f1, acc, evals=0, left=None) -> Buffer:
        """The buffer after a step attempt: the end ``(t_new, y1, f1)`` of an accepted
        step written, a rejected one leaving it as it was; ``evals`` rhs evaluations
        added to the count. ``left = (at_stop, f_left)`` (models with events): on a
        discontinuity stop the end is written twice at one time, first with the left-hand
        slope ``f_left`` (the step's own), then with ``f1`` (the right-hand one): after an
        event's jump in ``x``, ``x'`` jumps one lag later, and each side's cubic needs its
        own slope there."""
        b = b._replace(evals=b.evals + jnp.asarray(evals, jnp.int32))
        new = (self.append(b, t_new, y1, f1) if left is None
               else self._append_stop(b, t_new, y1, f1, *left))
        return jax.tree_util.tree_map(lambda new, old: select(acc, new, old), new, b)

    def _append_stop(self, b: Buffer, t, y, f_right, at_stop, f_left) -> Buffer:
        """``b`` with the step end ``(t, y)`` written once (``f_right``), or on a stop twice
        (``f_left``, then ``f_right``: a slope jump kept on both sides)."""
        cap = b.ts.shape[0]
        first = select(at_stop, f_left, f_right)
        b = self.append(b, t, y, first)
        nxt = jnp.mod(b.count, cap)
        t = jnp.asarray(t, b.ts.dtype)
        return b._replace(ts=b.ts.at[nxt].set(select(at_stop, t, b.ts[nxt])),
                          ys=b.ys.at[nxt].set(select(at_stop, y[self.cols], b.ys[nxt])),
                          fs=b.fs.at[nxt].set(select(at_stop, f_right[self.cols], b.fs[nxt])),
                          count=b.count + at_stop.astype(jnp.int32))

    def left_slope(self, args, b: Buffer, t_new, y1, f_row, f1, at_stop):
        """``(f_left, evals)``: the left-hand ``f`` at a step's end: the FSAL row (the
        step's last stage read the history's left branch), or on a stop one rhs
        evaluation with the left branch (``f1`` elsewhere)."""
        if f_row is not None:
            return f_row, 0
        left = lax.cond(at_stop, lambda: jnp.asarray(self.f(t_new, y1, DelayArgs(args, b), left=True),
                                                     self.dtype), lambda: f1)
        return left, at_stop.astype(jnp.int32)

    def jump(self, b: Buffer, t_e, y_e, args) -> Buffer:
        """The history after events at ``t_e`` (within the step just recorded, whose end
        is the newest point) set the state to ``y_e``: the newest point becomes the left
        limit at ``t_e`` (the stored cubic's value and slope there, so the history before
        ``t_e`` is unchanged), and ``(t_e, y_e, f)`` with the right-hand ``f`` follows it at
        the same time. A query at ``t_e`` then reads the value after the jump (the right
        limit, as the solution's value at an event time is the one after it) and a query
        before ``t_e`` the one before; ``t_e`` joins :attr:`Buffer.jumps`. One rhs
        evaluation (counted in ``evals``)."""
        q = jnp.asarray(t_e, self.dtype)
        y_pre, f_pre = jax.jvp(History(b, left=True), (q,), (jnp.ones_like(q),))
        newest = jnp.mod(b.count - 1, b.ts.shape[0])
        b = b._replace(ts=b.ts.at[newest].set(q), ys=b.ys.at[newest].set(y_pre),
                       fs=b.fs.at[newest].set(f_pre))
        f_post = jnp.asarray(self.f(q, y_e, DelayArgs(args, b), left=False), self.dtype)
        b = self.append(b, q, y_e, f_post)
        jumps = None if b.jumps is None else jnp.concatenate([b.jumps[1:], q[None]])
        return b._replace(jumps=jumps, evals=b.evals + 1)
