"""Derivatives of a solve: forward mode through the loop, reverse mode by an adjoint.

Every solve goes through :func:`differentiable`, a ``jax.custom_jvp`` whose
primal is the fast ``while_loop`` nest of :mod:`.loop` (so a solve that is not
differentiated runs exactly as before) and whose tangent map
``(dy0, dargs) -> dys`` is one :func:`~.linear.linear_map`:

* evaluated (``jax.jvp``, ``jacfwd``): forward mode through the loop;
* transposed (``jax.grad``, ``vjp``): an *adjoint* chosen by the caller:

  - :class:`CheckpointAdjoint` (default), the **discrete adjoint**: the exact
    derivative of the computed solution (steps, step-size controller, dense
    output and all), for any stepper and controller.  The loop is re-run one
    step per iteration, storing its small carry every ``K`` steps (``C``
    checkpoints, ``C * K >= max_steps``); then, segment by segment from the
    end, a segment is recomputed from its checkpoint (its ``K`` carries kept)
    and walked backwards with ``jax.vjp`` of one step.  Memory is
    ``(C + K)`` carries instead of ``max_steps``; time is about two extra
    forward passes plus one reverse pass.  ``checkpoints=C`` is the knob:
    ``C + K`` is least at ``C = K = sqrt(max_steps)``; the default caps ``K``
    at 128 (shorter segments waste less under ``vmap``, see
    :func:`discrete_vjp`).  Larger ``C`` means more memory, about the same time.
  - :class:`BacksolveAdjoint`, the **continuous adjoint**: the adjoint ODE
    ``a' = -a df/dy``, ``g' = -a df/dp`` integrated backwards between output
    times with the same method (the state restarted from the forward solution
    at each output time).  Memory is independent of the number of steps; the
    gradient is that of the exact solution, accurate to the tolerances (not
    the derivative of the computed one).

Derivatives are taken with respect to the initial state and every
floating-point leaf of ``args``; ``ts``, the tolerances and ``dt0`` are
treated as constants.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.flatten_util import ravel_pytree

from .linear import linear_map

__all__ = ["CheckpointAdjoint", "BacksolveAdjoint", "differentiable"]


@dataclass(frozen=True)
class CheckpointAdjoint:
    """Discrete adjoint with checkpointing (the default).

    ``checkpoints``: number of stored loop carries ``C``; segments have
    ``K = ceil(max_steps / C)`` steps.  Default: segments of
    ``K = min(ceil(sqrt(max_steps)), 128)`` steps (``C = 782`` checkpoints for
    ``max_steps = 100_000``; memory ``C + K`` carries, a few hundred kB for a
    small system); ``checkpoints=max_steps`` stores every step (most memory).
    Time hardly depends on ``C``: each step is recomputed once and
    differentiated once; under ``vmap`` the last segment costs ``K`` steps.
    """

    checkpoints: int | None = None

    def layout(self, max_steps: int) -> tuple[int, int]:
        """``(C, K)``: number of checkpoints and steps per segment."""
        if self.checkpoints is None:
            k = min(math.isqrt(max(max_steps - 1, 0)) + 1, 128)
            return -(-max_steps // k), k
        c = max(1, min(int(self.checkpoints), max_steps))
        return c, -(-max_steps // c)


@dataclass(frozen=True)
class BacksolveAdjoint:
    """Continuous adjoint, integrated backwards (memory independent of the steps).

    ``rtol``/``atol`` for the backward solve default to the forward ones.
    """

    rtol: float | None = None
    atol: float | None = None


def differentiable(run, static, adjoint, y0, ts, args, rtol, atol, dt0, dtmin):
    """``run(*static, y0, ts, args, rtol, atol, dt0, dtmin)`` made differentiable.

    ``run`` is the primal loop (a :class:`~.loop.RawSolution`); ``static`` the
    loop's static arguments; ``adjoint`` a :class:`CheckpointAdjoint` or
    :class:`BacksolveAdjoint`.
    """
    return _solve(run, static, adjoint, y0, ts, args, rtol, atol, dt0, dtmin)


@partial(jax.custom_jvp, nondiff_argnums=(0, 1, 2))
def _solve(run, static, adjoint, y0, ts, args, rtol, atol, dt0, dtmin):
    return run(*static, y0, ts, args, rtol, atol, dt0, dtmin)


def _float_leaf(x) -> bool:
    return jnp.issubdtype(jnp.result_type(x), jnp.inexact)


@_solve.defjvp
def _solve_jvp(run, static, adjoint, primals, tangents):
    y0, ts, args, rtol, atol, dt0, dtmin = primals
    ty0, tts, targs = tangents[:3]
    out = _solve(run, static, adjoint, *primals)
    leaves, tree = jax.tree_util.tree_flatten(args)
    is_diff = [_float_leaf(x) for x in leaves]
    tleaves = tree.flatten_up_to(targs)
    const, const_tree = jax.tree_util.tree_flatten((ts, rtol, atol, dt0, dtmin))
    nd = [x for x, d in zip(leaves, is_diff) if not d]
    n_c, n_nd = len(const), len(nd)

    def unpack(res):
        """(y0, diff leaves) -> solve inputs, from the flat residuals."""
        ts_, rtol_, atol_, dt0_, dtmin_ = jax.tree_util.tree_unflatten(const_tree, res[:n_c])
        fixed = list(res[n_c:n_c + n_nd])

        def rebuild(dl):
            dl, fx = iter(dl), iter(fixed)
            return tree.unflatten([next(dl) if d else next(fx) for d in is_diff])
        return ts_, rtol_, atol_, dt0_, dtmin_, rebuild

    n_res = n_c + n_nd + 1 + sum(is_diff)  # constants, fixed leaves, y0, diff leaves

    def fwd_fn(*flat):
        res, lin = flat[:n_res], flat[n_res:]
        ts_, rtol_, atol_, dt0_, dtmin_, rebuild = unpack(res)
        y0_, dl = res[n_c + n_nd], list(res[n_c + n_nd + 1:])

        def ys_of(y, dl):
            return run(*static, y, ts_, rebuild(dl), rtol_, atol_, dt0_, dtmin_).ys
        return [jax.jvp(ys_of, (y0_, dl), (lin[0], list(lin[1:])))[1]]

    def transpose_fn(*flat, batched=False):
        res, (ct_ys,) = flat[:n_res], flat[n_res:]
        ts_, rtol_, atol_, dt0_, dtmin_, rebuild = unpack(res)
        y0_, dl = res[n_c + n_nd], list(res[n_c + n_nd + 1:])
        if isinstance(adjoint, BacksolveAdjoint):
            ct_y0, ct_dl = backsolve_vjp(run, static, adjoint, y0_, ts_, rebuild, dl, rtol_,
                                         atol_, dt0_, dtmin_, ct_ys)
        else:
            ct_y0, ct_dl = discrete_vjp(static, adjoint, y0_, ts_, rebuild, dl, rtol_, atol_,
                                        dt0_, dtmin_, ct_ys, batched=batched)
        return [ct_y0, *ct_dl]

    transpose_fn.for_vmap = partial(transpose_fn, batched=True)

    dl = [x for x, d in zip(leaves, is_diff) if d]
    tdl = [jnp.asarray(t, x.dtype) if t.dtype != jax.dtypes.float0 else jnp.zeros_like(x)
           for t, x, d in zip(tleaves, leaves, is_diff) if d]
    ty0 = jnp.zeros_like(y0) if ty0.dtype == jax.dtypes.float0 else jnp.asarray(ty0, y0.dtype)
    (tys,) = linear_map(fwd_fn, transpose_fn, [*const, *nd, y0, *dl], [ty0, *tdl])
    tts_out = (jnp.zeros_like(out.ts) if jnp.result_type(tts) == jax.dtypes.float0
               else jnp.asarray(tts, out.ts.dtype))
    tan = jax.tree_util.tree_map(
        lambda x: np.zeros(jnp.shape(x), jax.dtypes.float0), out)
    return out, tan._replace(ts=tts_out, ys=tys)


# --- discrete adjoint -----------------------------------------------------------------

def _flat_loop(static, y0, ts, rebuild, rtol, atol, dt0, dtmin):
    """The loop one step per iteration: ``start(y0, dl)``, ``step(dl, state)``, ``out``."""
    from .loop import _Loop
    rhs, stepper, controller, max_steps, direction, auto_dt0, auto_dtmin, jac, split = static
    L = _Loop(rhs, stepper, controller, max_steps, direction, auto_dtmin, jac, y0.dtype, ts,
              rtol, atol, dtmin, differentiable=True, split=split)
    dt0 = None if auto_dt0 else dt0

    def start(y, dl):
        (sc, yz, ic), _ = L.start(y, rebuild(dl), dt0)
        return (sc, yz), (ic, jnp.asarray(1, jnp.int32))

    def step(dl, f, i):
        """One step attempt; ``i = (ic, idx)``, idx = number of outputs passed."""
        (sc, yz), (ic, idx) = f, i
        sc, yz, ic, _ = L.step_body(rebuild(dl), (sc, yz, ic, L.s_at(idx)))
        idx = jnp.sum(L.fwd(L.ts - sc[0]) <= 0).astype(jnp.int32)
        return (sc, yz), (ic, jnp.maximum(idx, i[1]))

    def output(dl, f, i):
        """State at output time ``ts[i]`` from the last step's dense output."""
        (sc, yz) = f
        return L.dense(rebuild(dl), sc, yz)(L.s_at(i))

    return L, start, step, output


def _tree_set(bufs, j, vals):
    return jax.tree_util.tree_map(lambda b, v: b.at[j].set(v), bufs, vals)


def _tree_get(bufs, j):
    return jax.tree_util.tree_map(lambda b: b[j], bufs)


def _alloc(n, tree):
    return jax.tree_util.tree_map(lambda x: jnp.zeros((n,) + jnp.shape(x), x.dtype), tree)


def _add(a, b):
    return jax.tree_util.tree_map(jnp.add, a, b)


def discrete_vjp(static, adjoint, y0, ts, rebuild, dl, rtol, atol, dt0, dtmin, ct_ys,
                 batched=False):
    """Cotangents ``(ct_y0, ct_dl)`` of ``ys`` by the checkpointed discrete adjoint.

    ``batched=True`` (set when the caller ``vmap``s this function) runs the
    loops that index the segment buffer with static bounds and masks, so the
    buffer index is the same for every member and the buffer is updated in
    place; with data-dependent bounds, ``vmap`` turns each update into a copy
    of the whole buffer.  Either way the numbers are the same.
    """
    L, start, step, output = _flat_loop(static, y0, ts, rebuild, rtol, atol, dt0, dtmin)
    max_steps = static[3]
    C, K = adjoint.layout(max_steps)
    f0, i0 = start(y0, dl)
    nts = L.nts

    def running(i, n):
        ic, idx = i
        return (ic[2] == 0) & (idx < nts) & (n < max_steps)

    # Forward: segments of K steps; each segment's first carry is a checkpoint.
    def fseg(c):
        f, i, n, j, ck = c
        ck = _tree_set(ck, j, (f, i))  # past the end: harmless rewrites of a spent state

        def fbody(w):
            f, i, n, k = w
            f, i = step(dl, f, i)
            return f, i, n + 1, k + 1

        f, i, n, _ = lax.while_loop(lambda w: running(w[1], w[2]) & (w[3] < K), fbody,
                                    (f, i, n, jnp.asarray(0, jnp.int32)))
        return f, i, n, j + 1, ck

    zero = jnp.asarray(0, jnp.int32)
    init = (f0, i0, zero, zero, _alloc(C, (f0, i0)))
    if batched:  # static bound: the buffer is not in a batched while's carry (no copies)
        _, _, nsteps, _, ck = lax.fori_loop(
            0, C, lambda j, c: fseg(c[:3] + (jnp.asarray(j, jnp.int32), c[4])), init)
    else:
        _, _, nsteps, _, ck = lax.while_loop(lambda c: running(c[1], c[2]), fseg, init)

    def step_vjp(f, i, ct_f, ct_dl):
        """Back through one step, adding the cotangents of the outputs it wrote."""
        f1, vjp_fn, i1 = jax.vjp(lambda d, ff: step(d, ff, i), dl, f, has_aux=True)

        def wbody(w):
            k, ct_f1, ct_d = w
            _, ovjp = jax.vjp(lambda d, ff: output(d, ff, k), dl, f1)
            gd, gf = ovjp(ct_ys[k])
            return k + 1, _add(ct_f1, gf), _add(ct_d, gd)

        _, ct_f1, ct_dl = lax.while_loop(lambda w: w[0] < i1[1], wbody, (i[1], ct_f, ct_dl))
        gd, gf = vjp_fn(ct_f1)
        return gf, _add(ct_dl, gd)

    # Backward: segments from the last; each recomputed from its checkpoint.
    nseg = (nsteps + K - 1) // K

    def seg_body(r, c):
        j = nseg - 1 - r
        length = jnp.minimum(K, nsteps - j * K)
        f, i = _tree_get(ck, j)

        def rec(k, w):
            f, i, buf = w
            return (*step(dl, f, i), _tree_set(buf, k, (f, i)))

        def back(r2, w):
            k = (K if batched else length) - 1 - r2
            new = step_vjp(*_tree_get(buf, k), *w)
            if not batched:
                return new
            return jax.tree_util.tree_map(lambda a, b: jnp.where(k < length, a, b), new, w)

        stop = K if batched else length  # static bounds under vmap (see the docstring)
        _, _, buf = lax.fori_loop(0, stop, rec, (f, i, _alloc(K, (f0, i0))))
        return lax.fori_loop(0, stop, back, c)

    zeros = jax.tree_util.tree_map(jnp.zeros_like, (f0, dl))
    ct_f0, ct_dl = lax.fori_loop(0, nseg, seg_body, zeros)
    _, svjp = jax.vjp(lambda y, d: start(y, d)[0], y0, dl)
    ct_y0, ct_dl0 = svjp(ct_f0)
    return ct_y0 + ct_ys[0], _add(ct_dl, ct_dl0)


# --- continuous adjoint ---------------------------------------------------------------

def backsolve_vjp(run, static, adjoint, y0, ts, rebuild, dl, rtol, atol, dt0, dtmin, ct_ys):
    """Cotangents ``(ct_y0, ct_dl)`` of ``ys`` from the adjoint ODE, solved backwards."""
    rhs, stepper, controller, max_steps, direction, auto_dt0, auto_dtmin, jac, split = static
    if split is not None:
        raise ValueError("BacksolveAdjoint does not support the split exponential methods; "
                         "use CheckpointAdjoint (the default)")
    ys = run(*static, y0, ts, rebuild(dl), rtol, atol, dt0, dtmin).ys
    flat, unravel = ravel_pytree(dl)
    n, m = y0.shape[0], flat.shape[0]
    dtype = y0.dtype
    ts = jnp.asarray(ts, dtype)

    def aug(t, z, p):
        y, a = z[:n], z[n:2 * n]
        fy, vjp_fn = jax.vjp(lambda yy, pp: rhs(t, yy, rebuild(unravel(pp))), y, p)
        ay, ap = vjp_fn(a)
        return jnp.concatenate([jnp.asarray(fy, dtype), -ay, -ap.astype(dtype)])

    brtol = rtol if adjoint.rtol is None else adjoint.rtol
    batol = atol if adjoint.atol is None else adjoint.atol
    from .loop import _integrate

    def interval(r, c):
        a, g = c
        i = ts.shape[0] - 1 - r
        a = a + ct_ys[i]
        z0 = jnp.concatenate([ys[i], a, g])
        span = jnp.stack([ts[i], ts[i - 1]])
        # Direction of the backward interval is only known at run time.
        sol = _integrate(aug, stepper, controller, max_steps, None, auto_dt0, True, None, None,
                         z0, span, flat, brtol, batol, dt0, None)
        z1 = sol.ys[-1]
        return z1[n:2 * n], z1[2 * n:]

    a, g = lax.fori_loop(0, ts.shape[0] - 1, interval,
                         (jnp.zeros(n, dtype), jnp.zeros(m, dtype)))
    return a + ct_ys[0], list(unravel(g))
