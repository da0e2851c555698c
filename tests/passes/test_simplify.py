"""The e-graph simplification pass on expressions: worked example, assumptions, budgets, and a
property test that simplified expressions equal the originals wherever those are defined."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from expression_strategies import expressions

from modelc.passes.rewrite import Budget, simplify_exprs
from modelc.passes.rewrite.cost import emitted_cost, weighted_cost

x, y, z, k1 = (sympy.Symbol(n, real=True) for n in ("x", "y", "z", "k1"))


def simplify(*exprs, **options):
    return simplify_exprs(list(exprs), **options)[0]


def test_common_factor_is_pulled_out_of_the_sum():
    (out,) = simplify(k1 * x * y + k1 * x * z + k1 * x)
    assert sympy.expand(out - (k1 * x * y + k1 * x * z + k1 * x)) == 0
    # one multiplication chain k1*x over one sum y + z + 1
    factors = sympy.Mul.make_args(out)
    assert set(factors) == {k1, x, y + z + 1}
    assert sympy.count_ops(out) == 4


@pytest.mark.parametrize("expr, cheaper", [
    (x**3 + 2 * x**2, x**2 * (x + 2)),
    (sympy.exp(x) * sympy.exp(y), sympy.exp(x + y)),
    (sympy.sin(x)**2 + sympy.cos(x)**2, sympy.Integer(1)),
    ((x + y)**2 - x**2, y * (2 * x + y)),
    (x / 3 + y / 3, (x + y) / 3),
])
def test_cheaper_equivalent_found(expr, cheaper):
    (out,) = simplify(expr)
    assert sympy.simplify(out - expr) == 0
    assert weighted_cost(out) <= weighted_cost(cheaper)
    assert weighted_cost(out) < weighted_cost(expr)


def test_domain_changing_rules_need_the_assumption():
    expr = sympy.sqrt(x * y) / sympy.sqrt(x)       # = sqrt(y) only for x > 0, y > 0
    (plain,) = simplify(expr)
    assert sympy.sqrt(y) != plain and plain.has(x)
    (assumed,) = simplify(expr, assume_positive=("x", "y"))
    assert assumed == sympy.sqrt(y)


def test_log_of_product_split_only_for_positive_operands():
    expr = sympy.log(x * y) - sympy.log(x)
    (plain,) = simplify(expr)
    assert plain.has(sympy.log(x * y))
    (assumed,) = simplify(expr, assume_positive=("x", "y"))
    assert assumed == sympy.log(y)


def test_opaque_subexpressions_come_back_unchanged():
    piece = sympy.Piecewise((x, x > 0), (y, True))
    (out,) = simplify(piece * 2 + piece * 3 + sympy.Min(x, y))
    assert sympy.simplify(out - (5 * piece + sympy.Min(x, y))) == 0
    assert out.has(piece) and out.has(sympy.Min(x, y))


def test_shared_subterms_across_equations_kept():
    # the original shares E*S*kf and ES*kcat between equations; never cost more after CSE
    E, S, ES, kf, kr, kcat = sympy.symbols("E S ES kf kr kcat", real=True)
    eqs = [-kf * E * S + kr * ES + kcat * ES, -kf * E * S + kr * ES,
           kf * E * S - kr * ES - kcat * ES, kcat * ES]
    out = simplify(*eqs)
    assert all(sympy.expand(a - b) == 0 for a, b in zip(out, eqs))


def test_budget_exhaustion_is_reported():
    expr = sympy.expand((x + y + z + 1)**4)
    out, rounds, enodes, reason = simplify_exprs([expr], budget=Budget(nodes=200, iterations=8))
    assert reason == "nodes"
    assert sympy.expand(out[0] - expr) == 0


def test_emitted_cost_counts_shared_subterms_once():
    a = sympy.exp(x + y)
    cost, ops = emitted_cost([a + 1, a * 2])
    assert ops == sympy.count_ops(a) + 2
    assert cost < weighted_cost(a + 1) + weighted_cost(a * 2)


# -- property: equal wherever the original is defined -------------------------------------------
_SYMBOLS = (x, y, z)
_UNARY = (sympy.exp, sympy.log, sympy.sqrt, sympy.sin, sympy.cos, sympy.tan, sympy.tanh,
          sympy.sinh, sympy.cosh, sympy.Abs)


def _expressions():
    leaves = st.one_of(st.sampled_from(_SYMBOLS),
                       st.integers(-3, 3).map(sympy.Integer),
                       st.sampled_from([sympy.Rational(1, 2), sympy.Float(0.25)]))
    return expressions(leaves, _UNARY, max_leaves=7)


def _value(expr, point, digits):
    try:
        value = expr.evalf(digits, subs=dict(zip(_SYMBOLS, point)))
    except (ZeroDivisionError, ValueError, OverflowError, TypeError):
        return None
    if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo) or not value.is_real:
        return None
    return complex(value).real


def _float64(expr, point):
    f = sympy.lambdify(_SYMBOLS, expr, modules="numpy")   # test-built expressions only
    with np.errstate(all="ignore"):
        try:
            return float(np.asarray(f(*point), dtype=float))
        except OverflowError:   # Python's float power raises where numpy gives inf
            return math.inf


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])  # shrinking evalf'd trees is slow
@given(_expressions(), st.lists(st.tuples(*[st.floats(-3, 3)] * 3), min_size=4, max_size=4))
def test_simplified_equals_original_where_defined(expr, points):
    (out,) = simplify(expr, budget=Budget(iterations=6, seconds=0.5))
    for point in points:
        want = _value(expr, point, 30)
        if want is None or not math.isfinite(want) or abs(want) > 1e12:
            continue
        got = _value(out, point, 30)
        assert got is not None, f"{out} undefined at {point} where {expr} = {want}"
        assert math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12), (expr, out, point)
        if math.isfinite(_float64(expr, point)):
            assert math.isfinite(_float64(out, point)), (expr, out, point)
