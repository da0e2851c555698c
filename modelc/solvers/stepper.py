"""The stepper protocol and the capability markers every stepper declares.

A stepper is an immutable object with at most hashable fields (usable as a
static jit argument).  What a stepper *is* is declared by marker base classes
(and two class attributes), which the method table :mod:`modelc.methods` is
checked against:

* :class:`AdaptiveStepper` -- has an embedded error estimate (``error_order``,
  ``error_norm``), so it may be driven by an adaptive controller; every other
  stepper takes fixed steps;
* :class:`DenseOutputStepper` -- has a continuous extension (``interpolate``);
* :class:`FSALStepper` -- the last stage is ``f(t + h, y1)`` and is carried as
  the stepper state to become the first stage of the next step;
* :class:`ExtraDenseStagesStepper` -- the continuous extension needs extra rhs
  evaluations (``prepare_dense``) that are done only when output is needed;
* :class:`SplitStepper` -- needs the semilinear split ``f = L y + N``
  (``integrate(..., split=...)``); :class:`ConstantLinearStepper` -- and ``L``
  independent of time;
* ``family`` -- the method family (``explicit``, ``rosenbrock``, ...), as in
  :class:`modelc.methods.MethodInfo`.

Stepper protocol (``rhs(t, y, args) -> dy/dt``)::

    state, nfe = stepper.init(rhs, t0, y0, args)
    y1, err, dense_info, state1, nfe = stepper.step(rhs, t, y, dt, args, state)
    y = stepper.interpolate(dense_info, theta)      # theta in [0, 1]

``state`` is None, an n-vector (FSAL: ``f`` at the step end), a ``(k, n)``
array of rows whose first row is that ``f`` (etdrk43 adds its cached
phi-functions), or a :class:`MultistepState`; the loop carries it among its
state rows.  ``err`` is None for a fixed-step stepper.

Optional hooks have defaults here (a stepper overrides what it needs):
:meth:`~AbstractStepper.differentiable_step`,
:meth:`~AbstractStepper.controller_rhs`, :meth:`~AbstractStepper.startup_nfe`
and :meth:`~AbstractStepper.with_cached_phis`.
"""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

from .ops import rms

__all__ = ["AbstractStepper", "AdaptiveStepper", "DenseOutputStepper", "FSALStepper",
           "ExtraDenseStagesStepper", "SplitStepper", "ConstantLinearStepper",
           "MultistepState"]


class AbstractStepper:
    """Base class of all steppers; subclasses define ``order`` (and ``family``)."""

    order: ClassVar[int]
    family: ClassVar[str] = "explicit"

    def init(self, rhs, t0, y0, args):
        """Return ``(state, nfe)``: the stepper state before the first step."""
        return None, 0

    def step(self, rhs, t, y, dt, args, state):
        """Advance one step: ``(y1, err, dense_info, new_state, nfe)``."""
        raise NotImplementedError

    def differentiable_step(self, rhs, t, y, dt, args, state):
        """:meth:`step` in a form reverse mode can differentiate (the discrete adjoint
        uses it); steppers with inner loops (Newton) override it."""
        return self.step(rhs, t, y, dt, args, state)

    def controller_rhs(self, rhs, dtype):
        """The rhs the controller's automatic first step sees (default: the rhs itself;
        a split stepper may size its first step by ``N`` alone)."""
        return rhs

    def startup_nfe(self, steps):
        """Evaluations beyond ``nfe`` per step over ``steps`` steps (a multistep
        method's starting steps); 0 for one-step methods."""
        return 0

    def with_cached_phis(self):
        """This stepper caching the phi-functions of its step across steps (when the
        loop holds the step, :mod:`~modelc.solvers.coefficients`), or None if it cannot."""
        return None


class AdaptiveStepper(AbstractStepper):
    """Marker: the stepper returns an error estimate usable for step control."""

    error_order: ClassVar[int]

    def error_norm(self, err, scale):
        """RMS norm of the error estimate ``err`` weighted by ``1/scale``."""
        return rms(err / scale)


class DenseOutputStepper(AbstractStepper):
    """Marker: the stepper has a continuous extension (``interpolate`` and the
    loop-facing ``dense_carry_rows``/``dense_carry``/``dense_from_carry``/
    ``eval_dense_poly``, see the module docstring)."""

    def interpolate(self, dense_info, theta):
        """Solution at ``t + theta*dt`` of the step described by ``dense_info``."""
        raise NotImplementedError


class MultistepState(NamedTuple):
    """The state of a multistep stepper (``init`` returns it, ``step`` takes and
    returns it): ``rows``, a ``(k, n)`` array of vectors shaped like ``y`` (e.g.
    past values of the rhs) that the loop carries next to ``y``, and
    ``scalars``, a ``(m,)`` vector of the state's dtype (e.g. past step sizes)
    that it carries with the step size.  The loop differentiates through
    ``rows``; ``scalars`` are treated as constants, like the step sizes.
    ``step`` receives the rows with ``y`` prepended (``rows[0] == y``, a
    ``(k + 1, n)`` block: the loop's own buffer, which a ``lax.cond`` in the
    step can take without copying slices of it) and returns the ``k`` new
    history rows."""

    rows: Any
    scalars: Any


class FSALStepper(AbstractStepper):
    """Marker: first-same-as-last; the state is ``f(t, y)`` at the step start."""


class ExtraDenseStagesStepper(DenseOutputStepper):
    """Marker: ``prepare_dense`` must be applied to ``dense_info`` before use."""

    def prepare_dense(self, rhs, args, dense_info):
        """Return ``(dense_info, nfe)`` completed with the extra stages."""
        raise NotImplementedError


class SplitStepper(AbstractStepper):
    """Marker: the loop passes a :class:`~modelc.solvers.expint.SplitRHS`
    (``integrate(..., split=...)``)."""

    family: ClassVar[str] = "exponential"


class ConstantLinearStepper(SplitStepper):
    """Marker: a split stepper that needs ``L`` independent of time (the
    exponential multistep methods)."""
