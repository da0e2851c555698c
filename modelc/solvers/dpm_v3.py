"""DPM-Solver-v3 (Zheng, Lu, Bao, Zhu, Li, Zhu; NeurIPS 2023): empirical model statistics
and the multistep predictor-corrector that uses them.

For ``x_t = alpha_t x_0 + sigma_t eps`` the probability-flow ODE in the half
log-SNR ``lambda = log(alpha/sigma)`` is ``dx/dlambda = (alpha'/alpha) x -
sigma eps(x, lambda)``. DPM-Solver-v3 moves a per-dimension linear part ``l``
out of the model and writes the rest with two more per-dimension
coefficients ``s`` and ``b``:

    f(x, lambda) = (sigma eps(x, lambda) - l_lambda x) / alpha,
    g_{lambda_s}(x, lambda) = e^{-int_{lambda_s}^{lambda} s} f
                              - int_{lambda_s}^{lambda} e^{-int_{lambda_s}^{r} s} b_r dr,

so that ``g`` is constant in ``lambda`` wherever ``df/dlambda = s f + b``. The
*empirical model statistics* (EMS) make ``f`` and ``g`` as flat as the model
allows, on samples ``x_lambda`` of the model's own trajectories:

    l_lambda   = argmin_l E || grad_x (sigma eps - l x) ||_F^2 = E[diag(sigma grad_x eps)],
    s, b       = argmin E || f^(1) - s f - b ||^2                 (per dimension):
    s_lambda   = Cov(f^(1), f) / Var(f),   b_lambda = E f^(1) - s_lambda E f,

with ``f^(1) = df/dlambda`` the total derivative along the ODE (a JVP of
``eps`` in the direction ``(dx/dlambda, dt/dlambda)``; ``dl/dlambda`` by
fourth-order differences on the statistics grid). The exact solution from
``lambda_s`` to ``lambda_t`` is then (``L = int l``, ``S = int s``,
``E(lambda) = e^{L(lambda) + S(lambda) - L_s - S_s}``)

    x_t = alpha_t e^{L_s - L_t} [ x_s / alpha_s - int E B_{lambda_s} - int E g ],

and the sampler expands ``g`` in ``lambda - lambda_s`` through the last
``order`` model outputs (multistep predictor) and, after the next
evaluation, once more through the new one (corrector, "pseudo" order + 1 by
divided differences, no extra evaluation; the new point keeps the model's
``sigma eps - l x`` at the predicted state, as the paper does). Every
integral is a cumulative trapezoid on the statistics grid (uniform in
``lambda``); step times are snapped to that grid, as in the reference code.

Statistics are arrays over the grid (``(K + 1, D)``, ``D`` the dimensions of
one sample); the flat state of ``n`` samples is ``n`` copies of ``D``
(`tile`). The step indexes and orders are Python values (the steps are
unrolled), the model values JAX: jit, vmap and grad (w.r.t. ``x``) work.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["Statistics", "V3Options", "estimate_statistics", "step_indexes", "v3_trajectory",
           "MAX_V3_ORDER"]

MAX_V3_ORDER = 3
"""The highest predictor order (the corrector adds one, by divided differences)."""


class Statistics(NamedTuple):
    """The empirical model statistics on a grid uniform in ``lambda``.

    Attributes:
        t: ``(K + 1,)`` times of the grid, from the start (noise) to the end (data).
        lam: ``(K + 1,)`` ``lambda(t)``, uniformly spaced.
        l, s, b: ``(K + 1, D)`` the coefficients per grid point and dimension.
    """

    t: np.ndarray
    lam: np.ndarray
    l: np.ndarray  # noqa: E741 (the paper's name)
    s: np.ndarray
    b: np.ndarray


def _cumulative(a, lam, b=None):
    """``int_{lam_0}^{lam} b e^a`` by the trapezoid rule at every grid point (``a``, ``b``
    of shape ``(K + 1, D)``), scaled by the largest ``e^a`` against overflow."""
    top = np.max(a, axis=0, keepdims=True)
    w = np.exp(a - top) * (1.0 if b is None else b)
    parts = 0.5 * np.diff(lam)[:, None] * (w[1:] + w[:-1])
    return np.concatenate([np.zeros_like(w[:1]), np.cumsum(parts, axis=0)]) * np.exp(top)


class V3Options(NamedTuple):
    """The sampler's choices.

    Attributes:
        order: the predictor's order (1 to 3; lower while the history fills and, with
            ``lower_order_final``, on the last steps).
        corrector: the corrector after each evaluation but the last (through the new
            value and the predictor's nodes: order + 1).
        lower_order_final: the predictor's order at most the steps left.
        pseudo_corrector: the corrector's derivatives from divided differences (the
            paper's "pseudo-order"; by default those of the interpolating polynomial).
    """

    order: int = 2
    corrector: bool = True
    lower_order_final: bool = True
    pseudo_corrector: bool = False


class _Tables(NamedTuple):
    """Cumulative integrals of the statistics (``(K + 1, D)`` each): ``L = int l``,
    ``S = int s``, ``I = int e^{L+S}``, ``B = int e^{-S} b``, ``C = int e^{L+S} B``."""

    L: np.ndarray
    S: np.ndarray
    I: np.ndarray  # noqa: E741
    B: np.ndarray
    C: np.ndarray


def _tables(stats: Statistics) -> _Tables:
    lam = np.asarray(stats.lam, float)
    zero = np.zeros_like(stats.l)
    L, S = _cumulative(zero, lam, stats.l), _cumulative(zero, lam, stats.s)
    B = _cumulative(-S, lam, stats.b)
    return _Tables(L, S, _cumulative(L + S, lam), B, _cumulative(L + S, lam, B))


def step_indexes(stats: Statistics, steps: int, spacing: str = "logsnr") -> np.ndarray:
    """``steps + 1`` increasing grid indexes of the step times: uniform in ``lambda``
    ("logsnr") or in ``t`` ("time"), snapped to the statistics grid (distinct)."""
    k = stats.lam.size - 1
    if steps > k:
        raise ValueError(f"{steps} steps need a statistics grid of at least {steps} intervals "
                         f"(it has {k})")
    if spacing == "logsnr":
        want = np.linspace(0.0, k, steps + 1)
    elif spacing == "time":
        times = np.linspace(stats.t[0], stats.t[-1], steps + 1)
        lam = np.interp(times, stats.t[::-1], stats.lam[::-1]) if stats.t[0] > stats.t[-1] \
            else np.interp(times, stats.t, stats.lam)
        want = (lam - stats.lam[0]) / (stats.lam[-1] - stats.lam[0]) * k
    else:
        raise ValueError(f"spacing {spacing!r}; choose 'logsnr' or 'time'")
    idx = np.rint(want).astype(int)
    idx[0], idx[-1] = 0, k
    for i in range(1, steps):  # distinct, and room left for the steps after i
        idx[i] = min(max(idx[i], idx[i - 1] + 1), k - steps + i)
    return idx


def _derivatives(lams, gs, pseudo: bool):
    """``g^(1), ..., g^(n)`` at ``lams[0]`` from ``n + 1`` values: the interpolating
    polynomial's derivatives, or (``pseudo``) ``j!`` times Newton's divided differences."""
    n = len(gs) - 1
    if pseudo:
        table = [list(gs)]
        for i in range(1, n + 1):
            prev = table[-1]
            table.append([(prev[j] - prev[j + 1]) / (lams[j] - lams[i + j])
                          for j in range(n - i + 1)])
        return [table[i][0] * math.factorial(i) for i in range(1, n + 1)]
    r = np.array([[(lams[m] - lams[0]) ** i for i in range(1, n + 1)] for m in range(1, n + 1)])
    inv = np.linalg.inv(r)
    diffs = [g - gs[0] for g in gs[1:]]
    return [math.factorial(i + 1) * sum(inv[i, m] * diffs[m] for m in range(n))
            for i in range(n)]


def _step(tab: _Tables, stats: Statistics, tile, coef, i_s, i_t, nodes, pseudo):
    """``x_t`` from the base ``nodes[0]`` (its ``x_s``); ``nodes``: ``(index, f)`` pairs
    (``f = (sigma eps - l x)/alpha``), the base first; ``coef(i_s, i_t, k)`` the
    integral of ``E (lambda - lambda_s)^k / k!``."""
    alpha_s, alpha_t, x_s = coef["alpha"][i_s], coef["alpha"][i_t], coef["x"]
    Ss, Ls, Is, Bs, Cs = (tile(getattr(tab, n)[i_s]) for n in ("S", "L", "I", "B", "C"))
    Lt, It, Ct = tile(tab.L[i_t]), tile(tab.I[i_t]), tile(tab.C[i_t])
    gs = [jnp.exp(Ss - tile(tab.S[j])) * f - jnp.exp(Ss) * (tile(tab.B[j]) - Bs)
          for j, f in nodes]
    x_t = (alpha_t / alpha_s * jnp.exp(Ls - Lt) * x_s
           - alpha_t * jnp.exp(-Lt - Ss) * (It - Is) * gs[0]
           - alpha_t * jnp.exp(-Lt) * (Ct - Cs - Bs * (It - Is)))
    if len(nodes) > 1:
        lams = [float(stats.lam[j]) for j, _ in nodes]
        for k, d in enumerate(_derivatives(lams, gs, pseudo), start=1):
            x_t = x_t - alpha_t * jnp.exp(Ls - Lt) * tile(coef["high"](i_s, i_t, k)) * d
    return x_t


def _high_order(tab: _Tables, stats: Statistics):
    """``(i_s, i_t, k) -> int_{lambda_s}^{lambda_t} E (lambda - lambda_s)^k / k!`` (trapezoid
    on the grid, cached)."""
    cache = {}

    def coef(i_s, i_t, k):
        key = (i_s, i_t, k)
        if key not in cache:
            a = tab.L[i_s:i_t + 1] + tab.S[i_s:i_t + 1] - tab.L[i_s] - tab.S[i_s]
            lam = stats.lam[i_s:i_t + 1]
            w = ((lam - lam[0]) ** k / math.factorial(k))[:, None]
            cache[key] = _cumulative(a, lam, w)[-1]
        return cache[key]

    return coef


def v3_trajectory(eps: Callable, schedule, x, stats: Statistics, idx, tile: Callable,
                  options: V3Options = V3Options()):
    """DPM-Solver-v3 from ``stats.t[idx[0]]`` to ``stats.t[idx[-1]]``.

    Args:
        eps: the noise prediction ``eps(x, t)`` on the flat state.
        schedule: the `~modelc.solvers.diffusion.Schedule` (``alpha``, ``sigma`` at the times).
        x: the flat start state.
        stats: the `Statistics` (NumPy).
        idx: increasing grid indexes of the step times (`step_indexes`).
        tile: ``(D,) -> flat state`` (the per-dimension statistics for every sample).
        options: `V3Options` (order, corrector).

    Returns:
        ``(xs, nfe)``: ``x`` at every step time (``(steps + 1, *x.shape)``) and the
        evaluations (= steps).
    """
    order, corrector, lower_order_final, pseudo_corrector = options
    if order not in range(1, MAX_V3_ORDER + 1):
        raise ValueError(f"order {order}; choose 1, 2 or 3")
    idx = [int(i) for i in idx]
    steps = len(idx) - 1
    tab = _tables(stats)
    high = _high_order(tab, stats)
    times = jnp.asarray(stats.t[idx], x.dtype)
    alpha = jnp.exp(jax.vmap(schedule.log_alpha)(times))
    sigma = jax.vmap(schedule.sigma)(times)
    xs, fs, out = [], [], [x]
    p_order = 0
    for step in range(1, steps + 1):
        j = step - 1
        e = eps(x, times[j])
        f = (sigma[j] * e - tile(stats.l[idx[j]]) * x) / alpha[j]
        xs.append(x)
        fs.append(f)
        c_order = p_order + 1
        if corrector and c_order > 1:  # redo the last step through the new value
            nodes = [(idx[j - 1], fs[j - 1]), (idx[j], f)] + [
                (idx[j - m], fs[j - m]) for m in range(2, c_order)]
            coef = {"alpha": _Indexed(alpha, idx), "x": xs[j - 1], "high": high}
            x = _step(tab, stats, tile, coef, idx[j - 1], idx[j], nodes, pseudo=pseudo_corrector)
            xs[j] = x
            out[-1] = x
        p_order = min(step, order)
        if lower_order_final:
            p_order = min(p_order, steps + 1 - step)
        nodes = [(idx[j - m], fs[j - m]) for m in range(p_order)]
        coef = {"alpha": _Indexed(alpha, idx), "x": x, "high": high}
        x = _step(tab, stats, tile, coef, idx[j], idx[j + 1], nodes, pseudo=False)
        out.append(x)
    return jnp.stack(out), steps


def _dlam(values, h):
    """``d values / d lambda`` on the uniform grid: fourth-order central differences
    inside, second-order one-sided ones at the two points next to each end."""
    out = np.gradient(values, h, axis=0, edge_order=2)
    if values.shape[0] >= 5:
        out[2:-2] = (values[:-4] - 8 * values[1:-3] + 8 * values[3:-1] - values[4:]) / (12 * h)
    return out


class _Indexed:
    """``values`` (one per step time) looked up by grid index."""

    def __init__(self, values, idx):
        self.values, self.pos = values, {g: k for k, g in enumerate(idx)}

    def __getitem__(self, grid_index):
        return self.values[self.pos[grid_index]]


def estimate_statistics(eps: Callable, schedule, xs, t, probes: int | None = None,
                        key=None) -> Statistics:
    """The EMS from samples ``xs`` (``(K + 1, n, D)``) of the model's trajectories at the
    grid times ``t`` (``(K + 1,)``, ``lambda(t)`` uniformly spaced).

    ``eps(x, t)`` takes ``(n, D)`` samples. ``diag(grad_x eps)`` is exact (``D``
    JVPs) unless ``probes`` is given: then Hutchinson's estimate with that many
    Rademacher probes (``key``). ``Var f = 0`` (a dimension where ``f`` does
    not vary over the samples) gives ``s = 0`` and ``b = E f^(1)``.
    """
    xs, t = jnp.asarray(xs), jnp.asarray(t, xs.dtype)
    lam_fn = schedule.lam
    lam = jax.vmap(lam_fn)(t)
    _, n, d = xs.shape

    def coefficients(tj):
        dt_dlam = 1.0 / jax.grad(lam_fn)(tj)
        alpha, da = jax.value_and_grad(lambda u: jnp.exp(schedule.log_alpha(u)))(tj)
        sigma, ds = jax.value_and_grad(schedule.sigma)(tj)
        return alpha, sigma, da * dt_dlam, ds * dt_dlam, dt_dlam

    if probes is None:
        tangents = jnp.broadcast_to(jnp.eye(d, dtype=xs.dtype)[:, None, :], (d, n, d))
    else:
        key = jax.random.PRNGKey(0) if key is None else key
        tangents = jax.random.rademacher(key, (probes, n, d), dtype=xs.dtype)

    def l_at(x, tj):
        alpha, sigma, *_ = coefficients(tj)
        cols = jax.vmap(lambda v: v * jax.jvp(lambda y: eps(y, tj), (x,), (v,))[1])(tangents)
        return sigma * jnp.mean(jnp.sum(cols, 0) if probes is None else jnp.mean(cols, 0), 0)

    lin = jax.lax.map(lambda a: l_at(*a), (xs, t))
    dl = jnp.asarray(_dlam(np.asarray(lin), float(lam[1] - lam[0])))

    def sb_at(x, tj, lj, dlj):
        alpha, sigma, da, ds, dt_dlam = coefficients(tj)
        e, de_dt = jax.jvp(lambda y, u: eps(y, u), (x, tj),
                           (jnp.zeros_like(x), jnp.asarray(1.0, x.dtype)))
        dx = (da / alpha) * x - sigma * e
        de = jax.jvp(lambda y: eps(y, tj), (x,), (dx,))[1] + de_dt * dt_dlam
        f = (sigma * e - lj * x) / alpha
        f1 = (ds * e + sigma * de - dlj * x - lj * dx) / alpha - f * da / alpha
        mf, mf1 = jnp.mean(f, 0), jnp.mean(f1, 0)
        var = jnp.mean((f - mf) ** 2, 0)
        cov = jnp.mean((f - mf) * (f1 - mf1), 0)
        floor = 1e-12 * jnp.mean(f**2, 0) + 1e-300
        s = jnp.where(var > floor, cov / jnp.maximum(var, floor), 0.0)
        return s, mf1 - s * mf

    s, b = jax.lax.map(lambda a: sb_at(*a), (xs, t, lin, dl))
    return Statistics(np.asarray(t), np.asarray(lam), np.asarray(lin), np.asarray(s),
                      np.asarray(b))
