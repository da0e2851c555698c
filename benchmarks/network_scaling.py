"""Compile and solve generated mass-action networks of growing size.

``python benchmarks/network_scaling.py [--sizes 50 200 800] [--method rodas5]``

Each network has N species and 2N random reactions (one or two reactants,
one or two products, rate constants log-uniform in [0.1, 10]), written in the
model language. For each size it prints the time to parse and lower, to
generate code (including the symbolic Jacobian), to trace and compile the
jitted solve, and to run it (median of 5 after warm-up), with steps and rhs
evaluations, and the growth factor of each time from one size to the next.
"""

from __future__ import annotations

import argparse
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np

import modelc
from modelc.api import compile_source


def network_text(n_species: int, seed: int = 0) -> str:
    """A random mass-action network with ``n_species`` species and twice as many reactions."""
    rng = np.random.default_rng(seed)
    names = [f"S{i}" for i in range(n_species)]
    lines = [f"model net{n_species} \"random mass-action network\""]
    n_reactions = 2 * n_species
    rates = np.exp(rng.uniform(np.log(0.1), np.log(10.0), n_reactions))
    lines.append("parameter " + ", ".join(f"k{j} = {rates[j]:.6g}" for j in range(n_reactions)))
    lines.append("species " + ", ".join(f"{s} = {rng.uniform(0.5, 1.5):.4f}" for s in names))
    for j in range(n_reactions):
        reactants = rng.choice(names, size=rng.integers(1, 3), replace=False)
        products = rng.choice(names, size=rng.integers(1, 3), replace=False)
        lines.append(f"reaction {' + '.join(reactants)} -> {' + '.join(products)}, k{j}")
    return "\n".join(lines) + "\n"


def measure(n_species: int, method: str, t1: float) -> dict:
    text = network_text(n_species)
    start = time.perf_counter()
    from modelc.frontend.parser import parse_source
    from modelc.api import PASSES

    model = parse_source(text, f"net{n_species}.model")
    for run_pass in PASSES:
        model = run_pass(model)
    parsed = time.perf_counter()
    compile_source(text, f"net{n_species}.model")  # parse + lower + codegen, end to end
    generated = time.perf_counter()
    m = modelc.parse(text, cache_modules=False)
    f = m.solver(method=method, rtol=1e-6, atol=1e-9, full_output=True)
    ts = jnp.linspace(0.0, t1, 11)
    run = jax.jit(lambda: f({}, {}, ts))
    c0 = time.perf_counter()
    compiled = run.lower().compile()
    c1 = time.perf_counter()
    _, info = jax.block_until_ready(compiled())
    runs = []
    for _ in range(5):
        r0 = time.perf_counter()
        jax.block_until_ready(compiled())
        runs.append(time.perf_counter() - r0)
    return {
        "species": n_species,
        "reactions": 2 * n_species,
        "parse_lower_s": parsed - start,
        "codegen_s": (generated - parsed) - (parsed - start),
        "jit_compile_s": c1 - c0,
        "run_s": statistics.median(runs),
        "steps": int(info["steps"]),
        "nfe": int(info["nfe"]),
        "status": int(info["status"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 800])
    parser.add_argument("--method", default="rodas5")
    parser.add_argument("--t1", type=float, default=1.0)
    args = parser.parse_args()
    compile_source(network_text(3), "warmup.model")  # imports and first-use costs
    rows = []
    for n in args.sizes:
        rows.append(measure(n, args.method, args.t1))
        print(f"measured {n} species: {rows[-1]}", flush=True)
    keys = ["parse_lower_s", "codegen_s", "jit_compile_s", "run_s"]
    print(f"method {args.method}, t = 0..{args.t1}, rtol 1e-6, atol 1e-9")
    print("species reactions " + " ".join(f"{k:>14s}" for k in keys) + "  steps    nfe status")
    for r in rows:
        print(f"{r['species']:7d} {r['reactions']:9d} " + " ".join(f"{r[k]:14.3f}" for k in keys)
              + f" {r['steps']:6d} {r['nfe']:6d} {r['status']:6d}")
    for a, b in zip(rows, rows[1:]):
        growth = " ".join(f"{k} x{b[k] / a[k]:.1f}" for k in keys)
        print(f"growth {a['species']} -> {b['species']} species: {growth}")


if __name__ == "__main__":
    main()
