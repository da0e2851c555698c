"""Import SBML (levels 2 and 3) as modelc model text.

The result is an ordinary ``.model`` file in the ODE form of the language:
compartments and constant quantities become parameters, changing species and
rate-rule targets become states, reaction rates and assignment rules become
lets, and each species' ``der`` is its stoichiometry-weighted sum of rates.
See docs/sbml.md for the rules, and `translate_sbml` for the full result.

Needs the optional dependency python-libsbml (``pip install modelc[sbml]``).
"""

from __future__ import annotations

import math
from pathlib import Path

from ..errors import Diagnostic, ModelError, Span
from .names import Namer
from .sbml_symbols import ImportedSymbol, Quantity, SbmlTranslation
from .sbml_math import (INFINITY, MAX_INLINED, NAN, ONE, ZERO, MathTranslator, Refused, expanded_size, num,
                        substitute, symbols_of, to_text, uses_time)

__all__ = ["sbml_to_model_text", "translate_sbml", "SbmlTranslation", "Quantity",
           "SbmlSupportMissing", "require_libsbml"]

INSTALL_HINT = "pip install modelc[sbml]   (or: pip install python-libsbml)"


class SbmlSupportMissing(ImportError):
    """python-libsbml, needed to read SBML, is not installed."""


def require_libsbml():
    """The libsbml module, or `SbmlSupportMissing` saying how to install it."""
    try:
        import libsbml
    except ImportError as err:
        raise SbmlSupportMissing(
            "reading SBML needs the optional dependency python-libsbml, which is not "
            f"installed; install it with: {INSTALL_HINT}"
        ) from err
    return libsbml


def sbml_to_model_text(path) -> tuple[str, dict[str, str]]:
    """Translate an SBML file into modelc model text.

    Args:
        path: an SBML file (level 2 or 3).
    Returns:
        ``(text, names)``: the model text, and a dict from each SBML id to its
        name in the model (equal to the id unless the id is reserved in the
        language, such as ``t`` or ``pi``; local parameters appear as
        ``"reaction_id.param_id"``; reactions map to the let of their rate).
    Raises:
        ModelError: for SBML the importer does not support (events, algebraic
            rules, ...), naming each offending element.
        SbmlSupportMissing: when python-libsbml is not installed.
    """
    result = translate_sbml(path)
    return result.text, result.names


def translate_sbml(path) -> SbmlTranslation:
    """Translate an SBML file; like `sbml_to_model_text` with the full `SbmlTranslation`."""
    libsbml = require_libsbml()
    path = Path(path)
    xml = path.read_text(encoding="utf-8")
    doc = libsbml.readSBMLFromString(xml)
    problems = [
        _diagnostic(path, err.getLine(), err.getColumn(), f"invalid SBML: {err.getMessage().strip()}")
        for err in (doc.getError(i) for i in range(doc.getNumErrors()))
        if err.getSeverity() >= libsbml.LIBSBML_SEV_ERROR
    ]
    if problems:
        raise ModelError(problems, xml)
    if doc.getModel() is None:
        raise ModelError(_diagnostic(path, 0, 0, "the SBML document has no <model>"), xml)
    try:
        return _Importer(doc, path, xml).run()
    except Refused as why:   # a backstop: each refusal should name its element
        raise ModelError(_diagnostic(path, 0, 0, f"the SBML model: {why}"), xml) from None
    except RecursionError:
        raise ModelError(_diagnostic(path, 0, 0, "the SBML model is nested too deeply to translate",
                                     "split deep expressions with assignment rules"), xml) from None


def _diagnostic(path, line, col, message, hint=""):
    span = Span(str(path), line, max(col, 1)) if line and line > 0 else None
    return Diagnostic(span, message, hint)


class _Importer:
    def __init__(self, doc, path: Path, xml: str):
        import libsbml

        self.L = libsbml
        self.doc, self.model, self.path, self.xml = doc, doc.getModel(), path, xml
        self.problems: list[Diagnostic] = []
        self.symbols: dict[str, ImportedSymbol] = {}
        self.namer = Namer()
        # (reaction, species id -> net stoichiometry tree, [(species id, stoichiometry
        # tree, sign)] per species reference in document order)
        self.reactions: list[tuple[object, dict, list]] = []
        self.events: list = []          # `modelc.io.sbml_events.Event`s
        self.constraints: list = []     # (element, tree that must be 0)
        self.shared: dict = {}          # id(subtree) -> let name (see sbml_share)
        self.shared_lets: list = []     # (name, tree)
        self.fast_reactions: set[str] = set()
        self.relaxed_fast: set[str] = set()   # fast reactions simulated, FAST_SCALE x faster
        self.translator = MathTranslator({
            fd.getId(): fd.getMath() for fd in self.model.getListOfFunctionDefinitions()
        })

    # ------------------------------------------------------------ driver
    def run(self) -> SbmlTranslation:
        from .sbml_events import (collect_event_targets, match_algebraic_rules, translate_events,
                                  translate_fast_reactions)

        self.check_unsupported()
        self.collect_symbols()
        collect_event_targets(self)
        self.assign_names()
        self.translate_math()
        self.resolve_compartments()
        translate_fast_reactions(self)
        match_algebraic_rules(self)
        self.hold_amounts()
        translate_events(self)
        self.check_references()
        self.check_rule_cycles()
        self.name_rule_lets()
        if not self.problems:
            text = self.emit()
        if self.problems:
            raise ModelError(self.problems, self.xml)
        return SbmlTranslation(text, self.names(), self.quantities(),
                               self.doc.getLevel(), self.doc.getVersion(),
                               stiff=bool(self.relaxed_fast))

    def refuse(self, element, message: str, hint: str = "") -> None:
        what = _describe(element)
        self.problems.append(_diagnostic(
            self.path, element.getLine(), element.getColumn(), f"{what}: {message}",
            hint or "this importer translates reactions, rules, events, initial assignments "
                    "and function definitions; remove or rewrite the element (see docs/sbml.md)"))

    # ------------------------------------------------------------ refusals
    def check_unsupported(self) -> None:
        doc, model = self.doc, self.model
        if doc.getLevel() < 2:
            self.refuse(model, f"SBML level {doc.getLevel()} is not supported",
                        "convert the file to SBML level 2 or 3 first")
        for i in range(doc.getNumPlugins()):
            package = doc.getPlugin(i).getPackageName()
            if doc.isPackageEnabled(package) and package not in ("layout", "render", "l3v2extendedmath"):
                self.refuse(model, f"the SBML package {package!r} is not supported")
        for r in model.getListOfReactions():
            if not r.isSetKineticLaw() or r.getKineticLaw().getMath() is None:
                self.refuse(r, "the reaction has no kinetic law (its rate is undefined)")

    # ------------------------------------------------------------ symbols and roles
    def collect_symbols(self) -> None:
        model = self.model
        for c in model.getListOfCompartments():
            self.add(ImportedSymbol(c.getId(), "compartment", c))
        for p in model.getListOfParameters():
            self.add(ImportedSymbol(p.getId(), "parameter", p))
        for s in model.getListOfSpecies():
            self.add(ImportedSymbol(s.getId(), "species", s))
        for r in model.getListOfReactions():
            self.add(ImportedSymbol(r.getId(), "reaction", r, role="let"))
        self.collect_species_references()
        self.collect_rules()

    def add(self, sym: ImportedSymbol) -> None:
        self.symbols[sym.sbml_id] = sym

    def collect_species_references(self) -> None:
        for r in self.model.getListOfReactions():
            coefs: dict[str, list] = {}
            refs_out = []
            for refs, sign in ((r.getListOfReactants(), -1), (r.getListOfProducts(), 1)):
                for ref in refs:
                    tree = self.stoichiometry(ref)
                    refs_out.append((ref.getSpecies(), tree, sign))
                    coefs.setdefault(ref.getSpecies(), []).append(tree if sign > 0 else ("neg", tree))
            net = {sid: (terms[0] if len(terms) == 1 else ("add", terms)) for sid, terms in coefs.items()}
            self.reactions.append((r, net, refs_out))

    def stoichiometry(self, ref):
        """A species reference's stoichiometry as a tree (a number, or the reference's id
        when rules, initial assignments or events may set it, or its stoichiometryMath)."""
        if ref.isSetStoichiometryMath():
            return self.math(ref, ref.getStoichiometryMath().getMath(), what="its stoichiometryMath")
        if ref.isSetId() and ref.getId():
            sym = ImportedSymbol(ref.getId(), "stoich", ref)
            if ref.isSetStoichiometry():
                value = ref.getStoichiometry()
                sym.value = _number(value)
            self.add(sym)
            return ("sym", ref.getId())
        if self.doc.getLevel() >= 3 and not ref.isSetStoichiometry():
            self.refuse(ref, "the stoichiometry is not set")
            return ONE
        value = ref.getStoichiometry()
        if not math.isfinite(value):
            self.refuse(ref, f"the stoichiometry {value!r} is not a finite number")
            return ONE
        return num(value)

    def collect_rules(self) -> None:
        for rule in self.model.getListOfRules():
            if rule.isAlgebraic() or rule.getMath() is None:
                continue   # (SBML L3v2: a rule without math has no effect)
            sym = self.target(rule, rule.getVariable())
            if sym is None:
                continue
            if sym.role in ("let", "state"):
                self.refuse(rule, f"{sym.sbml_id!r} has more than one rule")
            else:
                sym.role = "let" if rule.isAssignment() else "state"
                sym.extra["rule"] = rule
        for ia in self.model.getListOfInitialAssignments():
            if ia.getMath() is not None:
                self.target(ia, ia.getSymbol())

    def target(self, element, ident):
        sym = self.symbols.get(ident)
        if sym is None or sym.kind == "reaction":
            self.refuse(element, f"{ident!r} is not a compartment, species, parameter or "
                                 "species reference")
            return None
        return sym

    def species_role(self, sym: ImportedSymbol, in_reactions: bool) -> None:
        s = sym.element
        comp = self.symbols.get(s.getCompartment())
        dims = comp.element.getSpatialDimensionsAsDouble() if comp else 3.0
        sym.unit = "amount" if s.getHasOnlySubstanceUnits() or dims == 0 else "concentration"
        sym.extra["compartment"] = comp
        if sym.role in ("let", "state"):
            if sym.role == "state" and in_reactions and not s.getBoundaryCondition():
                self.refuse(s, "the species has a rate rule and is changed by reactions; "
                               "set boundaryCondition=\"true\" or remove one of them")
            return
        fixed = s.getBoundaryCondition() or s.getConstant() or not in_reactions
        if not fixed:
            sym.role = "state"
        elif sym.extra.get("event_target") or sym.extra.get("algebraic"):
            sym.role, sym.extra["no_der"] = "state", True
        else:
            sym.role = "parameter"

    def settle_roles(self) -> None:
        """Roles of species and of quantities that only events set (states without der)."""
        changed = {sid for _, coefs, _ in self.reactions for sid in coefs}
        for sym in self.symbols.values():
            if sym.kind == "species":
                self.species_role(sym, sym.sbml_id in changed)
            elif sym.role == "parameter" and sym.extra.get("event_target"):
                sym.role, sym.extra["no_der"] = "state", True
            elif sym.kind == "compartment" and sym.role == "parameter":
                el = sym.element
                has_size = (el.isSetSize() or self.model.getInitialAssignmentBySymbol(sym.sbml_id)
                            or not el.getConstant())   # (an algebraic rule may determine it)
                sym.role = "parameter" if has_size else "absent"

    # ------------------------------------------------------------ names
    def assign_names(self) -> None:
        self.settle_roles()
        order = [s for s in self.symbols.values() if s.kind != "reaction"]
        renamed = [s for s in order if not self.namer.keep(s.sbml_id)]
        for sym in renamed:
            sym.name = self.namer.rename(sym.sbml_id)
        for sym in order:
            sym.name = sym.name or sym.sbml_id
            sym.extra["value_name"] = sym.name
        for sym in self.symbols.values():
            if sym.kind == "reaction":
                sym.name = self.namer.fresh(f"v_{sym.sbml_id}")

    # ------------------------------------------------------------ math
    def math(self, element, ast, env=None, what="its math", condition=False):
        try:
            return self.translator.translate(ast, env, condition)
        except Refused as why:
            self.refuse(element, f"{what}: {why}")
        except RecursionError:
            self.refuse(element, f"{what} is nested too deeply to translate",
                        "split the expression with assignment rules or function definitions")
        return ZERO

    def translate_math(self) -> None:
        for sym in list(self.symbols.values()):
            if sym.kind == "reaction":
                self.kinetic_law(sym)
            elif sym.role in ("let", "state") and "rule" in sym.extra:
                rule = sym.extra["rule"]
                tree = self.math(rule, rule.getMath())
                if sym.role == "let":
                    sym.rule = tree
                else:
                    sym.rate = tree
        for ia in self.model.getListOfInitialAssignments():
            sym = self.symbols.get(ia.getSymbol())
            if sym is not None and ia.getMath() is not None:
                sym.value = self.math(ia, ia.getMath())
                sym.extra.update(from_ia=True, ia=ia)
        for sym in self.symbols.values():
            if sym.value is None and sym.kind in ("compartment", "parameter", "species"):
                sym.value = self.declared_value(sym)

    def resolve_compartments(self) -> None:
        """A compartment whose assignment rule uses only constants is a parameter (its
        default is the rule); the others keep their rule (a let) or rate rule (a state)."""
        changed = True
        while changed:
            changed = False
            for sym in self.symbols.values():
                if sym.kind != "compartment" or sym.role != "let" or sym.rule is None:
                    continue
                roles = {self.symbols[i].role for i in symbols_of(sym.rule) if i in self.symbols}
                if roles <= {"parameter"} and not uses_time(sym.rule) \
                        and all(i in self.symbols for i in symbols_of(sym.rule)):
                    sym.role, sym.value, sym.rule = "parameter", sym.rule, None
                    sym.extra["from_rule"] = True
                    changed = True

    def hold_amounts(self) -> None:
        """Species in concentration whose compartment changes are held as amounts (their
        amount is what reactions and a compartment's change conserve); the species id
        becomes the concentration, ``amount/size``."""
        for sym in list(self.symbols.values()):
            comp = sym.extra.get("compartment")
            if (sym.kind != "species" or sym.unit != "concentration" or comp is None
                    or comp.role == "parameter" or sym.role == "let" or sym.rate is not None):
                continue
            key = f"{sym.sbml_id}#amount"
            amount = ImportedSymbol(key, "amount", sym.element, role=sym.role,
                             name=self.namer.fresh(f"{sym.extra['value_name']}_amount"),
                             unit="amount")
            amount.value = ("mul", [sym.value, ("sym", comp.sbml_id)]) if sym.value is not None else None
            amount.extra.update(value_name=amount.name, compartment=comp, species=sym,
                                no_der=sym.extra.get("no_der", False))
            self.add(amount)
            sym.extra["amount"] = amount
            sym.role, sym.rule, sym.value = "let", ("div", ("sym", key), ("sym", comp.sbml_id)), None

    def kinetic_law(self, sym: ImportedSymbol) -> None:
        reaction = sym.element
        law = reaction.getKineticLaw()
        if law is None:
            sym.rule = ZERO
            return
        env = {}
        if self.doc.getLevel() >= 3:
            locals_ = list(law.getListOfLocalParameters())
        else:
            locals_ = list(law.getListOfParameters())
        for p in locals_:
            key = f"{reaction.getId()}.{p.getId()}"
            name = self.namer.fresh(f"{reaction.getId()}_{p.getId()}")
            local = ImportedSymbol(key, "local", p, name=name)
            local.value = _number(p.getValue()) if p.isSetValue() else None
            if local.value is None:
                self.refuse(p, "the local parameter has no value")
            self.add(local)
            env[p.getId()] = (("sym", key), "num")
        sym.rule = self.math(reaction, law.getMath(), env, "its kinetic law")

    def declared_value(self, sym: ImportedSymbol):
        el = sym.element
        if sym.kind == "compartment":
            return _number(el.getSize()) if el.isSetSize() else None
        if sym.kind == "parameter":
            return _number(el.getValue()) if el.isSetValue() else None
        if el.isSetInitialAmount():
            value = _number(el.getInitialAmount())
            if sym.unit == "amount" or value == ZERO:
                return value
            return ("div", value, self.size_of(sym))
        if el.isSetInitialConcentration():
            value = _number(el.getInitialConcentration())
            if sym.unit == "concentration" or value == ZERO:
                return value
            return ("mul", [value, self.size_of(sym)])
        return None

    def size_of(self, sym: ImportedSymbol):
        """The size of a species' compartment, refusing when it has none."""
        comp = sym.extra["compartment"]
        if comp is None or comp.role == "absent":
            self.refuse(sym.element, f"its compartment {sym.element.getCompartment()!r} has no "
                                     "size, so its amount and concentration cannot be converted")
            return NAN
        return ("sym", comp.sbml_id)

    def trees(self):
        """``(symbol, tree)`` for every formula of the model (values, rules, rates, events,
        constraints, stoichiometries), the symbol being the one whose element to blame."""
        for sym in list(self.symbols.values()):
            blame = (sym.extra.get("ia", sym.element), sym.extra.get("rule", sym.element),
                     sym.extra.get("rule", sym.element))
            for element, tree in zip(blame, (sym.value, sym.rule, sym.rate)):
                if tree is not None:
                    yield element, tree
        for reaction, coefs, _ in self.reactions:
            for tree in coefs.values():
                yield reaction, tree
        for event in self.events:
            for tree in event.trees():
                yield event.element, tree
        for element, tree in self.constraints:
            yield element, tree

    def check_references(self) -> None:
        for element, tree in self.trees():
            for ident in symbols_of(tree):
                ref = self.symbols.get(ident)
                if ref is None:
                    self.refuse(element, f"its math uses {ident!r}, which is not defined in the model",
                                f"declare {ident!r} (a parameter, species or compartment), or correct "
                                "the id")
                elif ref.role == "absent":
                    self.refuse(element, f"its math uses compartment {ident!r}, which has no size")

    def check_rule_cycles(self) -> None:
        """Assignment rules (and kinetic laws, read by them) that depend on themselves."""
        lets = {k: s for k, s in self.symbols.items() if s.role == "let" and s.rule is not None}
        state: dict[str, int] = {}      # 1: on the path, 2: done

        def visit(key, path):
            state[key] = 1
            for dep in sorted(symbols_of(lets[key].rule)):
                if dep not in lets:
                    continue
                if state.get(dep) == 1:
                    cycle = path[path.index(dep):] + [dep]
                    sym = lets[dep]
                    element = sym.extra.get("rule", sym.element)
                    self.refuse(element, "its value depends on itself: " + " -> ".join(cycle),
                                "assignment rules must not be circular; break the cycle")
                elif dep not in state:
                    visit(dep, path + [dep])
            state[key] = 2

        for key in lets:
            if key not in state:
                visit(key, [key])

    def name_rule_lets(self) -> None:
        used = set()
        for _, tree in self.trees():
            used |= symbols_of(tree)
        for sym in self.symbols.values():
            if sym.role == "let" and sym.kind != "reaction":
                sym.extra["referenced"] = sym.sbml_id in used
                if sym.sbml_id in used:
                    sym.name = self.namer.fresh(f"{sym.extra['value_name']}_rule")

    # ------------------------------------------------------------ initial values
    def initial(self, tree, seen=()):
        """The tree at the start time, in terms of parameters only."""
        def replace(node):
            if node[0] == "time":
                return ZERO
            if node[0] == "call":     # der(x): rateOf at the start
                return self.initial(self.initial_rate(node[2][0]), seen)
            sym = self.symbols[node[1]]
            if sym.role in ("parameter", "absent"):
                return node
            if sym.sbml_id in seen:
                raise Refused(f"the initial values of {', '.join(seen)} depend on each other")
            inner = sym.value if sym.role == "state" else sym.rule
            if inner is None:
                raise Refused(f"{sym.kind} {sym.sbml_id!r} has no initial value")
            return self.initial(inner, seen + (sym.sbml_id,))
        return substitute(tree, replace, calls=("der",))

    def initial_rate(self, node):
        """The tree of ``der(node)`` that `initial` can evaluate at the start."""
        sym = self.symbols.get(node[1]) if node[0] == "sym" else None
        if sym is None or sym.role in ("parameter", "absent") or sym.extra.get("no_der"):
            return ZERO
        if sym.rate is not None:
            return sym.rate
        if sym.role == "state" and "amount" not in sym.extra:
            from .sbml_emit import reaction_sum

            return reaction_sum(self, sym)
        raise Refused(f"the rate of change of {sym.sbml_id!r} at the start (rateOf in an initial "
                      "value) is only translated for quantities with a rate rule")

    def initial_of(self, sym: ImportedSymbol):
        if sym.value is None:
            self.refuse(sym.element, "it has no value (give one, or an initial assignment)")
            return NAN
        try:
            return self.initial(sym.value, (sym.sbml_id,))
        except Refused as why:
            self.refuse(sym.element, str(why))
            return NAN

    # ------------------------------------------------------------ emit
    def text(self, tree, shared: bool = True) -> str:
        """Model text of a tree; with ``shared`` False (parameter defaults, initial values,
        where lets cannot be used) inlined function calls are written out in full."""
        if not shared:
            size = expanded_size(tree)
            if size > MAX_INLINED:
                raise Refused(f"a value whose function calls, written out, have {size:,} terms "
                              f"(the limit is {MAX_INLINED:,} where lets cannot be used)")
        return to_text(tree, lambda ident: self.symbols[ident].name, self.shared if shared else None)

    def emit(self) -> str:
        from .sbml_emit import emit_model

        try:
            return emit_model(self)
        except Refused as why:
            self.refuse(self.model, str(why))
            return ""

    def names(self) -> dict[str, str]:
        out = {}
        for sym in self.symbols.values():
            if sym.role == "absent" or sym.kind == "amount":
                continue
            out[sym.sbml_id] = sym.name if sym.kind in ("reaction", "local") else sym.extra["value_name"]
        return out

    def quantities(self) -> dict[str, Quantity]:
        out = {}
        for sym in self.symbols.values():
            if sym.kind not in ("compartment", "species", "parameter", "stoich") or sym.role == "absent":
                continue
            role = {"let": "observe"}.get(sym.role, sym.role)
            comp = sym.extra.get("compartment")
            out[sym.sbml_id] = Quantity(
                sym.sbml_id, sym.kind, sym.extra["value_name"], role, sym.unit,
                comp.extra["value_name"] if comp is not None and comp.role != "absent" else None)
        return out


def _number(value: float):
    if math.isnan(value):
        return NAN
    if math.isinf(value):
        return INFINITY if value > 0 else ("neg", INFINITY)
    return num(value)


def _describe(element) -> str:
    kind = element.getElementName()
    words = {
        "compartment": "compartment", "species": "species", "parameter": "parameter",
        "localParameter": "local parameter", "reaction": "reaction", "event": "event",
        "algebraicRule": "algebraic rule", "assignmentRule": "assignment rule",
        "rateRule": "rate rule", "initialAssignment": "initial assignment",
        "constraint": "constraint", "functionDefinition": "function definition",
        "speciesReference": "species reference", "model": "model",
    }
    what = words.get(kind, kind)
    if kind in ("assignmentRule", "rateRule", "algebraicRule"):
        var = element.getVariable() if kind != "algebraicRule" else ""
        return f"{what} for {var!r}" if var else what
    if kind == "initialAssignment":
        return f"{what} for {element.getSymbol()!r}"
    ident = element.getId() if element.isSetId() else ""
    if kind == "speciesReference" and not ident:
        return f"{what} to species {element.getSpecies()!r}"
    return f"{what} {ident!r}" if ident else what
