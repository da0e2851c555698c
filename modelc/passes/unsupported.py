"""The one place that stops models the solvers cannot run yet.

Events in models with fields or external functions, ``delay(expr, tau)`` and
constraints that SymPy could not eliminate are parsed, checked and kept in the
IR, but the integration loop does not run them yet (events in scalar models do
run: `modelc.solvers.events`). `require_solver_support` (the last of these passes
in `modelc.api.PASSES`) raises a `ModelError` that names each such construct and
its line, so that such a model is never solved silently wrong. When the solvers
support them, delete this module and its entry in `modelc.api.PASSES`.
"""

from __future__ import annotations

from ..errors import Diagnostic, ModelError
from ..ir import Delay, DerValue, Model

__all__ = ["require_solver_support", "NOT_YET", "NotYetSolvable"]

NOT_YET = "the solver does not run them yet"


class NotYetSolvable(ModelError):
    """A valid model with constructs the solvers cannot run yet (`modelc check` accepts it
    with a note; compiling it for a solve is refused)."""


def require_solver_support(model: Model) -> Model:
    """Return ``model`` unchanged, or raise for the constructs the solvers cannot run yet.

    Raises:
        ModelError: one diagnostic per event of a field or array model, per statement that uses ``delay``
            or a leftover ``der(y)`` value, and per constraint kept for the
            numerical path.
    """
    # Events run in every solver (modelc.solvers.events) in scalar models; in models with
    # fields or external functions they are still refused here.
    diags = [Diagnostic(e.span, f"event `{e.name}`: events in models with fields or external "
                        f"functions are parsed and checked, but {NOT_YET}",
                        "remove the event, or write the model without fields/externals")
             for e in model.events if model.fields or model.has_arrays]
    diags += [Diagnostic(c.span, f"constraint for `{c.state}`: SymPy could not solve it for `{c.state}` "
                         f"uniquely, and the numerical path for constraints is parsed and checked, but {NOT_YET}",
                         f"write `{c.state}` explicitly, e.g. as `let {c.state} = ...`, or rewrite the "
                         f"constraint so that `{c.state}` has one solution") for c in model.constraints]
    for what, span, expr in _statements(model):
        if expr.atoms(Delay):
            diags.append(Diagnostic(span, f"{what} uses `delay(...)`: delays are parsed and checked, but {NOT_YET}",
                                    "remove the delay for now"))
        if expr.atoms(DerValue):
            names = ", ".join(sorted(str(a) for a in expr.atoms(DerValue)))
            diags.append(Diagnostic(span, f"{what} uses {names}, the rate of change of a state determined by a "
                                    f"constraint that is not eliminated; {NOT_YET}",
                                    "write the rate of change out by hand"))
    if diags:
        raise NotYetSolvable(sorted(diags, key=lambda d: (d.span.line, d.span.col)),
                             source=model.source or None)
    return model


def _statements(model: Model):
    """``(description, span, expression)`` for each equation, let and observable."""
    for d in model.derivatives + model.field_derivatives:
        yield f"der({d.state})", d.span, d.expr
    for le in model.lets:
        yield f"let `{le.name}`", le.span, le.expr
    for o in model.observes:
        yield f"observable `{o.name}`", o.span, o.expr

