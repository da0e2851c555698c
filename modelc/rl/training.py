"""Training step-size policies: REINFORCE with a learned baseline, vmapped episodes.

An *episode* is one solve (:func:`modelc.rl.rollout.rollout`) of a problem
from initial conditions and parameters drawn by the user's sampler, at a
tolerance drawn log-uniformly from ``rtol_range``.  Its return is

    R = -log10(max(error, 1e-16)) - cost_weight * log10(nfe)

where ``error`` is the problem's accuracy measure at the final time (the
relative drift of an invariant such as the energy, or the distance to a
reference solution) and ``nfe`` the rhs evaluations; an episode that does not
reach ``t1`` within the step budget scores ``error = 1`` at the full budget.
With ``cost_weight`` equal to the method's order ``p`` the return is constant
along a work--precision front ``error ~ nfe**-p``: raising it means moving
*below* the PI front, not along it; a larger weight favours cheaper solves.

Each initial condition is run ``group`` times with different action noise;
returns are centred on their group's mean (the spread between ICs is not the
policy's doing), and a small value network of the step features, trained by
least squares on those centred returns, is the learned baseline.  The policy
gradient of the Gaussian policy is followed with optax's Adam.
"""

from __future__ import annotations

import functools
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ..progress import draw_progress
from ..solvers import METHODS, PIController
from . import policy as pol
from .rollout import rollout
from .store import save

__all__ = ["Episodes", "train", "TrainResult", "evaluate"]


@dataclass(frozen=True)
class Episodes:
    """A distribution of solves to train on (SymPy-free: plain JAX functions).

    ``rhs(t, y, args)``; ``sample(rng, n) -> (y0 (n, d), args (n, ...))`` with
    a ``numpy.random.Generator``; ``error(y0, y1, args) -> scalar`` the
    accuracy measure at ``t1`` (JAX); ``name`` is stored in the policy's
    metadata.
    """

    rhs: Callable
    sample: Callable
    error: Callable
    t1: float
    name: str = "problem"
    method: str = "tsit5"


@dataclass
class TrainResult:
    """Trained ``params``, the per-iteration ``history`` (mean return, its
    spread, reached fraction, median nfe, log_std) and the written files."""

    params: dict
    history: list = field(default_factory=list)
    files: list = field(default_factory=list)


def episode_return(error, nfe, reached, cost_weight):
    """The documented return ``-log10(error) - cost_weight log10(nfe)`` (``error``
    counts as 1 for an episode that did not reach the end)."""
    err = jnp.where(reached & jnp.isfinite(error), jnp.maximum(error, 1e-16), 1.0)
    return -jnp.log10(err) - cost_weight * jnp.log10(nfe.astype(err.dtype))


@functools.lru_cache(maxsize=8)
def _make_runner(episodes: Episodes, steps: int):
    """The jitted, vmapped rollout of ``episodes`` (one compilation per shape)."""
    stepper = METHODS[episodes.method]
    pi = PIController()

    def run_one(params, y0, args, rtol, noise):
        ep = rollout(params, episodes.rhs, stepper, y0, args, episodes.t1, rtol, rtol * 1e-2,
                     noise, pi)
        return ep, episodes.error(y0, ep.y1, args)

    return jax.jit(jax.vmap(run_one, in_axes=(None, 0, 0, 0, 0))), stepper


def _losses(params, vparams, feats, actions, valid, adv_ret):
    """Policy-gradient loss and baseline loss over valid steps."""
    base = jax.vmap(jax.vmap(lambda x: pol.mlp(vparams, x)[0]))(feats)
    adv = jax.lax.stop_gradient(adv_ret[:, None] - base)
    adv = adv / (jnp.std(jnp.where(valid, adv, 0.0)) + 1e-8)
    logp = jax.vmap(jax.vmap(lambda x, a: pol.log_prob(params, x, a)))(feats, actions)
    w = valid.astype(logp.dtype)
    n = jnp.maximum(w.sum(), 1.0)
    pg = -jnp.sum(w * logp * adv) / n
    vloss = jnp.sum(w * (base - adv_ret[:, None]) ** 2) / n
    return pg, vloss


def train(episodes: Episodes, *, iterations: int = 100, batch: int = 16, group: int = 4,
          steps: int = 2000, rtol_range=(1e-9, 1e-5), cost_weight: float | None = None,
          learning_rate: float = 3e-3, hidden=(32, 32), seed: int = 0, out_dir=None,
          checkpoint_every: int = 10, progress: bool | None = None,
          init_params: dict | None = None) -> TrainResult:
    """Train a step-size policy on ``episodes``; returns a :class:`TrainResult`.

    Args:
        episodes: the problem distribution (:class:`Episodes`).
        iterations: policy-gradient updates; each runs ``batch * group`` episodes.
        batch, group: initial conditions per update, noisy runs per condition.
        steps: step budget of one episode (the rollout's scan length).
        rtol_range: tolerances are drawn log-uniformly from it (``atol = rtol/100``).
        cost_weight: ``w`` in the return (default: the method's order).
        learning_rate, hidden, seed: Adam step, hidden layer sizes, the one seed
            (weights, sampling, noise).
        out_dir: where checkpoints (``checkpoint_<i>.npz``), the final
            ``policy.npz``, ``history.json`` and ``learning_curve.png`` go.
        progress: print a progress line per update (default: stderr is a tty).
        init_params: start from these weights (e.g. a checkpoint) instead.
    """
    import optax

    runner, stepper = _make_runner(episodes, steps)
    w = float(stepper.order if cost_weight is None else cost_weight)
    rng = np.random.default_rng(seed)
    key = jax.random.PRNGKey(seed)
    key, k1, k2 = jax.random.split(key, 3)
    params = init_params or pol.init_params(k1, hidden)
    params = {k: jnp.asarray(v, jnp.float64) for k, v in params.items()}
    vparams = pol.init_params(k2, hidden, n_out=1)
    vparams.pop("log_std")
    opt = optax.chain(optax.clip_by_global_norm(1.0), optax.adam(learning_rate))
    state = opt.init((params, vparams))
    progress = sys.stderr.isatty() if progress is None else progress
    meta = {"problem": episodes.name, "method": episodes.method, "t1": episodes.t1,
            "rtol_range": list(rtol_range), "cost_weight": w, "steps": steps, "seed": seed,
            "algorithm": "REINFORCE, group-centred returns, learned baseline",
            "hidden": list(hidden)}

    update = _make_update(opt)
    result = TrainResult(params=params)
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for it in range(1, iterations + 1):
        key, kn = jax.random.split(key)
        ep, err = runner(params, *_draw(episodes, rng, kn, batch, group, steps, rtol_range))
        ret = episode_return(err, ep.nfe, ep.reached, w)  # JAX, as the shipped policy's run
        centred = ret.reshape(batch, group) - ret.reshape(batch, group).mean(1, keepdims=True)
        params, vparams, state = update(params, vparams, state, ep.feats, ep.actions,
                                        ep.valid, centred.reshape(-1))
        ret = np.asarray(ret)
        row = {"iteration": it, "mean_return": float(ret.mean()),
               "std_return": float(ret.std()), "reached": float(np.mean(np.asarray(ep.reached))),
               "median_nfe": float(np.median(np.asarray(ep.nfe))),
               "log_std": np.asarray(params["log_std"]).tolist(),
               "seconds": round(time.perf_counter() - started, 1)}
        result.history.append(row)
        if progress:
            _progress_line(it, iterations, row)
        if out is not None and (it % checkpoint_every == 0 or it == iterations):
            result.files.append(save(out / f"checkpoint_{it:04d}.npz", params,
                                     {**meta, "iteration": it}))
    if progress:
        print(file=sys.stderr)
    result.params = {k: np.asarray(v) for k, v in params.items()}
    if out is not None:
        _write_outputs(out, result, {**meta, "iteration": iterations})
    return result


def _make_update(opt):
    """The jitted policy-gradient + baseline update with optimizer ``opt``."""
    import optax

    @jax.jit
    def update(params, vparams, state, feats, actions, valid, adv_ret):
        def loss(pv):
            pg, vl = _losses(pv[0], pv[1], feats, actions, valid, adv_ret)
            return pg + vl, (pg, vl)
        grads, _ = jax.grad(loss, has_aux=True)((params, vparams))
        upd, state = opt.update(grads, state, (params, vparams))
        params, vparams = optax.apply_updates((params, vparams), upd)
        params["log_std"] = jnp.clip(params["log_std"], math.log(0.02), math.log(1.0))
        return params, vparams, state

    return update


def _draw(episodes, rng, key, batch, group, steps, rtol_range):
    """One update's episodes: ``batch`` problems, each repeated ``group`` times, a
    tolerance per problem and action noise per run."""
    y0, args = episodes.sample(rng, batch)
    rtol = np.exp(rng.uniform(*np.log(rtol_range), batch))
    rep = lambda a: jnp.asarray(np.repeat(np.asarray(a), group, axis=0))  # noqa: E731
    noise = jax.random.normal(key, (batch * group, steps, len(pol.ACTIONS)), jnp.float64)
    return rep(y0), rep(args), rep(rtol), noise


def _write_outputs(out: Path, result: TrainResult, meta: dict) -> None:
    """The final policy, the history and the learning curve."""
    result.files.append(save(out / "policy.npz", result.params, meta))
    (out / "history.json").write_text(json.dumps(result.history, indent=1))
    result.files.append(out / "history.json")
    png = plot_learning_curve(result.history, out / "learning_curve.png")
    if png:
        result.files.append(png)


def _progress_line(it, total, row):
    draw_progress(it, total, f"return {row['mean_return']:+.3f} reached {row['reached']:.0%} "
                             f"nfe {row['median_nfe']:.0f} {row['seconds']:.0f}s")


def plot_learning_curve(history, path):
    """Mean episode return per update (with its spread) as a PNG; None without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    it = [r["iteration"] for r in history]
    mean = np.array([r["mean_return"] for r in history])
    std = np.array([r["std_return"] for r in history])
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(it, mean, label="mean return (sampled policy)")
    ax.fill_between(it, mean - std, mean + std, alpha=0.2)
    k = min(10, len(mean))
    if k > 1:  # the batches draw new problems each update: show the trend too
        smooth = np.convolve(mean, np.ones(k) / k, mode="valid")
        ax.plot(it[k - 1:], smooth, color="k", label=f"{k}-update moving average")
    ax.set_xlabel("update")
    ax.set_ylabel("return  -log10(err) - w log10(nfe)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)


def evaluate(params, episodes: Episodes, y0, args, rtol, steps: int,
             cost_weight: float | None = None):
    """Deterministic-policy returns, errors and nfe on given conditions (arrays)."""
    runner, stepper = _make_runner(episodes, steps)
    w = float(stepper.order if cost_weight is None else cost_weight)
    n = len(y0)
    params = {k: jnp.asarray(v, jnp.float64) for k, v in params.items()}
    noise = jnp.zeros((n, steps, len(pol.ACTIONS)), jnp.float64)
    ep, err = runner(params, jnp.asarray(y0), jnp.asarray(args),
                     jnp.broadcast_to(jnp.asarray(rtol, jnp.float64), (n,)), noise)
    ret = episode_return(err, ep.nfe, ep.reached, w)
    return np.asarray(ret), np.asarray(err), np.asarray(ep.nfe)
