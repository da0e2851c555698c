"""Train a learned step-size policy on one of three problems and compare it with PI.

    python examples/rl_step_size.py three_body   # equal masses at rest in the unit square, G = 1
    python examples/rl_step_size.py vanderpol    # mu in [0.5, 3], random start
    python examples/rl_step_size.py lorenz       # rho in [20, 35], random start

Each run trains a small policy for a few minutes on CPU (out/rl_<problem>/:
policy, checkpoints, learning curve), then solves a few held-out problems
with the PI controller and with the policy at the same tolerance.
"""

from __future__ import annotations

import sys
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import numpy as np  # noqa: E402

import modelc  # noqa: E402
from modelc.rl import evaluate, from_model, train  # noqa: E402
from modelc.rl.policy import init_params  # noqa: E402
from modelc.rl.problems import THREE_BODY_MASSES, three_body_positions  # noqa: E402

HERE = Path(__file__).resolve().parent
PROBLEMS = {
    # model file, t1, episode distribution, invariant, fixed parameters
    "three_body": ("three_body.model", 2.0, {"sampler": three_body_positions}, "energy",
                   THREE_BODY_MASSES),
    "vanderpol": ("vanderpol.model", 10.0,
                  {"ranges": {"mu": (0.5, 3.0), "x": (-2.0, 2.0), "v": (-1.0, 1.0)}}, None, {}),
    "lorenz": ("lorenz.model", 2.0,
               {"ranges": {"rho": (20.0, 35.0), "x": (-5.0, 5.0), "y": (-5.0, 5.0)}}, None, {}),
}


def main(name: str = "vanderpol") -> None:
    """Train on ``name`` and print PI vs policy on 8 held-out problems at rtol 1e-7."""
    file, t1, dist, invariant, params = PROBLEMS[name]
    model = modelc.load(HERE / file)
    episodes = from_model(model, t1, invariant=invariant, params=params, **dist)
    res = train(episodes, iterations=40, batch=8, group=4, steps=3000, seed=0,
                out_dir=f"out/rl_{name}", progress=True)
    y0, args = episodes.sample(np.random.default_rng(12345), 8)  # held out
    untrained = init_params(jax.random.PRNGKey(0))  # zero output layer: the PI rule
    pi = evaluate(untrained, episodes, y0, args, 1e-7, 3000)
    rl = evaluate(res.params, episodes, y0, args, 1e-7, 3000)
    for label, (ret, err, nfe) in (("PI", pi), ("policy", rl)):
        print(f"{label:7s} median error {np.median(err):.2e}, median nfe {np.median(nfe):.0f}, "
              f"mean return {ret.mean():+.3f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
