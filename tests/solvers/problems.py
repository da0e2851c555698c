"""Test problems with known solutions (shared by the solver tests)."""

import jax.numpy as jnp
import numpy as np


def rotation(t, y, args):
    """Rotation with time-varying frequency: y = (cos phi, -sin phi), phi = t + t^2/2."""
    w = 1.0 + t
    return jnp.stack([w * y[1], -w * y[0]])


def rotation_exact(t):
    """Exact solution of :func:`rotation` from y(0) = (1, 0)."""
    t = np.asarray(t, dtype=float)
    phi = t + t * t / 2
    return np.stack([np.cos(phi), -np.sin(phi)], axis=-1)


def decay(t, y, args):
    """y' = -k y with k = args[0] (vector state, per-component scaling args[1:])."""
    return -args[0] * y


def lorenz(t, y, p):
    """Lorenz system; p = (sigma, rho, beta)."""
    s, r, b = p[0], p[1], p[2]
    return jnp.stack([s * (y[1] - y[0]), y[0] * (r - y[2]) - y[1], y[0] * y[1] - b * y[2]])


LORENZ_P = np.array([10.0, 28.0, 8.0 / 3.0])
