"""Toy problems with known solutions for the RL tests."""

import jax.numpy as jnp


def oscillator(t, y, args):
    """y'' = -w^2 y with w = args[0]; exact solution from (1, 0): (cos wt, -w sin wt)."""
    return jnp.stack([y[1], -args[0] ** 2 * y[0]])
