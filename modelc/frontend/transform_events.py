"""Parse tree -> records for events, constraints, ``der(x)`` and ``delay(expr, tau)``.

`EventTransformer` extends `ModelTransformer` (the rest of the language) with
the rules of the "Events, delays and constraints" section, so that the base
transformer stays as it was. The parser uses this class. What is built here is
validated by `check_events.py`.
"""

from __future__ import annotations

import sympy
from lark import v_args

from .. import ir
from ..errors import Span
from .syntax import ConstraintStmt, DelayUse, DerUse, EventAction, EventOption, EventStmt, Program
from .transform import PLACEHOLDER, ModelTransformer, merged_refs, Value

__all__ = ["EventTransformer"]


@v_args(meta=True)
class EventTransformer(ModelTransformer):
    """`ModelTransformer` plus events, constraints, ``der(x)`` as a value and ``delay``.

    After `transform`, the program also holds every ``der(x)`` and ``delay`` use
    (``Program.der_uses``, ``Program.delay_uses``) for the checker.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.der_uses: list[DerUse] = []
        self.delay_uses: list[DelayUse] = []

    # ---- der(x) and delay(expr, tau) in expressions ---------------------------------

    def call(self, meta, children) -> Value:
        name = str(children[0])
        if name in ("der", "delay") and name not in self._externals:
            span = self._meta_span(meta)
            args = children[1] or []
            return self._der_value(span, args) if name == "der" else self._delay(span, args)
        return super().call(meta, children)

    def _der_value(self, span: Span, args: list[Value]) -> Value:
        """``der(x)`` inside an expression: `ir.DerValue` of the state's symbol."""
        refs = merged_refs(*args)
        if len(args) != 1 or not (isinstance(args[0].expr, sympy.Symbol) and len(args[0].refs) == 1):
            self._error(span, "`der(...)` in an expression takes the name of one state or species",
                        "write e.g. `der(x)`; for the rate of change of a sum, add the ders: `der(x) + der(y)`")
            return Value(PLACEHOLDER, False, span, refs)
        ref = args[0].refs[0]
        self.der_uses.append(DerUse(ref.name, ref.span, span))
        return Value(ir.DerValue(args[0].expr), False, span, refs)

    def _delay(self, span: Span, args: list[Value]) -> Value:
        """``delay(expr, tau)``: `ir.Delay`; tau is checked (non-negative) by the checker."""
        refs = merged_refs(*args)
        if len(args) != 2:
            self._error(span, f"`delay` takes 2 arguments, got {len(args)}",
                        "write `delay(expr, tau)`: expr's value at time t - tau")
            return Value(PLACEHOLDER, False, span, refs)
        value, tau = self._num(args[0]), self._num(args[1])
        self.delay_uses.append(DelayUse(tau.expr, tau.span, tau.refs, span))
        return Value(ir.Delay(value.expr, tau.expr), False, span, refs)

    # ---- statements -------------------------------------------------------------------

    def event_decl(self, meta, children) -> EventStmt:
        name, condition, *rest = children
        actions = rest.pop() if rest else []
        condition = self._cond(condition)
        return EventStmt(
            str(name) if name is not None else None,
            self._tok_span(name) if name is not None else None,
            condition.expr, condition.span, condition.refs,
            tuple(o for o in rest if o is not None), tuple(actions), self._meta_span(meta),
        )

    def event_option(self, meta, children) -> EventOption:
        tok, val = children
        word = None
        if isinstance(val.expr, sympy.Symbol) and len(val.refs) == 1 and not val.boolean:
            word = val.refs[0].name
        val = self._num(val)
        return EventOption(str(tok), self._tok_span(tok), val.expr, val.span, val.refs, word)

    def event_actions(self, meta, children) -> list[EventAction]:
        return list(children)

    def event_assign(self, meta, children) -> EventAction:
        tok, val = children[0], self._num(children[1])
        return EventAction(str(tok), self._tok_span(tok), val.expr, val.refs, self._meta_span(meta))

    def event_word(self, meta, children) -> EventAction:
        tok = children[0]
        return EventAction(str(tok), self._tok_span(tok), None, (), self._meta_span(meta))

    def constraint_decl(self, meta, children) -> ConstraintStmt:
        lhs, rhs = self._num(children[0]), self._num(children[1])
        return ConstraintStmt(lhs.expr, rhs.expr, merged_refs(lhs, rhs), self._meta_span(meta))

    def start(self, meta, children) -> Program:
        program = super().start(meta, children)
        program.der_uses = list(self.der_uses)
        program.delay_uses = list(self.delay_uses)
        return program
