"""Result type and status codes of :func:`modelc.solvers.integrate`."""

from __future__ import annotations

import enum
from typing import NamedTuple

import jax


class Status(enum.IntEnum):
    """Outcome of an integration; ``Status(code).message`` explains it to users."""

    SUCCESS = 0
    MAX_STEPS_REACHED = 1
    STEP_SIZE_UNDERFLOW = 2
    NONFINITE_STATE = 3

    @property
    def message(self) -> str:
        """A user-facing explanation of the status code."""
        return _MESSAGES[self]


_MESSAGES = {
    Status.SUCCESS: "integration successful",
    Status.MAX_STEPS_REACHED: (
        "the maximum number of steps was reached before the final time; increase "
        "max_steps, loosen the tolerances, or check for stiffness (an explicit "
        "method on a stiff problem takes tiny steps)"),
    Status.STEP_SIZE_UNDERFLOW: (
        "the step size became too small relative to the time (step-size underflow); "
        "the solution probably has a singularity (e.g. blows up in finite time) or "
        "the model is extremely stiff"),
    Status.NONFINITE_STATE: (
        "the state or its derivative became non-finite (NaN or inf); the "
        "right-hand side produced NaN/inf (check the model equations, parameters, "
        "and the initial state)"),
}


class RawSolution(NamedTuple):
    """Solver output (a pytree).

    ``ts``: output times ``(T,)``; ``ys``: states ``(T, n)`` with ``ys[0] = y0``
    and NaN after a failure; ``status``: int32 :class:`Status` code; ``nfe``:
    rhs evaluations; ``steps = accepted + rejected`` (all int32 arrays).
    """

    ts: jax.Array
    ys: jax.Array
    status: jax.Array
    nfe: jax.Array
    steps: jax.Array
    accepted: jax.Array
    rejected: jax.Array
