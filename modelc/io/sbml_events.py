"""SBML events, algebraic rules and fast reactions for the importer (`modelc.io.sbml`).

- An ``<event>`` becomes an ``event`` statement: its trigger the condition, its
  delay, priority, persistence, ``initialValue`` (``initial =``) and
  ``useValuesFromTriggerTime`` (``values =``) the options, its assignments the
  assignments. A quantity that only events change is a ``state`` without ``der``.
- An ``<algebraicRule>`` becomes ``constraint <math> = 0``; the quantities it
  determines (not constant, with no other rule, not changed by reactions or
  events) are paired with the rules by a maximum matching and become states
  without ``der``.
- Fast reactions are in instantaneous equilibrium: each fast reaction's rate is
  constrained to 0, and each conservation law of the fast stoichiometry becomes a
  state (the conserved total, changed by the slow reactions) and a constraint.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .sbml_math import ONE, ZERO, num, symbols_of
from .sbml_tree import children, nary, uses_time

__all__ = ["Event", "collect_event_targets", "translate_events", "match_algebraic_rules",
           "translate_fast_reactions"]


@dataclass
class Event:
    """One SBML event, translated (trees are the importer's expression trees)."""

    element: object
    name: str
    trigger: object
    delay: object = None
    priority: object = None
    persistent: bool = True
    initial: bool = True
    trigger_values: bool = True
    assignments: list = field(default_factory=list)   # (symbol key, tree)

    def trees(self):
        """Every formula of the event."""
        yield self.trigger
        for tree in (self.delay, self.priority):
            if tree is not None:
                yield tree
        for _, tree in self.assignments:
            yield tree


def collect_event_targets(imp) -> None:
    """Mark every quantity an event assigns (it becomes a state)."""
    for event in _firing(imp):
        for ea in event.getListOfEventAssignments():
            if ea.getMath() is None:
                continue    # (SBML L3v2: an assignment without math has no effect)
            sym = imp.symbols.get(ea.getVariable())
            if sym is None or sym.kind == "reaction":
                imp.refuse(event, f"it assigns {ea.getVariable()!r}, which is not a compartment, "
                                  "species, parameter or species reference")
                continue
            sym.extra["event_target"] = True


def _firing(imp):
    """The events that can fire (SBML L3v2: one without a trigger's math never does)."""
    return [e for e in imp.model.getListOfEvents()
            if e.getTrigger() is not None and e.getTrigger().getMath() is not None]


def translate_events(imp) -> None:
    """Fill ``imp.events`` from the model's events."""
    from .names import Namer

    labels = Namer()
    ids = [e.getId() for e in imp.model.getListOfEvents() if e.isSetId()]
    kept = {i for i in ids if i != "when" and labels.keep(i)}
    for event in _firing(imp):
        trigger = event.getTrigger()
        ident = event.getId() if event.isSetId() else ""
        name = ident if ident in kept else labels.fresh(f"event_{ident}" if ident else "event")
        out = Event(event, name, imp.math(event, trigger.getMath(), what="its trigger", condition=True))
        if event.isSetDelay() and event.getDelay().getMath() is not None:
            out.delay = imp.math(event, event.getDelay().getMath(), what="its delay")
        if event.isSetPriority() and event.getPriority().getMath() is not None:
            out.priority = imp.math(event, event.getPriority().getMath(), what="its priority")
        if trigger.isSetPersistent():
            out.persistent = trigger.getPersistent()
        if trigger.isSetInitialValue():
            out.initial = trigger.getInitialValue()
        if event.isSetUseValuesFromTriggerTime():
            out.trigger_values = event.getUseValuesFromTriggerTime()
        for ea in event.getListOfEventAssignments():
            assigned = _assignment(imp, event, ea)
            if assigned is not None:
                out.assignments.append(assigned)
        out.assignments = _keep_amounts(imp, out.assignments)
        imp.events.append(out)


def _keep_amounts(imp, assignments):
    """An event that changes a compartment keeps the amounts of its species (SBML): a
    species held as a concentration (one with a rate rule) becomes ``c C_old / C_new``,
    with ``c`` the concentration the event assigns, else its current one."""
    sizes = {sid: tree for sid, tree in assignments
             if imp.symbols[sid].kind == "compartment"}
    if not sizes:
        return assignments
    given = dict(assignments)
    out = list(assignments)
    for sym in imp.symbols.values():
        comp = sym.extra.get("compartment")
        if (sym.kind != "species" or sym.unit != "concentration" or sym.role != "state"
                or "amount" in sym.extra or comp is None or comp.sbml_id not in sizes):
            continue
        conc = given.get(sym.sbml_id, ("sym", sym.sbml_id))
        rescaled = ("div", ("mul", [conc, ("sym", comp.sbml_id)]), sizes[comp.sbml_id])
        out = [(sid, tree) for sid, tree in out if sid != sym.sbml_id] + [(sym.sbml_id, rescaled)]
    return out


def _assignment(imp, event, ea):
    sym = imp.symbols.get(ea.getVariable())
    if sym is None or ea.getMath() is None:
        return None
    tree = imp.math(event, ea.getMath(), what=f"its assignment to {ea.getVariable()!r}")
    amount = sym.extra.get("amount")
    if amount is not None:   # held as an amount: the event gives a concentration
        return amount.sbml_id, ("mul", [tree, ("sym", amount.extra["compartment"].sbml_id)])
    if sym.role != "state":
        imp.refuse(event, f"it assigns {sym.sbml_id!r}, which an assignment rule or its "
                          "constant attribute fixes")
        return None
    return sym.sbml_id, tree


def describe_options(imp, event: Event) -> str:
    """The ``, delay = ...`` options of an event statement (defaults left out)."""
    parts = []
    if event.delay is not None:
        parts.append(f"delay = {imp.text(event.delay)}")
    if event.priority is not None:
        parts.append(f"priority = {imp.text(event.priority)}")
    if not event.persistent:
        parts.append("persistent = false")
    if not event.initial:
        parts.append("initial = false")
    if not event.trigger_values:    # (also without delay: simultaneous events see earlier ones)
        parts.append("values = execution")
    return "".join(", " + p for p in parts)


# ---------------------------------------------------------------- algebraic rules


def match_algebraic_rules(imp) -> None:
    """Pair each algebraic rule with a quantity it determines (a maximum matching)."""
    rules = [r for r in imp.model.getListOfRules() if r.isAlgebraic() and r.getMath() is not None]
    if not rules:
        return
    trees = [imp.math(r, r.getMath(), what="its math") for r in rules]
    candidates = [_candidates(imp, tree) for tree in trees]
    owner: dict[str, int] = {}

    def augment(i, seen):
        for ident in candidates[i]:
            if ident in seen:
                continue
            seen.add(ident)
            if ident not in owner or augment(owner[ident], seen):
                owner[ident] = i
                return True
        return False

    for i, rule in enumerate(rules):
        if not augment(i, set()):
            imp.refuse(rule, "no quantity is left for the algebraic rule to determine (each must "
                             "determine one that is not constant, has no other rule and is not "
                             "changed by reactions or events)")
    for ident in owner:
        sym = imp.symbols[ident]
        sym.role = "state"
        sym.extra.update(no_der=True, algebraic=True)
        if sym.value is None:
            sym.value = ONE   # a starting guess, corrected to satisfy the rule at t0
    imp.constraints.extend(zip(rules, trees))


def _candidates(imp, tree) -> list[str]:
    found = []
    for ident in sorted(symbols_of(tree), key=list(imp.symbols).index):
        sym = imp.symbols[ident]
        if sym.kind not in ("compartment", "parameter", "species", "stoich"):
            continue
        if sym.element.getConstant() if sym.kind != "stoich" else False:
            continue
        if sym.role in ("let",) or sym.rate is not None or sym.extra.get("event_target"):
            continue
        if sym.role == "state" and not sym.extra.get("no_der"):
            continue   # changed by reactions
        found.append(ident)
    return found


# ---------------------------------------------------------------- fast reactions


def translate_fast_reactions(imp) -> None:
    """Fast reactions in equilibrium: conserved totals as states, constraints for the rest."""
    from .sbml_symbols import ImportedSymbol

    fast = [(r, coefs) for r, coefs, _ in imp.reactions if r.isSetFast() and r.getFast()]
    if not fast:
        return
    species = [sid for sid in dict.fromkeys(s for _, coefs in fast for s in coefs)
               if imp.symbols[sid].role == "state"]
    matrix = [[constant_value(coefs.get(sid, ZERO), imp) for _, coefs in fast] for sid in species]
    if any(v is None for row in matrix for v in row) or any(
            _several_equilibria(imp, imp.symbols[r.getId()].rule) for r, _ in fast):
        _relax_fast_reactions(imp, [r for r, _ in fast])
        return
    import sympy

    laws = sympy.Matrix(matrix).T.nullspace() if matrix else []
    imp.fast_reactions = {r.getId() for r, _ in fast}
    for reaction, _ in fast:
        imp.constraints.append((reaction, ("sym", reaction.getId())))
    for k, law in enumerate(laws, 1):
        total = ImportedSymbol(f"#fast{k}", "total", imp.model, role="state",
                        name=imp.namer.fresh(f"fast_total_{k}"))
        terms, rates = [], []
        for coef, sid in zip(law, species):
            if coef == 0:
                continue
            # n_i/cf_i (amount over conversion factor) changes by the stoichiometry
            # times the rates, so the fast laws conserve sum(l_i*n_i/cf_i)
            c = [] if coef == 1 else [num(float(coef))]
            sym = imp.symbols[sid]
            term = nary("mul", c + [("sym", sid)] + _amount_scale(imp, sym))
            factor = conversion_factor(imp, sym)
            terms.append(("div", term, factor) if factor is not None else term)
            rates.append(nary("mul", c + [_slow_rate(imp, sid)]))
        total.value = ("add", terms)
        total.rate = ("add", rates)
        total.extra["value_name"] = total.name
        imp.add(total)
        imp.constraints.append((imp.model, ("sub", ("sym", total.sbml_id), ("add", terms))))
    for sid in species:
        imp.symbols[sid].extra.update(no_der=True, algebraic=True, fast=True)


#: A fast reaction that the importer simulates (see `_relax_fast_reactions`) runs this
#: many times faster than its kinetic law says.
FAST_SCALE = 1e8


def _several_equilibria(imp, law) -> bool:
    """Whether ``law = 0`` may have several branches or vanish identically for a while: a
    piecewise law, or a product of two or more factors that change (states, rules, time).
    Its equilibrium is then the one the fast reaction's own dynamics reaches, which a
    constraint solved from the current branch cannot follow."""
    def varies(node) -> bool:
        return uses_time(node) or any(
            imp.symbols[i].role != "parameter" for i in symbols_of(node) if i in imp.symbols)

    seen: set[int] = set()   # shared subtrees (inlined function calls) are visited once

    def walk(node) -> bool:
        if id(node) in seen:
            return False
        seen.add(id(node))
        if node[0] == "if":
            return True
        if node[0] == "mul" and sum(varies(f) for f in node[1]) >= 2:
            return True
        return any(walk(c) for c in children(node))

    return walk(law)


def _relax_fast_reactions(imp, reactions) -> None:
    """Fast reactions whose equilibrium a constraint cannot find (several branches, a law
    that vanishes while a parameter is 0, a stoichiometry that changes) are simulated as
    ordinary reactions `FAST_SCALE` times faster: the species relax to the equilibrium the
    reaction's dynamics reaches within about ``1/(FAST_SCALE |dv/dx|)``. The model is
    then stiff (`SbmlTranslation.stiff`)."""
    for reaction in reactions:
        sym = imp.symbols[reaction.getId()]
        sym.rule = nary("mul", [num(FAST_SCALE), sym.rule])
        imp.relaxed_fast.add(reaction.getId())


def constant_value(tree, imp):
    """The exact value of a stoichiometry tree that cannot change, or None: numbers and
    arithmetic on them, and species references whose value (or initial assignment) is one."""
    from fractions import Fraction

    tag = tree[0]
    if tag == "num":
        return sympy_rational(Fraction(tree[1]))
    if tag == "sym":
        sym = imp.symbols.get(tree[1])
        if sym is not None and sym.kind == "stoich" and sym.role == "parameter" and sym.value is not None:
            return constant_value(sym.value, imp)
        return None
    if tag not in ("neg", "add", "sub", "mul", "div", "pow"):
        return None
    parts = [constant_value(t, imp) for t in (tree[1] if tag in ("add", "mul") else tree[1:])]
    if any(p is None for p in parts):
        return None
    if tag == "neg":
        return -parts[0]
    if tag == "add":
        return sum(parts)
    if tag == "mul":
        out = parts[0]
        for p in parts[1:]:
            out *= p
        return out
    if tag == "sub":
        return parts[0] - parts[1]
    if tag == "div":
        return parts[0] / parts[1] if parts[1] != 0 else None
    return parts[0] ** parts[1] if parts[1].is_Integer and abs(parts[1]) <= 64 and parts[0] != 0 else None


def sympy_rational(value):
    """A SymPy rational from a `fractions.Fraction`."""
    import sympy

    return sympy.Rational(value.numerator, value.denominator)


def _amount_scale(imp, sym) -> list:
    """Factors turning a species' variable into its amount ([] or [compartment size])."""
    if sym.unit == "concentration":
        return [imp.size_of(sym)]
    return []


def _slow_rate(imp, sid):
    """The rate of change of a species' amount over its conversion factor by the reactions
    that are not fast."""
    terms = []
    for reaction, coefs, _ in imp.reactions:
        if reaction.getId() in imp.fast_reactions or sid not in coefs:
            continue
        terms.append(("mul", [coefs[sid], ("sym", reaction.getId())]))
    return ("add", terms) if terms else ZERO


def conversion_factor(imp, sym):
    """The species' conversion factor as a tree (its own, else the model's), or None."""
    el = sym.element
    if el.isSetConversionFactor():
        return ("sym", el.getConversionFactor())
    if imp.model.isSetConversionFactor():
        return ("sym", imp.model.getConversionFactor())
    return None
