"""Diffusion samplers from a model file: DDIM, DPM-Solver and DEIS against a tight reference.

Run with ``python benchmarks/diffusion.py [--samples 2000]``.

The model is ``examples/diffusion_gmm.model`` (VP-SDE probability-flow ODE,
linear beta from 0.1 to 20, ``external eps(x, t)``, ``state x: array``) with
the exact noise prediction of a 2-D Gaussian mixture (8 modes of standard
deviation 0.05 on a circle of radius 2, ``examples/diffusion_gmm.py``).
``--samples`` points of the same standard normal noise are carried from t = 1
to t = 1e-3. The reference is tsit5 at rtol 1e-10 (atol 1e-10) on the same
model; the error is the mean over samples of the Euclidean distance to it.

For each sampler (ddim, dpm_solver_1/2/3, dpm_solver_pp_2m, deis_1/2/3 and
deis_rho_2/3), each budget of
eps evaluations (5, 10, 15, 20, 50: a k-evaluation-per-step method takes
``budget // k`` steps, and the table shows the evaluations actually used) and
each step schedule (uniform in t, uniform in log-SNR), the table prints the
error. It then checks that DPM-Solver-1 and DEIS-1 equal DDIM (same grid) to
1e-12, prints the ranking of DPM-Solver-3, DPM-Solver-2 and DDIM at 50
evaluations and, per budget and schedule, the best sampler.
Errors and evaluation counts are exact (no timings).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))

import modelc  # noqa: E402
from diffusion_gmm import MODEL, T_END, T_START, gmm_eps, noise  # noqa: E402

METHODS = ("ddim", "dpm_solver_1", "dpm_solver_2", "dpm_solver_3", "dpm_solver_pp_2m",
           "deis_1", "deis_2", "deis_3", "deis_rho_2", "deis_rho_3")
PER_STEP = {"dpm_solver_2": 2, "dpm_solver_3": 3}
BUDGETS = (5, 10, 15, 20, 50)
SCHEDULES = ("time", "logsnr")


def solve(m, x, method, **options):
    """The samples at T_END and the eps evaluations used."""
    sol = m.solve(t=(T_START, T_END), y0={"x": x}, externals={"eps": gmm_eps}, method=method,
                  **options)
    return np.asarray(sol["x"][-1]), sol.stats["nfe"]


def mean_error(x, ref) -> float:
    """Mean over samples of the Euclidean distance."""
    return float(np.mean(np.linalg.norm(x - ref, axis=-1)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()
    m = modelc.load(MODEL)
    x = noise(args.samples)
    ref, ref_nfe = solve(m, x, "tsit5", rtol=1e-10, atol=1e-10, points=2)
    print(f"reference: tsit5 rtol 1e-10, {ref_nfe} rhs evaluations, {args.samples} samples")
    errors = {}
    header = f"{'method':<18}{'schedule':<9}" + "".join(f"{'nfe':>5}{'error':>10}" for _ in BUDGETS)
    print(header)
    for method in METHODS:
        for schedule in SCHEDULES:
            row = f"{method:<18}{schedule:<9}"
            for budget in BUDGETS:
                steps = max(1, budget // PER_STEP.get(method, 1))
                out, nfe = solve(m, x, method, steps=steps, schedule=schedule)
                errors[method, schedule, budget] = (mean_error(out, ref), out)
                row += f"{nfe:>5}{errors[method, schedule, budget][0]:>10.2e}"
            print(row, flush=True)
    for first in ("dpm_solver_1", "deis_1"):
        gap = max(np.max(np.abs(errors[first, s, b][1] - errors["ddim", s, b][1]))
                  for s in SCHEDULES for b in BUDGETS)
        print(f"max |{first} - ddim| over all runs: {gap:.1e}  (<= 1e-12: {gap <= 1e-12})")
    for schedule in SCHEDULES:
        e3, e2, e1 = (errors[m_, schedule, 50][0] for m_ in ("dpm_solver_3", "dpm_solver_2", "ddim"))
        print(f"50 evaluations, {schedule}: dpm_solver_3 {e3:.2e} < dpm_solver_2 {e2:.2e} < ddim "
              f"{e1:.2e}: {e3 < e2 < e1}")
    for schedule in SCHEDULES:
        best = [min(METHODS, key=lambda m_: errors[m_, schedule, b][0]) for b in BUDGETS]
        print(f"best, {schedule}: " + ", ".join(f"{b}: {m_}" for b, m_ in zip(BUDGETS, best)))


if __name__ == "__main__":
    main()
