"""A diffusion sampler that executes a per-step plan (searched schedules, USF / S³ style).

For ``dx/dt = a(t) x + b(t) eps(x, t)`` with a :class:`~modelc.solvers.diffusion.Schedule`
(``alpha``, ``sigma``, ``lambda = log(alpha/sigma)``), a plan of ``N`` steps
takes ``N`` evaluations of ``eps``. Step ``i`` evaluates ``eps`` once, at the
current state ``x_i`` and time ``t_i``, and keeps the last three noise
predictions ``eps_m`` and data predictions ``x0_m = (x_m - sigma_m eps_m) /
alpha_m``. It then moves from a *base* point ``b`` (``b = i``: multistep; ``b =
i - 1``: singlestep, the evaluations lie inside the step) to ``t_{i+1}`` with
the exact exponential integrator of the polynomial in ``lambda`` through the
last ``order`` predictions (``h = lambda_{i+1} - lambda_b``):

    noise:  x_{i+1} = (alpha_{i+1}/alpha_b) x_b - sigma_{i+1} sum_m w_m eps_m,
    data:   x_{i+1} = (sigma_{i+1}/sigma_b) x_b + alpha_{i+1} sum_m w_m x0_m.

Writing the polynomial as ``sum_j a_j (u/h)^j`` (``u = lambda - lambda_b``),
its integral against ``e^{h-u}`` (noise) or ``e^{-(h-u)}`` (data) over ``[0, h]`` is
``sum_j a_j g_j`` with ``g_j = j! h phi_{j+1}(+-h)``
(:func:`~modelc.solvers.phi.phi_diagonal`; no cancellation for small ``h``),
so the weights solve ``V^T w = g`` with ``V_mj = r_m^j`` and ``r_m = (lambda_m -
lambda_b)/h``. A per-step correction ``c_j`` scales ``g_j`` by ``1 + c_j``
(zero: the exact integral of the polynomial). Order 1 is DPM-Solver-1
(noise) or DPM-Solver++(1) (data), both DDIM to rounding.

Every per-step choice is an array (:class:`Plan`), so one compiled sampler runs
every plan of a given length: the search vmaps it over candidate plans and
differentiates it with respect to the times and corrections. Plans are
checked by :func:`check_plan` (NumPy, before tracing).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .phi import phi_diagonal

__all__ = ["MAX_ORDER", "Plan", "check_plan", "plan_sample", "plan_trajectory"]

MAX_ORDER = 3
"""The highest order of a step (predictions kept per step)."""


class Plan(NamedTuple):
    """The per-step choices of a searched sampler with ``N`` steps (``N`` evaluations).

    Attributes:
        ts: ``(N + 1,)`` step times, ``ts[0]`` the start (noise), ``ts[-1]`` the end.
        order: ``(N,)`` ints in 1..3, the predictions the step's polynomial goes through.
        data: ``(N,)`` 1 for data prediction (``x0``), 0 for noise prediction (``eps``).
        single: ``(N,)`` 1 when the step starts from the previous point (singlestep).
        corrections: ``(N, 3)`` the scalings ``1 + c_j`` of the integrals ``g_j``.
    """

    ts: jax.Array
    order: jax.Array
    data: jax.Array
    single: jax.Array
    corrections: jax.Array


def check_plan(plan: Plan) -> list[str]:
    """What is wrong with ``plan`` (NumPy values), as messages; empty when it runs."""
    ts, order = np.asarray(plan.ts, float), np.asarray(plan.order)
    data, single = np.asarray(plan.data), np.asarray(plan.single)
    corrections = np.asarray(plan.corrections, float)
    n = ts.size - 1
    problems = []
    if ts.ndim != 1 or n < 1:
        return ["ts must be a vector of at least two times"]
    for name, values in (("order", order), ("data", data), ("single", single)):
        if values.shape != (n,):
            problems.append(f"{name} has shape {values.shape}; the schedule has {n} steps")
    if corrections.shape != (n, MAX_ORDER):
        problems.append(f"corrections has shape {corrections.shape}; expected {(n, MAX_ORDER)}")
    if problems:
        return problems
    if not np.all(np.isfinite(ts)) or not np.all(np.isfinite(corrections)):
        problems.append("ts and corrections must be finite")
    steps = np.diff(ts)
    if not (np.all(steps < 0) or np.all(steps > 0)):
        problems.append("ts must be strictly monotone")
    for i in range(n):
        k, s = int(order[i]), int(single[i])
        if k not in (1, 2, 3):
            problems.append(f"step {i}: order {k}; choose 1, 2 or 3")
        elif k > i + 1:
            problems.append(f"step {i}: order {k} needs {k} evaluations, only {i + 1} made")
        if s not in (0, 1) or int(data[i]) not in (0, 1):
            problems.append(f"step {i}: data and single must be 0 or 1")
        elif s == 1 and i == 0:
            problems.append("step 0 cannot be singlestep (no previous point)")
    return problems


def _lagrange_weights(r, g, order: int):
    """``w`` with ``V^T w = g`` for the first ``order`` nodes ``r`` (``V_mj = r_m^j``),
    padded with zeros to `MAX_ORDER`: ``w_m = sum_j g_j [u^j] l_m(u)``, the
    coefficients of the Lagrange basis ``l_m`` in closed form (no linear solve)."""
    out = []
    for m in range(order):
        others = [r[n] for n in range(order) if n != m]
        denom = 1.0
        for o in others:
            denom = denom * (r[m] - o)
        if len(others) == 0:
            coeffs = [1.0]
        elif len(others) == 1:
            coeffs = [-others[0], 1.0]
        else:
            coeffs = [others[0] * others[1], -(others[0] + others[1]), 1.0]
        out.append(sum(g[j] * c for j, c in enumerate(coeffs)) / denom)
    zero = jnp.zeros((), g.dtype)
    return jnp.stack(out + [zero] * (MAX_ORDER - order))


def _step_weights(r, h, k, data, corrections):
    """``(MAX_ORDER,)`` weights of the stored predictions (newest first) for one step:
    ``V^T w = g (1 + c)`` on the first ``k`` nodes ``r``, zero beyond."""
    sign = jnp.where(data == 1, -1.0, 1.0).astype(h.dtype)
    phis = phi_diagonal(sign * h, MAX_ORDER)
    g = jnp.stack([math.factorial(j) * h * phis[j + 1] for j in range(MAX_ORDER)])
    g = g * (1.0 + corrections)
    candidates = [_lagrange_weights(r, g, order) for order in range(1, MAX_ORDER + 1)]
    return jnp.select([k == 1, k == 2], candidates[:2], candidates[2])


def _coefficients(schedule, ts):
    """``(lam, alpha, sigma)`` at the step times."""
    log_alpha = jax.vmap(schedule.log_alpha)(ts)
    sigma = jax.vmap(schedule.sigma)(ts)
    return log_alpha - jnp.log(sigma), jnp.exp(log_alpha), sigma


def plan_trajectory(eps: Callable, schedule, x, plan: Plan):
    """``x`` at every time of ``plan.ts`` (shape ``(N + 1, *x.shape)``) and the number
    of ``eps`` evaluations (``N``). jit, vmap (over ``x`` or plans) and grad
    (w.r.t. ``plan.ts``, ``plan.corrections``) compatible; ``plan`` checked before."""
    ts = jnp.asarray(plan.ts, x.dtype)
    lam, alpha, sigma = _coefficients(schedule, ts)
    n = ts.shape[0] - 1
    corrections = jnp.asarray(plan.corrections, x.dtype)

    def body(carry, i):
        x, x_prev, eps_hist, x0_hist, lam_hist = carry
        e = eps(x, ts[i])
        x0 = (x - sigma[i] * e) / alpha[i]
        eps_hist = jnp.concatenate([e[None], eps_hist[:-1]])
        x0_hist = jnp.concatenate([x0[None], x0_hist[:-1]])
        lam_hist = jnp.concatenate([lam[i][None], lam_hist[:-1]])
        single = plan.single[i] == 1
        b = jnp.where(single, i - 1, i)
        x_b = jnp.where(single, x_prev, x)
        h = lam[i + 1] - lam[b]
        r = (lam_hist - lam[b]) / h
        data = plan.data[i]
        w = _step_weights(r, h, plan.order[i], data, corrections[i])
        noise_update = alpha[i + 1] / alpha[b] * x_b - sigma[i + 1] * jnp.tensordot(w, eps_hist, 1)
        data_update = sigma[i + 1] / sigma[b] * x_b + alpha[i + 1] * jnp.tensordot(w, x0_hist, 1)
        x_new = jnp.where(data == 1, data_update, noise_update)
        return (x_new, x, eps_hist, x0_hist, lam_hist), x_new

    zeros = jnp.zeros((MAX_ORDER, *jnp.shape(x)), x.dtype)
    # unused history nodes sit far away (finite, never selected by the order)
    lam_hist = lam[0] - 1e3 * (1.0 + jnp.arange(MAX_ORDER, dtype=x.dtype))
    _, rest = lax.scan(body, (x, x, zeros, zeros, lam_hist), jnp.arange(n))
    return jnp.concatenate([x[None], rest]), n


def plan_sample(eps: Callable, schedule, x, plan: Plan):
    """The end point of :func:`plan_trajectory` and the evaluations: ``(x_end, nfe)``."""
    xs, nfe = plan_trajectory(eps, schedule, x, plan)
    return xs[-1], nfe
