"""Export a model in the modelc language as SBML Level 3 Version 2.

The model is read as parsed (before lowering), so reactions stay reactions:

| model file | SBML |
| --- | --- |
| `parameter k = 0.5` | `<parameter constant="true">` (an initial assignment if the default is an expression) |
| `state x = 1` with `der(x) = ...` | `<parameter constant="false">` with a rate rule |
| `state x` with no `der` | `<parameter constant="false">` (set by events or an algebraic rule) |
| `species A = 1` | `<species hasOnlySubstanceUnits="true">` in one compartment of size 1 |
| `reaction ...` | `<reaction>` with its stoichiometry and kinetic law (mass action written out) |
| `let` / `observe` | `<parameter constant="false">` with an assignment rule |
| `event` | `<event>` (trigger, delay, priority, persistence, initial value, values) |
| `constraint L = R` | `<algebraicRule>` of `L - R` |
| `delay(x, tau)`, `der(x)` in an expression | the `delay` and `rateOf` csymbols |

A species holds an amount (``hasOnlySubstanceUnits``), so a kinetic law is
exactly the language's rate. Refused, naming the construct: fields, domains and
boundaries (PDEs), external functions, array states, and ``stop`` events.
Formulas become libsbml ASTs node by node, never through text.
"""

from __future__ import annotations

import math
from pathlib import Path

import sympy

from ..errors import Diagnostic, ModelError
from .sbml import require_libsbml

__all__ = ["model_to_sbml", "export_file", "SbmlExportRefused"]


class SbmlExportRefused(ModelError):
    """A model construct that SBML cannot express (the message names it and its line)."""


def export_file(path, out=None) -> str:
    """Export a ``.model`` file as SBML; writes ``out`` when given. Returns the SBML text."""
    text = Path(path).read_text(encoding="utf-8")
    return model_to_sbml(text, str(path), out)


def model_to_sbml(text: str, file: str = "<string>", out=None) -> str:
    """The SBML Level 3 Version 2 document of a model's text.

    Args:
        text: the model file's contents.
        file: its name, for error messages.
        out: a path to write the SBML to (optional).
    Returns:
        The SBML document as a string.
    Raises:
        ModelError: for errors in the model text; `SbmlExportRefused` for
            constructs SBML cannot express, naming each and its line.
    """
    from ..frontend.parser import parse_source

    libsbml = require_libsbml()
    model = parse_source(text, file)
    xml = _Exporter(libsbml, model).run()
    if out is not None:
        Path(out).write_text(xml, encoding="utf-8")
    return xml


class _Exporter:
    def __init__(self, libsbml, model):
        self.L = libsbml
        self.ir = model
        self.doc = libsbml.SBMLDocument(3, 2)
        self.sbml = self.doc.createModel()
        self.problems: list[Diagnostic] = []
        self.math = _MathBuilder(libsbml)
        self.taken = {x.name for x in model.parameters + model.states + model.species
                      + model.lets + model.observes}

    def fresh(self, name: str) -> str:
        """``name``, or ``name_2``, ... if a quantity has it (reaction labels and event
        names are a separate namespace in the language, not in SBML)."""
        out, i = name, 2
        while out in self.taken:
            out, i = f"{name}_{i}", i + 1
        self.taken.add(out)
        return out

    def run(self) -> str:
        self.refusals()
        if self.problems:
            raise SbmlExportRefused(self.problems, source=self.ir.source or None)
        ir = self.ir
        self.sbml.setId(ir.name if ir.name.isidentifier() else "model")
        if ir.doc:
            self.sbml.setName(ir.doc)
        self.parameters()
        self.states()
        self.species()
        self.rules()
        self.reactions()
        self.events()
        for c in ir.constraints:
            self.sbml.createAlgebraicRule().setMath(self.ast(c.lhs - c.rhs, c.span))
        if self.problems:
            raise SbmlExportRefused(self.problems, source=ir.source or None)
        return self.L.writeSBMLToString(self.doc)

    def refuse(self, span, what: str) -> None:
        self.problems.append(Diagnostic(span, f"{what} cannot be written as SBML",
                                        "SBML describes ODE, reaction, event and algebraic models; "
                                        "export a model without it"))

    def refusals(self) -> None:
        ir = self.ir
        for d in ir.domains:
            self.refuse(d.span, f"domain `{d.name}` (a PDE)")
        for f in ir.fields:
            self.refuse(f.span, f"field `{f.name}` (a PDE)")
        for e in ir.externals:
            self.refuse(e.span, f"external function `{e.name}`")
        for s in ir.states:
            if s.array:
                self.refuse(s.span, f"array state `{s.name}`")
        for e in ir.events:
            if e.stop:
                self.refuse(e.span, f"event `{e.name}` with `stop` (SBML has no end-of-solve action)")

    def ast(self, expr, span):
        expr = sympy.sympify(expr)
        determined = {c.state for c in self.ir.constraints}
        from ..ir import DerValue

        for d in expr.atoms(DerValue):
            if str(d.args[0]) in determined:
                self.problems.append(Diagnostic(
                    span, f"`der({d.args[0]})` of a state that a constraint determines cannot be "
                          "written as SBML (rateOf may not name a quantity an algebraic rule determines)",
                    f"write the rate of change of `{d.args[0]}` out by hand"))
                return self.math.build(sympy.Integer(0))
        try:
            return self.math.build(expr)
        except _Unsupported as why:
            self.problems.append(Diagnostic(span, f"{why} cannot be written as SBML",
                                            "rewrite the expression with SBML's functions"))
            return self.math.build(sympy.Integer(0))

    def value(self, element, expr, span, setter) -> None:
        """A numeric attribute when the value is a finite number, else an initial assignment."""
        expr = sympy.sympify(expr)
        if expr.is_Number and math.isfinite(float(expr)):
            setter(float(expr))
        else:
            ia = self.sbml.createInitialAssignment()
            ia.setSymbol(element.getId())
            ia.setMath(self.ast(expr, span))

    def parameters(self) -> None:
        for p in self.ir.parameters:
            el = self.sbml.createParameter()
            el.setId(p.name)
            el.setConstant(True)
            self.value(el, p.default, p.span, el.setValue)

    def states(self) -> None:
        determined = {c.state for c in self.ir.constraints}
        ders = {d.state: d for d in self.ir.derivatives}
        for s in self.ir.states:
            el = self.sbml.createParameter()
            el.setId(s.name)
            el.setConstant(False)
            self.value(el, s.initial, s.span, el.setValue)
            d = ders.get(s.name)
            if d is not None and s.name not in determined:
                rule = self.sbml.createRateRule()
                rule.setVariable(s.name)
                rule.setMath(self.ast(d.expr, d.span))

    def species(self) -> None:
        if not self.ir.species:
            return
        comp_id = self.fresh("compartment")
        comp = self.sbml.createCompartment()
        comp.setId(comp_id)
        comp.setConstant(True)
        comp.setSize(1.0)
        comp.setSpatialDimensions(3)
        for s in self.ir.species:
            el = self.sbml.createSpecies()
            el.setId(s.name)
            el.setCompartment(comp_id)
            el.setHasOnlySubstanceUnits(True)
            el.setBoundaryCondition(False)
            el.setConstant(False)
            self.value(el, s.initial, s.span, el.setInitialAmount)

    def rules(self) -> None:
        for item in self.ir.lets + self.ir.observes:
            el = self.sbml.createParameter()
            el.setId(item.name)
            el.setConstant(False)
            rule = self.sbml.createAssignmentRule()
            rule.setVariable(item.name)
            rule.setMath(self.ast(item.expr, item.span))

    def reactions(self) -> None:
        for r in self.ir.reactions:
            el = self.sbml.createReaction()
            el.setId(self.fresh(r.label))
            el.setReversible(bool(r.reversible))
            for name, coef in r.reactants:
                ref = el.createReactant()
                ref.setSpecies(name)
                ref.setStoichiometry(float(coef))
                ref.setConstant(True)
            for name, coef in r.products:
                ref = el.createProduct()
                ref.setSpecies(name)
                ref.setStoichiometry(float(coef))
                ref.setConstant(True)
            el.createKineticLaw().setMath(self.ast(r.rate, r.span))

    def events(self) -> None:
        for e in self.ir.events:
            el = self.sbml.createEvent()
            el.setId(self.fresh(e.name))
            opts = e.options
            el.setUseValuesFromTriggerTime(opts.values == "trigger")
            trigger = el.createTrigger()
            trigger.setInitialValue(bool(opts.initial))
            trigger.setPersistent(bool(opts.persistent))
            trigger.setMath(self.ast(e.condition, e.span))
            if sympy.sympify(opts.delay) != 0:
                el.createDelay().setMath(self.ast(opts.delay, e.span))
            if sympy.sympify(opts.priority) != 0:
                el.createPriority().setMath(self.ast(opts.priority, e.span))
            for a in e.assignments:
                ea = el.createEventAssignment()
                ea.setVariable(a.target)
                ea.setMath(self.ast(a.expr, a.span))


class _Unsupported(Exception):
    pass


class _MathBuilder:
    """SymPy expressions (as the parser builds them) to libsbml ASTs, node by node."""

    def __init__(self, libsbml):
        L = self.L = libsbml
        self.unary = {
            sympy.sin: L.AST_FUNCTION_SIN, sympy.cos: L.AST_FUNCTION_COS, sympy.tan: L.AST_FUNCTION_TAN,
            sympy.asin: L.AST_FUNCTION_ARCSIN, sympy.acos: L.AST_FUNCTION_ARCCOS,
            sympy.atan: L.AST_FUNCTION_ARCTAN, sympy.sinh: L.AST_FUNCTION_SINH,
            sympy.cosh: L.AST_FUNCTION_COSH, sympy.tanh: L.AST_FUNCTION_TANH,
            sympy.asinh: L.AST_FUNCTION_ARCSINH, sympy.acosh: L.AST_FUNCTION_ARCCOSH,
            sympy.atanh: L.AST_FUNCTION_ARCTANH, sympy.exp: L.AST_FUNCTION_EXP,
            sympy.Abs: L.AST_FUNCTION_ABS, sympy.floor: L.AST_FUNCTION_FLOOR,
            sympy.ceiling: L.AST_FUNCTION_CEILING, sympy.sech: L.AST_FUNCTION_SECH,
            sympy.csch: L.AST_FUNCTION_CSCH, sympy.coth: L.AST_FUNCTION_COTH,
            sympy.sec: L.AST_FUNCTION_SEC, sympy.csc: L.AST_FUNCTION_CSC, sympy.cot: L.AST_FUNCTION_COT,
        }
        self.relations = {sympy.StrictLessThan: L.AST_RELATIONAL_LT, sympy.LessThan: L.AST_RELATIONAL_LEQ,
                          sympy.StrictGreaterThan: L.AST_RELATIONAL_GT,
                          sympy.GreaterThan: L.AST_RELATIONAL_GEQ,
                          sympy.Equality: L.AST_RELATIONAL_EQ, sympy.Unequality: L.AST_RELATIONAL_NEQ}

    def node(self, kind, *children):
        n = self.L.ASTNode(kind)
        for child in children:
            n.addChild(child)
        return n

    def number(self, value: float):
        n = self.L.ASTNode(self.L.AST_REAL)
        n.setValue(float(value))
        return n

    def build(self, e):  # noqa: C901 - one dispatch over SymPy's classes
        L = self.L
        from ..ir import TIME, Delay, DerValue

        if e == TIME:
            n = L.ASTNode(L.AST_NAME_TIME)
            n.setName("time")
            return n
        if e is sympy.S.true or e is sympy.S.false:
            return L.ASTNode(L.AST_CONSTANT_TRUE if e is sympy.S.true else L.AST_CONSTANT_FALSE)
        if isinstance(e, sympy.Symbol):
            n = L.ASTNode(L.AST_NAME)
            n.setName(e.name)
            return n
        if e is sympy.pi:
            return L.ASTNode(L.AST_CONSTANT_PI)
        if e is sympy.E:
            return L.ASTNode(L.AST_CONSTANT_E)
        if e is sympy.zoo:
            raise _Unsupported("complex infinity (a division by zero)")
        if e.is_Integer:
            if abs(int(e)) < 2**31:
                n = L.ASTNode(L.AST_INTEGER)
                n.setValue(int(e))
                return n
            return self.number(float(e))
        if e.is_Rational:
            return self.node(L.AST_DIVIDE, self.build(e.p * sympy.S.One), self.build(e.q * sympy.S.One))
        if e.is_Number:            # Float, oo, -oo, nan
            return self.number(float(e))
        if isinstance(e, sympy.Add):
            return self.node(L.AST_PLUS, *map(self.build, e.args))
        if isinstance(e, sympy.Mul):
            return self.mul(e)
        if isinstance(e, sympy.Pow):
            return self.node(L.AST_POWER, self.build(e.base), self.build(e.exp))
        if isinstance(e, sympy.log):
            if len(e.args) == 2:
                return self.node(L.AST_DIVIDE, self.node(L.AST_FUNCTION_LN, self.build(e.args[0])),
                                 self.node(L.AST_FUNCTION_LN, self.build(e.args[1])))
            return self.node(L.AST_FUNCTION_LN, self.build(e.args[0]))
        if type(e) in self.unary:
            return self.node(self.unary[type(e)], self.build(e.args[0]))
        if type(e) in self.relations:
            return self.node(self.relations[type(e)], self.build(e.lhs), self.build(e.rhs))
        if isinstance(e, (sympy.And, sympy.Or)):
            kind = L.AST_LOGICAL_AND if isinstance(e, sympy.And) else L.AST_LOGICAL_OR
            return self.node(kind, *map(self.build, e.args))
        if isinstance(e, sympy.Not):
            return self.node(L.AST_LOGICAL_NOT, self.build(e.args[0]))
        if isinstance(e, (sympy.Min, sympy.Max)):
            kind = L.AST_FUNCTION_MIN if isinstance(e, sympy.Min) else L.AST_FUNCTION_MAX
            return self.node(kind, *map(self.build, e.args))
        if isinstance(e, sympy.Piecewise):
            return self.piecewise(e.args)
        if isinstance(e, Delay):
            n = self.node(L.AST_FUNCTION_DELAY, *map(self.build, e.args))
            n.setName("delay")
            return n
        if isinstance(e, DerValue):
            n = self.node(L.AST_FUNCTION_RATE_OF, self.build(e.args[0]))
            n.setName("rateOf")
            return n
        return self.build(self.rewrite(e))

    def mul(self, e):
        L = self.L
        num, den = sympy.fraction(e)
        if den != 1:
            return self.node(L.AST_DIVIDE, self.build(num), self.build(den))
        return self.node(L.AST_TIMES, *map(self.build, e.args))

    def piecewise(self, pieces):
        L = self.L
        n = L.ASTNode(L.AST_FUNCTION_PIECEWISE)
        for value, cond in pieces:
            if cond is sympy.S.true:
                n.addChild(self.build(value))      # otherwise
                return n
            n.addChild(self.build(value))
            n.addChild(self.build(cond))
        return n

    def rewrite(self, e):
        """The functions SBML lacks, in terms of those it has."""
        from sympy.codegen.cfunctions import expm1, hypot, log1p

        from ..special import exprel

        x = e.args[0] if e.args else None
        if isinstance(e, expm1):
            return sympy.Add(sympy.exp(x), -1, evaluate=False)
        if isinstance(e, log1p):
            return sympy.log(sympy.Add(1, x, evaluate=False))
        if isinstance(e, hypot):
            return sympy.sqrt(e.args[0] ** 2 + e.args[1] ** 2)
        if isinstance(e, exprel):
            return sympy.Piecewise((1, sympy.Eq(x, 0)), ((sympy.exp(x) - 1) / x, True))
        if isinstance(e, sympy.sign):
            return sympy.Piecewise((-1, x < 0), (1, x > 0), (0, True))
        if isinstance(e, sympy.Heaviside):
            half = e.args[1] if len(e.args) > 1 else sympy.Rational(1, 2)
            return sympy.Piecewise((0, x < 0), (1, x > 0), (half, True))
        if isinstance(e, sympy.atan2):
            y, x = e.args
            return sympy.Piecewise((sympy.atan(y / x), x > 0), (sympy.atan(y / x) + sympy.pi, (x < 0) & (y >= 0)),
                                   (sympy.atan(y / x) - sympy.pi, (x < 0) & (y < 0)),
                                   (sympy.pi / 2, y > 0), (-sympy.pi / 2, y < 0), (0, True))
        raise _Unsupported(f"`{e.func.__name__}` (in `{e}`)")
