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
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Diagnostic, ModelError, Span
from .names import Namer
from .sbml_math import (INFINITY, NAN, ZERO, MathTranslator, Refused, num, substitute, symbols_of, to_text,
                        uses_time)

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


@dataclass(frozen=True)
class Quantity:
    """Where the value of one SBML compartment, species or parameter lives in the model.

    Attributes:
        sbml_id: the SBML identifier.
        kind: ``compartment``, ``species`` or ``parameter``.
        name: the model name that holds its value.
        role: ``state``, ``observe`` (an assignment rule) or ``parameter``.
        unit: for species, ``amount`` or ``concentration`` (what ``name`` holds).
        compartment: for species, the model name of its compartment's size
            (None when the compartment has no size, e.g. 0-dimensional).
    """

    sbml_id: str
    kind: str
    name: str
    role: str
    unit: str | None = None
    compartment: str | None = None


@dataclass
class SbmlTranslation:
    """The result of importing an SBML file.

    Attributes:
        text: the model file text.
        names: SBML id -> model name (local parameters as ``"reaction.param"``,
            reactions -> the let holding their rate).
        quantities: SBML id -> `Quantity`, for every compartment, species and
            global parameter that has a value.
        level, version: of the SBML document.
    """

    text: str
    names: dict[str, str]
    quantities: dict[str, Quantity]
    level: int
    version: int


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


@dataclass
class _Symbol:
    """One SBML id in the model: its role and trees."""

    sbml_id: str
    kind: str           # compartment | species | parameter | local | reaction
    element: object
    role: str = "parameter"   # parameter | state | let | absent
    name: str = ""            # model name of its value in equations
    value: object = None      # default / initial tree (None: not given)
    rule: object = None       # assignment-rule tree (role let) or kinetic law
    rate: object = None       # rate-rule tree
    unit: str | None = None   # species: amount | concentration
    comment: str = ""
    extra: dict = field(default_factory=dict)


class _Importer:
    def __init__(self, doc, path: Path, xml: str):
        import libsbml

        self.L = libsbml
        self.doc, self.model, self.path, self.xml = doc, doc.getModel(), path, xml
        self.problems: list[Diagnostic] = []
        self.symbols: dict[str, _Symbol] = {}
        self.namer = Namer()
        self.reactions: list[tuple[object, dict[str, float]]] = []
        self.translator = MathTranslator({
            fd.getId(): fd.getMath() for fd in self.model.getListOfFunctionDefinitions()
        })

    # ------------------------------------------------------------ driver
    def run(self) -> SbmlTranslation:
        self.check_unsupported()
        self.collect_symbols()
        self.assign_names()
        self.translate_math()
        if not self.problems:
            text = self.emit()
        if self.problems:
            raise ModelError(self.problems, self.xml)
        return SbmlTranslation(text, self.names(), self.quantities(),
                               self.doc.getLevel(), self.doc.getVersion())

    def refuse(self, element, message: str, hint: str = "") -> None:
        what = _describe(element)
        self.problems.append(_diagnostic(
            self.path, element.getLine(), element.getColumn(), f"{what}: {message}",
            hint or "this importer translates reactions, rules, initial assignments and "
                    "function definitions; remove or rewrite the element (see docs/sbml.md)"))

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
        for event in model.getListOfEvents():
            self.refuse(event, "events are not supported (the language has no discontinuous jumps)")
        for c in model.getListOfConstraints():
            self.refuse(c, "constraints are not supported")
        if model.isSetConversionFactor():
            self.refuse(model, f"conversion factors are not supported "
                               f"(conversionFactor={model.getConversionFactor()!r})")
        for s in model.getListOfSpecies():
            if s.isSetConversionFactor():
                self.refuse(s, "conversion factors are not supported "
                               f"(conversionFactor={s.getConversionFactor()!r})")
        for r in model.getListOfReactions():
            if r.isSetFast() and r.getFast():
                self.refuse(r, "fast reactions are not supported")
            if not r.isSetKineticLaw() or r.getKineticLaw().getMath() is None:
                self.refuse(r, "the reaction has no kinetic law (its rate is undefined)")
        for rule in model.getListOfRules():
            if rule.isAlgebraic():
                self.refuse(rule, "algebraic rules are not supported (they need a DAE solver)")

    # ------------------------------------------------------------ symbols and roles
    def collect_symbols(self) -> None:
        model = self.model
        for c in model.getListOfCompartments():
            self.add(_Symbol(c.getId(), "compartment", c))
        for p in model.getListOfParameters():
            self.add(_Symbol(p.getId(), "parameter", p))
        for s in model.getListOfSpecies():
            self.add(_Symbol(s.getId(), "species", s))
        for r in model.getListOfReactions():
            self.add(_Symbol(r.getId(), "reaction", r, role="let"))
        self.stoich_ids = self.collect_species_references()
        self.collect_rules()
        changed = {sid for _, coefs in self.reactions for sid in coefs}
        for sym in self.symbols.values():
            if sym.kind == "species":
                self.species_role(sym, sym.sbml_id in changed)
            elif sym.kind == "compartment" and sym.role not in ("let", "state"):
                el = sym.element
                has_size = (el.isSetSize() or "fixed_rule" in sym.extra
                            or self.model.getInitialAssignmentBySymbol(sym.sbml_id))
                sym.role = "parameter" if has_size else "absent"

    def add(self, sym: _Symbol) -> None:
        self.symbols[sym.sbml_id] = sym

    def collect_species_references(self) -> set[str]:
        ids = set()
        for r in self.model.getListOfReactions():
            coefs: dict[str, float] = {}
            for refs, sign in ((r.getListOfReactants(), -1.0), (r.getListOfProducts(), 1.0)):
                for ref in refs:
                    if ref.isSetId():
                        ids.add(ref.getId())
                    coefs[ref.getSpecies()] = coefs.get(ref.getSpecies(), 0.0) + sign * self.stoichiometry(ref)
            self.reactions.append((r, coefs))
        return ids

    def stoichiometry(self, ref) -> float:
        if ref.isSetStoichiometryMath():
            self.refuse(ref, "stoichiometryMath is not supported")
            return 1.0
        if self.doc.getLevel() >= 3 and not ref.isSetStoichiometry():
            self.refuse(ref, "the stoichiometry is not set")
            return 1.0
        value = ref.getStoichiometry()
        if not math.isfinite(value):
            self.refuse(ref, f"the stoichiometry {value!r} is not a finite number")
            return 1.0
        return value

    def collect_rules(self) -> None:
        for rule in self.model.getListOfRules():
            if rule.isAlgebraic():
                continue
            sym = self.target(rule, rule.getVariable())
            if sym is None:
                continue
            if sym.kind == "compartment" and rule.isRate():
                self.refuse(rule, f"compartment {sym.sbml_id!r} changes in time (non-constant "
                                  "compartments are not supported)")
            elif sym.kind == "compartment":
                sym.extra["fixed_rule"] = rule     # accepted if its value cannot change
            elif sym.role in ("let", "state"):
                self.refuse(rule, f"{sym.sbml_id!r} has more than one rule")
            else:
                sym.role = "let" if rule.isAssignment() else "state"
                sym.extra["rule"] = rule
        for ia in self.model.getListOfInitialAssignments():
            self.target(ia, ia.getSymbol())

    def target(self, element, ident):
        if ident in self.stoich_ids:
            self.refuse(element, f"it assigns the stoichiometry {ident!r} (assigned stoichiometry "
                                 "is not supported)")
            return None
        sym = self.symbols.get(ident)
        if sym is None or sym.kind == "reaction":
            self.refuse(element, f"{ident!r} is not a compartment, species or parameter")
            return None
        return sym

    def species_role(self, sym: _Symbol, in_reactions: bool) -> None:
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
        sym.role = "parameter" if fixed else "state"

    # ------------------------------------------------------------ names
    def assign_names(self) -> None:
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
    def math(self, element, ast, env=None, what="its math"):
        try:
            return self.translator.translate(ast, env)
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
            if sym is not None:
                sym.value = self.math(ia, ia.getMath())
                sym.extra["from_ia"] = True
        for sym in self.symbols.values():
            if "fixed_rule" in sym.extra:
                sym.value = self.fixed_rule(sym, sym.extra["fixed_rule"])
        for sym in self.symbols.values():
            if sym.value is None and sym.kind in ("compartment", "parameter", "species"):
                sym.value = self.declared_value(sym)
        self.check_references()
        self.name_rule_lets()

    def fixed_rule(self, sym: _Symbol, rule):
        """A compartment's assignment rule, accepted when it uses only constants."""
        tree = self.math(rule, rule.getMath())
        varying = sorted(ident for ident in symbols_of(tree)
                         if self.symbols.get(ident) is not None
                         and self.symbols[ident].role not in ("parameter", "absent"))
        if varying or uses_time(tree):
            what = ", ".join(repr(v) for v in varying) or "time"
            self.refuse(rule, f"compartment {sym.sbml_id!r} changes in time (it depends on "
                              f"{what}; non-constant compartments are not supported)")
        sym.extra["from_rule"] = True
        return tree

    def kinetic_law(self, sym: _Symbol) -> None:
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
            local = _Symbol(key, "local", p, name=name)
            local.value = num(p.getValue()) if p.isSetValue() else None
            if local.value is None:
                self.refuse(p, "the local parameter has no value")
            self.add(local)
            env[p.getId()] = (("sym", key), "num")
        sym.rule = self.math(reaction, law.getMath(), env, "its kinetic law")

    def declared_value(self, sym: _Symbol):
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

    def size_of(self, sym: _Symbol):
        """The size of a species' compartment, refusing when it has none."""
        comp = sym.extra["compartment"]
        if comp is None or comp.role != "parameter":
            self.refuse(sym.element, f"its compartment {sym.element.getCompartment()!r} has no "
                                     "size, so its amount and concentration cannot be converted")
            return NAN
        return ("sym", comp.sbml_id)

    def check_references(self) -> None:
        for sym in list(self.symbols.values()):
            for tree in (sym.value, sym.rule, sym.rate):
                if tree is None:
                    continue
                for ident in symbols_of(tree):
                    ref = self.symbols.get(ident)
                    if ref is None:
                        what = "a species reference (stoichiometry used as a value)" \
                            if ident in self.stoich_ids else "not defined in the model"
                        self.refuse(sym.element, f"its math uses {ident!r}, which is {what}")
                    elif ref.role == "absent":
                        self.refuse(sym.element, f"its math uses compartment {ident!r}, "
                                                 "which has no size")

    def name_rule_lets(self) -> None:
        used = set()
        for sym in self.symbols.values():
            for tree in (sym.rule, sym.rate):
                if tree is not None:
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
            sym = self.symbols[node[1]]
            if sym.role in ("parameter", "absent"):
                return node
            if sym.sbml_id in seen:
                raise Refused(f"the initial values of {', '.join(seen)} depend on each other")
            inner = sym.value if sym.role == "state" else sym.rule
            if inner is None:
                raise Refused(f"{sym.kind} {sym.sbml_id!r} has no initial value")
            return self.initial(inner, seen + (sym.sbml_id,))
        return substitute(tree, replace)

    def initial_of(self, sym: _Symbol):
        if sym.value is None:
            self.refuse(sym.element, "it has no value (give one, or an initial assignment)")
            return NAN
        try:
            return self.initial(sym.value, (sym.sbml_id,))
        except Refused as why:
            self.refuse(sym.element, str(why))
            return NAN

    # ------------------------------------------------------------ emit
    def text(self, tree) -> str:
        return to_text(tree, lambda ident: self.symbols[ident].name)

    def emit(self) -> str:
        from .sbml_emit import emit_model

        return emit_model(self)

    def names(self) -> dict[str, str]:
        out = {}
        for sym in self.symbols.values():
            if sym.role == "absent":
                continue
            out[sym.sbml_id] = sym.name if sym.kind in ("reaction", "local") else sym.extra["value_name"]
        return out

    def quantities(self) -> dict[str, Quantity]:
        out = {}
        for sym in self.symbols.values():
            if sym.kind not in ("compartment", "species", "parameter") or sym.role == "absent":
                continue
            role = {"let": "observe"}.get(sym.role, sym.role)
            comp = sym.extra.get("compartment")
            out[sym.sbml_id] = Quantity(
                sym.sbml_id, sym.kind, sym.extra["value_name"], role, sym.unit,
                comp.name if comp is not None and comp.role == "parameter" else None)
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
