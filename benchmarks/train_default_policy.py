"""Reproduce the policy shipped as ``controller="rl"`` (modelc/rl/default_policy.npz).

Episodes: ``examples/three_body.model`` with three equal masses (G = 1) at rest
at uniform random positions in the unit square, Tsit5, t = 0..T (default 2),
tolerances log-uniform in [1e-9, 1e-5], return = -log10(relative energy
drift) - 5 log10(nfe).  Run from the repository root:

    python benchmarks/train_default_policy.py --out out/rl_default
    cp out/rl_default/policy.npz modelc/rl/default_policy.npz

It ends by comparing PI and the trained policy on 48 held-out problems of
the training distribution (numpy seed 777).  ``--iterations 0`` with
``--init`` evaluates an existing policy file instead.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)

import modelc  # noqa: E402
from modelc.rl.problems import THREE_BODY_MASSES, from_model, three_body_positions  # noqa: E402
from modelc.rl import load_params  # noqa: E402
from modelc.rl.policy import init_params  # noqa: E402
from modelc.rl.training import evaluate, train  # noqa: E402

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
    ap.add_argument("--init", help="evaluate this policy file (with --iterations 0)")
    a = ap.parse_args()
    model = modelc.load(ROOT / "examples" / "three_body.model")
    episodes = from_model(model, a.t1, sampler=three_body_positions, invariant="energy",
                          params=THREE_BODY_MASSES)
    if a.iterations == 0:
        compare_with_pi(episodes, load_params(a.init)[0], a.steps)
        return
    res = train(episodes, iterations=a.iterations, batch=a.batch, group=a.group,
                steps=a.steps, rtol_range=(1e-9, 1e-5), seed=a.seed, out_dir=a.out,
                checkpoint_every=10, progress=True)
    first, last = res.history[0], res.history[-1]
    print(f"mean return {first['mean_return']:+.3f} -> {last['mean_return']:+.3f}; "
          f"wrote {', '.join(str(f) for f in res.files[-3:])}")
    compare_with_pi(episodes, res.params, a.steps)


def compare_with_pi(episodes, params, steps, n=48, seed=777):
    """Deterministic returns of PI (the untrained policy) and the trained policy on
    ``n`` held-out problems of the training distribution."""
    y0, args = episodes.sample(np.random.default_rng(seed), n)
    pi = init_params(jax.random.PRNGKey(0))  # zero output layer: the PI rule
    for rtol in (1e-5, 1e-7, 1e-9):
        for label, p in (("PI", pi), ("policy", params)):
            ret, err, nfe = evaluate(p, episodes, y0, args, rtol, steps)
            print(f"rtol {rtol:.0e} {label:6s}: mean return {ret.mean():+.3f}, median error "
                  f"{np.median(err):.2e}, median nfe {np.median(nfe):.0f}")


if __name__ == "__main__":
    main()
