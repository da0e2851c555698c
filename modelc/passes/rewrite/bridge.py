"""SymPy <-> e-graph terms.

`to_term` translates SymPy expressions into `Term`s (sharing identical
subexpressions); `to_sympy` translates extracted terms back. Subexpressions
the rule set does not model — conditionals, ``min``/``max``, ``atan2``,
constants such as ``pi`` — become opaque variables that stand for the whole
subexpression and come back unchanged.
"""

from __future__ import annotations

from fractions import Fraction

import sympy
from egglog import BigRat, get_callable_args, get_callable_fn, get_literal_value

from .constants import big_rat
from .terms import UNARY, Term

__all__ = ["Bridge"]

# Larger integer exponents enter as a general power (ipow takes a 64-bit exponent,
# and the fold rules would multiply a constant out that many times).
_MAX_IPOW = 64
_OPAQUE = "\N{DOUBLE VERTICAL LINE}"  # never part of a user identifier


class Bridge:
    """Translates between SymPy and `Term`, remembering the opaque subexpressions and symbols."""

    def __init__(self):
        self._terms: dict[sympy.Basic, Term] = {}
        self._names: dict[str, sympy.Basic] = {}
        self._back = {
            Term.__add__: lambda a, b: a + b,
            Term.__mul__: _mul,
            Term.__truediv__: _div,
            Term.__neg__: lambda a: -a,
            Term.__pow__: sympy.Pow,
            Term.sqrt: sympy.sqrt,
        }
        for sympy_name, method in UNARY.items():
            self._back[getattr(Term, method)] = getattr(sympy, sympy_name)

    # -- SymPy -> Term ------------------------------------------------------------
    def to_term(self, expr: sympy.Basic) -> Term:
        """The `Term` of ``expr``."""
        if expr not in self._terms:
            self._terms[expr] = self._translate(expr)
        return self._terms[expr]

    def _translate(self, expr) -> Term:
        if isinstance(expr, sympy.Symbol):
            return self._var(expr.name, expr)
        if isinstance(expr, (sympy.Integer, sympy.Rational)):
            return Term.rat(big_rat(int(expr.p), int(expr.q)))
        if isinstance(expr, sympy.Float):
            value = float(expr)
            if value.is_integer() and abs(value) < 2**31:   # 2.0 is exactly the integer 2
                return Term.rat(BigRat(int(value), 1))
            return Term.flt(value)
        if isinstance(expr, sympy.Add):
            return _fold(Term.__add__, [self._summand(a) for a in _ordered(expr.args)])
        if isinstance(expr, sympy.Mul):
            return self._product(expr)
        if isinstance(expr, sympy.Pow):
            return self._power(expr.base, expr.exp)
        if isinstance(expr, sympy.Function) and type(expr).__name__ in UNARY and len(expr.args) == 1:
            return getattr(self.to_term(expr.args[0]), UNARY[type(expr).__name__])()
        return self._var(f"{_OPAQUE}{len(self._names)}", expr)

    def _var(self, name: str, expr) -> Term:
        self._names[name] = expr
        return Term.var(name)

    def _summand(self, term) -> Term:
        coeff, rest = term.as_coeff_Mul()
        if coeff.is_negative and rest != 1:
            return -self.to_term(-term)
        return self.to_term(term)

    def _product(self, expr) -> Term:
        coeff, rest = expr.as_coeff_Mul()
        if coeff == -1:
            return -self.to_term(rest)
        numer, denom = [], []
        for f in _ordered(sympy.Mul.make_args(expr)):
            if isinstance(f, sympy.Pow) and f.exp.is_Number and f.exp.is_negative:
                denom.append(self.to_term(sympy.Pow(f.base, -f.exp)))
            else:
                numer.append(self.to_term(f))
        top = _fold(Term.__mul__, numer) if numer else Term.rat(BigRat(1, 1))
        return top / _fold(Term.__mul__, denom) if denom else top

    def _power(self, base, exp) -> Term:
        if isinstance(exp, sympy.Float) and (2 * float(exp)).is_integer() and abs(exp) < 64:
            # x**2.0 (common in SBML) is x**2, and x**0.5 is sqrt(x), to within an ulp
            exp = sympy.Rational(int(2 * float(exp)), 2)
            if exp == 1:
                return self.to_term(base)
            if exp == 0:
                return Term.rat(BigRat(1, 1))
        b = self.to_term(base)
        if exp.is_Rational and not exp.is_Integer and exp.q == 2 and exp > 1:
            return b.ipow(int(exp - sympy.S.Half)) * b.sqrt() if exp > 2 else b * b.sqrt()
        if exp.is_Integer and abs(int(exp)) > _MAX_IPOW:
            return b ** self.to_term(exp)   # x**(10**30): no integer power of that size
        if exp.is_Integer and int(exp) >= 2:
            return b.ipow(int(exp))
        if exp.is_Integer and int(exp) < 0:
            return Term.rat(BigRat(1, 1)) / self._power(base, -exp)
        if exp == sympy.S.Half:
            return b.sqrt()
        if exp == -sympy.S.Half:
            return Term.rat(BigRat(1, 1)) / b.sqrt()
        return b ** self.to_term(exp)

    # -- Term -> SymPy ------------------------------------------------------------
    def to_sympy(self, term: Term) -> sympy.Expr:
        """The SymPy expression of an extracted ``term``."""
        memo: dict = {}
        return self._back_to(term, memo)

    def _back_to(self, term, memo):
        key = term.__egg_typed_expr__
        if key in memo:
            return memo[key]
        fn = get_callable_fn(term)
        args = get_callable_args(term)
        if fn == Term.var:
            out = self._names[get_literal_value(args[0])]
        elif fn == Term.rat:
            value = _fraction(args[0])
            out = sympy.Rational(value.numerator, value.denominator)
        elif fn == Term.flt:
            out = sympy.Float(get_literal_value(args[0]))
        elif fn == Term.ipow:
            out = sympy.Pow(self._back_to(args[0], memo), int(get_literal_value(args[1])))
        elif fn == Term.__add__:
            # A chain of n binary sums is built as one n-term Add: adding one term at a time
            # re-sorts the growing sum each time (quadratic; 2,000 terms took minutes) and
            # recurses once per term.
            out = sympy.Add(*(self._back_to(a, memo) for a in _summands(term)))
        else:
            out = self._back[fn](*(self._back_to(a, memo) for a in args))
        memo[key] = out
        return out


def _summands(term) -> list:
    """The operands of a tree of binary ``+`` rooted at ``term``, left to right (iterative:
    a chain of thousands of terms would exceed Python's recursion limit)."""
    out, stack = [], [term]
    while stack:
        node = stack.pop()
        if get_callable_fn(node) == Term.__add__:
            stack.extend(reversed(get_callable_args(node)))
        else:
            out.append(node)
    return out


def _fraction(value) -> Fraction:
    return value.value if not isinstance(value, Fraction) else value


def _mul(a, b):
    """A product that keeps a factored sum factored (SymPy would distribute ``2*(x + y)``)."""
    if (a.is_Number and isinstance(b, sympy.Add)) or (b.is_Number and isinstance(a, sympy.Add)):
        return sympy.Mul(a, b, evaluate=False)
    return a * b


def _div(a, b):
    return _mul(a, sympy.Pow(b, -1))


# Sums and products of up to this many operands enter as a left-to-right chain; longer ones
# as a balanced tree, whose depth grows as log n: egglog hashes a term's whole subtree when it
# converts it, so a chain of n terms cost O(n^2) there (and its pop), and recursed n deep.
_CHAIN = 16


def _fold(op, items):
    """``items`` joined by the binary ``op`` (a chain when short, else a balanced tree)."""
    if len(items) > _CHAIN:
        half = len(items) // 2
        return op(_fold(op, items[:half]), _fold(op, items[half:]))
    out = items[0]
    for item in items[1:]:
        out = op(out, item)
    return out


def _ordered(args):
    return sorted(args, key=sympy.default_sort_key)
