"""Parse tree -> statement records with SymPy expressions (no `sympify`, ever).

`ModelTransformer` builds SymPy objects node by node from the lark tree. Each
expression node becomes an `Value` carrying its SymPy value, whether it is a
condition (a comparison or and/or/not) rather than a number, its span and the
names it uses. Problems found here (a condition used as a number, a wrong
number of arguments, an unknown function, a construct of a later language
section) are collected as diagnostics and a placeholder stands in, so that
independent problems in one file are all reported.
"""

from __future__ import annotations

import difflib
import inspect
from typing import Callable, NamedTuple

import sympy
from lark import Token, Transformer_NonRecursive, v_args
from lark.exceptions import GrammarError, VisitError

from .. import ir
from ..errors import Diagnostic, Span
from ..functions import FUNCTIONS
from .. import spatial
from . import constants
from .syntax import (AxisUse, BoundaryStmt, Decl, Der, DomainOption, DomainStmt, Header, Program,
                     RateItem, ReactionStmt, Ref, SimOption, Term)

__all__ = ["ModelTransformer", "Value", "merged_refs", "PLACEHOLDER"]

# Stands in for a sub-expression that could not be built; never reaches the IR,
# because any diagnostic stops the build.
PLACEHOLDER = sympy.Symbol("__modelc_error__")
"""The value of a subexpression that had an error (reported; the parse goes on)."""
_CONSTANT_HINT = ("the generated code computes in double precision: keep constants finite, "
                  "within about 1e-308..1e308, and real")
_CONDITION_HINT = "comparisons and and/or/not are conditions: use them as the first argument of if(condition, a, b)"


class Value(NamedTuple):
    """An expression node: its SymPy value, whether it is a condition, span and names used."""

    expr: sympy.Basic
    boolean: bool
    span: Span
    refs: tuple[Ref, ...]


def merged_refs(*vals: Value) -> tuple[Ref, ...]:
    """The names used by all of ``vals``, in order."""
    return tuple(ref for v in vals for ref in v.refs)


_RULES: dict = {}


def _rule(cls: type, data: str):
    """``(visit_wrapper, function)`` of the ``v_args`` method of ``cls`` for rule ``data``,
    or None where lark's own dispatch is needed (memoised per class and rule)."""
    key = (cls, data)
    if key not in _RULES:
        try:
            raw = inspect.getattr_static(cls, data)
        except AttributeError:
            raw = None
        func = getattr(raw, "base_func", None)
        wrapper = getattr(raw, "visit_wrapper", None)
        _RULES[key] = (wrapper, func) if inspect.isfunction(func) and wrapper else None
    return _RULES[key]


def _unescape(text: str) -> str:
    """The value of a STRING token: quotes removed, backslash escapes resolved by hand."""
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    out, chars = [], iter(text[1:-1])
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            out.append(escapes.get(nxt, "\\" + nxt))
        else:
            out.append(ch)
    return "".join(out)


@v_args(meta=True)
class ModelTransformer(Transformer_NonRecursive):
    """Turns a parse tree of `grammar/modelc.lark` into a `Program`.

    Args:
        file: the file name shown in spans.
        source: the whole source text (for statement spans that run over lines).
        line_offset: added to every line number (when the tree is of one
            statement cut out of the file).
        lines: ``source.split("\n")``, if the caller has it already.

    After `transform`, ``diagnostics`` holds every problem found on the way.
    """

    def __init__(self, file: str, source: str, line_offset: int = 0, lines: list[str] | None = None,
                 real_names: set[str] | None = None,
                 externals: dict[str, tuple[int, int, int]] | None = None):
        super().__init__(visit_tokens=False)
        self.file = file
        self.source = source
        self._offset = line_offset
        self._lines = source.split("\n") if lines is None else lines
        self._real_names = real_names
        self._externals = dict(externals or {})
        self.array_states: set[str] = set()
        self.external_arguments: dict[str, tuple[str, ...]] = {}
        self.diagnostics: list[Diagnostic] = []
        self.axis_uses: list[AxisUse] = []
        self.complex_fields: set[str] = set()

    def transform(self, tree):
        """The `Program` of ``tree`` (its chains of sums flattened first, see
        `constants.flatten_sums`)."""
        return super().transform(constants.flatten_sums(tree))

    def _call_userfunc(self, tree, new_children=None):
        """lark's dispatch of a node to its rule's method, without the wrapper objects
        that lark's ``v_args`` builds on every call (a quarter of the transform's time on
        a large file); an exception is wrapped in `VisitError` as lark does."""
        rule = _rule(type(self), tree.data)
        if rule is None:   # no method (lark's __default__) or not wrapped by v_args
            return super()._call_userfunc(tree, new_children)
        visit_wrapper, func = rule
        children = new_children if new_children is not None else tree.children
        try:
            return visit_wrapper(func.__get__(self), tree.data, children, tree.meta)
        except GrammarError:
            raise
        except Exception as exc:
            raise VisitError(tree.data, tree, exc) from exc

    # ---- spans and diagnostics -------------------------------------------------

    def _span(self, line: int, col: int, end_line: int | None, end_col: int | None) -> Span:
        line += self._offset
        if end_line is not None and end_line + self._offset != line:
            text = self._lines[line - 1] if 0 < line <= len(self._lines) else ""
            end_col = len(text.rstrip()) + 1
        return Span(self.file, line, col, end_col)

    def _tok_span(self, tok: Token) -> Span:
        return self._span(tok.line, tok.column, tok.end_line, tok.end_column)

    def _meta_span(self, meta) -> Span:
        return self._span(meta.line, meta.column, meta.end_line, meta.end_column)

    def _error(self, span: Span, message: str, hint: str = "") -> None:
        self.diagnostics.append(Diagnostic(span, message, hint))

    def _text(self, span: Span) -> str:
        """The source text under a one-line span, for messages."""
        if 0 < span.line <= len(self._lines) and span.end_col:
            return self._lines[span.line - 1][span.col - 1 : span.end_col - 1]
        return "this"

    def _num(self, val: Value) -> Value:
        """`val` if it is a number; else report it and return a placeholder number."""
        if not val.boolean:
            return val
        self._error(val.span, f"`{self._text(val.span)}` is a condition, not a number", _CONDITION_HINT)
        return Value(PLACEHOLDER, False, val.span, val.refs)

    def _cond(self, val: Value) -> Value:
        """`val` if it is a condition; else report it and return a placeholder condition."""
        if val.boolean:
            return val
        self._error(
            val.span,
            f"`{self._text(val.span)}` is a number, not a condition",
            "write a comparison such as `x > 0`; combine conditions with and, or, not",
        )
        return Value(sympy.true, True, val.span, val.refs)

    def _build(self, span: Span, what: str, fn: Callable, *args, constant: bool = False) -> sympy.Basic:
        """Call a SymPy constructor; a failure, a value that is not finite or one that
        is complex in a real model (see `constants.problem`) becomes a diagnostic."""
        try:
            value = constants.rounded(fn(*args))
            if constant:
                value = constants.evaluated(value, self._real_names is None)
        except RecursionError:
            raise
        except ZeroDivisionError:   # mpmath on a Float zero (1.0/0.0^pi)
            self._error(span, f"`{self._text(span)}` is a division by zero", _CONSTANT_HINT)
            return PLACEHOLDER
        except Exception as exc:  # SymPy raises many kinds (TypeError, ValueError, ...)
            self._error(span, f"cannot build {what}: {exc}", "check the arguments' values and types")
            return PLACEHOLDER
        problem = constants.problem(value, constant, self._real_names is None)
        if problem is None:
            return value
        self._error(span, f"`{self._text(span)}` {problem}", _CONSTANT_HINT)
        return PLACEHOLDER

    # ---- atoms -------------------------------------------------------------------

    def number(self, meta, children) -> Value:
        tok = children[0]
        span = self._tok_span(tok)
        text = str(tok)
        return Value(self._literal(span, text), False, span, ())

    def _literal(self, span: Span, text: str) -> sympy.Basic:
        """The value of a number literal; one beyond double range (``1e999``) is reported
        (by `_build`)."""
        if len(text) > 400:
            self._error(span, f"the number `{text[:20]}...` has {len(text)} characters",
                        "write it with an exponent, e.g. 1.5e30")
            return PLACEHOLDER
        return self._build(span, f"the number `{text[:20]}`", constants.literal, text, constant=True)

    def name(self, meta, children) -> Value:
        tok = children[0]
        span = self._tok_span(tok)
        if tok == "pi":
            return Value(sympy.pi, False, span, ())
        if tok == "I":
            if self._real_names is None:
                self._error(span, "`I` (the imaginary unit) in a model without complex fields",
                            "a real model computes real numbers only; declare `field psi: complex = ...` "
                            "for complex values. `I` is reserved: to name a quantity, choose another "
                            "name, e.g. `I_s`")
                return Value(PLACEHOLDER, False, span, ())
            return Value(sympy.I, False, span, ())
        name = str(tok)
        if name in self._externals:
            arity = self._externals[name][0]
            self._error(span, f"`{name}` is an external function: call it with {arity} "
                        f"argument{'s' if arity != 1 else ''}", f"write e.g. `{_usage(name, arity)}`")
            return Value(PLACEHOLDER, False, span, ())
        if self._real_names is not None and name not in self._real_names:
            # A model with complex fields: names that may hold complex values carry no
            # `real` assumption, so that SymPy keeps abs(psi)^2 as it is.
            return Value(sympy.Symbol(name), False, span, (Ref(name, span),))
        return Value(ir.symbol(name), False, span, (Ref(name, span),))

    def arguments(self, meta, children) -> list[Value]:
        return list(children)

    def call(self, meta, children) -> Value:
        tok, args = children[0], children[1] or []
        span = self._meta_span(meta)
        name = str(tok)
        refs = merged_refs(*args)
        if name == "if":
            return self._if(span, args, refs)
        if name in _SPATIAL_CALLS:
            return _SPATIAL_CALLS[name](self, span, args)
        if name in self._externals:
            return self._external_call(tok, span, args, refs)
        fn = FUNCTIONS.get(name)
        if fn is None:
            self._unknown_function(tok)
            return Value(PLACEHOLDER, False, span, refs)
        if len(args) != fn.arity:
            usage = f"{name}({', '.join('xyz'[: fn.arity])})"
            plural = "argument" if fn.arity == 1 else "arguments"
            self._error(
                span,
                f"`{name}` takes {fn.arity} {plural}, got {len(args)}",
                f"write `{usage}` ({fn.doc})",
            )
            return Value(PLACEHOLDER, False, span, refs)
        values = [self._num(a).expr for a in args]
        value = self._build(span, f"`{name}(...)`", fn.build, *values, constant=not refs)
        return Value(value, False, span, refs)

    def _external_call(self, tok: Token, span: Span, args: list[Value], refs: tuple[Ref, ...]) -> Value:
        """A call of a declared ``external``: checked for arity and order, built as
        `modelc.ir.external_call` (an undefined SymPy function applied to the arguments)."""
        name = str(tok)
        arity, line, col = self._externals[name]
        where = (span.line, span.col)
        if where < (line, col):
            self._error(span, f"external `{name}` is used before its declaration on line {line}",
                        f"move `external {_usage(name, arity)}` above its first use")
            return Value(PLACEHOLDER, False, span, refs)
        if len(args) != arity:
            self._error(span, f"external `{name}` takes {arity} argument{'s' if arity != 1 else ''}, "
                        f"got {len(args)}", f"it is declared on line {line}: call it as `{_usage(name, arity)}`")
            return Value(PLACEHOLDER, False, span, refs)
        values = [self._num(a).expr for a in args]
        call_ref = Ref(name, self._tok_span(tok))
        return Value(ir.external_call(name, values), False, span, refs + (call_ref,))

    def _if(self, span: Span, args: list[Value], refs: tuple[Ref, ...]) -> Value:
        if len(args) != 3:
            self._error(
                span,
                f"`if` takes 3 arguments, got {len(args)}",
                "write `if(condition, value_if_true, value_if_false)`",
            )
            return Value(PLACEHOLDER, False, span, refs)
        cond, a, b = self._cond(args[0]), self._num(args[1]), self._num(args[2])
        pieces = ((a.expr, cond.expr), (b.expr, True))
        return Value(self._build(span, "`if(...)`", sympy.Piecewise, *pieces), False, span, refs)

    def _diff(self, span: Span, args: list[Value]) -> Value:
        """``diff(expr, x)`` or ``diff(expr, x, n)``: the axis is a bare name, n a whole number."""
        refs = merged_refs(*args)
        if len(args) not in (2, 3):
            self._error(span, f"`diff` takes 2 or 3 arguments, got {len(args)}",
                        "write `diff(u, x)` or `diff(u, x, 2)` (the n-th derivative along axis x)")
            return Value(PLACEHOLDER, False, span, refs)
        expr, axis = self._num(args[0]), args[1]
        if not (isinstance(axis.expr, sympy.Symbol) and len(axis.refs) == 1):
            self._error(axis.span, f"`{self._text(axis.span)}` is not an axis name",
                        "the second argument of diff is a domain axis, e.g. `diff(u, x)`")
            return Value(PLACEHOLDER, False, span, refs)
        order = sympy.Integer(1)
        if len(args) == 3:
            order = args[2].expr
            if args[2].refs or not (order.is_Integer and order >= 1):
                self._error(args[2].span, f"the derivative order `{self._text(args[2].span)}` must be a "
                            "whole number of at least 1",
                            "write e.g. `diff(u, x, 2)` for the second derivative")
                return Value(PLACEHOLDER, False, span, refs)
        self.axis_uses.append(AxisUse(axis.refs[0].name, axis.span, span))
        value = spatial.Diff(expr.expr, sympy.Symbol(axis.refs[0].name, real=True), order)
        return Value(value, False, span, expr.refs)

    def _one_argument(self, name: str, node) -> Callable:
        def build(span: Span, args: list[Value]) -> Value:
            if len(args) != 1:
                self._error(span, f"`{name}` takes 1 argument, got {len(args)}", f"write `{name}(expression)`")
                return Value(PLACEHOLDER, False, span, merged_refs(*args))
            arg = self._num(args[0])
            return Value(node(arg.expr), False, span, arg.refs)
        return build

    def _unknown_function(self, tok: Token) -> None:
        name = str(tok)
        span = self._tok_span(tok)
        close = difflib.get_close_matches(name, [*FUNCTIONS, "if"], n=1)
        hint = f"did you mean `{close[0]}`? " if close else ""
        hint += (f"The functions are {', '.join(FUNCTIONS)} and if(cond, a, b); to multiply by a "
                 f"parameter `{name}`, write `{name}*(...)`.")
        self._error(span, f"unknown function `{name}`", hint)

    # ---- operators ---------------------------------------------------------------

    def _binary(self, meta, children, what: str, op: Callable) -> Value:
        a, b = self._num(children[0]), self._num(children[-1])
        span = self._meta_span(meta)
        refs = merged_refs(a, b)
        return Value(self._build(span, what, op, a.expr, b.expr, constant=not refs), False, span, refs)

    def sum_chain(self, meta, children) -> Value:
        """``a + b - c + ...`` (a chain flattened by `constants.flatten_sums`), built at once."""
        terms = [self._num(children[0])] + [self._num(c) for c in children[2::2]]
        signs = [1] + [1 if str(s) == "+" else -1 for s in children[1::2]]
        span = self._meta_span(meta)
        refs = merged_refs(*terms)
        value = self._build(span, "a sum", lambda: sympy.Add(*(t.expr if s > 0 else -t.expr
                                                              for s, t in zip(signs, terms))),
                            constant=not refs)
        return Value(value, False, span, refs)

    def add(self, meta, children) -> Value:
        return self._binary(meta, children, "a sum", lambda a, b: a + b)

    def sub(self, meta, children) -> Value:
        return self._binary(meta, children, "a difference", lambda a, b: a - b)

    def mul(self, meta, children) -> Value:
        return self._binary(meta, children, "a product", lambda a, b: a * b)

    def div(self, meta, children) -> Value:
        return self._binary(meta, children, "a quotient", lambda a, b: a / b)

    def pow(self, meta, children) -> Value:
        return self._binary(meta, children, "a power", constants.power)

    def neg(self, meta, children) -> Value:
        a = self._num(children[0])
        span = self._meta_span(meta)
        value = self._build(span, "a negation", lambda x: -x, a.expr, constant=not a.refs)
        return Value(value, False, span, a.refs)

    def compare(self, meta, children) -> Value:
        a, op, b = self._num(children[0]), str(children[1]), self._num(children[2])
        span = self._meta_span(meta)
        value = self._build(span, f"the comparison `{op}`", _COMPARISONS[op], a.expr, b.expr)
        return Value(value, True, span, merged_refs(a, b))

    def _logic(self, meta, children, word: str, op: Callable) -> Value:
        vals = [self._cond(c) for c in children if isinstance(c, Value)]
        span = self._meta_span(meta)
        value = self._build(span, f"`{word}`", op, *(v.expr for v in vals))
        return Value(value, True, span, merged_refs(*vals))

    def and_(self, meta, children) -> Value:
        return self._logic(meta, children, "and", sympy.And)

    def or_(self, meta, children) -> Value:
        return self._logic(meta, children, "or", sympy.Or)

    def not_(self, meta, children) -> Value:
        return self._logic(meta, children, "not", sympy.Not)

    # ---- statements --------------------------------------------------------------

    def binding(self, meta, children):
        tok, val = children
        return tok, self._num(val), self._meta_span(meta)

    def _decls(self, kind: str, bindings) -> list[Decl]:
        return [
            Decl(kind, str(tok), self._tok_span(tok), val.expr, val.refs, span)
            for tok, val, span in (b for b in bindings if b is not None)
        ]

    def parameter_decl(self, meta, children) -> list[Decl]:
        return self._decls("parameter", children)

    def state_decl(self, meta, children) -> list[Decl]:
        decls = []
        for child in children:  # a binding, or the list `typed_state` returns
            decls += child if isinstance(child, list) else self._decls("state", [child])
        return decls

    def let_decl(self, meta, children) -> list[Decl]:
        return self._decls("let", children)

    def observe_decl(self, meta, children) -> list[Decl]:
        return self._decls("observe", children)

    def species_decl(self, meta, children) -> list[Decl]:
        return self._decls("species", children)

    def typed_state(self, meta, children) -> list[Decl]:
        tok, kind = children
        if str(kind) != "array":
            self._error(self._tok_span(kind), f"unknown state type `{kind}`",
                        f"write `state {tok}: array` for an array state (states are scalars otherwise)")
            return []
        self.array_states.add(str(tok))
        return [Decl("state", str(tok), self._tok_span(tok), sympy.Integer(0), (), self._meta_span(meta))]

    def typed_state_value(self, meta, children) -> None:
        tok, kind = children[0], children[1]
        self._error(children[2].span, f"array state `{tok}` takes its value from y0 at solve time, not from the file",
                    f"write `state {tok}: {kind}` and pass y0={{'{tok}': array}} to solve")

    def external_decl(self, meta, children) -> list[Decl]:
        tok, *params = children
        params = [p for p in params if p is not None]
        arity = sympy.Integer(len(params))
        self.external_arguments.setdefault(str(tok), tuple(str(p) for p in params))
        return [Decl("external", str(tok), self._tok_span(tok), arity, (), self._meta_span(meta))]

    def der_decl(self, meta, children) -> Der:
        tok, val = children
        val = self._num(val)
        return Der(str(tok), self._tok_span(tok), val.expr, val.refs, self._meta_span(meta))

    def model_header(self, meta, children) -> Header:
        tok, doc = children
        return Header(str(tok), _unescape(str(doc)) if doc is not None else None, self._meta_span(meta))

    def simulate_decl(self, meta, children) -> list[SimOption]:
        return list(children)

    def sim_interval(self, meta, children) -> SimOption:
        tok, a, b = children[0], self._num(children[1]), self._num(children[2])
        return SimOption(
            str(tok), self._tok_span(tok), (a.expr, b.expr), (a.span, b.span), (a.refs, b.refs), True,
            self._meta_span(meta)
        )

    def sim_value(self, meta, children) -> SimOption:
        tok, v = children[0], self._num(children[1])
        return SimOption(str(tok), self._tok_span(tok), (v.expr,), (v.span,), (v.refs,), False, self._meta_span(meta))

    # ---- reactions (validated in check_reactions.py) ----------------------------

    def reaction_decl(self, meta, children) -> ReactionStmt:
        label, reactants, arrow, products, *rates = children
        label_name, label_span = label if label is not None else (None, None)
        return ReactionStmt(
            label_name,
            label_span,
            reactants,
            products,
            str(arrow),
            self._tok_span(arrow),
            tuple(r for r in rates if r is not None),
            self._meta_span(meta),
        )

    def reaction_label(self, meta, children) -> tuple[str, Span]:
        return str(children[0]), self._tok_span(children[0])

    def reaction_side(self, meta, children) -> tuple[Term, ...]:
        return tuple(children)

    def _term(self, meta, number: Token | None, name: Token | None, negative: bool) -> Term:
        coefficient = None
        if number is not None:
            coefficient = self._literal(self._tok_span(number), str(number))
        return Term(
            str(name) if name is not None else None,
            self._tok_span(name) if name is not None else None,
            coefficient,
            self._tok_span(number) if number is not None else None,
            negative,
            self._meta_span(meta),
        )

    def term(self, meta, children) -> Term:
        return self._term(meta, None, children[0], False)

    def term_coefficient(self, meta, children) -> Term:
        return self._term(meta, children[0], children[1], False)

    def term_number(self, meta, children) -> Term:
        return self._term(meta, children[0], None, False)

    def term_negative(self, meta, children) -> Term:
        number, name = children if len(children) == 2 else (None, children[0])
        return self._term(meta, number, name, True)

    def rate_constant(self, meta, children) -> RateItem:
        val = self._num(children[0])
        return RateItem(None, None, val.expr, val.refs, val.span)

    def rate_option(self, meta, children) -> RateItem:
        tok, val = children[0], self._num(children[1])
        return RateItem(str(tok), self._tok_span(tok), val.expr, val.refs, self._meta_span(meta))

    # ---- fields and PDEs (validated in check_fields.py) -----------------------------

    def domain_decl(self, meta, children) -> DomainStmt:
        tok, lower, upper, *options = children
        lower, upper = self._num(lower), self._num(upper)
        options = tuple(o for o in options if o is not None)
        refs = merged_refs(lower, upper) + tuple(r for o in options if o.key not in ("method", "dealias")
                                                 for r in o.refs)
        return DomainStmt(str(tok), self._tok_span(tok), lower.expr, upper.expr, options, refs,
                          self._meta_span(meta))

    def domain_value(self, meta, children) -> DomainOption:
        tok, val = children[0], self._num(children[1])
        return DomainOption(str(tok), self._tok_span(tok), val.expr, val.span, val.refs)

    def domain_flag(self, meta, children) -> DomainOption:
        tok = children[0]
        return DomainOption(str(tok), self._tok_span(tok), None, None, ())

    def field_decl(self, meta, children) -> list[Decl]:
        return self._decls("field", children)

    def typed_field(self, meta, children):
        tok, kind, val = children
        if str(kind) not in ("complex", "real"):
            self._error(self._tok_span(kind), f"unknown field type `{kind}`",
                        "write `field psi: complex = ...` for a complex field (fields are real otherwise)")
        if str(kind) == "complex":
            self.complex_fields.add(str(tok))
        return tok, self._num(val), self._meta_span(meta)

    def boundary_decl(self, meta, children) -> BoundaryStmt:
        lhs, value, axis, position = children
        lhs, value, position = self._num(lhs), self._num(value), self._num(position)
        return BoundaryStmt(lhs.expr, lhs.refs, lhs.span, value.expr, value.refs, value.span,
                            str(axis), self._tok_span(axis), position.expr, position.refs,
                            position.span, self._meta_span(meta))

    def start(self, meta, children) -> Program:
        program = Program(self.file, self.source)
        program.axis_uses = list(self.axis_uses)
        program.complex_fields = set(self.complex_fields)
        program.array_states = set(self.array_states)
        program.external_arguments = dict(self.external_arguments)
        for child in children:
            for statement in child if isinstance(child, list) else [child]:
                if statement is not None:
                    program.add(statement)
        return program


def _usage(name: str, arity: int) -> str:
    """``eps(x1, x2)``: how to call an external of ``arity`` arguments."""
    return f"{name}({', '.join(f'x{i + 1}' for i in range(arity))})"


_SPATIAL_CALLS: dict[str, Callable] = {
    "diff": ModelTransformer._diff,
    "laplacian": lambda self, span, args: self._one_argument("laplacian", spatial.Laplacian)(span, args),
    "integral": lambda self, span, args: self._one_argument("integral", spatial.DomainIntegral)(span, args),
}

_COMPARISONS: dict[str, Callable] = {
    "<": sympy.Lt,
    "<=": sympy.Le,
    ">": sympy.Gt,
    ">=": sympy.Ge,
    "==": sympy.Eq,
    "!=": sympy.Ne,
}
