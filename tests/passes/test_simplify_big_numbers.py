"""Integers and rationals beyond 64 bits go through the e-graph exactly (issue 20,
item 7: egglog's BigRat constructor takes 64-bit integers and raised OverflowError)."""

from __future__ import annotations

import pytest
import sympy

from modelc.api import compile_source
from modelc.passes.rewrite import simplify_exprs

x = sympy.Symbol("x", real=True)
k = sympy.Symbol("k", real=True)


@pytest.mark.parametrize("constant", [
    sympy.Integer(2) ** 70,
    sympy.Integer(10) ** 400,
    sympy.Rational(1, 2**70),
    sympy.Rational(3**50, 7**40),
    -sympy.Integer(10) ** 19,
])
def test_big_constant_survives_simplification_exactly(constant):
    expr = -k * x * (1 + x * constant)
    (out,), *_ = simplify_exprs([expr])
    assert sympy.expand(out - expr) == 0


def test_huge_integer_exponent_is_a_general_power():
    expr = x ** (10**30) + x ** (-10**20)
    (out,), *_ = simplify_exprs([expr])
    assert sympy.expand(out - expr) == 0


@pytest.mark.parametrize("rhs, coefficient", [
    ("-k*x*(1 + x/2^70)", sympy.Rational(-1, 2**70)),
    ("-k*x*(1 + x*10^300/10^299)", sympy.Integer(-10)),
])
def test_models_with_big_constants_compile_with_the_default_simplifier(rhs, coefficient):
    model, source = compile_source(f"parameter k = 1\nstate x = 1\nder(x) = {rhs}\n", "big.model")
    expr = sympy.expand(model.derivatives[0].expr)
    assert expr.coeff(x**2).coeff(k) == coefficient
    assert "def rhs" in source


def test_reaction_coefficient_beyond_64_bits_compiles():
    model, _ = compile_source("parameter k = 1\nspecies A = 1\n"
                              "reaction 10000000000000000000 A -> 0, k\n", "r.model")
    (der,) = model.derivatives
    assert der.expr.has(sympy.Integer(10**19)) or der.expr.has(sympy.Float(1e19))
