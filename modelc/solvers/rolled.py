"""Rolled stages: the stages of a Runge--Kutta or Rosenbrock step as a loop over the
tableau held as data, so the right-hand side appears once in the program.

The unrolled steppers (:mod:`.erk`, :mod:`.rosenbrock`) write every stage out in
Python with the coefficients as Python floats: XLA sees one fused expression per
stage and zero coefficients cost nothing, which is fastest for small systems, but
the program holds the rhs (and for Rosenbrock the triangular solve) once per
stage, so for a large rhs its size and compile time grow with the stage count.
Here the stages are a ``lax.fori_loop`` over the rows of ``a`` (and ``C``): the
stage derivatives live in an ``(s, n)`` array ``K`` and stage ``i`` reads
``a[i] @ K`` (zeros above the diagonal), so the loop body -- one rhs, one solve --
is the same for every stage and the program no longer grows with ``s``.

Which form runs is decided per trace from the size of the rhs's program
(:func:`use_rolled`: its jaxpr equations): rolled from :data:`ROLL_MIN_RHS_EQNS`
on, where the compile time saved outweighs the run-time cost of the generic
loop (measured with ``benchmarks/rolled_stages.py``: random networks of 8-64
species). The state dimension alone does not decide: a spectral field model
has a long state and a short rhs (KS at 128 points: 54 equations), and runs
about 5% slower rolled with no compile time saved. A stepper's ``roll`` field
(True/False) forces either form.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

__all__ = ["ROLL_MIN_RHS_EQNS", "use_rolled", "rhs_size", "explicit_stages", "rosenbrock_stages",
           "weighted"]

ROLL_MIN_RHS_EQNS = 400
"""Size of the rhs (top-level jaxpr equations) from which stages are rolled when a
stepper does not say (``roll=None``). ``benchmarks/rolled_stages.py``: a 16-species
network (297 equations) ran 1.1-1.3x slower rolled, a 32-species one (622) 0.9x,
with 0.3-0.7x the compile time from 16 species on."""


def rhs_size(rhs, t, y, args) -> int:
    """The number of top-level equations of ``rhs``'s jaxpr at ``(t, y, args)`` (one trace)."""
    return len(jax.make_jaxpr(rhs)(t, y, args).eqns)


def use_rolled(roll, rhs, t, y, args, iterative_solve: bool = False) -> bool:
    """Whether to roll the stages of a step: ``roll`` when a bool, else whether the rhs
    has at least :data:`ROLL_MIN_RHS_EQNS` equations or (stiff steppers) the stage's
    linear solve is iterative (``iterative_solve``: the Krylov solve of a sparse ``W``,
    :mod:`.sparse`, a ``while_loop`` of about 260 equations and 30 XLA fusions per copy,
    which an unrolled Rodas5 step holds 8 times). Static: decided at trace time."""
    if roll is not None:
        return bool(roll)
    if iterative_solve:
        return True
    try:
        return rhs_size(rhs, t, y, args) >= ROLL_MIN_RHS_EQNS
    except (TypeError, ValueError):  # args that do not abstract (not arrays): unrolled, as before
        return False


def _table(values, dtype):
    return jnp.asarray(np.asarray(values, dtype=np.float64), dtype=dtype)


def weighted(coeffs, K):
    """``sum_j coeffs[j] K[j]`` for a row of coefficients and the ``(s, n)`` stage array
    (a matrix-vector product; ``coeffs`` shorter than ``s`` is padded with zeros)."""
    row = np.zeros(K.shape[0])
    row[: len(coeffs)] = np.asarray(coeffs, dtype=np.float64)[: K.shape[0]]
    return jnp.tensordot(_table(row, K.dtype), K, axes=1)


def explicit_stages(rhs, t, y, dt, args, tableau, K, first: int):
    """Fill the rows ``first..s-1`` of the stage array ``K`` of an explicit RK step:
    ``K[i] = rhs(t + c_i dt, y + dt a[i] @ K)`` with ``tableau = (a, c)``. Rows before
    ``first`` are given (``K[0]`` the FSAL stage, or nothing when ``first == 0``).
    Returns ``K``."""
    A, C = (_table(m, y.dtype) for m in tableau)

    def stage(i, K):
        yi = lax.add(y, lax.mul(dt, jnp.tensordot(A[i], K, axes=1)))
        return K.at[i].set(rhs(t + C[i] * dt, yi, args).astype(K.dtype))

    return lax.fori_loop(first, K.shape[0], stage, K)


def rosenbrock_stages(rhs, t, y, dt, args, tab, solve, derivatives):
    """The stage array ``K`` (``(s, n)``) of a Rosenbrock step in the form of
    :mod:`.rosenbrock`: ``K[i] = W^-1 (f(t + c_i dt, y + a[i] @ K) + M C[i] @ K / dt +
    d_i dt df/dt)``, with ``derivatives = (f0, df/dt)`` or ``(f0, df/dt, mass_times)``
    at ``(t, y)`` (``f0`` is stage 0's rhs; ``mass_times(v) = M v`` for ``M y' = f``, the
    identity when not given) and ``solve(b) = W^-1 b``.

    Stage 0 runs in the loop too (its rhs is ``f0``, picked by a ``lax.cond`` on the
    stage index, so no further rhs is evaluated): the program holds one solve, not two --
    with the Krylov solve of a sparse ``W`` that is a fifth of the step's program."""
    f0, dfdt, *mass = derivatives
    mass_times = mass[0] if mass else (lambda v: v)
    s = tab.stages
    A, C, c, d = (_table(m, y.dtype) for m in (tab.a, tab.C, tab.c, tab.d))
    inv_dt = 1.0 / dt
    K = jnp.zeros((s,) + y.shape, y.dtype)

    def stage(i, K):
        yi = lax.add(y, jnp.tensordot(A[i], K, axes=1))
        fi = lax.cond(i == 0, lambda: f0.astype(K.dtype),
                      lambda: rhs(t + c[i] * dt, yi, args).astype(K.dtype))
        b = lax.add(fi, mass_times(lax.mul(inv_dt, jnp.tensordot(C[i], K, axes=1))))
        b = lax.add(b, lax.mul(d[i] * dt, dfdt))
        return K.at[i].set(solve(b))

    return lax.fori_loop(0, s, stage, K)
