"""SBML export (modelc.io.sbml_export, `modelc export`, `m.to_sbml()`): libsbml
validates what is written, importing it back gives the same solution, constructs
SBML cannot express are refused by name, and RoadRunner agrees (slow)."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from sbml_helpers import libsbml

import modelc
from modelc.cli import main
from modelc.errors import ModelError
from modelc.frontend.parser import parse_source
from modelc.io.sbml import translate_sbml
from modelc.io.sbml_cases import sbml_file
from modelc.io.sbml_export import SbmlExportRefused, model_to_sbml

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SUITE = Path(os.environ.get("MODELC_SBML_SUITE")
             or Path(__file__).resolve().parents[3] / "shared" / "sbml-test-suite" / "cases")
TIGHT = {"method": "tsit5", "rtol": 1e-10, "atol": 1e-12}

EVENTS = """model ev "events, a delay and a constraint"
parameter k = 0.5, tau = 0.25
species A = 1, B = 0
state on = 0
state y = 1, z = 0.5
reaction conv: A -> B, k
event dose when t >= 1 and A < 0.9, delay = 0.5, priority = 2, persistent = false, initial = false, values = execution: A = A + 1, on = 1
der(y) = -delay(y, tau) + heaviside(t - 1) + sign(y) + atan2(y, 2) + expm1(0.1*y) + exprel(y) + min(y, 2)
constraint y + z = 2
observe rate_A = der(A)
"""


def errors_of(xml: str) -> list[str]:
    doc = libsbml.readSBMLFromString(xml)
    doc.checkConsistency()
    return [doc.getError(i).getMessage() for i in range(doc.getNumErrors())
            if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR]


def round_trip(text: str, tmp_path) -> str:
    path = tmp_path / "exported.xml"
    model_to_sbml(text, "m.model", path)
    assert errors_of(path.read_text(encoding="utf-8")) == []
    return translate_sbml(path).text


@pytest.mark.parametrize("name", ["lorenz", pytest.param("michaelis_menten", marks=pytest.mark.slow),
                                  pytest.param("vanderpol", marks=pytest.mark.slow)])
def test_round_trip_gives_the_same_solution(name, tmp_path):
    text = (EXAMPLES / f"{name}.model").read_text(encoding="utf-8")
    back = round_trip(text, tmp_path)
    first, second = (modelc.parse(s, cache_modules=False) for s in (text, back))
    assert set(first.state_names) == set(second.state_names)
    ts = np.linspace(0.0, 1.0, 5)
    a = first.solve(t=(0, 1), saveat=ts, **TIGHT)
    b = second.solve(t=(0, 1), saveat=ts, **TIGHT)
    for state in first.state_names:
        np.testing.assert_allclose(b[state], a[state], rtol=1e-9, atol=1e-12)


def test_reactions_events_delays_constraints_survive(tmp_path):
    back = round_trip(EVENTS, tmp_path)
    model = parse_source(back, "back.model")
    (reaction,) = model.reactions
    assert (reaction.label, reaction.reactants, reaction.products) == ("conv", (("A", 1),), (("B", 1),))
    (event,) = model.events
    options = event.options
    assert (event.name, options.persistent, options.initial, options.values) == ("dose", False, False, "execution")
    assert float(options.delay) == 0.5 and float(options.priority) == 2
    assert {a.target for a in event.assignments} == {"A", "on"}
    assert [c.state for c in model.constraints] == ["z"]
    assert "delay(y, tau)" in back and "der(A)" in back


@pytest.mark.parametrize("text, construct", [
    ("domain x = [0, 1], points = 11\nfield u = x\nder(u) = diff(u, x, 2)\n"
     "boundary u = 0 at x = 0\nboundary u = 0 at x = 1\n", "domain `x`"),
    ("external f(x)\nstate x = 1\nder(x) = f(x)\n", "external function `f`"),
    ("state x = 1\nder(x) = -x\nevent halt when x < 0.5: stop\n", "event `halt` with `stop`"),
])
def test_refusals_name_the_construct_and_line(text, construct):
    with pytest.raises(SbmlExportRefused) as info:
        model_to_sbml(text, "m.model")
    (first, *_) = info.value.diagnostics
    assert construct in first.message and first.span.line > 0


def test_rate_of_a_constrained_state_is_refused():
    text = "state y = 1, z = 0\nder(y) = -y\nconstraint y + z = 1\nobserve r = der(z)\n"
    with pytest.raises(ModelError, match="der\\(z\\)"):
        model_to_sbml(text, "m.model")


def test_cli_export_and_sbml_in_check_show_compile(tmp_path, capsys):
    xml = tmp_path / "mm.xml"
    assert main(["export", str(EXAMPLES / "michaelis_menten.model"), "-o", str(xml)]) == 0
    assert main(["check", str(xml)]) == 0
    assert "ok (4 states" in capsys.readouterr().out
    assert main(["show", str(xml)]) == 0
    shown = capsys.readouterr().out
    assert "binding:   E + S <-> ES" in shown and "catalysis: ES -> E + P" in shown
    assert main(["compile", str(xml), "-o", str(tmp_path / "mm.py")]) == 0
    assert "def " in (tmp_path / "mm.py").read_text(encoding="utf-8")
    assert main(["export", str(EXAMPLES / "heat_1d.model")]) == 1
    assert "domain `x` (a PDE) cannot be written as SBML" in capsys.readouterr().err


def test_to_sbml_and_load_answer_to_sbml_ids(tmp_path):
    model = modelc.parse((EXAMPLES / "lorenz.model").read_text(encoding="utf-8"), cache_modules=False)
    path = tmp_path / "lorenz.xml"
    xml = model.to_sbml(path)
    assert errors_of(xml) == [] and path.read_text(encoding="utf-8") == xml
    loaded = modelc.load(path, cache_modules=False)
    sol = loaded.solve(t=(0, 0.5), saveat=[0.0, 0.5], params={"rho": 20.0}, **TIGHT)
    np.testing.assert_allclose(sol["rho"], [20.0, 20.0])          # a parameter, by its id
    assert sol["x"][0] == 1.0


def test_loaded_sbml_answers_to_renamed_and_constant_ids(tmp_path):
    from sbml_helpers import Doc

    doc = Doc()
    doc.compartment("C", 2.0)
    doc.species("I", conc=1.0)                  # renamed I_ in the model text
    doc.species("S", conc=3.0, boundary=True)   # constant: a parameter
    doc.parameter("k", 0.5)
    doc.reaction("R", [("I", 1)], [], "k*I*S*C")
    loaded = modelc.load(doc.write(tmp_path), cache_modules=False)
    sol = loaded.solve(t=(0, 1), saveat=[0.0, 1.0], **TIGHT)
    np.testing.assert_allclose(sol["I"], np.exp(-1.5 * sol.t), rtol=1e-9)
    np.testing.assert_allclose(sol["S"], 3.0)
    np.testing.assert_allclose(sol["C"], 2.0)


needs_suite = pytest.mark.skipif(not SUITE.is_dir(), reason=f"no SBML test suite at {SUITE}")


@needs_suite
@pytest.mark.slow
@pytest.mark.parametrize("case", ["00024", "00056", "00112", "00238", "00290", "00522", "00740", "00950"])
def test_suite_cases_round_trip(case, tmp_path):
    _check_case_round_trip(case, tmp_path)


def _check_case_round_trip(case, tmp_path):
    text = translate_sbml(sbml_file(SUITE / case)).text
    back = round_trip(text, tmp_path)
    first, second = (modelc.parse(s, cache_modules=False) for s in (text, back))
    ts = np.linspace(0.0, 2.0, 5)
    options = TIGHT if first.state_names else {"method": "rk4", "dt0": 0.5}
    a = first.solve(t=(0, 2), saveat=ts, **options)
    b = second.solve(t=(0, 2), saveat=ts, **options)
    for name in first.state_names + first.observable_names:
        np.testing.assert_allclose(b[name], a[name], rtol=1e-9, atol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["lorenz", "michaelis_menten", "robertson"])
def test_roadrunner_agrees_with_the_exported_sbml(name, tmp_path):
    roadrunner = pytest.importorskip("roadrunner")
    text = (EXAMPLES / f"{name}.model").read_text(encoding="utf-8")
    xml = model_to_sbml(text, f"{name}.model")
    rr = roadrunner.RoadRunner(xml)
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-14
    model = modelc.parse(text, cache_modules=False)
    result = rr.simulate(0, 1, 6, selections=["time"] + list(model.state_names))
    method = "rodas5" if name == "robertson" else "dopri8"
    sol = model.solve(t=(0, 1), saveat=np.asarray(result["time"]), method=method, rtol=1e-10, atol=1e-14)
    for state in model.state_names:
        np.testing.assert_allclose(result[state], sol[state], rtol=1e-6, atol=1e-10)


def test_import_command_unchanged(tmp_path):
    from modelc.cli import import_sbml

    xml = tmp_path / "l.xml"
    model_to_sbml((EXAMPLES / "lorenz.model").read_text(encoding="utf-8"), "lorenz.model", xml)
    assert import_sbml.run(SimpleNamespace(file=str(xml), out=str(tmp_path / "l.model"))) == 0
