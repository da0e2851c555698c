"""Human-readable description of a model for ``modelc show``."""

from __future__ import annotations

import sympy

from .ir import Model
from .passes.inline import inline_lets

__all__ = ["describe"]


def describe(model: Model) -> str:
    """States, parameters, lets, observables and equations of ``model`` as text."""
    lines = [f"model {model.name}" + (f' "{model.doc}"' if model.doc else "")]
    lines.append(f"  file: {model.file}")
    lines.append("\nparameters:")
    lines += [f"  {p.name} = {sympy.sstr(p.default)}" for p in model.parameters] or ["  (none)"]
    lines.append("\nstates (initial values):")
    lines += [f"  {s.name} = {sympy.sstr(s.initial)}" for s in model.states]
    if model.lets:
        lines.append("\nlets:")
        lines += [f"  {le.name} = {sympy.sstr(le.expr)}" for le in model.lets]
    if model.observes:
        lines.append("\nobservables:")
        lines += [f"  {o.name} = {sympy.sstr(o.expr)}" for o in model.observes]
    lines.append("\nequations (lets inlined):")
    flat = inline_lets(model)
    lines += [f"  d{d.state}/dt = {sympy.sstr(d.expr)}" for d in flat.derivatives]
    opts = {k: v for k, v in vars(model.simulate).items() if k != "span" and v is not None}
    if opts:
        lines.append("\nsimulate: " + ", ".join(f"{k} = {v}" for k, v in opts.items()))
    return "\n".join(lines)
