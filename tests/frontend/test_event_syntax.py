"""Events, constraints, der(x) as a value and delay(expr, tau): what they parse to."""

from __future__ import annotations

import sympy

from modelc import ir
from modelc.frontend.parser import parse_source

S = ir.symbol

# The section "Events, delays and constraints" of the language contract, completed into a model.
CONTRACT = """\
parameter k = 1, tau = 0.5, D = 2
state h = 1, v = 0, A = 1, B = 0, S = 0, x = 1, y1 = 1, y2 = 0
der(h) = v
der(v) = -9.81
der(A) = -k*A
der(S) = 1
der(x) = -x
der(y1) = -y1
der(y2) = y1
event bounce when h < 0: v = -0.9*v, h = 0          # fires when the condition becomes true
event dose when t >= 24, delay = 0.5: A = A + D     # runs 0.5 after the condition became true
event when S > 2, priority = 1, persistent = false, initial = false, values = trigger: S = 0, on = 1
event halt when x < 0: stop                         # ends the solve at the event time

state on = 0                # no `der`: constant between events, set by them
state y3 = 0                # no `der`: determined by the constraint below
constraint y1 + y2 + y3 = 1 # an algebraic equation: holds at every time
der(B) = k*delay(A, tau) - B         # A's value at time t - tau
observe net = der(A) + der(B)        # der(x) in an expression: x's current rate of change
"""


def test_the_contract_section_parses():
    m = parse_source(CONTRACT)
    assert [e.name for e in m.events] == ["bounce", "dose", "event3", "halt"]
    bounce, dose, third, halt = m.events
    assert bounce.condition == sympy.Lt(S("h"), 0)
    assert [(a.target, a.expr) for a in bounce.assignments] == [("v", -0.9 * S("v")), ("h", 0)]
    assert bounce.options == ir.EventOptions() and not bounce.stop
    assert dose.options.delay == sympy.Float(0.5)
    assert third.options == ir.EventOptions(priority=1, persistent=False, initial=False, values="trigger")
    assert halt.stop and halt.assignments == ()
    assert m.constraints == (ir.Constraint(S("y1") + S("y2") + S("y3"), sympy.Integer(1), "y3",
                                           m.constraints[0].span),)
    assert m.constraints[0].span.line == 17
    assert m.derivative_of("B").expr == S("k") * ir.Delay(S("A"), S("tau")) - S("B")
    assert m.observes[0].expr == ir.DerValue(S("A")) + ir.DerValue(S("B"))


def test_states_without_der_have_the_derivative_zero():
    m = parse_source(CONTRACT)
    assert m.derivative_of("on").expr == 0 and m.derivative_of("y3").expr == 0
    assert tuple(d.state for d in m.derivatives) == m.state_names


def test_delay_and_der_print_back_as_written():
    m = parse_source(CONTRACT)
    assert sympy.sstr(m.derivative_of("B").expr) == "-B + k*delay(A, tau)"
    assert sympy.sstr(m.observes[0].expr) == "der(A) + der(B)"


def test_option_words_and_event_words_may_name_parameters():
    words = ["delay", "priority", "persistent", "values", "initial", "when", "stop", "event",
             "constraint", "trigger", "execution", "true", "false"]
    text = ("parameter " + ", ".join(f"{w} = {i + 1}" for i, w in enumerate(words)) + "\n"
            "state x = 1\nder(x) = -delay*x\n"
            "event when when > x, delay = delay, priority = priority*event: x = constraint + stop\n"
            "event stop when x < values: stop\n")
    m = parse_source(text)
    assert m.parameter_names == tuple(words)
    first, second = m.events
    assert first.condition == sympy.Gt(S("when"), S("x"))
    assert first.options.delay == S("delay") and first.options.priority == S("priority") * S("event")
    assert first.assignments[0].expr == S("constraint") + S("stop")
    assert second.name == "stop" and second.stop


def test_a_state_may_be_named_stop_and_be_assigned():
    m = parse_source("state stop = 1\nder(stop) = 1\nevent when stop > 2: stop = 0\n")
    assert m.events[0].assignments[0].target == "stop"


def test_assignments_in_parentheses_continue_over_lines():
    m = parse_source("state h = 1, v = 0\nder(h) = v\nder(v) = -1\n"
                     "event bounce when h < 0 and v < 0: (\n    v = -0.9*v,   # restitution\n    h = 0\n)\n")
    assert [a.target for a in m.events[0].assignments] == ["v", "h"]
    assert m.events[0].condition == sympy.And(sympy.Lt(S("h"), 0), sympy.Lt(S("v"), 0))


def test_automatic_event_names_skip_taken_ones():
    m = parse_source("state x = 1\nder(x) = -x\nevent when x < 1: x = 1\nevent event1 when x > 2: x = 1\n")
    assert [e.name for e in m.events] == ["event2", "event1"]


def test_constraint_pairs_through_lets():
    m = parse_source("state a = 1, b = 0\nder(a) = -a\nlet total = a + b\nconstraint total = 1\n")
    assert m.constraints[0].state == "b"


def test_constraints_pair_one_to_one_by_matching():
    m = parse_source("state u = 1, p = 0, q = 0\nder(u) = -u\n"
                     "constraint p + q = u\nconstraint p = 2*u\n")
    assert [c.state for c in m.constraints] == ["q", "p"]


def test_der_of_a_species_and_a_discrete_state_are_allowed():
    m = parse_source("parameter k = 1\nspecies A = 1, B = 0\nreaction A -> B, k\nstate on = 0\n"
                     "event when A < 0.5: on = 1\nobserve r = der(A) + der(on)\n")
    assert m.observes[0].expr == ir.DerValue(S("A")) + ir.DerValue(S("on"))


def test_existing_statements_still_parse_with_event_words_as_names():
    m = parse_source("parameter event = 2\nstate constraint = 1\nder(constraint) = -event*constraint\n")
    assert m.derivative_of("constraint").expr == -S("event") * S("constraint")


def test_crossings_are_positive_where_each_comparison_holds():
    m = parse_source("state h = 1, v = 0\nder(h) = v\nder(v) = -1\n"
                     "event when h < 0 and (v >= 2 or not t > 5): h = 0\n")
    # SymPy writes `not t > 5` as `t <= 5`, whose crossing is positive for t < 5
    assert set(m.events[0].crossings) == {-S("h"), S("v") - 2, 5 - S("t")}
