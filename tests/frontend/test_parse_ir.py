"""Whole files into IR: the Lorenz example of LANGUAGE.md, examples/, spans, files."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy
from frontend_helpers import S, only_error

from modelc import ir
from modelc.errors import ModelError, Span
from modelc.frontend.parser import grammar_path, parse_file, parse_source
from modelc.frontend.syntax import FUTURE_WORDS, RESERVED, STATEMENT_WORDS

ROOT = Path(__file__).resolve().parents[2]

# The declarations of LANGUAGE.md, completed with the y and z equations.
LORENZ = """\
model lorenz "Lorenz 1963 convection model"    # name, optional doc string
parameter sigma = 10, rho = 28              # constants with default values
parameter beta = 8/3                        # a default may use earlier parameters
state x = 1.0, y = 1.0, z = 1.0             # ODE states with initial values
let r2 = x^2 + y^2                          # named intermediate, usable anywhere after
observe energy = 0.5*r2 + z^2               # extra output computed along a solution
der(x) = sigma*(y - x)                      # time derivative of a state
der(y) = x*(rho - z) - y
der(z) = x*y - beta*z
simulate t = [0, 20]                        # optional defaults for the CLI / solve()
simulate method = tsit5, rtol = 1e-8, points = 2001
"""


def test_lorenz_parses_into_the_expected_ir():
    m = parse_source(LORENZ, "lorenz.model")
    x, y, z = S("x"), S("y"), S("z")
    sigma, rho, beta = S("sigma"), S("rho"), S("beta")
    assert (m.name, m.doc, m.file, m.source) == ("lorenz", "Lorenz 1963 convection model", "lorenz.model", LORENZ)
    assert m.parameters == (
        ir.Parameter("sigma", sympy.Integer(10), Span("lorenz.model", 2, 11, 21)),
        ir.Parameter("rho", sympy.Integer(28), Span("lorenz.model", 2, 23, 31)),
        ir.Parameter("beta", sympy.Rational(8, 3), Span("lorenz.model", 3, 11, 21)),
    )
    assert m.state_names == ("x", "y", "z")
    assert all(s.initial == sympy.Float("1.0") for s in m.states)
    assert m.states[1].span == Span("lorenz.model", 4, 16, 23)
    assert m.lets == (ir.Let("r2", x**2 + y**2, Span("lorenz.model", 5, 5, 19)),)
    assert m.observes == (ir.Observe("energy", sympy.Float("0.5") * S("r2") + z**2, Span("lorenz.model", 6, 9, 30)),)
    assert [d.state for d in m.derivatives] == ["x", "y", "z"]
    assert m.derivatives[0] == ir.Derivative("x", sigma * (y - x), Span("lorenz.model", 7, 1, 23))
    assert m.derivative_of("y").expr == x * (rho - z) - y
    assert m.derivative_of("z").expr == x * y - beta * z
    assert m.simulate == ir.SimulateOptions(
        t0=0.0, t1=20.0, method="tsit5", rtol=1e-8, atol=None, points=2001, span=Span("lorenz.model", 10, 10, 21)
    )


def test_symbols_are_the_ir_symbols():
    m = parse_source(LORENZ)
    assert m.derivatives[0].expr.free_symbols == {ir.symbol("sigma"), ir.symbol("x"), ir.symbol("y")}
    assert all(s.is_real for s in m.derivatives[0].expr.free_symbols)


def test_time_is_ir_time():
    m = parse_source("state x = 0\nder(x) = sin(t)\n")
    assert m.derivatives[0].expr == sympy.sin(ir.TIME)


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.model")), ids=lambda p: p.name)
def test_examples_parse(path):
    model = parse_file(path)
    assert model.file == str(path)
    assert len(model.derivatives) == len(model.states)
    assert len(model.field_derivatives) == len(model.fields)
    assert len(model.states) + len(model.species) + len(model.fields) > 0


def test_derivatives_follow_the_order_of_states():
    m = parse_source("state a = 1, b = 2\nder(b) = 1\nder(a) = 2\n")
    assert [d.state for d in m.derivatives] == ["a", "b"]


def test_header_is_optional_and_the_name_comes_from_the_file():
    assert parse_source("state x = 1\nder(x) = 0\n").name == "model"
    assert parse_source("state x = 1\nder(x) = 0\n", "dir/my-model.model").name == "my_model"
    assert parse_source("model m\nstate x = 1\nder(x) = 0\n").doc is None


def test_doc_string_escapes():
    assert parse_source('model m "say \\"hi\\"\\\\"\n').doc == 'say "hi"\\'


def test_simulate_lines_merge_and_may_run_backwards():
    m = parse_source("state x = 1\nder(x) = 1\nsimulate t = [10, 2*pi]\nsimulate atol = 1e-9\n")
    assert (m.simulate.t0, m.simulate.t1, m.simulate.atol, m.simulate.method) == (10.0, float(2 * sympy.pi), 1e-9, None)


def test_no_simulate_line_gives_empty_options():
    assert parse_source("state x = 1\nder(x) = 1\n").simulate == ir.SimulateOptions()


def test_lists_in_let_and_observe():
    m = parse_source("state x = 1\nder(x) = a\nlet a = 1, b = 2*a\nobserve o = a, p = b\n")
    assert [let.name for let in m.lets] == ["a", "b"]
    assert m.observe_names == ("o", "p")


def test_windows_line_endings_bom_and_tabs():
    m = parse_source("\ufeffparameter k = 2\r\nstate x = 1\r\n\tder(x) = -k*(x +\r\n  1)\r\n")
    assert m.derivatives[0].expr == -S("k") * (S("x") + 1)
    assert m.derivatives[0].span.col == 2


def test_empty_file_is_an_empty_model():
    m = parse_source("# nothing here\n")
    assert (m.states, m.parameters) == ((), ())


def test_parse_file_reports_invalid_utf8(tmp_path):
    path = tmp_path / "bad.model"
    path.write_bytes(b"state x = 1\nder(x) = \xff\n")
    with pytest.raises(ModelError) as info:
        parse_file(path)
    diag = info.value.diagnostics[0]
    assert diag.message == "the file is not valid UTF-8 text"
    assert (diag.span.line, diag.span.col) == (2, 10)


def test_parse_file_names_the_file_in_errors(tmp_path):
    path = tmp_path / "decay.model"
    path.write_text("state x = 1\n", encoding="utf-8")
    with pytest.raises(ModelError) as info:
        parse_file(path)
    assert str(info.value).startswith(f"{path}:1:7: error: state `x` has no equation")


def test_error_render_shows_the_line_and_a_caret():
    diag = only_error("state x = 1\nder(x) = -sigma*x\n")
    text = diag.render("state x = 1\nder(x) = -sigma*x\n")
    assert text.splitlines()[1:3] == ["   2 | der(x) = -sigma*x", "     |           ^^^^^"]


def test_grammar_file_is_found():
    assert grammar_path().name == "modelc.lark"
    assert grammar_path().is_file()


def test_statement_keywords_of_the_grammar_are_reserved():
    grammar = grammar_path().read_text(encoding="utf-8")
    for word in STATEMENT_WORDS - FUTURE_WORDS:
        assert f'"{word}"' in grammar
    for word in FUTURE_WORDS:
        assert word in grammar
    assert {"t", "pi", "I"} <= RESERVED


def test_user_text_never_reaches_sympify_or_eval():
    for path in (ROOT / "modelc" / "frontend").glob("*.py"):
        code = path.read_text(encoding="utf-8")
        for call in ("sympify(", "eval(", "exec(", "parse_expr", "sympy.S("):
            assert call not in code, f"{path.name} uses {call}"


def test_code_in_a_model_is_only_text():
    diag = only_error('parameter k = __import__("os").system("true")\n')
    assert diag.message.startswith("expected")
