"""Semantic checks of events, constraints, ``der(x)`` as a value and ``delay(expr, tau)``.

The rules (each problem is a `Diagnostic` at its culprit's span, with a hint):

* an event's name is not reserved and names one event only;
* its options are the known ones (``delay priority persistent values initial``),
  each given once; ``persistent`` and ``initial`` are ``true`` or ``false``,
  ``values`` is ``trigger`` or ``execution``; a ``delay`` that is a constant (a
  number, or parameters at their defaults) is not negative;
* its actions are ``name = expr`` items that set states or species, each name
  once, or the single word ``stop``;
* a constraint determines one state with no ``der`` that no event assigns and
  that it uses (directly or through lets); constraints and such states are paired
  one to one (`pair_constraints`): a constraint left without a state is an error,
  and a state left without a constraint is reported by `check.py` as a state
  without an equation;
* ``der(x)`` in an expression names a state or a species, and no ``der``
  equation reaches its own ``der(x)`` (through lets or other ``der(y)``);
* ``delay(expr, tau)`` has no negative constant ``tau``.

The uses of names inside conditions, assignments, options and constraints are
checked with the other expressions in `check.py` (`event_users`).
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

import sympy

from .. import ir
from ..errors import Diagnostic, Span
from .syntax import RESERVED, Decl, EventStmt, Program, Ref

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["check_events", "event_users", "pair_constraints", "event_targets", "EVENT_OPTIONS", "build_events",
           "event_options"]

#: option -> what its value is: "expr", "bool", or the words it may be.
EVENT_OPTIONS: dict[str, object] = {
    "delay": "expr",
    "priority": "expr",
    "persistent": "bool",
    "values": ("trigger", "execution"),
    "initial": "bool",
}
_STATE_KINDS = ("state", "species")
_KIND_NAMES = {"parameter": "a parameter", "let": "a let", "observe": "an observable", "field": "a field",
               "domain": "a domain axis", "external": "an external function", "state": "a state",
               "species": "a species"}


def check_events(program: Program, table: dict[str, Decl]) -> list[Diagnostic]:
    """Every problem of the program's events, constraints, ``der(x)`` values and delays.

    Args:
        program: the parsed statements.
        table: each declared name's first valid declaration.

    Returns:
        one diagnostic per problem.
    """
    diags: list[Diagnostic] = []
    diags += _check_event_names(program.events)
    for event in program.events:
        diags += _check_options(event, program, table)
        diags += _check_actions(event, table)
    diags += pair_constraints(program, table)[1]
    diags += _check_der_uses(program, table)
    diags += _check_der_cycles(program, table)
    diags += _check_constant_delays(program)
    for use in program.delay_uses:
        value = _constant(use.tau, use.tau_refs, program, table)
        if value is not None and value < 0:
            diags.append(_negative_delay(use.tau_span, value, "delay(expr, tau)", bool(use.tau_refs)))
    return diags


def event_users(program: Program) -> list[tuple[str, str, tuple[Ref, ...]]]:
    """``(kind, owner, refs)`` for the expressions of events and constraints, whose names
    `check.py` checks like those of ``der`` equations (kinds ``"event"``, ``"constraint"``)."""
    users = []
    for event in program.events:
        refs = event.condition_refs + tuple(r for a in event.actions for r in a.refs)
        refs += tuple(r for o in event.options if EVENT_OPTIONS.get(o.key) == "expr" for r in o.refs)
        users.append(("event", event.name or "", refs))
    users += [("constraint", "", c.refs) for c in program.constraints]
    return users


def event_targets(program: Program) -> set[str]:
    """The names that some event assigns."""
    return {a.target for e in program.events for a in e.actions if a.expr is not None}


def event_options(event: EventStmt) -> ir.EventOptions:
    """The `ir.EventOptions` of a checked event (first value of each option, defaults otherwise)."""
    values: dict[str, object] = {}
    for opt in event.options:
        kind = EVENT_OPTIONS.get(opt.key)
        if opt.key in values or kind is None:
            continue
        values[opt.key] = opt.value if kind == "expr" else (opt.word == "true" if kind == "bool" else opt.word)
    return ir.EventOptions(**values)


# ---- events ---------------------------------------------------------------------------


def _check_event_names(events: list[EventStmt]) -> list[Diagnostic]:
    diags, seen = [], {}
    for event in events:
        if event.name is None:
            continue
        if event.name in RESERVED:
            diags.append(Diagnostic(event.name_span, f"`{event.name}` is reserved and cannot name an event",
                                    f"choose another name, e.g. `{event.name}_event`"))
        elif event.name in seen:
            diags.append(Diagnostic(event.name_span, f"two events are named `{event.name}`; the first is on "
                                    f"line {seen[event.name].line}", "give each event its own name"))
        else:
            seen[event.name] = event.span
    return diags


def _check_options(event: EventStmt, program: Program, table: dict[str, Decl]) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    seen: dict[str, Span] = {}
    for opt in event.options:
        kind = EVENT_OPTIONS.get(opt.key)
        if kind is None:
            close = difflib.get_close_matches(opt.key, list(EVENT_OPTIONS), n=1, cutoff=0.5)
            hint = (f"did you mean `{close[0]}`? " if close else "") + "the options are " + ", ".join(EVENT_OPTIONS)
            diags.append(Diagnostic(opt.key_span, f"unknown event option `{opt.key}`", hint))
        elif opt.key in seen:
            diags.append(Diagnostic(opt.key_span, f"event option `{opt.key}` is given twice; first at column "
                                    f"{seen[opt.key].col}", "give each option once"))
        else:
            seen[opt.key] = opt.key_span
            words = ("true", "false") if kind == "bool" else kind
            if kind != "expr" and opt.word not in words:
                diags.append(Diagnostic(opt.value_span, f"event option `{opt.key}` is "
                                        f"{' or '.join(f'`{w}`' for w in words)}",
                                        f"write e.g. `{opt.key} = {words[0]}`"))
            elif opt.key == "delay":
                value = _constant(opt.value, opt.refs, program, table)
                if value is not None and value < 0:
                    diags.append(_negative_delay(opt.value_span, value, "an event's delay", bool(opt.refs)))
    return diags


def _check_actions(event: EventStmt, table: dict[str, Decl]) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    words = [a for a in event.actions if a.expr is None]
    assigned: dict[str, Span] = {}
    for action in words:
        if action.target != "stop":
            diags.append(Diagnostic(action.span, f"`{action.target}` is not an event action",
                                    f"write `name = value` to set a state, e.g. `{action.target} = 0`, "
                                    "or `stop` to end the solve"))
        elif len(event.actions) > 1:
            diags.append(Diagnostic(action.span, "`stop` ends the solve and takes no other actions",
                                    "write `: stop` alone; put the assignments in another event"))
    for action in event.actions:
        if action.expr is None:
            continue
        if action.target in assigned:
            diags.append(Diagnostic(action.target_span, f"`{action.target}` is assigned twice in one event",
                                    "assign each name once per event (all right-hand sides use the values "
                                    "before the event)"))
        else:
            assigned[action.target] = action.target_span
            problem = _target_problem(action.target, action.target_span, table)
            if problem:
                diags.append(problem)
    return diags


def _target_problem(name: str, span: Span, table: dict[str, Decl]) -> Diagnostic | None:
    decl = table.get(name)
    if name == "t":
        return Diagnostic(span, "an event cannot assign time `t`", "events set states and species")
    if decl is None:
        close = difflib.get_close_matches(name, [n for n, d in table.items() if d.kind in _STATE_KINDS], n=1)
        hint = f"did you mean `{close[0]}`?" if close else f"declare it first: `state {name} = <initial value>`"
        return Diagnostic(span, f"the event assigns `{name}`, which is not declared", hint)
    if decl.kind in _STATE_KINDS:
        return None
    hint = "events set states and species only"
    if decl.kind == "parameter":
        hint = (f"to change `{name}` at events, declare it `state {name} = <value>` with no `der`: "
                "it then stays constant between events")
    return Diagnostic(span, f"the event assigns `{name}`, which is {_KIND_NAMES[decl.kind]} "
                      f"(line {decl.span.line}), not a state", hint)


# ---- constraints ----------------------------------------------------------------------


def pair_constraints(program: Program, table: dict[str, Decl]) -> tuple[dict[int, str], list[Diagnostic]]:
    """Pair each constraint with the state it determines.

    A constraint may determine a state declared with ``state``, with no ``der``,
    that no event assigns, and that the constraint uses (directly or through
    lets). The pairing is a maximum matching, found in file order (constraints)
    and declaration order (states).

    Returns:
        ``({constraint index: state name}, diagnostics for unpaired constraints)``.
    """
    if not program.constraints:
        return {}, []
    taken = {d.state for d in program.ders} | event_targets(program)
    free = [d.name for d in program.of_kind("state") if table.get(d.name) is d and d.name not in taken]
    candidates = [[s for s in free if s in _reached(c.refs, table)] for c in program.constraints]
    owner: dict[str, int] = {}
    for i in range(len(candidates)):
        _augment(i, candidates, owner, set())
    pairs = {i: s for s, i in owner.items()}
    diags = [_unpaired(c, candidates[i], owner, program) for i, c in enumerate(program.constraints)
             if i not in pairs]
    return pairs, diags


def _augment(i: int, candidates: list[list[str]], owner: dict[str, int], seen: set[str]) -> bool:
    """Kuhn's augmenting path: pair constraint ``i``, moving earlier pairs if need be."""
    for state in candidates[i]:
        if state in seen:
            continue
        seen.add(state)
        if state not in owner or _augment(owner[state], candidates, owner, seen):
            owner[state] = i
            return True
    return False


def _unpaired(constraint, candidates: list[str], owner: dict[str, int], program: Program) -> Diagnostic:
    if not candidates:
        return Diagnostic(constraint.span, "this constraint determines no state: it uses no state that "
                          "has no `der` and that no event assigns",
                          "declare the state it determines with `state y = <starting guess>` and no `der` "
                          "(a constraint holds by changing that state)")
    taken = ", ".join(f"`{s}` (by the constraint on line {program.constraints[owner[s]].span.line})"
                      for s in candidates)
    return Diagnostic(constraint.span, f"a second constraint for the same state: {taken} is determined already",
                      "constraints and states without `der` are paired one to one: declare another state "
                      "without `der` for this constraint, or remove it")


def _reached(refs: tuple[Ref, ...], table: dict[str, Decl]) -> set[str]:
    """The names used by ``refs``, directly or through the lets they use."""
    names, todo = set(), [r.name for r in refs]
    while todo:
        name = todo.pop()
        if name in names:
            continue
        names.add(name)
        decl = table.get(name)
        if decl is not None and decl.kind == "let":
            todo += [r.name for r in decl.refs]
    return names


# ---- der(x) as a value ----------------------------------------------------------------


def _check_der_uses(program: Program, table: dict[str, Decl]) -> list[Diagnostic]:
    diags = []
    for use in program.der_uses:
        decl = table.get(use.name)
        if use.name == "t":
            diags.append(Diagnostic(use.span, "`der(t)`: `t` is time, not a state",
                                    "the rate of change of time is 1"))
        elif decl is not None and decl.kind not in _STATE_KINDS:
            diags.append(Diagnostic(use.name_span, f"`der({use.name})`: `{use.name}` is "
                                    f"{_KIND_NAMES[decl.kind]} (line {decl.span.line}), not a state",
                                    "der(x) in an expression is the rate of change of a state or species x"))
    return diags


def _check_der_cycles(program: Program, table: dict[str, Decl]) -> list[Diagnostic]:
    """``der`` equations that reach their own ``der(x)`` through ``der(y)`` values and lets."""
    if not program.der_uses:
        return []
    import networkx as nx  # on first use: the front door does not load networkx

    graph = nx.DiGraph()
    starts: dict[str, Span] = {}
    for der in program.ders:
        starts.setdefault(der.state, der.span)
        _add_edges(graph, ("der", der.state), der.expr, der.refs, table)
    for reaction in program.reactions:
        for item in reaction.rates:
            for term in reaction.reactants + reaction.products:
                if term.name is not None:
                    starts.setdefault(term.name, reaction.span)
                    _add_edges(graph, ("der", term.name), item.expr, item.refs, table)
    for decl in program.of_kind("let"):
        if table.get(decl.name) is decl:
            _add_edges(graph, ("let", decl.name), decl.expr, decl.refs, table)
    diags = []
    for component in nx.strongly_connected_components(graph):
        ders = sorted((n for n in component if n[0] == "der" and n[1] in starts),
                      key=lambda n: (starts[n[1]].line, starts[n[1]].col))
        if not ders or (len(component) == 1 and not graph.has_edge(ders[0], ders[0])):
            continue
        cycle = [u for u, _ in nx.find_cycle(graph.subgraph(component), source=ders[0])]
        text = " -> ".join(f"{'der(' + n + ')' if k == 'der' else n}" for k, n in [*cycle, cycle[0]])
        diags.append(Diagnostic(starts[ders[0][1]], f"`der({ders[0][1]})` depends on itself: {text}",
                                "der(x) in an expression is x's right-hand side, so an equation cannot "
                                "use its own rate of change, directly or through lets and other der(...)"))
    return diags


def _add_edges(graph: nx.DiGraph, node, expr, refs: tuple[Ref, ...], table: dict[str, Decl]) -> None:
    graph.add_node(node)
    for value in expr.atoms(ir.DerValue) if isinstance(expr, sympy.Basic) else ():
        graph.add_edge(node, ("der", value.args[0].name))
    for ref in refs:
        decl = table.get(ref.name)
        if decl is not None and decl.kind == "let":
            graph.add_edge(node, ("let", ref.name))


# ---- delays -----------------------------------------------------------------------------


def _constant(expr, refs: tuple[Ref, ...], program: Program, table: dict[str, Decl]) -> float | None:
    """The value of an expression of numbers and parameters (at their defaults), else None."""
    if any(table.get(r.name) is None or table[r.name].kind != "parameter" for r in refs):
        return None
    if expr.atoms(ir.Delay, ir.DerValue):
        return None
    values: dict[sympy.Symbol, sympy.Expr] = {}
    for decl in program.of_kind("parameter"):
        if table.get(decl.name) is decl:
            values[ir.symbol(decl.name)] = decl.expr.xreplace(values)
    try:
        value = complex(sympy.N(expr.xreplace(values)))
    except (TypeError, ValueError, RecursionError):
        return None
    return value.real if value.imag == 0 else None


def _check_constant_delays(program: Program) -> list[Diagnostic]:
    """``delay(...)`` in a parameter default or an initial value, which are values at t0."""
    if not program.delay_uses:
        return []
    return [Diagnostic(d.span, f"the {'default' if d.kind == 'parameter' else 'initial value'} of "
                       f"{d.kind} `{d.name}` uses `delay(...)`",
                       "defaults and initial values are values at t0; delay looks back in time: "
                       "use it in `der`, `let` and `observe`")
            for d in program.decls if d.kind in ("parameter", "state", "species", "field", "domain")
            and isinstance(d.expr, sympy.Basic) and d.expr.atoms(ir.Delay)]


def _negative_delay(span: Span, value: float, what: str, parameters: bool) -> Diagnostic:
    where = ", with the parameters at their defaults" if parameters else ""
    return Diagnostic(span, f"{what} is negative ({value:g}{where})",
                      "a delay looks back in time: it must be zero or positive")


# ---- IR ---------------------------------------------------------------------------------


def build_events(program: Program) -> dict[str, tuple]:
    """The ``events`` and ``constraints`` of the IR, from a program that passed the checks
    (unnamed events are named ``event1``, ``event2``, ... by position, skipping taken names)."""
    table = {d.name: d for d in reversed(program.decls)}
    taken = {e.name for e in program.events if e.name is not None}
    events = []
    for i, event in enumerate(program.events, start=1):
        name = event.name
        if name is None:
            name, k = f"event{i}", i
            while name in taken:
                k += 1
                name = f"event{k}"
            taken.add(name)
        assignments = tuple(ir.EventAssignment(a.target, a.expr, a.span) for a in event.actions
                            if a.expr is not None)
        stop = any(a.expr is None for a in event.actions)
        events.append(ir.Event(name, event.condition, event_options(event), assignments, stop, event.span))
    pairs = pair_constraints(program, table)[0]
    constraints = tuple(ir.Constraint(c.lhs, c.rhs, pairs[i], c.span) for i, c in enumerate(program.constraints))
    return {"events": tuple(events), "constraints": constraints}
