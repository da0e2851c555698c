"""`modelc.printing.model_text`: what `show` prints parses back to the same expression."""

import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from frontend_helpers import expr
from modelc.printing import model_text
from passes.expression_strategies import expressions

a, b, c, x, t = (sympy.Symbol(n, real=True) for n in "abcxt")

WRITTEN = [
    "a^2*x - b/(c + x)^3",
    "-x^2 + 2^3^2",
    "x^(-2) + x^(1/3) + x^-0.5",
    "if(x < a and not b >= c, exp(-x), if(x == 1 or a != b, 0.25, 1e-7))",
    "abs(x) + ceil(a) + floor(b) + min(a, min(b, c)) + max(x, 1)",
    "heaviside(x - a)*sqrt(b) + 1/sqrt(c) + log10(x) + log(a)",
    "exprel(x) + expm1(a) + log1p(b) + hypot(a, b) + atan2(x, a)",
    "sech(x) + pi + exp(1)",
]


def round_trip(e):
    return expr(model_text(e))


def test_written_expressions_round_trip():
    for text in WRITTEN:
        e = expr(text)
        assert sympy.simplify(round_trip(e) - e) == 0, (text, model_text(e))


def test_language_syntax_not_sympys():
    e = expr("if(x < a, x^2, 0)")
    text = model_text(e)
    assert "Piecewise" not in text and "**" not in text and text.startswith("if(")
    assert model_text(expr("min(a, b)")) == "min(a, b)"


LEAVES = st.sampled_from([a, b, c, x, t, sympy.Integer(2), sympy.Rational(1, 3), sympy.Float(0.5)])


@settings(max_examples=60, deadline=None)
@given(expressions(LEAVES, [sympy.exp, sympy.sin, sympy.Abs, sympy.sqrt, sympy.log], max_leaves=8))
def test_random_expressions_round_trip(e):
    # SymPy folds e.g. sqrt(-log(3)) to I*sqrt(log(3)); `I` is refused in a real model
    assume(not e.has(sympy.I))
    back = round_trip(e)
    point = {a: 0.7, b: 1.3, c: 2.1, x: 0.4, t: 1.7}
    want, got = complex(e.evalf(30, subs=point)), complex(back.evalf(30, subs=point))
    assert abs(got - want) <= 1e-12 * max(1.0, abs(want)), (e, model_text(e), back)
