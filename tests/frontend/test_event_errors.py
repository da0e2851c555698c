"""One test per error of events, constraints, der(x) as a value and delay: message, hint, line:col."""

from __future__ import annotations

import pytest
from frontend_helpers import only_error

# A valid model to add one bad statement to: k is a parameter, x a state.
P = "parameter k = 1\nstate x = 1\nder(x) = -k*x\n"


def at(diag) -> tuple[int, int]:
    return diag.span.line, diag.span.col


def test_event_assigning_a_parameter_says_how_to_make_it_a_state():
    diag = only_error(P + "event when x < 0.5: k = 2\n")
    assert diag.message == "the event assigns `k`, which is a parameter (line 1), not a state"
    assert diag.hint.startswith("to change `k` at events, declare it `state k = <value>` with no `der`")
    assert at(diag) == (4, 21)


def test_event_assigning_a_let():
    diag = only_error(P + "let r = 2*x\nevent when x < 0.5: r = 2\n")
    assert diag.message == "the event assigns `r`, which is a let (line 4), not a state"
    assert diag.hint == "events set states and species only"
    assert at(diag) == (5, 21)


def test_event_assigning_an_unknown_name_suggests_a_state():
    diag = only_error(P + "event when x < 0.5: xx = 2\n")
    assert diag.message == "the event assigns `xx`, which is not declared"
    assert diag.hint == "did you mean `x`?"
    assert at(diag) == (4, 21) and diag.span.end_col == 23


def test_event_assigning_time():
    diag = only_error(P + "event when x < 0.5: t = 1\n")
    assert diag.message == "an event cannot assign time `t`"
    assert at(diag) == (4, 21)


def test_event_assigning_a_name_twice():
    diag = only_error(P + "event when x < 0.5: x = 1, x = 2\n")
    assert diag.message == "`x` is assigned twice in one event"
    assert at(diag) == (4, 28)


def test_non_boolean_condition():
    diag = only_error(P + "event when x: x = 2\n")
    assert diag.message == "`x` is a number, not a condition"
    assert diag.hint.startswith("write a comparison such as `x > 0`")
    assert at(diag) == (4, 12)


def test_condition_may_not_use_an_observable():
    diag = only_error(P + "observe o = x\nevent when o > 1: x = 1\n")
    assert diag.message == "`o` is an observable: an output, which expressions cannot use"
    assert at(diag) == (5, 12)


def test_undefined_name_in_an_event_right_hand_side():
    diag = only_error(P + "event when x < 0.5: x = q\n")
    assert diag.message == "undefined name `q`"
    assert at(diag) == (4, 25)


def test_constraint_that_pairs_with_no_state():
    diag = only_error(P + "constraint x + k = 1\n")
    assert diag.message.startswith("this constraint determines no state")
    assert diag.hint.startswith("declare the state it determines with `state y = <starting guess>`")
    assert at(diag) == (4, 1)


def test_state_without_der_that_nothing_determines():
    diag = only_error(P + "state z = 0\n")
    assert diag.message == "state `z` has no equation"
    assert diag.hint.endswith("or set it with an event, or determine it by a `constraint`")
    assert at(diag) == (4, 7)


def test_two_constraints_for_one_state():
    diag = only_error(P + "state z = 0\nconstraint x + z = 1\nconstraint 2*z = x\n")
    assert diag.message == ("a second constraint for the same state: `z` (by the constraint on line 5) "
                            "is determined already")
    assert "paired one to one" in diag.hint
    assert at(diag) == (6, 1)


def test_a_state_that_an_event_assigns_is_not_determined_by_a_constraint():
    diag = only_error(P + "state z = 0\nevent when x < 0.5: z = 1\nconstraint x + z = 1\n")
    assert diag.message.startswith("this constraint determines no state")
    assert at(diag) == (6, 1)


def test_negative_constant_delay_option():
    diag = only_error(P + "event when x < 0.5, delay = -1: x = 1\n")
    assert diag.message == "an event's delay is negative (-1)"
    assert diag.hint == "a delay looks back in time: it must be zero or positive"
    assert at(diag) == (4, 29) and diag.span.end_col == 31


def test_negative_delay_of_a_parameter_at_its_default():
    diag = only_error("parameter tau = -2\nstate x = 1\nder(x) = -delay(x, tau)\n")
    assert diag.message == "delay(expr, tau) is negative (-2, with the parameters at their defaults)"
    assert at(diag) == (3, 20)


def test_negative_delay_in_the_delay_function():
    diag = only_error(P + "observe lag = delay(x, -0.5)\n")
    assert diag.message == "delay(expr, tau) is negative (-0.5)"
    assert at(diag) == (4, 24)


def test_delay_that_depends_on_a_state_is_not_checked_for_sign():
    from modelc.frontend.parser import parse_source

    parse_source(P + "observe lag = delay(x, x - 2)\n")


def test_der_cycle():
    diag = only_error("state x = 1, y = 1\nder(x) = der(y)\nder(y) = der(x)\n")
    assert diag.message == "`der(x)` depends on itself: der(x) -> der(y) -> der(x)"
    assert "cannot use its own rate of change" in diag.hint
    assert at(diag) == (2, 1)


def test_der_cycle_through_a_let():
    diag = only_error("state x = 1, y = 1\nlet r = der(y)\nder(x) = r\nder(y) = der(x) + 1\n")
    assert diag.message == "`der(x)` depends on itself: der(x) -> r -> der(y) -> der(x)"
    assert at(diag) == (3, 1)


def test_der_of_itself():
    diag = only_error("state x = 1\nder(x) = 1 - der(x)\n")
    assert diag.message == "`der(x)` depends on itself: der(x) -> der(x)"


def test_der_cycle_through_reactions():
    diag = only_error("parameter k = 1\nspecies A = 1, B = 0\nreaction A -> B, rate = k*A + der(B)\n")
    assert diag.message.startswith("`der(A)` depends on itself") or diag.message.startswith("`der(B)` depends")
    assert at(diag) == (3, 1)


def test_option_given_twice():
    diag = only_error(P + "event when x < 0.5, priority = 1, priority = 2: x = 1\n")
    assert diag.message == "event option `priority` is given twice; first at column 21"
    assert diag.hint == "give each option once"
    assert at(diag) == (4, 35)


def test_unknown_option_suggests_a_close_one():
    diag = only_error(P + "event when x < 0.5, persist = true: x = 1\n")
    assert diag.message == "unknown event option `persist`"
    assert diag.hint.startswith("did you mean `persistent`?")
    assert at(diag) == (4, 21)


@pytest.mark.parametrize("option, value, words", [("persistent", "yes", "`true` or `false`"),
                                                    ("initial", "1", "`true` or `false`"),
                                                    ("values", "now", "`trigger` or `execution`")])
def test_option_words(option, value, words):
    diag = only_error(P + f"event when x < 0.5, {option} = {value}: x = 1\n")
    assert diag.message == f"event option `{option}` is {words}"
    assert at(diag) == (4, 24 + len(option))


def test_der_of_a_parameter():
    diag = only_error(P + "observe o = der(k)\n")
    assert diag.message == "`der(k)`: `k` is a parameter (line 1), not a state"
    assert at(diag) == (4, 17)


def test_der_of_an_expression():
    diag = only_error(P + "observe o = der(x + 1)\n")
    assert diag.message == "`der(...)` in an expression takes the name of one state or species"
    assert at(diag) == (4, 13)


def test_der_of_an_undeclared_name():
    diag = only_error(P + "observe o = der(y)\n")
    assert diag.message == "undefined name `y`"
    assert at(diag) == (4, 17)


def test_stop_with_assignments():
    diag = only_error(P + "event when x < 0.5: x = 1, stop\n")
    assert diag.message == "`stop` ends the solve and takes no other actions"
    assert at(diag) == (4, 28)


def test_bare_word_that_is_not_stop():
    diag = only_error(P + "event when x < 0.5: halt\n")
    assert diag.message == "`halt` is not an event action"
    assert at(diag) == (4, 21)


def test_two_events_with_one_name():
    diag = only_error(P + "event e when x < 0.5: x = 1\nevent e when x > 2: x = 1\n")
    assert diag.message == "two events are named `e`; the first is on line 4"
    assert at(diag) == (5, 7)


def test_delay_with_one_argument():
    diag = only_error(P + "observe o = delay(x)\n")
    assert diag.message == "`delay` takes 2 arguments, got 1"
    assert at(diag) == (4, 13)


def test_event_without_when_is_a_syntax_error():
    diag = only_error(P + "event x < 0: x = 1\n")
    assert diag.hint == "expected `when`"
    assert at(diag) == (4, 9)


def test_delay_in_an_initial_value():
    diag = only_error("parameter k = 1\nstate x = delay(k, 1)\nder(x) = -x\n")
    assert diag.message == "the initial value of state `x` uses `delay(...)`"
    assert at(diag) == (2, 7)
