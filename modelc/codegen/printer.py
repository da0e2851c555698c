"""SymPy -> JAX source printer.

A subclass of SymPy's own `JaxPrinter` (strict: an unsupported node fails
loudly, with `UnsupportedExpression`) that emits ``jnp.<fn>`` calls,
branch-free conditionals with ``jnp.where``, and cheap forms of common powers.
Symbols are printed through a name map so that generated code uses validated
Python identifiers only; numbers that are not finite in double precision are
printed as ``jnp.inf``/``jnp.nan``, never as a bare name.
"""

from __future__ import annotations

import math

import sympy
from sympy.printing.numpy import JaxPrinter as _SympyJaxPrinter

from ..errors import ModelcError

__all__ = ["JaxPrinter", "UnsupportedExpression"]

# Integers and rationals print exactly (``3.0``, ``8/3``) up to this many bits (about
# 1e300); beyond, as the double they round to (Python would overflow dividing them).
_EXACT_BITS = 996

# Sums of more terms than this print in `default_sort_key` order (see `_as_ordered_terms`).
_ORDERED_TERMS = 64


class UnsupportedExpression(ModelcError, ValueError):
    """An expression that has no JAX form (the printer cannot print it)."""


def number(value: float) -> str:
    """Python source for the double ``value``: ``repr`` when finite, else
    ``jnp.inf``, ``-jnp.inf`` or ``jnp.nan``."""
    if math.isnan(value):
        return "jnp.nan"
    if math.isinf(value):
        return "jnp.inf" if value > 0 else "-jnp.inf"
    return repr(value)


class JaxPrinter(_SympyJaxPrinter):
    """Print SymPy expressions as ``jax.numpy`` code using ``jnp`` as the module alias.

    Args:
        names: maps each SymPy symbol name to the Python identifier to print.
    """

    def __init__(self, names: dict[str, str]):
        super().__init__({"fully_qualified_modules": True, "strict": True, "inline": True})
        self._names = dict(names)

    def doprint(self, expr, assign_to=None):
        """The JAX source of ``expr``; `UnsupportedExpression` when it has none (any
        failure of SymPy's printing machinery, which raises several error types)."""
        try:
            return super().doprint(expr, assign_to)
        except UnsupportedExpression:
            raise
        except (NotImplementedError, ValueError) as error:
            raise UnsupportedExpression(f"modelc cannot generate JAX code for {expr}: {error}") from error

    def add_names(self, names: dict[str, str]) -> None:
        """Register more symbol names (e.g. temporaries) to print as given."""
        self._names.update(names)

    def _module_format(self, fqn, register=True):
        if fqn.startswith("jax.numpy."):
            return "jnp." + fqn[len("jax.numpy."):]
        return super()._module_format(fqn, register)

    def _print_not_supported(self, expr):
        raise UnsupportedExpression(f"modelc cannot generate JAX code for {type(expr).__name__}: {expr}")

    _print_Basic = _print_not_supported
    _print_ComplexInfinity = _print_not_supported

    def _print_Symbol(self, expr):
        try:
            return self._names[expr.name]
        except KeyError:
            raise UnsupportedExpression(f"symbol {expr.name!r} has no generated name") from None

    def _print_AppliedUndef(self, expr):
        """An external call: the function's validated local name applied to the arguments."""
        name = expr.func.__name__
        if name not in self._names:
            raise UnsupportedExpression(f"external {name!r} has no generated name")
        return f"{self._names[name]}({', '.join(self._print(a) for a in expr.args)})"

    def _print_Pow(self, expr, rational=False):
        base, exp = expr.as_base_exp()
        b = self.parenthesize(base, sympy.printing.precedence.PRECEDENCE["Pow"])
        if exp == -1:
            return f"(1/{b})"
        if exp.is_Integer:
            return f"{b}**{int(exp)}"
        if exp == sympy.Rational(1, 2):
            return f"jnp.sqrt({self._print(base)})"
        if exp == sympy.Rational(-1, 2):
            return f"(1/jnp.sqrt({self._print(base)}))"
        if exp.is_Rational:
            return f"{b}**({exp.p}/{exp.q})"
        return f"{b}**{self.parenthesize(exp, sympy.printing.precedence.PRECEDENCE['Pow'])}"

    def _print_Rational(self, expr):
        if max(abs(expr.p).bit_length(), expr.q.bit_length()) > _EXACT_BITS:
            return number(float(expr))
        return f"{expr.p}/{expr.q}"

    def _print_Half(self, expr):
        return "0.5"

    def _print_Integer(self, expr):
        if abs(expr.p).bit_length() > _EXACT_BITS:
            return number(float(expr))
        return f"{int(expr)}.0"

    def _print_Float(self, expr):
        return number(float(expr))

    def _print_Infinity(self, expr):
        return "jnp.inf"

    def _print_NegativeInfinity(self, expr):
        return "-jnp.inf"

    def _print_NaN(self, expr):
        return "jnp.nan"

    def _print_Piecewise(self, expr):
        *pairs, last = expr.args
        if last.cond != sympy.true:
            raise UnsupportedExpression("a conditional needs an 'otherwise' branch")
        out = self._print(last.expr)
        for value, cond in reversed(pairs):
            out = f"jnp.where({self._print(cond)}, {self._print(value)}, {out})"
        return out

    def _print_And(self, expr):
        return self._fold("jnp.logical_and", expr.args)

    def _print_Or(self, expr):
        return self._fold("jnp.logical_or", expr.args)

    def _print_Not(self, expr):
        return f"jnp.logical_not({self._print(expr.args[0])})"

    def _print_BooleanTrue(self, expr):
        return "True"

    def _print_BooleanFalse(self, expr):
        return "False"

    def _print_Min(self, expr):
        return self._fold("jnp.minimum", expr.args)

    def _print_Max(self, expr):
        return self._fold("jnp.maximum", expr.args)

    def _print_Heaviside(self, expr):
        x = self._print(expr.args[0])
        at_zero = self._print(expr.args[1]) if len(expr.args) > 1 else "0.5"
        return f"jnp.heaviside({x}, {at_zero})"

    def _print_sech(self, expr):
        return f"(1/jnp.cosh({self._print(expr.args[0])}))"

    def _print_csch(self, expr):
        return f"(1/jnp.sinh({self._print(expr.args[0])}))"

    def _print_coth(self, expr):
        return f"(1/jnp.tanh({self._print(expr.args[0])}))"

    def _print_exprel(self, expr):
        return f"runtime.exprel({self._print(expr.args[0])})"

    def _print_exprel_derivative(self, expr):
        order, x = expr.args
        return f"runtime.exprel({self._print(x)}, {int(order)})"

    def _print_ImaginaryUnit(self, expr):
        return "1j"

    def _print_Exp1(self, expr):
        return "jnp.e"

    def _print_Pi(self, expr):
        return "jnp.pi"

    def _as_ordered_terms(self, expr, order=None):
        """The terms of a sum in SymPy's printing order; for a sum of more than `_ORDERED_TERMS`
        terms, sorted by `sympy.default_sort_key` instead (SymPy's order builds each term's
        monomial over every symbol of the sum: O(terms x symbols), quadratic for a sum over
        thousands of parameters)."""
        if isinstance(expr, sympy.Add) and len(expr.args) > _ORDERED_TERMS:
            return sorted(expr.args, key=sympy.default_sort_key)
        return super()._as_ordered_terms(expr, order)

    def _fold(self, fn, args):
        out = self._print(args[0])
        for a in args[1:]:
            out = f"{fn}({out}, {self._print(a)})"
        return out
