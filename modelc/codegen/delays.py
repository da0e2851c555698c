"""Generated code of ``delay(expr, tau)``: the rhs that reads the solver's history.

A scalar model with delays gets, instead of ``rhs(t, state, parameter)``,

- ``rhs(t, state, parameter, history)``: ``history(q)`` returns the states listed
  in ``DELAY_COLUMNS`` at an earlier time ``q`` (`modelc.solvers.history`). Each
  distinct ``delay(expr, tau)`` becomes three printed steps::

      delaytime0 = t - (tau)            # tau of the current state and parameters
      delayed0 = history(delaytime0)     # the stored states at t - tau
      delayed0s1 = delayed0[0]           # state 1 at t - tau ...

  and ``expr`` is printed with every state replaced by its delayed value and ``t``
  by ``delaytime0`` (lets are inlined first, so a let inside ``expr`` is
  evaluated at the delayed time too);
- ``delay_lags(t, state, parameter)``: the vector of the lags ``tau``;
- ``DELAY_COLUMNS`` (the states the delayed expressions read, which is all the
  history stores) and ``DELAY_CONSTANT`` (which lags depend on parameters
  only: those bound the step and carry discontinuities).

Names of the temporaries come from `Namespace.fresh` (never a model name).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from ..ir import TIME, Delay, Model
from ..passes.inline import inline_lets
from .emit import function, stack
from .expressions import Expressions

__all__ = ["DelayTerms", "delay_terms", "has_delays", "delay_functions"]

_ARGS = ("t", "state", "parameter")


def has_delays(model: Model) -> bool:
    """Whether a derivative of ``model`` (or a let it uses) contains ``delay(...)``."""
    return any(d.expr.atoms(Delay) for d in inline_lets(model).derivatives)


@dataclass
class DelayTerms:
    """The delay terms of a model's derivatives, lowered.

    ``outputs``: the derivatives with lets inlined and every ``delay`` replaced
    by its argument at the delayed time (in the symbols below); ``lags``: the
    ``tau`` of each term; ``constant``: which lags are parameter-only;
    ``columns``: the state indices the delayed arguments read; ``lines``: the
    printed statements that define the delayed symbols (``history`` calls).
    """

    outputs: list
    lags: list
    constant: tuple
    columns: tuple
    lines: list


def delay_terms(ex: Expressions) -> DelayTerms:
    """Lower the delays of ``ex.model``'s derivatives (module docstring)."""
    model, names, printer = ex.model, ex.names, ex.printer
    flat = inline_lets(model)
    exprs = [d.expr for d in flat.derivatives]
    terms = sorted({a for e in exprs for a in e.atoms(Delay)}, key=sympy.default_sort_key)
    state_index = {s.name: i for i, s in enumerate(model.states)}
    used = sorted({state_index[s.name] for term in terms for s in term.args[0].free_symbols
                   if s.name in state_index})
    column = {i: c for c, i in enumerate(used)}
    constant_names = {p.name for p in model.parameters} | {name for name, _ in model.constants}
    lines, lowered, lags, constant = [], {}, [], []
    for j, term in enumerate(terms):
        arg, tau = term.args
        when = names.fresh(f"delaytime{j}")
        values = names.fresh(f"delayed{j}")
        printer.add_names({when: when, values: values})
        lines += [f"{when} = t - ({printer.doprint(tau)})", f"{values} = history({when})"]
        swap = {TIME: sympy.Symbol(when, real=True)}
        for s in sorted(arg.free_symbols, key=lambda s: s.name):
            if s.name in state_index:
                i = state_index[s.name]
                name = names.fresh(f"delayed{j}s{i}")
                printer.add_names({name: name})
                lines.append(f"{name} = {values}[{column[i]}]")
                swap[s] = sympy.Symbol(name, real=True)
        lowered[term] = arg.xreplace(swap)
        lags.append(tau)
        constant.append(all(s.name in constant_names for s in tau.free_symbols))
    return DelayTerms([e.xreplace(lowered) for e in exprs], lags, tuple(constant), tuple(used),
                      lines)


def delay_functions(ex: Expressions) -> str:
    """``DELAY_COLUMNS``, ``DELAY_CONSTANT``, ``delay_lags`` and the history-reading
    ``rhs(t, state, parameter, history)`` of a model with delays."""
    d = delay_terms(ex)
    uses = d.outputs + d.lags
    body = ex.unpack_states(uses) + ex.unpack_parameters(uses) + ex.unpack_constants(uses)
    body += d.lines
    replacements, reduced = ex.reduce(d.outputs)
    body += ex.assignments(replacements)
    body.append("return " + stack([ex.printer.doprint(e) for e in reduced], "state"))
    rhs = function("rhs", [*_ARGS, "history"],
                   "The time derivative d(state)/dt, in the order of STATE_NAMES; history(q) "
                   "gives the states DELAY_COLUMNS at an earlier time q.", body)
    lags = ex.compute("delay_lags", _ARGS, "The lag tau of every delay(expr, tau) term.",
                      d.lags, lets=False)
    header = f"DELAY_COLUMNS = {d.columns!r}\nDELAY_CONSTANT = {d.constant!r}"
    return header + "\n\n" + lags + "\n\n" + rhs
