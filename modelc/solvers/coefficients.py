"""Fixed-step split integration in the basis where ``L`` is diagonal (Fourier coefficients).

A Fourier-spectral split (:class:`~modelc.solvers.expint.Split` of kind
"diagonal" with a ``transform`` pair) that also offers ``nonlinear_hat``
(``N`` from and to the coefficients, no transform of the state around it) is
integrated with the state in that basis: the loop carries the coefficients,
packed as one real vector ``[Re c; Im c]`` (the loop, its status checks and
its differentiation rules work on real vectors), every stage of a split
stepper stays there, and only ``y0`` and the output rows are transformed.
A step then costs the stages' ``N`` evaluations and the phi-combinations:
four ``nonlinear_hat`` calls for ETDRK4, as a hand-written Fourier-space code.

Only with a constant step (outputs are step ends, no dense output in the
basis) and a constant ``L``; :func:`_integrate_stepper
<modelc.solvers.loop._integrate_stepper>` decides with :func:`applies`.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from .controllers import ConstantStepController
from .expint import Split, SplitStepper

__all__ = ["applies", "in_coefficients", "pack", "unpack"]


def pack(coefficients):
    """Complex coefficients -> the real vector ``[Re c; Im c]``."""
    return jnp.concatenate([jnp.real(coefficients), jnp.imag(coefficients)])


def unpack(packed):
    """Inverse of :func:`pack`."""
    m = packed.shape[0] // 2
    return lax.complex(packed[:m], packed[m:])


class PackedNonlinear(NamedTuple):
    """``N`` on packed coefficients (a hashable static argument of the loop)."""

    nonlinear_hat: Callable

    def __call__(self, t, y, args):
        return pack(self.nonlinear_hat(t, unpack(y), args))


class PackedRHS(NamedTuple):
    """``f = L y + N`` on packed coefficients."""

    split: Split

    def __call__(self, t, y, args):
        c = unpack(y)
        return pack(self.split.linear(t, args) * c + self.split.nonlinear_hat(t, c, args))


def applies(stepper, controller, split) -> bool:
    """A split stepper on constant steps, with a constant diagonal ``L`` in a transformed
    basis and ``nonlinear_hat``: :func:`in_coefficients` can run it."""
    return (isinstance(stepper, SplitStepper) and isinstance(controller, ConstantStepController)
            and split is not None and getattr(split, "nonlinear_hat", None) is not None
            and split.kind == "diagonal" and split.constant and split.transform is not None)


def in_coefficients(split: Split):
    """``(rhs, split, y0_map, ys_map)`` for the loop in the coefficient basis:
    the packed rhs and split, the map of ``y0`` into the basis and of the output
    rows ``(T, 2m)`` back to states ``(T, n)``."""
    forward, inverse = split.transform
    packed = Split("diagonal", split.linear, PackedNonlinear(split.nonlinear_hat),
                   constant=True, transform=(unpack, pack))
    return (PackedRHS(split), packed, lambda y0: pack(forward(y0)),
            jax.vmap(lambda row: inverse(unpack(row))))
