"""One short GPU check: correctness against CPU references, ensemble throughput, PDE rate.

Run on a machine with an accelerator: ``python benchmarks/gpu_check.py``
(about 1-3 minutes on an H100).  It prints one compact table:

1. Lorenz (tsit5) and Robertson (rodas5) in float64 on the default device
   against the same solves computed on the CPU in this process
   (``jax.devices("cpu")``): max relative difference, PASS/FAIL; the same
   for a reverse-mode gradient of Lorenz w.r.t. two parameters;
2. ensemble throughput, 100,000 Lorenz trajectories (t = 0..10), float32
   (rtol 1e-5) and float64 (rtol 1e-6), as trajectories per second;
3. a 2-D reaction-diffusion model (benchmarks/models/gray_scott_2d.model):
   accepted steps per second in float32 and float64 -- skipped with a message
   when this modelc cannot compile 2-D fields yet.

``--members`` and ``--pde-t1`` shrink the run (e.g. for a CPU smoke test).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import jax
import numpy as np

import modelc

ROOT = Path(__file__).resolve().parent.parent
ROWS: list[tuple[str, str, str]] = []


def row(what: str, value: str, verdict: str = "") -> None:
    ROWS.append((what, value, verdict))
    print(f"  {what:44s} {value:>22s}  {verdict}", flush=True)


def on(device, fn):
    with jax.default_device(device):
        return fn()


def check_against_cpu(name, method, rtol, atol, tol):
    m = modelc.load(ROOT / "examples" / f"{name}.model")
    cpu = jax.devices("cpu")[0]
    solve = lambda: m.solve(method=method, rtol=rtol, atol=atol, points=51)  # noqa: E731
    here, ref = solve(), on(cpu, solve)
    scale = np.maximum(np.abs(ref.y), atol / rtol)
    err = float(np.max(np.abs(here.y - ref.y) / scale))
    ok = here.ok and ref.ok and err < tol
    row(f"{name} {method} float64 vs CPU (max rel diff)", f"{err:.2e}",
        "PASS" if ok else "FAIL")


def gradient_against_cpu(tol):
    """``d x(t=2) / d(rho, sigma)`` of Lorenz (tsit5, discrete adjoint) here vs on the CPU."""
    import jax.numpy as jnp

    m = modelc.load(ROOT / "examples" / "lorenz.model")
    f = m.solver(method="tsit5", rtol=1e-10, atol=1e-10)
    ts = jnp.linspace(0.0, 2.0, 5)
    loss = lambda p: f({}, p, ts)["x"][-1]  # noqa: E731
    grad = lambda: jax.jit(jax.grad(loss))({"rho": 28.0, "sigma": 10.0})  # noqa: E731
    here, ref = grad(), on(jax.devices("cpu")[0], grad)
    err = max(abs(float(here[k]) - float(ref[k])) / abs(float(ref[k])) for k in ref)
    row("Lorenz grad (rho, sigma) float64 vs CPU", f"{err:.2e}", "PASS" if err < tol else "FAIL")


def throughput(members, dtype, rtol):
    m = modelc.load(ROOT / "examples" / "lorenz.model")
    rho = np.linspace(20.0, 30.0, members)
    saveat = np.linspace(0.0, 10.0, 11)
    run = lambda: m.ensemble(params={"rho": rho}, saveat=saveat, rtol=rtol,  # noqa: E731
                             atol=rtol, dtype=dtype)
    sol = run()  # compile
    start = time.perf_counter()
    sol = run()
    secs = time.perf_counter() - start
    row(f"Lorenz ensemble {members:,} {dtype} rtol {rtol:g}", f"{members / secs:,.0f} traj/s",
        "ok" if sol.ok else f"{int(np.sum(sol.status != 0))} members failed")


def pde_rate(dtype, t1):
    try:
        m = modelc.load(ROOT / "benchmarks" / "models" / "gray_scott_2d.model")
    except Exception as err:  # noqa: BLE001 - any compile failure means "not supported yet"
        row(f"2-D Gray-Scott {dtype}", "skipped", f"(cannot compile: {type(err).__name__}: "
            f"{str(err).splitlines()[0][:60]})")
        return
    rtol = 1e-4 if dtype == "float32" else 1e-6
    solve = lambda: m.solve(t=(0, t1), points=2, rtol=rtol, atol=rtol * 1e-2,  # noqa: E731
                            dtype=dtype)
    solve()
    start = time.perf_counter()
    sol = solve()
    secs = time.perf_counter() - start
    steps = int(sol.stats["accepted"])
    row(f"2-D Gray-Scott 128x128 {dtype} (t = 0..{t1:g})", f"{steps / secs:,.0f} steps/s",
        f"{steps} steps" + ("" if sol.ok else f", {sol.message[:40]}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--pde-t1", type=float, default=100.0)
    args = parser.parse_args()
    start = time.perf_counter()
    print(f"modelc GPU check: jax {jax.__version__}, default device {jax.devices()[0]}, "
          f"{jax.device_count()} device(s)")
    check_against_cpu("lorenz", "tsit5", 1e-10, 1e-10, 1e-5)
    check_against_cpu("robertson", "rodas5", 1e-8, 1e-10, 1e-5)
    gradient_against_cpu(1e-6)
    for dtype, rtol in (("float32", 1e-5), ("float64", 1e-6)):
        throughput(args.members, dtype, rtol)
    for dtype in ("float32", "float64"):
        pde_rate(dtype, args.pde_t1)
    failed = [r for r in ROWS if r[2] == "FAIL"]
    print(f"total {time.perf_counter() - start:.0f} s; "
          + ("all checks passed" if not failed else f"{len(failed)} check(s) FAILED"))
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
