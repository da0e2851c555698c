"""The shape of a field's Fourier coefficients, known to code generation (compiler side)
and to `modelc.fieldops` (run time) alike; so it imports nothing."""

from __future__ import annotations

__all__ = ["fourier_shape"]


def fourier_shape(shape: tuple, real: bool) -> tuple:
    """The shape of the n-D Fourier coefficients of a field on ``shape`` (the last axis
    halved by ``rfftn`` for a real field)."""
    return tuple(shape[:-1]) + ((shape[-1] // 2 + 1,) if real else (shape[-1],))
