"""Diffusion samplers (DDIM, DPM-Solver) as methods of `CompiledModel.solve` and `solver`.

The numerics are in `modelc.array_model.sample_problem` and
`modelc.solvers.diffusion`; this module reads the options (``steps``,
``schedule``, ``dt0``), compiles the run once per method, number of steps,
schedule kind and set of bound externals, and packs the `Solution`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from . import solvers
from .array_model import SCHEDULES, check_array_y0, check_sampler, problem, sample_problem
from .errors import SolveError
from .options import (cast, check_output_times, fixed_step_request, model_values,
                      resolve_dtype, time_span)
from .runs import bound_externals, states_of
from .solution import Solution

__all__ = ["solve_with_sampler", "sampler_solver", "DEFAULT_SAMPLER_STEPS"]

DEFAULT_SAMPLER_STEPS = 20


def solve_with_sampler(model, t, saveat, method, params, y0, dtype, externals, steps, schedule, dt0,
                       statistics=None):
    """`CompiledModel.solve` with a diffusion sampler (`modelc.array_model.sample_problem`);
    ``externals`` already checked; ``statistics`` for dpm_solver_v3 only."""
    _check_statistics(method, statistics)
    if method == "dpm_solver_v3":
        from .ems import solve_v3
        steps = DEFAULT_SAMPLER_STEPS if steps is None else steps
        return solve_v3(model, t, saveat, params, y0, resolve_dtype(dtype), externals, steps,
                        schedule, dt0, statistics)
    if method == "searched":
        from .searched_schedule import solve_searched
        return solve_searched(model, t, saveat, params, y0, resolve_dtype(dtype), externals, steps,
                              schedule, dt0)
    check_sampler(model.module, model.name, method)
    if saveat is not None:
        raise SolveError(f"method {method!r} outputs at its step times: give steps= and "
                         "schedule= (or schedule=<array of times>) instead of saveat")
    dtype = resolve_dtype(dtype)
    spacing, steps, (t0, t1) = _sampler_grid(model, t, steps, schedule, dt0)
    params, y0 = model_values(model, params, y0)
    check_array_y0(model.module, model.name, y0)
    run = _sampler_function(model, method, steps, isinstance(spacing, str) and spacing, externals)
    grid = jnp.asarray(spacing if not isinstance(spacing, str) else [t0, t1], dtype)
    ts, ys, nfe, unpacked = run(cast(y0, dtype), cast(params, dtype), grid)
    n = int(ts.shape[0])
    raw = solvers.RawSolution(ts=ts, ys=ys, status=0, nfe=nfe, steps=n - 1, accepted=n - 1,
                              rejected=0)
    return Solution.from_raw(raw, state_names=model.state_names, method=method,
                             unpacked=unpacked, separate=model.array_state_names)


def _sampler_grid(model, t, steps, schedule, dt0):
    """``(spacing, steps, (t0, t1))`` of a sampler: spacing "time"/"logsnr" or an array."""
    if schedule is not None and not isinstance(schedule, str):
        if steps is not None:
            raise SolveError("schedule=<array> gives the step times (at least two, t0 first); "
                             "do not also give steps")
        grid = check_output_times(schedule, "schedule")
        if grid.size < 2:
            raise SolveError("schedule=<array> gives the step times (at least two, t0 first); "
                             "do not also give steps")
        return grid, grid.size - 1, (grid[0], grid[-1])
    spacing = schedule or "logsnr"
    if spacing not in SCHEDULES:
        raise SolveError(f"schedule={spacing!r}; choose 'time', 'logsnr' or an array of times")
    sim = model.simulate_defaults
    if t is None and "t0" in sim:
        t = (sim["t0"], sim["t1"])
    if t is None:
        raise SolveError(f"model {model.name!r} has no time span: pass t=(t0, t1)")
    t0, t1 = time_span(t)
    steps, dt0 = fixed_step_request(steps, dt0)
    if dt0 is not None:
        steps, spacing = max(1, int(np.ceil(abs(t1 - t0) / dt0 - 1e-9))), "time"
    steps = DEFAULT_SAMPLER_STEPS if steps is None else steps
    return spacing, steps, (t0, t1)


def _sampler_function(model, method, steps, spacing, externals):
    """The jitted sampler run ``(y0, params, grid) -> (ts, ys, nfe, unpacked)``."""
    module = model.module

    def run(y0, params, grid):
        p = module.parameter_vector(params).astype(grid.dtype)
        prob = problem(module, p, y0, externals, None)
        ts, ys, nfe = sample_problem(module, prob, p, grid[0], grid[-1], method, steps,
                                     spacing or grid)
        return ts, ys, nfe, (prob.unpack(ys) if prob.unpack else None)

    return model.runs.get(("sample", method, steps, spacing), externals, lambda: jax.jit(run))


def _check_statistics(method, statistics):
    """``statistics=`` belongs to dpm_solver_v3, which needs it."""
    if method == "dpm_solver_v3" and statistics is None:
        raise SolveError("method 'dpm_solver_v3' needs statistics=: estimate them with "
                         "modelc.ems.estimate_model_statistics(model, eps) (or give the path "
                         "of saved ones)")
    if method != "dpm_solver_v3" and statistics is not None:
        raise SolveError(f"statistics= is for method 'dpm_solver_v3', not {method!r}")


def sampler_solver(model, method, steps, schedule, bound, full_output, statistics=None):
    """`CompiledModel.solver` for a diffusion sampler (see its docstring)."""
    _check_statistics(method, statistics)
    if method == "dpm_solver_v3":
        from .ems import v3_solver
        steps = DEFAULT_SAMPLER_STEPS if steps is None else steps
        return v3_solver(model, steps, schedule, statistics, bound, full_output)
    if method == "searched":
        from .searched_schedule import searched_solver
        return searched_solver(model, steps, schedule, bound, full_output)
    check_sampler(model.module, model.name, method)
    module = model.module
    spacing = "logsnr" if schedule is None else schedule
    if not isinstance(spacing, str) or spacing not in SCHEDULES + ("given",):
        raise SolveError(f"schedule={spacing!r}; choose 'time', 'logsnr' or 'given' (ts itself)")
    steps, _ = fixed_step_request(steps, None)
    steps = DEFAULT_SAMPLER_STEPS if steps is None else steps

    def solve(y0, params, ts, externals=None):
        ext = bound_externals(model, externals, bound)
        params, y0 = model_values(model, params, y0, shapes=False)
        check_array_y0(module, model.name, y0)
        p = module.parameter_vector(params)
        prob = problem(module, p, y0, ext, None)
        ts = jnp.asarray(ts)
        grid = ts if spacing == "given" else spacing
        ts_out, ys, nfe = sample_problem(module, prob, p, ts[0], ts[-1], method, steps, grid)
        states = states_of(module, prob, ts_out, ys, p)
        if full_output:
            return states, {"ts": ts_out, "nfe": nfe, "status": jnp.asarray(0)}
        return states

    return solve
