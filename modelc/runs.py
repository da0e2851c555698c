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
from .solvers.history import DEFAULT_CAPACITY, DelaySpec, initial_history_rhs

__all__ = ["RunCache", "run_function", "solver_function", "states_of", "choose_method",
           "bound_externals", "delay_spec"]


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
                                progress=time_progress if progress else None,
                                delays=delay_spec(module, opts.history_capacity))
        obs = jax.vmap(prob.observables, in_axes=(0, 0, None))(raw.ts, raw.ys, prob.args)
        extra = None
        if prob.unpack is not None or field:
            extra = states_of(module, prob, raw.ts, raw.ys, p)
            extra = (extra, module.grid(p)) if field else extra
        return raw, obs, extra

    key = (method, max_steps, has_dt0, controller, opts.phi, progress, opts.history_capacity)
    return model.runs.get(key, externals, lambda: jax.jit(run))


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
                                prepare=prepare, delays=delay_spec(module, opts.history_capacity))
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
    (`modelc.solvers.choose_method`)."""
    p = model.module.parameter_vector(cast(params, dtype)).astype(dtype)
    prob = problem(model.module, p, cast(y0, dtype), dict(externals or {}), model.split)
    rhs, delays = prob.rhs, delay_spec(model.module)
    if delays is not None:  # delays: probed with the history before t0 (exact at t0)
        rhs = initial_history_rhs(rhs, prob.y0, delays.columns)
    return solvers.choose_method(rhs, model.jacobian, (ts[0], ts[-1]), prob.y0, prob.args,
                                 rtol, split=prob.split)


def delay_spec(module, capacity: int | None = None):
    """The `modelc.solvers.history.DelaySpec` of a generated module with delays
    (``DELAY_COLUMNS``, ``DELAY_CONSTANT``, ``delay_lags``), else None."""
    if not hasattr(module, "DELAY_COLUMNS"):
        return None
    return DelaySpec(module.delay_lags, tuple(module.DELAY_CONSTANT), tuple(module.DELAY_COLUMNS),
                     capacity or DEFAULT_CAPACITY)
