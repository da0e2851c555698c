"""The integration loop one step attempt at a time (:func:`stepwise`).

The discrete adjoint (:mod:`.adjoint`) and :mod:`.internals` replay the
loop's pieces (:class:`~.loop.Loop`: ``start``, ``grid``, ``advance``,
``settle``, ``dense``) one attempt per iteration of their own loops, instead
of the fast ``while_loop`` nest of :func:`~.loop.run_loop`.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

from .loop import Carry, Loop, LoopInputs, LoopSpec, Slot

__all__ = ["Stepwise", "stepwise"]


class Stepwise(NamedTuple):
    """The loop one step per iteration (:func:`stepwise`); ``layout()`` is the
    :class:`Layout` that ``start`` fixed."""

    loop: Loop
    start: Callable
    step: Callable
    output: Callable
    layout: Callable


def stepwise(spec: LoopSpec, inputs: LoopInputs, rebuild: Callable) -> Stepwise:
    """The loop one step per iteration, for the discrete adjoint and :mod:`.internals`.

    ``start(y0, dl) -> (f, i)``, ``f = (scalars, rows)``, ``i = (counters, number of
    outputs passed)`` and, for a model with events, their state (the events of t0 have
    run: ``rows[0]`` is the state after them); ``step(dl, f, i) -> (f, i, StepRecord)``, or with
    ``linear=True`` ``(f, i, pullback, accepted)``: the pullback (``jax.vjp``) of
    the accepted-step map ``(dl, rows) -> new rows`` (with events: the rows after the
    step's events, :mod:`.event_adjoint`); ``output(dl, f, i)``: the
    state at ``ts[i]`` from the last step's dense output.  ``rebuild(dl)`` gives
    the rhs's ``args`` (``inputs.args`` is unused).
    """
    dtype = jnp.asarray(inputs.y0).dtype
    proto = Loop(spec, inputs, dtype, differentiable=True)
    dt0 = None if spec.auto_dt0 else inputs.dt0
    layouts = []  # set by start (called first, in the same trace)
    events = spec.events

    def laid_out():
        return proto.laid_out(layouts[0])

    def start(y, dl):
        args = rebuild(dl)
        sized_from = y if proto.events_at_t0 else None  # as run_loop, which runs them in the loop
        if events is not None:  # events at t0 (initial = false) act before the first step
            y, ev0, status0 = events.start(proto, y, args)
        carry, _, layout = proto.start(y, args, dt0, sized_from)
        layouts[:] = [layout]
        if events is None:
            return (carry.scalars, carry.rows), (carry.counters, jnp.asarray(1, jnp.int32))
        carry = events.attach(carry, ev0, status0)
        # The replay needs the count of fired events, not their record: one slot each
        # (writes past it are clamped there), so checkpoints do not hold max_events rows.
        ev = carry.events._replace(rec=carry.events.rec[:1])
        return (carry.scalars, carry.rows), (carry.counters, jnp.asarray(1, jnp.int32), ev)

    def step(dl, f, i, linear=False):
        """One step attempt; ``i = (counters, idx[, events])``, idx = number of outputs
        passed; with events the differentiated map runs through the events of the step."""
        loop = laid_out()
        (sc, yz), ic, idx = f, i[0], i[1]
        grid = loop.grid(sc, loop.s_at(idx))

        def adv(d, z):
            new, record = loop.advance(rebuild(d), grid, z)
            if events is None:
                return new, record
            carry, acc = loop.settle(grid, Carry(sc, z, ic, None, i[2]), new, record)
            carry = events.after_step(loop, rebuild(d), grid, carry, acc, record)
            return carry.rows, (record, carry, acc)

        if linear:
            # Keep only the step's inputs: the pullback re-runs the stages fused
            # with their transposes (storing every intermediate costs more kernels).
            adv_c = jax.checkpoint(adv, policy=jax.checkpoint_policies.nothing_saveable)
            new, pull, aux = jax.vjp(adv_c, dl, yz, has_aux=True)
        else:
            new, aux = adv(dl, yz)
        if events is None:
            record = aux
            carry, acc = loop.settle(grid, Carry(sc, yz, ic), new, record)
        else:
            record, carry, acc = aux
        idx = jnp.sum(loop.fwd(loop.ts - carry.scalars[Slot.T]) <= 0).astype(jnp.int32)
        f = (carry.scalars, carry.rows)
        i = (carry.counters, jnp.maximum(idx, i[1])) + (() if events is None else (carry.events,))
        return (f, i, pull, acc) if linear else (f, i, record)

    def output(dl, f, i):
        """State at output time ``ts[i]`` from the last step's dense output."""
        (sc, yz) = f
        loop = laid_out()
        return loop.dense(rebuild(dl), sc, yz)(loop.s_at(i))

    return Stepwise(proto, start, step, output, lambda: layouts[0])
