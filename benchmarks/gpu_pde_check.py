"""Exponential integrators on spectral PDEs, on the default device against the CPU.

Run on a machine with an accelerator: ``python benchmarks/gpu_pde_check.py``.
For Kuramoto-Sivashinsky (128 modes, t = 0..30, ETDRK4 h = 1/4) and the NLSE
bright soliton (complex field, t = 0..5, h = 0.01), in float64 and float32:
the relative max difference of the final field between the default device and
the CPU (same method, same steps), the number of steps and the run time
after a warm-up call.  Exits 1 if a difference exceeds 1e-9 (float64) or
1e-3 (float32).
"""

from __future__ import annotations

import time
from pathlib import Path

import jax
import numpy as np

import modelc

ROOT = Path(__file__).resolve().parent.parent
CASES = (("kuramoto_sivashinsky", 30.0, 0.25), ("nlse_soliton", 5.0, 0.01))
LIMIT = {"float64": 1e-9, "float32": 1e-3}


def check(name: str, t1: float, dt: float, dtype: str) -> bool:
    """Solve one case here and on the CPU; print the comparison; True if it passes."""
    m = modelc.load(ROOT / "examples" / f"{name}.model")
    field = m.field_names[0]

    def solve():
        return m.solve(t=(0, t1), points=3, method="etdrk4", dt0=dt, dtype=dtype)

    solve()
    start = time.perf_counter()
    here = solve()
    seconds = time.perf_counter() - start
    with jax.default_device(jax.devices("cpu")[0]):
        ref = solve()
    a, b = np.asarray(here[field][-1]), np.asarray(ref[field][-1])
    diff = float(np.max(np.abs(a - b)) / np.max(np.abs(b)))
    ok = here.ok and ref.ok and diff < LIMIT[dtype]
    print(f"  {name:22s} {dtype}: device vs CPU {diff:.2e}, {here.stats['steps']} steps, "
          f"{seconds * 1e3:.1f} ms  {'PASS' if ok else 'FAIL'}", flush=True)
    return ok


def main() -> None:
    print(f"etdrk4 on spectral grids: jax {jax.__version__}, default device {jax.devices()[0]}")
    results = [check(name, t1, dt, dtype) for name, t1, dt in CASES
               for dtype in ("float64", "float32")]
    raise SystemExit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
