"""modelc.exprwalk: one walk over expressions sharing subexpressions, and the passes that
ask it before walking expression by expression."""

import sympy

from modelc import api
from modelc.exprwalk import contains, contains_type
from modelc.frontend.parser import parse_source
from modelc.passes.reactions import _scaled
from modelc.passes.safe_forms import safe_model


def test_contains_finds_a_node_at_any_depth_and_in_any_expression():
    x, y, k = sympy.symbols("x y k")
    shared = k * x * y
    exprs = [shared + 1, -shared, sympy.exp(shared) * 2]
    assert contains_type(exprs, sympy.exp)
    assert not contains_type(exprs[:2], sympy.exp)
    assert contains(exprs, lambda n: n == k)          # a leaf
    assert contains(exprs, lambda n: n == exprs[0])    # a root
    assert not contains([], lambda n: True)


def test_scaled_is_the_same_expression_as_the_product():
    a, b, k = sympy.symbols("a b k")
    for c in (sympy.Integer(1), sympy.Integer(-1), sympy.Integer(2), sympy.Rational(1, 2)):
        for rate in (k * a * b, k * a**2, 3 * k * a, k * a - k * b, k):
            got, want = _scaled(c, rate), c * rate
            assert got == want and hash(got) == hash(want)
            assert sympy.srepr(got) == sympy.srepr(want)


def test_safe_model_without_exp_log_or_sqrt_is_unchanged_with_no_notes():
    text = "model m\nspecies A = 1\nspecies B = 0\nparameter k = 2\nreaction A -> B, k\n"
    model = parse_source(text, "m.model")
    for run_pass in api.PASSES[: api.PASSES.index(api.numerically_safe)]:
        model = run_pass(model)
    out = safe_model(model)
    assert out.derivatives == model.derivatives and out.safe_forms == ()


def test_safe_model_still_rewrites_where_a_rule_applies():
    text = "model m\nstate x = 1\nparameter a = 1\nder(x) = -(exp(a*x) - 1)\n"
    model = parse_source(text, "m.model")
    out = safe_model(model)
    assert "expm1" in str(out.derivatives[0].expr)
    assert out.safe_forms
