"""The derivative of the dense matrix exponential (modelc/solvers/phi.py).

Run with ``python benchmarks/expm_derivative.py [--n 36] [--rounds 7]``.

Times, interleaved round by round (median of ratios to the first), of: forward mode
through the plain ``phi.expm`` (its squaring loop; reverse mode cannot run it), the
tangent and the cotangent of ``phi.expm_reversible`` (forward mode through the
approximant; the cotangent by the same at ``a^T``), and the rule it replaced (the
primal plus one ``expm`` of the ``2n`` block matrix ``[[a, e], [0, a]]``).
"""
import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)
from modelc.solvers.phi import expm, expm_reversible


def old_frechet(a, e):
    n = a.shape[0]
    big = jnp.zeros((2*n, 2*n), a.dtype).at[:n,:n].set(a).at[n:,n:].set(a).at[:n,n:].set(e)
    return expm(big)[:n, n:]
parser = argparse.ArgumentParser()
parser.add_argument("--n", type=int, default=36)
parser.add_argument("--rounds", type=int, default=7)
opts = parser.parse_args()
rng = np.random.default_rng(0)
a = jnp.asarray(rng.normal(size=(opts.n, opts.n)))
e = jnp.asarray(rng.normal(size=(opts.n, opts.n)))
fns = {"plain jvp(expm)": jax.jit(lambda a, e: jax.jvp(expm, (a,), (e,))),
       "new jvp(expm_reversible)": jax.jit(lambda a, e: jax.jvp(expm_reversible, (a,), (e,))),
       "new vjp(expm_reversible)": jax.jit(lambda a, e: jax.vjp(expm_reversible, a)[1](e)),
       "old frechet (primal+2n block)": jax.jit(lambda a, e: (expm(a), old_frechet(a, e)))}
for f in fns.values():
    jax.block_until_ready(f(a, e))
times = {k: [] for k in fns}
for _ in range(opts.rounds):
    for k, f in fns.items():
        t = time.perf_counter()
        for _ in range(50):
            jax.block_until_ready(f(a, e))
        times[k].append((time.perf_counter() - t) / 50)
base = np.array(times["plain jvp(expm)"])
for k, v in times.items():
    print(f"{k:32s} median {1e3*np.median(v):.3f} ms  median ratio to plain jvp {np.median(np.array(v)/base):.2f}")
