"""Loop-invariant hoisting: parameter-only subexpressions become constants computed once
per solve, and the model computes the same values with and without them."""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expression_strategies import expressions

import modelc
from modelc.ir import TIME
from modelc.passes.rewrite.cost import emitted_cost
from modelc.passes.rewrite.hoist import hoist, hoist_lets

x, y, k1, k2, V = (sympy.Symbol(n, real=True) for n in ("x", "y", "k1", "k2", "V"))
PARAMETERS = {k1, k2, V}


def _inlined(expr, definitions):
    for sym, value in reversed(list(definitions.items())):
        expr = expr.xreplace({sym: value})
    return expr


def test_parameter_factors_of_a_product_become_one_constant():
    (out,), hoisted = hoist([k1 * x * V / k2], PARAMETERS)
    (const, value), = hoisted.definitions.items()
    assert out == const * x
    assert value == k1 * V / k2
    # a division per evaluation became a multiplication
    assert emitted_cost([out])[0] < emitted_cost([k1 * x * V / k2])[0]


def test_time_and_states_are_not_constant():
    exprs = [sympy.sin(k1 * TIME) * x, -k1 * x, x - k1, k1 * x + k2]
    out, hoisted = hoist(exprs, PARAMETERS)
    assert out == exprs and not hoisted.definitions


def test_shared_constants_are_named_once():
    out, hoisted = hoist([k1 * V * x, k1 * V * y, sympy.exp(k1 * V)], PARAMETERS)
    assert len(hoisted.definitions) == 2       # k1*V and exp(k1*V)
    assert out[0] / x == out[1] / y


def test_parameter_only_let_becomes_an_alias_used_by_later_expressions():
    q = sympy.Symbol("q", real=True)
    lets, ders, hoisted = hoist_lets([(q, k1 * V)], [q * k2 * x], PARAMETERS)
    (const,) = lets
    assert const in hoisted.definitions
    (value,) = ders
    assert _inlined(value, hoisted.definitions) == k1 * V * k2 * x
    assert len(value.args) == 2   # one constant times x


_LEAVES = [x, y, k1, k2, V, TIME]
_UNARY = (sympy.exp, sympy.log, sympy.sqrt, sympy.sin, sympy.tanh, sympy.Abs)


def _expressions():
    leaves = st.one_of(st.sampled_from(_LEAVES), st.integers(-3, 3).map(sympy.Integer))
    return expressions(leaves, _UNARY, max_leaves=9)


def _value(expr, point):
    try:
        value = expr.evalf(30, subs=dict(zip(_LEAVES, point)))
    except (ZeroDivisionError, ValueError, OverflowError, TypeError):
        return None
    if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo) or not value.is_real:
        return None
    return complex(value).real


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_expressions(), st.lists(st.tuples(*[st.floats(-3, 3)] * 6), min_size=3, max_size=3))
def test_hoisting_keeps_the_value_where_defined(expr, points):
    (out,), hoisted = hoist([expr], PARAMETERS)
    for sym, value in hoisted.definitions.items():
        assert value.free_symbols <= PARAMETERS | set(hoisted.definitions), (sym, value)
    back = _inlined(out, hoisted.definitions)
    for point in points:
        want = _value(expr, point)
        if want is None or not math.isfinite(want) or abs(want) > 1e12:
            continue
        got = _value(back, point)
        assert got is not None and math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12), (expr, out)


MODEL = """model hoisted
parameter k1 = 2, V = 3, V2 = 0.5
state x = 1
state y = 1
let r = k1*x*V/V2
let q = k1*V
observe o = r + q
der(x) = -r/V + q*y
der(y) = r/V2 - y
"""


@pytest.fixture(scope="module")
def pair():
    return (modelc.parse(MODEL, cache_modules=False, simplify=False),
            modelc.parse(MODEL, cache_modules=False))


def test_constants_are_hoisted_and_reported(pair):
    plain, simplified = pair
    report = simplified.cost_report()
    assert report["constants"] >= 2 and report["cost_once"] > 0
    assert report["cost_after"] < report["cost_before"]
    assert "with_constants" in simplified.generated_source
    assert len(simplified.module.CONSTANT_NAMES) == report["constants"]
    assert plain.cost_report()["constants"] == 0


def test_rhs_accepts_plain_and_extended_parameters(pair):
    plain, simplified = pair
    p = plain.module.parameter_vector({"k1": 1.5})
    y = np.array([0.7, 1.3])
    want = np.asarray(plain.module.rhs(0.0, y, p))
    extended = simplified.module.with_constants(p)
    assert extended.shape[0] == 3 + len(simplified.module.CONSTANT_NAMES)
    for args in (p, extended):
        np.testing.assert_allclose(simplified.module.rhs(0.0, y, args), want, rtol=1e-14)
        np.testing.assert_allclose(simplified.module.jacobian(0.0, y, args),
                                   plain.module.jacobian(0.0, y, p), rtol=1e-14)
        np.testing.assert_allclose(simplified.module.observables(0.0, y, args),
                                   plain.module.observables(0.0, y, p), rtol=1e-14)


def test_gradient_flows_through_the_constants(pair):
    ts = np.linspace(0.0, 1.0, 3)
    grads = []
    for model in pair:
        f = model.solver(rtol=1e-10, atol=1e-12)
        grads.append(jax.grad(lambda p: f({}, p, ts)["x"][-1])({"k1": 2.0, "V": 3.0, "V2": 0.5}))
    for name in ("k1", "V", "V2"):
        np.testing.assert_allclose(grads[1][name], grads[0][name], rtol=1e-7)


def test_show_lists_the_constants(pair):
    from modelc.show import describe_simplification

    text = describe_simplification(pair[1].ir.simplification)
    assert "computed once per solve" in text and "_k0 = " in text
