"""SBML constructs translated to events, delays, constraints and der(x) values
(modelc.io.sbml): the text produced, the model it parses to, and, where the
solvers already run the construct, the solution against the analytic one."""

from __future__ import annotations

import numpy as np
import pytest
from sbml_helpers import Doc, libsbml

import modelc
from modelc.frontend.parser import parse_source
from modelc.io.sbml import translate_sbml
from modelc.io.sbml_math import AVOGADRO

OPTIONS = {"method": "dopri8", "rtol": 1e-11, "atol": 1e-13}


def body(text: str) -> list[str]:
    return [ln.split("#")[0].strip() for ln in text.splitlines() if ln.split("#")[0].strip()]


def translated(doc: Doc, tmp_path):
    result = translate_sbml(doc.write(tmp_path))
    return result, parse_source(result.text, "imported.model")


def _network() -> Doc:
    doc = Doc()
    doc.compartment("C", 2.0)
    doc.species("A", conc=1.0)
    doc.species("B", conc=0.0)
    doc.parameter("k", 0.5)
    return doc


def test_event_with_every_option(tmp_path):
    doc = _network()
    doc.parameter("p", 0.0, constant=False)          # set only by the event: a state without der
    doc.reaction("R", [("A", 1)], [("B", 1)], "k*A*C")
    doc.event("E1", "time >= 1 && A < 0.9", {"A": "A + 1", "p": "p + 1"}, delay="k*2",
              priority="3", persistent=False, initial=False, trigger_values=False)
    doc.event("", "B > 0.5", {"B": "0"})
    result, model = translated(doc, tmp_path)
    lines = body(result.text)
    assert ("event E1 when t >= 1 and A < 0.9, delay = k*2, priority = 3, persistent = false, "
            "initial = false, values = execution: A = A + 1, p = p + 1") in lines
    assert "event event when B > 0.5: B = 0" in lines
    assert "state p = 0" in lines and not any(ln.startswith("der(p)") for ln in lines)
    (e1, e2) = model.events
    options = e1.options
    assert (e1.name, options.persistent, options.initial, options.values) == ("E1", False, False, "execution")
    assert str(options.delay) == "2*k" and e2.options.delay == 0 and e2.name == "event"
    assert result.quantities["p"].role == "state"


def test_event_on_compartment_keeps_amounts(tmp_path):
    doc = _network()
    doc.model.getCompartment("C").setConstant(False)
    doc.reaction("R", [("A", 1)], [("B", 1)], "k*A*C")
    doc.event("grow", "time > 1", {"C": "2*C"})
    result, model = translated(doc, tmp_path)
    lines = body(result.text)
    # the amounts are the states; the concentrations (the SBML ids) are A_amount/C
    assert "species A_amount = 1*2" in lines     # [A](0)*C(0) and "let A_rule = A_amount/C" in lines
    assert "observe A = A_rule" in lines
    assert "reaction R: A_amount -> B_amount, rate = v_R" in lines
    assert "event grow when t > 1: C = 2*C" in lines
    assert result.quantities["A"].role == "observe" and result.quantities["A"].compartment == "C"


def test_event_on_compartment_rescales_a_rate_rule_concentration(tmp_path):
    # SBML case 01506: d[S]/dt = 0.4 (a rate rule on the concentration), dC/dt = 0.2; at
    # t = 0.45 an event sets [S] = 0.2 and C = 0.2 at once. The concentration is assigned
    # in the old compartment (amount 0.2*0.59), then C changes and the amount stays:
    # [S] = 0.2*0.59/0.2 = 0.59 just after, 0.59 + 0.4 (t - 0.45) later.
    doc = Doc()
    doc.compartment("C", 0.5, constant=False)
    doc.species("S", conc=0.0)
    doc.rate_rule("S", "0.4")
    doc.rate_rule("C", "0.2")
    doc.event("E0", "time >= 0.45", {"S": "0.2", "C": "0.2"})
    result, _ = translated(doc, tmp_path)
    assert "event E0 when t >= 0.45: C = 0.2, S = 0.2*C/0.2" in body(result.text)
    sol = modelc.parse(result.text, cache_modules=False).solve(
        t=(0, 1), saveat=np.array([0.4, 0.5, 1.0]), **OPTIONS)
    np.testing.assert_allclose(sol["S"], [0.16, 0.61, 0.81], rtol=1e-9)
    np.testing.assert_allclose(sol["C"], [0.58, 0.21, 0.31], rtol=1e-9)


def test_delay_and_rate_of(tmp_path):
    doc = _network()
    doc.parameter("tau", 0.5)
    doc.parameter("q", 0.0, constant=False)
    doc.parameter("r", 0.0, constant=False)
    doc.reaction("R", [("A", 1)], [("B", 1)], "k*delay(A, tau)*C")
    doc.rate_rule("q", "rateOf(B) + rateOf(k)")       # rateOf a constant is 0
    doc.assignment("r", "rateOf(q)")
    result, model = translated(doc, tmp_path)
    lines = body(result.text)
    assert "let v_R = k*delay(A, tau)*C" in lines
    assert "der(q) = der(B) + 0" in lines
    assert "observe r = der(q)" in lines


@pytest.mark.slow
def test_rate_of_without_delay_is_solved(tmp_path):
    doc = _network()
    doc.parameter("q", 0.0, constant=False)
    doc.reaction("R", [("A", 1)], [("B", 1)], "k*A*C")
    doc.rate_rule("q", "-rateOf(A)")                 # q = A(0) - A(t)
    result, _ = translated(doc, tmp_path)
    sol = modelc.parse(result.text, cache_modules=False).solve(t=(0, 2), saveat=[0, 1, 2], **OPTIONS)
    np.testing.assert_allclose(sol["q"], 1 - np.exp(-0.5 * sol.t), rtol=1e-9, atol=1e-12)


def test_algebraic_rule_is_a_constraint_and_solved(tmp_path):
    doc = _network()
    doc.parameter("total", 3.0)
    doc.parameter("x", None, constant=False)          # determined by the algebraic rule
    doc.reaction("R", [("A", 1)], [("B", 1)], "k*A*C")
    doc.algebraic("x + A - total")
    result, model = translated(doc, tmp_path)
    lines = body(result.text)
    assert "constraint x + A - total = 0" in lines and "state x = 1" in lines
    assert [c.state for c in model.constraints] == ["x"]
    sol = modelc.parse(result.text, cache_modules=False).solve(t=(0, 2), saveat=[0, 1, 2], **OPTIONS)
    np.testing.assert_allclose(sol["x"], 3 - np.exp(-0.5 * sol.t), rtol=1e-9)


def test_fast_reaction_is_an_equilibrium(tmp_path):
    # A <-> B fast (kf*A - kr*B = 0), 0 -> A slowly at rate s: T = A + B grows as s*t/C
    doc = Doc(3, 1)                 # (L3v2 dropped the fast attribute)
    doc.compartment("C", 2.0)
    doc.species("A", conc=0.2)
    doc.species("B", conc=0.0)
    doc.parameter("k", 0.5)
    doc.model.getSpecies("B").setInitialConcentration(0.8)
    doc.parameter("kf", 4.0)
    doc.parameter("kr", 1.0)
    doc.parameter("s", 0.3)
    doc.reaction("fast", [("A", 1)], [("B", 1)], "C*(kf*A - kr*B)").setFast(True)
    doc.reaction("slow", [], [("A", 1)], "s")
    result, model = translated(doc, tmp_path)
    lines = body(result.text)
    assert "constraint v_fast = 0" in lines
    assert any(ln.startswith("state fast_total_1 = ") for ln in lines)
    sol = modelc.parse(result.text, cache_modules=False).solve(t=(0, 2), saveat=[0, 1, 2], **OPTIONS)
    total = 1.0 + 0.3 * sol.t / 2.0
    np.testing.assert_allclose(sol["A"], total / 5, rtol=1e-9)
    np.testing.assert_allclose(sol["B"], 4 * total / 5, rtol=1e-9)


def _switched_fast_reaction() -> Doc:
    # SBML case 00988: B -> A slowly (rate 1), A -> B fast with law k2*A, k2 = 0 until A
    # reaches 0.99, then 1 for 0.1 time units (two events). With k2 = 0 the law is 0 for
    # every A, so no constraint can say what A is: the fast reaction is simulated
    # (FAST_SCALE times faster) and A = t, then ~0 (equilibrium), then t - 1.09.
    doc = Doc(3, 1)
    doc.compartment("comp", 1.0)
    doc.species("A", amount=0.0, comp="comp", hosu=True)
    doc.species("B", amount=2.0, comp="comp", hosu=True)
    doc.parameter("k1", 1.0)
    doc.parameter("k2", 0.0, constant=False)
    doc.reaction("slow", [("B", 1)], [("A", 1)], "k1")
    doc.reaction("fast", [("A", 1)], [("B", 1)], "k2*A").setFast(True)
    doc.event("E0", "A >= 0.99", {"k2": "1"})
    doc.event("E1", "A >= 0.99", {"k2": "0"}, delay="0.1")
    return doc


def test_fast_reaction_with_several_equilibria_is_simulated(tmp_path):
    result, _ = translated(_switched_fast_reaction(), tmp_path)
    lines = body(result.text)
    assert result.stiff and not any(ln.startswith("constraint") for ln in lines)
    assert "let v_fast = 100000000*k2*A" in lines       # FAST_SCALE times the law
    assert "reaction fast: A -> B, rate = v_fast" in lines


@pytest.mark.slow
def test_fast_reaction_switched_by_events_follows_the_analytic_solution(tmp_path):
    from modelc.io.sbml_cases import SOLVER_OPTIONS

    result, _ = translated(_switched_fast_reaction(), tmp_path)
    ts = np.array([0.5, 1.05, 1.5, 2.0])
    sol = modelc.parse(result.text, cache_modules=False).solve(
        t=(0, 2), saveat=ts, **{**SOLVER_OPTIONS, "method": "rodas5"})
    assert sol.ok
    np.testing.assert_allclose(sol["A"], [0.5, 0.0, 0.41, 0.91], atol=1e-6)
    np.testing.assert_allclose(sol["A"] + sol["B"], 2.0, rtol=1e-9)


def test_conversion_factors_and_assigned_stoichiometry(tmp_path):
    doc = Doc()
    doc.compartment("C", 1.0)
    doc.species("A", amount=1.0, hosu=True)
    doc.species("B", amount=0.0, hosu=True).setConversionFactor("cf")
    doc.parameter("cf", 3.0)
    doc.parameter("k", 0.5)
    reaction = doc.reaction("R", [("A", 1)], [("B", 1)], "k*A")
    product = reaction.getProduct(0)
    product.setId("nB")
    product.setConstant(False)
    doc.assignment("nB", "1 + time")                 # stoichiometry 1 + t
    result, _ = translated(doc, tmp_path)
    lines = body(result.text)
    assert "der(B) = cf*(nB_rule*v_R)" in lines
    sol = modelc.parse(result.text, cache_modules=False).solve(t=(0, 2), saveat=[0, 1, 2], **OPTIONS)
    t = sol.t
    # B' = 3*(1 + t)*0.5*exp(-t/2): B = 3*(3 - (3 + t)*exp(-t/2))
    np.testing.assert_allclose(sol["B"], 3 * (3 - (3 + t) * np.exp(-t / 2)), rtol=1e-9, atol=1e-12)
    assert result.quantities["nB"].role == "observe"


def test_variable_compartment_holds_amounts(tmp_path):
    # C grows as 1 + t; A is not in a reaction, so its amount stays 2: [A] = 2/(1 + t)
    doc = Doc()
    doc.compartment("C", 1.0, constant=False)
    doc.species("A", amount=2.0)
    doc.rate_rule("C", "1")
    result, _ = translated(doc, tmp_path)
    assert "observe A = A_amount/C" in body(result.text)
    sol = modelc.parse(result.text, cache_modules=False).solve(t=(0, 2), saveat=[0, 1, 2], **OPTIONS)
    np.testing.assert_allclose(sol["A"], 2 / (1 + sol.t), rtol=1e-10)


def test_avogadro_and_built_in_names(tmp_path):
    doc = Doc()
    doc.compartment("C", 1.0)
    for pid in ("pi", "time", "inf", "nan", "false", "true", "delay", "avogadro_"):
        doc.parameter(pid, 1.0)
    doc.parameter("N", None)
    ids = "".join(f"<ci>{n}</ci>" for n in ("pi", "time", "inf", "nan", "false", "true", "delay"))
    avogadro = '<csymbol definitionURL="http://www.sbml.org/sbml/symbols/avogadro">N_A</csymbol>'
    doc.initial("N", "1").setMath(libsbml.readMathMLFromString(
        f'<math xmlns="http://www.w3.org/1998/Math/MathML"><apply><times/>{avogadro}{ids}</apply></math>'))
    result, model = translated(doc, tmp_path)
    assert "parameter N = 6.02214179e+23*pi_*time*inf*nan*false*true*delay" in body(result.text)
    (n,) = [p for p in model.parameters if p.name == "N"]
    values = {p.name: p.default for p in model.parameters}
    value = n.default.subs({s: values[s.name] for s in n.default.free_symbols})
    assert float(value) == pytest.approx(AVOGADRO)     # every other factor is 1
    assert result.names["pi"] == "pi_" and result.names["time"] == "time"


def test_reactions_are_reaction_statements(tmp_path):
    doc = _network()
    doc.species("D", conc=0.0)
    doc.reaction("R1", [("A", 2)], [("B", 1), ("D", 0.5)], "k*A^2*C", reversible=True)
    result, model = translated(doc, tmp_path)
    assert "reaction R1: 2 A <-> B + 0.5 D, rate = v_R1/C" in body(result.text)
    (reaction,) = model.reactions
    assert reaction.label == "R1" and [s.name for s in model.species] == ["A", "B", "D"]
