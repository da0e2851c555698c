"""Reproduce the policy shipped as ``controller="rl"`` (modelc/rl/default_policy.npz).

Episodes: ``examples/three_body.model`` with three equal masses (G = 1) at rest
at uniform random positions in the unit square, Tsit5, t = 0..T (default 2),
tolerances log-uniform in [1e-9, 1e-5], return = -log10(relative energy
drift) - 5 log10(nfe).  Run from the repository root:

    python benchmarks/train_default_policy.py --out out/rl_default
    cp out/rl_default/policy.npz modelc/rl/default_policy.npz
"""

from __future__ import annotations

import argparse
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import modelc  # noqa: E402
from modelc.rl.problems import THREE_BODY_MASSES, from_model, three_body_positions  # noqa: E402
from modelc.rl.training import train  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    """Train with the shipped settings and write checkpoints, policy and learning curve."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="out/rl_default")
    ap.add_argument("--iterations", type=int, default=150)
    ap.add_argument("--t1", type=float, default=2.0)
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--group", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    model = modelc.load(ROOT / "examples" / "three_body.model")
    episodes = from_model(model, a.t1, sampler=three_body_positions, invariant="energy",
                          params=THREE_BODY_MASSES)
    res = train(episodes, iterations=a.iterations, batch=a.batch, group=a.group,
                steps=a.steps, rtol_range=(1e-9, 1e-5), seed=a.seed, out_dir=a.out,
                checkpoint_every=10, progress=True)
    first, last = res.history[0], res.history[-1]
    print(f"mean return {first['mean_return']:+.3f} -> {last['mean_return']:+.3f}; "
          f"wrote {', '.join(str(f) for f in res.files[-3:])}")


if __name__ == "__main__":
    main()
