"""The two size thresholds of issue 16's network code, measured: structured vs scalar code,
sparse (GMRES) vs dense (LU) stiff linear solves.

Run with ``python benchmarks/network_thresholds.py [--structured 6 12 25 50] [--sparse 50 100 200 400]``.

* ``--structured N...``: for the random mass-action network of
  ``benchmarks/network_scaling.py`` with N species (2N reactions), the scalar
  module (every term its own expression, the default below the threshold) and
  the structured one (`modelc.codegen.network`): code generation, trace + XLA
  compile of ``jax.jit(m.solver(method))`` for tsit5 and rodas5, and the warm
  solve (median of 5), each code in its own fresh process.
  `modelc.passes.network_form.STRUCTURED_MIN_REACTIONS` is where the structured
  code stops costing more than it saves.
* ``--sparse N...``: rodas5 on the structured network with the dense LU and with
  GMRES (`modelc.solvers.sparse`): compile, first and warm solve (median of 3),
  and the final states' largest relative difference.
  `modelc.solvers.sparse.SPARSE_MIN_N` is where GMRES starts to win.

Every number is a wall time on this machine in one run; the two variants of a
size run back to back, so they share the machine's load.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from network_scaling import model_text  # noqa: E402
from network_scaling import run_worker as run_scaling_worker  # noqa: E402

T_END = 10.0


def _timed_solver(m, method, ts):
    import jax

    f = jax.jit(m.solver(method=method, rtol=1e-6, atol=1e-9))
    start = time.perf_counter()
    compiled = f.lower({}, {}, ts).compile()
    compile_s = time.perf_counter() - start
    start = time.perf_counter()
    out = jax.block_until_ready(compiled({}, {}, ts))
    first = time.perf_counter() - start
    warm = []
    for _ in range(5):
        start = time.perf_counter()
        jax.block_until_ready(compiled({}, {}, ts))
        warm.append(time.perf_counter() - start)
    final = [float(out[name][-1]) for name in m.module.STATE_NAMES]
    return {"compile": compile_s, "first": first, "warm": float(np.median(warm)), "final": final}


def worker(kind: str, n: int, variant: str, method: str) -> dict:
    """One measurement in this (fresh) process."""
    import jax.numpy as jnp

    from modelc import api
    from modelc.passes import network_form
    from modelc.solvers import implicit, sparse

    network_form.STRUCTURED_MIN_REACTIONS = 10**9 if variant == "scalar" else 1
    implicit.SPARSE_MIN_N = 1 if variant.startswith("sparse") else 10**9
    if ":" in variant:   # sparse:gmres, sparse:bicgstab
        sparse.KRYLOV_METHOD = variant.split(":")[1]
    text = model_text(n)
    start = time.perf_counter()
    api.compile_source(text, f"net{n}.model")
    front = time.perf_counter() - start
    m = api.parse(text, f"net{n}.model")
    result = _timed_solver(m, method, jnp.linspace(0.0, T_END, 11))
    result["front"] = front
    return result


def run_worker(args: list[str]) -> dict:
    """A measurement in a fresh process with an empty module cache."""
    return run_scaling_worker(args, script=__file__)


def _row(label, res):
    if "error" in res:
        return f"{label} error: {res['error']}"
    return (f"{label} {res['front']:>8.2f} {res['compile']:>8.2f} {res['first']:>8.3f} "
            f"{res['warm'] * 1e3:>9.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--structured", type=int, nargs="*", default=[6, 12, 25, 50])
    parser.add_argument("--sparse", type=int, nargs="*", default=[50, 100, 200, 400])
    parser.add_argument("--krylov", nargs="+", default=["gmres"], help="Krylov methods to compare")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, n, variant, method = args.worker
        print(json.dumps(worker(kind, int(n), variant, method)))
        return
    head = (f"{'species':>7} {'reactions':>9} {'method':>7} {'code':>15} {'front':>8} {'compile':>8} "
            f"{'1st':>8} {'warm ms':>9}")
    if args.structured:
        print("structured vs scalar code (front = parse + passes + codegen, s)")
        print(head)
        for n in args.structured:
            for method in ("tsit5", "rodas5"):
                for variant in ("scalar", "structured"):
                    res = run_worker(["code", str(n), variant, method])
                    print(_row(f"{n:>7} {2 * n:>9} {method:>7} {variant:>15}", res), flush=True)
    if args.sparse:
        print("\nrodas5: dense LU vs GMRES on the structured Jacobian")
        print(head + f" {'max rel diff':>12}")
        for n in args.sparse:
            results = {}
            for variant in ["dense"] + [f"sparse:{k}" for k in args.krylov]:
                results[variant] = res = run_worker(["solve", str(n), variant, "rodas5"])
                row = _row(f"{n:>7} {2 * n:>9} {'rodas5':>7} {variant:>15}", res)
                if variant != "dense" and "error" not in res and "error" not in results["dense"]:
                    a, b = np.array(res["final"]), np.array(results["dense"]["final"])
                    big = np.abs(b) > 1e-9
                    row += f" {np.max(np.abs(a[big] - b[big]) / np.abs(b[big])):>12.2e}"
                print(row, flush=True)


if __name__ == "__main__":
    main()
