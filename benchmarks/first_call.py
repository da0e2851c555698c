"""Lorenz first call: ``jax.jit(m.solver(method="tsit5", rtol=1e-8, atol=1e-8))`` against diffrax.

Run with ``python benchmarks/first_call.py [--rounds 7]``.

Issue 16's goal: the first call (trace + XLA compile + run) through the public
``m.solver`` path at most 0.4x diffrax Tsit5's first call of the same problem
(t = 0..20, 2,001 outputs, PID controller at rtol = atol = 1e-8), median of
interleaved fresh compiles (``jax.clear_caches()`` before each; JAX's persistent
cache off; ``gc.collect()`` before each, so that neither side pays for collecting
the garbage the other left). Also printed, per round: modelc's phases -- trace (``jit.trace``),
lowering to StableHLO, XLA compile, the run -- and the size of the program
(jaxpr equations, counted through nested jaxprs), to see what dominates.
"""

from __future__ import annotations

import argparse
import gc
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
from lorenz import MODEL, POINTS, T1, diffrax_runner  # noqa: E402

RTOL = ATOL = 1e-8


def count_eqns(jaxpr) -> int:
    """Equations of a jaxpr, nested jaxprs (loops, conds, custom rules) included."""
    total = 0
    for eqn in jaxpr.eqns:
        total += 1
        for value in eqn.params.values():
            for sub in value if isinstance(value, (tuple, list)) else (value,):
                inner = getattr(sub, "jaxpr", sub)
                if hasattr(inner, "eqns"):
                    total += count_eqns(inner)
    return total


def modelc_first_call(m, ts) -> dict:
    """One fresh first call through ``m.solver``, split into its phases."""
    jax.clear_caches()
    gc.collect()
    start = time.perf_counter()
    f = jax.jit(m.solver(method="tsit5", rtol=RTOL, atol=ATOL))
    traced = f.trace({}, {}, ts)
    t_trace = time.perf_counter()
    lowered = traced.lower()
    t_lower = time.perf_counter()
    compiled = lowered.compile()
    t_compile = time.perf_counter()
    jax.block_until_ready(compiled({}, {}, ts))
    end = time.perf_counter()
    return {"total": end - start, "trace": t_trace - start, "lower": t_lower - t_trace,
            "compile": t_compile - t_lower, "run": end - t_compile,
            "eqns": count_eqns(traced.jaxpr.jaxpr)}


def modelc_plain_first_call(m, ts) -> float:
    """The first call as a user writes it: ``jax.jit(m.solver(...))(y0, params, ts)``."""
    jax.clear_caches()
    gc.collect()
    start = time.perf_counter()
    jax.block_until_ready(jax.jit(m.solver(method="tsit5", rtol=RTOL, atol=ATOL))({}, {}, ts))
    return time.perf_counter() - start


def diffrax_first_call(make, ts) -> dict:
    """One fresh first call of diffrax's Tsit5 (``jax.jit(solve)()``)."""
    jax.clear_caches()
    gc.collect()
    start = time.perf_counter()
    f = make()
    traced = f.trace()
    t_trace = time.perf_counter()
    compiled = traced.lower().compile()
    t_compile = time.perf_counter()
    jax.block_until_ready(compiled())
    end = time.perf_counter()
    return {"total": end - start, "trace": t_trace - start, "compile": t_compile - t_trace,
            "eqns": count_eqns(traced.jaxpr.jaxpr)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    ts = jnp.linspace(0.0, T1, POINTS)
    m = modelc.load(MODEL)
    make_diffrax = diffrax_runner(ts)
    modelc_first_call(m, ts)          # imports and one-time Python work out of the way
    diffrax_first_call(make_diffrax, ts)
    print(f"jax {jax.__version__}, backend {jax.default_backend()}, {os.cpu_count()} cpus; "
          f"{args.rounds} interleaved rounds, jax.clear_caches() before each first call")
    print(f"{'round':>5} {'modelc':>7} {'(plain)':>7} {'trace':>6} {'lower':>6} {'xla':>6} "
          f"{'run':>6} {'eqns':>6} | {'diffrax':>7} {'trace':>6} {'xla':>6} {'eqns':>6} | ratio")
    ratios, plain_ratios, rows = [], [], []
    for r in range(args.rounds):
        ours = modelc_first_call(m, ts)
        theirs = diffrax_first_call(make_diffrax, ts)
        plain = modelc_plain_first_call(m, ts)
        ratios.append(ours["total"] / theirs["total"])
        plain_ratios.append(plain / theirs["total"])
        rows.append((ours, theirs, plain))
        print(f"{r:5d} {ours['total']:7.2f} {plain:7.2f} {ours['trace']:6.2f} {ours['lower']:6.2f} "
              f"{ours['compile']:6.2f} {ours['run']:6.3f} {ours['eqns']:6d} | {theirs['total']:7.2f} "
              f"{theirs['trace']:6.2f} {theirs['compile']:6.2f} {theirs['eqns']:6d} | "
              f"{ratios[-1]:.2f}", flush=True)
    med = statistics.median
    print(f"median first call: modelc {med(r[0]['total'] for r in rows):.2f} s "
          f"(plain jax.jit call {med(r[2] for r in rows):.2f} s), diffrax "
          f"{med(r[1]['total'] for r in rows):.2f} s; ratio modelc/diffrax {med(ratios):.2f} "
          f"(plain {med(plain_ratios):.2f}); goal <= 0.4")


if __name__ == "__main__":
    main()
