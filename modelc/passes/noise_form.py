"""The diffusion-model form ``der(x) = a(t)*x + b(t)*g(x, t)`` for the DPM-Solver samplers.

Lets are inlined and each right-hand side distributed over sums (as in
`modelc.passes.split`). For state ``x_i``, ``a_i`` collects the terms
``c * x_i`` whose coefficient ``c`` is free of states and external calls;
the remaining terms ``g_i`` are factored (``factor_terms``) into a part free
of states and external calls, ``b_i``, times the rest. The model has the form
when every ``a_i`` is the same expression ``a`` (0 allowed), every ``b_i`` the
same nonzero expression ``b``, and ``a``, ``b`` use only ``t`` and parameters.
``b`` is rewritten with ``expm1`` where it has ``1 - exp(x)`` (its integral
from ``t = 0`` evaluates it near ``x = 0``). Then ``model.noise_form`` is
``NoiseForm(a, b, log_alpha)`` (``log_alpha = int_0^t a`` in closed form when
``a`` is a polynomial in ``t``, else None); otherwise None, and the DPM
methods refuse the model with a message that says why.

Array models (`modelc.ir.Model.has_arrays`) are flattened into one vector at
run time, so only a split ``L = a I`` can act on them: `scalar_split_only`
turns a diagonal split with one shared entry into kind ``"scalar"`` and drops
any other non-scalar split.
"""

from __future__ import annotations

import cmath
from dataclasses import replace

import sympy

from ..ir import TIME, Delay, Model, NoiseForm, SplitInfo, is_external_call, symbol
from .inline import inline_lets

__all__ = ["find_noise_form", "scalar_split_only"]


def find_noise_form(model: Model) -> Model:
    """``model`` with ``noise_form`` set (module docstring), or left None."""
    if not model.states or model.fields:
        return model
    flat = inline_lets(model)
    if any(d.expr.atoms(Delay) for d in flat.derivatives):  # delays: g would read the past
        return replace(model, noise_form=None)
    states = [symbol(name) for name in model.state_names]
    drifts, noises = [], []
    for i, der in enumerate(flat.derivatives):
        found = _drift_and_noise(der.expr, states, i)
        if found is None:
            return replace(model, noise_form=None)
        drifts.append(found[0])
        noises.append(found[1])
    a, b = drifts[0], noises[0]
    if not all(_equal(d, a) for d in drifts[1:]) or not all(_equal(n, b) for n in noises[1:]):
        return replace(model, noise_form=None)
    from sympy.codegen.rewriting import expm1_opt, optimize

    # b is integrated from t = 0, where a written `1 - exp(-x)` cancels: use expm1 there.
    b = optimize(b, [expm1_opt])
    return replace(model, noise_form=NoiseForm(drift=a, noise=b, log_alpha=_log_alpha(a)))


def _equal(x, y) -> bool:
    """``x == y`` as functions: the same tree, or a difference that `sympy.simplify`
    proves 0. A difference clearly nonzero at a sample point is not simplified (most
    models: it keeps `check` from loading simplify's machinery)."""
    difference = x - y
    if difference == 0:
        return True
    point = {s: sympy.Rational(7 + 3 * i, 11 + 2 * i)
             for i, s in enumerate(sorted(difference.free_symbols, key=str))}
    try:
        value = complex(difference.xreplace(point).evalf(30))
    except (TypeError, ValueError):  # not a number there (a call, a pole): undecided
        value = 0j
    if cmath.isfinite(value) and abs(value) > 1e-12:
        return False
    return sympy.simplify(difference) == 0


def _log_alpha(a):
    """``int_0^t a ds`` when ``a`` is a polynomial in ``t`` (exact, fast), else None
    (the sampler then integrates by quadrature at solve time)."""
    if not a.is_polynomial(TIME):
        return None
    return sympy.integrate(a, (TIME, 0, TIME))


def _drift_and_noise(expr, states, i):
    """``(a_i, b_i)`` of one right-hand side, or None when it is not of the form."""
    drift, rest = [], []   # summed once: a sum grown term by term is quadratic
    for term in sympy.Add.make_args(sympy.expand_mul(expr)):
        c, core = term.as_independent(states[i], as_Add=False)
        if core == states[i] and _free(c, states):
            drift.append(c)
        else:
            rest.append(term)
    drift = sympy.Add(*drift)
    noise_part = sympy.factor_terms(sympy.Add(*rest))
    if noise_part == 0:
        return None
    b, _ = noise_part.as_independent(*states, *_calls(noise_part), as_Add=False)
    if b == 0 or not _free(b, states):
        return None
    return drift, b




def _calls(expr):
    return [node for node in sympy.preorder_traversal(expr) if is_external_call(node)]


def _free(expr, states) -> bool:
    """True when ``expr`` uses no state and calls no external."""
    return not any(expr.has(s) for s in states) and not _calls(expr)


def scalar_split_only(model: Model) -> Model:
    """For array models: keep only a split ``L = a I`` (module docstring)."""
    info = model.split
    if not model.has_arrays or info is None or info.kind == "scalar":
        return model
    n = len(model.states)
    if info.kind == "diagonal" and len(info.entries) == n:
        values = [v for _, _, v in info.entries]
        if all(_equal(v, values[0]) for v in values[1:]):
            scalar = SplitInfo(kind="scalar", entries=((0, 0, values[0]),),
                               nonlinear=info.nonlinear, constant=info.constant)
            return replace(model, split=scalar)
    return replace(model, split=None)
