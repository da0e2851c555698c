"""Delay equations: modelc against SciPy ``solve_ivp`` by the method of steps.

SciPy has no delay solver; its users integrate one lag interval at a time,
reading the delayed term from the previous intervals' dense output (the method
of steps, restarting at every multiple of the lag). That is the peer here, at
the same tolerances; the reference is the same method of steps with DOP853 at
rtol 1e-12. Problems: the delayed logistic (Hutchinson) equation
``x' = r x (1 - x(t - tau)/K)`` (r = 1.4, K = 2, tau = 1, x = 0.5 before 0, t to 40)
and Mackey-Glass (examples/delay.model, t to 200). Run times are interleaved
pairs after warm-up (median of per-pair ratios); errors are the largest absolute
difference from the reference at the output times.

With ``--orders`` it also measures the convergence order of fixed steps (rk4,
and tsit5 and dopri5 driven by a constant-step controller) on the delayed
logistic equation with lag 0.7 (steps that never divide it), against the same
reference: the cubic Hermite history caps every method at order 4.

    python benchmarks/delays.py [--pairs 5] [--orders]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from scipy.integrate import solve_ivp

import modelc
from timing import run_pairs

ROOT = Path(__file__).resolve().parent.parent

HUTCHINSON = """
parameter r = 1.4, K = 2, tau = 1
state x = 0.5
der(x) = r*x*(1 - delay(x, tau)/K)
"""


class MethodOfSteps:
    """``x' = f(t, x, x(t - tau))`` with constant history ``x0`` by SciPy, one lag
    interval per ``solve_ivp`` call; ``nfe`` counts rhs evaluations."""

    def __init__(self, f, x0, tau, t_end, method="RK45", rtol=1e-8, atol=1e-10):
        self.f, self.x0, self.tau, self.t_end = f, float(x0), float(tau), float(t_end)
        self.method, self.rtol, self.atol = method, rtol, atol
        self.intervals, self.nfe = [], 0

    def lagged(self, s):
        if s <= 0:
            return self.x0
        for a, b, dense in reversed(self.intervals):
            if a <= s <= b:
                return float(dense(s)[0])
        raise ValueError(f"no history at {s}")

    def run(self):
        self.intervals, self.nfe = [], 0
        a, y = 0.0, self.x0
        while a < self.t_end - 1e-12:
            b = min(a + self.tau, self.t_end)
            sol = solve_ivp(lambda t, x: [self.f(t, x[0], self.lagged(t - self.tau))], (a, b), [y],
                            method=self.method, rtol=self.rtol, atol=self.atol, dense_output=True)
            self.intervals.append((a, b, sol.sol))
            self.nfe += sol.nfev
            a, y = b, float(sol.y[0, -1])
        return self

    def at(self, ts):
        return np.array([self.lagged(s) for s in ts])


def problems():
    """``(name, model, scipy rhs, x0, tau, t_end)`` for each benchmark problem."""
    def hutchinson(t, x, lag):
        return 1.4 * x * (1 - lag / 2.0)

    def mackey_glass(t, x, lag):
        return 0.2 * lag / (1 + lag ** 10) - 0.1 * x

    return [("hutchinson", modelc.parse(HUTCHINSON), hutchinson, 0.5, 1.0, 40.0),
            ("mackey-glass", modelc.load(ROOT / "examples" / "delay.model"), mackey_glass, 1.2,
             17.0, 200.0)]


def fixed_step_orders() -> None:
    """Errors and observed orders of fixed steps (module docstring)."""
    from modelc import solvers
    from modelc.solvers.history import DelaySpec

    def rhs(t, y, args, history):
        return 1.4 * y * (1 - history(t - 0.7) / 2.0)

    spec = DelaySpec(lambda t, y, a: jnp.asarray([0.7]), (True,), (0,))
    ts = np.linspace(0.0, 3.5, 6)
    ref = MethodOfSteps(lambda t, x, lag: 1.4 * x * (1 - lag / 2.0), 0.5, 0.7, 3.5, "DOP853",
                        1e-13, 1e-15).run().at(ts)
    dts = [0.2 / 2 ** k for k in range(5)]
    print("\nfixed steps, delayed logistic with lag 0.7 (steps never divide it): max error, order")
    for method in ("rk4", "tsit5", "dopri5"):
        errs = []
        for dt in dts:
            raw = solvers.integrate(rhs, jnp.asarray([0.5]), jnp.asarray(ts), None, method=method,
                                    dt0=dt, controller=solvers.ConstantStepController(),
                                    delays=spec)
            errs.append(float(np.max(np.abs(np.asarray(raw.ys[:, 0]) - ref))))
        orders = [np.log2(a / b) for a, b in zip(errs[:-1], errs[1:])]
        print(f"  {method:7s} " + "  ".join(f"dt={dt:.4f}: {e:.2e}" for dt, e in zip(dts, errs)))
        print(f"  {'':7s} orders " + "  ".join(f"{o:.2f}" for o in orders))


def variable_lags() -> None:
    """Variable lags shorter than the step: the pantograph x' = x(t/2) against its
    series, and a lag k*t with k = 0 (the current state) against exp(-t)."""
    from math import factorial

    pantograph = modelc.parse("state x = 1\nder(x) = delay(x, t/2)\n")
    zero = modelc.parse("parameter k = 0\nstate x = 1\nder(x) = -delay(x, k*t)\n")
    print("\nvariable lags shorter than the step (tsit5, t in [0, 3]): max error, nfe")
    for rtol in (1e-6, 1e-9):
        s = pantograph.solve(t=(0, 3), points=13, rtol=rtol, atol=rtol * 1e-3)
        t = np.asarray(s.t)
        exact = sum(t ** n / (factorial(n) * 2.0 ** (n * (n - 1) / 2)) for n in range(40))
        z = zero.solve(t=(0, 3), points=13, rtol=rtol, atol=rtol * 1e-3)
        print(f"  rtol {rtol:g}: pantograph relative {np.max(np.abs(np.asarray(s['x']) / exact - 1)):.2e}"
              f" ({s.stats['nfe']} nfe); zero lag {np.max(np.abs(np.asarray(z['x']) - np.exp(-t))):.2e}"
              f" ({z.stats['nfe']} nfe)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--rtol", type=float, default=1e-8)
    ap.add_argument("--orders", action="store_true", help="also measure fixed-step orders")
    ap.add_argument("--variable", action="store_true", help="also measure variable lags")
    args = ap.parse_args()
    rtol, atol = args.rtol, args.rtol * 1e-2
    print(f"rtol = {rtol:g}, atol = {atol:g}; times are medians of {args.pairs} interleaved pairs")
    print(f"{'problem':13s} {'solver':22s} {'max error':>10s} {'nfe':>7s} {'time (ms)':>10s}")
    for name, m, f, x0, tau, t_end in problems():
        ts = np.linspace(0.0, t_end, 201)
        ref = MethodOfSteps(f, x0, tau, t_end, "DOP853", 1e-12, 1e-14).run().at(ts)
        solver = jax.jit(m.solver(method="tsit5", rtol=rtol, atol=atol, full_output=True))
        tsj = jnp.asarray(ts)
        states, info = jax.block_until_ready(solver({}, {}, tsj))
        assert int(info["status"]) == 0, info
        err = np.max(np.abs(np.asarray(states["x"]) - ref))
        peers = [MethodOfSteps(f, x0, tau, t_end, meth, rtol, atol) for meth in ("RK45", "DOP853")]
        print(f"{name:13s} {'modelc tsit5':22s} {err:10.2e} {int(info['nfe']):7d}", end="")
        for i, peer in enumerate(peers):
            peer_err = np.max(np.abs(peer.run().at(ts) - ref))
            ratio, t_modelc, t_peer = run_pairs(lambda: solver({}, {}, tsj), peer.run, args.pairs)
            if i == 0:
                print(f" {1e3 * t_modelc:10.2f}")
            print(f"{'':13s} {'scipy steps ' + peer.method:22s} {peer_err:10.2e} {peer.nfe:7d} "
                  f"{1e3 * t_peer:10.2f}   modelc/scipy time ratio {ratio:.3f}")
    if args.orders:
        fixed_step_orders()
    if args.variable:
        variable_lags()


if __name__ == "__main__":
    main()
