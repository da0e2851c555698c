"""Compile time of a field model against its grid size: KS at 128 and 4,096 points.

Run with ``python benchmarks/field_compile.py [--rounds 5] [--sizes 128 4096]``.

Issue 16's goal: the same program, so the same compile time, whatever the grid
(within 20% between 128 and 4,096 points). examples/kuramoto_sivashinsky.model
is compiled at each size with ``points`` changed, through
``jax.jit(m.solver(method=...))``; trace + lowering + XLA compile of fresh
functions (``jax.clear_caches()`` before each; JAX's persistent cache off),
sizes interleaved round by round; medians, and the size of the program
(jaxpr equations, StableHLO characters).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ["MODELC_XLA_CACHE"] = "0"   # fresh compiles, not reads from disk

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import modelc  # noqa: E402
from first_call import count_eqns  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TEXT = (ROOT / "examples" / "kuramoto_sivashinsky.model").read_text(encoding="utf-8")


def compile_once(m, method: str) -> dict:
    """Trace, lower and compile one fresh ``jax.jit(m.solver(...))``."""
    jax.clear_caches()
    ts = jnp.linspace(0.0, 1.0, 3)
    start = time.perf_counter()
    traced = jax.jit(m.solver(method=method, rtol=1e-6, atol=1e-6)).trace({}, {}, ts)
    lowered = traced.lower()
    lowered.compile()
    return {"seconds": time.perf_counter() - start, "eqns": count_eqns(traced.jaxpr.jaxpr),
            "hlo": len(lowered.as_text())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 4096])
    parser.add_argument("--methods", nargs="+", default=["tsit5"])
    args = parser.parse_args()
    for method in args.methods:
        models = {n: modelc.parse(TEXT.replace("points = 128", f"points = {n}"), f"ks{n}.model")
                  for n in args.sizes}
        for m in models.values():
            compile_once(m, method)   # warm-up: imports, one-time Python work
        times: dict[int, list[float]] = {n: [] for n in args.sizes}
        sizes = {}
        for _ in range(args.rounds):
            for n, m in models.items():
                r = compile_once(m, method)
                times[n].append(r["seconds"])
                sizes[n] = (r["eqns"], r["hlo"])
        base = statistics.median(times[args.sizes[0]])
        for n in args.sizes:
            med = statistics.median(times[n])
            print(f"KS {method:<7} points {n:5d}: trace+compile median {med:6.2f} s "
                  f"(min {min(times[n]):.2f}), jaxpr eqns {sizes[n][0]}, StableHLO chars "
                  f"{sizes[n][1]}, ratio to {args.sizes[0]} points {med / base:.2f}", flush=True)


if __name__ == "__main__":
    main()
