"""The event functions of a generated scalar module (from ``Model.events`` only).

For a model with events the module gains (`event_functions`; nothing for a
model without, so its module is unchanged):

- ``EVENT_NAMES`` (file order), ``EVENT_TARGETS`` (per event, the indices of
  the states its assignments set), ``EVENT_STOP``, ``EVENT_PERSISTENT``,
  ``EVENT_TRIGGER_VALUES`` (``values = trigger``), ``EVENT_INITIAL`` and
  ``EVENT_DELAYED`` (a ``delay`` option that is not the constant 0): tuples
  with one entry per event; ``EVENT_CROSSING_STRICT``: per crossing function,
  whether its comparison is strict (its side is ``g > 0``, else ``g >= 0``);
- ``event_crossings(t, state, parameter)``: every distinct crossing function
  ``g`` of every condition (`modelc.ir.Event.crossings`), a vector; a
  condition can change only where one of them changes sign;
- ``event_conditions(t, state, parameter)``: each event's condition, a
  boolean vector;
- ``event_assignments(t, state, parameter)``: shape ``(events, states)``, row
  ``k`` the state after event ``k``'s assignments (all right-hand sides
  evaluated from ``state`` before any is assigned; other entries unchanged);
- ``event_priorities`` and ``event_delays`` (same arguments): vectors.

The solver side is `modelc.solvers.events`; `modelc.runs` builds its
``EventSpec`` from these names.
"""

from __future__ import annotations

import sympy

from ..ir import Model
from .expressions import Expressions

__all__ = ["event_functions"]

_ARGS = ("t", "state", "parameter")
#: Up to this many states an assignment row is stacked entry by entry, else scattered.
_STACKED_ROWS = 32


def _strictness(events) -> dict:
    """Each distinct crossing function (in `modelc.ir.Event.crossings` order) -> whether its
    comparison is strict (``<``, ``>``, ``!=``: the comparison holds where ``g > 0``) or not
    (``<=``, ``>=``, ``==``: it holds at ``g = 0`` too); the first comparison decides."""
    found: dict = {}
    for e in events:
        for rel in sympy.preorder_traversal(e.condition):
            if isinstance(rel, (sympy.Lt, sympy.Le)):
                found.setdefault(rel.rhs - rel.lhs, isinstance(rel, sympy.Lt))
            elif isinstance(rel, (sympy.Gt, sympy.Ge, sympy.Eq, sympy.Ne)):
                found.setdefault(rel.lhs - rel.rhs, isinstance(rel, (sympy.Gt, sympy.Ne)))
    assert list(found) == list(dict.fromkeys(g for e in events for g in e.crossings))
    return found


def event_functions(ex: Expressions, compute=None) -> str:
    """The event section of a scalar module (empty text for a model without events);
    ``compute`` (default ``ex.compute``) prints each function (a delay model's reads the
    history, `modelc.codegen.delays`)."""
    model: Model = ex.model
    compute = compute or ex.compute
    events = model.events
    if not events:
        return ""
    index = {s.name: i for i, s in enumerate(model.states)}
    targets = tuple(tuple(index[a.target] for a in e.assignments) for e in events)
    strict = _strictness(events)
    if not strict:
        # every condition is constant (`3 != 0`, or a state a constraint fixes): one
        # constant crossing function, which never changes sign, keeps the arrays non-empty
        strict = {sympy.Integer(1): True}
    crossings = list(strict)
    meta = [
        f"EVENT_NAMES = {tuple(e.name for e in events)!r}",
        f"EVENT_TARGETS = {targets!r}",
        f"EVENT_STOP = {tuple(bool(e.stop) for e in events)!r}",
        f"EVENT_PERSISTENT = {tuple(bool(e.options.persistent) for e in events)!r}",
        f"EVENT_TRIGGER_VALUES = {tuple(e.options.values == 'trigger' for e in events)!r}",
        f"EVENT_INITIAL = {tuple(bool(e.options.initial) for e in events)!r}",
        f"EVENT_DELAYED = {tuple(sympy.sympify(e.options.delay) != 0 for e in events)!r}",
        f"EVENT_CROSSING_STRICT = {tuple(strict.values())!r}",
    ]
    n = len(model.states)
    flat = [a.expr for e in events for a in e.assignments]

    def assignments(values: list[str]) -> str:
        # small models: each row stacked entry by entry (cheaper to compile than a scatter)
        rows, k = [], 0
        for tg in targets:
            if not tg:
                rows.append("state")
                continue
            vals = values[k:k + len(tg)]
            k += len(tg)
            if n <= _STACKED_ROWS:
                given = dict(zip(tg, vals))
                items = [f"jnp.asarray({given[i]}, dtype=state.dtype)" if i in given else f"state[{i}]"
                         for i in range(n)]
                rows.append("jnp.stack([" + ", ".join(items) + "])")
            else:
                rows.append(f"state.at[jnp.asarray({tg!r})].set(jnp.stack([{', '.join(vals)}])"
                            ".astype(state.dtype))")
        return "jnp.stack([" + ", ".join(rows) + "])"

    def booleans(values: list[str]) -> str:
        return "jnp.stack([" + ", ".join(f"jnp.asarray({v}, dtype=bool)" for v in values) + "])"

    def vector(values: list[str]) -> str:
        if not values:
            return "jnp.zeros((0,), dtype=state.dtype)"
        return ("jnp.stack([" + ", ".join(f"jnp.asarray({v}, dtype=state.dtype)" for v in values)
                + "])")

    def empty_rows(values: list[str]) -> str:
        return f"jnp.broadcast_to(state, ({len(events)}, {n}))"

    parts = ["\n".join(meta)]
    parts.append(compute("event_crossings", _ARGS,
                            "The crossing functions of the event conditions (a condition can change "
                            "only where one changes sign).", crossings, result=vector))
    parts.append(compute("event_conditions", _ARGS, "Each event's condition, in the order of "
                            "EVENT_NAMES.", [e.condition for e in events], result=booleans))
    parts.append(compute("event_assignments", _ARGS,
                            "Row k: the state after event k's assignments (right-hand sides from "
                            "`state`).", flat, result=assignments if flat else empty_rows))
    parts.append(compute("event_priorities", _ARGS, "Each event's priority (larger runs first).",
                            [sympy.sympify(e.options.priority) for e in events], result=vector))
    parts.append(compute("event_delays", _ARGS, "Each event's delay from trigger to execution.",
                            [sympy.sympify(e.options.delay) for e in events], result=vector))
    return "\n\n".join(parts)
