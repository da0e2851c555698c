"""Build small SBML documents in tests with libsbml's API (formulas in L3 infix)."""

from __future__ import annotations

from pathlib import Path

import pytest

libsbml = pytest.importorskip("libsbml")


def formula(text: str):
    """A libsbml AST from an L3 infix formula (test input only)."""
    ast = libsbml.parseL3Formula(text)
    assert ast is not None, libsbml.getLastParseL3Error()
    return ast


class Doc:
    """A tiny SBML model builder; `write` saves it and returns the path."""

    def __init__(self, level: int = 3, version: int = 2, model_id: str = "m"):
        self.doc = libsbml.SBMLDocument(level, version)
        self.model = self.doc.createModel()
        self.model.setId(model_id)
        self.level = level

    def compartment(self, cid="C", size=1.0, dims=3, constant=True):
        c = self.model.createCompartment()
        c.setId(cid)
        c.setConstant(constant)
        if size is not None:
            c.setSize(size)
        c.setSpatialDimensions(dims)
        return c

    def species(self, sid, amount=None, conc=None, comp="C", hosu=False, boundary=False,
                constant=False):
        s = self.model.createSpecies()
        s.setId(sid)
        s.setCompartment(comp)
        s.setHasOnlySubstanceUnits(hosu)
        s.setBoundaryCondition(boundary)
        s.setConstant(constant)
        if amount is not None:
            s.setInitialAmount(amount)
        if conc is not None:
            s.setInitialConcentration(conc)
        return s

    def parameter(self, pid, value=None, constant=True):
        p = self.model.createParameter()
        p.setId(pid)
        p.setConstant(constant)
        if value is not None:
            p.setValue(value)
        return p

    def reaction(self, rid, reactants, products, rate, reversible=False, local=None):
        r = self.model.createReaction()
        r.setId(rid)
        r.setReversible(reversible)
        if self.level < 3 or self.doc.getVersion() < 2:
            r.setFast(False)
        for sid, n in reactants:
            ref = r.createReactant()
            ref.setSpecies(sid)
            ref.setStoichiometry(n)
            ref.setConstant(True)
        for sid, n in products:
            ref = r.createProduct()
            ref.setSpecies(sid)
            ref.setStoichiometry(n)
            ref.setConstant(True)
        law = r.createKineticLaw()
        for pid, value in (local or {}).items():
            p = law.createLocalParameter() if self.level >= 3 else law.createParameter()
            p.setId(pid)
            p.setValue(value)
        law.setMath(formula(rate))
        return r

    def function(self, fid, text):
        f = self.model.createFunctionDefinition()
        f.setId(fid)
        f.setMath(formula(text))
        return f

    def assignment(self, var, text):
        rule = self.model.createAssignmentRule()
        rule.setVariable(var)
        rule.setMath(formula(text))
        return rule

    def rate_rule(self, var, text):
        rule = self.model.createRateRule()
        rule.setVariable(var)
        rule.setMath(formula(text))
        return rule

    def initial(self, symbol, text):
        ia = self.model.createInitialAssignment()
        ia.setSymbol(symbol)
        ia.setMath(formula(text))
        return ia

    def algebraic(self, text):
        rule = self.model.createAlgebraicRule()
        rule.setMath(formula(text))
        return rule

    def event(self, eid, trigger, assignments, delay=None, priority=None, persistent=True,
              initial=True, trigger_values=True):
        """An event; ``assignments`` maps variable -> formula."""
        event = self.model.createEvent()
        if eid:
            event.setId(eid)
        event.setUseValuesFromTriggerTime(trigger_values)
        trig = event.createTrigger()
        trig.setInitialValue(initial)
        trig.setPersistent(persistent)
        trig.setMath(formula(trigger))
        if delay is not None:
            event.createDelay().setMath(formula(delay))
        if priority is not None:
            event.createPriority().setMath(formula(priority))
        for var, text in assignments.items():
            ea = event.createEventAssignment()
            ea.setVariable(var)
            ea.setMath(formula(text))
        return event

    def write(self, folder: Path, name: str = "model.xml") -> Path:
        path = Path(folder) / name
        path.write_text(libsbml.writeSBMLToString(self.doc), encoding="utf-8")
        return path
