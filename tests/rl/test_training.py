"""A tiny training run improves the deterministic policy's return (fixed seed)."""

import jax
import jax.numpy as jnp
import numpy as np

from modelc.rl import policy as pol
from modelc.rl.training import Episodes, evaluate, train

from rl_problems import oscillator


def _sample(rng, n):
    return np.stack([np.ones(n), np.zeros(n)], 1), rng.uniform(0.5, 2.0, (n, 1))


def _energy_drift(y0, y1, a):
    e0 = y0[1] ** 2 + a[0] ** 2 * y0[0] ** 2
    e1 = y1[1] ** 2 + a[0] ** 2 * y1[0] ** 2
    return jnp.abs(e1 - e0) / e0


def test_training_improves_the_return_on_a_toy_problem(tmp_path):
    # a high cost weight: fewer rhs evaluations pay more than the accuracy they cost,
    # so the policy must learn to take larger steps than the PI rule
    eps = Episodes(oscillator, _sample, _energy_drift, t1=4.0, name="oscillator",
                   method="bosh3")
    y0, a = _sample(np.random.default_rng(7), 8)
    res = train(eps, iterations=30, batch=4, group=4, steps=120, rtol_range=(1e-5, 1e-3),
                cost_weight=10.0, seed=0, hidden=(8,), learning_rate=1e-2, out_dir=tmp_path,
                checkpoint_every=15, progress=False)
    before = evaluate(pol.init_params(jax.random.PRNGKey(0), (8,)), eps, y0, a, 1e-4, 120, 10.0)[0]
    after = evaluate(res.params, eps, y0, a, 1e-4, 120, 10.0)[0]
    assert after.mean() > before.mean()
    assert (tmp_path / "policy.npz").is_file() and (tmp_path / "history.json").is_file()
    assert (tmp_path / "checkpoint_0015.npz").is_file()
