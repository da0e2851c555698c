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
from dataclasses import replace
from functools import partial
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from . import solvers
from .array_model import check_array_y0, given_parameters, problem
from .errors import SolveError
from .options import SolveOptions, cast, check_output_times, model_values, prepare_solve
from .progress import time_progress
from .solution import COUNTERS
from .state_map import states_dict
from .solvers import cost
from .solvers.adjoint import BacksolveAdjoint

from .solvers.history import DEFAULT_CAPACITY, DelaySpec, History, initial_history_rhs
from .solvers.trial import decide_by_trial, uncertain

__all__ = ["RunCache", "run_function", "solver_function", "states_of", "choose_method",
           "bound_externals", "integrator", "DAE_CHOICE", "constraint_stats",
           "event_spec", "DEFAULT_MAX_EVENTS", "delay_spec"]

#: Fired events a solve records by default (``max_events``; more is a status).
DEFAULT_MAX_EVENTS = 1000


def event_spec(module, max_events: int = DEFAULT_MAX_EVENTS):
    """The `modelc.solvers.EventSpec` of a generated module with events, else None."""
    if not hasattr(module, "EVENT_NAMES"):
        return None
    functions = (module.event_crossings, module.event_conditions, module.event_assignments,
                 module.event_priorities, module.event_delays)
    if hasattr(module, "DELAY_COLUMNS"):  # a delay model: the loop passes DelayArgs
        columns = tuple(module.DELAY_COLUMNS)
        history = getattr(module, "EVENT_HISTORY", False)
        functions = tuple(_HistoryEventFunction(f, columns, history) for f in functions)
    return solvers.EventSpec(
        *functions, targets=module.EVENT_TARGETS,
        stop=module.EVENT_STOP, persistent=module.EVENT_PERSISTENT,
        trigger_values=module.EVENT_TRIGGER_VALUES, initial=module.EVENT_INITIAL,
        delayed=module.EVENT_DELAYED, names=module.EVENT_NAMES,
        strict=module.EVENT_CROSSING_STRICT, capacity=int(max_events))


class _HistoryEventFunction(NamedTuple):
    """An event function of a delay model as the loop calls it, ``f(t, y, DelayArgs)``:
    the generated one with the history (``reads``: it takes one) at its time."""

    function: Callable
    columns: tuple
    reads: bool

    def __call__(self, t, y, a):
        if not self.reads:
            return self.function(t, y, a.args)
        cols = jnp.asarray(self.columns, jnp.int32)
        return self.function(t, y, a.args, History(a.buffer, False, (t, y[cols])))


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
    ``unpack``, scalar states as columns (one `modelc.state_map.StateMap` output for many
    states, so the traced program's outputs do not grow with the model)."""
    if prob.unpack is not None:
        return prob.unpack(ys)
    if hasattr(module, "STATE_LAYOUT"):
        return jax.vmap(module.unpack, in_axes=(0, 0, None))(ts, ys, p)
    return states_dict(ys, tuple(module.STATE_NAMES))


def run_function(model, opts: SolveOptions, has_dt0: bool, externals: dict | None = None,
                 progress: bool = False, max_events: int = DEFAULT_MAX_EVENTS):
    """The jitted ``run(y0, params, ts, rtol, atol, dt0) -> (raw, observables, extra)``
    of ``model`` for ``opts`` (cached per model): ``extra`` is None for scalar models,
    the unpacked states for array models, ``(fields, grid)`` for field models. With
    ``progress`` the loop redraws a progress line (`modelc.progress.time_progress`)."""
    module, jacobian = model.module, model.jacobian
    field = model.is_field_model
    split = model.split_with(opts.phi)
    externals = dict(externals or {})
    method, max_steps, controller = opts.method, opts.max_steps, opts.controller
    events = event_spec(module, max_events)

    def run(y0, params, ts, rtol, atol, dt0):
        p = module.parameter_vector(params).astype(ts.dtype)
        prob = problem(module, p, y0, externals, split)
        raw = integrator(module)(prob.rhs, prob.y0, ts, prob.args, method=method, rtol=rtol,
                                atol=atol, dt0=dt0, max_steps=max_steps, jac=jacobian,
                                controller=controller, split=prob.split,
                                progress=time_progress if progress else None, events=events,
                                delays=delay_spec(module, opts.history_capacity, observed=True))
        obs = raw.observed  # delays in observables: evaluated in the loop, from the history
        if obs is None:
            obs = jax.vmap(prob.observables, in_axes=(0, 0, None))(raw.ts, raw.ys, prob.args)
        extra = None
        if prob.unpack is not None or field:
            extra = states_of(module, prob, raw.ts, raw.ys, p)
            extra = (extra, module.grid(p)) if field else extra
        return raw, obs, extra

    key = (method, max_steps, has_dt0, controller, opts.phi, progress, max_events,
           opts.history_capacity)
    return model.runs.get(key, externals,
                          lambda: _exported_or_jit(model, key, jax.jit(run), bool(externals)))


def _exported_or_jit(model, key: tuple, jitted, closes_over_externals: bool):
    """``jitted``, or -- with the persistent cache on, and no externals, progress callback
    or controller object in ``key`` -- an `modelc.exported.ExportedRun` of it, so that a
    later process runs it without tracing the model again (issue 16, warm starts)."""
    from . import xla_cache

    controller, progress = (None, False) if key[0] == "auto-probe" else (key[3], key[5])
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


def solver_function(model, opts: SolveOptions, bound, full_output: bool, adjoint=None,
                    max_events: int = DEFAULT_MAX_EVENTS):
    """The pure ``f(y0, params, ts, externals=None)`` of `CompiledModel.solver`; with
    ``full_output`` its ``info`` also holds, for a model with events, ``event_times``,
    ``event_index`` (fixed capacity ``max_events``, unused entries NaN and -1) and
    ``event_count``."""
    module, jacobian = model.module, model.jacobian
    if getattr(module, "ALGEBRAIC_STATES", ()) and isinstance(adjoint, BacksolveAdjoint):
        raise SolveError(f"model {model.name!r} has numerically solved constraints (a DAE): "
                         "BacksolveAdjoint integrates the adjoint of an ODE backwards and does not "
                         "apply; use CheckpointAdjoint or ForwardAdjoint (or the default)")
    events = event_spec(module, max_events)
    split = model.split_with(opts.phi)

    def solve(y0, params, ts, externals=None):
        ext = bound_externals(model, externals, bound)
        params, y0 = model_values(model, params, y0, shapes=False)
        check_array_y0(module, model.name, y0)
        check_output_times(ts)
        p = module.parameter_vector(params)
        prob = problem(module, p, y0, ext, split)
        given, prepare = given_parameters(module, params, prob.args)
        raw = integrator(module)(prob.rhs, prob.y0, ts, given, method=opts.method, rtol=opts.rtol,
                                atol=opts.atol, dt0=_step(opts, ts),
                                max_steps=opts.max_steps, jac=jacobian,
                                controller=opts.controller, split=prob.split, adjoint=adjoint,
                                prepare=prepare, events=events,
                                delays=delay_spec(module, opts.history_capacity))
        states = states_of(module, prob, raw.ts, raw.ys, p)
        if full_output:
            info = {k: getattr(raw, k) for k in COUNTERS + ("status",)}
            if events is not None:
                info.update(event_times=raw.event_times, event_index=raw.event_index,
                            event_count=raw.event_count)
            return states, info
        return states

    return solve


def _step(opts: SolveOptions, ts):
    """The loop's ``dt0`` for output times ``ts`` (traced or not)."""
    return opts.step(jnp.abs(ts[-1] - ts[0])) if opts.needs_span else opts.dt0


def integrator(module):
    """`modelc.solvers.integrate`, or for a module with ``ALGEBRAIC_STATES`` (a DAE, its
    constraints solved numerically) `modelc.solvers.integrate_dae` on their rows."""
    algebraic = getattr(module, "ALGEBRAIC_STATES", ())
    if not algebraic:
        return solvers.integrate
    rows = tuple(module.STATE_NAMES.index(name) for name in algebraic)
    return partial(solvers.integrate_dae, algebraic=rows)


def constraint_stats(module, method: str) -> dict:
    """``{"constraints": {state: how}}`` for a model with constraints (else empty): "eliminated
    symbolically" or "solved numerically (<method>, mass matrix)" per constrained state."""
    paths = getattr(module, "CONSTRAINT_PATHS", ())
    if not paths:
        return {}
    how = {"symbolic": "eliminated symbolically",
           "numerical": f"solved numerically ({method}, mass matrix)"}
    return {"constraints": {state: how[path] for state, path in paths}}


DAE_CHOICE = ("the model's constraints are solved numerically (a differential-algebraic system, "
              "index 1): rodas5 with the mass matrix")
"""``method="auto"``'s reason for a DAE."""


def choose_method(model, ts, params, y0, rtol, dtype, externals=None, trial=None,
                  exponential: bool = True):
    """``method="auto"``: an explicit, a stiff or an exponential method, and why
    (`modelc.solvers.choose_method`). The stiffness probe is one jitted function of
    the values, stored like the solve (`_exported_or_jit`), so a warm process does not
    trace the model for it either. A DAE gets rodas5 without probing (`DAE_CHOICE`).
    With ``trial`` (`trial_runner`), an uncertain prediction is settled by a short
    trial of the close candidates (`modelc.solvers.trial`). ``exponential=False`` leaves
    the exponential candidate out (`modelc.BacksolveAdjoint` does not integrate a split
    exponential method backwards; the discrete and forward adjoints run through all)."""
    if getattr(model.module, "ALGEBRAIC_STATES", ()):
        return "rodas5", DAE_CHOICE
    key = _choice_key(model, ts, params, y0, rtol, dtype, externals,
                      (trial is not None, exponential))
    if key is not None:   # the same inputs in a later process: the stored choice, no probe
        from .exported import remembered_value

        method, reason = remembered_value(key, lambda: list(
            _probe_and_choose(model, ts, params, y0, rtol, dtype, externals, trial, exponential)))
        return method, reason
    return _probe_and_choose(model, ts, params, y0, rtol, dtype, externals, trial, exponential)


def _choice_key(model, ts, params, y0, rtol, dtype, externals, flags) -> str | None:
    """The key of ``auto``'s choice for these concrete inputs (model, span, values, rtol,
    dtype, ``flags``: whether a trial may decide and an exponential method may be
    chosen), or None when it is not stored: the persistent
    cache off, externals, traced values."""
    from . import xla_cache

    source_hash = getattr(model.module, "SOURCE_HASH", None)
    if externals or not xla_cache.active() or source_hash is None:
        return None
    leaves = jax.tree_util.tree_leaves((ts[0], ts[-1], params, y0, rtol))
    if any(isinstance(x, jax.core.Tracer) for x in leaves):
        return None
    import hashlib

    import numpy as np

    digest = hashlib.sha256(f"{source_hash};auto-choice;{jnp.dtype(dtype)};flags={flags}".encode())
    for group in ((ts[0], ts[-1], rtol), params, y0):
        items = sorted(group.items()) if isinstance(group, dict) else enumerate(group)
        for name, value in items:
            value = np.asarray(value)
            digest.update(f"|{name}:{value.dtype}:{value.shape}:".encode() + value.tobytes())
    return digest.hexdigest()


def _probe_and_choose(model, ts, params, y0, rtol, dtype, externals, trial, exponential=True):
    """`choose_method` without the stored choice: probe the spectra, predict the work."""
    externals = dict(externals or {})
    module, jacobian, split = model.module, model.jacobian, model.split

    def spectra(params, y0, t0, t1):
        p = module.parameter_vector(params).astype(dtype)
        prob = problem(module, p, y0, externals, split)
        rhs, delays = prob.rhs, delay_spec(module)
        if delays is not None:  # delays: probed with the history before t0 (exact at t0)
            rhs = initial_history_rhs(rhs, prob.y0, delays.columns)
        return solvers.probe_spectra(rhs, jacobian, prob.split, t0, t1, prob.y0, prob.args)

    key = ("auto-probe", str(jnp.dtype(dtype)))
    probe = model.runs.get(key, externals, lambda: _exported_or_jit(
        model, key, jax.jit(spectra), bool(externals)))
    params, y0 = cast(params, dtype), cast(y0, dtype)
    prob = problem(module, module.parameter_vector(params).astype(dtype), y0, externals, split)
    found = probe(params, y0, ts[0], ts[-1])
    rhs, delays = prob.rhs, delay_spec(module)
    if delays is not None:
        rhs = initial_history_rhs(rhs, prob.y0, delays.columns)
    def measure():  # the work per step: XLA's cost analysis of the model's functions (shapes only)
        return cost.measure_work(rhs, jacobian, prob.split, jnp.asarray(ts[0], dtype), prob.y0,
                                 prob.args)

    work = model.runs.get(("auto-work", str(jnp.dtype(dtype))), externals,
                          lambda: _remembered_work(model, dtype, externals, measure))
    span, n = (ts[0], ts[-1]), int(jnp.size(prob.y0))
    # etdrk43 is the exponential candidate; its estimate does not see an explicit t (options)
    split = prob.split if exponential and not getattr(module, "EXPLICIT_TIME", False) else None
    name, reason = solvers.choose_from_spectra(found, span, rtol, split, n, work=work)
    if trial is None:
        return name, reason
    close, fraction = uncertain(found, span, rtol, split, n, work)
    if len(close) < 2:
        return name, reason
    name, sentence = decide_by_trial(close, fraction, work, trial)
    return name, f"{reason}; {sentence}"


def trial_runner(model, opts: SolveOptions, ts, params, y0, externals=None,
                 max_events: int = DEFAULT_MAX_EVENTS):
    """``run(method, fraction) -> counters and ok`` for `choose_method`'s trial: the
    model's ordinary jitted run (`run_function`, the same compiled program the solve
    then uses) with ``method``, over output times ``ts`` scaled towards ``ts[0]`` by
    ``fraction`` (the same shape, so nothing is compiled again for the real solve)."""
    ts = np.asarray(ts, dtype=float)

    def run(method, fraction):
        o = replace(opts, method=method)
        dt0 = o.step(abs(ts[-1] - ts[0]) * fraction)
        scaled = jnp.asarray(ts[0] + (ts - ts[0]) * fraction, o.dtype)
        raw, _, _ = run_function(model, o, dt0 is not None, externals, max_events=max_events)(
            cast(y0, o.dtype), cast(params, o.dtype), scaled, o.rtol, o.atol, dt0)
        status = solvers.Status(int(raw.status))
        return {**{k: int(getattr(raw, k)) for k in COUNTERS},
                "ok": status in (solvers.Status.SUCCESS, solvers.Status.STOPPED)}

    return run


def choose_once(model, rtol: float, bound=None, exponential: bool = True) -> tuple[str, str]:
    """``method="auto"`` for `CompiledModel.solver`: chosen once, when the function is
    built (outside any ``jit``), for the file's span, parameters and initial state at
    ``rtol``, by `choose_method`. A model that cannot be probed then (an array state
    whose value only ``y0`` gives, externals bound only at call time) gets tsit5, and
    the reason says so. ``exponential=False``: for `modelc.BacksolveAdjoint` (`choose_method`)."""
    if model.external_names and bound is None:
        return "tsit5", "tsit5: no externals bound when the solver was built, so auto could not probe"
    try:
        opts, (ts, _), params, y0 = prepare_solve(model, method="auto", rtol=rtol)
        return choose_method(model, ts, params, y0, opts.rtol, opts.dtype, bound,
                             exponential=exponential)
    except SolveError as exc:
        return "tsit5", f"tsit5: auto could not probe the file's problem ({exc})"


def delay_spec(module, capacity: int | None = None, observed: bool = False):
    """The `modelc.solvers.history.DelaySpec` of a generated module with delays
    (``DELAY_COLUMNS``, ``DELAY_CONSTANT``, ``delay_lags``), else None; ``observed``:
    a module whose observables read the history (``OBSERVABLES_HISTORY``) has the loop
    evaluate them at the output times."""
    if not hasattr(module, "DELAY_COLUMNS"):
        return None
    obs = module.observables if observed and getattr(module, "OBSERVABLES_HISTORY", False) else None
    return DelaySpec(module.delay_lags, tuple(module.DELAY_CONSTANT), tuple(module.DELAY_COLUMNS),
                     capacity or DEFAULT_CAPACITY, obs)


def _remembered_work(model, dtype, externals, measure):
    """``measure()``, or with the persistent cache on (and no externals) the same numbers
    stored by an earlier process (`modelc.exported.remembered_numbers`), so that a warm
    process does not trace the model to predict auto's work."""
    from . import xla_cache

    source_hash = getattr(model.module, "SOURCE_HASH", None)
    if externals or not xla_cache.active() or source_hash is None:
        return measure()
    from .exported import remembered_numbers

    numbers = remembered_numbers(f"{source_hash};auto-work;{jnp.dtype(dtype)}",
                                 lambda: list(measure()))
    return cost.Work(*numbers[:-1], int(numbers[-1]))
