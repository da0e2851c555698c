"""Statements as parsed, before the semantic checks turn them into a `Model`.

The transformer (`transform.py`) produces these records; `check.py` reads them
and `parser.py` assembles the IR from them once they pass. Each record keeps the
span of the whole statement item and of the name it declares or uses, and every
name its expression refers to (`Ref`), because SymPy simplifies some uses away
(`b - b` is 0) and the checker must still see them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from ..errors import Span

__all__ = [
    "STATEMENT_WORDS",
    "FUTURE_WORDS",
    "CONSTANTS",
    "CONDITION_WORDS",
    "RESERVED",
    "Ref",
    "Header",
    "Decl",
    "Der",
    "SimOption",
    "Term",
    "RateItem",
    "ReactionStmt",
    "DomainOption",
    "DomainStmt",
    "BoundaryStmt",
    "AxisUse",
    "EVENT_WORDS",
    "EventOption",
    "EventAction",
    "EventStmt",
    "ConstraintStmt",
    "DerUse",
    "DelayUse",
    "Program",
]

#: Words that begin a statement; they are never a user's name.
STATEMENT_WORDS = frozenset(
    "model parameter state species let der observe reaction domain field "
    "boundary external simulate".split()
)
#: Statement words of language sections this version does not build yet (none now).
FUTURE_WORDS: frozenset[str] = frozenset()
#: Names with a fixed meaning in expressions: time, pi and the imaginary unit.
CONSTANTS = {"t": "time", "pi": "the constant pi", "I": "the imaginary unit"}
#: Words of conditions; a name spelled like one could never be used.
CONDITION_WORDS = frozenset({"and", "or", "not", "if"})
RESERVED = STATEMENT_WORDS | frozenset(CONSTANTS) | CONDITION_WORDS
#: Words that begin an event or constraint statement: keywords only in that position, so
#: (unlike `STATEMENT_WORDS`) a parameter may still be named `event` or `constraint`.
EVENT_WORDS = frozenset({"event", "constraint"})


@dataclass(frozen=True)
class Ref:
    """One use of a name inside an expression (``t`` included; ``pi`` and ``I`` not)."""

    name: str
    span: Span


@dataclass(frozen=True)
class Header:
    """``model name "doc"``."""

    name: str
    doc: str | None
    span: Span


@dataclass(frozen=True)
class Decl:
    """One ``name = expr`` item of a ``parameter``, ``state``, ``species``, ``let`` or ``observe`` line.

    Also ``external eps(x, t)`` (kind ``"external"``, ``expr`` its arity) and
    ``state x: array`` (kind ``"state"``, ``expr`` 0, the name in
    ``Program.array_states``).
    """

    kind: str
    name: str
    name_span: Span
    expr: sympy.Expr
    refs: tuple[Ref, ...]
    span: Span


@dataclass(frozen=True)
class Der:
    """``der(state) = expr``."""

    state: str
    name_span: Span
    expr: sympy.Expr
    refs: tuple[Ref, ...]
    span: Span


@dataclass(frozen=True)
class SimOption:
    """One ``key = value`` item of a ``simulate`` line; ``values`` has two items for ``[a, b]``."""

    key: str
    key_span: Span
    values: tuple[sympy.Expr, ...]
    value_spans: tuple[Span, ...]
    value_refs: tuple[tuple[Ref, ...], ...]
    interval: bool
    span: Span


@dataclass(frozen=True)
class Term:
    """One term of a reaction side: ``2B`` is ``Term("B", span, 2, coefficient span)``.

    ``name`` is ``None`` for a bare number (only ``0``, no species, is valid);
    ``coefficient`` is the number as written (``None`` when there is none) and
    ``negative`` tells that a ``-`` came before it. The checker validates them.
    """

    name: str | None
    name_span: Span | None
    coefficient: sympy.Number | None
    coefficient_span: Span | None
    negative: bool
    span: Span


@dataclass(frozen=True)
class RateItem:
    """One item after a reaction's products: a rate constant, or ``key = expr`` (``key`` is ``None`` for a constant)."""

    key: str | None
    key_span: Span | None
    expr: sympy.Expr
    refs: tuple[Ref, ...]
    span: Span


@dataclass(frozen=True)
class ReactionStmt:
    """``reaction [label:] reactants -> products, rates`` as written (``arrow`` is ``->`` or ``<->``)."""

    label: str | None
    label_span: Span | None
    reactants: tuple[Term, ...]
    products: tuple[Term, ...]
    arrow: str
    arrow_span: Span
    rates: tuple[RateItem, ...]
    span: Span


@dataclass(frozen=True)
class DomainOption:
    """One option of a ``domain`` line: a flag word (``value`` is None) or ``key = value``."""

    key: str
    key_span: Span
    value: sympy.Expr | None
    value_span: Span | None
    refs: tuple[Ref, ...]


@dataclass(frozen=True)
class DomainStmt:
    """``domain x = [lower, upper], options``; also filed as a ``domain`` `Decl` of ``x``."""

    name: str
    name_span: Span
    lower: sympy.Expr
    upper: sympy.Expr
    options: tuple[DomainOption, ...]
    refs: tuple[Ref, ...]
    span: Span


@dataclass(frozen=True)
class BoundaryStmt:
    """``boundary lhs = value at axis = position`` as written."""

    lhs: sympy.Expr
    lhs_refs: tuple[Ref, ...]
    lhs_span: Span
    value: sympy.Expr
    value_refs: tuple[Ref, ...]
    value_span: Span
    axis: str
    axis_span: Span
    position: sympy.Expr
    position_refs: tuple[Ref, ...]
    position_span: Span
    span: Span


@dataclass(frozen=True)
class AxisUse:
    """The axis argument of ``diff(expr, x, n)`` (checked to be a declared domain axis)."""

    name: str
    span: Span
    call_span: Span


@dataclass(frozen=True)
class EventOption:
    """One ``key = value`` option of an ``event`` line; ``word`` is the value when it is a
    bare name (``true``, ``trigger``), else None."""

    key: str
    key_span: Span
    value: sympy.Expr
    value_span: Span
    refs: tuple[Ref, ...]
    word: str | None


@dataclass(frozen=True)
class EventAction:
    """``name = expr`` in an event's assignment list, or a bare word (``stop``: ``expr`` None)."""

    target: str
    target_span: Span
    expr: sympy.Expr | None
    refs: tuple[Ref, ...]
    span: Span


@dataclass(frozen=True)
class EventStmt:
    """``event [name] when condition [, options]: actions`` as written."""

    name: str | None
    name_span: Span | None
    condition: sympy.Basic
    condition_span: Span
    condition_refs: tuple[Ref, ...]
    options: tuple[EventOption, ...]
    actions: tuple[EventAction, ...]
    span: Span


@dataclass(frozen=True)
class ConstraintStmt:
    """``constraint lhs = rhs`` as written."""

    lhs: sympy.Expr
    rhs: sympy.Expr
    refs: tuple[Ref, ...]
    span: Span


@dataclass(frozen=True)
class DerUse:
    """``der(x)`` used as a value inside an expression (``name`` is x)."""

    name: str
    name_span: Span
    span: Span


@dataclass(frozen=True)
class DelayUse:
    """``delay(expr, tau)`` inside an expression; ``tau`` is checked to be non-negative."""

    tau: sympy.Expr
    tau_span: Span
    tau_refs: tuple[Ref, ...]
    span: Span


@dataclass
class Program:
    """All statements of one file, grouped by kind, each group in source order."""

    file: str
    source: str
    headers: list[Header] = field(default_factory=list)
    decls: list[Decl] = field(default_factory=list)
    ders: list[Der] = field(default_factory=list)
    simulate: list[SimOption] = field(default_factory=list)
    reactions: list[ReactionStmt] = field(default_factory=list)
    domains: list[DomainStmt] = field(default_factory=list)
    boundaries: list[BoundaryStmt] = field(default_factory=list)
    axis_uses: list[AxisUse] = field(default_factory=list)
    complex_fields: set[str] = field(default_factory=set)
    array_states: set[str] = field(default_factory=set)
    external_arguments: dict[str, tuple[str, ...]] = field(default_factory=dict)
    events: list[EventStmt] = field(default_factory=list)
    constraints: list[ConstraintStmt] = field(default_factory=list)
    der_uses: list[DerUse] = field(default_factory=list)
    delay_uses: list[DelayUse] = field(default_factory=list)

    def add(self, statement) -> None:
        """File one statement record under its kind."""
        if isinstance(statement, DomainStmt):
            self.domains.append(statement)
            self.decls.append(Decl("domain", statement.name, statement.name_span, sympy.Integer(0),
                                   statement.refs, statement.span))
        elif isinstance(statement, BoundaryStmt):
            self.boundaries.append(statement)
        elif isinstance(statement, ReactionStmt):
            self.reactions.append(statement)
        elif isinstance(statement, Header):
            self.headers.append(statement)
        elif isinstance(statement, Decl):
            self.decls.append(statement)
        elif isinstance(statement, Der):
            self.ders.append(statement)
        elif isinstance(statement, EventStmt):
            self.events.append(statement)
        elif isinstance(statement, ConstraintStmt):
            self.constraints.append(statement)
        else:
            self.simulate.append(statement)

    def of_kind(self, kind: str) -> list[Decl]:
        """The declarations of one kind (``"parameter"``, ``"state"``, ...) in source order."""
        return [d for d in self.decls if d.kind == kind]
