"""The cost model: a weighted operation count of the emitted JAX code.

Weights are nanoseconds per element of one ``jax.numpy`` operation on a
batch of float64 values, measured on this kind of machine by
``benchmarks/op_costs.py`` (which prints this table) and divided by the cost
of an addition, so ``add`` is 1. The e-graph needs integer costs: it uses the
weights times `SCALE`. `weighted_cost` prices SymPy expressions the way
`modelc.codegen.printer.JaxPrinter` prints them (``a - b`` is one
subtraction, ``a/b`` one division, ``x**2`` one multiplication).
"""

from __future__ import annotations

import sympy

__all__ = ["WEIGHTS", "SCALE", "egg_cost", "weighted_cost", "emitted_cost", "integer_power_cost"]

# Relative to one addition; measured by `python benchmarks/op_costs.py --n 65536 --k 64`
# on the project's CPU machine (XLA CPU, float64, fused loops; see docs/benchmarks.md),
# normalised by the mean of add and mul and rounded. Additions and multiplications
# are nearly free next to transcendental functions and real powers.
WEIGHTS: dict[str, float] = {
    "add": 1.0,
    "mul": 1.0,
    "neg": 0.1,
    "div": 15.0,
    "pow_int": 3.0,     # x**n for larger n (repeated squaring); x**2 is one mul, x**3 two
    "pow": 700.0,       # x**y for real y
    "sqrt": 14.0,
    "exp": 75.0,
    "log": 250.0,
    "sin": 500.0,
    "cos": 550.0,
    "tan": 600.0,
    "sinh": 400.0,
    "cosh": 200.0,
    "tanh": 70.0,
    "abs": 0.5,
    "function": 300.0,  # any other function
    "where": 0.7,       # a branch-free conditional (jnp.where) or comparison
}

SCALE = 10


def egg_cost(op: str) -> int:
    """The integer cost of ``op`` in the e-graph (`WEIGHTS` times `SCALE`)."""
    return max(1, round(WEIGHTS[op] * SCALE))


def integer_power_cost(n: int) -> float:
    """Weighted cost of ``x**n`` for an integer ``n >= 2`` (JAX multiplies for small ``n``)."""
    if n == 2:
        return WEIGHTS["mul"]
    if n in (3, 4):
        return 2 * WEIGHTS["mul"]
    return WEIGHTS["pow_int"]


_FUNCTION_WEIGHTS = {
    sympy.exp: "exp", sympy.log: "log", sympy.sin: "sin", sympy.cos: "cos", sympy.tan: "tan",
    sympy.sinh: "sinh", sympy.cosh: "cosh", sympy.tanh: "tanh", sympy.Abs: "abs",
}


def weighted_cost(expr: sympy.Basic) -> float:
    """The weighted operation count of ``expr`` as the JAX printer emits it (no sharing)."""
    if isinstance(expr, sympy.Add):
        return WEIGHTS["add"] * (len(expr.args) - 1) + sum(_term_cost(a) for a in expr.args)
    if isinstance(expr, sympy.Mul):
        return _mul_cost(expr)
    if isinstance(expr, sympy.Pow):
        return _pow_cost(expr)
    if not expr.args or isinstance(expr, sympy.Number):
        return 0.0
    own = _own_cost(expr)
    return own + sum(weighted_cost(a) for a in expr.args if isinstance(a, sympy.Basic))


def _own_cost(expr) -> float:
    if isinstance(expr, (sympy.Piecewise, sympy.logic.boolalg.Boolean)):
        return WEIGHTS["where"]
    if isinstance(expr, sympy.Function):
        return WEIGHTS[_FUNCTION_WEIGHTS.get(expr.func, "function")]
    return 0.0


def _term_cost(term) -> float:
    """A summand: ``-x`` is printed as a subtraction, so its negation is free."""
    coeff, rest = term.as_coeff_Mul()
    if coeff == -1:
        return weighted_cost(rest)
    return weighted_cost(term)


def _mul_cost(expr: sympy.Mul) -> float:
    coeff, rest = expr.as_coeff_Mul()
    numer, denom = [], []
    for f in sympy.Mul.make_args(rest):
        if isinstance(f, sympy.Pow) and f.exp.is_Number and f.exp < 0:
            denom.append(sympy.Pow(f.base, -f.exp))
        else:
            numer.append(f)
    if coeff not in (1, -1):
        numer.append(coeff)
    cost = WEIGHTS["neg"] if coeff == -1 else 0.0
    cost += WEIGHTS["mul"] * max(len(numer) - 1, 0) + sum(weighted_cost(f) for f in numer)
    if denom:
        cost += WEIGHTS["div"] + WEIGHTS["mul"] * (len(denom) - 1)
        cost += sum(weighted_cost(f) for f in denom)
    return cost


def _pow_cost(expr: sympy.Pow) -> float:
    base, exp = expr.args
    inner = weighted_cost(base)
    if exp.is_Integer:
        n = int(exp)
        if n < 0:
            return inner + WEIGHTS["div"] + (integer_power_cost(-n) if n < -1 else 0.0)
        return inner + (integer_power_cost(n) if n >= 2 else 0.0)
    if exp == sympy.S.Half:
        return inner + WEIGHTS["sqrt"]
    if exp == -sympy.S.Half:
        return inner + WEIGHTS["sqrt"] + WEIGHTS["div"]
    return inner + WEIGHTS["pow"] + weighted_cost(exp)


def emitted_cost(exprs: list[sympy.Expr]) -> tuple[float, int]:
    """``(weighted cost, operation count)`` of ``exprs`` after common-subexpression elimination,
    as code generation emits them (the count is SymPy's ``count_ops``)."""
    replacements, reduced = sympy.cse(list(exprs), order="none")
    parts = [value for _, value in replacements] + list(reduced)
    return (sum(weighted_cost(p) for p in parts), sum(sympy.count_ops(p) for p in parts))
