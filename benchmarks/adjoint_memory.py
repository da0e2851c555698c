"""Peak memory of a gradient through a 100,000-step solve, with and without checkpoints.

Run with ``python benchmarks/adjoint_memory.py [--steps 100000] [--n 64]``.  Each
case runs in a fresh subprocess (its peak resident set size, ``ru_maxrss``,
is then that case's alone): a forward solve only; the gradient with the
default adjoint (chosen automatically: forward sensitivities, one scalar is
differentiated); with the discrete adjoint and its default checkpoints; with
``checkpoints=max_steps`` (every step stored, i.e. no checkpointing); and with
the backsolve adjoint.  The system is ``y' = A y``
with ``n`` states, RK4 with a fixed step, so the step count is exact.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

CASES = ("forward", "default (auto: forward)", "checkpoint", "every step stored",
         "backsolve")


def child(case: str, steps: int, n: int) -> None:
    import jax
    import jax.numpy as jnp
    from modelc.solvers import integrate
    from modelc.solvers.adjoint import BacksolveAdjoint, CheckpointAdjoint

    a = -jnp.eye(n) + 0.1 * jnp.roll(jnp.eye(n), 1, axis=1)
    ts = jnp.array([0.0, 1.0])
    adjoint = {"checkpoint": CheckpointAdjoint(),
               "every step stored": CheckpointAdjoint(checkpoints=steps),
               "backsolve": BacksolveAdjoint()}.get(case)

    def loss(k):
        ys = integrate(lambda t, y, k: k * (a @ y), jnp.ones(n), ts, k, method="rk4",
                       dt0=1.0 / steps, max_steps=steps + 10, adjoint=adjoint).ys
        return jnp.sum(ys[-1])

    fn = jax.jit(loss if case == "forward" else jax.grad(loss))
    start = time.perf_counter()
    value = float(jax.block_until_ready(fn(jnp.asarray(1.0))))
    secs = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"case": case, "value": value, "seconds": secs, "maxrss_mb": rss}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--n", type=int, default=64)
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.steps, args.n)
    print(f"gradient through {args.steps} RK4 steps, {args.n} states; peak RSS per process")
    for case in CASES:
        out = subprocess.run([sys.executable, __file__, "--child", case, "--steps",
                              str(args.steps), "--n", str(args.n)], capture_output=True,
                             text=True, check=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(f"  {case:24s} peak RSS {r['maxrss_mb']:8.1f} MB   {r['seconds']:6.2f} s "
              f"(incl. compile)   value {r['value']:.10g}")


if __name__ == "__main__":
    main()
