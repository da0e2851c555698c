"""Shared setup for the solver tests: float64 JAX and the repository on sys.path."""

import os
import sys

import jax

_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

jax.config.update("jax_enable_x64", True)
