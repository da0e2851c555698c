"""Robertson's kinetics with ``constraint y1 + y2 + y3 = 1`` (examples/robertson_dae.model),
t = 0..1e5: modelc's two constraint paths against SciPy Radau on the ODE form.

Run with ``python benchmarks/dae.py [--pairs 20] [--rtol 1e-6] [--atol 1e-14]``. In one
process: modelc with the constraint eliminated symbolically (rodas5 on two states,
y3 an observable), modelc with it solved numerically (``constraints="numerical"``:
rodas5 with the mass matrix on three states, consistent initialisation from the
starting guess y3 = 0.3), and SciPy's Radau on the three-state ODE (with its
Jacobian written by hand; SciPy has no DAE solver). Run times are the median of
interleaved pairs (each modelc path against Radau) after warm-up, with
``block_until_ready``; steps and the maximum relative error against a Radau
reference (rtol 1e-12, atol 1e-22) over the outputs of every species above 1e-12
(t = 0 and 29 log-spaced times in [1e-5, 1e5]) and the worst violation of the
conservation law are printed beside them; last, the two modelc paths against each
other in more interleaved pairs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from scipy.integrate import solve_ivp

jax.config.update("jax_enable_x64", True)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import modelc  # noqa: E402
from timing import run_pairs  # noqa: E402

MODEL = Path(__file__).resolve().parent.parent / "examples" / "robertson_dae.model"
K1, K2, K3 = 0.04, 3e7, 1e4
TS = np.concatenate([[0.0], np.logspace(-5, 5, 29)])


def ode(t, y):
    return [-K1 * y[0] + K3 * y[1] * y[2], K1 * y[0] - K3 * y[1] * y[2] - K2 * y[1] ** 2, K2 * y[1] ** 2]


def ode_jac(t, y):
    return [[-K1, K3 * y[2], K3 * y[1]], [K1, -K3 * y[2] - 2 * K2 * y[1], -K3 * y[1]],
            [0.0, 2 * K2 * y[1], 0.0]]


def radau(rtol, atol):
    sol = solve_ivp(ode, (0, TS[-1]), [1.0, 0.0, 0.0], method="Radau", jac=ode_jac, rtol=rtol,
                    atol=atol, t_eval=TS)
    return sol.y.T, sol.nfev, sol.njev, sol.t.size


def modelc_path(constraints, rtol, atol):
    """A jitted call returning (y1, y2, y3 at TS, info) for one constraint path."""
    m = modelc.load(MODEL, constraints=constraints)
    f = m.solver(method="rodas5", rtol=rtol, atol=atol, full_output=True)
    ts = jnp.asarray(TS)
    y0 = {"y3": 0.3} if constraints == "numerical" else {}

    @jax.jit
    def run():
        states, info = f(y0, {}, ts)
        y3 = states["y3"] if "y3" in states else 1.0 - states["y1"] - states["y2"]
        return jnp.stack([states["y1"], states["y2"], y3], axis=1), info
    return run


def error(y, ref):
    big = ref > 1e-12
    return float(np.max(np.abs(y[big] - ref[big]) / ref[big]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--rtol", type=float, default=1e-6)
    parser.add_argument("--atol", type=float, default=1e-14)
    args = parser.parse_args()
    ref = radau(1e-12, 1e-22)[0]
    scipy_run = lambda: radau(args.rtol, args.atol)  # noqa: E731
    y_scipy, nfev, njev, _ = scipy_run()
    print(f"Robertson DAE, t = 0..1e5, rtol = {args.rtol:g}, atol = {args.atol:g}, {args.pairs} pairs")
    print(f"{'solver':44s} {'steps':>6s} {'max rel err':>12s} {'|sum-1|':>9s} {'time (ms)':>10s} "
          f"{'time / Radau':>12s}")
    runs = {}
    for label, constraints in (("modelc rodas5, constraint eliminated", "auto"),
                               ("modelc rodas5 + mass matrix (numerical DAE)", "numerical")):
        run = runs[constraints] = modelc_path(constraints, args.rtol, args.atol)
        y, info = jax.block_until_ready(run())
        y = np.asarray(y)
        ratio, t_modelc, t_scipy = run_pairs(run, scipy_run, args.pairs)
        print(f"{label:44s} {int(info['steps']):6d} {error(y, ref):12.2e} "
              f"{np.max(np.abs(y.sum(axis=1) - 1)):9.1e} {1e3 * t_modelc:10.2f} {ratio:12.3f}")
    print(f"{'SciPy Radau (ODE form, hand Jacobian)':44s} {'-':>6s} {error(y_scipy, ref):12.2e} "
          f"{np.max(np.abs(y_scipy.sum(axis=1) - 1)):9.1e} {1e3 * t_scipy:10.2f} {1.0:12.3f}"
          f"   ({nfev} f, {njev} Jacobians)")
    ratio, t_dae, t_ode = run_pairs(runs["numerical"], runs["auto"], 5 * args.pairs)
    print(f"numerical DAE / eliminated, {5 * args.pairs} interleaved pairs: median ratio {ratio:.2f} "
          f"({1e3 * t_dae:.2f} ms / {1e3 * t_ode:.2f} ms)")


if __name__ == "__main__":
    main()
