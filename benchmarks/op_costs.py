"""Measure what each operation costs in jitted, fused JAX code on this machine.

``python benchmarks/op_costs.py [--n 262144] [--k 16] [--repeats 15]``

For each operation ``op`` it times ``sum_k op(x + c_k[, y])`` over ``n``
float64 values (one fused XLA loop doing ``k`` applications per element)
against the same sum without the operation, and prints nanoseconds per
application and the ratio to an addition: the weights of the simplifier's
cost model (`modelc.passes.rewrite.cost.WEIGHTS`, see docs/simplify.md).
"""

from __future__ import annotations

import argparse
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np

from modelc import runtime  # noqa: F401  (float64)

OPS = {
    "add": lambda a, b: a + b,
    "mul": lambda a, b: a * b,
    "neg": lambda a, b: -a,
    "div": lambda a, b: a / b,
    "pow2": lambda a, b: a**2,
    "pow3": lambda a, b: a**3,
    "pow_int": lambda a, b: a**7,
    "pow": lambda a, b: a**b,
    "sqrt": lambda a, b: jnp.sqrt(a),
    "exp": lambda a, b: jnp.exp(a),
    "log": lambda a, b: jnp.log(a),
    "sin": lambda a, b: jnp.sin(a),
    "cos": lambda a, b: jnp.cos(a),
    "tan": lambda a, b: jnp.tan(a),
    "sinh": lambda a, b: jnp.sinh(a),
    "cosh": lambda a, b: jnp.cosh(a),
    "tanh": lambda a, b: jnp.tanh(a),
    "abs": lambda a, b: jnp.abs(a),
    "where": lambda a, b: jnp.where(a > b, a, b),
}


def _kernel(op, k):
    def f(x, y):
        total = jnp.zeros_like(x)
        for i in range(k):
            xi = x + 1e-3 * i
            total = total + (op(xi, y) if op is not None else xi)
        return total

    return jax.jit(f)


def _time(fn, x, y, repeats):
    jax.block_until_ready(fn(x, y))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn(x, y))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(n: int, k: int, repeats: int) -> dict[str, float]:
    """Nanoseconds per element per application of each operation in `OPS`."""
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.uniform(0.5, 1.5, n))
    y = jnp.asarray(rng.uniform(0.5, 1.5, n))
    base = _kernel(None, k)
    out = {}
    for name, op in OPS.items():
        fn = _kernel(op, k)
        deltas = [(_time(fn, x, y, 3) - _time(base, x, y, 3)) for _ in range(repeats)]
        out[name] = max(statistics.median(deltas), 0.0) / (n * k) * 1e9
    return out


def main() -> None:
    """Print the table and the weights relative to an addition."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1 << 18)
    parser.add_argument("--k", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    ns = measure(args.n, args.k, args.repeats)
    add = ns["add"] or 1e-3
    print(f"{jax.devices()[0].device_kind}, n = {args.n}, k = {args.k}")
    print(f"{'op':<8} {'ns/elem':>8} {'/ add':>7}")
    for name, value in ns.items():
        print(f"{name:<8} {value:8.3f} {value / add:7.2f}")


if __name__ == "__main__":
    main()
