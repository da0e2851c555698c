"""The runtime's method registry: method names to stepper objects.

:data:`METHODS` is the one table of the solve methods at run time
(``solvers.METHODS``); the names-only table :mod:`modelc.methods` says what
each method is, and a test (``tests/test_methods.py``) checks it against the
steppers' own declarations (their marker base classes and ``family``, see
:mod:`.stepper`).  Adding an explicit Runge--Kutta method is one
:class:`~.butcher.ButcherTableau` and one line here (docs/design.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from .erk import RK4, Bosh3, Dopri5, Dopri8, Euler, Tsit5
from .esdirk import Kvaerno5
from .expint import ETD1, ETDRK2, ETDRK4, ETDRK4B, ExpRB32, ExpRB43, Lawson4
from .expint_adaptive import ETDRK43
from .expint_multistep import ETDAB2, ETDAB3, ETDAB4
from .rosenbrock import Rodas5
from .stepper import AbstractStepper

__all__ = ["METHODS", "AutoStepper", "resolve_method"]


@dataclass(frozen=True)
class AutoStepper(AbstractStepper):
    """``method="auto"``: ``nonstiff``, ``stiff`` or (with a split)
    ``exponential`` (names in ``METHODS``), chosen by :func:`choose_method`.
    Not a stepper itself."""

    family = "auto"
    nonstiff: str = "tsit5"
    stiff: str = "rodas5"
    exponential: str = "etdrk43"

    @property
    def names(self) -> tuple[str, str, str]:
        """The candidates in the order of :func:`classify`'s codes."""
        return (self.nonstiff, self.stiff, self.exponential)

    @property
    def order(self) -> int:  # type: ignore[override]
        """The order of the non-stiff method (both are 5th order)."""
        return METHODS[self.nonstiff].order


METHODS: dict[str, AbstractStepper] = {
    "tsit5": Tsit5(),
    "dopri5": Dopri5(),
    "dopri8": Dopri8(),
    "bosh3": Bosh3(),
    "rk4": RK4(),
    "euler": Euler(),
    "rodas5": Rodas5(),
    "kvaerno5": Kvaerno5(),
    "auto": AutoStepper(),
    "etd1": ETD1(),
    "etdrk2": ETDRK2(),
    "etdrk4": ETDRK4(),
    "etdrk4b": ETDRK4B(),
    "krogstad": ETDRK4B(),  # the documented name of etdrk4b (Krogstad 2005)
    "etdrk43": ETDRK43(),
    "lawson4": Lawson4(),
    "etdab2": ETDAB2(),
    "etdab3": ETDAB3(),
    "etdab4": ETDAB4(),
    "exprb32": ExpRB32(),
    "exprb43": ExpRB43(),
}
"""The stepper of every method name (``method="tsit5"``)."""


def resolve_method(method) -> AbstractStepper:
    """The stepper for ``method``: a name in :data:`METHODS` (any case) or a stepper
    instance (returned as it is); ValueError otherwise."""
    if isinstance(method, AbstractStepper):
        return method
    if isinstance(method, str) and method.lower() in METHODS:
        return METHODS[method.lower()]
    raise ValueError(f"unknown method {method!r}; choose one of {sorted(METHODS)} "
                     "or pass a stepper instance")
