"""A trained 2-D diffusion model: an MLP noise prediction for two moons, as modelc's ``eps``.

The network ``eps(x, t)`` (two hidden layers of 96 SiLU units, the input
``x`` and sinusoidal features of the half log-SNR ``lambda(t)``) was trained by
``train.py`` in this folder on two moons (scaled to unit spread) under the
VP-SDE of ``examples/diffusion_gmm.model`` (linear beta 0.1 to 20); its
weights are ``weights.npz`` (float32). Sample with any modelc sampler:

    m = modelc.load("examples/diffusion_gmm.model")
    sol = m.solve(t=(1, 1e-3), y0={"x": noise}, externals={"eps": eps}, method="deis_3", steps=10)

``eps`` is importable as ``moons:eps`` for ``modelc sample-search --eps``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

HERE = Path(__file__).resolve().parent
WEIGHTS = HERE / "weights.npz"
MODEL = HERE.parent / "diffusion_gmm.model"
BETA_MIN, BETA_MAX = 0.1, 20.0
T_START, T_END = 1.0, 1e-3
FREQUENCIES = 8
SCALE = 0.5


def two_moons(n: int, seed: int = 0, noise: float = 0.05):
    """``n`` points of two interleaved half circles (NumPy), centred, scaled by `SCALE`."""
    rng = np.random.default_rng(seed)
    upper = rng.random(n) < 0.5
    angle = np.pi * rng.random(n)
    x = np.where(upper, np.cos(angle), 1.0 - np.cos(angle))
    y = np.where(upper, np.sin(angle), 0.5 - np.sin(angle))
    pts = np.stack([x - 0.5, y - 0.25], axis=1) + noise * rng.standard_normal((n, 2))
    return pts / SCALE


def log_alpha(t):
    """log alpha_t of the VP-SDE with linear beta."""
    return -0.25 * (BETA_MAX - BETA_MIN) * t**2 - 0.5 * BETA_MIN * t


def sigma(t):
    """sigma_t = sqrt(1 - alpha_t^2)."""
    return jnp.sqrt(-jnp.expm1(2.0 * log_alpha(t)))


def features(x, t):
    """The network input: ``x`` and ``sin, cos`` of ``lambda(t)`` at `FREQUENCIES` scales."""
    lam = log_alpha(t) - jnp.log(sigma(t))
    freqs = 2.0 ** jnp.arange(FREQUENCIES, dtype=x.dtype) / 8.0
    angle = lam * freqs
    emb = jnp.concatenate([jnp.sin(angle), jnp.cos(angle)])
    emb = jnp.broadcast_to(emb, (*x.shape[:-1], emb.shape[0]))
    return jnp.concatenate([x, emb], axis=-1)


def init_params(key, hidden: int = 96):
    """Random weights of the MLP (a list of ``(W, b)``)."""
    sizes = [2 + 2 * FREQUENCIES, hidden, hidden, 2]
    keys = jax.random.split(key, len(sizes) - 1)
    return [(jax.random.normal(k, (a, b)) * jnp.sqrt(1.0 / a), jnp.zeros(b))
            for k, a, b in zip(keys, sizes[:-1], sizes[1:])]


def apply(params, x, t):
    """The MLP's noise prediction for ``x`` of shape ``(..., 2)`` at time ``t``."""
    h = features(x, t)
    for w, b in params[:-1]:
        h = jax.nn.silu(h @ w.astype(h.dtype) + b.astype(h.dtype))
    w, b = params[-1]
    return h @ w.astype(h.dtype) + b.astype(h.dtype)


def save_params(params, path=WEIGHTS):
    """Write the weights as float32 arrays ``w0, b0, w1, ...``."""
    arrays = {}
    for i, (w, b) in enumerate(params):
        arrays[f"w{i}"], arrays[f"b{i}"] = np.asarray(w, np.float32), np.asarray(b, np.float32)
    np.savez(path, **arrays)


@lru_cache(maxsize=2)
def load_params(path=WEIGHTS):
    """The saved weights (a list of NumPy ``(W, b)``: constants under any trace)."""
    with np.load(path) as z:
        layers = len([k for k in z.files if k.startswith("w")])
        return [(np.asarray(z[f"w{i}"]), np.asarray(z[f"b{i}"])) for i in range(layers)]


def eps(x, t):
    """The trained noise prediction (weights from `WEIGHTS`), for modelc's ``external eps``."""
    return apply(load_params(), x, t)


def sliced_wasserstein(a, b, projections: int = 512, seed: int = 0) -> float:
    """Sliced 1-Wasserstein distance of two equal-size 2-D samples (NumPy): the mean over
    ``projections`` random directions of the 1-D Wasserstein distance (sorted differences)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape:
        raise ValueError(f"samples of shapes {a.shape} and {b.shape}; give equal sizes")
    angle = np.random.default_rng(seed).uniform(0.0, np.pi, projections)
    dirs = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    pa, pb = np.sort(a @ dirs.T, axis=0), np.sort(b @ dirs.T, axis=0)
    return float(np.mean(np.abs(pa - pb)))
