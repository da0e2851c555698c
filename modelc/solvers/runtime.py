"""Float64 by default on CPU (imported first by the solvers and every generated module), and the
language's functions that ``jax.numpy`` lacks (`exprel`).

Importing this module enables JAX's 64-bit mode unless the environment sets
``MODELC_X64=0`` (for accelerator users who want float32 everywhere).
"""

from __future__ import annotations

import os

import jax
import jax.numpy as jnp

__all__ = ["enable_x64", "exprel"]

# Series terms of exprel near 0: x**k/(k! (k + n + 1)) for k < _SERIES_TERMS reaches
# a relative 1e-17 at |x| = 1.
_SERIES_TERMS = 20


def enable_x64(enabled: bool = True) -> None:
    """Turn JAX's 64-bit types on (the modelc default) or off."""
    jax.config.update("jax_enable_x64", bool(enabled))


def exprel(x, n: int = 0):
    """``exprel(x) = (exp(x) - 1)/x`` (1 at 0), or its ``n``-th derivative
    ``integral_0^1 s^n exp(s x) ds``, accurate to a few ulps for every ``x``.

    A power series for ``|x| < 1`` and the closed form (from ``expm1`` and the
    recurrence ``f_n = (exp(x) - n f_(n-1))/x``) elsewhere; each branch sees only
    its own safe inputs, so gradients are finite everywhere.
    """
    x = jnp.asarray(x)
    small = jnp.abs(x) < 1
    xs = jnp.where(small, x, jnp.zeros_like(x))
    xl = jnp.where(small, jnp.ones_like(x), x)
    series, term = jnp.zeros_like(xs), jnp.ones_like(xs)
    for k in range(_SERIES_TERMS):
        series = series + term / (k + n + 1)
        term = term * xs / (k + 1)
    closed = jnp.expm1(xl) / xl
    for order in range(1, n + 1):
        closed = (jnp.exp(xl) - order * closed) / xl
    return jnp.where(small, series, closed)


if os.environ.get("MODELC_X64", "1") != "0":
    enable_x64(True)
