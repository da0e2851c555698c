"""Hostile and careless SBML (issue 20): clean refusals naming the element and its
line, or the right translation; never a traceback, a hang or injected statements."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sbml_helpers import Doc, libsbml

import modelc
from modelc.errors import ModelError
from modelc.frontend.parser import parse_source
from modelc.io.sbml import translate_sbml
from modelc.io.sbml_math import MAX_INLINED


def _base() -> Doc:
    doc = Doc()
    doc.compartment("C", 1.0)
    doc.species("A", amount=1.0)
    doc.parameter("k", 0.5)
    return doc


def _refusal(doc: Doc, tmp_path) -> ModelError:
    with pytest.raises(ModelError) as info:
        translate_sbml(doc.write(tmp_path))
    return info.value


def test_deeply_nested_math_is_refused_at_its_element(tmp_path):
    doc = _base()
    doc.reaction("R1", [("A", 1)], [], "k*A")
    doc.parameter("v", 0.0, constant=False)
    rule = doc.rate_rule("v", "0")
    deep = libsbml.parseL3Formula("sin(" * 600 + "1" + ")" * 600)
    assert deep is not None
    rule.setMath(deep)
    err = _refusal(doc, tmp_path)
    message = "\n".join(d.message for d in err.diagnostics)
    assert "nested too deeply" in message and "rate rule for 'v'" in message
    assert all(d.span is not None and d.span.line > 0 for d in err.diagnostics)


@pytest.mark.parametrize("value", [math.inf, -math.inf])
def test_infinite_parameter_value_is_translated(tmp_path, value):
    doc = _base()
    doc.parameter("big", value)
    doc.reaction("R1", [("A", 1)], [], "k*A")
    text = translate_sbml(doc.write(tmp_path)).text
    assert "10^400" in text
    model = parse_source(text, "m.model")
    (big,) = [p for p in model.parameters if p.name == "big"]
    assert float(big.default) == value


def test_nan_stoichiometry_is_refused_at_its_element(tmp_path):
    doc = _base()
    doc.species("B", amount=0.0)
    doc.reaction("R1", [("A", float("nan"))], [("B", 1)], "k*A")
    err = _refusal(doc, tmp_path)
    (diag,) = err.diagnostics
    assert "stoichiometry" in diag.message and "not a finite number" in diag.message
    assert "species reference" in diag.message and diag.span.line > 0


def _nested_functions(doc: Doc, n: int) -> None:
    doc.function("f0", "lambda(x, x + 1)")
    for i in range(1, n + 1):
        doc.function(f"f{i}", f"lambda(x, f{i - 1}(x) * f{i - 1}(x))")


def test_exponentially_nested_functions_share_lets(tmp_path):
    # 16 nested functions, each calling the previous twice: written out, 2^16 copies of
    # the leaf; with a let per repeated call the text grows linearly with the nesting.
    doc = _base()
    doc.function("f0", "lambda(x, x + 1)")
    for i in range(1, 17):
        doc.function(f"f{i}", f"lambda(x, f{i - 1}(x)/2 + f{i - 1}(x)/2)")   # = x + 1
    doc.reaction("R1", [("A", 1)], [], "k*A*f16(A)/(A + 1)")
    text = translate_sbml(doc.write(tmp_path)).text
    assert len(text) < 2000
    assert "let f15_value = f14_value/2 + f14_value/2" in text
    model = modelc.parse(text, cache_modules=False)
    sol = model.solve(t=(0, 2), saveat=[0.0, 1.0, 2.0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sol["A"], np.exp(-0.5 * sol.t), rtol=1e-8)


def test_functions_in_initial_values_are_written_out_within_a_limit(tmp_path):
    doc = _base()
    _nested_functions(doc, 16)
    doc.parameter("p", None)
    doc.initial("p", "f16(k)")        # a default cannot use lets: 2^16 copies, refused
    doc.reaction("R1", [("A", 1)], [], "k*A")
    err = _refusal(doc, tmp_path)
    assert f"{MAX_INLINED:,}" in "\n".join(d.message for d in err.diagnostics)


@pytest.mark.parametrize("name", ["evil\nobserve injected = 42\n#.xml",
                                  "evil\rstate z = 1\n.xml", "evil\u2028let q = 1.xml"])
def test_file_name_cannot_inject_statements(tmp_path, name):
    doc = _base()
    doc.reaction("R1", [("A", 1)], [], "k*A")
    text = translate_sbml(doc.write(tmp_path, name)).text
    model = parse_source(text, "m.model")
    assert [o.name for o in model.observes] == []
    assert [s.name for s in model.states + model.species] == ["A"]
    assert not any(line.startswith(("observe", "state z", "let q")) for line in text.split("\n"))


def _xml(doc: Doc) -> str:
    return libsbml.writeSBMLToString(doc.doc)


def _check_refused(tmp_path, xml: str, *words) -> ModelError:
    path = tmp_path / "bad.xml"
    path.write_text(xml, encoding="utf-8")
    with pytest.raises(ModelError) as info:
        translate_sbml(path)
    rendered = info.value.render()
    for word in words:
        assert word in rendered
    assert all(d.span is not None and d.span.line > 0 for d in info.value.diagnostics)
    return info.value


def test_malformed_xml_names_the_line(tmp_path):
    doc = _base()
    doc.reaction("R1", [("A", 1)], [], "k*A")
    xml = _xml(doc)
    _check_refused(tmp_path, xml[: len(xml) // 2], "bad.xml:", "invalid SBML")


def test_dangling_id_names_the_rule_and_its_line(tmp_path):
    doc = _base()
    doc.parameter("y", None, constant=False)
    doc.assignment("y", "nothere*k")
    err = _check_refused(tmp_path, _xml(doc), "assignment rule for 'y'", "'nothere'", "<assignmentRule")
    assert "declare 'nothere'" in err.diagnostics[0].hint


def test_circular_assignment_rules_are_named(tmp_path):
    doc = _base()
    for pid in ("c1", "c2"):
        doc.parameter(pid, None, constant=False)
    doc.assignment("c1", "c2 + 1")
    doc.assignment("c2", "2*c1")
    _check_refused(tmp_path, _xml(doc), "depends on itself", "c1 -> c2 -> c1")


def test_unsupported_package_is_refused(tmp_path):
    doc = _base()
    xml = _xml(doc).replace(
        'level="3" version="2">',
        'xmlns:comp="http://www.sbml.org/sbml/level3/version1/comp/version1" level="3" version="2" '
        'comp:required="true">', 1)
    _check_refused(tmp_path, xml, "the SBML package 'comp' is not supported")


def test_external_entities_are_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    doc = _base()
    xml = _xml(doc).split("\n", 1)[1].replace('<parameter id="k"', '<parameter name="&xxe;" id="k"')
    xml = f'<?xml version="1.0"?>\n<!DOCTYPE sbml [<!ENTITY xxe SYSTEM "file://{secret}">]>\n' + xml
    path = tmp_path / "xxe.xml"
    path.write_text(xml, encoding="utf-8")
    try:
        text = translate_sbml(path).text
    except ModelError as err:
        text = err.render()
    assert "TOP-SECRET" not in text
