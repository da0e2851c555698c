"""What generated modules import at run time (`modelc.solvers.runtime`): float64 by
default on CPU, and the language's functions that ``jax.numpy`` lacks (``exprel``).

Importing it enables JAX's 64-bit mode unless the environment sets ``MODELC_X64=0``.
"""

from __future__ import annotations

from .solvers.runtime import enable_x64, exprel

__all__ = ["enable_x64", "exprel"]
