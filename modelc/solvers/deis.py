"""DEIS multistep samplers (Zhang & Chen, "Fast Sampling of Diffusion Models with
Exponential Integrator", ICLR 2023) for ``dx/dt = a(t) x + b(t) eps(x, t)``.

With ``alpha`` and ``rho = sigma / alpha = e^{-lambda}`` of a
:class:`~modelc.solvers.diffusion.Schedule` (``a = d log(alpha)/dt``,
``b / alpha = d(rho)/dt``), the step from ``t_i`` to ``t_{i+1}`` is exactly

    x_{i+1} = (alpha_{i+1} / alpha_i) x_i + alpha_{i+1} int_{t_i}^{t_{i+1}} eps(x_tau, tau) rho'(tau) dtau.

DEIS replaces ``eps`` by the Lagrange polynomial through the last ``r + 1``
evaluations ``eps_i, eps_{i-1}, ..., eps_{i-r}`` (exponential Adams-Bashforth):

    x_{i+1} = (alpha_{i+1} / alpha_i) x_i + sum_j C_ij eps_{i-j},
    C_ij = alpha_{i+1} int_{t_i}^{t_{i+1}} l_j(tau) rho'(tau) dtau.

Two variants, as in the paper:

* ``"t"`` (tAB-DEIS): the polynomial is in ``t``; ``C_ij`` by Gauss-Legendre
  quadrature (``nodes`` points per step) after the substitution ``t = v^2``
  (``-v^2`` for negative times), which makes the usual ``1/sqrt(t)`` of
  ``rho'`` near the data end ``t = 0`` smooth and leaves smooth integrands
  smooth. The quadrature runs in JAX once per solve, for all steps at once.
  The step times must not change sign (they lie on one side of the data end).
* ``"rho"`` (rhoAB-DEIS): the polynomial is in ``rho``; then
  ``C_ij = alpha_{i+1} int l_j(rho) d(rho)`` is the integral of a polynomial
  of degree ``r <= 2``, which the 2-point Gauss-Legendre rule gives exactly
  (closed form up to rounding; no quadrature error, no ``rho'`` needed).

The first ``r`` steps lack history and use orders ``1, ..., r`` (warm-up).
Since the basis sums to one, ``C_i0`` is set to ``alpha_{i+1} (rho_{i+1} -
rho_i) - sum_{j>0} C_ij``: the weights integrate constants exactly, and order
1 (either variant) is DDIM, ``x_{i+1} = (alpha_{i+1}/alpha_i) x_i +
alpha_{i+1} (rho_{i+1} - rho_i) eps_i``, to rounding. One ``eps`` evaluation
per step; everything runs in one ``lax.scan``.
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

__all__ = ["deis_weights", "deis_trajectory", "QUADRATURE_NODES"]

QUADRATURE_NODES = 32
"""Gauss-Legendre points per step for the tAB-DEIS weights."""


def _legendre(nodes: int, dtype):
    """Gauss-Legendre points and weights on ``[0, 1]``."""
    u, w = np.polynomial.legendre.leggauss(nodes)
    return jnp.asarray(0.5 * (u + 1.0), dtype), jnp.asarray(0.5 * w, dtype)


def _quadrature(schedule, ts, rho, variable: str, nodes: int):
    """``(grid, points, weights)``: the interpolation variable at the step times, and
    per step ``i`` the quadrature points in that variable and weights with
    ``sum_q weights[i, q] f(points[i, q]) ~ int_{t_i}^{t_{i+1}} f rho'(tau) dtau``."""
    if variable == "rho":
        u, w = _legendre(2, ts.dtype)  # exact for the degree <= 2 basis polynomials
        width = (rho[1:] - rho[:-1])[:, None]
        return rho, rho[:-1, None] + width * u, width * w
    u, w = _legendre(nodes, ts.dtype)
    sign = jnp.where(ts[0] + ts[-1] < 0, -1.0, 1.0).astype(ts.dtype)
    v = jnp.sqrt(jnp.abs(ts))
    width = (v[1:] - v[:-1])[:, None]
    vq = v[:-1, None] + width * u
    tau = sign * vq**2
    rate = jax.vmap(jax.vmap(schedule.rho_rate))(tau)
    return ts, tau, width * w * 2.0 * sign * vq * rate


def _basis_integrals(grid, points, weights, i, k: int):
    """``[sum_q weights_q l_j(points_q) for j < k]``, ``l_j`` the Lagrange basis through
    ``grid[i], grid[i-1], ..., grid[i-k+1]`` (``i`` may be traced, ``k`` static)."""
    knots = [grid[i - j] for j in range(k)]
    out = []
    for j in range(k):
        basis = jnp.ones_like(points)
        for m in range(k):
            if m != j:
                basis = basis * (points - knots[m]) / (knots[j] - knots[m])
        out.append(jnp.sum(weights * basis))
    return jnp.stack(out)


def deis_weights(schedule, ts, order: int, variable: str = "t", nodes: int = QUADRATURE_NODES):
    """``(ratio, C)``: ``ratio[i] = alpha_{i+1}/alpha_i`` and the ``(steps, order)``
    weights ``C[i, j]`` of ``eps_{i-j}`` (zero where step ``i`` has no such history)."""
    if variable not in ("t", "rho"):
        raise ValueError(f"DEIS variable {variable!r}; choose 't' or 'rho'")
    if order not in (1, 2, 3):
        raise ValueError(f"DEIS order {order}; choose 1, 2 or 3")
    steps = ts.shape[0] - 1
    log_alpha = jax.vmap(schedule.log_alpha)(ts)
    rho = jnp.exp(-jax.vmap(schedule.lam)(ts))
    ratio = jnp.exp(log_alpha[1:] - log_alpha[:-1])
    increment = rho[1:] - rho[:-1]
    rows = jnp.zeros((steps, order), ts.dtype)
    if order > 1:
        grid, points, weights = _quadrature(schedule, ts, rho, variable, nodes)
        for i in range(min(order - 1, steps)):  # warm-up: order i + 1
            rows = rows.at[i, :i + 1].set(_basis_integrals(grid, points[i], weights[i], i, i + 1))
        if steps >= order:
            full = jnp.arange(order - 1, steps)
            bulk = jax.vmap(lambda i: _basis_integrals(grid, points[i], weights[i], i, order))(full)
            rows = rows.at[order - 1:].set(bulk)
    rows = rows.at[:, 0].set(increment - jnp.sum(rows[:, 1:], axis=1))
    return ratio, rows * jnp.exp(log_alpha[1:])[:, None]


def deis_trajectory(schedule, eps: Callable, x, ts, order: int, variable: str = "t"):
    """DEIS of ``order`` (1, 2, 3) in ``variable`` ("t" or "rho") on the grid ``ts``:
    ``x`` at every time of ``ts`` (shape ``(len(ts), *x.shape)``)."""
    ratio, weights = deis_weights(schedule, ts, order, variable)
    ratio, weights = ratio.astype(x.dtype), weights.astype(x.dtype)

    def body(carry, i):
        x, history = carry  # history: eps_{i-1}, ..., eps_{i-order+1}
        recent = jnp.concatenate([eps(x, ts[i])[None], history])
        x_new = ratio[i] * x + jnp.tensordot(weights[i], recent, axes=1)
        return (x_new, recent[:-1]), x_new

    history = jnp.zeros((order - 1, *jnp.shape(x)), x.dtype)
    _, rest = lax.scan(body, (x, history), jnp.arange(ts.shape[0] - 1))
    return jnp.concatenate([x[None], rest])
