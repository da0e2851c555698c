"""The model IR: frozen dataclasses holding SymPy expressions and source spans.

Every name in an expression is a ``sympy.Symbol`` whose name is the user's
identifier (see `symbol`); time is `TIME`. Passes are pure functions
``Model -> Model`` that return new instances via `dataclasses.replace`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from .errors import Span

__all__ = [
    "TIME",
    "symbol",
    "Parameter",
    "State",
    "Let",
    "Observe",
    "Derivative",
    "SimulateOptions",
    "Model",
]

TIME = sympy.Symbol("t", real=True)


def symbol(name: str) -> sympy.Symbol:
    """The SymPy symbol that stands for the user's name ``name`` in every expression."""
    if name == "t":
        return TIME
    return sympy.Symbol(name, real=True)


@dataclass(frozen=True)
class Parameter:
    """``parameter name = default``; the default may use earlier parameters."""

    name: str
    default: sympy.Expr
    span: Span


@dataclass(frozen=True)
class State:
    """``state name = initial``; the initial value may use parameters."""

    name: str
    initial: sympy.Expr
    span: Span


@dataclass(frozen=True)
class Let:
    """``let name = expr``: a named intermediate usable in later expressions."""

    name: str
    expr: sympy.Expr
    span: Span


@dataclass(frozen=True)
class Observe:
    """``observe name = expr``: an output computed along a solution."""

    name: str
    expr: sympy.Expr
    span: Span


@dataclass(frozen=True)
class Derivative:
    """``der(state) = expr``."""

    state: str
    expr: sympy.Expr
    span: Span


@dataclass(frozen=True)
class SimulateOptions:
    """Defaults from ``simulate`` lines; ``None`` means not given."""

    t0: float | None = None
    t1: float | None = None
    method: str | None = None
    rtol: float | None = None
    atol: float | None = None
    points: int | None = None
    span: Span | None = None


@dataclass(frozen=True)
class Model:
    """A whole model: declarations in source order, plus its source text.

    ``lets`` are kept in source order (a valid model has no cycles among them);
    ``derivatives`` are in the order of ``states``.
    """

    name: str
    doc: str | None
    parameters: tuple[Parameter, ...]
    states: tuple[State, ...]
    lets: tuple[Let, ...]
    observes: tuple[Observe, ...]
    derivatives: tuple[Derivative, ...]
    simulate: SimulateOptions = field(default_factory=SimulateOptions)
    file: str = "<string>"
    source: str = ""

    @property
    def state_names(self) -> tuple[str, ...]:
        """State names in declaration order (the order of the state vector)."""
        return tuple(s.name for s in self.states)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """Parameter names in declaration order (the order of the parameter vector)."""
        return tuple(p.name for p in self.parameters)

    @property
    def observe_names(self) -> tuple[str, ...]:
        """Observable names in declaration order."""
        return tuple(o.name for o in self.observes)

    def derivative_of(self, state: str) -> Derivative:
        """The ``der`` equation of ``state``."""
        for d in self.derivatives:
            if d.state == state:
                return d
        raise KeyError(state)
