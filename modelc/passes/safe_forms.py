"""Numerically safe forms: removable singularities and cancellation rewritten away.

A pure pass ``Model -> Model`` after simplification. The rewrites change no
value in exact arithmetic; in floating point they remove a 0/0 or a
catastrophic cancellation (the rules Herbie and every numerics text teach):

* ``N/(exp(g) - 1)`` where ``N/g`` has no singularity where ``g = 0`` becomes
  ``(N/g)/exprel(g)`` (Hodgkin–Huxley's ``0.01*(V + 55)/(1 - exp(-(V + 55)/10))``
  is 0/0 at ``V = -55``; the rewritten rate is 0.1 there); likewise
  ``(exp(g) - 1)/D`` with ``D/g`` regular becomes ``exprel(g)/(D/g)``;
* ``exp(g) - 1`` becomes ``expm1(g)`` (and ``a*exp(g) - a`` becomes
  ``a*expm1(g)``);
* ``log(1 + g)`` becomes ``log1p(g)``;
* ``sqrt(a^2 + b^2)`` becomes ``hypot(a, b)`` (no overflow for large, no
  underflow for tiny ``a``, ``b``).

Each rewrite is recorded as ``"<equation>: <rule>"`` in ``model.safe_forms``,
which `modelc show --simplify` and ``cost_report()`` print.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import sympy
from sympy.codegen.cfunctions import expm1, hypot, log1p

from ..exprwalk import contains
from ..ir import Model
from ..special import exprel

__all__ = ["safe_form", "safe_forms", "safe_model"]


def safe_model(model: Model) -> Model:
    """``model`` with its lets, derivatives, observables and hoisted constants in safe
    forms, and the rewrites made listed in ``model.safe_forms``. Field and array
    models are returned unchanged."""
    if model.fields or model.has_arrays:
        return model
    notes: list[str] = []
    exprs = [le.expr for le in model.lets] + [d.expr for d in model.derivatives] + [
        o.expr for o in model.observes] + [e for _, e in model.constants]
    if not contains(exprs, _may_rewrite):   # one cheap walk: most networks have nothing to rewrite
        return replace(model, safe_forms=())

    def rewrite(label, expr):
        out, used = safe_forms(expr)
        notes.extend(f"{label}: {rule}" + (f" (x{n})" if n > 1 else "") for rule, n in used.items())
        return out

    return replace(
        model,
        lets=tuple(replace(le, expr=rewrite(le.name, le.expr)) for le in model.lets),
        derivatives=tuple(replace(d, expr=rewrite(f"der({d.state})", d.expr))
                          for d in model.derivatives),
        observes=tuple(replace(o, expr=rewrite(o.name, o.expr)) for o in model.observes),
        constants=tuple((name, rewrite(name, e)) for name, e in model.constants),
        safe_forms=tuple(notes),
    )


_RULES = {
    exprel: "N/(exp(g) - 1) -> exprel(g)",
    expm1: "exp(g) - 1 -> expm1(g)",
    log1p: "log(1 + g) -> log1p(g)",
    hypot: "sqrt(a^2 + b^2) -> hypot(a, b)",
}


def _may_rewrite(node) -> bool:
    """Whether a rule could apply at or below ``node``: every rule needs an ``exp``, an
    ``expm1``, a ``log`` or a square root."""
    return isinstance(node, (sympy.exp, expm1, sympy.log)) or (
        isinstance(node, sympy.Pow) and node.exp == sympy.S.Half)


def safe_form(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` in numerically safe form (`safe_forms` without counting the rewrites:
    two fewer walks of the expression, for the rates of a large network)."""
    return _visit(expr, {})


def safe_forms(expr: sympy.Expr) -> tuple[sympy.Expr, Counter]:
    """``expr`` in numerically safe form, and how often each rule was used (counted as
    the safe functions the result has beyond those ``expr`` had)."""
    out = safe_form(expr)
    before, after = _count(expr), _count(out)
    return out, Counter({_RULES[f]: after[f] - before[f] for f in _RULES if after[f] > before[f]})


def _count(expr) -> Counter:
    return Counter(type(node) for node in sympy.preorder_traversal(expr) if type(node) in _RULES)


def _visit(expr, memo):
    if expr in memo:
        return memo[expr]
    if not expr.args or isinstance(expr, (sympy.Symbol, sympy.Number)):
        out = expr
    else:
        args = tuple(_visit(a, memo) for a in expr.args)
        out = expr.func(*args) if args != expr.args else expr
        out = _rewrite(out)
    memo[expr] = out
    return out


def _rewrite(expr):
    if isinstance(expr, sympy.Add):
        return _expm1_in_sum(expr)
    if isinstance(expr, sympy.log) and isinstance(expr.args[0], sympy.Add):
        return _log1p(expr)
    if isinstance(expr, sympy.Pow) and expr.exp == sympy.S.Half:
        return _hypot(expr)
    if isinstance(expr, sympy.Mul):
        return _exprel(expr)
    return expr


def _expm1_in_sum(expr):
    """``a*exp(g) + ... - a`` -> ``a*expm1(g) + ...`` (one pair per exponential)."""
    terms = list(expr.args)
    changed = False
    for i, term in enumerate(terms):
        coeff, rest = term.as_coeff_Mul()
        if not isinstance(rest, sympy.exp):
            continue
        for j, other in enumerate(terms):
            if j != i and other.is_Number and other == -coeff:
                terms[i] = coeff * expm1(rest.args[0])
                terms[j] = sympy.S.Zero
                changed = True
                break
    return sympy.Add(*terms) if changed else expr


def _log1p(expr):
    """``log(1 + g)`` -> ``log1p(g)``."""
    arg = expr.args[0]
    const, rest = arg.as_coeff_Add()
    if const != 1:
        return expr
    return log1p(rest)


def _hypot(expr):
    """``sqrt(a^2 + b^2)`` -> ``hypot(a, b)``."""
    arg = expr.base
    if not (isinstance(arg, sympy.Add) and len(arg.args) == 2):
        return expr
    roots = [_square_root_of(t) for t in arg.args]
    if any(r is None for r in roots):
        return expr
    return hypot(*roots)


def _square_root_of(term):
    """``a`` when ``term`` is ``a^2`` (or a positive number times one), else None."""
    coeff, rest = term.as_coeff_Mul()
    if not (coeff.is_positive and isinstance(rest, sympy.Pow) and rest.exp == 2):
        return None
    return sympy.sqrt(coeff) * rest.base if coeff != 1 else rest.base


def _exprel(expr):
    """``N/(exp(g) - 1)`` -> ``(N/g)/exprel(g)`` and ``expm1(g)/D`` -> ``exprel(g)/(D/g)``
    when the ratio to ``g`` stays regular where ``g = 0``."""
    factors = list(sympy.Mul.make_args(expr))
    for i, f in enumerate(factors):
        if isinstance(f, sympy.Pow) and f.exp == -1:
            scale, g = _expm1_parts(f.base)
            if g is None:
                continue
            numer = sympy.Mul(*(factors[:i] + factors[i + 1:]))
            ratio = _regular_ratio(numer, g)
            if ratio is not None:
                return ratio / (scale * exprel(g))
        scale, g = _expm1_parts(f)
        if g is None:
            continue
        rest = sympy.Mul(*(factors[:i] + factors[i + 1:]))
        numer, denom = sympy.fraction(rest)
        if denom == 1:
            continue
        ratio = _regular_ratio(g, denom)
        if ratio is not None:
            return scale * exprel(g) * ratio * numer
    return expr


def _expm1_parts(expr):
    """``(a, g)`` when ``expr`` is ``a*expm1(g)`` or ``a*(exp(g) - 1)`` with a number ``a``,
    else ``(None, None)``."""
    coeff, rest = expr.as_coeff_Mul()
    if isinstance(rest, expm1):
        return coeff, rest.args[0]
    if isinstance(expr, sympy.Add) and len(expr.args) == 2:
        const, term = expr.as_coeff_Add()
        a, e = term.as_coeff_Mul()
        if isinstance(e, sympy.exp) and const == -a and const != 0:
            return a, e.args[0]
    return None, None


def _regular_ratio(numer, denom):
    """``numer/denom`` cancelled, when its denominator shares no symbol with ``denom``
    (so it stays finite where ``denom`` vanishes), else None."""
    # decimals as exact fractions, so that 0.01*V + 0.55 over -V/10 - 11/2 cancels to -1/10
    ratio = sympy.cancel(sympy.nsimplify(numer / denom, rational=True))
    _, bottom = sympy.fraction(sympy.together(ratio))
    if bottom.free_symbols & denom.free_symbols:
        return None
    return ratio
