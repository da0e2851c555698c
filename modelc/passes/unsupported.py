"""The one place that stops models the solvers cannot run yet.

Events and constraints that SymPy could not eliminate are parsed, checked and
kept in the IR, but the integration loop does not run them yet. ``delay(expr, tau)``
runs in the derivatives of scalar ODE models (`modelc.solvers.history`); the
uses it does not run yet (in an observable, a delay inside a delay, a field,
array or external model) are refused here. `require_solver_support` (the last of these passes in `modelc.api.PASSES`)
raises a `ModelError` that names each such construct and its line, so that such
a model is never solved silently wrong. When the solvers support them, delete
this module and its entry in `modelc.api.PASSES`.
"""

from __future__ import annotations

from ..errors import Diagnostic, ModelError
from ..ir import Delay, DerValue, Model
from .inline import inline_lets

__all__ = ["require_solver_support", "NOT_YET", "NotYetSolvable"]

NOT_YET = "the solver does not run them yet"


class NotYetSolvable(ModelError):
    """A valid model with constructs the solvers cannot run yet (`modelc check` accepts it
    with a note; compiling it for a solve is refused)."""


def require_solver_support(model: Model) -> Model:
    """Return ``model`` unchanged, or raise for the constructs the solvers cannot run yet.

    Raises:
        ModelError: one diagnostic per event, per statement that uses ``delay``
            or a leftover ``der(y)`` value, and per constraint kept for the
            numerical path.
    """
    diags = [Diagnostic(e.span, f"event `{e.name}`: events are parsed and checked, but {NOT_YET}",
                        "remove the event for now (or solve piecewise: stop at the event time and "
                        "restart with the new values)") for e in model.events]
    diags += [Diagnostic(c.span, f"constraint for `{c.state}`: SymPy could not solve it for `{c.state}` "
                         f"uniquely, and the numerical path for constraints is parsed and checked, but {NOT_YET}",
                         f"write `{c.state}` explicitly, e.g. as `let {c.state} = ...`, or rewrite the "
                         f"constraint so that `{c.state}` has one solution") for c in model.constraints]
    diags += _delay_diagnostics(model)
    for what, span, expr in _statements(model):
        if expr.atoms(DerValue):
            names = ", ".join(sorted(str(a) for a in expr.atoms(DerValue)))
            diags.append(Diagnostic(span, f"{what} uses {names}, the rate of change of a state determined by a "
                                    f"constraint that is not eliminated; {NOT_YET}",
                                    "write the rate of change out by hand"))
    if diags:
        raise NotYetSolvable(sorted(diags, key=lambda d: (d.span.line, d.span.col)),
                             source=model.source or None)
    return model


def _delay_diagnostics(model: Model) -> list[Diagnostic]:
    """The uses of ``delay(...)`` the solvers do not run: outside a scalar ODE model,
    in an observable (directly or through a let), or nested in another delay."""
    diags = []
    flat = inline_lets(model)
    scalar = not (model.fields or model.externals or model.has_arrays)
    for what, span, expr in _statements(model):
        if not expr.atoms(Delay):
            continue
        if not scalar:
            diags.append(Diagnostic(span, f"{what} uses `delay(...)`: delays run in scalar ODE "
                                    f"models only; in field, array or external models {NOT_YET}",
                                    "remove the delay, or write the model with scalar states"))
        elif any(a.args[0].atoms(Delay) or a.args[1].atoms(Delay) for a in expr.atoms(Delay)):
            diags.append(Diagnostic(span, f"{what} nests `delay(...)` inside a delay: {NOT_YET}",
                                    "write delay(delay(x, a), b) as delay(x, a + b) when a is constant"))
    for o, inlined in zip(model.observes, flat.observes):
        if scalar and inlined.expr.atoms(Delay):
            diags.append(Diagnostic(o.span, f"observable `{o.name}` uses `delay(...)` (directly or "
                                    f"through a let): delays in observables are checked, but {NOT_YET}",
                                    "add a state for the delayed quantity, e.g. `der(lagged) = ...`, "
                                    "or read the solution at t - tau after the solve"))
    return diags


def _statements(model: Model):
    """``(description, span, expression)`` for each equation, let and observable."""
    for d in model.derivatives + model.field_derivatives:
        yield f"der({d.state})", d.span, d.expr
    for le in model.lets:
        yield f"let `{le.name}`", le.span, le.expr
    for o in model.observes:
        yield f"observable `{o.name}`", o.span, o.expr
