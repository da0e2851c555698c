"""The one place that stops models the solvers cannot run yet.

Events run in scalar models (`modelc.solvers.events`), ``delay(expr, tau)`` in
the derivatives of scalar ODE models (`modelc.solvers.history`), and constraints
either eliminated symbolically or solved as a DAE (`modelc.passes.constraints`,
docs/dae.md). What the solvers do not run yet is refused here: events in models
with fields or external functions, events together with delays (events in DAEs
run: the constraints are solved again after each event), delays in observables
(directly or through a let), nested delays and delays in field, array or
external models, numerically solved constraints in models with array states,
externals or fields or with delays, and ``der(z)`` of a numerically solved state
where the constraints pass could not differentiate the constraints.
`require_solver_support` (the last of these passes in `modelc.api.PASSES`) raises
a `ModelError` that names each such construct and its line, so that such a model
is never solved silently wrong. When the solvers support them, delete this
module and its entry in `modelc.api.PASSES`.
"""

from __future__ import annotations

import sympy
from sympy import sympify

from ..errors import Diagnostic, ModelError
from ..exprwalk import contains_type
from ..ir import Delay, DerValue, Model
from .constraints import MAX_RATE_SYSTEM
from .inline import inline_lets

__all__ = ["require_solver_support", "NOT_YET", "NotYetSolvable", "in_events_of"]

NOT_YET = "the solver does not run them yet"


class NotYetSolvable(ModelError):
    """A valid model with constructs the solvers cannot run yet (`modelc check` accepts it
    with a note; compiling it for a solve is refused)."""


def require_solver_support(model: Model) -> Model:
    """Return ``model`` unchanged, or raise for the constructs the solvers cannot run yet.

    Raises:
        ModelError: one diagnostic per event of a field or array model, per statement that uses ``delay``
            or a leftover ``der(y)`` value, and per constraint kept for the
            numerical path in a model of array states, externals or fields.
    """
    # Events run in every solver (modelc.solvers.events) in scalar models, DAEs included
    # (the constraints are solved again after each event, modelc.solvers.dae) and together
    # with delays (modelc.solvers.history records the jump); in models with fields or
    # external functions they are refused here.
    diags = [Diagnostic(e.span, f"event `{e.name}`: events in models with fields or external "
                        f"functions are parsed and checked, but {NOT_YET}",
                        "remove the event, or write the model without fields/externals")
             for e in model.events if model.fields or model.has_arrays]
    # Constraints (DAE engineer, issue 17): only models of scalar states run them numerically.
    if model.has_arrays or model.fields:
        diags += [Diagnostic(c.span, f"constraint for `{c.state}`: SymPy could not solve it for "
                             f"`{c.state}` uniquely, and in a model with array states, externals or "
                             f"fields {NOT_YET} numerically",
                             f"write `{c.state}` explicitly, e.g. as `let {c.state} = ...`, or rewrite "
                             f"the constraint so that `{c.state}` has one solution")
                  for c in model.constraints]
    if not contains_type((expr for _, _, expr in _statements(model)), Delay, DerValue):
        statements = []   # no delay and no der(x) value: nothing below to refuse (one cheap walk)
    else:
        diags += _delay_diagnostics(model)
        statements = list(_statements(model))
    rates = {d.state for d in model.derivatives} - {c.state for c in model.constraints}
    for what, span, expr in statements:
        left = {a for a in expr.atoms(DerValue) if not _delayed_rate(a, expr, rates)}
        if left:
            names = ", ".join(sorted(str(a) for a in left))
            diags.append(Diagnostic(span, f"{what} uses {names}, the rate of change of a state determined by a "
                                    f"constraint that is solved numerically; modelc derives it by differentiating "
                                    f"the constraints only when no `der` equation or constraint uses such a rate "
                                    f"(no cycle) and at most {MAX_RATE_SYSTEM} constraints are solved numerically",
                                    "write the rate of change out by hand (differentiate the constraint), or "
                                    "remove the cycle"))
    if diags:
        raise NotYetSolvable(sorted(diags, key=lambda d: (d.span.line, d.span.col)),
                             source=model.source or None)
    return model


def _delayed_rate(value, expr, rates) -> bool:
    """Whether ``der(x)`` ``value`` stands only inside ``delay(...)`` of ``expr``, ``x`` a state
    with an equation (the delay's code reads ``x``'s rhs at the delayed time)."""
    if value.args[0].name not in rates:
        return False
    return not expr.xreplace({d: sympy.Integer(0) for d in expr.atoms(Delay)}).has(value)


def in_events_of(event) -> list:
    """The expressions of an event: its condition, delay, priority and assignments."""
    return [event.condition, event.options.delay, event.options.priority,
            *(a.expr for a in event.assignments)]


def _delay_diagnostics(model: Model) -> list[Diagnostic]:
    """The uses of ``delay(...)`` the solvers do not run: outside a scalar ODE model, or
    nested in another delay."""
    diags = []
    # der(x) inside a delay reads x's rhs at the delayed time: a delay there nests
    delayed_rates = {d.state for d in inline_lets(model).derivatives if d.expr.atoms(Delay)}
    scalar = not (model.fields or model.externals or model.has_arrays)
    for what, span, expr in _statements(model):
        if not expr.atoms(Delay):
            continue
        if not scalar:
            diags.append(Diagnostic(span, f"{what} uses `delay(...)`: delays run in scalar ODE "
                                    f"models only; in field, array or external models {NOT_YET}",
                                    "remove the delay, or write the model with scalar states"))
        elif any(a.args[0].atoms(Delay) or a.args[1].atoms(Delay)
                 or any(r.args[0].name in delayed_rates for r in a.args[0].atoms(DerValue))
                 for a in expr.atoms(Delay)):
            diags.append(Diagnostic(span, f"{what} nests `delay(...)` inside a delay: {NOT_YET}",
                                    "write delay(delay(x, a), b) as delay(x, a + b) when a is constant"))
    if scalar and model.constraints and any(expr.atoms(Delay) for _, _, expr in _statements(model)):
        diags += [Diagnostic(c.span, f"constraint for `{c.state}` is solved numerically, and in a model "
                             f"with `delay(...)` {NOT_YET} together",
                             f"write `{c.state}` explicitly, e.g. as `let {c.state} = ...`, or remove "
                             "the delay") for c in model.constraints]
    return diags


def _statements(model: Model):
    """``(description, span, expression)`` for each equation, let, observable and event
    expression."""
    for d in model.derivatives + model.field_derivatives:
        yield f"der({d.state})", d.span, d.expr
    for le in model.lets:
        yield f"let `{le.name}`", le.span, le.expr
    for o in model.observes:
        yield f"observable `{o.name}`", o.span, o.expr
    for e in model.events:
        for x in in_events_of(e):
            yield f"event `{e.name}`", e.span, sympify(x)

