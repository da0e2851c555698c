"""Small traced helpers shared by the steppers, the controllers and the loop.

A leaf module (JAX only): linear combinations with Python-float
coefficients (:func:`combine`, :func:`axpy`), a scalar-predicate select
(:func:`select`) and the RMS norm of error estimates (:func:`rms`).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jax import lax

__all__ = ["combine", "axpy", "select", "rms"]


def combine(ks, coeffs):
    """``sum_j coeffs[j] * ks[j]`` with Python-float coefficients, zeros skipped.

    Written with ``lax`` primitives (not ``jnp``) to keep tracing cheap.
    """
    acc = None
    for k, c in zip(ks, coeffs):
        c = float(c)
        if c == 0.0:
            continue
        term = k if c == 1.0 else lax.mul(k, np.asarray(c, k.dtype))
        acc = term if acc is None else lax.add(acc, term)
    return acc


def axpy(y, dt, inc):
    """``y + dt * inc`` (``inc`` may be None, meaning zero)."""
    return y if inc is None else lax.add(y, lax.mul(dt, inc))


def select(pred, a, b):
    """``where(pred, a, b)`` for a scalar ``pred`` via ``lax.select`` (cheaper to trace
    and compile than ``jnp.where``); Python scalars take the other operand's dtype."""
    if not hasattr(a, "dtype"):
        a = lax.full(jnp.shape(b), a, b.dtype)
    if not hasattr(b, "dtype"):
        b = lax.full(jnp.shape(a), b, a.dtype)
    if a.dtype != b.dtype:
        dt = jnp.promote_types(a.dtype, b.dtype)
        a, b = a.astype(dt), b.astype(dt)
    if a.shape != b.shape:
        shape = jnp.broadcast_shapes(a.shape, b.shape)
        a, b = jnp.broadcast_to(a, shape), jnp.broadcast_to(b, shape)
    return lax.select(pred, a, b)


def rms(x):
    """Root mean square, with a floored square root (forward-mode safe at 0)."""
    ms = jnp.sum(x * x) / max(x.size, 1)  # an empty state has norm 0, not NaN
    return jnp.sqrt(jnp.maximum(ms, jnp.finfo(ms.dtype).tiny))
