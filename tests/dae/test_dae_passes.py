"""The constraints pass for the numerical path (no JAX): which constraints stay, the
rows of M y' = f, der(z) of a numerically solved state, and what is refused."""

from __future__ import annotations

import pytest
import sympy

import modelc
from modelc.api import derivative_values, lower_reactions, require_solver_support
from modelc.errors import ModelError
from modelc.frontend.parser import parse_source
from modelc.ir import symbol
from modelc.passes.constraints import algebraic_states, eliminate_constraints, rhs_rows
from modelc.passes.verify import verify

S = symbol  # the IR's real symbols

ROBERTSON = """
parameter k1 = 0.04, k2 = 3e7, k3 = 1e4
state y1 = 1, y2 = 0
state y3 = 0
der(y1) = -k1*y1 + k3*y2*y3
der(y2) = k1*y1 - k3*y2*y3 - k2*y2^2
constraint y1 + y2 + y3 = 1
observe production3 = der(y3)
"""


def _front(text, mode="auto"):
    return verify(eliminate_constraints(derivative_values(lower_reactions(parse_source(text))), mode))


def test_numerical_mode_keeps_every_constraint_as_an_algebraic_row():
    model = _front(ROBERTSON, "numerical")
    assert model.constraint_paths == (("y3", "numerical"),)
    assert model.state_names == ("y1", "y2", "y3") and algebraic_states(model) == ("y3",)
    rows = rhs_rows(model)
    assert rows[:2] == [model.derivative_of("y1").expr, model.derivative_of("y2").expr]
    assert sympy.simplify(rows[2] - (S("y1") + S("y2") + S("y3") - 1)) == 0


def test_der_of_a_numerically_solved_state_comes_from_differentiating_the_constraint():
    observed = {o.name: o.expr for o in _front(ROBERTSON, "numerical").observes}
    # y3' = -(y1' + y2') = k2*y2^2, the same as on the symbolic path
    assert sympy.simplify(observed["production3"] - S("k2") * S("y2") ** 2) == 0


def test_a_coupled_implicit_rate_solves_the_linear_system():
    # z + w^3 = x and z exp(w) = 1, both kept numerical: z' from a 2x2 linear system
    model = _front("state x = 3, z = 2, w = 1\nder(x) = -x\nconstraint z + w^3 = x\n"
                   "constraint z*exp(w) = 1\nobserve rz = der(z)\n")
    assert dict(model.constraint_paths) == {"z": "numerical", "w": "numerical"}
    rz = {o.name: o.expr for o in model.observes}["rz"]
    x, z, w = S("x"), S("z"), S("w")
    # by hand: z' + 3 w^2 w' = -x and exp(w) z' + z exp(w) w' = 0 -> w' = -z'/z
    expected = -x / (1 - 3 * w**2 / z)
    assert sympy.simplify(rz - expected) == 0


def test_a_solution_outside_the_language_goes_numerical():
    # SymPy solves z + exp(z) = x with LambertW, which generated code cannot print
    model = _front("state x = 2, z = 0\nder(x) = -z\nconstraint z + exp(z) = x\n")
    assert model.constraint_paths == (("z", "numerical"),)


def test_a_rate_cycle_is_refused_with_its_line():
    text = "state x = 1, z = 0\nder(x) = -der(z)\nconstraint z^2 = x + 1\n"
    with pytest.raises(ModelError) as info:
        require_solver_support(_front(text))
    diag = info.value.diagnostics[0]
    assert diag.span.line == 2 and "der(z)" in diag.message and "differentiating" in diag.message


def test_an_unknown_constraints_mode_is_refused():
    with pytest.raises(ValueError, match="constraints='symbolic'"):
        modelc.parse("state x = 1\nder(x) = -x\n", constraints="symbolic", cache_modules=False)
