"""modelc's ETDRK4 against the hand-written ETDRK4 at the same step, many interleaved pairs.

A closer look than benchmarks/expint.py (which matches accuracies and runs every
peer): the two on one problem at fixed step counts, alternated A/B ``--pairs``
times after a warm-up, printing the median run times and the median and
quartiles of the per-pair ratios.

    python benchmarks/expint_pairs.py [--problem gs|ks] [--pairs 11] [--steps 125 595]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import expint as problems


def pair(run_a, run_b, pairs: int):
    """Per-pair run times of ``run_a`` and ``run_b`` (each called twice first)."""
    for run in (run_a, run_b, run_a, run_b):
        run()
    times = []
    for _ in range(pairs):
        t0 = time.perf_counter()
        run_a()
        t1 = time.perf_counter()
        run_b()
        times.append((t1 - t0, time.perf_counter() - t1))
    return np.array(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", choices=["gs", "ks"], default="gs")
    parser.add_argument("--points", type=int, default=128, help="Gray-Scott points per axis")
    parser.add_argument("--pairs", type=int, default=11)
    parser.add_argument("--steps", type=int, nargs="+", default=[125, 595])
    args = parser.parse_args()
    prob = (problems.gray_scott(args.points) if args.problem == "gs"
            else problems.kuramoto_sivashinsky())
    modelc_run = problems._modelc_fixed(prob, "etdrk4")
    hand_written = problems.handwritten_etdrk4(prob)
    print(prob.name)
    for steps in args.steps:
        h = prob.t_end / steps
        times = pair(lambda: modelc_run(h)[0].block_until_ready(),
                     lambda: hand_written(prob.y0, h, steps)[0].block_until_ready(), args.pairs)
        ratios = times[:, 0] / times[:, 1]
        q1, q3 = np.percentile(ratios, [25, 75])
        print(f"{steps} steps: modelc etdrk4 {1e3 * np.median(times[:, 0]):.1f} ms, hand-written "
              f"{1e3 * np.median(times[:, 1]):.1f} ms; modelc / hand-written: median "
              f"{np.median(ratios):.3f} (quartiles {q1:.3f}-{q3:.3f}, {args.pairs} pairs)",
              flush=True)


if __name__ == "__main__":
    main()
