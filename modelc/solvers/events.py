"""Events in the integration loop: detection, location, assignments, restart.

An :class:`EventSpec` (static, hashable: one field of :class:`~.loop.LoopSpec`;
None there means no events and the loop compiles exactly as without this
module) holds the generated event functions of a model
(:mod:`modelc.codegen.events`): the crossing functions ``g(t, y, args)``, the
conditions, the assignment rows, priorities and delays, and per-event flags.
The loop calls three hooks (duck-typed, so that :mod:`.loop` never imports
this module):

* :meth:`EventSpec.start` before the first step: the conditions at ``t0``
  (``initial = false`` events whose condition holds fire at ``t0``);
* :meth:`EventSpec.after_step` after every step attempt: if the step was
  accepted and a crossing function changed sign over it (or a condition went
  from false to true, or a delayed execution falls in it), the earliest
  crossing is located on the step's dense output by an Illinois root finder
  with a bisection safeguard (to ``1e-3 rtol |h|`` plus a few ulps of ``t``;
  fixed-step methods, which carry no dense output, use the cubic Hermite
  interpolant of ``y`` and ``f`` at both ends), the step is truncated there
  (``T = t*``; the step's dense rows stay, so outputs before ``t*`` come from
  the pre-event interpolant and an output at ``t*`` shows the post-event
  state), the events that fire run (:meth:`EventSpec.rounds`) and the
  stepper restarts from the new state (:meth:`~.loop.Loop.restart`: FSAL
  derivative and multistep history rebuilt, step size kept);
* :meth:`EventSpec.finish`: the fired events in fixed-capacity arrays on the
  :class:`~.loop.RawSolution`.

Firing: an event fires when its condition goes from false to true; those
firing at one time run in order of priority (larger first, the priorities evaluated
again on the current state after each execution, as SBML asks), then file order;
each run's right-hand sides are the values when it triggered (``values =
trigger``) or when it runs (``values = execution``); a delayed event
(``delay > 0``) is queued (fixed capacity) with its trigger-time values, and
the step stops at its execution time; ``persistent = false`` cancels a queued
execution whose condition turns false. After a round the conditions are
evaluated again: a cascade runs at most ``max_cascade`` rounds
(:attr:`~.loop.Status.EVENT_CASCADE` beyond), more than ``zeno_limit``
consecutive firings at one time end the solve with
:attr:`~.loop.Status.EVENT_ZENO`, more than ``capacity`` firings with
:attr:`~.loop.Status.EVENT_LIMIT`, and a ``stop`` event with
:attr:`~.loop.Status.STOPPED` (a normal end).

Gradients: the located time is found under ``stop_gradient`` and then
corrected by one Newton step whose value is zero and whose derivative is
the implicit-function-theorem one, ``dt*/dp = -(dg/dp + dg/dy dy/dp)/(dg/dt)``;
the state at ``t*`` gains ``f dt*/dp`` the same way, and the assignments act
on these differentiable values; the restart moves ``t*``'s derivative into the
state (:func:`~.event_adjoint.fold_time`). Forward mode through the loop is therefore
exact; the discrete adjoint replays the same hooks with the rounds linearized
(:mod:`.event_adjoint`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from .event_adjoint import fold_time, linearized_rounds
from .event_location import hermite, locate
from .loop import Carry, Counter, Loop, RawSolution, Slot, Status
from .ops import select

__all__ = ["EventSpec", "EventState"]

_sg = lax.stop_gradient
_UNROLL = 4  # candidates executed in an unrolled Python loop (more: a fori_loop)
_HEAD = 5  # [count, last_t, zeno, nfe, pending] lead the packed vector (PackedEvents)


class EventState(NamedTuple):
    """The events' state, unpacked (what the event code reads and writes; the loop carries it
    packed, :class:`PackedEvents`).

    ``g``/``cond``: the crossing values and conditions at the current time;
    ``q_time``, ``q_event``, ``q_rows``, ``q_live``: the queue of delayed
    executions (time, event, trigger-time state row, occupied); ``rec``: the fired
    events, rows ``(time, event index)`` (``capacity + 1`` rows, the last one scratch:
    an execution not recorded writes there); ``count``: how many; ``last_t``/``zeno``: the
    last firing time and how many firings in a row happened there; ``nfe``: rhs
    evaluations spent by events.
    """

    g: Any
    cond: Any
    q_time: Any
    q_event: Any
    q_rows: Any
    q_live: Any
    rec: Any
    count: Any
    last_t: Any
    zeno: Any
    nfe: Any
    pending: Any = False


class PackedEvents(NamedTuple):
    """:class:`EventState` as the loop carries it: ``vec`` = ``[count, last_t, zeno, nfe,
    pending, g, cond, q_time, q_event, q_live]`` in the float dtype, ``q_rows`` and ``rec``. Few buffers
    keep the compiled program small: XLA emits about one kernel per carried array that a
    loop body or branch writes, and each kernel costs compile time."""

    vec: Any
    q_rows: Any
    rec: Any


def _pack(ev: EventState, dtype) -> PackedEvents:
    head = jnp.stack([ev.count, ev.last_t, ev.zeno, ev.nfe, ev.pending]).astype(dtype)
    vec = jnp.concatenate([head, ev.g.astype(dtype), ev.cond.astype(dtype),
                           ev.q_time.astype(dtype), ev.q_event.astype(dtype),
                           ev.q_live.astype(dtype)])
    return PackedEvents(vec, ev.q_rows, ev.rec)


def _unpack(p: PackedEvents, n_events: int, queue: int) -> EventState:
    v = p.vec
    m = v.shape[0] - _HEAD - n_events - 3 * queue
    cut = [_HEAD + k for k in (0, m, m + n_events, m + n_events + queue, m + n_events + 2 * queue)]
    i32 = jnp.int32
    return EventState(g=v[cut[0]:cut[1]], cond=v[cut[1]:cut[2]] != 0,
                      q_time=v[cut[2]:cut[3]], q_event=v[cut[3]:cut[4]].astype(i32),
                      q_live=v[cut[4]:] != 0, q_rows=p.q_rows, rec=p.rec,
                      count=v[0].astype(i32), last_t=v[1], zeno=v[2].astype(i32),
                      nfe=v[3].astype(i32), pending=v[4] != 0)


def _put(x, i, value):
    """``x`` with entry (or row) ``i`` set to ``value`` (a dynamic update, not a scatter)."""
    return lax.dynamic_update_index_in_dim(x, jnp.asarray(value, x.dtype), i, 0)


def _next(pending, priority, which):
    """The candidate that runs next among the ``pending`` ones: the largest priority, then
    the smallest event index, then the smallest position (SBML: the priorities are those of
    the current state, evaluated again after every execution; NaN priorities: file order)."""
    n = pending.shape[0]
    top = jnp.max(jnp.where(pending, priority, -jnp.inf))
    best = pending & (priority >= top)
    score = jnp.where(jnp.where(jnp.any(best), best, pending), which * n + jnp.arange(n),
                      jnp.iinfo(jnp.int32).max)
    return jnp.argmin(score)


@dataclass(frozen=True)
class EventSpec:
    """The static description of a model's events (functions of ``(t, y, args)``).

    ``crossings`` -> ``(m,)``; ``conditions`` -> ``(E,)`` bool; ``assignments``
    -> ``(E, n)`` (row ``k``: the state after event ``k``); ``priorities``,
    ``delays`` -> ``(E,)``; ``targets``: per event the assigned state indices;
    ``stop``, ``persistent``, ``trigger_values``, ``initial``, ``delayed``:
    per-event flags; ``names``: for messages; ``strict``: per crossing function,
    whether its comparison is strict (the "after" side is ``g > 0``; else ``g >= 0``;
    default strict); ``capacity``: fired events
    recorded (more is :attr:`~.loop.Status.EVENT_LIMIT`); ``queue``: pending
    delayed executions held at once; ``consistent``: for a DAE, the re-solution of the
    algebraic states after the events at a time (:class:`~.dae.ConsistentAfterEvents`:
    Newton on the constraints, the differential states as the events left them; not
    converged is :attr:`~.loop.Status.EVENT_INCONSISTENT`).
    """

    crossings: Callable
    conditions: Callable
    assignments: Callable
    priorities: Callable
    delays: Callable
    targets: tuple
    stop: tuple
    persistent: tuple
    trigger_values: tuple
    initial: tuple
    delayed: tuple
    names: tuple = ()
    strict: tuple = ()
    capacity: int = 1000
    queue: int = 0
    max_cascade: int = 10
    zeno_limit: int = 100
    consistent: Any = None  # DAE: ``(loop, t, y, args) -> (y, converged)`` after the rounds

    @property
    def n_events(self) -> int:
        """The number of events."""
        return len(self.stop)

    @property
    def queue_size(self) -> int:
        """Capacity of the delayed-execution queue (0 without delayed events)."""
        if not any(self.delayed):
            return 0
        return max(1, self.queue or 8 * sum(bool(d) for d in self.delayed))

    # -- static tables as arrays ----------------------------------------------------
    def _mask(self, n: int):
        """``(E, n)`` bool: which states each event assigns."""
        rows = [[i in tg for i in range(n)] for tg in self.targets]
        return jnp.asarray(rows, dtype=bool).reshape(self.n_events, n)

    def _flags(self, name: str):
        return jnp.asarray(getattr(self, name), dtype=bool)

    def _side(self, g):
        """Which side of each crossing ``g`` is on: ``g > 0`` (strict) or ``g >= 0``."""
        if not self.strict or all(self.strict):
            return g > 0
        return jnp.where(jnp.asarray(self.strict, dtype=bool), g > 0, g >= 0)

    # -- hooks -----------------------------------------------------------------------
    def start(self, loop: Loop, y0, args, in_loop=False):
        """``(y0 after the events at t0, EventState, status)`` before the first step.

        ``in_loop``: the events of ``t0`` are left to the loop's first iteration
        (:meth:`after_step` with the carry before the step: one trace of the event code for
        ``t0`` and later times); ``y0`` is returned as given and the state marks them
        pending."""
        dtype, t0 = loop.dtype, loop.t0
        cond0 = self.conditions(t0, y0, args)
        q = self.queue_size
        n = y0.shape[0]
        state = EventState(
            g=jnp.asarray(self.crossings(t0, y0, args), dtype),
            cond=cond0 & self._flags("initial"),
            q_time=jnp.zeros((q,), dtype), q_event=jnp.zeros((q,), jnp.int32),
            q_rows=jnp.zeros((q, n), dtype), q_live=jnp.zeros((q,), bool),
            rec=jnp.tile(jnp.asarray([jnp.nan, -1], dtype), (self.capacity + 1, 1)),
            count=jnp.asarray(0, jnp.int32), last_t=jnp.asarray(jnp.nan, dtype),
            zeno=jnp.asarray(0, jnp.int32), nfe=jnp.asarray(0, jnp.int32))
        if all(self.initial):  # nothing can fire at t0 (traced only when needed)
            return y0, _pack(state._replace(cond=cond0), dtype), jnp.asarray(0, jnp.int32)
        if in_loop:  # fired by the first iteration: ~cond & cond0 are the t0 triggers
            pending = jnp.any(cond0 & ~self._flags("initial"))
            return y0, _pack(state._replace(pending=pending), dtype), jnp.asarray(0, jnp.int32)
        y1, state, status, _ = self._rounds(loop, args, t0, y0, state)
        y1, status = self._consistent(loop, args, t0, y1, status)
        state = state._replace(g=jnp.asarray(self.crossings(t0, y1, args), dtype))
        return y1, _pack(state, dtype), status

    def attach(self, carry: Carry, state: PackedEvents, status) -> Carry:
        """The first carry with the events' state and the status of the events at t0."""
        ic = carry.counters
        st = jnp.where(status != 0, status, ic[Counter.STATUS]).astype(jnp.int32)
        return carry._replace(counters=_put(ic, Counter.STATUS, st), events=state)

    def pending(self, carry: Carry):
        """Whether the events of ``t0`` are still to run (``start(..., in_loop=True)``)."""
        return carry.events.vec[4] != 0

    def after_step(self, loop: Loop, args, grid, carry: Carry, acc, record, before=None) -> Carry:
        """Detect, locate and run the events of the step just settled (see module docstring).

        ``before``: the carry before the step, given where the events of ``t0`` run in the
        loop (``start(..., in_loop=True)``): while they are pending the step is discarded
        and they run at ``T = t0`` through the same code as every later event (no crossing
        to locate: ``t* = T``); the step size chosen before them is kept, as after every
        event (sizing it again from the new state would trace the controller's first-step
        heuristic a second time).

        Only the flag ``hit`` crosses into the ``lax.cond``: each branch evaluates the
        crossing functions and conditions again from the carry (a few operations), since
        every value passed into a branch is a kernel of its own in XLA's CPU program."""

        def detect():
            ev = self._view(carry.events)
            t1, y1 = carry.scalars[Slot.T], carry.rows[0]
            g1 = jnp.asarray(self.crossings(t1, y1, args), loop.dtype)
            c1 = self.conditions(t1, y1, args)
            changed = self._side(g1) != self._side(ev.g)
            due = ev.q_live & (loop.fwd(ev.q_time - t1) <= 0)
            return ev, g1, c1, changed, due

        at_t0 = None
        if before is not None:
            at_t0 = self.pending(carry)
            carry = jax.tree_util.tree_map(lambda a, b: select(at_t0, a, b), before, carry)
            acc = acc | at_t0
        _, g1, c1, changed, due = detect()
        hit = acc & (jnp.any(changed) | jnp.any(due) | jnp.any(~self._view(carry.events).cond & c1))
        if at_t0 is not None:
            hit = hit | at_t0

        def quiet():  # the new g, conditions and live queue written into the packed vector
            ev, g1, c1, _, _ = detect()
            live = ev.q_live & ~(acc & self._cancelled(ev.q_event, c1))
            v, dtype = carry.events.vec, loop.dtype
            m, n_e = g1.shape[0], self.n_events
            vec = jnp.concatenate([v[:_HEAD], jnp.where(acc, g1, ev.g).astype(dtype),
                                   jnp.where(acc, c1, ev.cond).astype(dtype),
                                   v[_HEAD + m + n_e:v.shape[0] - live.shape[0]],
                                   live.astype(dtype)])
            return carry._replace(events=carry.events._replace(vec=vec))

        def handle():
            _, g1, _, changed, due = detect()
            return self._handle(loop, args, grid, carry, record, (g1, changed), due)

        return lax.cond(hit, handle, quiet)

    def finish(self, carry: Carry, raw: RawSolution) -> RawSolution:
        """``raw`` with the fired events and the final time and state."""
        ev = self._view(carry.events)
        rec = ev.rec[:self.capacity]  # (the last row is scratch)
        return raw._replace(nfe=raw.nfe + ev.nfe, event_times=rec[:, 0],
                            event_index=rec[:, 1].astype(jnp.int32),
                            event_count=ev.count, t_end=carry.scalars[Slot.T], y_end=carry.rows[0])

    # -- pieces ------------------------------------------------------------------------
    def _view(self, packed: PackedEvents) -> EventState:
        return _unpack(packed, self.n_events, self.queue_size)

    def _consistent(self, loop: Loop, args, t, y, status):
        """``(y, status)`` with a DAE's algebraic states solved again at ``t`` (no-op for an ODE).

        Run after every round, fired or not: from consistent values Newton stops after
        one update (cheaper to compile than a ``lax.cond``)."""
        if self.consistent is None:
            return y, status
        y, ok = self.consistent(loop, t, y, args)
        status = jnp.where((status == 0) & ~ok, Status.EVENT_INCONSISTENT, status)
        return y, status.astype(jnp.int32)

    def _cancelled(self, q_event, cond):
        """Queued executions of non-persistent events whose condition is false."""
        persistent = self._flags("persistent")[q_event]
        return ~persistent & ~cond[q_event]

    def _handle(self, loop: Loop, args, grid, carry: Carry, record, crossed, due):
        g1, changed = crossed
        ev = self._view(carry.events)
        ev = ev._replace(pending=jnp.zeros((), bool))
        sc, rows = carry.scalars, carry.rows
        t0, t1 = grid.t, sc[Slot.T]
        extra = 0  # rhs evaluations here
        if loop.land:  # no dense output: the cubic Hermite interpolant of the step
            y0 = record.y
            f0, f1 = loop.f(t0, y0, args), loop.f(t1, rows[0], args)
            value = hermite(t0, y0, f0, t1, rows[0], f1)
            extra += 2

            def slope(t):
                return jax.jvp(value, (t,), (jnp.ones_like(t),))[1]
        else:
            value = loop.dense(args, sc, rows, hoisted=True)
            slope = loop.dense_slope(args, sc, rows)
        theta, located, idx = locate((self.crossings, self._side), loop, _sg(args), value, (t0, t1),
                                     (ev.g, g1), changed)
        hs = _sg(t1 - t0)
        t_root = _sg(t0) + theta * hs
        t_due = jnp.min(jnp.where(due, loop.fwd(_sg(ev.q_time)), jnp.inf), initial=jnp.inf)
        from_root = located & (loop.fwd(t_root) <= t_due)
        t_loc = jnp.where(from_root, t_root, jnp.where(jnp.isfinite(t_due), loop.fwd(t_due), t1))
        t_loc = _sg(t_loc)
        y_loc = value(t_loc)
        # dy/dt at t*: the interpolant's slope (only derivatives use it: an rhs evaluation
        # fewer to trace and compile), the rhs where the dense output is built lazily
        if slope is None:
            f_loc = loop.f(t_loc, y_loc, args)
            extra += 1
        else:
            f_loc = _sg(slope(t_loc))
        # The event time with the implicit-function derivative (value unchanged).
        g_val, g_dot = jax.jvp(lambda t, y: jnp.asarray(self.crossings(t, y, args), loop.dtype),
                               (t_loc, y_loc), (jnp.ones_like(t_loc), f_loc))
        slope = _sg(g_dot[idx])
        delta = -g_val[idx] / jnp.where(slope == 0, 1.0, slope)
        due_shift = 0.0
        if self.queue_size:  # a delayed execution: its time's derivative (trigger + delay)
            q_pick = jnp.argmin(jnp.where(due, loop.fwd(_sg(ev.q_time)), jnp.inf))
            due_shift = jnp.where(jnp.any(due), ev.q_time[q_pick] - _sg(ev.q_time[q_pick]), 0.0)
        shift = jnp.where(from_root, delta - _sg(delta), due_shift)
        t_star = t_loc + shift
        y_star = y_loc + f_loc * shift
        y_new, ev, status, fired = self._rounds(loop, args, t_star, y_star, ev)
        y_new, status = self._consistent(loop, args, t_star, y_new, status)
        # Zeno: firings in a row without the time moving.
        # (within a thousand ulps of the time or ten location tolerances of the step)
        near = jnp.abs(_sg(t_star) - ev.last_t) <= (
            1e3 * loop.finfo.eps * jnp.maximum(jnp.abs(_sg(t_star)), jnp.abs(loop.t1 - loop.t0))
            + 1e-2 * jnp.min(loop.tol.rtol) * jnp.abs(hs))
        zeno = jnp.where(fired, jnp.where(near, ev.zeno + 1, 0), ev.zeno)
        status = jnp.where((status == 0) & (zeno > self.zeno_limit), Status.EVENT_ZENO, status)
        ev = ev._replace(g=jnp.asarray(self.crossings(t_star, y_new, args), loop.dtype),
                         last_t=jnp.where(fired, _sg(t_star), ev.last_t), zeno=zeno,
                         nfe=ev.nfe + extra)
        # t*'s derivative moved into the state (outputs at t* then have the fixed-time one);
        # a DAE keeps it in the time (its algebraic states' slope is not the rhs row)
        t_go, y_go = (t_star, y_new) if self.consistent is not None else fold_time(loop, args, t_star, y_new)
        sc, rows, nfe = loop.restart(args, sc, rows, t_go, y_go)
        ev = ev._replace(nfe=ev.nfe + nfe)
        ic = carry.counters
        st = jnp.where((status != 0) & (ic[Counter.STATUS] == 0), status, ic[Counter.STATUS])
        counters = jnp.where(jnp.arange(ic.shape[0]) == Counter.STATUS, st.astype(jnp.int32), ic)
        return carry._replace(scalars=sc, rows=rows, counters=counters,
                              events=_pack(ev, loop.dtype))

    def _rounds(self, loop: Loop, args, t, y, ev: EventState):
        """:meth:`rounds`, reverse-differentiable in the discrete adjoint's replay
        (:func:`~.event_adjoint.linearized_rounds`)."""
        if loop.differentiable:
            return linearized_rounds(self.rounds, loop, args, t, y, ev)
        return self.rounds(loop, args, t, y, ev)

    def rounds(self, loop: Loop, args, t, y, ev: EventState):
        """Run the events at time ``t`` from state ``y``: rounds of firing (conditions that
        went from false to true since ``ev.cond``, and queued executions due at ``t``) until
        none fires or ``max_cascade`` rounds ran. Returns ``(y, ev, status, fired)``."""
        n_e, q_n = self.n_events, self.queue_size
        n = y.shape[0]
        mask = self._mask(n)
        stop_f, trig_f, delayed_f = (self._flags("stop"), self._flags("trigger_values"),
                                     self._flags("delayed"))
        fwd = loop.fwd

        def is_due(ev):
            return ev.q_live & (fwd(_sg(ev.q_time) - _sg(t)) <= 0)

        def pending(cprev, cnow, ev):
            return jnp.any(~cprev & cnow) | jnp.any(is_due(ev))

        def body(c):
            y, cprev, cnow, ev, status, depth, fired = c
            trig = ~cprev & cnow
            dly = jnp.asarray(self.delays(t, y, args), loop.dtype) if q_n else None
            rows_now = self.assignments(t, y, args)
            later = trig & delayed_f & (dly > 0) if q_n else jnp.zeros_like(trig)
            now = trig & ~later
            # queue the delayed ones (first free slots)
            def enqueue(k, c):
                ev, status = c
                free = ~ev.q_live
                s = jnp.argmax(free)
                put = later[k] & jnp.any(free)
                full = later[k] & ~jnp.any(free)
                ev = ev._replace(
                    q_time=_put(ev.q_time, s, jnp.where(put, t + loop.d * dly[k], ev.q_time[s])),
                    q_event=_put(ev.q_event, s, jnp.where(put, k, ev.q_event[s])),
                    q_rows=_put(ev.q_rows, s, jnp.where(put, rows_now[k], ev.q_rows[s])),
                    q_live=_put(ev.q_live, s, ev.q_live[s] | put))
                return ev, jnp.where(full & (status == 0), Status.EVENT_LIMIT, status)
            due = is_due(ev)
            if q_n:
                ev, status = lax.fori_loop(0, n_e, enqueue, (ev, status))
            # executions now: immediate events, then queued ones that are due
            active = jnp.concatenate([now, due])
            which = jnp.concatenate([jnp.arange(n_e, dtype=jnp.int32), ev.q_event])
            rows = jnp.concatenate([rows_now, ev.q_rows])
            persistent_f = self._flags("persistent")

            def execute(p, c):
                y, ev, status, stopped, left = c
                if n_e + q_n > 1:  # SBML: priorities of the current state pick the next one
                    pri = jnp.asarray(self.priorities(t, y, args), loop.dtype)
                    i = _next(left, pri[which], which)
                else:
                    i = 0
                k = which[i]
                go = left[i] & (status == 0)
                left = left & (jnp.arange(n_e + q_n) != i)
                if not all(self.persistent):
                    # SBML: a non-persistent event whose condition an earlier execution at this
                    # time made false is cancelled (its condition is checked on the current state)
                    go = go & (persistent_f[k] | self.conditions(t, y, args)[k])
                row = rows[i]
                if not all(self.trigger_values):  # values = execution: from the current state
                    row = jnp.where(trig_f[k], row, self.assignments(t, y, args)[k])
                y = jnp.where(go & mask[k], row, y)
                full = go & (ev.count >= self.capacity)
                rec = go & ~full
                # (the last row is scratch: what is not recorded is written there)
                slot = jnp.where(rec, ev.count, self.capacity)
                entry = jnp.stack([jnp.asarray(t, loop.dtype), k.astype(loop.dtype)])
                ev = ev._replace(rec=_put(ev.rec, slot, entry),
                                 count=ev.count + rec.astype(jnp.int32))
                status = jnp.where(full, Status.EVENT_LIMIT, status)
                return y, ev, status, stopped | (go & stop_f[k]), left

            c = (y, ev, status, jnp.asarray(False), active)
            if n_e + q_n <= _UNROLL:  # a few candidates: unrolled (cheaper to compile)
                for p in range(n_e + q_n):
                    c = execute(p, c)
            else:
                c = lax.fori_loop(0, n_e + q_n, execute, c)
            y, ev, status, stopped, _ = c
            ev = ev._replace(q_live=ev.q_live & ~due)
            cprev, cnow = cnow, self.conditions(t, y, args)
            ev = ev._replace(q_live=ev.q_live & ~self._cancelled(ev.q_event, cnow))
            status = jnp.where(stopped & (status == 0), Status.STOPPED, status)
            return y, cprev, cnow, ev, status, depth + 1, fired | jnp.any(active)

        def cond(c):
            y, cprev, cnow, ev, status, depth, fired = c
            return (status == 0) & (depth < self.max_cascade) & pending(cprev, cnow, ev)

        # The loop carries [y], [status, depth, fired, cprev, cnow] and the packed events:
        # a few buffers, so that the body compiles to a few kernels.
        dtype = loop.dtype

        def packed(c):
            y, cprev, cnow, ev, status, depth, fired = c
            flags = jnp.concatenate([jnp.stack([status, depth, fired]).astype(dtype),
                                     cprev.astype(dtype), cnow.astype(dtype)])
            return y, flags, _pack(ev, dtype)

        def unpacked(c):
            y, flags, pev = c
            i32 = jnp.int32
            return (y, flags[3:3 + n_e] != 0, flags[3 + n_e:] != 0, self._view(pev),
                    flags[0].astype(i32), flags[1].astype(i32), flags[2] != 0)

        cnow = self.conditions(t, y, args)
        init = (y, ev.cond, cnow, ev, jnp.asarray(0, jnp.int32), jnp.asarray(0, jnp.int32),
                jnp.asarray(False))
        out = lax.while_loop(lambda c: cond(unpacked(c)), lambda c: packed(body(unpacked(c))),
                             packed(init))
        y, cprev, cnow, ev, status, depth, fired = unpacked(out)
        # queued executions of non-persistent events whose condition is false now are dropped
        ev = ev._replace(q_live=ev.q_live & ~self._cancelled(ev.q_event, cnow))
        status = jnp.where((status == 0) & pending(cprev, cnow, ev), Status.EVENT_CASCADE, status)
        return y, ev._replace(cond=cnow), status.astype(jnp.int32), fired
