"""Predicted cost of ``method="auto"``'s candidates: steps x work per step.

``auto`` (:mod:`.stiffness`) runs the candidate -- ``tsit5`` (explicit),
``rodas5`` (stiff, dense Jacobian and LU) or, with a split ``f = L y + N``,
``etdrk43`` (exponential in ``L``) -- whose predicted work is least:

* **work per evaluation** (:class:`Work`, in floating-point operations plus a
  fixed :data:`OVERHEAD` per evaluation for the loop and its dispatch), from
  XLA's cost analysis of the traced functions (:func:`measure_work`: abstract
  lowering, no compile, no run): ``f``, the Jacobian (the generated one, else
  ``jax.jacfwd``: about ``n`` evaluations of ``f``), ``N`` and ``L v`` of the
  split; the LU of a dense ``n x n`` matrix is ``2 n^3 / 3`` (LAPACK's count;
  the cost analysis does not see inside the custom call), a pair of
  triangular solves ``2 n^2``;
* **work per step** (:func:`step_work`): tsit5 6 evaluations of ``f`` (7
  stages, first same as last); rodas5 8 evaluations of ``f``, one Jacobian,
  one LU and 8 solves (its counters: ``nfe = 8``, ``njev = nlu = 1`` per
  step); etdrk43 4 evaluations of ``N`` and :data:`PHI_COMBINATIONS`
  phi-function combinations, whose work depends on the kind of ``L``
  (:func:`phi_work`): elementwise for a scalar or diagonal ``L`` (plus FFTs
  for a Fourier diagonal), a Pade ``expm`` of the augmented ``(n+3)`` matrix
  for a dense ``L``, and ``m`` applications of ``L`` plus an ``m``-dimensional
  Arnoldi process for a Krylov ``L`` (``m = 30``: several hundred times an
  explicit step on a 1-D grid);
* **steps** (:func:`predicted_costs`): the larger of the steps needed for
  accuracy, ``ACCURACY_SCALE (1/rtol)^(1/(p+1))`` for a method of order ``p``
  (1000 steps for a 5th-order method at rtol 1e-6) or fewer when the part the
  method does not integrate exactly is slow (``0.1 S (1/rtol)^(1/(p+1))``,
  ``S_N`` in place of ``S`` for etdrk43; at least 10), and those needed for
  stability: ``S / 3.3`` for tsit5 (``S = rho |t1 - t0|``, ``rho`` the largest
  spectral radius of ``df/dy`` along the probe), ``S_N / 2.8`` for etdrk43
  (``S_N`` from ``dN/dy``: ``L`` is integrated exactly), none for the
  L-stable rodas5.

The same weights turn a finished run's counters into its work
(:func:`counted_work`), which is how the tests compare ``auto`` with the best
candidate: counted evaluations weighted by their measured cost, not wall clock.
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .colouring import StencilJacobian
from .krylov import DENSE_LIMIT as PHI_DENSE_LIMIT
from .krylov import KRYLOV_DIM, KrylovOperator
from .phi import SplitKind

__all__ = ["Work", "measure_work", "heuristic_work", "step_work", "phi_work",
           "predicted_costs", "counted_work", "OVERHEAD", "ACCURACY_SCALE"]

OVERHEAD = 100.0
"""Fixed work of one evaluation (loop bookkeeping, kernel dispatch), in flops."""
ACCURACY_SCALE = 100.0
"""Accuracy-limited steps ``ACCURACY_SCALE (1/rtol)^(1/(p+1))`` of an order-``p`` method."""
ACCURACY_PER_INDEX = 0.1
"""Accuracy-limited steps per unit of stiffness index, per ``(1/rtol)^(1/(p+1))``:
a problem whose fastest rate ``rho`` is slow over the span needs few steps (the heat
equation's N = 0 for etdrk43: a handful)."""
MIN_STEPS = 10.0
STABILITY = {"tsit5": 3.3, "etdrk43": 2.8}
"""Real-axis stability intervals: explicit in ``f`` (tsit5) and in ``N`` (etdrk43)."""
ORDER = {"tsit5": 5, "rodas5": 5, "etdrk43": 4}
RODAS_STAGES = 8
PHI_COMBINATIONS = 5
"""phi-function combinations per etdrk43 step (stages, solution, error estimate)."""
PADE_MATMULS = 10
"""Matrix products of one scaled Pade ``expm`` (degree 13: 6, plus squarings)."""
FLOPS_PER_PHI_ENTRY = 30.0
"""Work of one entry of an elementwise ``phi_k`` (exp, divisions, a series near 0)."""


class Work(NamedTuple):
    """Work (flops + :data:`OVERHEAD`) of one evaluation of each part of a step.

    ``f``: the right-hand side; ``jac``: its dense Jacobian; ``lu``: one LU of
    ``n x n``; ``solve``: one pair of triangular solves; ``nonlinear``: ``N``
    of the split (``f`` without one); ``phi``: one phi-function combination of
    the split's ``L`` (inf without a split); ``n``: the number of states."""

    f: float
    jac: float
    lu: float
    solve: float
    nonlinear: float
    phi: float
    n: int


def _abstract(tree):
    return jax.tree_util.tree_map(
        lambda x: jax.ShapeDtypeStruct(jnp.shape(x), jnp.result_type(x)), tree)


def flops(fn: Callable, *args) -> float | None:
    """XLA's flop count of ``fn(*args)`` from its abstract lowering (no compile, no
    run; works on traced ``args``), or None where the analysis is unavailable."""
    try:
        analysis = jax.jit(fn).lower(*_abstract(args)).cost_analysis()
    except Exception:  # noqa: BLE001 -- a closure over tracers, an unsupported backend
        return None
    if isinstance(analysis, (list, tuple)):
        analysis = analysis[0] if analysis else None
    if not analysis:
        return None
    return float(analysis.get("flops", 0.0)) + float(analysis.get("transcendentals", 0.0))


def _dense_costs(n: int) -> tuple[float, float]:
    """``(lu, solve)`` work of a dense ``n x n`` system."""
    return 2.0 * n ** 3 / 3.0 + OVERHEAD, 2.0 * n ** 2 + OVERHEAD


def phi_work(kind, n: int, matvec: float, transform: bool) -> float:
    """Work of one phi-function combination of an ``L`` of ``kind`` on ``n`` states
    (``matvec``: the work of ``v -> L v``; ``transform``: a Fourier diagonal)."""
    if kind is None:
        return math.inf
    if kind == SplitKind.SCALAR:
        return 4.0 * FLOPS_PER_PHI_ENTRY + 4.0 * n + OVERHEAD
    if kind == SplitKind.DIAGONAL:
        fft = 10.0 * n * max(1.0, math.log2(max(n, 2))) if transform else 0.0
        return 4.0 * FLOPS_PER_PHI_ENTRY * n + fft + OVERHEAD
    if kind == SplitKind.MATRIX:
        return PADE_MATMULS * 2.0 * (n + 3) ** 3 + OVERHEAD
    m = KRYLOV_DIM
    return m * matvec + 4.0 * m * m * n + PADE_MATMULS * 2.0 * (m + 4) ** 3 + OVERHEAD


def heuristic_work(n: int, split=None) -> Work:
    """:class:`Work` without the functions (an ensemble's shared decision): ``f`` at 20
    flops per state, the Jacobian ``n`` evaluations of ``f``."""
    f = 20.0 * n + OVERHEAD
    lu, solve = _dense_costs(n)
    kind = None if split is None else split.kind
    if kind == SplitKind.OPERATOR and n <= PHI_DENSE_LIMIT:
        kind = SplitKind.MATRIX
    transform = split is not None and getattr(split, "transform", None) is not None
    return Work(f, n * f, lu, solve, f, phi_work(kind, n, f, transform), n)


def measure_work(rhs, jac, split, t0, y0, args) -> Work:
    """:class:`Work` of this problem from XLA's cost analysis (module docstring);
    missing counts fall back to :func:`heuristic_work`'s."""
    n = int(jnp.shape(y0)[0])
    guess = heuristic_work(n, split)
    f_flops = flops(rhs, t0, y0, args)
    f = guess.f if f_flops is None else f_flops + n + OVERHEAD
    # a grid model's stencil Jacobian is searched only by the stiff steppers that use it
    jac_flops = None if jac is None or isinstance(jac, StencilJacobian) else flops(jac, t0, y0, args)
    jac_work = n * f if jac_flops is None else jac_flops + n * n + OVERHEAD
    lu, solve = _dense_costs(n)
    if split is None:
        return Work(f, jac_work, lu, solve, f, math.inf, n)
    n_flops = flops(split.nonlinear, t0, y0, args)
    nonlinear = f if n_flops is None else n_flops + n + OVERHEAD
    kind, matvec = split.kind, f
    if kind == SplitKind.OPERATOR:
        if isinstance(split.linear(t0, args), KrylovOperator):
            l_flops = flops(lambda t, v, a: split.linear(t, a).matvec(v), t0, y0, args)
            matvec = f if l_flops is None else l_flops + n + OVERHEAD
        else:  # phi="dense" (or a small grid): the Pade expm of the dense matrix
            kind = SplitKind.MATRIX
    phi = phi_work(kind, n, matvec, getattr(split, "transform", None) is not None)
    return Work(f, jac_work, lu, solve, nonlinear, phi, n)


def step_work(name: str, work: Work) -> float:
    """Work of one step of candidate ``name`` (module docstring)."""
    if name == "tsit5":
        return 6.0 * work.f
    if name == "rodas5":
        return RODAS_STAGES * (work.f + work.solve) + work.jac + work.lu
    if name == "etdrk43":
        return 4.0 * work.nonlinear + PHI_COMBINATIONS * work.phi
    raise ValueError(f"no cost model for method {name!r}")


def accuracy_steps(name: str, rtol, index=math.inf):
    """Steps an order-``p`` method needs for accuracy alone (module docstring): at most
    ``ACCURACY_SCALE (1/rtol)^(1/(p+1))``, fewer when the index of the part the
    method integrates approximately is small (``ACCURACY_PER_INDEX index
    (1/rtol)^(1/(p+1))``, at least ``MIN_STEPS``); traceable."""
    resolution = (1.0 / rtol) ** (1.0 / (ORDER[name] + 1))
    by_index = jnp.fmax(MIN_STEPS, ACCURACY_PER_INDEX * index * resolution)
    return jnp.fmin(ACCURACY_SCALE * resolution, by_index)


def predicted_steps(name: str, index, index_n, rtol):
    """Predicted steps of ``name``: accuracy- or stability-limited (traceable)."""
    if name == "tsit5":
        return jnp.fmax(accuracy_steps(name, rtol, index), index / STABILITY["tsit5"])
    if name == "etdrk43":  # L is exact: only N limits accuracy and stability
        return jnp.fmax(accuracy_steps(name, rtol, index_n), index_n / STABILITY["etdrk43"])
    return accuracy_steps(name, rtol, index)


def predicted_costs(names, index, index_n, rtol, work: Work):
    """Predicted work of each candidate in ``names`` (a stacked array, traceable in the
    stiffness indices ``index = rho |t1 - t0|``, ``index_n = rho_N |t1 - t0|`` and ``rtol``)."""
    return jnp.stack([predicted_steps(name, index, index_n, rtol) * step_work(name, work)
                      for name in names])


def counted_work(name: str, stats: dict, work: Work) -> float:
    """The work a finished run of ``name`` did: its counters (``nfe``, ``njev``,
    ``nlu``, ``steps``) weighted by ``work`` (the measure the tests compare)."""
    nfe, steps = float(stats["nfe"]), float(stats["steps"])
    if name == "tsit5":
        return nfe * work.f
    if name == "rodas5":
        return (nfe * work.f + float(stats["njev"]) * work.jac + float(stats["nlu"]) * work.lu
                + RODAS_STAGES * steps * work.solve)
    if name == "etdrk43":
        return nfe * work.nonlinear + PHI_COMBINATIONS * steps * work.phi
    raise ValueError(f"no cost model for method {name!r}")


def describe(names, costs, steps) -> str:
    """``"tsit5 ~2.2e+03 steps, work 4e+07; ..."`` for the reason sentence."""
    return "; ".join(f"{name} ~{float(s):.3g} steps, work {float(c):.3g}"
                     for name, c, s in zip(names, np.asarray(costs), np.asarray(steps)))
