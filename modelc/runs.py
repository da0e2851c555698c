"""Compiled runs of a model: the jitted solve, the pure `solver` function, ``auto``.

`run_function` is the one jitted solve that `CompiledModel.solve`,
`modelc.ensemble` (``vmap``-ed) and `modelc.fit` (differentiated) share;
`solver_function` is the pure function `CompiledModel.solver` returns;
`states_of` unpacks the flat state by model kind (scalar columns, array
states, fields on their grid). Each model keeps its jitted functions in a
`RunCache`.
"""

from __future__ import annotations

from collections import OrderedDict

import jax
import jax.numpy as jnp

from . import solvers
from .array_model import check_array_y0, given_parameters, problem
from .options import SolveOptions, cast, check_output_times, model_values
from .progress import time_progress
from .solution import COUNTERS

__all__ = ["RunCache", "run_function", "solver_function", "states_of", "choose_method",
           "bound_externals"]


class RunCache:
    """A model's jitted functions by key; keys with bound externals live in a bounded LRU
    of ``size`` entries (a fresh callable per call must not grow memory without bound)."""

    def __init__(self, size: int):
        self.size = size
        self.plain: dict = {}
        self.with_externals: OrderedDict = OrderedDict()

    def get(self, key, externals: dict, build):
        """The function stored under ``key`` (and ``externals``), built by ``build()`` once."""
        if not externals:
            if key not in self.plain:
                self.plain[key] = build()
            return self.plain[key]
        key = key + (tuple(sorted(externals.items(), key=lambda kv: kv[0])),)
        cache = self.with_externals
        if key in cache:
            cache.move_to_end(key)
        else:
            cache[key] = build()
            while len(cache) > self.size:
                cache.popitem(last=False)
        return cache[key]


def states_of(module, prob, ts, ys, p) -> dict:
    """Every state by name from the loop's flat states ``ys`` (traced): array states
    through the problem's unpacking, fields on their grid through the generated
    ``unpack``, scalar states as columns."""
    if prob.unpack is not None:
        return prob.unpack(ys)
    if hasattr(module, "STATE_LAYOUT"):
        return jax.vmap(module.unpack, in_axes=(0, 0, None))(ts, ys, p)
    return {name: ys[:, i] for i, name in enumerate(module.STATE_NAMES)}


def run_function(model, opts: SolveOptions, has_dt0: bool, externals: dict | None = None,
                 progress: bool = False):
    """The jitted ``run(y0, params, ts, rtol, atol, dt0) -> (raw, observables, extra)``
    of ``model`` for ``opts`` (cached per model): ``extra`` is None for scalar models,
    the unpacked states for array models, ``(fields, grid)`` for field models. With
    ``progress`` the loop redraws a progress line (`modelc.progress.time_progress`)."""
    module, jacobian = model.module, model.jacobian
    field = model.is_field_model
    split = model.split_with(opts.phi)
    externals = dict(externals or {})
    method, max_steps, controller = opts.method, opts.max_steps, opts.controller

    def run(y0, params, ts, rtol, atol, dt0):
        p = module.parameter_vector(params).astype(ts.dtype)
        prob = problem(module, p, y0, externals, split)
        raw = solvers.integrate(prob.rhs, prob.y0, ts, prob.args, method=method, rtol=rtol,
                                atol=atol, dt0=dt0, max_steps=max_steps, jac=jacobian,
                                controller=controller, split=prob.split,
                                progress=time_progress if progress else None)
        obs = jax.vmap(prob.observables, in_axes=(0, 0, None))(raw.ts, raw.ys, prob.args)
        extra = None
        if prob.unpack is not None or field:
            extra = states_of(module, prob, raw.ts, raw.ys, p)
            extra = (extra, module.grid(p)) if field else extra
        return raw, obs, extra

    key = (method, max_steps, has_dt0, controller, opts.phi, progress)
    return model.runs.get(key, externals,
                          lambda: _exported_or_jit(model, key, jax.jit(run), bool(externals)))


def _exported_or_jit(model, key: tuple, jitted, closes_over_externals: bool):
    """``jitted``, or -- with the persistent cache on, and no externals, progress callback
    or controller object in ``key`` -- an `modelc.exported.ExportedRun` of it, so that a
    later process runs it without tracing the model again (issue 16, warm starts)."""
    from . import xla_cache

    controller, progress = (key[3], key[5]) if len(key) == 6 else (None, False)
    source_hash = getattr(model.module, "SOURCE_HASH", None)
    if (progress or closes_over_externals or not xla_cache.active() or source_hash is None
            or not isinstance(controller, (str, type(None)))):
        return jitted
    from .exported import ExportedRun

    return ExportedRun(jitted, f"{source_hash};{key!r}")


def bound_externals(model, given, bound) -> dict:
    """The externals of one call of a `solver` function: those given to the call, else
    those bound by `solver` (checked either way)."""
    if given is not None:
        return model.check_externals(given)
    return bound if bound is not None else model.check_externals(None)


def solver_function(model, opts: SolveOptions, bound, full_output: bool, adjoint=None):
    """The pure ``f(y0, params, ts, externals=None)`` of `CompiledModel.solver`."""
    module, jacobian = model.module, model.jacobian
    split = model.split_with(opts.phi)

    def solve(y0, params, ts, externals=None):
        ext = bound_externals(model, externals, bound)
        params, y0 = model_values(model, params, y0, shapes=False)
        check_array_y0(module, model.name, y0)
        check_output_times(ts)
        p = module.parameter_vector(params)
        prob = problem(module, p, y0, ext, split)
        given, prepare = given_parameters(module, params, prob.args)
        raw = solvers.integrate(prob.rhs, prob.y0, ts, given, method=opts.method, rtol=opts.rtol,
                                atol=opts.atol, dt0=_step(opts, ts),
                                max_steps=opts.max_steps, jac=jacobian,
                                controller=opts.controller, split=prob.split, adjoint=adjoint,
                                prepare=prepare)
        states = states_of(module, prob, raw.ts, raw.ys, p)
        if full_output:
            return states, {k: getattr(raw, k) for k in COUNTERS + ("status",)}
        return states

    return solve


def _step(opts: SolveOptions, ts):
    """The loop's ``dt0`` for output times ``ts`` (traced or not)."""
    return opts.step(jnp.abs(ts[-1] - ts[0])) if opts.needs_span else opts.dt0


def choose_method(model, ts, params, y0, rtol, dtype, externals=None):
    """``method="auto"``: an explicit, a stiff or an exponential method, and why
    (`modelc.solvers.choose_method`). The stiffness probe is one jitted function of
    the values, stored like the solve (`_exported_or_jit`), so a warm process does not
    trace the model for it either."""
    externals = dict(externals or {})
    module, jacobian, split = model.module, model.jacobian, model.split

    def spectra(params, y0, t0, t1):
        p = module.parameter_vector(params).astype(dtype)
        prob = problem(module, p, y0, externals, split)
        return solvers.probe_spectra(prob.rhs, jacobian, prob.split, t0, t1, prob.y0, prob.args)

    key = ("auto-probe", str(jnp.dtype(dtype)))
    probe = model.runs.get(key, externals, lambda: _exported_or_jit(
        model, key, jax.jit(spectra), bool(externals)))
    params, y0 = cast(params, dtype), cast(y0, dtype)
    prob = problem(module, module.parameter_vector(params).astype(dtype), y0, externals, split)
    found = probe(params, y0, ts[0], ts[-1])
    return solvers.choose_from_spectra(found, (ts[0], ts[-1]), rtol, prob.split,
                                       int(jnp.size(prob.y0)))
