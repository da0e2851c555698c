"""der(x) values, constraint elimination, and the refusal of what the solvers cannot run yet."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from scipy.integrate import solve_ivp

import modelc
from modelc import ir
from modelc.api import PASSES, require_solver_support
from modelc.errors import ModelError
from modelc.frontend.parser import parse_source
from modelc.passes.constraints import eliminate_constraints
from modelc.passes.derivative_values import substitute_derivative_values
from modelc.passes.reactions import lower_reactions
from modelc.passes.verify import verify

S = ir.symbol

CHAIN = """\
parameter k = 2, m = 0.5
species A = 1, B = 0
reaction A -> B, k
reaction B -> 0, m
observe net = der(A) + der(B)
"""

ROBERTSON = """\
parameter k1 = 0.04, k2 = 3e7, k3 = 1e4
state y1 = 1, y2 = 0, y3 = 0.5     # y3's initial value is only a starting guess
der(y1) = -k1*y1 + k3*y2*y3
der(y2) = k1*y1 - k3*y2*y3 - k2*y2^2
constraint y1 + y2 + y3 = 1
observe rate3 = der(y3)
"""


def _front(text: str) -> ir.Model:
    """Parse, then run the passes up to (not including) the refusal check."""
    model = verify(parse_source(text))
    for run_pass in PASSES[: PASSES.index(require_solver_support)]:
        model = verify(run_pass(model))
    return model


def test_der_values_of_species_become_their_reaction_terms():
    model = _front(CHAIN)
    assert sympy.simplify(model.observes[0].expr - (-S("m") * S("B"))) == 0
    assert not model.observes[0].expr.atoms(ir.DerValue)


def test_der_values_resolve_through_other_der_values_and_lets():
    model = substitute_derivative_values(parse_source(
        "state x = 1, y = 2\nlet r = der(y)\nder(x) = 3*r\nder(y) = -y\nobserve q = der(x)\n"))
    assert model.lets[0].expr == -S("y")
    assert model.observes[0].expr == 3 * S("r")  # r is the let, now -y
    assert model.derivative_of("x").expr == 3 * S("r")


def test_der_value_of_a_state_only_events_change_is_zero():
    model = substitute_derivative_values(parse_source(
        "state x = 1, on = 0\nder(x) = -x\nevent when x < 0.5: on = 1\nobserve q = der(on) + der(x)\n"))
    assert model.observes[0].expr == -S("x")


@pytest.mark.slow  # compiles and JITs a solver (~6 s on the shared 2-core machine)
def test_der_value_observable_matches_the_analytic_solution():
    m = modelc.parse(CHAIN, cache_modules=False)
    ts = np.linspace(0, 3, 7)
    sol = m.solve(t=(0, 3), saveat=ts, method="tsit5", rtol=1e-10, atol=1e-12)
    k, mu = 2.0, 0.5
    b = k / (mu - k) * (np.exp(-k * ts) - np.exp(-mu * ts))
    assert np.all(np.isfinite(sol["net"]))
    np.testing.assert_allclose(sol["net"], -mu * b, rtol=1e-7, atol=1e-12)


def test_robertson_constraint_is_eliminated_symbolically():
    model = _front(ROBERTSON)
    assert model.state_names == ("y1", "y2")
    assert model.constraints == () and model.constraint_paths == (("y3", "symbolic"),)
    observed = dict((o.name, o.expr) for o in model.observes)
    assert sympy.expand(observed["y3"] - (1 - S("y1") - S("y2"))) == 0
    # der(y3) = -der(y1) - der(y2) = k2*y2^2
    assert sympy.simplify(observed["rate3"] - S("k2") * S("y2") ** 2) == 0
    y3 = model.derivative_of("y1").expr.free_symbols
    assert S("y3") not in y3


def test_a_constraint_sympy_cannot_solve_uniquely_stays_numerical():
    model = eliminate_constraints(lower_reactions(parse_source(
        "state x = 4, y = 1\nder(x) = -x\nconstraint y^2 = x\n")))
    assert model.constraint_paths == (("y", "numerical"),)
    assert [c.state for c in model.constraints] == ["y"]
    verify(model)


def test_coupled_constraints_are_solved_together():
    model = _front("state u = 1, p = 0, q = 0\nder(u) = -u\nconstraint p + q = u\nconstraint p - q = 1\n")
    observed = dict((o.name, o.expr) for o in model.observes)
    assert sympy.simplify(observed["p"] - (S("u") + 1) / 2) == 0
    assert sympy.simplify(observed["q"] - (S("u") - 1) / 2) == 0
    assert dict(model.constraint_paths) == {"p": "symbolic", "q": "symbolic"}


@pytest.mark.parametrize("text, line, words", [
    ("domain x = [0, 1], points = 8\nfield u = x\nstate s = 0\nder(u) = diff(u, x, 2)\n"
     "boundary u = 0 at x = 0\nboundary u = 0 at x = 1\nevent kick when t > 1: s = 1\n", 7,
     "event `kick`: events in models with fields or external functions are parsed and checked"),
    ("external g(x)\nstate x = 4, y = 1\nder(x) = -g(x)\nconstraint y^2 = x\n", 4,
     "constraint for `y`: SymPy could not solve it for `y` uniquely, and in a model with array states"),
    ("state x = 1, on = 0\nder(x) = -x\nevent e when delay(delay(x, 0.5), 1) < 0.5: on = 1\n", 3,
     "event `e` nests `delay(...)`"),
    ("parameter tau = 1\nstate x = 4, y = 1\nder(x) = -delay(x, tau)\nconstraint y^2 = x\n", 4,
     "constraint for `y` is solved numerically, and in a model with `delay(...)`"),
])
def test_what_the_solvers_cannot_run_is_refused_with_its_line(text, line, words):
    with pytest.raises(ModelError) as info:
        modelc.parse(text, "m.model", cache_modules=False)
    diag = info.value.diagnostics[0]
    assert diag.span.line == line and diag.message.startswith(words)
    assert f"m.model:{line}:" in str(info.value)


def test_check_accepts_what_the_solver_refuses():
    parse_source("state h = 1, v = 0\nder(h) = v\nder(v) = -1\nevent bounce when h < 0: v = -v\n")


@pytest.mark.slow  # compiles and JITs rodas5 (~15 s on the shared 2-core machine)
def test_robertson_with_a_constraint_agrees_with_scipy_radau_on_the_ode_form(examples_dir):
    m = modelc.load(examples_dir / "robertson_dae.model")
    assert m.ir.constraint_paths == (("y3", "symbolic"),)
    ts = np.concatenate([[0.0], np.logspace(-4, 4, 9)])
    k1, k2, k3 = 0.04, 3e7, 1e4

    def f(t, y):
        return [-k1 * y[0] + k3 * y[1] * y[2], k1 * y[0] - k3 * y[1] * y[2] - k2 * y[1] ** 2,
                k2 * y[1] ** 2]

    ref = solve_ivp(f, (0, 1e4), [1.0, 0.0, 0.0], method="Radau", rtol=1e-12, atol=1e-22,
                    t_eval=ts).y
    sol = m.solve(t=(0, 1e4), saveat=ts, method="rodas5", rtol=1e-8, atol=1e-20)
    assert sol.ok, sol.message
    for i, name in enumerate(("y1", "y2", "y3")):
        got, want = sol[name], ref[i]
        big = want > 1e-12
        assert np.all(np.isfinite(got))
        assert np.max(np.abs(got[big] - want[big]) / want[big]) < 1e-6, name
    np.testing.assert_allclose(sol["production3"], k2 * sol["y2"] ** 2, rtol=1e-10, atol=1e-300)


def test_decimal_coefficients_lower_to_mass_action_powers_and_exact_stoichiometry():
    model = verify(lower_reactions(parse_source("parameter k = 1\nspecies A = 1, B = 0\n"
                                                "reaction 0.5 A -> B, k\n")))
    assert model.network.stoichiometry == sympy.Matrix([[sympy.Rational(-1, 2)], [1]])
    assert [str(law) for law in model.network.conservation_laws] == ["2*A + B"]
    assert model.derivative_of("A").expr == -S("k") * sympy.sqrt(S("A")) / 2
    assert model.derivative_of("B").expr == S("k") * sympy.sqrt(S("A"))


def test_show_lists_events_and_how_each_constraint_is_solved():
    from modelc.show import describe

    model = eliminate_constraints(substitute_derivative_values(parse_source(
        "state x = 4, y = 1, z = 0, h = 1\nder(x) = -x\nder(h) = -1\nconstraint y^2 = x\n"
        "constraint z + x = 1\nevent b when h < 0, delay = 2, persistent = false: h = 1\n"
        "event when x < 0: stop\n")))
    text = describe(model)
    assert ("  event b when h < 0, delay = 2, persistent = false: h = 1\n"
            "  event event2 when x < 0: stop") in text
    assert ("  constraint y^2 = x   # y: solved numerically (a DAE, docs/dae.md)\n"
            "  # z: eliminated symbolically, now an observable") in text


def test_shown_events_and_constraints_parse_back_to_the_same_ones():
    from modelc.show import describe

    source = ("parameter e = 0.9\nstate x = 4, y = 2, h = 1, v = 0, n = 0\nder(x) = -x\nder(h) = v\n"
              "der(v) = -9.81\nconstraint y^3 + y = x\n"
              "event bounce when h < 0 and v < 0, priority = 2*e, values = execution: v = -e*v, h = 0\n"
              "event count when not (x > 1) or t >= 3, initial = false, delay = 1/2: n = n + 1\n"
              "event when h <= -1: stop\n")
    model = eliminate_constraints(substitute_derivative_values(parse_source(source)))
    text = describe(model)
    shown = [line.strip().split("   #")[0] for line in text.splitlines()
             if line.strip().startswith(("event ", "constraint "))]
    assert len(shown) == 4
    head = "\n".join(source.splitlines()[:5]) + "\n"
    again = eliminate_constraints(substitute_derivative_values(parse_source(head + "\n".join(shown) + "\n")))

    def essence(m):
        return ([(e.name, e.condition, e.options, e.stop, [(a.target, a.expr) for a in e.assignments])
                 for e in m.events], [(c.state, c.lhs, c.rhs) for c in m.constraints])

    assert essence(again) == essence(model)


@pytest.mark.slow  # compiles and JITs a solver
def test_half_order_reaction_matches_its_closed_form():
    # dA/dt = -k/2 * sqrt(A), A(0) = 1  =>  A = (1 - k t / 4)^2 for k t < 4; B = 2 (1 - A).
    m = modelc.parse("parameter k = 1\nspecies A = 1, B = 0\nreaction 0.5 A -> B, k\n", cache_modules=False)
    ts = np.linspace(0, 2, 5)
    sol = m.solve(t=(0, 2), saveat=ts, method="tsit5", rtol=1e-10, atol=1e-12)
    a = (1 - ts / 4) ** 2
    np.testing.assert_allclose(sol["A"], a, rtol=1e-8)
    np.testing.assert_allclose(sol["B"], 2 * (1 - a), rtol=1e-8, atol=1e-12)


def test_der_values_in_field_equations_are_replaced():
    model = substitute_derivative_values(parse_source(
        "parameter D = 0.1\ndomain x = [0, 1], points = 21\nfield u = sin(pi*x)\n"
        "boundary u = 0 at x = 0\nboundary u = 0 at x = 1\nstate s = 1\nder(s) = -s\n"
        "der(u) = D*diff(u, x, 2) + der(s)\n"))
    assert not model.field_derivatives[0].expr.atoms(ir.DerValue)
    assert model.field_derivatives[0].expr.has(-S("s"))


def test_events_and_delays_together_are_accepted():
    """Events with delays, delays in events and in observables run (modelc.solvers.history
    records an event's jump): the passes let them through."""
    text = ("state x = 1, on = 0\nder(x) = -delay(x, 1)\nevent e when delay(x, 0.5) < 0.5: on = 1\n"
            "observe lagged = delay(x, 1)\n")
    model = require_solver_support(parse_source(text))
    assert [e.name for e in model.events] == ["e"]
