"""Write an imported SBML model (see `modelc.io.sbml`) as modelc model text."""

from __future__ import annotations

import heapq

from .names import RESERVED
from .sbml_math import ZERO, format_number, num, symbols_of

__all__ = ["emit_model"]

_KIND_WORDS = {"compartment": "compartment size", "parameter": "parameter",
               "species": "species", "local": "local parameter"}


def emit_model(imp) -> str:
    """The model text of an `_Importer` whose symbols and trees are complete."""
    out: list[str] = []
    _header(imp, out)
    _parameters(imp, out)
    _states(imp, out)
    _reactions(imp, out)
    _rules(imp, out)
    _derivatives(imp, out)
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
        out.append(f"parameter {sym.name} = {imp.text(defaults[sym.sbml_id])}" + note)


def _group(sym) -> str:
    if sym.kind == "species":
        return "species that do not change (boundary, constant or in no reaction)"
    if sym.kind == "local":
        return "local parameters of reactions"
    return {"compartment": "compartment sizes", "parameter": "parameters"}[sym.kind]


def _note(imp, sym) -> str:
    notes = []
    if sym.kind == "species":
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


def _states(imp, out) -> None:
    states = [s for s in imp.symbols.values() if s.role == "state"]
    if not states:
        return
    out.append("")
    for sym in states:
        what = "rate rule" if sym.rate is not None else "reactions"
        note = _note(imp, sym).replace("    # ", "; ") if sym.kind == "species" else ""
        out.append(f"state {sym.name} = {imp.text(imp.initial_of(sym))}    "
                   f"# {sym.kind}, changed by {what}{note}")


def _reactions(imp, out) -> None:
    for reaction, _coefs in imp.reactions:
        sym = imp.symbols[reaction.getId()]
        out.append("")
        out.append(f"# reaction {reaction.getId()}: {_equation(imp, reaction)}")
        out.append(f"let {sym.name} = {imp.text(sym.rule)}")


def _equation(imp, reaction) -> str:
    def side(refs):
        terms = []
        for ref in refs:
            stoich = ref.getStoichiometry() if ref.isSetStoichiometry() or imp.doc.getLevel() < 3 else 1.0
            name = imp.symbols[ref.getSpecies()].extra["value_name"] \
                if ref.getSpecies() in imp.symbols else ref.getSpecies()
            coef = "" if stoich == 1 else format_number(stoich) + " "
            terms.append(("-" if stoich < 0 else "") + coef + name)
        return " + ".join(terms) or "0"
    arrow = "<->" if reaction.getReversible() else "->"
    return f"{side(reaction.getListOfReactants())} {arrow} {side(reaction.getListOfProducts())}"


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


def _derivatives(imp, out) -> None:
    states = [s for s in imp.symbols.values() if s.role == "state"]
    if states:
        out.append("")
    for sym in states:
        rhs = sym.rate if sym.rate is not None else _reaction_sum(imp, sym)
        out.append(f"der({sym.name}) = {imp.text(rhs)}")


def _reaction_sum(imp, sym):
    terms = []
    for reaction, coefs in imp.reactions:
        coef = coefs.get(sym.sbml_id, 0.0)
        if coef == 0:
            continue
        rate = ("sym", reaction.getId())
        if coef == 1:
            terms.append(rate)
        elif coef == -1:
            terms.append(("neg", rate))
        elif coef < 0:
            terms.append(("neg", ("mul", [num(-coef), rate])))
        else:
            terms.append(("mul", [num(coef), rate]))
    if not terms:
        return ZERO
    total = terms[0] if len(terms) == 1 else ("add", terms)
    if sym.unit == "concentration":
        return ("div", total, imp.size_of(sym))
    return total
