"""Ensembles: one model solved for a batch of parameters and/or initial states.

The member solve is the model's ordinary jitted run, ``vmap``-ed over the
batch, run in chunks (bounded memory, a progress line), each chunk split over
every device (:mod:`modelc.distributed`).  On CPU devices the default chunk is
:data:`CPU_CHUNK` members per device: the batched loop then works on arrays that
stay in the CPU caches, about twice the throughput of one chunk of 10,000
members (docs/benchmarks.md, Lorenz ensembles), and chunks run on
:func:`cpu_workers` threads at once (one XLA computation uses one core for
arrays this small; concurrent calls of the compiled run use the others).
The result is one
:class:`~modelc.solution.Solution` whose arrays carry a leading batch axis and
whose ``status`` holds one code per member.

Models with array states and external functions (:mod:`modelc.array_model`)
take part too: an array state's ``y0`` is a batch with a leading member axis
(one array per member; broadcast one array with ``np.broadcast_to`` to share
it), the externals are bound once for every member, and the array states
come back in ``fields`` with shape ``(members, times, *shape)``.
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import jax
import jax.numpy as jnp
import numpy as np

from dataclasses import replace

from . import distributed, solvers
from .array_model import SAMPLERS, problem
from .errors import SolveError
from .options import DEFAULT_MAX_STEPS, prepare_solve
from .progress import draw_progress
from .runs import DAE_CHOICE, constraint_stats, delay_spec, run_function
from .solvers.history import initial_history_rhs
from .solution import Solution

__all__ = ["ensemble", "batch_size", "cpu_workers", "CPU_CHUNK"]

#: Default members per CPU device in one chunk (when ``chunk_size`` is None); chosen
#: by measurement on Lorenz (128 beat 64, 256, 512, 1024 and all-at-once).
CPU_CHUNK = 128


def cpu_workers() -> int:
    """Threads that run CPU chunks concurrently: the cores this process may use
    (``MODELC_CPU_WORKERS`` overrides; 1 runs the chunks one after another)."""
    given = os.environ.get("MODELC_CPU_WORKERS", "").strip()
    if given.isdigit():
        return max(1, int(given))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # platforms without sched_getaffinity
        return max(1, os.cpu_count() or 1)


def batch_size(params: dict, y0: dict, array_states=()) -> int:
    """The common leading length of the per-member values (1-D arrays, and the
    batches of ``array_states`` in ``y0``); scalars broadcast."""
    scalars = {**params, **{k: v for k, v in y0.items() if k not in array_states}}
    batches = {k: v for k, v in y0.items() if k in array_states}
    bad = [k for k, v in scalars.items() if np.ndim(v) > 1]
    if bad:
        raise SolveError(f"ensemble values must be scalars or 1-D arrays; got more for {bad}")
    flat = [k for k, v in batches.items() if np.ndim(v) < 1]
    if flat:
        raise SolveError(f"array state {flat[0]!r}: its ensemble y0 is a batch with a leading "
                         "member axis, shape (members, *shape); share one array with "
                         "np.broadcast_to(x0, (members,) + x0.shape)")
    sizes = {np.shape(v)[0] for v in (*scalars.values(), *batches.values()) if np.ndim(v) >= 1}
    if len(sizes) > 1:
        hint = (" (an array state's y0 carries the member axis first: shape (members, *shape))"
                if batches else "")
        raise SolveError(f"ensemble arrays have different lengths {sorted(sizes)}; give "
                         f"every per-member value the same length{hint}")
    if not sizes:
        raise SolveError("ensemble needs at least one 1-D array of per-member values "
                         "in params or y0")
    size = sizes.pop()
    if size == 0:
        raise SolveError("the ensemble batch is empty: give at least one member (the 1-D "
                         "arrays in params or y0 have length 0)")
    return size


def ensemble(model, params=None, y0=None, *, t=None, saveat=None, method=None, rtol=None,
             atol=None, points=None, dt0=None, max_steps=DEFAULT_MAX_STEPS, dtype=None,
             chunk_size: int | None = None, progress: bool | None = None,
             devices=None, externals=None) -> Solution:
    """Solve ``model`` for every member of a batch; see :meth:`CompiledModel.ensemble`."""
    externals = model.check_externals(externals)
    method = method or model.simulate_defaults.get("method")
    if method in SAMPLERS:
        raise SolveError(f"method {method!r} (a diffusion sampler) is not supported for "
                         "ensembles: sample a batch in one solve (y0 with a leading batch "
                         "axis) or name an ODE method")
    opts, (ts, s), params, y0 = prepare_solve(
        model, t=t, saveat=saveat, points=points, params=params, y0=y0, batched=True,
        method=method, rtol=rtol, atol=atol, dt0=dt0, max_steps=max_steps, dtype=dtype)
    dtype, rtol, atol, dt0 = opts.dtype, opts.rtol, opts.atol, opts.step(abs(ts[-1] - ts[0]))
    arrays = model.array_state_names
    n = batch_size(params, y0, arrays)
    members = {k: np.asarray(v, dtype) if k[1] in arrays and k[0] == "y"
               else np.broadcast_to(np.asarray(v, dtype), (n,))
               for k, v in {**{("p", k): v for k, v in params.items()},
                            **{("y", k): v for k, v in y0.items()}}.items()}
    mesh = distributed.batch_mesh(devices)
    ndev = mesh.devices.size
    cpu = all(d.platform == "cpu" for d in mesh.devices.flat)
    chunk = _chunk_size(n, chunk_size, ndev, cpu)
    auto = {}
    if opts.method == "auto" and getattr(model.module, "ALGEBRAIC_STATES", ()):  # a DAE (issue 17)
        opts, auto = replace(opts, method="rodas5"), {"auto": DAE_CHOICE}
    elif opts.method == "auto":
        method, reason = _choose_for_members(model, members, n, chunk, mesh, ts, rtol, dtype,
                                             externals)
        opts, auto = replace(opts, method=method), {"auto": reason}
    run = _batched_run(model, opts, dt0 is not None, mesh, externals)
    tsj = jnp.asarray(ts, dtype)
    start = time.perf_counter()
    shown = _show(progress, n, n if chunk_size is None else chunk)

    def solve_chunk(lo):
        hi = min(lo + chunk, n)
        yy, pp = _chunk(members, lo, hi, chunk, mesh)
        out = run(yy, pp, tsj, rtol, atol, dt0)
        return jax.tree_util.tree_map(lambda x, m=hi - lo: x[:m], distributed.gather(out))

    starts = list(range(0, n, chunk))
    outs = [solve_chunk(starts[0])]  # compiles once, before any concurrency
    if shown:
        _progress(min(chunk, n), n, time.perf_counter() - start)
    workers = min(cpu_workers(), len(starts) - 1) if cpu and jax.process_count() == 1 else 1
    if workers > 1:
        with ThreadPoolExecutor(workers) as pool:
            for i, out in enumerate(pool.map(solve_chunk, starts[1:]), start=1):
                outs.append(out)
                if shown:
                    _progress(min(starts[i] + chunk, n), n, time.perf_counter() - start)
    else:
        for lo in starts[1:]:
            outs.append(solve_chunk(lo))
            if shown:
                _progress(min(lo + chunk, n), n, time.perf_counter() - start)
    raw, obs, *extra = jax.tree_util.tree_map(lambda *xs: np.concatenate(xs), *outs)
    unpacked = _unpacked(model, extra[0]) if extra else {}  # array and field models
    return Solution.from_raw(raw, state_names=model.state_names, method=opts.method,
                             observables=obs, observable_names=model.observable_names,
                             start=s, batched=True, t=ts,
                             stats=dict(members=n, devices=ndev, chunk_size=chunk, **auto,
                                        **constraint_stats(model.module, opts.method)),
                             **unpacked)


def _unpacked(model, extra) -> dict:
    """`Solution.from_raw`'s ``unpacked``, ``separate`` and ``grid`` from the members'
    ``extra`` (`modelc.runs.run_function`): array states, or fields and their grid (the
    nodes of member 0 when every member has the same, else one row per member)."""
    if not model.is_field_model:
        return {"unpacked": extra, "separate": model.array_state_names}
    fields, grid = extra
    grid = {axis: nodes[0] if np.all(nodes == nodes[:1]) else nodes for axis, nodes in grid.items()}
    return {"unpacked": fields, "separate": model.field_names, "grid": grid}


def _choose_for_members(model, members, n, chunk, mesh, ts, rtol, dtype, externals):
    """``method="auto"`` for an ensemble: every member's stiffness probe (batched like
    the solves, chunk by chunk), then one method for all
    (:func:`~modelc.solvers.stiffness.choose_for_members`)."""
    probe = _batched_probe(model, mesh, externals)
    t0, t1 = jnp.asarray(ts[0], dtype), jnp.asarray(ts[-1], dtype)
    radii = []
    for lo in range(0, n, chunk):
        hi = min(lo + chunk, n)
        yy, pp = _chunk(members, lo, hi, chunk, mesh)
        rho, rho_n = distributed.gather(probe(yy, pp, t0, t1))
        radii.append((np.asarray(rho)[:hi - lo], np.asarray(rho_n)[:hi - lo]))
    rho, rho_n = (np.concatenate(r) for r in zip(*radii))
    first = _member_problem(model, {k[1]: v[0] for k, v in members.items() if k[0] == "y"},
                            {k[1]: v[0] for k, v in members.items() if k[0] == "p"},
                            dtype, externals)
    return solvers.choose_for_members(rho, rho_n, ts[0], ts[-1], rtol, first.split,
                                      int(np.shape(first.y0)[0]))


def _chunk(members, lo, hi, chunk, mesh):
    """``(y0, params)`` of members ``lo:hi``, padded to ``chunk`` and sharded over ``mesh``."""
    part = distributed.shard_batch({k: _pad(v[lo:hi], chunk) for k, v in members.items()}, mesh)
    return ({k[1]: v for k, v in part.items() if k[0] == "y"},
            {k[1]: v for k, v in part.items() if k[0] == "p"})


def _member_problem(model, y0, params, dtype, externals):
    """One member as the solvers see it (:func:`modelc.array_model.problem`)."""
    p = model.module.parameter_vector(params).astype(dtype)
    return problem(model.module, p, y0, dict(externals or {}), model.split)


def _batched_probe(model, mesh, externals):
    """The stiffness probe of :mod:`modelc.solvers.stiffness` ``vmap``-ed over members
    and ``jit``-ted like the batched run: ``(rho, rho_N)`` per member."""
    def build():
        def single(y0, params, t0, t1):
            prob = _member_problem(model, y0, params, t0.dtype, externals)
            rhs, delays = prob.rhs, delay_spec(model.module)
            if delays is not None:  # delays: probed with the history before t0 (exact at t0)
                rhs = initial_history_rhs(rhs, prob.y0, delays.columns)
            return solvers.probe_spectra(rhs, model.jacobian, prob.split, t0, t1,
                                         prob.y0, prob.args)

        batched = jax.vmap(single, in_axes=(0, 0, None, None))
        return jax.jit(batched, out_shardings=distributed.batch_sharding(mesh))

    key = ("ensemble-probe", tuple(d.id for d in mesh.devices.flat))
    return model.runs.get(key, externals, build)


def _chunk_size(n, chunk_size, ndev, cpu=False):
    """Members per chunk: a multiple of the device count (padding fills the last chunk).

    ``chunk_size=None`` means all members at once, or on CPU devices (``cpu``)
    at most :data:`CPU_CHUNK` per device."""
    if chunk_size is None:
        chunk = min(n, CPU_CHUNK * ndev) if cpu else n
    else:
        chunk = max(1, min(int(chunk_size), n))
    return -(-chunk // ndev) * ndev


def _pad(x, size):
    """Pad the batch axis to ``size`` by repeating the last member (results dropped)."""
    if x.shape[0] == size:
        return x
    return np.concatenate([x, np.repeat(x[-1:], size - x.shape[0], axis=0)])


def _batched_run(model, opts, has_dt0, mesh, externals=None):
    """The model's run (`modelc.runs.run_function`) ``vmap``-ed over members and
    ``jit``-ted with the batch sharding; it returns ``(raw, observables)``, and for array
    and field models the unpacked states (with the grid) too."""
    key = ("ensemble", opts.method, opts.max_steps, has_dt0,
           tuple(d.id for d in mesh.devices.flat))
    unpack = model.is_array_model or model.is_field_model

    def build():
        run = run_function(model, opts, has_dt0, externals)

        def single(*args):  # array states and fields unpacked; nothing more for scalar models
            return run(*args) if unpack else run(*args)[:2]

        batched = jax.vmap(single, in_axes=(0, 0, None, None, None, None))
        return jax.jit(batched, out_shardings=distributed.batch_sharding(mesh))

    return model.runs.get(key, externals, build)


def _show(progress, n, chunk):
    if progress is None:
        return n > chunk and sys.stderr.isatty()
    return bool(progress)


def _progress(done, total, elapsed):
    """The progress line with the member rate and the time left."""
    rate = done / max(elapsed, 1e-9)
    eta = (total - done) / max(rate, 1e-9)
    draw_progress(done, total, f"members, {rate:,.0f}/s, {eta:,.0f} s left")
    if done >= total:
        sys.stderr.write("\n")
