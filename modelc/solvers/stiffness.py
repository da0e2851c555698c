"""Stiffness detection and ``method="auto"``.

The decision is taken once, at the start, from the Jacobian's spectrum along
a short probe of the solution:

* probe points: ``y0`` and linearly implicit Euler steps (stable on stiff
  problems, one linear solve each) to ``t0 + f (t1 - t0)`` for
  ``f = 1e-8, 1e-7, ..., 1e-2`` -- stiff transients (a fast species filling
  up, as in Robertson's problem) usually start right after ``t0``, where the
  Jacobian at ``y0`` alone may look harmless;
* spectral radius ``rho`` of each Jacobian by Gelfand's formula
  ``||J^32||^(1/32)`` (5 rescaled squarings, no eigenvalue routine, so it runs
  inside ``jit`` on any backend; it overestimates by at most ``n^(1/32)``);
* stiffness index ``S = max rho * |t1 - t0|``.  An explicit method of
  stability interval about 3.3 (tsit5) needs at least ``S / 3.3`` steps for
  stability alone; the problem is called stiff when that exceeds a budget of
  ``1000 (1e-6 / rtol)^(1/5)`` steps (what tsit5 would plausibly spend for
  accuracy; the budget grows like a 5th order method's step count).

With a semilinear split ``f = L y + N`` (``split=``) the same probe also
measures ``rho_N``, the spectral radius of ``dN/dy = df/dy - L``, and an
exponential method becomes a third choice (:func:`classify`):

* ``S > threshold`` but ``S_N = rho_N |t1 - t0| <= threshold``: the
  stiffness is all in ``L``, which an exponential method integrates exactly,
  and its explicit treatment of ``N`` is not stability-limited: the adaptive
  exponential method (etdrk43; for a dense matrix ``L`` only up to
  ``MATRIX_EXP_LIMIT`` states, where its matrix exponentials stay cheap).
  With a diagonal, Fourier or scalar ``L`` an exponential step costs about as
  much as an explicit one, so etdrk43 is chosen already for ``S >
  CHEAP_EXP_FRACTION threshold`` when ``L`` dominates (``rho >= L_DOMINANCE
  rho_N``): the explicit method would be stability-limited well before;
* ``S <= threshold`` otherwise: non-stiff, the explicit method (tsit5);
* otherwise ``N`` itself is stiff: the stiff implicit method (rodas5), unless
  the state is too large for a dense Jacobian (``DENSE_LIMIT``), where the
  exponential method is the one that can run.

Above ``DENSE_LIMIT`` states no Jacobian is formed: ``rho_L`` comes from the
operator's data (``max |d|`` of a diagonal), ``rho_N`` from 20 power
iterations with Jacobian-vector products of ``N``, and the probe points are
exponential-Euler steps (stable in ``L``); ``rho = rho_L + rho_N`` bounds
the full spectral radius.

``integrate(method="auto")`` (:func:`~modelc.solvers.integrate.integrate_auto`)
with concrete inputs calls :func:`choose_method`
before tracing and runs the chosen method only (the choice and its reason go
to the ``modelc.solvers`` logger).  Under ``jit`` (traced inputs) both loops
are compiled and ``lax.switch`` picks one at run time: compile time is about the
sum of the candidates' (and under ``vmap`` with a batched decision, all run).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .implicit import make_jacobian
from .methods import AutoStepper
from .phi import SplitKind, make_operator

PROBE_FRACTIONS = (1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2)
STABILITY_INTERVAL = 3.3
STEP_BUDGET = 1000.0
DENSE_LIMIT = 2048
"""States above which ``auto`` forms no dense Jacobian (and never picks the stiff method)."""
MATRIX_EXP_LIMIT = 64
"""States up to which a dense-matrix ``L`` is worth an exponential method."""
POWER_ITERATIONS = 20
CHEAP_EXP_FRACTION = 0.1
"""With a diagonal, Fourier or scalar ``L`` an exponential step costs about an
explicit one: it is chosen already above this fraction of the stiffness
threshold (a stability-bound explicit run of over ~100 steps) ..."""
L_DOMINANCE = 4.0
"""... when ``L`` carries the stiffness: ``rho >= L_DOMINANCE rho_N``, so the
exponential method's steps may be several times the explicit stability limit."""


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
        rho = jnp.fmax(rho, spectral_radius(jm))  # fmax: a NaN probe point is ignored
        if split is not None:
            rho_n = jnp.fmax(rho_n, spectral_radius(jm - _dense_linear(split, t, args, eye)))
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
    """Stiffness index above which the stiff method is chosen."""
    return STABILITY_INTERVAL * STEP_BUDGET * (1e-6 / rtol) ** 0.2


def candidates(split, n: int) -> tuple[int, ...]:
    """The codes :func:`classify` may return for a problem of ``n`` states (static)."""
    exponential = _exponential_ok(split, n)
    stiff = n <= DENSE_LIMIT or not exponential
    return (0,) + ((1,) if stiff else ()) + ((2,) if exponential else ())


def _exponential_ok(split, n: int) -> bool:
    return split is not None and (split.kind != SplitKind.MATRIX or n <= MATRIX_EXP_LIMIT)


def classify(rho, rho_n, span, rtol, split, n: int):
    """0 (non-stiff), 1 (stiff implicit) or 2 (exponential) from the probe's
    spectral radii (module docstring); traceable in ``rho``, ``rho_n``, ``span``, ``rtol``."""
    threshold = stiff_threshold(rtol)
    codes = candidates(split, n)
    stiff_code = 1 if 1 in codes else 2
    index, index_n = rho * span, rho_n * span
    code = jnp.where(index <= threshold, 0, stiff_code)
    if 2 in codes:
        mild_n = index_n <= threshold
        exponential = mild_n & (index > threshold)
        if split.kind != SplitKind.MATRIX:  # an exponential step costs about an explicit one
            exponential |= (mild_n & (index > CHEAP_EXP_FRACTION * threshold)
                            & (L_DOMINANCE * rho_n <= rho))
        code = jnp.where(exponential, 2, code)
    return code


_probe_jit = jax.jit(probe_spectra, static_argnums=(0, 1, 2))


def choose_method(rhs, jac, span, y0, args, rtol, auto: AutoStepper | None = None,
                  split=None):
    """Choose the explicit, the stiff or (with ``split``) the exponential method
    for ``rhs`` on ``span = (t0, t1)`` from ``y0``.

    Runs before ``jit`` on concrete values (``jac`` may be None: ``jax.jacfwd``
    is used).  Returns ``(name, reason)`` where ``reason`` states the measured
    spectral radii, the stiffness indices and the threshold they were compared to.
    """
    t0, t1 = span
    spectra = _probe_jit(rhs, jac, split, t0, t1, y0, args)
    return choose_from_spectra(spectra, span, rtol, split, int(np.shape(y0)[0]), auto)


def choose_from_spectra(spectra, span, rtol, split, n: int, auto: AutoStepper | None = None):
    """:func:`choose_method`'s ``(name, reason)`` from :func:`probe_spectra`'s concrete
    ``spectra = (rho, rho_n)`` on ``span = (t0, t1)`` for ``n`` states (a caller that
    computes the probe itself, e.g. from a stored executable, decides the same way)."""
    auto = auto or AutoStepper()
    rho, rho_n = (float(v) for v in spectra)
    t0, t1 = span
    span = abs(float(t1) - float(t0))
    code = int(classify(rho, rho_n, span, float(rtol), split, n))
    name = auto.names[code]
    return name, _reason(code, name, rho, rho_n, span, float(rtol), split, n)


def choose_for_members(rho, rho_n, t0, t1, rtol, split, n: int,
                       auto: AutoStepper | None = None):
    """One method for an ensemble from every member's probe (``rho``, ``rho_n``: arrays
    of :func:`probe_spectra`'s radii, one per member).

    Each member is classified as by :func:`choose_method`; the ensemble takes the
    most robust method any member needs -- the stiff implicit method if one member
    needs it, else the exponential one if one member is stiff in ``L``, else the
    explicit one -- so no member runs a method that is stability-bound or unstable
    on it.  Returns ``(name, reason)``; the reason counts the members of each kind
    and gives the full reason of the member that decided (the stiffest of its kind).
    """
    auto = auto or AutoStepper()
    rho = np.asarray(rho, dtype=float).ravel()
    rho_n = np.broadcast_to(np.asarray(rho_n, dtype=float).ravel(), rho.shape)
    span = abs(float(t1) - float(t0))
    codes = np.asarray(classify(rho, rho_n, span, float(rtol), split, n)).ravel()
    code = 1 if (codes == 1).any() else 2 if (codes == 2).any() else 0
    name = auto.names[code]
    mine = np.flatnonzero(codes == code)
    member = int(mine[np.argmax(np.nan_to_num(rho[mine], nan=np.inf))])
    counts = ", ".join(f"{int((codes == c).sum())} {label}" for c, label in (
        (0, "non-stiff"), (2, "stiff in L only"), (1, "stiff")) if (codes == c).any())
    single = _reason(code, name, float(rho[member]), float(rho_n[member]), span,
                     float(rtol), split, n)
    return name, (f"ensemble of {rho.size} members, each probed ({counts}); one method for "
                  f"all, the most robust any member needs; deciding member {member}: {single}")


def _reason(code, name, rho, rho_n, span, rtol, split, n):
    """The sentence recorded in ``sol.stats["auto"]``."""
    threshold = float(stiff_threshold(rtol))
    index = rho * span
    head = (f"spectral radius of df/dy up to {rho:.3g} over |t1 - t0| = {span:.3g} gives "
            f"stiffness index {index:.3g} {'>' if index > threshold else '<='} {threshold:.3g} "
            f"(an explicit method would need at least {index / STABILITY_INTERVAL:.3g} steps "
            f"for stability alone at rtol {rtol:.3g})")
    if code == 0:
        return f"non-stiff: {head}; using {name}"
    if split is None:
        return f"stiff: {head}; no linear part to integrate exactly; using {name}"
    index_n = rho_n * span
    n_part = (f"the nonlinear part N alone has spectral radius {rho_n:.3g}, index "
              f"{index_n:.3g} {'>' if index_n > threshold else '<='} {threshold:.3g}")
    if code == 2 and index <= threshold:
        return (f"stiff in L only: {head}; {n_part} and rho >= {L_DOMINANCE:g} rho_N: the "
                f"linear part L ({split.kind}) bounds an explicit method's step, an "
                f"exponential method integrates it exactly at about the same cost per step; "
                f"using {name}")
    if code == 2 and index_n <= threshold:
        return (f"stiff in L only: {head}; {n_part}, so the stiffness is in the linear part "
                f"L ({split.kind}), which an exponential method integrates exactly; using {name}")
    if code == 2:
        return (f"stiff, also in N: {head}; {n_part}, but {n} states are too many for a dense "
                f"Jacobian (limit {DENSE_LIMIT}); using {name} (exponential in L)")
    why = (f"{n_part}" if index_n > threshold
           else f"{n_part}, but L is a dense {n} x {n} matrix (exponential methods only up to "
                f"{MATRIX_EXP_LIMIT} states)")
    return f"stiff: {head}; {why}; using {name}"
