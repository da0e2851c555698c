"""Write an imported SBML model (see `modelc.io.sbml`) as modelc model text."""

from __future__ import annotations

import heapq
import math
import re

from .names import RESERVED
from .sbml_events import FAST_SCALE, constant_value, conversion_factor, describe_options
from .sbml_math import ZERO, Refused, calls_of, format_number, num, substitute, symbols_of
from .sbml_share import share_calls

__all__ = ["emit_model"]

_KIND_WORDS = {"compartment": "compartment size", "parameter": "parameter",
               "species": "species", "local": "local parameter"}


def emit_model(imp) -> str:
    """The model text of an `_Importer` whose symbols and trees are complete."""
    _resolve_rates(imp)
    values = {id(s.value) for s in imp.symbols.values() if s.value is not None}
    roots = [tree for _, tree in imp.trees() if id(tree) not in values]
    imp.shared, imp.shared_lets = share_calls(roots, imp.translator.call_results, imp.namer.fresh)
    network = _network(imp)
    out: list[str] = []
    _header(imp, out)
    _parameters(imp, out)
    _states(imp, out, network)
    _reactions(imp, out, network)
    _rules(imp, out)
    _shared(imp, out)
    _events(imp, out)
    _constraints(imp, out)
    _derivatives(imp, out, network)
    return "\n".join(out).rstrip() + "\n"


def _header(imp, out) -> None:
    model = imp.model
    ident = model.getId() if model.isSetId() else ""
    line = "model"
    if ident.isidentifier() and ident.isascii() and ident not in RESERVED:
        line += " " + ident
        name = model.getName() if model.isSetName() else ""
        if name:
            line += ' "' + " ".join(name.split()).replace("\\", "\\\\").replace('"', '\\"') + '"'
        out.append(line)
    out.append(f"# Imported from SBML level {imp.doc.getLevel()} version {imp.doc.getVersion()}: "
               f"{_printable(imp.path.name)}")
    renamed = [(s.sbml_id, s.extra["value_name"]) for s in imp.symbols.values()
               if s.kind in ("compartment", "species", "parameter")
               and s.sbml_id != s.extra["value_name"]]
    for ident, name in renamed:
        out.append(f"# SBML id {ident!r} is called {name} here (its id is reserved in modelc)")


def _printable(text: str) -> str:
    """``text`` safe inside a one-line comment: a file name may hold newlines
    (``evil\\nobserve injected = 42``), which would start statements."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _parameters(imp, out) -> None:
    params = [s for s in imp.symbols.values() if s.role == "parameter"]
    defaults = {s.sbml_id: imp.initial_of(s) for s in params}
    order = _topological(params, defaults, imp)
    group = None
    for sym in order:
        label = _group(sym)
        if label != group:
            out.append(f"\n# {label}")
            group = label
        note = _note(imp, sym)
        out.append(f"parameter {sym.name} = {imp.text(defaults[sym.sbml_id], shared=False)}" + note)


def _group(sym) -> str:
    if sym.kind == "species":
        return "species that do not change (boundary, constant or in no reaction)"
    if sym.kind == "local":
        return "local parameters of reactions"
    return {"compartment": "compartment sizes", "parameter": "parameters",
            "stoich": "stoichiometries of species references",
            "amount": "amounts of species that do not change, in compartments that do"}[sym.kind]


def _note(imp, sym) -> str:
    notes = []
    if sym.kind in ("species", "amount"):
        comp = sym.extra["compartment"]
        notes.append(f"{sym.unit} in {comp.name}" if comp is not None else sym.unit)
    if sym.extra.get("from_ia"):
        notes.append("initial assignment")
    if sym.extra.get("from_rule"):
        notes.append("assignment rule with a constant value")
    return "    # " + ", ".join(notes) if notes else ""


def _topological(params, defaults, imp):
    """Parameters ordered so each default uses only earlier ones (stable otherwise)."""
    index = {s.sbml_id: i for i, s in enumerate(params)}
    needs = {s.sbml_id: {d for d in symbols_of(defaults[s.sbml_id]) if d in index} for s in params}
    users: dict[str, list[str]] = {k: [] for k in index}
    for ident, deps in needs.items():
        for dep in deps:
            users[dep].append(ident)
    waiting = {k: len(v) for k, v in needs.items()}
    ready = [index[k] for k, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        sym = params[heapq.heappop(ready)]
        order.append(sym)
        for user in users[sym.sbml_id]:
            waiting[user] -= 1
            if waiting[user] == 0:
                heapq.heappush(ready, index[user])
    if len(order) < len(params):
        stuck = [s for s in params if waiting[s.sbml_id] > 0]
        for sym in stuck:
            imp.refuse(sym.element, "its value depends on itself through initial assignments")
        order += stuck
    return order


def _states(imp, out, network) -> None:
    states = [s for s in imp.symbols.values() if s.role == "state"]
    if not states:
        return
    out.append("")
    for sym in states:
        word = "species" if sym.sbml_id in network.species else "state"
        out.append(f"{word} {sym.name} = {imp.text(imp.initial_of(sym), shared=False)}    "
                   f"# {_what_changes(imp, sym, network)}")


def _what_changes(imp, sym, network) -> str:
    kind = {"stoich": "species reference", "amount": "amount of species",
            "total": "conserved total of fast reactions"}.get(sym.kind, sym.kind)
    if sym.extra.get("fast"):
        how = "in fast equilibrium (determined by constraints)"
    elif sym.extra.get("algebraic"):
        how = "determined by an algebraic rule"
    elif sym.extra.get("no_der"):
        how = "changed only by events"
    elif sym.kind == "total":
        how = "changed by the slow reactions"
    elif sym.rate is not None:
        how = "changed by a rate rule"
    else:
        how = "changed by reactions"
    note = _note(imp, sym).replace("    # ", "; ") if sym.kind in ("species", "amount") else ""
    return f"{kind}, {how}{note}"


class _Network:
    """Which reactions are written as ``reaction`` statements, and their species."""

    def __init__(self):
        self.species: set[str] = set()      # symbol keys declared with `species`
        self.reactions: dict[str, tuple] = {}   # reaction id -> (sides text, rate tree)


def _held(imp, sid):
    """The symbol whose variable a reaction changes for species ``sid`` (or None)."""
    sym = imp.symbols.get(sid)
    if sym is None:
        return None
    held = sym.extra.get("amount", sym)
    if held.role != "state" or held.rate is not None or held.extra.get("no_der"):
        return None
    return held


def _scale(imp, held):
    """(conversion factor, compartment divisor) of a held species variable."""
    species = held.extra.get("species", held)
    factor = conversion_factor(imp, species)
    divisor = held.extra["compartment"].sbml_id if held.unit == "concentration" else None
    return (factor[1] if factor else None, divisor)


def _network(imp) -> _Network:
    """Reactions with constant positive stoichiometries whose changed species share one
    scale, and the species that only such reactions change."""
    candidates, touching = {}, {}
    for reaction, coefs, refs in imp.reactions:
        rid = reaction.getId()
        changed = {}
        for sid, tree in coefs.items():
            held = _held(imp, sid)
            value = constant_value(tree, imp)
            if held is None or value == 0:
                continue
            changed[held.sbml_id] = held
            touching.setdefault(held.sbml_id, []).append(rid)
        values = [constant_value(tree, imp) for sid, tree, _ in refs if _held(imp, sid) is not None]
        scales = {_scale(imp, held) for held in changed.values()}
        if (rid not in imp.fast_reactions and changed and len(scales) == 1
                and all(v is not None and v > 0 for v in values)):
            candidates[rid] = (reaction, refs, changed, scales.pop())
    network = _Network()
    while True:
        network.species = {key for key, rids in touching.items() if all(r in candidates for r in rids)}
        dropped = [rid for rid, (_, _, changed, _) in candidates.items()
                   if not set(changed) <= network.species]
        if not dropped:
            break
        for rid in dropped:
            del candidates[rid]
    for rid, (reaction, refs, _, (factor, divisor)) in candidates.items():
        rate = ("sym", rid)
        if factor is not None:
            rate = ("mul", [rate, ("sym", factor)])
        if divisor is not None:
            rate = ("div", rate, ("sym", divisor))
        network.reactions[rid] = (_sides(imp, reaction, refs), rate)
    return network


def _sides(imp, reaction, refs) -> str:
    def side(sign):
        terms = []
        for sid, tree, s in refs:
            held = _held(imp, sid)
            if s != sign or held is None:
                continue
            value = float(constant_value(tree, imp))
            terms.append(("" if value == 1 else format_number(value) + " ") + held.name)
        return " + ".join(terms) or "0"
    arrow = "<->" if reaction.getReversible() else "->"
    return f"{side(-1)} {arrow} {side(1)}"


def _reactions(imp, out, network) -> None:
    for reaction, _coefs, _ in imp.reactions:
        rid = reaction.getId()
        sym = imp.symbols[rid]
        out.append("")
        fast = " (fast: in equilibrium)" if rid in imp.fast_reactions else ""
        if rid in imp.relaxed_fast:
            fast = f" (fast: its law {FAST_SCALE:g} times faster, relaxing to equilibrium)"
        out.append(f"# reaction {rid}{fast}: {_equation(imp, reaction)}")
        out.append(f"let {sym.name} = {imp.text(sym.rule)}")
        if rid in network.reactions:
            sides, rate = network.reactions[rid]
            label = f"{rid}: " if _LABEL.match(rid) and rid not in RESERVED | {"rate"} else ""
            out.append(f"reaction {label}{sides}, rate = {imp.text(rate)}")


def _equation(imp, reaction) -> str:
    def side(refs):
        terms = []
        for ref in refs:
            stoich = ref.getStoichiometry() if ref.isSetStoichiometry() or imp.doc.getLevel() < 3 else 1.0
            if ref.isSetStoichiometryMath() or not math.isfinite(stoich):
                coef = "(variable) "
            else:
                coef = "" if stoich == 1 else format_number(stoich) + " "
            name = imp.symbols[ref.getSpecies()].extra["value_name"] \
                if ref.getSpecies() in imp.symbols else ref.getSpecies()
            terms.append(("-" if stoich < 0 else "") + coef + _printable(name))
        return " + ".join(terms) or "0"
    arrow = "<->" if reaction.getReversible() else "->"
    return f"{side(reaction.getListOfReactants())} {arrow} {side(reaction.getListOfProducts())}"


_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _shared(imp, out) -> None:
    if not imp.shared_lets:
        return
    out.append("\n# function definitions called more than once with the same arguments")
    for name, tree in imp.shared_lets:
        out.append(f"let {name} = {imp.text(tree)}")


def _events(imp, out) -> None:
    if not imp.events:
        return
    out.append("\n# events")
    for event in imp.events:
        if not event.assignments:
            out.append(f"# event {event.name} assigns nothing")
            continue
        sets = ", ".join(f"{imp.symbols[key].name} = {imp.text(tree)}" for key, tree in event.assignments)
        out.append(f"event {event.name} when {imp.text(event.trigger)}"
                   f"{describe_options(imp, event)}: {sets}")


def _constraints(imp, out) -> None:
    if not imp.constraints:
        return
    out.append("\n# algebraic rules and fast equilibria")
    for _, tree in imp.constraints:
        out.append(f"constraint {imp.text(tree)} = 0")


def _resolve_rates(imp) -> None:
    """``rateOf(x)`` (a ``der`` call) as the language can say it: ``der(x)`` of a state,
    0 of a constant, the quotient rule for a species held as an amount."""
    def replace(node):
        if node[0] != "call":
            return node
        sym = imp.symbols.get(node[2][0][1])
        if sym is None or sym.role in ("parameter", "absent"):
            return ZERO
        if "amount" in sym.extra:
            amount, comp = sym.extra["amount"], sym.extra["compartment"]
            if comp.role != "state":
                raise Refused(f"rateOf({sym.sbml_id}): its compartment {comp.sbml_id!r} changes by "
                              "an assignment rule, whose rate of change the language cannot write")
            n, size = ("sym", amount.sbml_id), ("sym", comp.sbml_id)
            return ("sub", ("div", ("call", "der", [n]), size),
                    ("div", ("mul", [n, ("call", "der", [size])]), ("pow", size, ("num", "2"))))
        if sym.role == "let":
            raise Refused(f"rateOf({sym.sbml_id}): {sym.sbml_id!r} is set by an assignment rule, "
                          "whose rate of change the language cannot write")
        return node
    trees = list(imp.trees())
    if not any(calls_of(tree, "der") for _, tree in trees):
        return
    memo: dict = {}

    def rewrite(tree):
        return substitute(tree, lambda n: replace(n) if n[0] == "call" else n, memo, calls=("der",))
    for sym in imp.symbols.values():
        sym.value, sym.rule, sym.rate = (None if t is None else rewrite(t) for t in (sym.value, sym.rule, sym.rate))
    imp.reactions[:] = [(r, {k: rewrite(t) for k, t in coefs.items()}, refs) for r, coefs, refs in imp.reactions]
    for event in imp.events:
        event.trigger = rewrite(event.trigger)
        event.delay, event.priority = (None if t is None else rewrite(t) for t in (event.delay, event.priority))
        event.assignments = [(k, rewrite(t)) for k, t in event.assignments]
    imp.constraints[:] = [(el, rewrite(t)) for el, t in imp.constraints]
    results = imp.translator.call_results
    for key, (fname, _) in list(results.items()):
        if key in memo:
            new = memo[key][0]
            results[id(new)] = (fname, new)


def _rules(imp, out) -> None:
    targets = [s for s in imp.symbols.values() if s.role == "let" and s.kind != "reaction"]
    if not targets:
        return
    out.append("\n# assignment rules")
    for sym in targets:
        name = sym.extra["value_name"]
        if sym.extra.get("referenced"):
            out.append(f"let {sym.name} = {imp.text(sym.rule)}")
            out.append(f"observe {name} = {sym.name}")
        else:
            out.append(f"observe {name} = {imp.text(sym.rule)}")


def _derivatives(imp, out, network) -> None:
    states = [s for s in imp.symbols.values() if s.role == "state" and not s.extra.get("no_der")
              and s.sbml_id not in network.species]
    if states:
        out.append("")
    for sym in states:
        rhs = sym.rate if sym.rate is not None else reaction_sum(imp, sym)
        out.append(f"der({sym.name}) = {imp.text(rhs)}")


def reaction_sum(imp, held):
    """der of a species' variable: its stoichiometry-weighted rates, times its conversion
    factor, over its compartment's size when it holds a concentration."""
    species = held.extra.get("species", held)
    terms = []
    for reaction, coefs, _ in imp.reactions:
        coef = coefs.get(species.sbml_id)
        value = None if coef is None else constant_value(coef, imp)
        if coef is None or value == 0:
            continue
        rate = ("sym", reaction.getId())
        if value == 1:
            terms.append(rate)
        elif value == -1:
            terms.append(("neg", rate))
        elif value is not None and value < 0:
            terms.append(("neg", ("mul", [num(float(-value)), rate])))
        elif value is not None:
            terms.append(("mul", [num(float(value)), rate]))
        else:
            terms.append(("mul", [coef, rate]))
    if not terms:
        return ZERO
    total = terms[0] if len(terms) == 1 else ("add", terms)
    factor = conversion_factor(imp, species)
    if factor is not None:
        total = ("mul", [factor, total])
    if held.unit == "concentration":
        return ("div", total, imp.size_of(held))
    return total
