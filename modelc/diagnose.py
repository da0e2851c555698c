"""Which equations made a solve non-finite, at what time and state (a sentence for users)."""

from __future__ import annotations

import numpy as np

from .array_model import problem

__all__ = ["nonfinite_report"]

_SHOWN = 6   # states listed in the sentence at most


def nonfinite_report(model, sol, params: dict) -> str | None:
    """For a scalar model whose solve ended with a non-finite state: the equations whose
    right-hand side is NaN or infinite at the last finite output, with the time and the
    state values there; or, when all are finite there, the interval in which the state
    became non-finite. None for field and array models, or when no output is finite."""
    if model.is_field_model or model.is_array_model:
        return None
    y = np.asarray(sol.y)
    finite = np.all(np.isfinite(y), axis=-1)
    if not finite[0]:
        return _describe_start(model, y[0], sol.t[0])
    k = int(np.flatnonzero(finite)[-1])
    module = model.module
    p = module.parameter_vector(params)
    prob = problem(module, p, {}, {}, None)
    with np.errstate(all="ignore"):
        rates = np.asarray(prob.rhs(sol.t[k], y[k].astype(np.asarray(p).dtype), prob.args))
    bad = [name for name, r in zip(model.state_names, rates) if not np.isfinite(r)]
    where = f"t = {sol.t[k]:.6g} ({_values(model.state_names, y[k])})"
    if bad:
        return f"{', '.join(f'der({b})' for b in bad)} {'is' if len(bad) == 1 else 'are'} non-finite at {where}"
    later = f" and t = {sol.t[k + 1]:.6g}" if k + 1 < len(sol.t) else ""
    return f"the state became non-finite between {where}{later}"


def _describe_start(model, y0, t0) -> str:
    bad = [name for name, v in zip(model.state_names, y0) if not np.isfinite(v)]
    return f"the initial value of {', '.join(bad)} is not finite at t = {t0:.6g}"


def _values(names, values) -> str:
    shown = ", ".join(f"{n} = {v:.6g}" for n, v in list(zip(names, values))[:_SHOWN])
    return shown + (", ..." if len(names) > _SHOWN else "")
