"""Stiff methods on a finite-difference grid: Gray–Scott with the sparse stencil Jacobian.

Gray–Scott spots (benchmarks/models/gray_scott_2d.model with ``method = fd`` on
both periodic axes: second-order 5-point Laplacian, 2 n^2 unknowns) solved by
rodas5 (or ``--method``) from t = 0 to ``--t1``. Each grid size and Jacobian path runs
in a fresh process (empty caches, `MODELC_XLA_CACHE=0`), which reports:

- ``first``: parse + the first ``solve`` (trace, XLA compile, the stencil search of
  `modelc.solvers.colouring` and the run), wall and CPU seconds (CPU counts every
  thread; on a shared machine it varies less than wall time);
- ``run``: a second ``solve`` of the same model (the run alone), wall and CPU;
- steps, rhs evaluations and Jacobians (these do not vary with the machine's load);
- ``peak RSS``: the process' largest resident memory (``ru_maxrss``);
- ``|u - ref|``: the largest difference of u at t1 from tsit5 at rtol 1e-10 in the
  same process (with ``--check``; explicit steps are cheap at these sizes, which is
  why Gray–Scott is not the problem that needs a stiff method: it is the grid
  size the stiff method must handle).

``sparse`` is the default path (BiCGSTAB on the Jacobi-scaled ``W``, Jacobian by
one jvp per colour); ``dense`` sets ``SPARSE_MIN_N`` above ``n``, so the same
Jacobian is scattered into an ``n x n`` matrix and LU-factorised.

    python benchmarks/stiff_fd.py --sizes 32 128 --dense-sizes 32 [--method rodas5] [--check]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "benchmarks" / "models" / "gray_scott_2d.model"

CHILD = r"""
import json, resource, sys, time
import numpy as np
import modelc
from modelc.solvers import implicit

size, method, path, t1, check = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5] == "1"
if path == "dense":
    implicit.SPARSE_MIN_N = 10**9
text = open(sys.argv[6]).read().replace("points = 128", f"points = {size}").replace(
    "periodic,", "periodic, method = fd,")
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


start, cpu0 = time.perf_counter(), cpu()
m = modelc.parse(text, f"gray_scott_fd_{size}.model")
sol = m.solve(t=(0.0, t1), method=method, points=3)
first, first_cpu = time.perf_counter() - start, cpu() - cpu0
start, cpu0 = time.perf_counter(), cpu()
sol = m.solve(t=(0.0, t1), method=method, points=3)
run, run_cpu = time.perf_counter() - start, cpu() - cpu0
out = {"first": first, "run": run, "first_cpu": first_cpu, "run_cpu": run_cpu, "status": int(sol.status),
       "steps": int(sol.stats["steps"]), "nfe": int(sol.stats["nfe"]),
       "njev": int(sol.stats.get("njev", 0)),
       "radius": getattr(m.jacobian, "radius", None),
       "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
if check:
    ref = m.solve(t=(0.0, t1), method="tsit5", rtol=1e-10, atol=1e-12, points=3)
    out["error"] = float(np.max(np.abs(np.asarray(sol["u"][-1]) - np.asarray(ref["u"][-1]))))
print(json.dumps(out))
"""


def run_case(size: int, method: str, path: str, t1: float, check: bool) -> dict:
    """One fresh process: parse and solve Gray–Scott fd on ``size``^2 points."""
    env = dict(os.environ, MODELC_XLA_CACHE="0", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", CHILD, str(size), method, path, str(t1),
                           "1" if check else "0", str(MODEL)], env=env, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        return {"failed": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Print one table row per (grid size, Jacobian path)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 128])
    parser.add_argument("--dense-sizes", type=int, nargs="*", default=[32])
    parser.add_argument("--method", default="rodas5")
    parser.add_argument("--t1", type=float, default=100.0)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    print(f"Gray-Scott fd, {args.method}, t = 0..{args.t1:g}, rtol 1e-5 (the model's)")
    print("| grid | unknowns | Jacobian | first wall / CPU (s) | run wall / CPU (s) | steps | nfe "
          "| njev | radius | peak RSS (MB) | max abs u - ref |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for size in args.sizes:
        paths = ["sparse"] + (["dense"] if size in args.dense_sizes else [])
        for path in paths:
            r = run_case(size, args.method, path, args.t1, args.check)
            if "failed" in r:
                print(f"| {size}^2 | {2 * size * size} | {path} | failed: {r['failed']} |")
                continue
            error = f"{r['error']:.1e}" if "error" in r else "-"
            print(f"| {size}^2 | {2 * size * size} | {path} | {r['first']:.1f} / {r['first_cpu']:.1f} "
                  f"| {r['run']:.2f} / {r['run_cpu']:.2f} "
                  f"| {r['steps']} | {r['nfe']} | {r['njev']} | {r['radius']} | {r['rss_mb']:.0f} "
                  f"| {error} |", flush=True)


if __name__ == "__main__":
    main()
