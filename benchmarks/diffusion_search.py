"""Searched sampler schedules against modelc's fixed diffusion samplers (issue: few-step sampling).

Run with ``python benchmarks/diffusion_search.py [--part gmm transfer trained]
[--budgets 4 5 6 8 10 15 20] [--samples 2000] [--fit 64]``.

* ``gmm``: ``examples/diffusion_gmm.model`` with the exact ``eps`` of the 8-mode
  mixture (std 0.05, as in ``benchmarks/diffusion.py``). For each budget a
  schedule is searched (`modelc.schedule_search.search`, default settings) on
  ``--fit`` noise samples (seed 1) with tsit5 references at rtol = atol =
  1e-10, and evaluated on ``--samples`` other samples (seed 0): the mean
  Euclidean distance to tsit5 at 1e-10. Every fixed sampler runs on the
  log-SNR grid (better than the uniform-in-t grid for every sampler and
  budget, docs/benchmarks.md) with ``budget // k`` steps for a
  k-evaluations-per-step method (the cell shows the evaluations used when
  fewer). Then the ratio of the best fixed error to the searched one, and the
  search cost (wall seconds, sampler runs, gradient steps, eps evaluations).
* ``transfer``: the schedules searched at 5 and 10 evaluations, unchanged, on
  mixtures with std 0.1 (8 modes) and 12 modes (std 0.05): the searched and
  best fixed errors there and how much of the gain (best fixed / searched)
  remains, as a fraction of the gain on the mixture searched on.
* ``trained``: the two-moons MLP of ``examples/diffusion_2d`` (trained
  weights): the sliced Wasserstein distance of 2,000 samples to 2,000
  held-out data points at 5, 10 and 20 evaluations for every sampler, the
  searched ones included (search on 64 noise samples against tsit5 at
  1e-10), beside an adaptive tsit5 reference (rtol = atol = 1e-4, about 200
  evaluations) and the distance between two data samples of that size.
* ``v3``: DPM-Solver-v3 (``method="dpm_solver_v3"``, predictor order 2 with
  its corrector) with empirical model statistics estimated by
  `modelc.ems.estimate_model_statistics` on ``--ems-samples`` noise samples
  (seed 2; grid of 200 log-SNR intervals): its error on the mixture at every
  budget beside the fixed samplers (the same rows as ``gmm``) and the
  variant with the degenerate statistics ``l = 1, s = b = 0`` (the same
  predictor-corrector without the statistics), the estimation cost, and the
  sliced Wasserstein distance on the trained two-moons model at 5, 10 and 20
  evaluations.
Schedules are written to ``--save-dir`` (default: a temporary folder).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import jax
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))
sys.path.insert(0, str(ROOT / "examples" / "diffusion_2d"))

from diffusion_gmm import MODEL, T_END, T_START, mixture_eps, noise

import modelc
from modelc.ems import ModelStatistics, estimate_model_statistics
from modelc.schedule_search import reference_samples, search
from modelc.searched_schedule import load_schedule

FIXED = ("ddim", "dpm_solver_2", "dpm_solver_3", "dpm_solver_pp_2m", "deis_1", "deis_2",
         "deis_3", "deis_rho_2", "deis_rho_3")
PER_STEP = {"dpm_solver_2": 2, "dpm_solver_3": 3}
BUDGETS = (4, 5, 6, 8, 10, 15, 20)
SPAN = (T_START, T_END)


def end_points(m, x, eps, method, budget=None, schedule=None, **options):
    """Samples at the end of the span and the eps evaluations used (``schedule``: the
    searched schedule, or dpm_solver_v3's statistics)."""
    if method == "searched":
        options["schedule"] = schedule
    elif method == "dpm_solver_v3":
        options.update(steps=budget, statistics=schedule)
    elif budget is not None:
        options.update(steps=max(1, budget // PER_STEP.get(method, 1)), schedule="logsnr")
    sol = m.solve(t=SPAN, y0={"x": x}, externals={"eps": eps}, method=method, **options)
    return np.asarray(sol["x"][-1]), int(sol.stats["nfe"])


def mean_error(x, ref) -> float:
    """Mean over samples of the Euclidean distance (NaN fails loudly)."""
    e = float(np.mean(np.linalg.norm(x - ref, axis=-1)))
    if not np.isfinite(e):
        raise FloatingPointError("a sampler returned non-finite samples")
    return e


def fixed_errors(m, x, ref, eps, budgets):
    """``{(method, budget): (error, nfe)}`` for every fixed sampler."""
    out = {}
    for meth in FIXED:
        for b in budgets:
            samples, nfe = end_points(m, x, eps, meth, b)
            out[meth, b] = (mean_error(samples, ref), nfe)
    return out


def print_table(rows: dict, budgets, fmt="{:.2e}"):
    """One line per method, one column per budget; ``rows[method][budget] = (value, nfe)``."""
    print(f"{'method':<18}" + "".join(f"{b:>13}" for b in budgets))
    for name, cells in rows.items():
        line = f"{name:<18}"
        for b in budgets:
            value, nfe = cells[b]
            mark = "" if nfe == b else f"({nfe})"
            line += f"{mark + fmt.format(value):>13}"
        print(line, flush=True)


def part_gmm(m, args, save_dir):
    """The main table: every fixed sampler and the searched one per budget."""
    eps = mixture_eps()
    x_fit, x = noise(args.fit, seed=1), noise(args.samples, seed=0)
    ref = np.asarray(reference_samples(m, {"x": x}, {"eps": eps}, SPAN)[0])
    errors = fixed_errors(m, x, ref, eps, args.budgets)
    rows = {meth: {b: errors[meth, b] for b in args.budgets} for meth in FIXED}
    searched, costs = {}, {}
    for b in args.budgets:
        start = time.perf_counter()
        sched = search(m, b, externals={"eps": eps}, y0={"x": x_fit}, t=SPAN)
        costs[b] = dict(sched.info["cost"], wall=time.perf_counter() - start,
                        fit=sched.info["fit_error"])
        sched.save(save_dir / f"gmm_{b}.npz")
        searched[b] = (mean_error(end_points(m, x, eps, "searched", schedule=sched)[0], ref), b)
        print(f"searched {b}: test error {searched[b][0]:.2e} (fit {costs[b]['fit']:.2e}), "
              f"{costs[b]['wall']:.0f} s", flush=True)
    rows["searched"] = searched
    print(f"\nGMM (8 modes, std 0.05): mean error on {args.samples} samples; search on "
          f"{args.fit} others")
    print_table(rows, args.budgets)
    best = {b: min(errors[meth, b][0] for meth in FIXED) for b in args.budgets}
    print(f"{'best fixed':<18}" + "".join(f"{best[b]:>13.2e}" for b in args.budgets))
    print(f"{'best / searched':<18}" + "".join(f"{best[b] / searched[b][0]:>13.1f}"
                                               for b in args.budgets))
    print("\nsearch cost: budget, wall s, sampler runs, gradient steps, eps evaluations")
    for b, c in costs.items():
        print(f"{b:>6} {c['wall']:>8.1f} {c['sampler_runs']:>6} {c['gradient_steps']:>6} "
              f"{c['eps_evaluations']:>12,}")
    return {b: best[b] / searched[b][0] for b in args.budgets}


def part_transfer(m, args, save_dir, gains):
    """Schedules searched on std 0.05 / 8 modes, evaluated unchanged on other mixtures."""
    budgets = [b for b in (5, 10) if (save_dir / f"gmm_{b}.npz").exists()]
    if not budgets:
        print("transfer: no saved schedules at 5 or 10 evaluations (run --part gmm first)")
        return
    x = noise(args.samples, seed=0)
    print("\ntransfer: budget, target, searched, best fixed (method), gain, gain on the source, "
          "fraction kept")
    for label, eps in (("std 0.1, 8 modes", mixture_eps(8, 0.1)),
                       ("std 0.05, 12 modes", mixture_eps(12, 0.05))):
        ref = np.asarray(reference_samples(m, {"x": x}, {"eps": eps}, SPAN)[0])
        errors = fixed_errors(m, x, ref, eps, budgets)
        for b in budgets:
            sched = load_schedule(save_dir / f"gmm_{b}.npz")
            err = mean_error(end_points(m, x, eps, "searched", schedule=sched)[0], ref)
            meth = min(FIXED, key=lambda k: errors[k, b][0])
            gain = errors[meth, b][0] / err
            source = gains.get(b, float("nan"))
            print(f"{b:>4}  {label:<20} {err:.2e}  {errors[meth, b][0]:.2e} ({meth})  "
                  f"{gain:.1f}x  {source:.1f}x  {gain / source:.0%}", flush=True)


def part_trained(args, save_dir):
    """Sliced Wasserstein distances of the trained two-moons model's samples."""
    from moons import MODEL as MOONS_MODEL
    from moons import eps, sliced_wasserstein, two_moons

    m = modelc.load(MOONS_MODEL)
    x = noise(args.samples, seed=0)
    held = two_moons(args.samples, seed=123)
    sol = m.solve(t=SPAN, y0={"x": x}, externals={"eps": eps}, method="tsit5", rtol=1e-4,
                  atol=1e-4, points=2)
    ref_sw, ref_nfe = sliced_wasserstein(sol["x"][-1], held), int(sol.stats["nfe"])
    floor = sliced_wasserstein(two_moons(args.samples, seed=7), held)
    budgets = (5, 10, 20)
    rows = {meth: {b: (sliced_wasserstein(o, held), n) for b in budgets
                   for o, n in [end_points(m, x, eps, meth, b)]} for meth in FIXED}
    searched = {}
    for b in budgets:
        sched = search(m, b, externals={"eps": eps}, y0={"x": noise(args.fit, seed=1)}, t=SPAN)
        sched.save(save_dir / f"moons_{b}.npz")
        searched[b] = (sliced_wasserstein(end_points(m, x, eps, "searched", schedule=sched)[0],
                                          held), b)
    rows["searched"] = searched
    print(f"\ntrained two-moons MLP: sliced Wasserstein distance to {args.samples} held-out points")
    print_table(rows, budgets, "{:.4f}")
    print(f"tsit5 reference (rtol 1e-4, {ref_nfe} evaluations): {ref_sw:.4f}; two data samples: "
          f"{floor:.4f}")
    print("searched / reference: " + ", ".join(f"{b}: {searched[b][0] / ref_sw:.3f}"
                                                for b in budgets))


def degenerate(stats: ModelStatistics) -> ModelStatistics:
    """The statistics ``l = 1, s = b = 0``: DPM-Solver-v3's update without the EMS."""
    one = np.ones_like(stats.l)
    return ModelStatistics(stats.t, stats.lam, one, 0 * one, 0 * one, {"degenerate": True})


def v3_rows(m, x, eps, stats, budgets, distance):
    """``{row name: {budget: (distance(samples), nfe)}}`` for v3 with and without the EMS."""
    rows = {}
    for name, st in (("dpm_solver_v3", stats), ("v3, l=1 s=b=0", degenerate(stats))):
        rows[name] = {}
        for b in budgets:
            samples, nfe = end_points(m, x, eps, "dpm_solver_v3", b, st)
            rows[name][b] = (distance(samples), nfe)
    return rows


def print_ems_cost(stats, label):
    c = stats.info["cost"]
    print(f"{label}: statistics on {stats.info['samples']} samples, grid "
          f"{stats.info['grid']}: {c['trajectory_evaluations']} + "
          f"{c['statistics_evaluations']} eps evaluations per sample, {c['seconds']:.1f} s; "
          f"|s| <= {np.max(np.abs(stats.s)):.2f}, l in [{np.min(stats.l):.3f}, "
          f"{np.max(stats.l):.3f}]")


def part_v3(m, args, save_dir):
    """DPM-Solver-v3 with estimated statistics, beside the fixed samplers."""
    from moons import MODEL as MOONS_MODEL
    from moons import eps as moons_eps
    from moons import sliced_wasserstein, two_moons

    eps = mixture_eps()
    x = noise(args.samples, seed=0)
    ref = np.asarray(reference_samples(m, {"x": x}, {"eps": eps}, SPAN)[0])
    stats = estimate_model_statistics(m, eps, args.ems_samples, sample_shape=(2,), seed=2,
                                      t=SPAN)
    stats.save(save_dir / "gmm_ems.npz")
    errors = fixed_errors(m, x, ref, eps, args.budgets)
    rows = {meth: {b: errors[meth, b] for b in args.budgets} for meth in FIXED}
    rows.update(v3_rows(m, x, eps, stats, args.budgets, lambda s: mean_error(s, ref)))
    print(f"\nGMM (8 modes, std 0.05), DPM-Solver-v3: mean error on {args.samples} samples")
    print_table(rows, args.budgets)
    best = {b: min(errors[meth, b][0] for meth in FIXED) for b in args.budgets}
    print(f"{'best fixed / v3':<18}" + "".join(
        f"{best[b] / rows['dpm_solver_v3'][b][0]:>13.2f}" for b in args.budgets))
    print_ems_cost(stats, "GMM")
    mm = modelc.load(MOONS_MODEL)
    held = two_moons(args.samples, seed=123)
    mstats = estimate_model_statistics(mm, moons_eps, args.ems_samples, sample_shape=(2,),
                                       seed=2, t=SPAN)
    mstats.save(save_dir / "moons_ems.npz")
    budgets = (5, 10, 20)
    mrows = v3_rows(mm, x, moons_eps, mstats, budgets, lambda s: sliced_wasserstein(s, held))
    print(f"\ntrained two-moons MLP, DPM-Solver-v3: sliced Wasserstein distance to "
          f"{args.samples} held-out points")
    print_table(mrows, budgets, "{:.4f}")
    print_ems_cost(mstats, "two moons")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", nargs="+", default=["gmm", "transfer", "trained", "v3"],
                        choices=["gmm", "transfer", "trained", "v3"])
    parser.add_argument("--ems-samples", type=int, default=256)
    parser.add_argument("--budgets", nargs="+", type=int, default=list(BUDGETS))
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--fit", type=int, default=64)
    parser.add_argument("--save-dir", default=None)
    args = parser.parse_args()
    save_dir = Path(args.save_dir or tempfile.mkdtemp(prefix="modelc-search-"))
    save_dir.mkdir(parents=True, exist_ok=True)
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}; schedules in {save_dir}")
    m = modelc.load(MODEL)
    gains = part_gmm(m, args, save_dir) if "gmm" in args.part else {}
    if "transfer" in args.part:
        part_transfer(m, args, save_dir, gains)
    if "trained" in args.part:
        part_trained(args, save_dir)
    if "v3" in args.part:
        part_v3(m, args, save_dir)


if __name__ == "__main__":
    main()
