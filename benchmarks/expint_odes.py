"""Exponential integrators against tsit5 and rodas5.

Run with ``python benchmarks/expint_odes.py [--pairs 10] [--n 32]``.

1. **Allen--Cahn** ``u_t = D u_xx + u - u^3`` on [0, 1], ``u = 0`` at both ends,
   discretised by hand (second differences) into ``n`` explicit states of a
   model file (generated below), ``D = 0.1``, t in [0, 5].  The split pass
   finds the tridiagonal ``L`` (kind "matrix") and ``N = u - u^3``.  The
   stiffness (``|lambda_max| ~ 4 D (n+1)^2``) limits tsit5's step; ETDRK4
   takes fixed steps as large as accuracy allows.  For each ETDRK4 step size
   the tolerance of tsit5 and rodas5 is tightened until their error (max over
   states at t = 5, against rodas5 at rtol 1e-12) is at most ETDRK4's; then
   ``nfe`` (rhs or N evaluations), run time (median of interleaved pairs, after
   warm-up) and compile time are reported.
2. **Diffusion ODE** with a closed-form solution (Gaussian data N(0, 0.02^2),
   VP linear schedule, t from 1 to 1e-3): DPM-Solver++(2M) on a log-SNR grid
   with 10, 15, 20 steps against tsit5 on the same ODE written as
   ``dx/dt = a(t) x + b(t) eps(x, t)``; relative error and ``nfe``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import modelc  # noqa: E402
from modelc.solvers import integrate  # noqa: E402
from modelc.solvers.diffusion import sample, time_grid, vp_linear  # noqa: E402
from timing import run_pairs  # noqa: E402

T_END = 5.0


def allen_cahn_text(n: int, diffusion: float = 0.1) -> str:
    """Model text of the discretised Allen--Cahn equation with ``n`` interior points."""
    inv_dx2 = (n + 1) ** 2
    lines = ["model allen_cahn", f"parameter D = {diffusion}"]
    xs = np.arange(1, n + 1) / (n + 1)
    for i, x in enumerate(xs, 1):
        u0 = 0.4 * np.sin(np.pi * x) + 0.3 * np.sin(4 * np.pi * x)
        lines.append(f"state u{i} = {u0:.15g}")
    for i in range(1, n + 1):
        left = f"u{i - 1}" if i > 1 else "0"
        right = f"u{i + 1}" if i < n else "0"
        lines.append(f"der(u{i}) = D*{inv_dx2}*({left} - 2*u{i} + {right}) + u{i} - u{i}^3")
    lines.append(f"simulate t = [0, {T_END}]")
    return "\n".join(lines) + "\n"


def _runner(m, method, fixed_step=False):
    """A jitted ``(y0, tol_or_dt) -> (y(T_END), nfe)``: the tolerance (rtol, with atol =
    rtol/100) or, for a fixed-step method, the step is traced (one compilation)."""
    mod = m.module
    p = mod.parameter_vector({})
    ts = jnp.array([0.0, T_END])

    def run(y0, x):
        kw = {"dt0": x} if fixed_step else {"rtol": x, "atol": x * 1e-2}
        raw = integrate(mod.rhs, y0, ts, p, method=method, jac=m.jacobian, split=m.split,
                        max_steps=1_000_000, **kw)
        return raw.ys[-1], raw.nfe

    return jax.jit(run)


def _compile_time(fn, y0, x) -> float:
    start = time.perf_counter()
    fn.lower(y0, x).compile()
    return time.perf_counter() - start


def _matched(fn, y0, ref, target):
    """Loosest rtol (decades from 1e-3) whose error is at most ``target``."""
    for k in range(3, 13):
        rtol = 10.0**-k
        y, nfe = fn(y0, rtol)
        err = float(jnp.max(jnp.abs(y - ref)))
        if err <= target:
            break
    return rtol, err, int(nfe)


def allen_cahn(n: int, pairs: int) -> None:
    """Part 1 of the module docstring."""
    m = modelc.parse(allen_cahn_text(n), cache_modules=False)
    y0 = m.module.initial_state(m.module.parameter_vector({}), {})
    runners = {name: _runner(m, name, name == "etdrk4") for name in ("etdrk4", "tsit5", "rodas5")}
    compile_s = {name: _compile_time(fn, y0, 0.1) for name, fn in runners.items()}
    ref = runners["rodas5"](y0, 1e-12)[0]
    print(f"Allen-Cahn, n = {n} states, split kind {m.split.kind!r}, t in [0, {T_END}]")
    print(f"{'method':>9} {'setting':>12} {'error':>9} {'nfe':>7} {'run ms':>8} "
          f"{'vs etdrk4':>9} {'compile s':>9}")
    etd = runners["etdrk4"]
    for dt in (0.1, 0.05, 0.025):
        y, nfe = etd(y0, dt)
        err = float(jnp.max(jnp.abs(y - ref)))
        rows = [("etdrk4", f"dt={dt}", err, int(nfe), dt)]
        for method in ("tsit5", "rodas5"):
            rtol, e, nf = _matched(runners[method], y0, ref, err)
            rows.append((method, f"rtol={rtol:.0e}", e, nf, rtol))
        for method, setting, e, nf, x in rows:
            fn = runners[method]
            ratio, t_self, _ = run_pairs(lambda: fn(y0, x), lambda: etd(y0, dt), pairs)
            print(f"{method:>9} {setting:>12} {e:9.1e} {nf:7d} {1e3 * t_self:8.2f} "
                  f"{ratio:9.2f} {compile_s[method]:9.2f}", flush=True)


def diffusion() -> None:
    """Part 2 of the module docstring."""
    sched, sd = vp_linear(), 0.02
    t0, t1 = 1.0, 1e-3

    def s2(t):
        return jnp.exp(2 * sched.log_alpha(t)) * sd**2 + sched.sigma(t) ** 2

    def eps(x, t):
        return sched.sigma(t) * x / s2(t)

    def rhs(t, x, args):
        a, b = sched.rhs_coefficients(t)
        return a * x + b * eps(x, t)

    x_t = jnp.linspace(-2.0, 2.0, 9)
    exact = x_t * jnp.sqrt(s2(t1) / s2(t0))
    scale = float(jnp.max(jnp.abs(exact)))
    print(f"\nDiffusion ODE (Gaussian data, sd = {sd}, VP linear, t: {t0} -> {t1})")
    print(f"{'method':>9} {'setting':>12} {'rel error':>9} {'nfe':>5}")
    for steps in (10, 15, 20):
        x, nfe = sample(eps, sched, x_t, time_grid(sched, t0, t1, steps, "logsnr"), "dpmpp2m")
        err = float(jnp.max(jnp.abs(x - exact))) / scale
        print(f"{'dpmpp2m':>9} {f'{steps} steps':>12} {err:9.1e} {int(nfe):5d}")
    for rtol in (1e-2, 1e-3, 1e-4):
        sol = integrate(rhs, x_t, jnp.array([t0, t1]), None, method="tsit5", rtol=rtol,
                        atol=rtol * 1e-2)
        err = float(jnp.max(jnp.abs(sol.ys[-1] - exact))) / scale
        print(f"{'tsit5':>9} {f'rtol={rtol:.0e}':>12} {err:9.1e} {int(sol.nfe):5d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--n", type=int, default=32)
    args = parser.parse_args()
    allen_cahn(args.n, args.pairs)
    diffusion()


if __name__ == "__main__":
    main()
