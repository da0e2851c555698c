"""Stiffness probe and ``method="auto"``: the candidate of least predicted work.

The decision is taken once, at the start, from the Jacobian's spectrum along
a short probe of the solution and the work of one evaluation of each part:

* probe points: ``y0`` and linearly implicit Euler steps (stable on stiff
  problems, one linear solve each) to ``t0 + f (t1 - t0)`` for
  ``f = 1e-8, 1e-7, ..., 1e-2`` -- stiff transients (a fast species filling
  up, as in Robertson's problem) usually start right after ``t0``, where the
  Jacobian at ``y0`` alone may look harmless;
* spectral radius ``rho`` of each Jacobian by Gelfand's formula
  ``||J^32||^(1/32)`` (5 rescaled squarings, no eigenvalue routine, so it runs
  inside ``jit`` on any backend; it overestimates by at most ``n^(1/32)``);
  with a semilinear split ``f = L y + N`` (``split=``) also ``rho_N``, the
  spectral radius of ``dN/dy = df/dy - L``;
* stiffness indices ``S = rho |t1 - t0|`` and ``S_N = rho_N |t1 - t0|``;
* predicted work of each candidate (:mod:`.cost`): steps (the larger of the
  accuracy-limited count of a method of its order at ``rtol`` and the
  stability-limited ``S / 3.3`` of tsit5 or ``S_N / 2.8`` of etdrk43; none for
  the L-stable rodas5) times the work of one step, from XLA's cost analysis of
  ``f``, its Jacobian, ``N`` and ``L v`` and the dense LU's ``2 n^3 / 3``.  The
  candidate of least predicted work runs (:func:`classify`).  So a stiff
  linear part on a 1-D grid, which etdrk43 integrates exactly but through a
  Krylov space of 30 applications of ``L`` per phi-function, does not win
  against tsit5 when tsit5's stability-limited steps are few (FitzHugh--Nagumo
  on 201 points: tsit5 in 961 steps, where etdrk43 took 3,009 steps at several
  hundred times the work each).

The candidates (:func:`candidates`): tsit5 always; rodas5 up to
``DENSE_LIMIT`` states (a dense Jacobian), or above it when no exponential
method applies; etdrk43 with a split, for a dense-matrix ``L`` only up to
``MATRIX_EXP_LIMIT`` states.  Above ``DENSE_LIMIT`` states no Jacobian is
formed: ``rho_L`` comes from the operator's data (``max |d|`` of a diagonal),
``rho_N`` from 20 power iterations with Jacobian-vector products of ``N``, and
the probe points are exponential-Euler steps (stable in ``L``); ``rho = rho_L +
rho_N`` bounds the full spectral radius.

``integrate(method="auto")`` (:func:`~modelc.solvers.integrate.integrate_auto`)
with concrete inputs calls :func:`choose_method` before tracing (up to
``EAGER_LIMIT`` states the probe runs eagerly, :func:`probe_eager`: no program
to compile) and runs the chosen method only (the choice and its reason go to the ``modelc.solvers``
logger).  Under ``jit`` (traced inputs) every candidate loop is compiled and
``lax.switch`` picks one at run time by the same predicted work (the work per
evaluation depends only on shapes, so it is known at trace time): compile time
is about the sum of the candidates' (and under ``vmap`` with a batched
decision, all run).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from . import cost
from .implicit import make_jacobian
from .methods import AutoStepper
from .phi import SplitKind, make_operator

PROBE_FRACTIONS = (1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2)
STABILITY_INTERVAL = cost.STABILITY["tsit5"]
DENSE_LIMIT = 2048
"""States above which ``auto`` forms no dense Jacobian (and never picks the stiff method)."""
MATRIX_EXP_LIMIT = 64
"""States up to which a dense-matrix ``L`` is worth an exponential method."""
POWER_ITERATIONS = 20
SQUARING_LIMIT = 64
"""Matrices up to this size get Gelfand's squarings; larger ones an Arnoldi process."""
ARNOLDI_DIM = 24


def spectral_radius(jacobian, squarings: int = 5):
    """Gelfand estimate ``||J^(2^k)||_inf^(1/2^k)`` with rescaling at each squaring."""
    a, log_rho = jacobian, jnp.zeros((), jacobian.dtype)
    tiny = jnp.finfo(jacobian.dtype).tiny
    for i in range(squarings + 1):
        s = jnp.maximum(jnp.max(jnp.sum(jnp.abs(a), axis=1)), tiny)
        log_rho = log_rho + jnp.log(s) * 2.0 ** -i
        a = a / s
        a = a @ a
    return jnp.exp(log_rho)


def matrix_radius(matrix):
    """Spectral radius of a dense matrix: :func:`spectral_radius` up to
    ``SQUARING_LIMIT`` rows, above it that of the Hessenberg matrix of an
    ``ARNOLDI_DIM``-step Arnoldi process (its Ritz values approximate the outer
    eigenvalues first; ``O(m n^2)`` instead of the squarings' ``O(n^3)``, which
    made the probe of a 402-state grid take seconds)."""
    n = matrix.shape[0]
    if n <= SQUARING_LIMIT:
        return spectral_radius(matrix)
    v0 = jax.random.normal(jax.random.PRNGKey(0), (n,), matrix.dtype)
    return spectral_radius(arnoldi_hessenberg(lambda v: matrix @ v, v0, ARNOLDI_DIM))


def arnoldi_hessenberg(apply, v0, m: int):
    """The ``m x m`` Hessenberg matrix of Arnoldi (modified Gram--Schmidt) on ``apply``
    from ``v0``; after a breakdown (an invariant subspace) the rest stays zero."""
    n = v0.shape[0]
    basis = jnp.zeros((m + 1, n), v0.dtype).at[0].set(v0 / jnp.linalg.norm(v0))
    tiny = jnp.finfo(v0.dtype).tiny

    def column(j, carry):
        basis, h = carry
        w = apply(basis[j])
        mask = (jnp.arange(m + 1) <= j).astype(v0.dtype)
        for _ in range(2):  # Gram--Schmidt twice: orthogonal to rounding
            coef = (basis @ w) * mask
            w = w - coef @ basis
            h = h.at[:, j].add(coef[:m])
        norm = jnp.linalg.norm(w)
        alive = norm > 1e-12 * jnp.maximum(jnp.max(jnp.abs(h[:, j])), tiny)
        h = h.at[j + 1, j].set(jnp.where(alive & (j + 1 < m), norm, 0.0), mode="drop")
        basis = basis.at[j + 1].set(jnp.where(alive, w / jnp.where(alive, norm, 1.0), 0.0))
        return basis, h

    _, h = lax.fori_loop(0, m, column, (basis, jnp.zeros((m, m), v0.dtype)))
    return h


def stiffness_index(rhs, jac, t0, t1, y0, args):
    """``(rho, S)``: largest spectral radius along the probe (module docstring)
    and the stiffness index ``S = rho |t1 - t0|``; traceable."""
    rho, _ = probe_spectra(rhs, jac, None, t0, t1, y0, args)
    return rho, rho * jnp.abs(jnp.asarray(t1, rho.dtype) - t0)


def probe_spectra(rhs, jac, split, t0, t1, y0, args):
    """``(rho, rho_N)``: the largest spectral radii of ``df/dy`` and of ``dN/dy``
    along the probe (``rho_N = inf`` without a split); traceable."""
    y = jnp.asarray(y0)
    dtype = y.dtype if jnp.issubdtype(y.dtype, jnp.floating) else jnp.result_type(float)
    y = y.astype(dtype)
    t0, t1 = jnp.asarray(t0, dtype), jnp.asarray(t1, dtype)
    if split is not None and y.shape[0] > DENSE_LIMIT:
        return _matrix_free_spectra(split, t0, t1, y, args, dtype)
    f = lambda t, y, a: jnp.asarray(rhs(t, y, a), dtype)  # noqa: E731
    jacf = make_jacobian(f, jac, dtype)
    eye = jnp.eye(y.shape[0], dtype=dtype)

    def measure(t, y, rho, rho_n):
        jm = jacf(t, y, args)
        rho = jnp.fmax(rho, matrix_radius(jm))  # fmax: a NaN probe point is ignored
        if split is not None:
            rho_n = jnp.fmax(rho_n, matrix_radius(jm - _dense_linear(split, t, args, eye)))
        return jm, rho, rho_n

    def probe_step(carry, frac):  # one linearly implicit Euler step to the next fraction
        t, y, rho, rho_n = carry
        jm, rho, rho_n = measure(t, y, rho, rho_n)
        t_next = t0 + frac * (t1 - t0)
        h = t_next - t
        y = y + h * jnp.linalg.solve(eye - h * jm, f(t, y, args))
        return (t_next, y, rho, rho_n), None

    rho_n = jnp.zeros((), dtype) if split is not None else jnp.asarray(jnp.inf, dtype)
    carry = (t0, y, jnp.zeros((), dtype), rho_n)
    # a scan, not an unrolled loop: one traced Jacobian, several times faster to compile
    (t, y, rho, rho_n), _ = lax.scan(probe_step, carry, jnp.asarray(PROBE_FRACTIONS, dtype))
    _, rho, rho_n = measure(t, y, rho, rho_n)
    return rho, rho_n


def _dense_linear(split, t, args, eye):
    """``L(t)`` as a dense real matrix (its columns ``L e_j``)."""
    op = make_operator(split.kind, split.linear(t, args), split.transform)
    return jnp.real(jax.vmap(op.matvec)(eye)).T.astype(eye.dtype)


def _matrix_free_spectra(split, t0, t1, y, args, dtype):
    """``(rho_L + rho_N, rho_N)`` without a Jacobian (module docstring)."""
    v0 = jax.random.normal(jax.random.PRNGKey(0), y.shape, dtype)
    t = t0
    rho_l = rho_n = jnp.zeros((), dtype)
    for frac in PROBE_FRACTIONS + (None,):
        n_at = lambda u, t=t: jnp.asarray(split.nonlinear(t, u, args), dtype)  # noqa: E731
        value = split.linear(t, args)
        rho_l = jnp.fmax(rho_l, _operator_radius(split.kind, value).astype(dtype))
        rho_n = jnp.fmax(rho_n, _power_radius(lambda v: jax.jvp(n_at, (y,), (v,))[1], v0))
        if frac is None:
            break
        t_next = t0 + frac * (t1 - t0)
        h = t_next - t
        op = make_operator(split.kind, value, split.transform)
        y = op.combine(h, [((1.0,), y), ((0.0, 1.0), h * n_at(y))])  # exponential Euler
        t = t_next
    return rho_l + rho_n, rho_n


def _operator_radius(kind, value):
    """Spectral radius of ``L`` from the split's data."""
    if kind == SplitKind.MATRIX:
        return spectral_radius(value)
    return jnp.max(jnp.abs(value))


def _power_radius(apply, v0, iterations: int = POWER_ITERATIONS):
    """Spectral radius of a linear map by power iteration: the geometric mean of
    the growth factors over the second half of the iterations (robust to a
    complex-conjugate dominant pair)."""
    def body(i, c):
        v, acc = c
        w = apply(v)
        norm = jnp.sqrt(jnp.sum(w * w))
        keep = i >= iterations // 2
        acc = acc + jnp.where(keep, jnp.log(jnp.maximum(norm, jnp.finfo(v.dtype).tiny)), 0.0)
        return w / jnp.where(norm > 0, norm, 1.0), acc

    v = v0 / jnp.sqrt(jnp.sum(v0 * v0))
    _, acc = lax.fori_loop(0, iterations, body, (v, jnp.zeros((), v0.dtype)))
    return jnp.exp(acc / (iterations - iterations // 2))


def stiff_threshold(rtol):
    """Stiffness index at which tsit5's stability-limited steps reach its
    accuracy-limited ones (:func:`~.cost.accuracy_steps`): above it an explicit
    method is bound by stability (the reason sentence quotes it)."""
    return STABILITY_INTERVAL * cost.ACCURACY_SCALE * (1.0 / rtol) ** (1.0 / (cost.ORDER["tsit5"] + 1))


def candidates(split, n: int) -> tuple[int, ...]:
    """The codes :func:`classify` may return for a problem of ``n`` states (static)."""
    exponential = _exponential_ok(split, n)
    stiff = n <= DENSE_LIMIT or not exponential
    return (0,) + ((1,) if stiff else ()) + ((2,) if exponential else ())


def _exponential_ok(split, n: int) -> bool:
    return split is not None and (split.kind != SplitKind.MATRIX or n <= MATRIX_EXP_LIMIT)


ROLES = ("tsit5", "rodas5", "etdrk43")
"""The cost model of each code (:mod:`.cost`): explicit, stiff implicit, exponential."""


def _indices(rho, rho_n, span):
    """Stiffness indices ``rho span``, ``rho_N span``; a NaN probe counts as infinitely stiff."""
    index, index_n = rho * span, rho_n * span
    return (jnp.where(jnp.isnan(index), jnp.inf, index),
            jnp.where(jnp.isnan(index_n), jnp.inf, index_n))


def predicted(rho, rho_n, span, rtol, split, n: int, work: cost.Work | None = None):
    """``(codes, costs, steps)``: the candidates' codes and their predicted work and
    steps (:mod:`.cost`); traceable in ``rho``, ``rho_n``, ``span``, ``rtol``."""
    work = work or cost.heuristic_work(n, split)
    codes = candidates(split, n)
    index, index_n = _indices(rho, rho_n, span)
    names = [ROLES[c] for c in codes]
    steps = jnp.stack([cost.predicted_steps(name, index, index_n, rtol) for name in names])
    return codes, cost.predicted_costs(names, index, index_n, rtol, work), steps


def classify(rho, rho_n, span, rtol, split, n: int, work: cost.Work | None = None):
    """0 (tsit5), 1 (rodas5) or 2 (etdrk43): the candidate of least predicted work
    (:func:`predicted`; ties go to the lower code); traceable in ``rho``, ``rho_n``,
    ``span``, ``rtol`` (arrays of them classify elementwise)."""
    codes, costs, _ = predicted(rho, rho_n, span, rtol, split, n, work)
    costs = jnp.where(jnp.isnan(costs), jnp.inf, costs)
    return jnp.asarray(codes)[jnp.argmin(costs, axis=0)]


_probe_jit = jax.jit(probe_spectra, static_argnums=(0, 1, 2))

EAGER_LIMIT = 64
"""Up to this many states :func:`choose_method` probes eagerly (:func:`probe_eager`)."""


def probe_eager(rhs, jac, split, t0, t1, y0, args):
    """:func:`probe_spectra` without compiling a program: the same probe points, with
    ``f``, its Jacobian and ``L`` evaluated op by op (JAX compiles each primitive once
    per process, not each model's probe) and the spectral radii and linear solves in
    NumPy (exact eigenvalues).  For small systems, where compiling the probe cost more
    than the solve it decides (about 1 s of CPU for Lorenz)."""
    y = jnp.asarray(y0)
    dtype = y.dtype if jnp.issubdtype(y.dtype, jnp.floating) else jnp.result_type(float)
    n = int(y.shape[0])
    f = lambda t, u, a: jnp.asarray(rhs(t, u, a), dtype)  # noqa: E731
    jacf = make_jacobian(f, jac, dtype)
    eye = np.eye(n)

    def at(t):
        return jnp.asarray(t, dtype)

    def radius(matrix):
        if not np.all(np.isfinite(matrix)):
            return math.nan
        return float(np.max(np.abs(np.linalg.eigvals(matrix)))) if n else 0.0

    y = np.asarray(y, dtype=float)
    t0, t1 = float(t0), float(t1)
    t, rho = t0, 0.0
    rho_n = 0.0 if split is not None else math.inf
    for frac in PROBE_FRACTIONS + (None,):
        jm = np.asarray(jacf(at(t), jnp.asarray(y, dtype), args), dtype=float)
        rho = np.fmax(rho, radius(jm))  # fmax: a NaN probe point is ignored
        if split is not None:
            linear = _dense_linear(split, at(t), args, jnp.eye(n, dtype=dtype))
            rho_n = np.fmax(rho_n, radius(jm - np.asarray(linear, dtype=float)))
        if frac is None:
            break
        t_next = t0 + frac * (t1 - t0)
        h = t_next - t
        slope = np.asarray(f(at(t), jnp.asarray(y, dtype), args), dtype=float)
        try:
            y = y + h * np.linalg.solve(eye - h * jm, slope)
        except (np.linalg.LinAlgError, ValueError):
            y = np.full_like(y, math.nan)
        t = t_next
    return float(rho), float(rho_n)


def choose_method(rhs, jac, span, y0, args, rtol, auto: AutoStepper | None = None,
                  split=None):
    """Choose the explicit, the stiff or (with ``split``) the exponential method
    for ``rhs`` on ``span = (t0, t1)`` from ``y0``: the one of least predicted work.

    Runs before ``jit`` on concrete values (``jac`` may be None: ``jax.jacfwd``
    is used).  Returns ``(name, reason)`` where ``reason`` states the measured
    spectral radii, the stiffness indices, and each candidate's predicted steps
    and work.
    """
    t0, t1 = span
    n = int(np.shape(y0)[0])
    probe = probe_eager if n <= EAGER_LIMIT else _probe_jit
    spectra = probe(rhs, jac, split, t0, t1, y0, args)
    work = cost.measure_work(rhs, jac, split, jnp.asarray(t0, jnp.result_type(y0)), y0, args)
    return choose_from_spectra(spectra, span, rtol, split, n, auto, work)


def choose_from_spectra(spectra, span, rtol, split, n: int, auto: AutoStepper | None = None,
                        work: cost.Work | None = None):
    """:func:`choose_method`'s ``(name, reason)`` from :func:`probe_spectra`'s concrete
    ``spectra = (rho, rho_n)`` on ``span = (t0, t1)`` for ``n`` states and the problem's
    measured ``work`` (`cost.measure_work`; None: `cost.heuristic_work`). A caller that
    computes the probe itself, e.g. from a stored executable, decides the same way."""
    auto = auto or AutoStepper()
    rho, rho_n = (float(v) for v in spectra)
    t0, t1 = span
    span = abs(float(t1) - float(t0))
    work = cost.heuristic_work(n, split) if work is None else work
    code = int(classify(rho, rho_n, span, float(rtol), split, n, work))
    name = auto.names[code]
    return name, _reason(code, name, rho, rho_n, span, float(rtol), split, work)


def choose_for_members(rho, rho_n, t0, t1, rtol, split, size, auto: AutoStepper | None = None):
    """One method for an ensemble from every member's probe (``rho``, ``rho_n``: arrays
    of :func:`probe_spectra`'s radii, one per member; ``size``: the number of states,
    or the problem's :class:`~.cost.Work`, else estimated by :func:`~.cost.heuristic_work`).

    Each member is classified as by :func:`choose_method`; the ensemble takes the
    most robust method any member needs -- the stiff implicit method if one member
    needs it, else the exponential one if one member is stiff in ``L``, else the
    explicit one -- so no member runs a method that is stability-bound or unstable
    on it.  Returns ``(name, reason)``; the reason counts the members of each kind
    and gives the full reason of the member that decided (the stiffest of its kind).
    """
    auto = auto or AutoStepper()
    work = size if isinstance(size, cost.Work) else cost.heuristic_work(int(size), split)
    n = work.n
    rho = np.asarray(rho, dtype=float).ravel()
    rho_n = np.broadcast_to(np.asarray(rho_n, dtype=float).ravel(), rho.shape)
    span = abs(float(t1) - float(t0))
    codes = np.asarray(classify(rho, rho_n, span, float(rtol), split, n, work)).ravel()
    code = 1 if (codes == 1).any() else 2 if (codes == 2).any() else 0
    name = auto.names[code]
    mine = np.flatnonzero(codes == code)
    member = int(mine[np.argmax(np.nan_to_num(rho[mine], nan=np.inf))])
    counts = ", ".join(f"{int((codes == c).sum())} {label}" for c, label in (
        (0, "non-stiff"), (2, "stiff in L only"), (1, "stiff")) if (codes == c).any())
    single = _reason(code, name, float(rho[member]), float(rho_n[member]), span,
                     float(rtol), split, work)
    return name, (f"ensemble of {rho.size} members, each probed ({counts}); one method for "
                  f"all, the most robust any member needs; deciding member {member}: {single}")


def _reason(code, name, rho, rho_n, span, rtol, split, work):
    """The sentence recorded in ``sol.stats["auto"]``."""
    n = work.n
    threshold = float(stiff_threshold(rtol))
    index = rho * span
    head = (f"spectral radius of df/dy up to {rho:.3g} over |t1 - t0| = {span:.3g}: "
            f"stiffness index {index:.3g} {'>' if index > threshold else '<='} {threshold:.3g} "
            f"(an explicit method needs at least {index / STABILITY_INTERVAL:.3g} steps "
            f"for stability alone at rtol {rtol:.3g})")
    if split is not None:
        head += (f"; the nonlinear part N alone has spectral radius {rho_n:.3g}, index "
                 f"{rho_n * span:.3g} (L, {split.kind}, is integrated exactly by etdrk43)")
    codes, costs, steps = predicted(rho, rho_n, span, rtol, split, n, work)
    table = cost.describe([ROLES[c] for c in codes], costs, steps)
    excluded = ""
    if 1 not in codes:
        excluded = f"; no dense Jacobian for {n} states (limit {DENSE_LIMIT})"
    elif split is not None and 2 not in codes:
        excluded = (f"; L is a dense {n} x {n} matrix (exponential methods only up to "
                    f"{MATRIX_EXP_LIMIT} states)")
    verdict = ("stiff" if code == 1 else "stiff in L only" if code == 2
               else "non-stiff" if index <= threshold else "mildly stiff")
    return (f"{verdict}: {head}; predicted {table} (work in flops from the cost analysis of "
            f"f, its Jacobian and the split){excluded}; least work: using {name}")
