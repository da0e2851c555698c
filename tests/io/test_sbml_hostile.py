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
