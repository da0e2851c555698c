"""Train the two-moons noise-prediction MLP of ``moons.py`` and save ``weights.npz``.

Denoising score matching under the VP-SDE (linear beta 0.1 to 20): ``t``
uniform on ``[1e-3, 1]``, ``x_t = alpha_t x_0 + sigma_t z``, loss
``|eps(x_t, t) - z|^2``; Adam with a cosine learning-rate decay, float32.
About a minute on one CPU core:

    python examples/diffusion_2d/train.py [--steps 6000] [--out weights.npz]
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax
from moons import (
    T_END,
    WEIGHTS,
    apply,
    init_params,
    log_alpha,
    save_params,
    sigma,
    two_moons,
)


def loss_fn(params, x0, t, z):
    """Mean squared error of the noise prediction on one batch."""
    a, s = jnp.exp(log_alpha(t))[:, None], sigma(t)[:, None]
    xt = a * x0 + s * z
    pred = jax.vmap(lambda x, tt: apply(params, x, tt))(xt, t)
    return jnp.mean(jnp.sum((pred - z) ** 2, axis=-1))


def train(steps: int = 6000, batch: int = 512, seed: int = 0, learning_rate: float = 2e-3):
    """The trained weights and the last losses."""
    data = jnp.asarray(two_moons(50_000, seed=seed), jnp.float32)
    key = jax.random.PRNGKey(seed)
    params = init_params(key)
    opt = optax.adam(optax.cosine_decay_schedule(learning_rate, steps, alpha=0.05))
    state = opt.init(params)

    @jax.jit
    def step(params, state, key):
        k1, k2, k3 = jax.random.split(key, 3)
        x0 = data[jax.random.randint(k1, (batch,), 0, data.shape[0])]
        t = jax.random.uniform(k2, (batch,), jnp.float32, T_END, 1.0)
        z = jax.random.normal(k3, (batch, 2), jnp.float32)
        loss, grads = jax.value_and_grad(loss_fn)(params, x0, t, z)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss

    losses = []
    for i in range(steps):
        key, sub = jax.random.split(key)
        params, state, loss = step(params, state, sub)
        losses.append(float(loss))
        if i % 1000 == 0 or i == steps - 1:
            print(f"step {i:>5}  loss {np.mean(losses[-200:]):.4f}", flush=True)
    return params, losses


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--out", default=str(WEIGHTS))
    args = parser.parse_args()
    start = time.perf_counter()
    params, _ = train(args.steps)
    save_params(params, args.out)
    print(f"wrote {args.out} in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
