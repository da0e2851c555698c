"""What generated modules import at run time: float64 by default on CPU.

Importing this module enables JAX's 64-bit mode unless the environment sets
``MODELC_X64=0`` (for accelerator users who want float32 everywhere).
"""

from __future__ import annotations

import os

import jax

__all__ = ["enable_x64"]


def enable_x64(enabled: bool = True) -> None:
    """Turn JAX's 64-bit types on (the modelc default) or off."""
    jax.config.update("jax_enable_x64", bool(enabled))


if os.environ.get("MODELC_X64", "1") != "0":
    enable_x64(True)
