"""Lorenz ensembles (Tsit5, rtol 1e-6, t = 0..10): trajectories per second, and the
cost of a gradient relative to a forward solve; modelc against diffrax (vmap) and
a SciPy loop.

Run with ``python benchmarks/ensemble.py [--members 10000] [--repeats 3] [--clock cpu]``.
Members differ in ``rho`` (20..30).  Every timing is the median of repeated
calls after a warm-up call (compile excluded), all in this one process, on the
``--clock``: ``wall`` (default) or ``cpu`` (process CPU time, all threads; steadier
on a shared machine, and what throughput per core means).  SciPy
solves fewer members one by one and the rate is extrapolated.  The gradient
ratio is ``time(grad of sum of final states w.r.t. every member's rho) /
time(forward ensemble)`` on ``--grad-members`` members, for modelc's default
adjoint (chosen automatically: forward sensitivities here), modelc's discrete
adjoint (``CheckpointAdjoint()``) and diffrax (``RecursiveCheckpointAdjoint``):
each the median over ``--pairs`` interleaved (gradient, forward) pairs of the
per-pair ratio (the machine may be loaded; wall clock).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import modelc
from timing import run_pairs

CLOCK = {"wall": time.perf_counter, "cpu": time.process_time}
clock = time.perf_counter


def timed(fn) -> float:
    """Seconds of the chosen clock for one call of ``fn``, waiting for JAX results."""
    start = clock()
    jax.block_until_ready(fn())
    return clock() - start

MODEL = Path(__file__).resolve().parent.parent / "examples" / "lorenz.model"
RTOL, ATOL, T1 = 1e-6, 1e-6, 10.0
TS = np.linspace(0.0, T1, 11)


def lorenz(t, u, p):
    x, y, z = u[0], u[1], u[2]
    return jnp.stack([p[0] * (y - x), x * (p[1] - z) - y, x * y - p[2] * z])


def median_time(fn, repeats):
    jax.block_until_ready(fn())  # warm-up (compiles)
    return statistics.median(timed(fn) for _ in range(repeats))


def modelc_fns(rho, adjoint=None):
    m = modelc.load(MODEL)
    f = m.solver(method="tsit5", rtol=RTOL, atol=ATOL, adjoint=adjoint)
    ts = jnp.asarray(TS)

    def final(r):
        out = jax.vmap(lambda r: f({}, {"rho": r}, ts))(r)
        return jnp.sum(out["x"][:, -1] + out["y"][:, -1] + out["z"][:, -1])

    ens = lambda: m.ensemble(params={"rho": rho}, saveat=TS, rtol=RTOL, atol=ATOL).y  # noqa: E731
    return ens, jax.jit(final), jax.jit(jax.grad(final))


def diffrax_fns():
    import diffrax

    def solve(r):
        p = jnp.stack([10.0, r, 8.0 / 3.0])
        return diffrax.diffeqsolve(
            diffrax.ODETerm(lorenz), diffrax.Tsit5(), t0=0.0, t1=T1, dt0=None,
            y0=jnp.ones(3), args=p, saveat=diffrax.SaveAt(ts=jnp.asarray(TS)),
            stepsize_controller=diffrax.PIDController(rtol=RTOL, atol=ATOL),
            max_steps=100_000).ys

    def final(r):
        return jnp.sum(jax.vmap(solve)(r)[:, -1])

    return jax.jit(jax.vmap(solve)), jax.jit(final), jax.jit(jax.grad(final))


def scipy_rate(rho, count):
    from scipy.integrate import solve_ivp

    start = clock()
    for r in rho[:count]:
        solve_ivp(lambda t, u: [10 * (u[1] - u[0]), u[0] * (r - u[2]) - u[1],
                                u[0] * u[1] - 8 / 3 * u[2]],
                  (0, T1), [1.0, 1.0, 1.0], method="RK45", rtol=RTOL, atol=ATOL, t_eval=TS)
    return count / (clock() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--grad-members", type=int, default=1000)
    parser.add_argument("--scipy-members", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pairs", type=int, default=7)
    parser.add_argument("--clock", choices=sorted(CLOCK), default="wall")
    args = parser.parse_args()
    global clock
    clock = CLOCK[args.clock]
    n, ng = args.members, args.grad_members
    rho = np.linspace(20.0, 30.0, n)
    print(f"jax {jax.__version__}, backend {jax.default_backend()}, {os.cpu_count()} cpus, "
          f"{n} Lorenz trajectories, Tsit5, rtol {RTOL:g}, t = 0..{T1:g}, {args.clock} clock")

    ens, m_fwd, m_grad = modelc_fns(rho)
    d_ens, d_fwd, d_grad = diffrax_fns()
    ours, theirs = np.asarray(ens()), np.asarray(d_ens(jnp.asarray(rho)))
    print(f"max |modelc - diffrax| at the outputs: {np.max(np.abs(ours - theirs)):.2e} "
          "(chaotic: grows with t)")

    rows = [("modelc ensemble", n / median_time(ens, args.repeats)),
            ("diffrax vmap", n / median_time(lambda: d_ens(jnp.asarray(rho)), args.repeats)),
            (f"scipy RK45 loop ({args.scipy_members}, extrapolated)",
             scipy_rate(rho, args.scipy_members))]
    print("\ntrajectories per second")
    for name, rate in rows:
        print(f"  {name:38s} {rate:12,.0f}   x{rate / rows[1][1]:.2f} vs diffrax")

    r = jnp.asarray(rho[:ng])
    print(f"\ngradient / forward cost, {ng} members (d sum of final states / d rho), "
          f"median of {args.pairs} interleaved pairs")
    _, c_fwd, c_grad = modelc_fns(rho, modelc.CheckpointAdjoint())
    cases = (("modelc default (auto)", m_fwd, m_grad),
             ("modelc CheckpointAdjoint", c_fwd, c_grad),
             ("diffrax RecursiveCheckpoint", d_fwd, d_grad))
    for _name, fwd, grad in cases:
        jax.block_until_ready((fwd(r), grad(r)))  # compile
    for name, fwd, grad in cases:
        ratio, tg, tf = run_pairs(lambda: grad(r), lambda: fwd(r), args.pairs)
        print(f"  {name:28s} forward {tf * 1e3:9.1f} ms  gradient {tg * 1e3:9.1f} ms  "
              f"ratio {ratio:.2f}   ({ng / tg:,.0f} gradient trajectories/s)")

if __name__ == "__main__":
    main()
