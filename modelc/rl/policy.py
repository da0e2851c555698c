"""The step-size policy: features, a small MLP and the one decision function.

Everything here is a pure JAX function of a parameter pytree (a dict of
arrays), so it works inside ``jit`` and ``vmap`` and is differentiable in the
parameters.  :func:`decide` is used both by the inference controller
(:class:`~modelc.rl.controller.PolicyController`, noise 0, weights constant)
and by the training rollout (:mod:`modelc.rl.rollout`, sampled noise, weights
traced), so training and inference take exactly the same decision.

The policy acts *on top of* the PI rule: its network outputs a residual on the
PI controller's log step factor and a shift of the acceptance threshold.
With a zero last layer it reproduces :class:`PIController` exactly.

Features (all integrator-agnostic, normalised by fixed scales, see
:data:`FEATURES`): the error norm of this step and of the two previous steps
(``log`` of the norm relative to the tolerance), the last two step-size ratios,
whether this step passes the error test and whether the previous one was
rejected, the method's error order, the target tolerance and the PI rule's
proposal.  Non-finite raw features make the controller fall back to the PI
decision for that step.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ..solvers.controllers import StepAttempt, Tolerance
from ..solvers.ops import select

__all__ = ["FEATURES", "ACTIONS", "init_params", "mlp", "features", "decide",
           "initial_history", "RESIDUAL_MAX", "THRESHOLD_MAX"]

FEATURES = (
    "log_err/5",            # log of this step's error norm (1 = at tolerance)
    "log_err_prev/5",       # ... of the previous step
    "log_err_prev2/5",      # ... of the step before
    "log_ratio_prev/ln10",  # log(dt_k / dt_{k-1}) of the last step-size change
    "log_ratio_prev2/ln10",
    "fails_test",           # +1 if err > 1, else -1
    "prev_rejected",        # +1 if the previous step was rejected, else -1
    "error_order/5",
    "(log10_rtol+8)/4",     # -1 at rtol 1e-12, +1 at rtol 1e-4
    "pi_log_factor/ln10",   # the PI rule's proposal for this step
)
ACTIONS = ("log_factor_residual", "log_accept_threshold")
RESIDUAL_MAX = math.log(3.0)    # the policy moves the PI factor by at most x3 or /3
THRESHOLD_MAX = math.log(2.0)   # and accepts at error norms between 1/2 and 2
LOG_ERR_RANGE = (-25.0, 10.0)
LN10 = math.log(10.0)


def init_params(key, hidden=(32, 32), n_in: int = len(FEATURES),
                n_out: int = len(ACTIONS), log_std: float = math.log(0.3)) -> dict:
    """Random MLP weights (He-scaled normal) with a zero output layer, so the
    untrained policy *is* the PI rule; plus the Gaussian policy's ``log_std``.

    Returns a dict ``{"W0", "b0", ..., "Wk", "bk", "log_std"}`` of float64 arrays.
    """
    sizes = (n_in, *hidden, n_out)
    params = {}
    keys = jax.random.split(key, len(sizes) - 1)
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        last = i == len(sizes) - 2
        w = jnp.zeros((a, b)) if last else jax.random.normal(keys[i], (a, b)) * math.sqrt(2.0 / a)
        params[f"W{i}"] = w.astype(jnp.float64)
        params[f"b{i}"] = jnp.zeros((b,), jnp.float64)
    params["log_std"] = jnp.full((n_out,), log_std, jnp.float64)
    return params


def mlp(params, x):
    """The network: ``tanh`` hidden layers, linear output (the action mean)."""
    n = sum(1 for k in params if k.startswith("W"))
    for i in range(n):
        x = x @ params[f"W{i}"].astype(x.dtype) + params[f"b{i}"].astype(x.dtype)
        if i < n - 1:
            x = jnp.tanh(x)
    return x


def initial_history(dtype):
    """Controller history before the first step: ``(le1, le2, lr1, lr2)``
    (previous log error norms 0, i.e. at tolerance; no step-size change)."""
    z = jnp.asarray(0.0, dtype)
    return (z, z, z, z)


def features(log_en, fails, hist, prev_rejected, error_order, rtol, pi_log_factor):
    """The raw (unclipped) feature vector of :data:`FEATURES`."""
    le1, le2, lr1, lr2 = hist
    sign = lambda b: jnp.where(b, 1.0, -1.0).astype(log_en.dtype)  # noqa: E731
    return jnp.stack([
        log_en / 5, le1 / 5, le2 / 5, lr1 / LN10, lr2 / LN10, sign(fails),
        sign(prev_rejected), jnp.asarray(error_order / 5, log_en.dtype),
        (jnp.log10(rtol) + 8) / 4, pi_log_factor / LN10,
    ]).astype(log_en.dtype)


def decide(params, pi, stepper, dt, y0, y1, err, state, rtol, atol, noise):
    """One step-size decision; shared by inference and training.

    ``pi`` is the :class:`PIController` whose rule the policy refines and
    falls back to; ``state = (pi_state, history)``; ``noise`` (shape
    ``(len(ACTIONS),)``) is 0 for the deterministic policy, standard normal
    when sampling.  Returns ``(accept, dt_next, state, feats, action, ok)``:
    the action actually taken (before squashing), the clipped network input,
    and whether the policy (not the PI fallback) decided.
    """
    pi_state, hist = state
    prev_rejected = pi_state[1]
    pi_accept, pi_dt, pi_state1 = pi.adapt_step_size(
        stepper, StepAttempt(0.0, dt, y0, y1, err), pi_state, Tolerance(rtol, atol))
    scale = atol + rtol * jnp.maximum(jnp.abs(y0), jnp.abs(y1))
    en = lax.stop_gradient(stepper.error_norm(err, scale))
    dtype = en.dtype
    log_en = jnp.log(en)
    pi_logf = jnp.log(pi_dt / dt)
    raw = features(log_en, ~(en <= 1.0), hist, prev_rejected, stepper.error_order, rtol,
                   pi_logf)
    ok = jnp.all(jnp.isfinite(raw))
    lo, hi = LOG_ERR_RANGE
    x = raw.at[0].set(jnp.clip(raw[0], lo / 5, hi / 5))
    x = jnp.clip(jnp.where(jnp.isfinite(x), x, 0.0), -10.0, 10.0)
    x = lax.stop_gradient(x)
    mean = mlp(params, x)
    action = mean + jnp.exp(params["log_std"]).astype(dtype) * noise
    residual = RESIDUAL_MAX * jnp.tanh(action[0])
    threshold = THRESHOLD_MAX * jnp.tanh(action[1])
    accept = log_en <= threshold
    logf = pi_logf + residual
    fmax = select(prev_rejected, jnp.asarray(0.0, dtype), math.log(pi.factor_max))
    fmax = select(accept, fmax, math.log(pi.safety))  # a rejected step must shrink
    logf = jnp.clip(logf, math.log(pi.factor_min), fmax)
    accept = select(ok, accept, pi_accept)
    logf = select(ok, logf, jnp.log(pi_dt / dt))
    dt_next = lax.stop_gradient(dt * jnp.exp(logf))
    new_hist = (select(ok, jnp.clip(log_en, lo, hi), hist[0]), hist[0], logf, hist[2])
    new_pi = (pi_state1[0], ~accept)
    return accept, dt_next, (new_pi, new_hist), x, action, ok


def log_prob(params, x, action):
    """Log-density of ``action`` under the Gaussian policy at (clipped) features ``x``."""
    mean = mlp(params, x)
    log_std = params["log_std"]
    z = (action - mean) * jnp.exp(-log_std)
    return jnp.sum(-0.5 * z * z - log_std - 0.5 * np.log(2 * np.pi), axis=-1)
