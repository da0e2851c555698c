"""A non-finite solve names the equations, the time and the state (issue 19, item 2)."""

import warnings

import modelc
from modelc.solvers import Status


def solve(text, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return modelc.parse(text).solve(**options)


def test_the_equation_that_is_not_finite_is_named():
    sol = solve("state x = 0, y = 0\nder(x) = 1\nder(y) = sqrt(x - 1)\n", t=(0, 1), points=3)
    assert sol.status == Status.NONFINITE_STATE
    assert "der(y) is non-finite at t = 0 (x = 0, y = 0)" in sol.message
    assert "der(x)" not in sol.stats["nonfinite"]


def test_a_blow_up_gives_the_interval():
    sol = solve("state x = 1, y = 0\nder(x) = x^2\nder(y) = log(2 - x)\n", t=(0, 2), points=5)
    assert sol.status == Status.NONFINITE_STATE
    assert sol.stats["nonfinite"].startswith("the state became non-finite between t = 0.5 (x = 2")
