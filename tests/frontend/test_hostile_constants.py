"""Hostile and careless constants (issue 20): each ends quickly with the right value
or one clean ModelError at the culprit's span, never a hang, a traceback or a value
that disagrees with what the generated (double precision, real) code computes."""

from __future__ import annotations

import mpmath
import pytest
import sympy
from frontend_helpers import expr, only_error

from modelc.frontend.parser import parse_source

x = sympy.Symbol("x", real=True)


@pytest.mark.parametrize("line, culprit, words", [
    # exact huge powers: rounded to a double, which overflows (not 370 million digits)
    ("der(y) = -y*9^9^9", "9^9^9", "overflows"),
    ("parameter p = 9^9^9 + 1", "9^9^9", "overflows"),
    ("parameter p = 2^(2^40)", "2^(2^40)", "overflows"),
    ("parameter p = 1e999", "1e999", "overflows"),
    ("parameter p = -1.5e400", "1.5e400", "overflows"),
    ("parameter p = 1e300*1e300", "1e300*1e300", "overflows"),
    # unevaluated by SymPy, overflowing in the generated code's Python floats
    ("parameter p = tanh(10)^-(log10(1e308^pi))", "1e308^pi", "overflows"),
    ("parameter p = pi^9999999999999999999999999999999999999999", "pi^9999999999999999999999999999999999999999",
     "overflows"),
    # division by zero and poles: no sign, so no value the run time would agree with
    ("parameter p = 1/0", "1/0", "division by zero"),
    ("der(y) = y/0", "y/0", "division by zero"),
    ("der(y) = y/(1 - 1)", "y/(1 - 1)", "division by zero"),
    ("parameter p = log(0)", "log(0)", "not a finite number"),
    ("parameter p = 0^-1", "0^-1", "not a finite number"),
    # complex constants in a real model: the run time would compute NaN
    ("parameter p = sqrt(-1)", "sqrt(-1)", "not a real number"),
    ("parameter p = log(-1)", "log(-1)", "not a real number"),
    ("parameter p = (-8)^(1/3)", "(-8)^(1/3)", "not a real number"),
    ("parameter p = asin(2)", "asin(2)", "not a real number"),
    ("parameter p = (-2)^log(4.25)", "(-2)^log(4.25)", "not a real number"),
    ("parameter p = (18446744073709551617*sin(1e308) - 1e19)^pi", "(18446744073709551617*sin(1e308) - 1e19)^pi",
     "not a real number"),
    ("parameter p = 1.5/0.0^pi", "1.5/0.0^pi", "division by zero"),
    ("parameter p = log10(1e-999)", "log10(1e-999)", "not a finite number"),
    ("der(y) = I*y", "I", "imaginary unit"),
    ("let v = 2 + 3*I", "I", "imaginary unit"),
])
def test_bad_constant_is_one_error_at_its_span(line, culprit, words):
    text = "state y = 1\n" + line + "\n"
    diag = only_error(text)
    assert words in diag.message
    assert diag.span.line == 2
    source_line = text.split("\n")[1]
    assert source_line[diag.span.col - 1 : diag.span.end_col - 1] == culprit


@pytest.mark.parametrize("text, value", [
    ("10^400/10^399", sympy.Integer(10)),              # exact while within 4000 bits
    ("2^70", sympy.Integer(2**70)),
    ("2^-2000", sympy.Float(0.0)),                     # underflows, as in double
    ("(1 + 1/10^6)^(10^7)",  # too long to keep exact: rounded once to a double
     sympy.Float(mpmath.exp(10**7 * mpmath.log1p(mpmath.mpf(10) ** -6)), 30)),
    ("0/0", sympy.nan),                                # NaN, as the run time computes
    ("sqrt(4)", sympy.Integer(2)),
    # a decimal is the double nearest to it; functions of it are of that double
    ("1e-999", sympy.Float(0.0)),
    ("sin(1e308)", sympy.Float(mpmath.sin(mpmath.mpf(1e308)), 30)),   # 0.4534, as libm
    ("cos(1e-8 + 1e308)", sympy.Float(mpmath.cos(mpmath.mpf(1e308)), 30)),
    # an integer beyond 2^53 is exact: its sine is the sine of that integer
    ("sin(18446744073709551617)", sympy.Float(mpmath.sin(2**64 + 1), 30)),   # -0.8285
    ("exp(pi)*cos(18446744073709551617)", sympy.Float(mpmath.exp(mpmath.pi) * mpmath.cos(2**64 + 1), 30)),
    ("cos(9999999999999999999999999999999999999999)",
     sympy.Float(mpmath.cos(mpmath.mpf(10**40 - 1, prec=200)), 30)),
])
def test_constants_fold_as_the_run_time_computes(text, value):
    got = expr(text)
    if value is sympy.nan:
        assert got is sympy.nan
    elif isinstance(value, sympy.Float):
        assert abs(float(got) - float(value)) <= 1e-12 * max(1.0, abs(float(value)))
    else:
        assert got == value


def test_a_huge_power_of_a_product_is_not_multiplied_out():
    # (10^40/x)^(2^64): SymPy distributed the power and multiplied out the integer (a
    # hang); the factor is rounded as a double would be, (10^40)^-(2^64) = 0
    assert expr("(9999999999999999999999999999999999999999/x)^(-(18446744073709551617))") == 0
    assert expr("(3/x)^2") == 9 / x**2


def test_complex_constants_are_kept_in_complex_field_models():
    model = parse_source("domain x = [0, 1], points = 8, periodic\n"
                         "field psi: complex = exp(I*x)\nder(psi) = I*sqrt(-1)*psi\n")
    assert model.fields[0].initial.has(sympy.I)


def _long_sum(n_terms: int, n_parameters: int) -> str:
    names = ", ".join(f"k{i} = {i + 1}" for i in range(n_parameters))
    terms = " - ".join(f"k{i % n_parameters}*x^{i % 5}" for i in range(n_terms))
    return f"parameter {names}\nstate x = 1\nder(x) = -x + 1e-9*({terms})\n"


def test_a_long_sum_is_built_once():
    # 1,000 terms: SymPy re-sorted the sum after each addition (quadratic); a chain
    # a + b - c ... is now one node. The suite's timeout guard catches a regression.
    model = parse_source(_long_sum(1000, 100))
    rhs = model.derivatives[0].expr
    values = {p.name: p.default for p in model.parameters}
    at_one = rhs.xreplace({s: values.get(s.name, 1) for s in rhs.free_symbols})
    want = -1 + 1e-9 * sum((1 if i == 0 else -1) * ((i % 100) + 1) for i in range(1000))
    assert abs(float(at_one) - want) < 1e-12


@pytest.mark.slow
def test_a_very_long_sum_checks():
    # parse and check (code generation of such a sum is the codegen's own cost)
    model = parse_source(_long_sum(5000, 1000), "long.model")
    assert len(model.parameters) == 1000


def test_parenthesised_and_nested_sums_keep_their_signs():
    assert sympy.expand(expr("a - (b - c) + x - (a + x)")) == sympy.expand(
        sympy.Symbol("c", real=True) - sympy.Symbol("b", real=True))


@pytest.mark.parametrize("line, what", [
    ("der(u) = I*u", "equation"),
    ("der(u) = 0*psi + exp(I*x)", "equation"),
])
def test_real_field_with_i_is_an_error(line, what):
    text = ("domain x = [0, 1], points = 8, periodic\nfield psi: complex = 0\nfield u = 1\n"
            f"der(psi) = I*psi\n{line}\n")
    diag = only_error(text)
    assert f"the {what} of real field `u` is complex" in diag.message and diag.span.line == 5
