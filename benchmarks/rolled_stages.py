"""Rolled against unrolled Runge--Kutta / Rosenbrock stages as systems grow.

Run with ``python benchmarks/rolled_stages.py [--sizes 8 32 128] [--methods tsit5 rodas5]
[--grad]``.

For the random mass-action networks of benchmarks/network_scaling.py (issue 16's
recipe) with N species, each method's stepper runs with ``roll=False`` (stages
unrolled in Python) and ``roll=True`` (a ``fori_loop`` over the tableau,
modelc/solvers/rolled.py) through ``modelc.solvers.integrate`` on the generated
rhs (and Jacobian), t = 0..10, rtol 1e-6. Printed per size: trace + XLA compile
of a fresh function (median of ``--repeats``; ``jax.clear_caches()`` between) and
the run time (median of interleaved pairs), each rolled/unrolled, and the jaxpr
size. The default threshold ``ROLL_MIN_RHS_EQNS`` comes from these numbers. With
``--grad`` the function timed is the gradient of the final state's sum with respect to
the parameters (``CheckpointAdjoint``, the discrete adjoint): for kvaerno5 that rolls
or unrolls the exact Newton step of every stage of its reverse-mode step (its forward
step is one loop over the stages in both forms).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ["MODELC_XLA_CACHE"] = "0"

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import modelc  # noqa: E402
from first_call import count_eqns  # noqa: E402
from modelc.solvers import integrate  # noqa: E402
from modelc.solvers.adjoint import CheckpointAdjoint  # noqa: E402
from modelc.solvers.methods import METHODS  # noqa: E402
from network_scaling import model_text  # noqa: E402
from timing import run_pairs  # noqa: E402


def make(m, method: str, roll: bool, grad: bool = False):
    """A fresh jitted solve of model ``m`` with the method's stepper rolled or not (``grad``:
    the gradient of the final state's sum with respect to the parameters)."""
    stepper = type(METHODS[method])(roll=roll)
    p = m.module.parameter_vector({})
    y0 = m.module.initial_state(p, {})
    ts = jnp.linspace(0.0, 10.0, 11)
    if not grad:
        return jax.jit(lambda: integrate(m.module.rhs, y0, ts, p, method=stepper, rtol=1e-6,
                                         atol=1e-9, jac=m.jacobian).ys)

    def final(p):
        return jnp.sum(integrate(m.module.rhs, y0, ts, p, method=stepper, rtol=1e-6, atol=1e-9,
                                 jac=m.jacobian, adjoint=CheckpointAdjoint()).ys[-1])
    return jax.jit(lambda: jax.grad(final)(p))


def compile_time(m, method, roll, repeats, grad=False):
    times = []
    for _ in range(repeats):
        jax.clear_caches()
        f = make(m, method, roll, grad)
        start = time.perf_counter()
        f.trace().lower().compile()
        times.append(time.perf_counter() - start)
    return statistics.median(times), count_eqns(make(m, method, roll, grad).trace().jaxpr.jaxpr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[8, 32, 128])
    parser.add_argument("--methods", nargs="+", default=["tsit5", "rodas5"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pairs", type=int, default=15)
    parser.add_argument("--grad", action="store_true",
                        help="time the gradient (discrete adjoint) instead of the solve")
    args = parser.parse_args()
    print(f"jax {jax.__version__}, {os.cpu_count()} cpus")
    print(f"{'method':<7} {'N':>5} {'compile unrolled':>17} {'rolled':>7} {'ratio':>6} | "
          f"{'run unrolled':>13} {'rolled':>9} {'ratio':>6} | {'eqns':>6} {'rolled':>6}")
    with tempfile.TemporaryDirectory() as folder:
        for n in args.sizes:
            path = Path(folder) / f"net{n}.model"
            path.write_text(model_text(n), encoding="utf-8")
            m = modelc.load(path)
            for method in args.methods:
                cu, eu = compile_time(m, method, False, args.repeats, args.grad)
                cr, er = compile_time(m, method, True, args.repeats, args.grad)
                fu, fr = make(m, method, False, args.grad), make(m, method, True, args.grad)
                np.testing.assert_allclose(np.asarray(fr()), np.asarray(fu()), rtol=1e-9, atol=1e-12)
                ratio, tr, tu = run_pairs(fr, fu, args.pairs)   # rolled / unrolled
                print(f"{method:<7} {n:5d} {cu:16.2f}s {cr:6.2f}s {cr / cu:6.2f} | "
                      f"{tu * 1e3:11.2f}ms {tr * 1e3:7.2f}ms {ratio:6.2f} | {eu:6d} {er:6d}", flush=True)


if __name__ == "__main__":
    main()
