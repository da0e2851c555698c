"""One test per semantic error: the message, the hint and the exact line:col."""

from __future__ import annotations

import pytest
from frontend_helpers import errors, only_error

from modelc import ir
from modelc.errors import ModelError
from modelc.frontend.parser import parse_source

OK = "state x = 1\nder(x) = -x\n"


def at(diag) -> tuple[int, int]:
    return diag.span.line, diag.span.col


def test_undefined_name_suggests_a_close_match():
    diag = only_error("parameter sigma = 1\nstate x = 1\nder(x) = -sigmaa*x\n")
    assert diag.message == "undefined name `sigmaa`"
    assert diag.hint == "did you mean `sigma`?"
    assert at(diag) == (3, 11)
    assert diag.span.end_col == 17


def test_undefined_name_is_reported_once_with_its_other_lines():
    diag = only_error("state x = 1\nder(x) = q\nlet r = q + q\n")
    assert diag.message == "undefined name `q`"
    assert at(diag) == (2, 10)
    assert "also used on line 3, 3" in diag.hint


def test_undefined_name_that_is_a_function():
    diag = only_error("state x = 1\nder(x) = exp\n")
    assert diag.message == "undefined name `exp`"
    assert diag.hint == "`exp` is a function: call it as `exp(...)`"


def test_duplicate_definition_points_to_the_second():
    diag = only_error("parameter k = 1\nstate x = 1\nder(x) = -k*x\nlet k = 2\n")
    assert diag.message == "`k` is declared twice: as a parameter on line 1 and again here as a let"
    assert at(diag) == (4, 5)


def test_duplicate_in_one_line():
    diag = only_error("parameter k = 1, k = 2\n" + OK)
    assert at(diag) == (1, 18)


def test_state_without_der():
    diag = only_error("state x = 1, y = 2\nder(x) = 1\n")
    assert diag.message == "state `y` has no equation"
    assert diag.hint.startswith("add `der(y) = ...`")
    assert at(diag) == (1, 14)


def test_state_with_two_ders():
    diag = only_error("state x = 1\nder(x) = 1\n\nder(x) = 2\n")
    assert diag.message == "state `x` has a second `der`; the first is on line 2"
    assert at(diag) == (4, 1)


@pytest.mark.parametrize(
    "decl, message",
    [
        ("parameter k = 1", "`der(k)`: `k` is a parameter (line 3), not a state"),
        ("let k = 1", "`der(k)`: `k` is a let (line 3), not a state"),
        ("observe k = x", "`der(k)`: `k` is an observable (line 3), not a state"),
    ],
)
def test_der_of_a_non_state(decl, message):
    diag = only_error(OK + decl + "\nder(k) = 1\n")
    assert diag.message == message
    assert at(diag) == (4, 5)


def test_der_of_an_unknown_name_suggests_a_state():
    diag = only_error("state xx = 1\nder(xx) = 1\nder(xy) = 1\n")
    assert diag.message == "`der(xy)`: `xy` is not declared"
    assert diag.hint == "did you mean `xx`?"
    assert at(diag) == (3, 5)


def test_der_of_time():
    diag = only_error(OK + "der(t) = 1\n")
    assert diag.message == "`der(t)`: `t` is time, not a state"
    assert at(diag) == (3, 5)


def test_circular_lets_name_the_cycle():
    diag = only_error(OK + "let a = b + 1\nlet c = 2\nlet b = 2*a\n")
    assert diag.message == "circular `let` definitions: a -> b -> a"
    assert at(diag) == (3, 5)


def test_a_let_that_uses_itself():
    diag = only_error(OK + "let a = a + 1\n")
    assert diag.message == "circular `let` definitions: a -> a"


def test_three_lets_in_a_cycle_are_one_error():
    diag = only_error(OK + "let p = q\nlet q = r\nlet r = p\n")
    assert diag.message == "circular `let` definitions: p -> q -> r -> p"
    assert at(diag) == (3, 5)


def test_lets_may_be_used_before_their_definition():
    model = parse_source("state x = 1\nder(x) = r2\nlet r2 = r1*2\nlet r1 = x^2\n")
    assert [let.name for let in model.lets] == ["r2", "r1"]


@pytest.mark.parametrize(
    "text, message, position",
    [
        ("parameter t = 1\n", "`t` is reserved for time and cannot name a parameter", (1, 11)),
        ("state pi = 0\nder(pi) = 1\n", "`pi` is reserved for the constant pi and cannot name a state", (1, 7)),
        ("let I = 1\n", "`I` is reserved for the imaginary unit and cannot name a let", (1, 5)),
        ("parameter state = 1\n", "`state` is a statement keyword and cannot name a parameter", (1, 11)),
        ("parameter species = 1\n", "`species` is a statement keyword and cannot name a parameter", (1, 11)),
        ("parameter a = 1, not = 2\n", "`not` is a keyword of conditions and cannot name a parameter", (1, 18)),
    ],
)
def test_reserved_names(text, message, position):
    diags = errors(text)
    assert diags[0].message == message
    assert at(diags[0]) == position


@pytest.mark.parametrize(
    "text, message, position",
    [
        ("parameter k = x\n", "the default of parameter `k` uses state `x`", (3, 15)),
        ("let r = 1\nparameter k = r\n", "the default of parameter `k` uses let `r`", (4, 15)),
        ("parameter k = t\n", "the default of parameter `k` uses time `t`", (3, 15)),
        ("parameter k = 2*j\nparameter j = 1\n",
         "the default of parameter `k` uses parameter `j`, which is declared later (line 4)", (3, 17)),
        ("parameter k = k\n", "parameter `k` is defined in terms of itself", (3, 15)),
    ],
)
def test_parameter_defaults_must_be_constant(text, message, position):
    diag = only_error(OK + text)
    assert diag.message == message
    assert at(diag) == position


def test_parameter_default_may_use_earlier_parameters():
    model = parse_source("parameter a = 2, b = 3*a\nparameter c = a + b\n" + OK)
    assert [p.name for p in model.parameters] == ["a", "b", "c"]


@pytest.mark.parametrize(
    "text, message, position",
    [
        ("state y = x\n", "the initial value of state `y` uses state `x`", (3, 11)),
        ("state y = t\n", "the initial value of state `y` uses time `t`", (3, 11)),
        ("let r = 1\nstate y = r\n", "the initial value of state `y` uses let `r`", (4, 11)),
    ],
)
def test_initial_values_may_use_only_parameters(text, message, position):
    diag = errors(OK + text + "der(y) = 1\n")[0]
    assert diag.message == message
    assert at(diag) == position


def test_initial_value_may_use_a_later_parameter():
    model = parse_source("state x = 2*k\nder(x) = -x\nparameter k = 1\n")
    assert model.states[0].initial == 2 * ir.symbol("k")


def test_observe_may_use_states_parameters_lets_and_time():
    model = parse_source("parameter k = 1\n" + OK + "let r = x^2\nobserve e = k*r + x + t\n")
    assert model.observes[0].name == "e"


def test_an_observable_cannot_be_used_in_an_expression():
    diag = only_error(OK + "observe e = x\nlet r = 2*e\n")
    assert diag.message == "`e` is an observable: an output, which expressions cannot use"
    assert at(diag) == (4, 11)


def test_second_model_line():
    diag = only_error('model a\n' + OK + 'model b "doc"\n')
    assert diag.message == "a second `model` line: the model is already named `a` on line 1"
    assert at(diag) == (4, 1)


@pytest.mark.parametrize(
    "line, message, position",
    [
        ("simulate t = [1, 1]", "the time interval [1, 1] is empty", (3, 10)),
        ("simulate t = 5", "`t` needs an interval `[start, end]`", (3, 10)),
        ("simulate points = [1, 2]", "`points` takes a single value, not an interval", (3, 10)),
        ("simulate method = tsit", "unknown method `tsit`", (3, 19)),
        ("simulate method = 4", "unknown method `4`", (3, 19)),
        ("simulate rtol = -1e-3", "`rtol` must be positive, got -0.001", (3, 17)),
        ("simulate atol = 0", "`atol` must be positive, got 0", (3, 17)),
        ("simulate points = 1", "`points` must be a whole number of at least 2, got 1", (3, 19)),
        ("simulate points = 10.5", "`points` must be a whole number of at least 2, got 10.5", (3, 19)),
        ("simulate rtol = k", "simulate values must be numbers; `k` is a name", (3, 17)),
        ("simulate t = [0, x]", "simulate values must be numbers; `x` is a name", (3, 18)),
        ("simulate t = [0, 1/0]", "`1/0` is infinite (a division by zero or a pole), not a finite number",
         (3, 18)),
        ("simulate rtoll = 1e-6", "unknown simulate option `rtoll`", (3, 10)),
        ("simulate rtol = 1e-6\nsimulate rtol = 1e-7", "simulate option `rtol` is given twice; first on line 3", (4, 10)),
    ],
)
def test_simulate_options(line, message, position):
    diag = only_error(OK + line + "\n")
    assert diag.message == message
    assert at(diag) == position


def test_simulate_suggestions():
    assert only_error(OK + "simulate method = tsit\n").hint.startswith("did you mean `tsit5`?")
    assert only_error(OK + "simulate rtoll = 1\n").hint.startswith("did you mean `rtol`?")


def test_independent_errors_are_reported_together_in_source_order():
    text = (
        "parameter k = x\n"        # 1: default uses a state
        "state x = 1, y = 2\n"     # 2: y has no der
        "der(x) = -k*z\n"          # 3: z undefined
        "let a = b\nlet b = a\n"   # 4-5: cycle
        "simulate points = 1\n"    # 6: bad points
    )
    with pytest.raises(ModelError) as info:
        parse_source(text, "many.model")
    lines = [d.span.line for d in info.value.diagnostics]
    assert lines == [1, 2, 3, 4, 6]
    rendered = str(info.value)
    assert rendered.startswith("many.model:1:15: error: the default of parameter `k` uses state `x`")
    assert rendered.endswith("5 errors found")
