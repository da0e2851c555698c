"""Semilinear splitting ``f(t, u) = L(t) u + N(t, u)`` for exponential integrators.

Lets are inlined and each right-hand side is distributed over sums
(``expand_mul``: products over sums only, powers are left alone).  A term is
*linear* when it is ``c * x`` for one state ``x`` with a coefficient ``c`` free
of states: structurally linear, so ``x**p`` with a parameter ``p`` whose
default is 1 stays nonlinear.  Coefficients may use parameters (``L`` is
built at run time from the parameter vector) and ``t``.  Then, in order:

1. coefficients free of ``t`` on the diagonal only: kind ``"diagonal"``;
2. coefficients free of ``t`` off the diagonal too: kind ``"matrix"``;
3. if some coefficient uses ``t`` and every diagonal coefficient is the same
   nonzero expression ``a(t)`` (as in a diffusion-model ODE ``der(x) =
   a(t)*x + ...``): kind ``"scalar"``, ``L = a(t) I``; every other linear term
   joins ``N``; otherwise the ``t``-dependent terms join ``N`` and 1./2. apply.

``N`` is the sum of the remaining terms, so ``L u + N == f`` exactly.  With
``mode="diagonal"`` off-diagonal coefficients go to ``N`` (cheaper phi
functions); ``mode="none"`` records no split.  The result is stored in
``model.split`` (:class:`~modelc.ir.SplitInfo`, or None when there is no
linear term).

Field models: on an all-periodic spectral grid (every field's
``discretization.linear`` operator has a Fourier ``symbol``) and without
scalar ODE states, the split is kind ``"fourier"`` with no entries: ``L`` is
the per-field Fourier diagonal already in ``discretization.linear`` and ``N``
is ``discretization.nonlinear_rhs`` (code generation emits the transform pair).  Every
other field model with a linear part (``discretization.linear_rhs``: finite
differences with any boundaries, or scalar states beside the fields) gets a
matrix-free split: kind ``"banded"`` when every axis uses finite differences
(``bandwidth``: the stencil's half-bandwidth in the flat state), else
``"operator"``.  ``L`` applies each field's linear constant-coefficient part
with *homogeneous* boundary values (Dirichlet and Neumann data set to 0), so
it is linear and constant; scalar states get zero rows; ``N = rhs - L u``
holds the rest, including the affine (possibly ``t``- and
parameter-dependent) boundary contributions, so the split is exact by
construction.  A coefficient that depends on a field (nonlinear diffusion,
chemotaxis fluxes) never enters ``L``.
"""

from __future__ import annotations

from dataclasses import replace

import sympy

from math import prod

from .. import spatial
from ..ir import TIME, Delay, Model, SplitInfo, symbol
from .inline import inline_lets

__all__ = ["split_semilinear", "SPLIT_MODES"]

SPLIT_MODES = ("auto", "diagonal", "none")


def split_semilinear(model: Model, mode: str = "auto") -> Model:
    """``model`` with ``split`` set to its semilinear structure (module docstring)."""
    if mode not in SPLIT_MODES:
        raise ValueError(f"split mode {mode!r}; choose one of {', '.join(SPLIT_MODES)}")
    if mode == "none":
        return replace(model, split=None)
    if model.fields:
        return replace(model, split=_fourier(model) or _matrix_free(model))
    if not model.states or model.constraints:  # a DAE (constraints kept): no split methods run it
        return replace(model, split=None)
    flat = inline_lets(model)
    if any(d.expr.atoms(Delay) for d in flat.derivatives):  # delays: exponential steppers do not run them
        return replace(model, split=None)
    states = [symbol(name) for name in model.state_names]
    parts: dict = {}   # (i, j) -> the coefficients found, summed once (a sum grown term
    rests = []         # by term is re-sorted each time: quadratic in long equations)
    for i, der in enumerate(flat.derivatives):
        rest = []
        for term in sympy.Add.make_args(sympy.expand_mul(der.expr)):
            found = _linear_term(term, states)
            if found is None:
                rest.append(term)
            else:
                j, c = found
                parts.setdefault((i, j), []).append(c)
        rests.append(rest)
    coeffs = {key: sympy.Add(*cs) for key, cs in parts.items()}
    info = _choose(coeffs, rests, states, mode)
    return replace(model, split=info)


def _fourier(model: Model) -> SplitInfo | None:
    """The ``"fourier"`` split of a field model, or None where it does not apply (module docstring)."""
    disc = model.discretization
    if disc is None or model.states or not disc.linear:
        return None
    if any(op.symbol is None for op in disc.linear):
        return None
    return SplitInfo(kind="fourier", entries=(), nonlinear=(), constant=True)


def _matrix_free(model: Model) -> SplitInfo | None:
    """The ``"banded"``/``"operator"`` split of a field model (module docstring), or None."""
    disc = model.discretization
    if disc is None or not disc.linear_rhs:
        return None
    if any(d.method == "spectral" for d in model.domains):
        return SplitInfo(kind="operator", entries=(), nonlinear=(), constant=True)
    axes = [d.name for d in model.domains]
    shape = [d.points for d in model.domains]
    pads = {name: (axis, ghosts) for name, _, axis, ghosts in disc.pads}
    reach = {}  # axis -> ghosts used by the stencils of L
    for _, expr in disc.linear_rhs:
        for node in expr.atoms(spatial.StencilDiff, spatial.Upwind, spatial.FluxDiv):
            for pad in node.free_symbols:
                if pad.name in pads:
                    axis, ghosts = pads[pad.name]
                    reach[axis] = max(reach.get(axis, 0), ghosts)
    bandwidth = max((g * prod(shape[axes.index(a) + 1:]) for a, g in reach.items()), default=0)
    periodic = any(d.periodic and d.name in reach for d in model.domains)
    return SplitInfo(kind="banded", entries=(), nonlinear=(), constant=True,
                     bandwidth=bandwidth, periodic=periodic)


def _linear_term(term, states):
    """``(j, c)`` if ``term == c * states[j]`` with ``c`` free of states, else None."""
    used = [j for j, s in enumerate(states) if term.has(s)]
    if len(used) != 1:
        return None
    j = used[0]
    c, rest = term.as_independent(states[j], as_Add=False)
    if rest != states[j] or any(c.has(s) for s in states):
        return None
    return j, c


def _choose(coeffs, rests, states, mode) -> SplitInfo | None:
    """Pick the kind and move what ``L`` cannot hold into ``N`` (module docstring)."""
    n = len(states)
    coeffs = {k: c for k, c in coeffs.items() if c != 0}
    timed = {k for k, c in coeffs.items() if c.has(TIME)}
    if timed:
        diag = [coeffs.get((i, i), sympy.Integer(0)) for i in range(n)]
        a = diag[0]
        if a != 0 and a.has(TIME) and all(sympy.simplify(d - a) == 0 for d in diag[1:]):
            for (i, j), c in coeffs.items():
                if i != j:
                    rests[i].append(c * states[j])
            return _info("scalar", ((0, 0, a),), rests, constant=False)
        for (i, j) in timed:
            rests[i].append(coeffs.pop((i, j)) * states[j])
    if mode == "diagonal":
        for (i, j) in [k for k in coeffs if k[0] != k[1]]:
            rests[i].append(coeffs.pop((i, j)) * states[j])
    if not coeffs:
        return None
    kind = "diagonal" if all(i == j for i, j in coeffs) else "matrix"
    entries = tuple((i, j, coeffs[(i, j)]) for i, j in sorted(coeffs))
    return _info(kind, entries, rests, constant=True)


def _info(kind, entries, rests, constant) -> SplitInfo:
    nonlinear = tuple(sympy.Add(*rest) for rest in rests)
    return SplitInfo(kind=kind, entries=entries, nonlinear=nonlinear, constant=constant)
