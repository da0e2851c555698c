"""Lorenz, t = 0..20, rtol = atol = 1e-8: modelc against diffrax, SciPy and hand-written JAX.

Run with ``make bench`` (installs the `bench` extra) or
``python benchmarks/lorenz.py [--pairs 30]``. Everything is measured in this
one process: run times as interleaved A/B pairs after warm-up, reporting the
median of the per-pair ratios; compile times as the median of repeated
``lower().compile()`` of freshly traced functions; right-hand-side
evaluations and steps, which do not vary. It also times ``modelc simulate``
cold (empty caches) and warm (cached module and XLA program) as subprocesses.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import modelc
from modelc.solvers import integrate
from timing import compile_seconds, run_pairs

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "examples" / "lorenz.model"
RTOL = ATOL = 1e-8
T1 = 20.0
POINTS = 2001


def lorenz_hand(t, u, p):
    """The Lorenz right-hand side written by hand, for the generated-code comparison."""
    x, y, z = u[0], u[1], u[2]
    return jnp.stack([p[0] * (y - x), x * (p[1] - z) - y, x * y - p[2] * z])


def modelc_runner(m, ts):
    f = m.solver(method="tsit5", rtol=RTOL, atol=ATOL, full_output=True)
    return lambda: jax.jit(lambda: f({}, {}, ts))


def hand_runner(ts):
    p = jnp.array([10.0, 28.0, 8.0 / 3.0])
    y0 = jnp.ones(3)
    return lambda: jax.jit(
        lambda: integrate(lorenz_hand, y0, ts, p, method="tsit5", rtol=RTOL, atol=ATOL)
    )


def diffrax_runner(ts):
    import diffrax

    def vf(t, u, p):
        return lorenz_hand(t, u, p)

    def solve():
        return diffrax.diffeqsolve(
            diffrax.ODETerm(vf), diffrax.Tsit5(), t0=0.0, t1=T1, dt0=None, y0=jnp.ones(3),
            args=jnp.array([10.0, 28.0, 8.0 / 3.0]), saveat=diffrax.SaveAt(ts=ts),
            stepsize_controller=diffrax.PIDController(rtol=RTOL, atol=ATOL), max_steps=100_000,
        )

    return lambda: jax.jit(solve)




def scipy_counts(method):
    from scipy.integrate import solve_ivp

    def f(t, u):
        return [10 * (u[1] - u[0]), u[0] * (28 - u[2]) - u[1], u[0] * u[1] - 8 / 3 * u[2]]

    start = time.perf_counter()
    sol = solve_ivp(f, (0, T1), [1.0, 1.0, 1.0], method=method, rtol=RTOL, atol=ATOL,
                    t_eval=np.linspace(0, T1, POINTS))
    return sol.nfev, time.perf_counter() - start


def simulate_wall(cache: Path) -> float:
    env = dict(os.environ, MODELC_CACHE_DIR=str(cache))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "modelc.cli", "simulate", str(MODEL), "--no-progress",
                    "--out", str(cache / "out.csv")], check=True, env=env, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=30)
    args = parser.parse_args()

    ts = jnp.linspace(0.0, T1, POINTS)
    m = modelc.load(MODEL)
    make_modelc, make_hand, make_diffrax = modelc_runner(m, ts), hand_runner(ts), diffrax_runner(ts)

    run_modelc, run_hand, run_diffrax = make_modelc(), make_hand(), make_diffrax()
    _, info = jax.block_until_ready(run_modelc())
    hand = jax.block_until_ready(run_hand())
    dfx = jax.block_until_ready(run_diffrax())
    ours = jnp.stack([_[k] for k in ("x", "y", "z")], axis=1)
    print(f"jax {jax.__version__}, backend {jax.default_backend()}, {os.cpu_count()} cpus")
    print(f"max |modelc - diffrax| over outputs: {float(jnp.max(jnp.abs(ours - dfx.ys))):.2e}")
    print(f"max |modelc - hand-written rhs| over outputs: "
          f"{float(jnp.max(jnp.abs(ours - hand.ys))):.2e}")

    print("\nright-hand-side evaluations and steps (Tsit5 unless noted)")
    print(f"  modelc   nfe {int(info['nfe']):6d}  steps {int(info['steps']):5d}  "
          f"(accepted {int(info['accepted'])}, rejected {int(info['rejected'])})")
    dstats = dfx.stats
    print(f"  diffrax  nfe {int(dstats['num_steps']) * 6 + 1:6d}* steps {int(dstats['num_steps']):5d}  "
          f"(accepted {int(dstats['num_accepted_steps'])}, rejected {int(dstats['num_rejected_steps'])})"
          "   * 6 per step + 1, FSAL")
    for method in ("RK45", "DOP853"):
        nfev, secs = scipy_counts(method)
        print(f"  scipy {method:6s} nfe {nfev:6d}  run {secs * 1e3:8.2f} ms (no compile)")

    print(f"\nrun time, median of {args.pairs} interleaved pairs")
    ratio, ta, tb = run_pairs(run_modelc, run_diffrax, args.pairs)
    print(f"  modelc {ta * 1e3:7.3f} ms  diffrax {tb * 1e3:7.3f} ms  ratio modelc/diffrax {ratio:.2f}")
    ratio_h, ta, th = run_pairs(run_modelc, run_hand, args.pairs)
    print(f"  modelc {ta * 1e3:7.3f} ms  hand-written rhs {th * 1e3:7.3f} ms  ratio {ratio_h:.2f}")
    for method in ("RK45", "DOP853"):
        secs = statistics.median(scipy_counts(method)[1] for _ in range(5))
        print(f"  scipy {method}: {secs * 1e3:.2f} ms, modelc/scipy ratio {ta / secs:.3f}")

    print("\ncompile time (trace + XLA compile), median of 5")
    cm, cd = compile_seconds(make_modelc), compile_seconds(make_diffrax)
    print(f"  modelc {cm:.3f} s  diffrax {cd:.3f} s  ratio {cm / cd:.2f}")

    print("\n`modelc simulate examples/lorenz.model` wall time (new process each)")
    with tempfile.TemporaryDirectory() as folder:
        cold = simulate_wall(Path(folder))
        warm = [simulate_wall(Path(folder)) for _ in range(3)]
    print(f"  cold (empty caches) {cold:.2f} s, warm (cached module + XLA) {statistics.median(warm):.2f} s")


if __name__ == "__main__":
    main()
