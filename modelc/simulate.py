"""Run a simulation for the CLI: one solve, or chunks of one with a progress bar."""

from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np

from .compiled import DEFAULT_POINTS
from .progress import draw_progress
from .solution import Solution

__all__ = ["run_simulation", "chunk_count"]

MAX_CHUNKS = 20


def chunk_count(points: int, max_chunks: int = MAX_CHUNKS) -> int:
    """The largest number of equal chunks (at most ``max_chunks``) that split ``points - 1`` intervals."""
    intervals = points - 1
    return max(k for k in range(1, max_chunks + 1) if intervals % k == 0)


def run_simulation(model, *, t=None, points=None, progress=False, params=None, y0=None,
                   **options) -> Solution:
    """Solve ``model`` on evenly spaced outputs.

    With ``progress`` the output grid is cut into equal chunks, each solved from
    the end state of the last (one compilation serves all), and a bar is drawn
    on stderr. Statistics are summed over chunks.
    """
    if not progress or model.is_field_model or model.is_array_model:  # restart needs sol.y
        return model.solve(t=t, points=points, params=params, y0=y0, **options)
    sim = model.simulate_defaults
    t0, t1 = t if t is not None else (sim.get("t0"), sim.get("t1"))
    if t0 is None:
        return model.solve(t=t, points=points, params=params, y0=y0, **options)
    n = int(points or sim.get("points", DEFAULT_POINTS))
    ts = np.linspace(float(t0), float(t1), n)
    chunks = chunk_count(n)
    size = (n - 1) // chunks
    params = dict(params or {})
    values = model.resolved_values(params, y0)
    start = {name: values[name] for name in model.state_names}
    pieces = []
    for k in range(chunks):
        grid = ts[k * size: (k + 1) * size + 1]
        sol = model.solve(t=(grid[0], grid[-1]), saveat=grid, params=params, y0=start,
                          **options)
        pieces.append(sol if k == 0 else _tail(sol))
        draw_progress(k + 1, chunks, width=40)
        if not sol.ok:
            break
        start = dict(zip(sol.state_names, sol.y[-1].tolist()))
    print(file=sys.stderr)
    return _join(pieces)


def _tail(sol: Solution) -> Solution:
    return replace(sol, t=sol.t[1:], y=sol.y[1:], observables=sol.observables[1:])


def _join(pieces: list[Solution]) -> Solution:
    stats = dict(pieces[-1].stats)
    for key in ("nfe", "steps", "accepted", "rejected"):
        stats[key] = sum(p.stats[key] for p in pieces)
    return replace(
        pieces[-1],
        t=np.concatenate([p.t for p in pieces]),
        y=np.concatenate([p.y for p in pieces]),
        observables=np.concatenate([p.observables for p in pieces]),
        stats=stats,
    )

