"""Shared setup for the RL tests: float64 JAX and small policies."""

import os
import sys

import jax
import numpy as np
import pytest

jax.config.update("jax_enable_x64", True)
sys.path.insert(0, os.path.dirname(__file__))

from modelc.rl import policy as pol  # noqa: E402


@pytest.fixture
def zero_params():
    """A policy with a zero output layer (it reproduces the PI rule)."""
    return pol.init_params(jax.random.PRNGKey(0))


@pytest.fixture
def random_params():
    """A policy with a random, non-zero output layer."""
    params = pol.init_params(jax.random.PRNGKey(1))
    last = max(k for k in params if k.startswith("W"))
    params[last] = 0.5 * jax.random.normal(jax.random.PRNGKey(2), params[last].shape)
    return {k: np.asarray(v) for k, v in params.items()}
