"""ETDRK4 on finite-difference grids (the "banded" split): Krylov against dense
phi-functions, and against tsit5 on a stiff 2-D grid.

Run with ``python benchmarks/fd_expint.py [--pairs 3] [--points 60]``.

1. ``examples/allen_cahn.model`` (201 points, Dirichlet -1/1), t in [0, 10],
   ETDRK4 at h = 0.05 with ``phi="dense"`` (Pade on the 201 x 201 matrix) and
   ``phi="krylov"`` (Arnoldi, matrix-free): the distance between the two runs
   and the time ratio (median of interleaved pairs, `timing.run_pairs`).
2. Fisher--KPP ``u_t = D lap u + u (1 - u)`` on the unit square, ``points`` x
   ``points`` nodes, zero-flux ends, D = 0.05, t in [0, 2]: ETDRK4 (Krylov, the
   automatic choice above 64 unknowns) at h = 0.1 and 0.05 against tsit5 at
   rtol = atol = 1e-6; errors (max over the grid) against ETDRK4 at h = 0.0125;
   evaluations of ``N`` or ``f``, steps, and time ratios.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import modelc  # noqa: E402
from timing import run_pairs  # noqa: E402

FISHER = """model fisher_2d
parameter D = 0.05
domain x = [0, 1], points = {n}
domain y = [0, 1], points = {n}
field u = 0.2 + 0.5*exp(-((x - 0.3)^2 + (y - 0.6)^2)/0.02)
boundary diff(u, x) = 0 at x = 0
boundary diff(u, x) = 0 at x = 1
boundary diff(u, y) = 0 at y = 0
boundary diff(u, y) = 0 at y = 1
der(u) = D*laplacian(u) + u*(1 - u)
"""


def _run(m, t1, **kw):
    """Solve (compiled on the first call) and return ``(final field, stats)``."""
    sol = m.solve(t=(0, t1), points=2, **kw)
    return sol.fields["u"][-1], sol.stats


def allen_cahn(pairs: int) -> None:
    """Part 1 of the module docstring."""
    m = modelc.load(ROOT / "examples" / "allen_cahn.model", cache_modules=False)
    runs = {phi: (lambda phi=phi: _run(m, 10.0, method="etdrk4", dt0=0.05, phi=phi)) for phi in ("dense", "krylov")}
    out = {phi: f() for phi, f in runs.items()}
    gap = np.max(np.abs(out["dense"][0] - out["krylov"][0]))
    ratio, td, tk = run_pairs(runs["dense"], runs["krylov"], pairs)
    print(f"allen_cahn 201 points, etdrk4 h=0.05, t=0..10: |dense - krylov| = {gap:.1e}; "
          f"time dense {td:.2f} s, krylov {tk:.2f} s, dense/krylov = {ratio:.2f}")


def fisher(pairs: int, points: int) -> None:
    """Part 2 of the module docstring."""
    m = modelc.parse(FISHER.format(n=points), cache_modules=False)
    ref, _ = _run(m, 2.0, method="etdrk4", dt0=0.0125)
    explicit = lambda: _run(m, 2.0, method="tsit5", rtol=1e-6, atol=1e-6)  # noqa: E731
    u, stats = explicit()
    print(f"fisher {points}x{points} ({points * points} unknowns), t=0..2, bandwidth {m.ir.split.bandwidth}")
    print(f"  tsit5 rtol=1e-6: error {np.max(np.abs(u - ref)):.1e}, nfe {stats['nfe']}, steps {stats['steps']}")
    for dt in (0.1, 0.05):
        run = lambda dt=dt: _run(m, 2.0, method="etdrk4", dt0=dt)  # noqa: E731
        u, stats = run()
        ratio, te, tt = run_pairs(run, explicit, pairs)
        print(f"  etdrk4 (krylov) h={dt}: error {np.max(np.abs(u - ref)):.1e}, nfe {stats['nfe']}, "
              f"steps {stats['steps']}; time {te:.2f} s vs tsit5 {tt:.2f} s, etdrk4/tsit5 = {ratio:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--points", type=int, default=60)
    args = parser.parse_args()
    allen_cahn(args.pairs)
    fisher(args.pairs, args.points)
