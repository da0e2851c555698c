"""MathML -> modelc expression text, node by node (modelc.io.sbml_math)."""

from __future__ import annotations

import math
import random

import pytest
import sympy
from sbml_helpers import formula, libsbml

from modelc.frontend.parser import parse_source
from modelc.io.sbml_math import MathTranslator, Refused, format_number, to_text


def text_of(source: str, functions=None) -> str:
    tree = MathTranslator(functions or {}).translate(formula(source))
    return to_text(tree, lambda ident: ident)


def mathml(body: str) -> str:
    ast = libsbml.readMathMLFromString(
        f'<math xmlns="http://www.w3.org/1998/Math/MathML">{body}</math>')
    assert ast is not None
    return to_text(MathTranslator({}).translate(ast), lambda ident: ident)


@pytest.mark.parametrize("source, expected", [
    ("a + b + c", "a + b + c"),
    ("a - (b + c)", "a - (b + c)"),
    ("a - b - c", "a - b - c"),
    ("-a^2", "-a^2"),
    ("(-a)^2", "(-a)^2"),
    ("a^b^c", "a^b^c"),
    ("(a^b)^c", "(a^b)^c"),
    ("a/(b*c)", "a/(b*c)"),
    ("a/b*c", "a/b*c"),
    ("a*(b/c)", "a*(b/c)"),
    ("a + -b", "a - b"),
    ("pow(a, 2)", "a^2"),
    ("sqrt(a)", "sqrt(a)"),
    ("root(3, a)", "a^(1/3)"),
    ("root(2, a)", "sqrt(a)"),
    ("exp(a)", "exp(a)"),
    ("ln(a)", "log(a)"),
    ("log(a)", "log10(a)"),
    ("log10(a)", "log10(a)"),
    ("log(2, a)", "log(a)/log(2)"),
    ("abs(a)", "abs(a)"),
    ("floor(a) + ceil(a)", "floor(a) + ceil(a)"),
    ("sin(a)*cos(a)*tan(a)", "sin(a)*cos(a)*tan(a)"),
    ("asin(a) + acos(a) + atan(a)", "asin(a) + acos(a) + atan(a)"),
    ("sinh(a) + cosh(a) + tanh(a)", "sinh(a) + cosh(a) + tanh(a)"),
    ("arcsinh(a) + arccosh(a) + arctanh(a)", "asinh(a) + acosh(a) + atanh(a)"),
    ("sec(a)", "1/cos(a)"),
    ("csc(a)", "1/sin(a)"),
    ("cot(a)", "1/tan(a)"),
    ("sech(a) + csch(a) + coth(a)", "sech(a) + csch(a) + coth(a)"),
    ("arcsec(a)", "acos(1/a)"),
    ("arccot(a)", "atan(1/a)"),
    ("arccoth(a)", "atanh(1/a)"),
    ("factorial(5)", "120"),
    ("pi", "pi"),
    ("exponentiale", "exp(1)"),
    ("time", "t"),
    ("piecewise(a, b < c, d)", "if(b < c, a, d)"),
    ("piecewise(a, b < c)", "if(b < c, a, 0/0)"),
    ("piecewise(1, a < 1, 2, a < 2, 3)", "if(a < 1, 1, if(a < 2, 2, 3))"),
    ("piecewise(a, true, b)", "a"),
    ("piecewise(a, false, b)", "b"),
    ("piecewise(a, b < c && c >= d || !(a == b), 0)", "if(b < c and c >= d or not a == b, a, 0)"),
    ("piecewise(a, xor(b < c, c < d), 0)",
     "if(b < c and not c < d or not b < c and c < d, a, 0)"),
    ("piecewise(a, b != c, 0)", "if(b != c, a, 0)"),
    ("piecewise(a, b, 0)", "if(b != 0, a, 0)"),
    ("max(a, b, c) + min(a, b)", "max(max(a, b), c) + min(a, b)"),
    ("0.1 + 2.0 + 1e-5 + 3e300", "0.1 + 2 + 1e-05 + 3e+300"),
    ("-2.5*a", "-2.5*a"),
    ("INF - a", "10^400 - a"),            # no infinity literal: overflows to inf
    ("-INF", "-10^400"),
    ("delay(a, 1) + delay(a*b, c)", "delay(a, 1) + delay(a*b, c)"),
    ("rateOf(a)", "der(a)"),              # resolved by the importer (0 for a constant)
    ("avogadro", "6.02214179e+23"),
    ("quotient(a, b)", "if(a/b >= 0, floor(a/b), ceil(a/b))"),
    ("rem(a, b)", "a - b*if(a/b >= 0, floor(a/b), ceil(a/b))"),
    ("implies(a < b, c < d) + 1", "if(not a < b or c < d, 1, 0) + 1"),   # a boolean as a number
])
def test_translation(source, expected):
    assert text_of(source) == expected


def test_mathml_specific_nodes():
    assert mathml("<apply><lt/><ci>a</ci><ci>b</ci><ci>c</ci></apply>".join(
        ["<piecewise><piece><cn>1</cn>", "</piece><otherwise><cn>0</cn></otherwise></piecewise>"]
    )) == "if(a < b and b < c, 1, 0)"
    assert mathml("<cn type='rational'> 1 <sep/> 3 </cn>") == "1/3"
    assert mathml("<cn type='e-notation'> 1.5 <sep/> -7 </cn>") == "1.5e-07"
    assert mathml("<apply><minus/><cn>3</cn></apply>") == "-3"
    assert mathml("<apply><plus/></apply>") == "0"
    assert mathml("<apply><times/></apply>") == "1"
    assert mathml("<notanumber/>") == "0/0"


def test_function_definitions_are_inlined():
    functions = {"f": formula("lambda(x, y, x*y + 1)"), "g": formula("lambda(x, f(x, x)^2)")}
    assert text_of("f(a + b, 2)", functions) == "(a + b)*2 + 1"
    assert text_of("g(c)", functions) == "(c*c + 1)^2"


@pytest.mark.parametrize("source, words", [
    ("factorial(a)", "factorial"),
    ("h(a)", "'h'"),
])
def test_refused_math(source, words):
    with pytest.raises(Refused, match=words):
        text_of(source)


def test_delay_csymbol_is_the_language_delay():
    assert text_of("delay(a + b, 2*c)") == "delay(a + b, 2*c)"


def test_recursive_function_refused():
    with pytest.raises(Refused, match="itself"):
        text_of("f(a)", {"f": formula("lambda(x, f(x))")})


def test_format_number_is_repr_exact():
    for value in (0.1, 1 / 3, 6.02214076e23, 1e-300, 123456789.123456789, 2.0, 1e15):
        assert float(format_number(value)) == value


# ---- printed text parses back to the same value (precedence property) ----

_LEAVES = ["a", "b", "c", "2", "0.5"]
_OPS = ["+", "-", "*", "/", "^", "neg", "fn", "pw"]


def _random_formula(rng: random.Random, depth: int) -> str:
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(_LEAVES)
    op = rng.choice(_OPS)
    a, b = _random_formula(rng, depth - 1), _random_formula(rng, depth - 1)
    if op == "neg":
        return f"-({a})"
    if op == "fn":
        return f"{rng.choice(['exp', 'sin', 'abs'])}(({a})/10)"
    if op == "pw":
        return f"piecewise({a}, ({b}) > 1, {_random_formula(rng, depth - 1)})"
    if op == "^":
        return f"abs({a})^(({b})/7)"
    return f"({a}) {op} ({b})"


def _evaluate(ast, env: dict) -> float:
    """A reference evaluator of the libsbml AST nodes that `_random_formula` makes."""
    L = libsbml
    kind = ast.getType()
    args = [_evaluate(ast.getChild(i), env) for i in range(ast.getNumChildren())]
    if kind == L.AST_NAME:
        return env[ast.getName()]
    if kind in (L.AST_INTEGER, L.AST_REAL, L.AST_REAL_E):
        return ast.getValue()
    if kind == L.AST_PLUS:
        return sum(args)
    if kind == L.AST_TIMES:
        return math.prod(args)
    if kind == L.AST_MINUS:
        return -args[0] if len(args) == 1 else args[0] - args[1]
    if kind == L.AST_DIVIDE:
        return args[0] / args[1]
    if kind in (L.AST_POWER, L.AST_FUNCTION_POWER):
        return args[0] ** args[1]
    if kind == L.AST_RELATIONAL_GT:
        return args[0] > args[1]
    if kind == L.AST_FUNCTION_PIECEWISE:
        return args[0] if args[1] else args[2]
    functions = {L.AST_FUNCTION_EXP: math.exp, L.AST_FUNCTION_SIN: math.sin,
                 L.AST_FUNCTION_ABS: abs}
    return functions[kind](*args)


@pytest.mark.parametrize("seed", range(40))
def test_printed_text_means_the_same(seed):
    rng = random.Random(seed)
    source = _random_formula(rng, 4)
    text = text_of(source)
    model = parse_source(f"parameter a = 1.3, b = 0.7, c = 2.9\nlet z = {text}\n", "m.model")
    expr = model.lets[0].expr
    values = {sympy.Symbol(n, real=True): v for n, v in (("a", 1.3), ("b", 0.7), ("c", 2.9))}
    got = complex(expr.subs({s: v for s, v in values.items()}).evalf())
    try:
        want = _evaluate(formula(source), {"a": 1.3, "b": 0.7, "c": 2.9})
    except ZeroDivisionError:
        pytest.skip("division by zero in the random formula")
    assert got.imag == 0
    assert got.real == pytest.approx(want, rel=1e-9, abs=1e-12)
