"""Whole-model SBML import: roles, units, ordering, names, refusals (modelc.io.sbml)."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import numpy as np
import pytest
from sbml_helpers import Doc, libsbml

import modelc
from modelc.errors import ModelError
from modelc.frontend.parser import parse_source
from modelc.cli import import_sbml
from modelc.io import sbml
from modelc.io.sbml import sbml_to_model_text, translate_sbml


def imported(doc: Doc, tmp_path):
    """Translate, check that the text parses, and return the translation."""
    result = translate_sbml(doc.write(tmp_path))
    parse_source(result.text, "imported.model")
    return result


def refusal(doc: Doc, tmp_path) -> str:
    with pytest.raises(ModelError) as info:
        translate_sbml(doc.write(tmp_path))
    return "\n".join(d.message for d in info.value.diagnostics)


def lines(text: str) -> list[str]:
    return [ln.split("#")[0].strip() for ln in text.splitlines() if ln.split("#")[0].strip()]


def test_reaction_network_in_concentration_and_amount(tmp_path):
    doc = Doc()
    doc.compartment("C", 2.0)
    doc.species("A", amount=4.0)                    # concentration 2
    doc.species("B", conc=0.0, hosu=True)           # amount
    doc.parameter("k", 0.5)
    doc.reaction("R1", [("A", 2)], [("B", 1)], "k*A*C", local={"k": 3.0}, reversible=True)
    result = imported(doc, tmp_path)
    body = lines(result.text)
    assert "parameter R1_k = 3" in body
    assert "parameter R1_k = 3" in body
    assert "state A = 4/C" in body        # A/C scales differ: no reaction statement
    assert "state B = 0" in body
    assert "let v_R1 = R1_k*A*C" in body
    assert "der(A) = -(2*v_R1)/C" in body
    assert "der(B) = v_R1" in body
    assert not any(line.startswith("reaction") for line in body)
    assert "# reaction R1: 2 A <-> B" in result.text
    assert result.names["R1.k"] == "R1_k" and result.names["R1"] == "v_R1"
    q = result.quantities
    assert (q["A"].unit, q["B"].unit, q["A"].compartment) == ("concentration", "amount", "C")


def test_boundary_and_constant_species_are_parameters(tmp_path):
    doc = Doc()
    doc.compartment("C", 1.0)
    doc.species("S", conc=1.0, boundary=True)
    doc.species("E", conc=0.1, constant=True)
    doc.species("P", conc=0.0)
    doc.reaction("R", [("S", 1)], [("P", 1)], "E*S*C")
    body = lines(imported(doc, tmp_path).text)
    assert "parameter S = 1" in body and "parameter E = 0.1" in body
    assert "species P = 0" in body
    assert "reaction R: 0 -> P, rate = v_R/C" in body    # the boundary species S is left out
    assert not any(line.startswith("der(S)") for line in body)


def test_defaults_are_ordered_topologically(tmp_path):
    doc = Doc()
    doc.compartment("C", 1.0)
    doc.parameter("late", None)
    doc.parameter("base", 2.0)
    doc.species("X", conc=1.0)
    doc.initial("late", "3*base + X")               # uses a species: its initial value
    doc.initial("X", "base/4")
    doc.rate_rule("X", "-late*X")
    doc.initial("C", "base")
    text = imported(doc, tmp_path).text
    body = lines(text)
    assert body.index("parameter base = 2") < body.index("parameter late = 3*base + base/4")
    assert body.index("parameter base = 2") < body.index("parameter C = base")
    assert "state X = base/4" in body


def test_assignment_rules_let_and_observe(tmp_path):
    doc = Doc()
    doc.compartment("C", 1.0)
    doc.parameter("k", 1.0)
    doc.parameter("y", constant=False)
    doc.parameter("z", constant=False)
    doc.parameter("w", 0.0, constant=False)
    doc.assignment("y", "2*k + time")               # used by the rate rule below: a let
    doc.assignment("z", "y^2")                      # used by nothing: observed directly
    doc.rate_rule("w", "y")
    result = imported(doc, tmp_path)
    body = lines(result.text)
    assert "let y_rule = 2*k + t" in body and "observe y = y_rule" in body
    assert "observe z = y_rule^2" in body
    assert "der(w) = y_rule" in body
    assert result.quantities["y"].role == "observe" and result.quantities["w"].role == "state"
    model = modelc.parse(result.text, cache_modules=False)
    sol = model.solve(t=(0, 2), saveat=np.linspace(0, 2, 5), method="dopri8", rtol=1e-10,
                      atol=1e-12)
    np.testing.assert_allclose(sol["w"], 2 * sol.t + sol.t**2 / 2, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(sol["z"], (2 + sol.t) ** 2, rtol=1e-12)


def test_zero_dimensional_compartment_means_amounts(tmp_path):
    doc = Doc()
    doc.compartment("C", None, dims=0)
    doc.species("A", amount=1.0)
    doc.species("B", amount=0.0)
    doc.parameter("k", 1.0)
    doc.reaction("R", [("A", 1)], [("B", 1)], "k*A")
    result = imported(doc, tmp_path)
    assert "reaction R: A -> B, rate = v_R" in lines(result.text)
    assert "C" not in result.quantities


def test_reserved_ids_are_renamed(tmp_path):
    doc = Doc()
    doc.compartment("I", 1.0)
    for pid in ("t", "pi", "if", "lambda", "t_", "exp", "rate"):
        doc.parameter(pid, 1.0)
    doc.species("species", conc=1.0, comp="I")
    law = doc.reaction("der", [("species", 1)], [], "1").getKineticLaw()
    cis = "".join(f"<ci>{n}</ci>" for n in ("t", "pi", "if", "lambda", "t_", "exp", "rate", "species"))
    law.setMath(libsbml.readMathMLFromString(
        f'<math xmlns="http://www.w3.org/1998/Math/MathML"><apply><times/>{cis}</apply></math>'))
    result = imported(doc, tmp_path)
    names = result.names
    assert names["t"] == "t__2" and names["t_"] == "t_"    # t_ keeps its own id
    assert names["pi"] == "pi_" and names["if"] == "if_" and names["I"] == "I_"
    assert names["species"] == "species_" and names["der"] == "v_der"
    assert names["lambda"] == "lambda" and names["exp"] == "exp" and names["rate"] == "rate"
    assert "let v_der = t__2*pi_*if_*lambda*t_*exp*rate*species_" in lines(result.text)
    assert "SBML id 't' is called t__2" in result.text


def test_solution_matches_analytic(tmp_path):
    doc = Doc()
    doc.compartment("C", 0.5)
    doc.species("A", amount=1.0)
    doc.species("B", amount=0.0)
    doc.parameter("k", 0.7)
    doc.function("mass", "lambda(q, x, q*x)")
    doc.reaction("R", [("A", 1)], [("B", 1)], "C*mass(k, A)")
    model = modelc.parse(imported(doc, tmp_path).text, cache_modules=False)
    sol = model.solve(t=(0, 3), saveat=np.linspace(0, 3, 7), method="dopri8", rtol=1e-11,
                      atol=1e-13)
    np.testing.assert_allclose(sol["A"], 2.0 * np.exp(-0.7 * sol.t), rtol=1e-9)
    np.testing.assert_allclose(sol["A"] + sol["B"], 2.0, rtol=1e-12)


# ---- refusals name the element --------------------------------------------------------


def _base(level=3, version=2) -> Doc:
    doc = Doc(level, version)
    doc.compartment("C", 1.0)
    doc.species("A", conc=1.0)
    doc.parameter("k", 1.0)
    return doc


@pytest.mark.slow
def test_delay_csymbol_solves_the_linear_delay_equation(tmp_path):
    """A' = -k A(t - 1), A = 1 before 0 (C = 1, k = 1): A = 1 - t on [0, 1], then
    1 - t + (t - 1)^2/2 on [1, 2]."""
    doc = _base()
    doc.reaction("R9", [("A", 1)], [], "k*delay(A, 1)")
    m = modelc.parse(imported(doc, tmp_path).text)
    sol = m.solve(t=(0, 2), points=5, rtol=1e-10, atol=1e-12)
    t = np.asarray(sol.t)
    np.testing.assert_allclose(np.asarray(sol["A"]), 1 - t + np.where(t > 1, (t - 1) ** 2 / 2, 0),
                               atol=1e-9)


def test_missing_value_refused(tmp_path):
    doc = _base()
    doc.parameter("q")
    doc.reaction("R", [("A", 1)], [], "q*A")
    assert "parameter 'q': it has no value" in refusal(doc, tmp_path)


def test_refusal_points_at_the_xml_line(tmp_path):
    doc = _base()
    doc.reaction("R9", [("A", 1)], [], "k*factorial(A)")
    with pytest.raises(ModelError) as info:
        translate_sbml(doc.write(tmp_path))
    rendered = info.value.render()
    assert "model.xml:" in rendered and "<reaction" in rendered and "factorial" in rendered


def test_missing_libsbml_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "libsbml", None)
    with pytest.raises(sbml.SbmlSupportMissing, match=r"pip install modelc\[sbml\]"):
        sbml_to_model_text(tmp_path / "any.xml")


# ---- the import command ---------------------------------------------------------------


def test_import_command_writes_a_loadable_file(tmp_path, capsys):
    doc = _base()
    doc.reaction("R", [("A", 1)], [], "k*A*C")
    out = tmp_path / "m.model"
    assert import_sbml.run(SimpleNamespace(file=str(doc.write(tmp_path)), out=str(out))) == 0
    assert "wrote" in capsys.readouterr().out
    model = modelc.load(out)
    assert model.state_names == ("A",)
    assert import_sbml.run(SimpleNamespace(file=str(tmp_path / "model.xml"), out=None)) == 0
    assert "reaction R: A -> 0, rate = v_R/C" in capsys.readouterr().out


def test_import_parser_wiring():
    import argparse

    parser = argparse.ArgumentParser()
    import_sbml.add_parser(parser.add_subparsers())
    args = parser.parse_args(["import", "model.xml", "-o", "model.model"])
    assert (args.file, args.out, args.run) == ("model.xml", "model.model", import_sbml.run)


def test_level2_local_parameters_and_units(tmp_path):
    doc = Doc(2, 4)
    doc.compartment("C", 2.0)
    doc.species("A", conc=1.5)
    doc.species("B", amount=0.0, hosu=True)
    doc.reaction("R", [("A", 1)], [("B", 3)], "k*A*C", local={"k": 0.25})
    body = lines(imported(doc, tmp_path).text)
    assert "parameter R_k = 0.25" in body
    assert "let v_R = R_k*A*C" in body
    assert "der(A) = -v_R/C" in body and "der(B) = 3*v_R" in body   # A/C and B: two scales


def test_import_command_writes_models_with_events(tmp_path, capsys):
    doc = _base()
    doc.reaction("R", [("A", 1)], [], "k*A*C")
    doc.event("E1", "A < 0.5", {"A": "1"})
    out = tmp_path / "ev.model"
    assert import_sbml.run(SimpleNamespace(file=str(doc.write(tmp_path)), out=str(out))) == 0
    assert "cannot be solved yet" not in capsys.readouterr().err   # events run
    assert "event E1 when A < 0.5: A = 1" in out.read_text(encoding="utf-8")
