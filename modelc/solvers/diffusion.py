"""Diffusion-model ODE samplers: DPM-Solver-1/2/3 (singlestep), DPM-Solver++(2M) and
DEIS (multistep, `modelc.solvers.deis`).

The probability-flow ODE of a diffusion model with ``x_t = alpha_t x_0 +
sigma_t eps`` is semilinear with a scalar, time-dependent linear part,

    dx/dt = a(t) x + b(t) eps(x, t),   a = d log(alpha)/dt,
    b = -sigma_t d(lambda)/dt,         lambda = log(alpha_t / sigma_t)  (log-SNR / 2),

and its exact solution from ``s`` to ``t`` is (Lu et al., DPM-Solver, 2022)

    x_t = (alpha_t / alpha_s) x_s - alpha_t int_{lambda_s}^{lambda_t} e^{-lambda} eps dlambda.

The samplers expand ``eps`` (or the data prediction ``x0 = (x - sigma eps) /
alpha`` for DPM-Solver++) in ``lambda`` and integrate the exponential weight
exactly; the weights are phi-functions of ``h = lambda_t - lambda_s``
evaluated by :func:`~modelc.solvers.phi.phi_diagonal` (no cancellation for
small ``h``).  A :class:`Schedule` gives ``log alpha(t)`` and ``sigma(t)``;
intermediate times of the singlestep methods invert ``lambda`` by bisection
(monotone schedules).  :func:`time_grid` makes step grids uniform in ``t`` or
in ``lambda``; any decreasing (sampling) or increasing grid can be given.
Everything runs in one ``lax.scan``; ``nfe`` counts ``eps`` evaluations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import jax
import jax.numpy as jnp
from jax import lax

from .deis import deis_trajectory
from .phi import phi_diagonal

__all__ = ["Schedule", "vp_linear", "time_grid", "sample", "trajectory", "DIFFUSION_METHODS",
           "SAMPLER_NAMES"]

DIFFUSION_METHODS = {"dpm1": 1, "dpm2": 2, "dpm3": 3, "dpmpp2m": 1, "ddim": 1,
                     "deis1": 1, "deis2": 1, "deis3": 1, "deisrho1": 1, "deisrho2": 1,
                     "deisrho3": 1}
"""Sampler names and their ``eps`` evaluations per step."""

SAMPLER_NAMES = {"ddim": "ddim", "dpm_solver_1": "dpm1", "dpm_solver_2": "dpm2",
                 "dpm_solver_3": "dpm3", "dpm_solver_pp_2m": "dpmpp2m",
                 "deis_1": "deis1", "deis_2": "deis2", "deis_3": "deis3",
                 "deis_rho_1": "deisrho1", "deis_rho_2": "deisrho2", "deis_rho_3": "deisrho3",
                 "searched": "searched", "dpm_solver_v3": "dpmv3"}
"""The documented method names of ``m.solve(method=...)`` and their short names here."""


@dataclass(frozen=True)
class Schedule:
    """A noise schedule: ``log_alpha(t)`` and ``sigma(t)`` (JAX callables) on
    ``[t_min, t_max]``, with ``lambda = log alpha - log sigma`` monotone;
    optionally ``drho_dt(t)``, the derivative of ``rho = sigma/alpha`` (else
    by differentiating ``rho``)."""

    log_alpha: Callable
    sigma: Callable
    t_min: float = 1e-3
    t_max: float = 1.0
    drho_dt: Callable | None = None

    def lam(self, t):
        """Half log-SNR ``lambda(t) = log(alpha_t / sigma_t)``."""
        return self.log_alpha(t) - jnp.log(self.sigma(t))

    def t_of_lambda(self, lam, iterations: int = 64):
        """``t`` with ``lambda(t) = lam``, by bisection on ``[t_min, t_max]`` and one
        Newton step from the bisection's (gradient-stopped) result, which carries the
        derivatives of the implicit function theorem, ``dt = -(d lambda(t) - d lam) /
        lambda'(t)``, to parameters of the schedule and to ``lam`` (bisection alone
        has none)."""
        root = lax.stop_gradient(self._bisect(lam, iterations))
        return root - (self.lam(root) - lam) / jax.grad(self.lam)(root)

    def _bisect(self, lam, iterations):
        """The bisection of `t_of_lambda`."""
        lo, hi = jnp.asarray(self.t_min, lam.dtype), jnp.asarray(self.t_max, lam.dtype)
        decreasing = self.lam(hi) < self.lam(lo)

        def body(_, bounds):
            lo, hi = bounds
            mid = 0.5 * (lo + hi)
            above = (self.lam(mid) > lam) == decreasing  # the root lies above mid
            return jnp.where(above, mid, lo), jnp.where(above, hi, mid)

        lo, hi = lax.fori_loop(0, iterations, body, (lo, hi))
        return 0.5 * (lo + hi)

    def rho_rate(self, t):
        """``d(rho)/dt = b(t) / alpha(t)`` with ``rho = sigma/alpha = e^{-lambda}``."""
        if self.drho_dt is not None:
            return self.drho_dt(t)
        return jax.grad(lambda s: jnp.exp(-self.lam(s)))(t)

    def rhs_coefficients(self, t):
        """``(a(t), b(t))`` of the probability-flow ODE ``dx/dt = a x + b eps``."""
        a = jax.grad(self.log_alpha)(t)
        dlam = jax.grad(self.lam)(t)
        return a, -self.sigma(t) * dlam


def vp_linear(beta_min: float = 0.1, beta_max: float = 20.0, t_min: float = 1e-3) -> Schedule:
    """The VP-SDE schedule with linear ``beta(t)`` (Song et al. 2021): closed-form
    ``log alpha = -(beta_max - beta_min) t^2 / 4 - beta_min t / 2``, ``sigma = sqrt(1 - alpha^2)``."""
    db = beta_max - beta_min

    def log_alpha(t):
        return -0.25 * db * t**2 - 0.5 * beta_min * t

    def sigma(t):
        return jnp.sqrt(-jnp.expm1(2.0 * log_alpha(t)))

    return Schedule(log_alpha, sigma, t_min, 1.0)


def time_grid(schedule: Schedule, t_start, t_end, steps: int, spacing: str = "logsnr"):
    """``steps + 1`` times from ``t_start`` to ``t_end``, uniform in ``t`` ("time") or in
    ``lambda`` ("logsnr", the usual choice for DPM-Solver)."""
    if spacing == "time":
        return jnp.linspace(t_start, t_end, steps + 1)
    if spacing != "logsnr":
        raise ValueError(f"spacing {spacing!r}; choose 'time' or 'logsnr'")
    t_start, t_end = jnp.asarray(t_start, float), jnp.asarray(t_end, float)
    lams = jnp.linspace(schedule.lam(t_start), schedule.lam(t_end), steps + 1)
    inner = jax.vmap(schedule.t_of_lambda)(lams[1:-1])
    return jnp.concatenate([t_start[None], inner, t_end[None]])


def _noise_step(order, schedule, eps, x, s, t):
    """One singlestep DPM-Solver step of the given order (noise prediction) from s to t."""
    ls, lt = schedule.lam(s), schedule.lam(t)
    h = lt - ls
    e_s = eps(x, s)

    def transport(u, r, extra):
        """``x`` moved to ``lambda_s + r h``: exact linear part, first-order eps term,
        plus ``extra(phi_2 weight)``."""
        tr = schedule.t_of_lambda(ls + r * h) if r != 1.0 else t
        phi = phi_diagonal(r * h, 2)
        ratio = jnp.exp(schedule.log_alpha(tr) - schedule.log_alpha(s))
        sig = schedule.sigma(tr)
        out = ratio * u - sig * (r * h) * phi[1] * e_s
        return out if extra is None else out - sig * (r * h) * phi[2] * extra(r), tr

    if order == 1:
        return transport(x, 1.0, None)[0]
    if order == 2:  # r1 = 1/2; the eps difference enters through (e^h - 1)/2r1 (phi_1)
        u, s1 = transport(x, 0.5, None)
        d1 = eps(u, s1) - e_s
        phi = phi_diagonal(h, 1)
        ratio = jnp.exp(schedule.log_alpha(t) - schedule.log_alpha(s))
        sig = schedule.sigma(t)
        return ratio * x - sig * h * phi[1] * e_s - sig * h * phi[1] * d1
    r1, r2 = 1.0 / 3.0, 2.0 / 3.0
    u1, s1 = transport(x, r1, None)
    d1 = eps(u1, s1) - e_s
    u2, s2 = transport(x, r2, lambda r: (r / r1) * d1)
    d2 = eps(u2, s2) - e_s
    return transport(x, 1.0, lambda r: d2 / r2)[0]


def _ddim_step(schedule, eps, x, s, t):
    """DDIM (Song et al. 2021): predict ``x0 = (x - sigma_s eps) / alpha_s``, then
    re-noise, ``x_t = alpha_t x0 + sigma_t eps``. Algebraically DPM-Solver-1."""
    e = eps(x, s)
    x0 = (x - schedule.sigma(s) * e) * jnp.exp(-schedule.log_alpha(s))
    return jnp.exp(schedule.log_alpha(t)) * x0 + schedule.sigma(t) * e


def _pp2m(schedule, eps, x, ts):
    """DPM-Solver++(2M): multistep, data prediction, first step DPM-Solver++(1);
    ``x`` at every time of ``ts``."""
    def x0_of(x, t):
        return (x - schedule.sigma(t) * eps(x, t)) * jnp.exp(-schedule.log_alpha(t))

    def advance(x, s, t, d):
        h = schedule.lam(t) - schedule.lam(s)
        alpha_t = jnp.exp(schedule.log_alpha(t))
        # -(e^{-h} - 1) = h phi_1(-h)
        return schedule.sigma(t) / schedule.sigma(s) * x + alpha_t * h * phi_diagonal(-h, 1)[1] * d

    x_start = x
    x0_prev = x0_of(x, ts[0])
    x = advance(x, ts[0], ts[1], x0_prev)
    x_first = x

    def body(carry, i):
        x, x0_prev, h_prev = carry
        s, t = ts[i], ts[i + 1]
        x0 = x0_of(x, s)
        h = schedule.lam(t) - schedule.lam(s)
        r = h_prev / h
        d = (1 + 0.5 / r) * x0 - (0.5 / r) * x0_prev
        x_new = advance(x, s, t, d)
        return (x_new, x0, h), x_new

    h0 = schedule.lam(ts[1]) - schedule.lam(ts[0])
    _, rest = lax.scan(body, (x, x0_prev, h0), jnp.arange(1, ts.shape[0] - 1))
    return jnp.concatenate([x_start[None], x_first[None], rest])


def sample(eps: Callable, schedule: Schedule, x, ts, method: str = "dpmpp2m"):
    """Solve the probability-flow ODE from ``ts[0]`` to ``ts[-1]`` on the grid ``ts``.

    ``eps(x, t)`` is the noise prediction (a network, or the exact one of a
    test problem); ``method`` one of :data:`DIFFUSION_METHODS`.  Returns
    ``(x_end, nfe)``.  jit/vmap/grad compatible (``method`` static).
    """
    if method not in DIFFUSION_METHODS:
        raise ValueError(f"unknown diffusion sampler {method!r}; choose one of "
                         f"{', '.join(DIFFUSION_METHODS)}")
    return _sample_jit(eps, schedule, method, x, jnp.asarray(ts))


def _sample(eps, schedule, method, x, ts):
    """:func:`sample` after the method check (jitted below)."""
    xs, nfe = trajectory(eps, schedule, x, ts, method)
    return xs[-1], nfe


def trajectory(eps: Callable, schedule: Schedule, x, ts, method: str):
    """Like :func:`sample`, but ``x`` at every time of the grid ``ts`` (shape
    ``(len(ts), *x.shape)``), and not jitted here; ``method`` one of
    :data:`DIFFUSION_METHODS`.  Returns ``(xs, nfe)``."""
    steps = ts.shape[0] - 1
    if method == "dpmpp2m":
        return _pp2m(schedule, eps, x, ts), steps
    if method.startswith("deis"):
        variable = "rho" if method.startswith("deisrho") else "t"
        return deis_trajectory(schedule, eps, x, ts, int(method[-1]), variable), steps

    def body(x, i):
        if method == "ddim":
            x_new = _ddim_step(schedule, eps, x, ts[i], ts[i + 1])
        else:
            x_new = _noise_step(int(method[-1]), schedule, eps, x, ts[i], ts[i + 1])
        return x_new, x_new

    _, rest = lax.scan(body, x, jnp.arange(steps))
    return jnp.concatenate([x[None], rest]), steps * DIFFUSION_METHODS[method]


_sample_jit = jax.jit(_sample, static_argnums=(0, 1, 2))


def coefficient_schedule(drift: Callable, noise: Callable, args, t_a, t_b,
                         log_alpha: Callable | None = None, nodes: int = 64) -> Schedule:
    """The :class:`Schedule` of ``dx/dt = a(t) x + b(t) g(x, t)`` from its coefficients.

    ``drift(t, args) = a``, ``noise(t, args) = b``; ``[t_a, t_b]`` (either
    order) is the sampling interval.  With ``alpha(0) = 1`` and ``sigma(0) = 0``
    (time 0 is the data end),

        log alpha(t) = int_0^t a ds,    sigma(t) / alpha(t) = int_0^t b / alpha ds,

    so that ``a = d log(alpha)/dt`` and ``b = alpha d(sigma/alpha)/dt =
    -sigma d(lambda)/dt`` as in :meth:`Schedule.rhs_coefficients`, and
    ``e^{-lambda} = sigma/alpha``.  ``log_alpha(t, args)`` may be given in
    closed form (code generation integrates a polynomial ``a`` exactly); the
    other integrals use ``nodes``-point Gauss-Legendre quadrature after the
    substitution ``s = t u^2``, which makes the usual ``1/sqrt(s)``
    singularity of ``b`` at ``s = 0`` smooth.  They are evaluated in JAX at
    solve time (parameters may enter ``a`` and ``b``).
    """
    import numpy as np

    u, w = np.polynomial.legendre.leggauss(nodes)
    u, w = 0.5 * (u + 1.0), 0.5 * w

    def quad(f, t):
        """``int_0^t f(s) ds`` by the substitution ``s = t u^2``."""
        uu, ww = jnp.asarray(u, jnp.result_type(t)), jnp.asarray(w, jnp.result_type(t))
        s = t * uu**2
        return jnp.sum(ww * 2.0 * t * uu * jax.vmap(f)(s))

    def log_alpha_of(t):
        if log_alpha is not None:
            return log_alpha(t, args)
        return quad(lambda s: drift(s, args), t)

    def sigma_of(t):
        ratio = quad(lambda s: noise(s, args) * jnp.exp(-log_alpha_of(s)), t)
        return jnp.exp(log_alpha_of(t)) * ratio

    def drho_dt(t):
        return noise(t, args) * jnp.exp(-log_alpha_of(t))

    return Schedule(log_alpha_of, sigma_of, jnp.minimum(t_a, t_b), jnp.maximum(t_a, t_b), drho_dt)
