"""The memory a field model's grid needs, estimated before anything is allocated.

A solve holds the state and several arrays of the same size at once: an explicit
Runge-Kutta step keeps its stages (tsit5: 7), the new state and the error
estimate, and every right-hand-side evaluation makes temporaries (derivatives,
ghost-padded copies for finite differences; on spectral axes the complex Fourier
coefficients and the zero-padded arrays of dealiasing, 3/2 the size per axis).
`WORK_COPIES` counts those as a lower bound, so a refusal refuses only what
certainly cannot fit: a grid of ``points = 1e9`` is refused here, in ``check``,
instead of being killed by the operating system (or aborting inside XLA) later.
"""

from __future__ import annotations

import math

from ...ir import Model
from ...memory import format_bytes, memory_limit
from .context import fail

__all__ = ["WORK_COPIES", "grid_bytes", "check_grid_memory"]

WORK_COPIES = 12
"""State-sized float64 arrays a solve of a field model holds at once, at least."""


def grid_bytes(model: Model) -> int:
    """Bytes of the arrays a solve of ``model`` holds at once, at least: `WORK_COPIES`
    float64 copies of its discrete state (a complex field counts twice; a dealiased
    spectral axis adds its 3/2 padding)."""
    points = math.prod(d.points for d in model.domains)
    padding = math.prod(1.5 if d.method == "spectral" and d.dealias == "pad" else 1.0
                        for d in model.domains)
    values = sum(2 if f.complex else 1 for f in model.fields) * points * padding + len(model.states)
    return int(values * 8 * WORK_COPIES)


def check_grid_memory(model: Model) -> None:
    """Refuse (`ModelError` at the finest domain's declaration) a grid whose solve needs
    more memory than the limit of `modelc.memory.memory_limit`, naming both."""
    if not model.fields or not model.domains:
        return
    try:
        limit, source = memory_limit()
    except ValueError as error:
        finest = max(model.domains, key=lambda d: d.points)
        fail(model, finest.span, f"cannot check the grid's memory: {error}",
             "set MODELC_MEMORY_LIMIT to an amount such as 8GB, or unset it")
    need = grid_bytes(model)
    if limit is None or need <= limit:
        return
    finest = max(model.domains, key=lambda d: d.points)
    total = math.prod(d.points for d in model.domains)
    shape = " x ".join(f"{d.points:,}" for d in model.domains)
    shape += f" = {total:,}" if len(model.domains) > 1 else ""
    fail(model, finest.span,
         f"the grid of {shape} points needs about {format_bytes(need)} to solve "
         f"({len(model.fields)} field(s), {WORK_COPIES} working copies of float64), more than "
         f"{format_bytes(limit)}, {source}",
         f"use fewer points on axis `{finest.name}` (e.g. points = {_fitting(finest.points, need, limit)})")


def _fitting(points: int, need: int, limit: int) -> int:
    """Fewer points on one axis that would bring ``need`` under ``limit`` (at least 16)."""
    return max(16, int(points * limit / need * 0.9))
