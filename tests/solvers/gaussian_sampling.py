"""A Gaussian data distribution whose exact noise prediction and sample are known: the
diffusion samplers' test problem (VP-SDE, linear beta)."""

import jax.numpy as jnp

from modelc.solvers.diffusion import vp_linear

SCHEDULE = vp_linear()
SD = 0.5                     # the data's standard deviation
T0, T1 = 1.0, 1e-3
X_T = jnp.linspace(-2.0, 2.0, 5)


def s2(t):
    """The marginal variance at time ``t``."""
    return jnp.exp(2 * SCHEDULE.log_alpha(t)) * SD**2 + SCHEDULE.sigma(t) ** 2


def eps(x, t):
    """The exact noise prediction."""
    return SCHEDULE.sigma(t) * x / s2(t)


EXACT = X_T * jnp.sqrt(s2(T1) / s2(T0))
"""The probability-flow ODE's exact end points from ``X_T``."""
