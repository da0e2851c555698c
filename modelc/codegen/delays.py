"""Generated code of ``delay(expr, tau)``: the functions that read the solver's history.

A scalar model with delays (in its derivatives, its observables or its events)
gets, instead of ``rhs(t, state, parameter)``,

- ``rhs(t, state, parameter, history)``: ``history(q)`` returns the states listed
  in ``DELAY_COLUMNS`` at an earlier time ``q`` (`modelc.solvers.history`). Each
  distinct ``delay(expr, tau)`` becomes three printed steps::

      delaytime0 = t - (tau)            # tau of the current state and parameters
      delayed0 = history(delaytime0)     # the stored states at t - tau
      delayed0s1 = delayed0[0]           # state 1 at t - tau ...

  and ``expr`` is printed with every state replaced by its delayed value and ``t``
  by ``delaytime0`` (lets are inlined first, so a let inside ``expr`` is
  evaluated at the delayed time too); a ``der(x)`` inside ``expr`` is ``x``'s
  right-hand side at the delayed time times ``history.started(delaytime0)`` (0
  before t0, where the history is constant, 1 after);
- ``delay_lags(t, state, parameter)``: the vector of the lags ``tau`` of every
  delay term of the model (derivatives, observables and events);
- ``DELAY_COLUMNS`` (the states the delayed expressions read, which is all the
  history stores) and ``DELAY_CONSTANT`` (which lags depend on parameters
  only: those bound the step and carry discontinuities);
- with a delay in an observable, ``OBSERVABLES_HISTORY = True`` and
  ``observables(t, state, parameter, history=None)`` (the loop evaluates it at
  each output time from the history; called without a history, outside the loop,
  its delayed values are NaN);
- with events, the event functions of `modelc.codegen.events`, each with the
  extra argument ``history`` (``EVENT_HISTORY = True``).

Names of the temporaries come from `Namespace.fresh` (never a model name).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from ..exprwalk import contains_type
from ..ir import TIME, Delay, DerValue, Model
from ..passes.inline import inline_lets, let_values
from .emit import function, stack
from .events import event_functions
from .expressions import Expressions

__all__ = ["DelayTerms", "delay_terms", "has_delays", "delay_functions", "history_compute",
           "event_expressions"]

_ARGS = ("t", "state", "parameter")


def event_expressions(model: Model) -> list:
    """Every expression of every event (condition, delay, priority, assignments)."""
    return [sympy.sympify(x) for e in model.events
            for x in (e.condition, e.options.delay, e.options.priority,
                      *(a.expr for a in e.assignments))]


def _all_expressions(model: Model) -> list:
    """The model's derivatives, observables and event expressions, lets inlined."""
    flat, values = inline_lets(model), let_values(model)
    return ([d.expr for d in flat.derivatives] + [o.expr for o in flat.observes]
            + [x.xreplace(values) for x in event_expressions(model)])


def has_delays(model: Model) -> bool:
    """Whether a derivative, observable or event of ``model`` (or a let one of them
    uses) contains ``delay(...)``."""
    if not contains_type(_raw_expressions(model), Delay):   # one cheap walk, lets not inlined
        return False
    return any(e.atoms(Delay) for e in _all_expressions(model))


def _raw_expressions(model: Model) -> list:
    """The model's lets, derivatives, observables and event expressions as written."""
    return ([le.expr for le in model.lets] + [d.expr for d in model.derivatives]
            + [o.expr for o in model.observes] + event_expressions(model))


@dataclass
class DelayTerms:
    """The delay terms of a model, lowered.

    ``terms``: the distinct ``delay(expr, tau)`` (lets inlined); ``lowered``: each
    term -> its argument at the delayed time (in the symbols below); ``lags``: the
    ``tau`` of each term; ``constant``: which lags are parameter-only;
    ``columns``: the state indices the delayed arguments read; ``lines``: per term,
    the printed statements that define its delayed symbols (``history`` calls).
    """

    terms: list
    lowered: dict
    lags: list
    constant: tuple
    columns: tuple
    lines: dict


def delay_terms(ex: Expressions) -> DelayTerms:
    """Lower every delay term of ``ex.model`` (module docstring)."""
    model, names, printer = ex.model, ex.names, ex.printer
    exprs = _all_expressions(model)
    terms = sorted({a for e in exprs for a in e.atoms(Delay)}, key=sympy.default_sort_key)
    state_index = {s.name: i for i, s in enumerate(model.states)}
    rates = {d.state: d.expr for d in inline_lets(model).derivatives}
    started = {}  # term -> the symbol of "q is after t0" of a term with der(x) inside
    args = {}
    for j, term in enumerate(terms):
        arg = term.args[0]
        if arg.atoms(DerValue):
            name = names.fresh(f"delaystarted{j}")
            printer.add_names({name: name})
            started[term] = sympy.Symbol(name, real=True)
            arg = arg.xreplace({r: rates.get(r.args[0].name, sympy.Integer(0)) * started[term]
                                for r in arg.atoms(DerValue)})
        args[term] = arg
    used = sorted({state_index[s.name] for term in terms for s in args[term].free_symbols
                   if s.name in state_index})
    column = {i: c for c, i in enumerate(used)}
    constant_names = {p.name for p in model.parameters} | {name for name, _ in model.constants}
    lines, lowered, lags, constant = {}, {}, [], []
    for j, term in enumerate(terms):
        arg, tau = args[term], term.args[1]
        when = names.fresh(f"delaytime{j}")
        values = names.fresh(f"delayed{j}")
        printer.add_names({when: when, values: values})
        text = [f"{when} = t - ({printer.doprint(tau)})", f"{values} = history({when})"]
        if term in started:  # der(x) at the delayed time: x's rhs there, 0 before t0
            text.append(f"{started[term].name} = history.started({when})")
        swap = {TIME: sympy.Symbol(when, real=True)}
        for s in sorted(arg.free_symbols, key=lambda s: s.name):
            if s.name in state_index:
                i = state_index[s.name]
                name = names.fresh(f"delayed{j}s{i}")
                printer.add_names({name: name})
                text.append(f"{name} = {values}[{column[i]}]")
                swap[s] = sympy.Symbol(name, real=True)
        lowered[term] = arg.xreplace(swap)
        lines[term] = text
        lags.append(tau)
        constant.append(all(s.name in constant_names for s in tau.free_symbols))
    return DelayTerms(terms, lowered, lags, tuple(constant), tuple(used), lines)


def history_compute(ex: Expressions, d: DelayTerms, name: str, doc: str, outputs, *,
                    result=None, like: str = "state", optional: bool = False) -> str:
    """``name(t, state, parameter, history)`` returning ``outputs`` (lets inlined, every
    delay term read from ``history``); ``optional``: ``history=None`` reads NaN (a
    caller outside the integration loop has no history)."""
    values = let_values(ex.model)
    flat = [sympy.sympify(o).xreplace(values) for o in outputs]
    used = [t for t in d.terms if any(t in e.atoms(Delay) for e in flat)]
    lowered = [e.xreplace(d.lowered) for e in flat]
    uses = lowered + [t.args[1] for t in used]
    body = ex.unpack_states(uses) + ex.unpack_parameters(uses) + ex.unpack_constants(uses)
    if optional:
        body += ["if history is None:  # outside the integration loop: no history",
                 f"    history = lambda q: jnp.full(({len(d.columns)},), jnp.nan, dtype=state.dtype)",
                 "    history.started = lambda q: jnp.nan"]
    for t in used:
        body += d.lines[t]
    replacements, reduced = ex.reduce(lowered)
    body += ex.assignments(replacements)
    printed = [ex.printer.doprint(e) for e in reduced]
    body.append("return " + (result(printed) if result else stack(printed, like)))
    return function(name, [*_ARGS, "history=None" if optional else "history"], doc, body)


def delay_functions(ex: Expressions) -> str:
    """``DELAY_COLUMNS``, ``DELAY_CONSTANT``, ``delay_lags``, the history-reading
    ``rhs(t, state, parameter, history)``, the observables and the event functions
    of a model with delays."""
    model = ex.model
    d = delay_terms(ex)
    rhs = history_compute(ex, d, "rhs", "The time derivative d(state)/dt, in the order of "
                          "STATE_NAMES; history(q) gives the states DELAY_COLUMNS at an earlier "
                          "time q.", [e.expr for e in inline_lets(model).derivatives])
    lags = ex.compute("delay_lags", _ARGS, "The lag tau of every delay(expr, tau) term.",
                      d.lags, lets=False)
    observed = any(o.expr.atoms(Delay) for o in inline_lets(model).observes)
    doc = "The observables, in the order of OBSERVABLE_NAMES."
    if observed:
        observables = history_compute(ex, d, "observables", doc + " Delayed values from "
                                      "history(q) (NaN without it).",
                                      [o.expr for o in model.observes], optional=True)
    else:
        observables = ex.compute("observables", _ARGS, doc, [o.expr for o in model.observes])
    header = (f"DELAY_COLUMNS = {d.columns!r}\nDELAY_CONSTANT = {d.constant!r}\n"
              f"OBSERVABLES_HISTORY = {observed!r}")
    parts = [header, lags, rhs, observables]
    if model.events:
        def compute(name, args, doc, outputs, result=None):
            return history_compute(ex, d, name, doc, outputs, result=result)

        parts += ["EVENT_HISTORY = True", event_functions(ex, compute)]
    return "\n\n".join(parts)
