"""SymPy expressions printed in the model language (what `modelc show` prints).

The inverse of the parser for expressions: ``^`` for powers, ``if(c, a, b)``
for conditionals, ``and``/``or``/``not``, and the language's function names
(``abs``, ``ceil``, ``heaviside``, ``min``, ``max``, ``diff``, ...), so that what
`show` prints can be pasted back into a model file.
"""

from __future__ import annotations

import sympy
from sympy.printing.precedence import PRECEDENCE, precedence
from sympy.printing.str import StrPrinter

__all__ = ["model_text"]

# SymPy class name -> the language's function name, where they differ.
_RENAMED = {"Abs": "abs", "ceiling": "ceil", "Min": "min", "Max": "max", "Heaviside": "heaviside"}
_OPERATORS = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


class ModelTextPrinter(StrPrinter):
    """A `StrPrinter` whose output parses as a model-language expression."""

    def _print_Pow(self, expr, rational=False):
        base, exp = expr.as_base_exp()
        if exp == sympy.S.Half:
            return f"sqrt({self._print(base)})"
        if exp == -1:
            return f"1/{self.parenthesize(base, PRECEDENCE['Mul'], strict=True)}"
        if exp == -sympy.S.Half:
            return f"1/sqrt({self._print(base)})"
        left = self.parenthesize(base, PRECEDENCE["Pow"], strict=True)
        right = self.parenthesize(exp, PRECEDENCE["Pow"], strict=True)
        if exp.is_Number and exp.is_negative or exp.is_Rational and not exp.is_Integer:
            right = f"({self._print(exp)})"
        return f"{left}^{right}"

    def _print_Float(self, expr):
        return repr(float(expr))

    def _print_Rational(self, expr):
        return f"{expr.p}/{expr.q}"

    def _print_Exp1(self, expr):
        return "exp(1)"

    def _print_ImaginaryUnit(self, expr):
        return "I"

    def _print_Piecewise(self, expr):
        *pairs, last = expr.args
        out = self._print(last.expr) if last.cond == sympy.true else "nan"
        if last.cond != sympy.true:
            pairs.append(last)
        for value, cond in reversed(pairs):
            out = f"if({self._print(cond)}, {self._print(value)}, {out})"
        return out

    def _print_Relational(self, expr):
        op = _OPERATORS[expr.rel_op]
        level = precedence(expr)
        return (f"{self.parenthesize(expr.lhs, level, strict=True)} {op} "
                f"{self.parenthesize(expr.rhs, level, strict=True)}")

    def _print_And(self, expr):
        return " and ".join(self.parenthesize(a, precedence(expr), strict=True) for a in expr.args)

    def _print_Or(self, expr):
        return " or ".join(self.parenthesize(a, precedence(expr), strict=True) for a in expr.args)

    def _print_Not(self, expr):
        return f"not {self.parenthesize(expr.args[0], precedence(expr), strict=True)}"

    def _print_BooleanTrue(self, expr):
        return "1 == 1"

    def _print_BooleanFalse(self, expr):
        return "1 == 0"

    def _print_Heaviside(self, expr):
        return f"heaviside({self._print(expr.args[0])})"

    def _print_MinMax(self, expr):
        name = _RENAMED[type(expr).__name__]
        out = self._print(expr.args[-1])
        for arg in reversed(expr.args[:-1]):
            out = f"{name}({self._print(arg)}, {out})"
        return out

    _print_Min = _print_MinMax
    _print_Max = _print_MinMax

    def _print_log(self, expr):
        if len(expr.args) == 2 and expr.args[1] == 10:
            return f"log10({self._print(expr.args[0])})"
        return f"log({self._print(expr.args[0])})"

    def _print_Diff(self, expr):
        body, axis, order = expr.args
        tail = f", {order}" if order != 1 else ""
        return f"diff({self._print(body)}, {self._print(axis)}{tail})"

    def _print_Laplacian(self, expr):
        return f"laplacian({self._print(expr.args[0])})"

    def _print_DomainIntegral(self, expr):
        return f"integral({self._print(expr.args[0])})"

    def _print_Function(self, expr):
        name = _RENAMED.get(type(expr).__name__, type(expr).__name__)
        return f"{name}({', '.join(self._print(a) for a in expr.args)})"


_PRINTER = ModelTextPrinter()


def model_text(expr) -> str:
    """``expr`` written in the model language (it parses back to an equal expression)."""
    return _PRINTER.doprint(expr)

