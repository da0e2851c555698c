"""Run a simulation for the CLI: one solve, with a progress line if asked."""

from __future__ import annotations

from .array_model import SAMPLERS
from .progress import finish_time_progress
from .solution import Solution

__all__ = ["run_simulation"]


def run_simulation(model, *, t=None, points=None, progress=False, params=None, y0=None,
                   **options) -> Solution:
    """Solve ``model`` on evenly spaced outputs; with ``progress``, one solve that redraws
    a progress line from inside the loop (so the steps, Jacobian reuse and the auto
    method's choice are those of the same solve without it)."""
    scalar = not (model.is_field_model or model.is_array_model)
    if not progress or not scalar or options.get("method") in SAMPLERS:
        return model.solve(t=t, points=points, params=params, y0=y0, **options)
    try:
        return model.solve(t=t, points=points, params=params, y0=y0, progress=True, **options)
    finally:
        finish_time_progress()
