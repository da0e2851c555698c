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

Adaptive split steppers (etdrk43) run there too: the FSAL value ``N(t, y1)``,
the error estimate and the dense output (exponential: ``N`` at the ends and
the midpoint of the step, phi-functions of ``theta h L``; all diagonal there)
are formed in coefficients, and only the output rows are transformed back.
The step-size controller keeps the error norm of the grid basis
(:class:`GridNormController`): per step attempt, ``y0``, ``y1`` and the error
are transformed back together (one batched inverse transform) and the
controller sees exactly what it sees on the grid, so the tolerances keep
their meaning (per grid value, array tolerances included).  It also holds
the step (:data:`STEP_HOLD`), so that etdrk43 can reuse the phi-functions it
carries from step to step.

Only with a constant ``L``; :func:`~modelc.solvers.integrate.integrate_stepper` decides
with :func:`applies`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from .controllers import AbstractController, ConstantStepController, StepAttempt
from .expint import Split
from .phi import SplitKind
from .stepper import AdaptiveStepper, SplitStepper

__all__ = ["applies", "in_coefficients", "stepping_in_coefficients", "GridNormController",
           "pack", "unpack"]


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
    """A split stepper on constant steps (or an adaptive one, etdrk43), with a constant
    diagonal ``L`` in a transformed basis and ``nonlinear_hat``: :func:`in_coefficients`
    can run it."""
    stepping = (isinstance(controller, ConstantStepController)
                or isinstance(stepper, AdaptiveStepper))
    return (isinstance(stepper, SplitStepper) and stepping and split is not None
            and split.nonlinear_hat is not None and split.kind == SplitKind.DIAGONAL
            and split.constant and split.transform is not None)


def in_coefficients(split: Split):
    """``(rhs, split, y0_map, ys_map)`` for the loop in the coefficient basis:
    the packed rhs and split, the map of ``y0`` into the basis and of the output
    rows ``(T, 2m)`` back to states ``(T, n)``."""
    forward, inverse = split.transform
    packed = Split(SplitKind.DIAGONAL, split.linear, PackedNonlinear(split.nonlinear_hat),
                   constant=True, transform=(unpack, pack))
    return (PackedRHS(split), packed, lambda y0: pack(forward(y0)),
            jax.vmap(lambda row: inverse(unpack(row))))


STEP_HOLD = 1.05
"""An adaptive step is kept while the controller proposes at most this factor more
(:class:`GridNormController`), so that etdrk43 reuses its cached phi-functions."""


@dataclass(frozen=True)
class GridNormController(AbstractController):
    """``inner`` (an adaptive controller) seeing the grid values of a loop run in
    coefficients: states, rhs values and error estimates are mapped back with
    ``inverse`` (the split's, on unpacked coefficients) before ``inner`` sees
    them, so step sizes are chosen as on the grid (same norm, same tolerances).
    Per step attempt one batched inverse transform of ``[y0; y1; err]``; the
    automatic first step maps its two evaluations of ``N`` as well.

    ``hold``: after an accepted step ``h`` a proposal in ``[h, hold h]`` is
    replaced by ``h`` itself (never a longer step than proposed), so a stepper
    that caches the phi-functions of ``h`` (etdrk43) reuses them.
    """

    inner: AbstractController
    forward: Callable
    inverse: Callable
    hold: float = 1.0

    def _grid(self, packed):
        return self.inverse(unpack(packed))

    def init(self, stepper, rhs, start, args, tol, dt0):
        """``inner.init`` on the grid values of ``y0``, ``f0`` and ``rhs``."""
        def grid_rhs(t, y, a):
            return self._grid(rhs(t, pack(self.forward(y)), a))

        g0 = self._grid(start.y0)
        f0 = None if start.f0 is None else self._grid(start.f0)
        return self.inner.init(stepper, grid_rhs, start._replace(y0=g0, f0=f0), args, tol, dt0)

    def adapt_step_size(self, stepper, attempt, state, tol):
        """``inner.adapt_step_size`` on the grid values of ``y0``, ``y1`` and ``err``,
        then the hold."""
        t, dt, y0, y1, err = attempt
        g0, g1, gerr = jax.vmap(self._grid)(jnp.stack([y0, y1, err]))
        accept, dt_next, state = self.inner.adapt_step_size(
            stepper, StepAttempt(t, dt, g0, g1, gerr), state, tol)
        if self.hold > 1.0:
            keep = accept & (dt_next >= dt) & (dt_next <= self.hold * dt)
            dt_next = jnp.where(keep, dt, dt_next)
        return accept, dt_next, state


def stepping_in_coefficients(stepper, controller, split: Split):
    """``(stepper, controller)`` for the loop in coefficients: a constant step as it is;
    an adaptive controller wrapped in :class:`GridNormController` (the split's own
    transforms), holding steps (:data:`STEP_HOLD`) for a stepper that can cache its
    phi-functions (``with_cached_phis``, etdrk43), which is switched on."""
    if isinstance(controller, ConstantStepController):
        return stepper, controller
    forward, inverse = split.transform
    caching = stepper.with_cached_phis()
    if caching is not None:
        return caching, GridNormController(controller, forward, inverse, STEP_HOLD)
    return stepper, GridNormController(controller, forward, inverse)
