"""Semantic checks over parsed statements.

`check` returns one `Diagnostic` per problem, each at its culprit's span with a
hint; the caller raises them together in one `ModelError`. The rules:

* a declared name must not be reserved (``t``, ``pi``, ``I``, statement words,
  condition words) nor declared twice (any mix of parameter/state/let/observe);
* every name used must be declared; ``t`` is time;
* a parameter's default may use only parameters declared *before* it;
* a state's initial value may use parameters (in any order), not states,
  lets or ``t``;
* lets, ``der`` equations and observables may use parameters, states, lets
  and ``t``. Lets may be used anywhere in the file, before or after their
  definition, as long as no let depends on itself (directly or through other
  lets); observables are outputs and no expression may use them;
* every state has exactly one ``der``, and ``der`` names a state; a species
  changes only through reactions and has no ``der`` (a species in no reaction
  stays constant);
* a species' initial value, like a state's, may use only parameters; rate
  constants and rate laws may use parameters, states, species, lets and ``t``;
* ``reaction`` lines are checked in `check_reactions.py`;
* ``simulate`` options are known, given once, and plain numbers (constant
  expressions such as ``2*pi`` included).
"""

from __future__ import annotations

import difflib
import math

import sympy

from .. import ir
from ..errors import Diagnostic, Span
from ..functions import FUNCTIONS
from ..methods import ALL_METHOD_NAMES
from .check_events import check_events, event_targets, event_users, pair_constraints
from .check_fields import check_fields
from .check_reactions import check_reactions, reacting_species
from .syntax import CONSTANTS, RESERVED, STATEMENT_WORDS, Decl, Program, Ref, SimOption

__all__ = ["check", "simulate_options", "SIMULATE_METHODS", "SIMULATE_OPTIONS"]

SIMULATE_METHODS = ALL_METHOD_NAMES
SIMULATE_OPTIONS = ("t", "method", "rtol", "atol", "points")

# What each kind of declaration may use in its expression.
_DYNAMIC = {"parameter", "state", "species", "let", "time", "field", "domain"}
_ALLOWED = {
    "parameter": {"parameter"},
    "state": {"parameter"},
    "species": {"parameter"},
    "domain": {"parameter"},
    "field": {"parameter", "domain"},
    "boundary": {"parameter", "time", "domain", "field", "state", "let"},
    "let": _DYNAMIC,
    "observe": _DYNAMIC,
    "der": _DYNAMIC,
    "rate": _DYNAMIC,
    "event": _DYNAMIC,
    "constraint": _DYNAMIC,
}
_ARTICLE = {
    "parameter": "a parameter",
    "state": "a state",
    "species": "a species",
    "field": "a field",
    "domain": "a domain axis",
    "let": "a let",
    "observe": "an observable",
    "external": "an external function",
}


def check(program: Program) -> list[Diagnostic]:
    """All semantic problems of a parsed file, in no particular order.

    Args:
        program: the statements from `modelc.frontend.parser.parse_program`.

    Returns:
        one diagnostic per problem; empty when the model is valid.
    """
    diags: list[Diagnostic] = []
    table = _declare(program, diags)
    diags += _check_header(program)
    diags += _check_uses(program, table)
    diags += _check_ders(program, table)
    diags += check_reactions(program, table)
    diags += check_fields(program, table)
    diags += check_events(program, table)
    diags += _check_let_cycles(program, table)
    diags += _check_arrays(program)
    diags += simulate_options(program)[1]
    return diags


def _suggest(name: str, candidates) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.5)
    return f"did you mean `{close[0]}`?" if close else ""


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _lines(spans: list[Span]) -> str:
    return ", ".join(str(s.line) for s in spans)


# ---- declarations ----------------------------------------------------------------


def _declare(program: Program, diags: list[Diagnostic]) -> dict[str, Decl]:
    """name -> its first valid declaration; reports reserved and duplicate names."""
    table: dict[str, Decl] = {}
    for decl in program.decls:
        if decl.name in RESERVED:
            diags.append(_reserved(decl))
        elif decl.name in table:
            first = table[decl.name]
            diags.append(
                Diagnostic(
                    decl.name_span,
                    f"`{decl.name}` is declared twice: as {_ARTICLE[first.kind]} on line "
                    f"{first.span.line} and again here as {_ARTICLE[decl.kind]}",
                    "each name is declared once; rename one of them or remove this declaration",
                )
            )
        else:
            table[decl.name] = decl
    return table


def _reserved(decl: Decl) -> Diagnostic:
    name = decl.name
    if name in CONSTANTS:
        message = f"`{name}` is reserved for {CONSTANTS[name]} and cannot name {_ARTICLE[decl.kind]}"
    elif name in STATEMENT_WORDS:
        message = f"`{name}` is a statement keyword and cannot name {_ARTICLE[decl.kind]}"
    else:
        message = f"`{name}` is a keyword of conditions and cannot name {_ARTICLE[decl.kind]}"
    return Diagnostic(decl.name_span, message, f"choose another name, e.g. `{name}_{decl.kind[0]}`")


def _check_header(program: Program) -> list[Diagnostic]:
    first, *rest = program.headers or [None]
    return [
        Diagnostic(
            h.span,
            f"a second `model` line: the model is already named `{first.name}` on line {first.span.line}",
            "keep one `model` line at the top of the file",
        )
        for h in rest
    ]


# ---- uses of names -----------------------------------------------------------------


def _check_uses(program: Program, table: dict[str, Decl]) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    undefined: dict[str, list[Span]] = {}
    users = [(d.kind, d.name, d.refs, d) for d in program.decls] + [
        ("der", d.state, d.refs, None) for d in program.ders
    ] + [("rate", r.label, item.refs, None) for r in program.reactions for item in r.rates] + [
        ("boundary", "", b.lhs_refs + b.value_refs, None) for b in program.boundaries] + [
        (kind, owner, refs, None) for kind, owner, refs in event_users(program)]
    for kind, owner, refs, decl in users:
        for ref in refs:
            if ref.name != "t" and ref.name not in table:
                undefined.setdefault(ref.name, []).append(ref.span)
                continue
            problem = _misuse(kind, owner, ref, table, decl)
            if problem:
                diags.append(problem)
    for name, spans in undefined.items():
        diags.append(_undefined(name, sorted(spans, key=lambda s: (s.line, s.col)), table))
    return diags


def _misuse(kind: str, owner: str, ref: Ref, table: dict[str, Decl], decl: Decl | None) -> Diagnostic | None:
    """A problem with one use of a declared name (or `t`) in a `kind` expression, if any."""
    target = table.get(ref.name)
    used = "time" if ref.name == "t" else target.kind
    if used == "observe":
        return Diagnostic(
            ref.span,
            f"`{ref.name}` is an observable: an output, which expressions cannot use",
            f"to reuse its value, define it with `let {ref.name} = ...` (and observe that let if needed)",
        )
    if used == "external":
        if kind in ("der", "let"):
            return None
        return Diagnostic(ref.span, f"external function `{ref.name}` is called in {_ARTICLE.get(kind, kind)}",
                          "external functions may be called only in `der` and `let` expressions")
    if used not in _ALLOWED[kind]:
        noun = "time `t`" if used == "time" else f"{used} `{ref.name}`"
        if kind == "parameter":
            return Diagnostic(
                ref.span,
                f"the default of parameter `{owner}` uses {noun}",
                "a default is a constant and may use only parameters declared before it",
            )
        return Diagnostic(
            ref.span,
            f"the initial value of {kind} `{owner}` uses {noun}",
            "an initial value may use only parameters",
        )
    if kind == "parameter" and table.get(owner) is decl and _position(target) >= _position(decl):
        if target is decl:
            return Diagnostic(ref.span, f"parameter `{owner}` is defined in terms of itself", "give it a value")
        return Diagnostic(
            ref.span,
            f"the default of parameter `{owner}` uses parameter `{ref.name}`, which is declared later "
            f"(line {target.span.line})",
            f"a default may use only earlier parameters: move `{ref.name}` above `{owner}`",
        )
    return None


def _check_arrays(program: Program) -> list[Diagnostic]:
    """Array states and externals are for plain ODE models: no observables of them, no fields."""
    diags = []
    arrays = program.array_states
    for obs in program.of_kind("observe"):
        for ref in obs.refs:
            if ref.name in arrays:
                diags.append(Diagnostic(ref.span, f"observable `{obs.name}` uses array state `{ref.name}`",
                                        "observables are scalars; this version does not observe array states"))
    if (arrays or program.of_kind("external")) and (program.domains or program.reactions):
        first = (program.domains or program.reactions)[0]
        diags.append(Diagnostic(first.span, "array states and external functions cannot be combined "
                                "with fields or reactions in this version",
                                "write the model with `state` and `der` only"))
    return diags


def _position(decl: Decl) -> tuple[int, int]:
    return decl.name_span.line, decl.name_span.col


def _undefined(name: str, spans: list[Span], table: dict[str, Decl]) -> Diagnostic:
    if name in FUNCTIONS:
        hint = f"`{name}` is a function: call it as `{name}(...)`"
    else:
        hint = (_suggest(name, [*table, *CONSTANTS])
                or f"declare it, e.g. `parameter {name} = ...` or `let {name} = ...`")
    if len(spans) > 1:
        hint += f" (also used on line {_lines(spans[1:])})"
    return Diagnostic(spans[0], f"undefined name `{name}`", hint)


# ---- derivatives -------------------------------------------------------------------


def _check_ders(program: Program, table: dict[str, Decl]) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    seen: dict[str, Span] = {}
    for der in program.ders:
        target = table.get(der.state)
        if der.state in seen:
            diags.append(
                Diagnostic(
                    der.span,
                    f"state `{der.state}` has a second `der`; the first is on line {seen[der.state].line}",
                    f"write one equation: combine both right-hand sides into one `der({der.state}) = ...`",
                )
            )
        elif der.state == "t":
            diags.append(Diagnostic(der.name_span, "`der(t)`: `t` is time, not a state", "`der` takes a state's name"))
        elif target is None and der.state in RESERVED and any(d.name == der.state for d in program.decls):
            continue   # its declaration was refused as reserved: that error says it all
        elif target is None:
            states = [d.name for d in program.of_kind("state")]
            hint = _suggest(der.state, states) or f"declare it first: `state {der.state} = <initial value>`"
            diags.append(Diagnostic(der.name_span, f"`der({der.state})`: `{der.state}` is not declared", hint))
        elif target.kind == "species":
            diags.append(_der_of_species(der, target, program))
        elif target.kind not in ("state", "field"):
            diags.append(
                Diagnostic(
                    der.name_span,
                    f"`der({der.state})`: `{der.state}` is {_ARTICLE[target.kind]} "
                    f"(line {target.span.line}), not a state",
                    "only states have derivatives; to make it change in time declare "
                    f"`state {der.state} = <initial value>`",
                )
            )
        else:
            seen[der.state] = der.span
    without_der = event_targets(program) | set(pair_constraints(program, table)[0].values())
    for state in program.of_kind("state") + program.of_kind("field"):
        if table.get(state.name) is state and state.name not in seen and state.name not in without_der:
            diags.append(
                Diagnostic(
                    state.name_span,
                    f"{state.kind} `{state.name}` has no equation",
                    f"add `der({state.name}) = ...` (write `der({state.name}) = 0` for a constant state)"
                    + (", or set it with an event, or determine it by a `constraint`" if state.kind == "state" else ""),
                )
            )
    return diags


def _der_of_species(der, target: Decl, program: Program) -> Diagnostic:
    name = der.state
    reacting = reacting_species(program)
    if name in reacting:
        return Diagnostic(
            der.span,
            f"species `{name}` takes part in reactions (line {reacting[name].line}), which give its equation;"
            " it cannot also have a `der`",
            f"write the extra change as a reaction, e.g. `reaction 0 -> {name}, rate = <expression>`",
        )
    return Diagnostic(
        der.name_span,
        f"`der({name})`: `{name}` is a species (line {target.span.line}), which changes only through reactions",
        f"declare it with `state {name} = ...` to give it a `der`, or write a reaction for it",
    )


def _check_let_cycles(program: Program, table: dict[str, Decl]) -> list[Diagnostic]:
    lets = [d for d in program.of_kind("let") if table.get(d.name) is d]
    names = {d.name for d in lets}
    if not any(r.name in names for d in lets for r in d.refs):
        return []  # no let uses a let: no cycle (and no networkx to import)
    import networkx as nx  # on first use: the front door does not load networkx

    graph = nx.DiGraph()
    graph.add_nodes_from(d.name for d in lets)
    for d in lets:
        graph.add_edges_from((d.name, r.name) for r in d.refs if r.name in graph)
    order = {d.name: i for i, d in enumerate(lets)}
    diags = []
    for component in nx.strongly_connected_components(graph):
        start = min(component, key=order.__getitem__)
        if len(component) == 1 and not graph.has_edge(start, start):
            continue
        edges = nx.find_cycle(graph.subgraph(component), source=start)
        cycle = [u for u, _ in edges]
        first = min(range(len(cycle)), key=lambda i: order[cycle[i]])
        cycle = cycle[first:] + cycle[:first]
        diags.append(
            Diagnostic(
                table[cycle[0]].name_span,
                "circular `let` definitions: " + " -> ".join([*cycle, cycle[0]]),
                "a let cannot depend on itself, directly or through other lets; break the cycle",
            )
        )
    return diags


# ---- simulate ----------------------------------------------------------------------


def simulate_options(program: Program) -> tuple[ir.SimulateOptions, list[Diagnostic]]:
    """Merge the ``simulate`` lines into `ir.SimulateOptions`.

    Args:
        program: the parsed statements.

    Returns:
        ``(options, diagnostics)``; an option with a problem is left ``None``.
    """
    diags: list[Diagnostic] = []
    seen: dict[str, SimOption] = {}
    values: dict[str, object] = {}
    for opt in program.simulate:
        if opt.key not in SIMULATE_OPTIONS:
            hint = _join(_suggest(opt.key, SIMULATE_OPTIONS), "the options are " + ", ".join(SIMULATE_OPTIONS))
            diags.append(Diagnostic(opt.key_span, f"unknown simulate option `{opt.key}`", hint))
        elif opt.key in seen:
            diags.append(
                Diagnostic(
                    opt.key_span,
                    f"simulate option `{opt.key}` is given twice; first on line {seen[opt.key].span.line}",
                    "give each option once (simulate lines are merged)",
                )
            )
        else:
            seen[opt.key] = opt
            value = _SIMULATE_READERS[opt.key](opt, diags)
            if value is not None:
                values[opt.key] = value
    t0, t1 = values.pop("t", (None, None))
    span = program.simulate[0].span if program.simulate else None
    return ir.SimulateOptions(t0=t0, t1=t1, span=span, **values), diags


def _shape(opt: SimOption, interval: bool, diags: list[Diagnostic]) -> bool:
    if opt.interval == interval:
        return True
    if interval:
        message, hint = f"`{opt.key}` needs an interval `[start, end]`", "write e.g. `simulate t = [0, 20]`"
    else:
        message = f"`{opt.key}` takes a single value, not an interval"
        hint = f"write e.g. `{opt.key} = {_EXAMPLE[opt.key]}`"
    diags.append(Diagnostic(opt.span, message, hint))
    return False


def _number(opt: SimOption, i: int, diags: list[Diagnostic]) -> float | None:
    """The i-th value of a simulate option as a float, or None (and a diagnostic)."""
    span, names = opt.value_spans[i], opt.value_refs[i]
    if names:
        return _bad(diags, names[0].span, f"simulate values must be numbers; `{names[0].name}` is a name",
                    f"write the value itself, e.g. `{opt.key} = {_EXAMPLE[opt.key]}`")
    try:
        value = complex(sympy.N(opt.values[i]))
    except (TypeError, ValueError, RecursionError):
        value = complex("nan")
    if value.imag != 0 or not math.isfinite(value.real):
        return _bad(diags, span, f"`{opt.key}` must be a finite real number", f"e.g. `{opt.key} = {_EXAMPLE[opt.key]}`")
    return value.real


def _bad(diags: list[Diagnostic], span: Span, message: str, hint: str) -> None:
    diags.append(Diagnostic(span, message, hint))
    return None


def _read_t(opt: SimOption, diags: list[Diagnostic]):
    if not _shape(opt, True, diags):
        return None
    t0, t1 = _number(opt, 0, diags), _number(opt, 1, diags)
    if t0 is None or t1 is None:
        return None
    if t0 == t1:
        return _bad(diags, opt.span, f"the time interval [{t0:g}, {t1:g}] is empty",
                    "start and end must differ (end may be before start to integrate backwards)")
    return t0, t1


def _read_method(opt: SimOption, diags: list[Diagnostic]):
    if not _shape(opt, False, diags):
        return None
    value = opt.values[0]
    choices = ", ".join(SIMULATE_METHODS)
    if isinstance(value, sympy.Symbol) and value.name in SIMULATE_METHODS:
        return value.name
    shown = value.name if isinstance(value, sympy.Symbol) else str(value)
    hint = _join(_suggest(shown, SIMULATE_METHODS), f"choose one of {choices}")
    return _bad(diags, opt.value_spans[0], f"unknown method `{shown}`", hint)


def _read_tolerance(opt: SimOption, diags: list[Diagnostic]):
    if not _shape(opt, False, diags):
        return None
    value = _number(opt, 0, diags)
    if value is not None and value <= 0:
        return _bad(diags, opt.value_spans[0], f"`{opt.key}` must be positive, got {value:g}",
                    f"e.g. `{opt.key} = {_EXAMPLE[opt.key]}`")
    return value


def _read_points(opt: SimOption, diags: list[Diagnostic]):
    if not _shape(opt, False, diags):
        return None
    value = _number(opt, 0, diags)
    if value is not None and (value != int(value) or value < 2):
        return _bad(diags, opt.value_spans[0], f"`points` must be a whole number of at least 2, got {value:g}",
                    "e.g. `points = 2001` (the solution is saved at this many evenly spaced times)")
    return None if value is None else int(value)


_SIMULATE_READERS = {
    "t": _read_t,
    "method": _read_method,
    "rtol": _read_tolerance,
    "atol": _read_tolerance,
    "points": _read_points,
}
_EXAMPLE = {"t": "[0, 20]", "method": "tsit5", "rtol": "1e-6", "atol": "1e-9", "points": "2001"}
