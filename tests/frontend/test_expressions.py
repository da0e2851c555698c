"""Expressions: precedence, numbers, constants, functions, conditionals, names."""

from __future__ import annotations

import pytest
import sympy
from frontend_helpers import PRELUDE, S, errors, expr, only_error

from modelc import ir
from modelc.frontend.parser import parse_source
from modelc.functions import FUNCTIONS

a, b, c, x = S("a"), S("b"), S("c"), S("x")


def test_unary_minus_binds_looser_than_power():
    assert expr("-x^2") == -(x**2)
    assert expr("-2^2") == -4
    assert expr("2^-1") == sympy.Rational(1, 2)


def test_power_is_right_associative():
    assert expr("2^3^2") == 512
    assert expr("2**3**2") == 512
    assert expr("2^3**2") == 512


def test_division_and_product_are_left_associative():
    assert expr("a/b*c") == (a / b) * c
    assert expr("a/b/c") == a / (b * c)
    assert expr("a - b - c") == a - b - c


def test_product_binds_tighter_than_sum_and_parentheses_group():
    assert expr("a + b*c") == a + b * c
    assert expr("(a + b)*c") == (a + b) * c
    assert expr("a*-b") == -a * b


def test_not_binds_looser_than_comparison_and_tighter_than_and():
    # not a < b and c > 0  ==  (not (a < b)) and (c > 0)
    value = expr("if(not a < b and c > 0, 1, 0)")
    cond = value.args[0].cond
    assert cond == sympy.And(sympy.Not(a < b), c > 0)


def test_and_binds_tighter_than_or():
    cond = expr("if(a > 0 or b > 0 and c > 0, 1, 0)").args[0].cond
    assert cond == sympy.Or(a > 0, sympy.And(b > 0, c > 0))


@pytest.mark.parametrize(
    "op, cls",
    [("<", sympy.StrictLessThan), ("<=", sympy.LessThan), (">", sympy.StrictGreaterThan),
     (">=", sympy.GreaterThan), ("==", sympy.Equality), ("!=", sympy.Unequality)],
)
def test_comparisons(op, cls):
    cond = expr(f"if(a {op} b, 1, 0)").args[0].cond
    assert isinstance(cond, cls)


def test_if_is_piecewise():
    assert expr("if(x > 0, a, b)") == sympy.Piecewise((a, x > 0), (b, True))
    assert expr("if(1 < 2, a, b)") == a


def test_numbers():
    assert expr("2") == sympy.Integer(2) and isinstance(expr("2"), sympy.Integer)
    assert expr("8/3") == sympy.Rational(8, 3)
    assert isinstance(expr("0.5"), sympy.Float) and expr("0.5") == sympy.Float("0.5")
    assert expr("1e-3") == sympy.Float("0.001")
    assert expr("3.0E+7") == sympy.Float("3e7")
    assert expr(".25") == sympy.Float("0.25")


def test_constants_and_time():
    assert expr("pi") == sympy.pi
    assert expr("t") is ir.TIME
    assert expr("x") == ir.symbol("x")


def test_heaviside_at_zero_is_one_half():
    assert expr("heaviside(0)") == sympy.Rational(1, 2)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_parses_with_its_arity(name):
    fn = FUNCTIONS[name]
    args = ["a", "b", "c"][: fn.arity]
    assert expr(f"{name}({', '.join(args)})") == fn.build(*(S(n) for n in args))


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_rejects_a_wrong_arity(name):
    fn = FUNCTIONS[name]
    args = ", ".join(["a"] * (fn.arity + 1))
    diag = only_error(PRELUDE + f"let v = {name}({args})\n")
    plural = "argument" if fn.arity == 1 else "arguments"
    assert diag.message == f"`{name}` takes {fn.arity} {plural}, got {fn.arity + 1}"
    assert (diag.span.line, diag.span.col) == (4, 9)


@pytest.mark.parametrize(
    "name", ["rate", "gamma", "d", "points", "method", "order", "periodic", "at", "array", "complex",
             "exp", "sin", "min", "e", "_x1", "stateful", "letter", "modeling"],
)
def test_words_that_are_not_reserved_are_names(name):
    model = parse_source(f"parameter {name} = 2\nstate y = {name}\nder(y) = -{name}*y\n")
    assert model.parameters[0].name == name
    assert model.derivatives[0].expr == -S(name) * S("y")


def test_function_name_without_parentheses_is_a_plain_name():
    model = parse_source("parameter exp = 2\nstate y = 1\nder(y) = exp(y)*exp\n")
    assert model.derivatives[0].expr == sympy.exp(S("y")) * S("exp")


def test_comments_and_continuation_lines():
    model = parse_source(
        "# a comment line\n"
        "parameter k = 2   # trailing comment\n"
        "state y = 1\n"
        "\n"
        "der(y) = -k*(y +  # comment inside brackets\n"
        "          1)\n"
        "simulate t = [0,\n"
        "              5]\n"
    )
    assert model.derivatives[0].expr == -S("k") * (S("y") + 1)
    assert model.derivatives[0].span.line == 5
    assert (model.simulate.t0, model.simulate.t1) == (0.0, 5.0)


def test_huge_exact_power_is_an_overflow_not_a_hang():
    # an unevaluated 10^10^10 was multiplied out by the next operation on it
    diag = only_error(PRELUDE + "let v = x*10^10^10\n")
    assert "overflows" in diag.message and (diag.span.line, diag.span.col) == (4, 11)


def test_condition_used_as_a_number_is_an_error():
    diag = only_error(PRELUDE + "let v = 1 + (a < b)\n")
    assert diag.message == "`a < b` is a condition, not a number"
    assert (diag.span.line, diag.span.col) == (4, 14)
    assert "if(condition, a, b)" in diag.hint


def test_number_used_as_a_condition_is_an_error():
    diag = only_error(PRELUDE + "let v = if(a, 1, 2)\n")
    assert diag.message == "`a` is a number, not a condition"
    assert (diag.span.line, diag.span.col) == (4, 12)


def test_and_of_numbers_is_an_error():
    diags = errors(PRELUDE + "let v = if(a > 0 and 2, 1, 2)\n")
    assert [d.message for d in diags] == ["`2` is a number, not a condition"]


def test_if_arity():
    diag = only_error(PRELUDE + "let v = if(a > 0, 1)\n")
    assert diag.message == "`if` takes 3 arguments, got 2"
    assert (diag.span.line, diag.span.col) == (4, 9)


def test_unknown_function_suggests_a_close_one():
    diag = only_error(PRELUDE + "let v = sinn(a)\n")
    assert diag.message == "unknown function `sinn`"
    assert "did you mean `sin`?" in diag.hint
    assert (diag.span.line, diag.span.col, diag.span.end_col) == (4, 9, 13)


def test_spatial_derivative_needs_a_domain_axis():
    diag = only_error(PRELUDE + "let v = diff(x, x)\n")
    assert diag.message == "derivative along `x`, which is state `x`, not a domain axis"
    assert (diag.span.line, diag.span.col) == (4, 17)


def test_sympy_failure_becomes_a_diagnostic():
    # (I is only allowed in a model with a complex field)
    diag = only_error("domain x = [0, 1], points = 8, periodic\nfield psi: complex = 0\n"
                      "der(psi) = 0\nlet v = min(I, 1)\n")
    assert diag.message.startswith("cannot build `min(...)`")
