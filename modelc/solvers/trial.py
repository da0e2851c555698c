"""A short trial for ``method="auto"`` when the cost model cannot tell (issue 19 item 1).

The prediction (`modelc.solvers.cost`, `modelc.solvers.stiffness.predicted`) is
an estimate: steps from the spectrum at a few probe points, work per step from
XLA's cost analysis. When the two best candidates' predicted work lies within
`TRIAL_FACTOR` of each other, the prediction is uncertain; then each candidate
within that factor of the best runs from ``t0`` over the fraction of the span
in which the best prediction expects about `TRIAL_STEPS` steps, its counters
(evaluations, Jacobians, LUs, steps) are weighted by the measured work
(`cost.counted_work`), and the work is extrapolated to the whole span by the
fraction. The least extrapolated work wins (ties: the better prediction). The
trial is deterministic (counted work, never wall time), and it does not touch the
solution: the chosen method then solves the problem from the start as usual.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from . import cost
from .stiffness import ROLES, predicted

__all__ = ["TRIAL_FACTOR", "TRIAL_STEPS", "uncertain", "decide_by_trial"]

TRIAL_FACTOR = 2.0
"""The prediction is uncertain when the second-best candidate's predicted work is
within this factor of the best's. Not 3: on a small non-stiff system rodas5's
predicted work is about 3x tsit5's by construction (the same accuracy-limited
steps, about 3x the work per step), and a trial there would only compile rodas5
for nothing on nearly every small model."""
TRIAL_STEPS = 100.0
"""The trial's span: where the best prediction expects about this many steps."""


def uncertain(spectra, span, rtol, split, n: int, work: cost.Work) -> tuple[list[str], float]:
    """``(close, fraction)``: the candidates within `TRIAL_FACTOR` of the best predicted
    work, best first (fewer than two: the prediction is clear), and the fraction of
    the span a trial covers."""
    rho, rho_n = (float(v) for v in spectra)
    codes, costs, steps = predicted(rho, rho_n, abs(float(span[1]) - float(span[0])), float(rtol),
                                    split, n, work)
    costs = np.where(np.isnan(np.asarray(costs, dtype=float)), np.inf, np.asarray(costs, dtype=float))
    order = [int(i) for i in np.argsort(costs, kind="stable")]
    best = costs[order[0]]
    if not math.isfinite(best) or best <= 0:
        return [], 1.0
    close = [ROLES[codes[i]] for i in order if costs[i] <= TRIAL_FACTOR * best]
    fraction = min(1.0, TRIAL_STEPS / max(float(np.asarray(steps)[order[0]]), 1.0))
    return close, fraction


def decide_by_trial(close: list[str], fraction: float, work: cost.Work,
                    run: Callable[[str, float], dict]) -> tuple[str, str]:
    """``(name, sentence)``: the candidate of ``close`` whose trial did the least counted
    work, extrapolated by ``1/fraction``. ``run(name, fraction)`` solves over that
    fraction of the span from ``t0`` and returns the counters (`cost.counted_work`'s
    ``stats``) and ``ok``; a failed trial counts as infinite work."""
    measured = {}
    for name in close:
        stats = run(name, fraction)
        measured[name] = (cost.counted_work(name, stats, work) / fraction if stats["ok"]
                          else math.inf)
    pick = min(close, key=lambda name: measured[name])   # stable: ties keep the prediction
    table = "; ".join(f"{name} {measured[name]:.3g}" for name in close)
    return pick, (f"uncertain (predicted work within {TRIAL_FACTOR:g}x): a trial over "
                  f"{fraction:.3g} of the span measured, extrapolated to the whole span: "
                  f"{table}; using {pick}")
