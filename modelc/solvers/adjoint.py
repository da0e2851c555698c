"""Derivatives of a solve: forward mode through the loop, reverse mode by an adjoint.

Every solve goes through :func:`differentiable`, a ``jax.custom_jvp`` (with
symbolic zeros, so its rule sees which inputs are perturbed) whose primal is
the fast ``while_loop`` nest of :mod:`.loop` (so a solve that is not
differentiated runs exactly as before).  Its tangent map
``(dy0, dargs) -> dys`` depends on the ``adjoint``:

* :class:`ForwardAdjoint`, **forward sensitivities**: one pass of the loop
  with one tangent per perturbed input scalar (``vmap`` of ``jax.jvp`` over
  the identity basis; the primal runs once, inside that pass) gives the
  Jacobian ``J = d ys / d inputs``; the tangent is ``J @ t``, which
  ``jax.grad`` transposes to ``J^T @ ct_ys`` with no adjoint pass.  Cost:
  about one primal plus one tangent per perturbed scalar ``k``; memory: ``J``
  (``k x T x n``), no trajectory.  Exact derivative of the computed solution.
* otherwise one :func:`~.linear.linear_map`, evaluated (``jax.jvp``,
  ``jacfwd``) by forward mode through the loop and transposed (``jax.grad``,
  ``vjp``) by an *adjoint*:

  - :class:`CheckpointAdjoint`, the **discrete adjoint**: the exact
    derivative of the computed solution (steps, dense output and all), for
    any stepper and controller.  Step sizes and accept/reject decisions are
    piecewise constant (taken under ``stop_gradient``), so only the accepted
    steps on their fixed grid are differentiated; error estimates and the
    controller are never transposed.  The loop is re-run one step per
    iteration, storing its small carry every ``K`` step attempts (``C``
    checkpoints, ``C * K >= max_steps``); then, segment by segment from the
    end, a segment is recomputed once from its checkpoint, recording each
    attempt's inputs and output cotangents, and walked backwards applying
    each step's pullback (which re-runs that step's stages fused with their
    transposes).  Memory is ``C`` checkpoints plus ``K`` step records
    instead of ``max_steps``; time is about two forward passes plus one
    reverse pass, whatever the number of inputs.  ``checkpoints=C`` is the
    knob: ``C + K`` is least at ``C = K = sqrt(max_steps)``; the default caps
    ``K`` at 128 (shorter segments waste less under ``vmap``, where every
    member walks the longest member's segments, see :func:`discrete_vjp`).
    Larger ``C`` means more memory, about the same time.
  - :class:`BacksolveAdjoint`, the **continuous adjoint**: the adjoint ODE
    ``a' = -a df/dy``, ``g' = -a df/dp`` integrated backwards between output
    times with the same method (the state restarted from the forward solution
    at each output time).  Memory is independent of the number of steps; the
    gradient is that of the exact solution, accurate to the tolerances (not
    the derivative of the computed one).

``adjoint=None`` (the default) chooses by the number ``k`` of perturbed
input scalars (:func:`choose_adjoint`): forward sensitivities for ``k <=``
:data:`FORWARD_MAX_PERTURBED`, else the discrete adjoint.

Events: forward sensitivities are exact through them by construction (the
event time's implicit-function correction, :mod:`.events`) and are the default
for event models; the discrete adjoint, on request, replays each step with its
events and transposes the jump (:mod:`.event_adjoint`), except delayed events
and events in a DAE; the continuous adjoint is refused.

Derivatives are taken with respect to the initial state and every
floating-point leaf of ``args``; ``ts``, the tolerances and ``dt0`` are
treated as constants.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.custom_derivatives import SymbolicZero
from jax.flatten_util import ravel_pytree

from .linear import linear_map
from .loop import LoopInputs, LoopSpec, run_loop
from .stepwise import stepwise

__all__ = ["CheckpointAdjoint", "BacksolveAdjoint", "ForwardAdjoint", "choose_adjoint",
           "FORWARD_MAX_PERTURBED", "differentiable"]


@dataclass(frozen=True)
class CheckpointAdjoint:
    """Discrete adjoint with checkpointing (the default above a few perturbed scalars).

    ``checkpoints``: number of stored loop carries ``C``; segments have
    ``K = ceil(max_steps / C)`` steps.  Default: segments of
    ``K = min(ceil(sqrt(max_steps)), 128)`` steps (``C = 782`` checkpoints for
    ``max_steps = 100_000``; memory ``C`` checkpoints (state, FSAL
    derivative, step size, counters) plus ``K`` step records (a step's
    inputs, the cotangents of its outputs), a few hundred kB for a small
    system); ``checkpoints=max_steps`` stores every step (most memory).
    Time hardly depends on ``C``: each step is run by the checkpointing pass,
    recomputed once and differentiated once; under ``vmap`` the last segment
    costs ``K`` steps.
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


@dataclass(frozen=True)
class ForwardAdjoint:
    """Forward sensitivities: reverse mode by the Jacobian of the outputs.

    The loop runs once with one tangent per perturbed input scalar (``k`` of
    them: the entries of ``y0`` and of the ``args`` leaves that the
    differentiated function actually moves), giving ``J = d ys / d inputs``;
    a gradient is then ``J^T ct_ys``.  Time grows with ``k`` (about one
    tangent pass per direction on top of one primal pass), memory is ``J``
    only (no trajectory, whatever the number of steps).  The choice for few
    perturbed scalars; see :func:`choose_adjoint`.
    """


#: Largest number of perturbed scalars for which ``adjoint=None`` uses
#: :class:`ForwardAdjoint` (above it: :class:`CheckpointAdjoint`); measured by
#: ``benchmarks/adjoint_crossover.py`` (docs/benchmarks.md).
FORWARD_MAX_PERTURBED = 8


def choose_adjoint(perturbed: int):
    """The adjoint ``adjoint=None`` uses for ``perturbed`` differentiated input scalars:
    :class:`ForwardAdjoint` up to :data:`FORWARD_MAX_PERTURBED`, else
    :class:`CheckpointAdjoint` (whose cost does not grow with their number)."""
    if perturbed <= FORWARD_MAX_PERTURBED:
        return ForwardAdjoint()
    return CheckpointAdjoint()


def differentiable(run, spec: LoopSpec, adjoint, inputs: LoopInputs, prepare=None):
    """``run(spec, inputs)`` (with ``prepare`` applied to ``inputs.args``) made
    differentiable.

    ``run`` is the primal loop (a :class:`~.loop.RawSolution`); ``spec`` the
    loop's static configuration; ``adjoint`` a :class:`CheckpointAdjoint`,
    :class:`BacksolveAdjoint` or :class:`ForwardAdjoint`, or None to choose by
    the number of perturbed input scalars (:func:`choose_adjoint`).
    ``prepare`` (optional) maps ``args`` to what the loop's functions take,
    once per solve and inside the differentiated function, so perturbed
    scalars are counted on ``args``' own leaves: e.g. a dict of the few
    parameters a caller gives, completed to the model's parameter vector by
    ``prepare`` (:class:`ForwardAdjoint` then needs one direction per given
    parameter, not one per entry of the vector).
    """
    return _solve(run, spec, adjoint, prepare, inputs)


def _prepare(inputs: LoopInputs, prepare) -> LoopInputs:
    return inputs if prepare is None else inputs._replace(args=prepare(inputs.args))


@partial(jax.custom_jvp, nondiff_argnums=(0, 1, 2, 3))
def _solve(run, spec, adjoint, prepare, inputs):
    return run(spec, _prepare(inputs, prepare))


def _prepared_run(run, prepare):
    """``run`` taking unprepared ``args`` (``prepare`` applied first)."""
    if prepare is None:
        return run
    return lambda spec, inputs: run(spec, _prepare(inputs, prepare))


class ArgsTangent(NamedTuple):
    """``args`` flattened with its tangent: the leaves, the tree, the tangent leaves
    and which leaves are floating point (differentiated)."""

    leaves: list
    tree: Any
    tangents: list
    is_diff: list


def _args_tangent(args, targs) -> ArgsTangent:
    leaves, tree = jax.tree_util.tree_flatten(args)
    return ArgsTangent(leaves, tree, tree.flatten_up_to(targs), [_float_leaf(x) for x in leaves])


def _instantiate(t, x):
    """A concrete tangent for primal ``x``: zeros for a symbolic zero."""
    if isinstance(t, SymbolicZero):
        if not _float_leaf(x):
            return np.zeros(jnp.shape(x), jax.dtypes.float0)
        return jnp.zeros(jnp.shape(x), jnp.result_type(x))
    return t


def _float_leaf(x) -> bool:
    return jnp.issubdtype(jnp.result_type(x), jnp.inexact)


def _is_zero(t) -> bool:
    """Whether a tangent is a symbolic zero (unperturbed input) or of an integer input."""
    return isinstance(t, SymbolicZero) or jnp.result_type(t) == jax.dtypes.float0


def _solve_jvp(run, spec, adjoint, prepare, primals, tangents):
    (inputs,), (tin,) = primals, tangents
    ty0, tts = tin.y0, tin.ts
    at = _args_tangent(inputs.args, tin.args)
    if spec.delays is not None:  # delays: forward sensitivities only (the adjoints replay steps)
        if adjoint is not None and not isinstance(adjoint, ForwardAdjoint):
            raise ValueError(f"{type(adjoint).__name__} does not differentiate models with "
                             "delay(...); use adjoint=ForwardAdjoint() (the default for them)")
        adjoint = ForwardAdjoint()
    if spec.events is not None:  # events: forward by default; the discrete adjoint on request
        adjoint = _event_adjoint(adjoint, spec.events)
    if adjoint is None:
        perturbed = (0 if _is_zero(ty0) else jnp.size(inputs.y0)) + sum(
            jnp.size(x) for x, t, d in zip(at.leaves, at.tangents, at.is_diff)
            if d and not _is_zero(t))
        adjoint = choose_adjoint(perturbed)
    if isinstance(adjoint, ForwardAdjoint):
        out, tys = forward_sensitivities(_prepared_run(run, prepare), spec, inputs, ty0, at)
    else:
        if prepare is not None:  # the adjoints work on the prepared args
            targs = at.tree.unflatten([_instantiate(t, x) for t, x in zip(at.tangents, at.leaves)])
            args, targs = jax.jvp(prepare, (inputs.args,), (targs,))
            inputs = inputs._replace(args=args)
            at = _args_tangent(args, targs)
        out, tys = _adjoint_jvp(run, spec, adjoint, inputs, ty0, at)
    tts_out = (jnp.zeros_like(out.ts) if _is_zero(tts) else jnp.asarray(tts, out.ts.dtype))
    tan = jax.tree_util.tree_map(  # only ys (and ts) carry tangents; event times get zeros
        lambda x: jnp.zeros_like(x) if _float_leaf(x) else np.zeros(jnp.shape(x), jax.dtypes.float0),
        out)
    return out, tan._replace(ts=tts_out, ys=tys)


_solve.defjvp(_solve_jvp, symbolic_zeros=True)


def _adjoint_jvp(run, spec, adjoint, inputs, ty0, at: ArgsTangent):
    """Primal solve and tangent ``ys`` as a :func:`~.linear.linear_map` whose
    transpose is the discrete or the backsolve adjoint."""
    leaves, tree, tleaves, is_diff = at
    y0 = inputs.y0
    out = _solve(run, spec, adjoint, None, inputs)
    const, const_tree = jax.tree_util.tree_flatten(inputs._replace(y0=None, args=None))
    nd = [x for x, d in zip(leaves, is_diff) if not d]
    n_c, n_nd = len(const), len(nd)

    def unpack(res):
        """``(inputs without y0 and args, rebuild)`` from the flat residuals;
        ``rebuild(diff leaves)`` gives ``args``."""
        base = jax.tree_util.tree_unflatten(const_tree, res[:n_c])
        fixed = list(res[n_c:n_c + n_nd])

        def rebuild(dl):
            dl, fx = iter(dl), iter(fixed)
            return tree.unflatten([next(dl) if d else next(fx) for d in is_diff])
        return base, rebuild

    n_res = n_c + n_nd + 1 + sum(is_diff)  # constants, fixed leaves, y0, diff leaves

    def fwd_fn(*flat):
        res, lin = flat[:n_res], flat[n_res:]
        base, rebuild = unpack(res)
        y0_, dl = res[n_c + n_nd], list(res[n_c + n_nd + 1:])

        def ys_of(y, dl):
            return run(spec, base._replace(y0=y, args=rebuild(dl))).ys
        return [jax.jvp(ys_of, (y0_, dl), (lin[0], list(lin[1:])))[1]]

    def transpose_fn(*flat, axis_name=None):
        res, (ct_ys,) = flat[:n_res], flat[n_res:]
        base, rebuild = unpack(res)
        y0_, dl = res[n_c + n_nd], list(res[n_c + n_nd + 1:])
        at_y0 = base._replace(y0=y0_)
        if isinstance(adjoint, BacksolveAdjoint):
            ct_y0, ct_dl = backsolve_vjp(run, spec, adjoint, at_y0, rebuild, dl, ct_ys)
        else:
            ct_y0, ct_dl = discrete_vjp(spec, adjoint, at_y0, rebuild, dl, ct_ys,
                                        axis_name=axis_name)
        return [ct_y0, *ct_dl]

    transpose_fn.for_vmap = lambda axis: partial(transpose_fn, axis_name=axis)

    dl = [x for x, d in zip(leaves, is_diff) if d]
    tdl = [jnp.zeros_like(x) if _is_zero(t) else jnp.asarray(t, jnp.result_type(x))
           for t, x, d in zip(tleaves, leaves, is_diff) if d]
    ty0 = jnp.zeros_like(y0) if _is_zero(ty0) else jnp.asarray(ty0, y0.dtype)
    (tys,) = linear_map(fwd_fn, transpose_fn, [*const, *nd, y0, *dl], [ty0, *tdl])
    return out, tys


def _event_adjoint(adjoint, events):
    """The adjoint of a model with events: :class:`ForwardAdjoint` for ``adjoint=None``
    (``benchmarks/event_adjoint.py``: faster than the discrete adjoint up to at least 26
    perturbed scalars, where the replay's event steps each take the rounds' forward
    Jacobian); :class:`CheckpointAdjoint` on request, except for delayed events and a
    DAE's re-solution after events (not replayed, :mod:`.event_adjoint`);
    :class:`BacksolveAdjoint` is refused."""
    if adjoint is None or isinstance(adjoint, ForwardAdjoint):
        return ForwardAdjoint()
    if not isinstance(adjoint, CheckpointAdjoint):
        raise ValueError(f"{type(adjoint).__name__} does not support models with events; use "
                         "CheckpointAdjoint() (the discrete adjoint through the events), "
                         "ForwardAdjoint() or adjoint=None")
    why = ("delayed events (their queued times and values are not replayed)" if any(events.delayed)
           else "events in a DAE (the constraints re-solved after an event)"
           if events.consistent is not None else None)
    if why is None:
        return adjoint
    raise ValueError(f"CheckpointAdjoint does not support {why}; use adjoint=None or "
                     "ForwardAdjoint() (forward sensitivities, exact through the events)")


# --- forward sensitivities ------------------------------------------------------------

def forward_sensitivities(run, spec, inputs, ty0, at: ArgsTangent):
    """Primal solve and tangent ``ys`` from the Jacobian ``d ys / d(perturbed inputs)``.

    One pass of the loop carries the primal and one tangent per perturbed
    scalar (``vmap`` of ``jax.jvp`` over the identity basis; the primal parts
    of the carry are not batched, so the primal runs once).  The tangent
    ``ys`` is then ``J @ t``, linear in the tangents ``t``: ``jax.grad``
    transposes it to ``J^T @ ct_ys`` with no adjoint pass, and nothing but
    ``J`` (``k x T x n`` numbers) is kept, whatever the number of steps.
    """
    leaves, tree, tleaves, is_diff = at
    y0 = inputs.y0
    slots = [i for i, (t, d) in enumerate(zip(tleaves, is_diff)) if d and not _is_zero(t)]
    with_y0 = not _is_zero(ty0)
    x = ([y0] if with_y0 else []) + [leaves[i] for i in slots]
    tx = ([ty0] if with_y0 else []) + [tleaves[i] for i in slots]
    if not x:  # nothing perturbed
        out = run(spec, inputs)
        return out, jnp.zeros_like(out.ys)
    flat, unravel = ravel_pytree(x)

    def solve_at(v):
        parts = unravel(v)
        y = parts[0] if with_y0 else y0
        new = list(leaves)
        for i, leaf in zip(slots, parts[len(parts) - len(slots):]):
            new[i] = leaf
        return run(spec, inputs._replace(y0=y, args=tree.unflatten(new)))

    def column(e):
        out, tan = jax.jvp(solve_at, (flat,), (e,))
        return out, tan.ys

    basis = jnp.eye(flat.shape[0], dtype=flat.dtype)
    out, jac = jax.vmap(column, out_axes=(None, 0))(basis)
    t_flat = ravel_pytree([jnp.asarray(t, jnp.result_type(v)) for t, v in zip(tx, x)])[0]
    return out, jnp.tensordot(t_flat.astype(jac.dtype), jac, axes=1)


# --- discrete adjoint -----------------------------------------------------------------

def _add(a, b):
    return jax.tree_util.tree_map(jnp.add, a, b)


def discrete_vjp(spec, adjoint, inputs, rebuild, dl, ct_ys, axis_name=None):
    """Cotangents ``(ct_y0, ct_dl)`` of ``ys`` by the checkpointed discrete adjoint
    (``inputs.args`` unused: ``rebuild(dl)`` gives the args).

    Step sizes and accept/reject decisions are piecewise constant (the
    controllers take them under ``stop_gradient``), so the derivative of the
    computed solution is that of the accepted steps on a fixed grid.  The
    checkpointing pass stores the carry every ``K`` step attempts; walking
    back, each segment is recomputed from its checkpoint once, recording per
    attempt the step's pullback (its inputs only: the pullback re-runs the
    stages fused with their transposes, error estimate and controller left
    out), whether it was accepted and the cotangents of the outputs written
    after it; the pullbacks are then applied in reverse, a rejected attempt
    passing the cotangent through.

    ``axis_name`` (given when the caller ``vmap``s this function over an axis
    of that name) makes every loop that indexes a buffer run with bounds
    shared by all members (reduced over the batch with ``lax.psum``) and
    masks, so the buffer index is the same for every member and the buffer
    is updated in place; with per-member bounds, ``vmap`` turns each update
    into a copy of the whole buffer.  Either way the numbers are the same.
    """
    batched = axis_name is not None

    def anyof(x):  # any member: a loop condition shared by the batch
        return lax.psum(x.astype(jnp.int32), axis_name) > 0 if batched else x

    sw = stepwise(spec, inputs, rebuild)
    step, output, y0 = sw.step, sw.output, inputs.y0
    max_steps = spec.max_steps
    C, K = adjoint.layout(max_steps)
    f0, i0 = sw.start(y0, dl)
    nts = sw.loop.nts

    def running(i, n):
        ic, idx = i[0], i[1]
        return (ic[2] == 0) & (idx < nts) & (n < max_steps)

    # Forward: segments of K steps; each segment's first carry is a checkpoint,
    # packed in one vector without the last step's dense-output rows (a step
    # does not read them; they only serve outputs written after that step).
    nrow = sw.layout().nrow

    def pack(f, i):
        return ravel_pytree((f[0], f[1][:nrow], i))[0]

    unpack_ck = ravel_pytree((f0[0], f0[1][:nrow], i0))[1]

    def restore(vec):
        sc, rows, i = unpack_ck(vec)
        return (sc, f0[1].at[:nrow].set(rows)), i

    def fseg(c):
        f, i, n, j, ck = c
        ck = ck.at[j].set(pack(f, i))  # past the end: harmless rewrites of a spent state

        def fbody(w):
            f, i, n, k = w
            f, i, _ = step(dl, f, i)
            return f, i, n + 1, k + 1

        f, i, n, _ = lax.while_loop(lambda w: running(w[1], w[2]) & (w[3] < K), fbody,
                                    (f, i, n, jnp.asarray(0, jnp.int32)))
        return f, i, n, j + 1, ck

    zero = jnp.asarray(0, jnp.int32)
    vec0 = pack(f0, i0)
    init = (f0, i0, zero, zero, jnp.zeros((C,) + vec0.shape, vec0.dtype))
    _, _, nsteps, _, ck = lax.while_loop(lambda c: anyof(running(c[1], c[2])) & (c[3] < C),
                                         fseg, init)

    def outputs_vjp(f1, i, i1):
        """Cotangents (of ``dl``, ``yz``) of the outputs written after one step."""
        def wbody(w):
            k, gd, gz = w
            _, ovjp = jax.vjp(lambda d, z: output(d, (f1[0], z), k), dl, f1[1])
            d, z = ovjp(ct_ys[k])
            return k + 1, _add(gd, d), gz + z

        zeros = (jax.tree_util.tree_map(jnp.zeros_like, dl), jnp.zeros_like(f1[1]))
        return lax.while_loop(lambda w: w[0] < i1[1], wbody, (i[1],) + zeros)[1:]

    # Backward: segments from the last, each recomputed from its checkpoint
    # (recording each attempt), then walked backwards.
    nseg = (nsteps + K - 1) // K
    layout = []  # how a step's record is packed (set while tracing `record`)

    def record(f, i):
        """One step; its pullback, acceptance and output cotangents packed in one vector
        (one buffer write per step instead of one per residual)."""
        f1, i1, pull, acc = step(dl, f, i, linear=True)
        leaves, tree = jax.tree_util.tree_flatten(pull)
        vec, unravel = ravel_pytree((leaves, acc, outputs_vjp(f1, i, i1)))
        layout[:] = [tree, unravel]
        return f1, i1, vec

    def seg_body(r, c):
        j = nseg - 1 - r  # < 0 (nothing to do) for members with fewer segments
        length = jnp.where(j >= 0, jnp.minimum(K, nsteps - j * K), 0)
        f, i = restore(ck[jnp.maximum(j, 0)])

        def rec(k, w):
            f, i, buf = w
            f1, i1, vec = record(f, i)
            return f1, i1, buf.at[k].set(vec)

        def back(r2, w):
            k = (K if batched else length) - 1 - r2
            tree, unravel = layout
            leaves, acc, (gd, gz) = unravel(buf[k])
            ct_z, ct_d = w[0] + gz, _add(w[1], gd)
            pd, pz = jax.tree_util.tree_unflatten(tree, leaves)(ct_z)
            new = (jnp.where(acc, pz, ct_z),
                   jax.tree_util.tree_map(lambda a, b: jnp.where(acc, a + b, a), ct_d, pd))
            if not batched:
                return new
            return jax.tree_util.tree_map(lambda a, b: jnp.where(k < length, a, b), new, w)

        stop = K if batched else length  # static bounds under vmap (see the docstring)
        _, _, buf = lax.fori_loop(0, stop, rec, (f, i, jnp.zeros((K,) + size.shape, size.dtype)))
        return lax.fori_loop(0, stop, back, c)

    size = jax.eval_shape(lambda f, i: record(f, i)[2], f0, i0)
    zeros = (jnp.zeros_like(f0[1]), jax.tree_util.tree_map(jnp.zeros_like, dl))
    most = lax.pmax(nseg, axis_name) if batched else nseg
    ct_z0, ct_dl = lax.fori_loop(0, most, seg_body, zeros)
    # ys[0] is the start's row 0 (y0, or with events the state after those of t0)
    _, svjp = jax.vjp(lambda y, d: sw.start(y, d)[0][1], y0, dl)
    ct_y0, ct_dl0 = svjp(ct_z0.at[0].add(ct_ys[0]))
    return ct_y0, _add(ct_dl, ct_dl0)


# --- continuous adjoint ---------------------------------------------------------------

def backsolve_vjp(run, spec, adjoint, inputs, rebuild, dl, ct_ys):
    """Cotangents ``(ct_y0, ct_dl)`` of ``ys`` from the adjoint ODE, solved backwards
    (``inputs.args`` unused: ``rebuild(dl)`` gives the args)."""
    if spec.split is not None:
        raise ValueError("BacksolveAdjoint does not support the split exponential methods "
                         "(etd1, etdrk2, etdrk4, etdrk4b, lawson4, etdab2-4, etdrk43: they do not "
                         "run backwards in time); use CheckpointAdjoint (the discrete adjoint) "
                         "or ForwardAdjoint, which run through all of them, or exprb32/exprb43")
    rhs, y0, ts, rtol, atol = spec.rhs, inputs.y0, inputs.ts, inputs.rtol, inputs.atol
    ys = run(spec, inputs._replace(args=rebuild(dl))).ys
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
    # The direction of each backward interval is only known at run time.
    back = spec._replace(rhs=aug, direction=None, auto_dtmin=True, jac=None, split=None)

    def interval(r, c):
        a, g = c
        i = ts.shape[0] - 1 - r
        a = a + ct_ys[i]
        z0 = jnp.concatenate([ys[i], a, g])
        span = jnp.stack([ts[i], ts[i - 1]])
        sol = run_loop(back, LoopInputs(z0, span, flat, brtol, batol, inputs.dt0, None))
        z1 = sol.ys[-1]
        return z1[n:2 * n], z1[2 * n:]

    a, g = lax.fori_loop(0, ts.shape[0] - 1, interval,
                         (jnp.zeros(n, dtype), jnp.zeros(m, dtype)))
    return a + ct_ys[0], list(unravel(g))
