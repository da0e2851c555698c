"""DPM-Solver-v3's empirical model statistics (EMS) for a diffusion model file, and
``method="dpm_solver_v3"``.

:func:`estimate_model_statistics` runs the model's probability-flow ODE (tsit5
at ``rtol = atol = 1e-8``) from ``n_samples`` noise samples, keeps the samples
at ``grid + 1`` times uniform in log-SNR, and estimates ``l``, ``s`` and ``b``
there (`modelc.solvers.dpm_v3.estimate_statistics`). The result, a
:class:`ModelStatistics`, saves to ``.npz`` (no pickles) and reloads bit for
bit; ``m.solve(method="dpm_solver_v3", statistics=..., steps=N)`` and
``m.solver(method="dpm_solver_v3", statistics=...)`` sample with it (step
times uniform in log-SNR, or in ``t`` with ``schedule="time"``, snapped to the
statistics grid). Statistics that do not fit the solve (another span, another
noise schedule, another sample size, more steps than grid intervals) are
refused with a `SolveError` that says why.

The model must have one array state whose leading axis holds the samples (``state
x: array``, ``y0={"x": noise}`` of shape ``(n, ...)``); the statistics are per
dimension of one sample and shared by all samples.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from .errors import SolveError
from .solvers.dpm_v3 import (Statistics, V3Options, estimate_statistics, step_indexes,
                             v3_trajectory)

__all__ = ["ModelStatistics", "estimate_model_statistics", "load_statistics", "solve_v3",
           "v3_solver", "DEFAULT_ORDER", "FORMAT"]

FORMAT = "modelc-model-statistics"
DEFAULT_ORDER = 2
"""The predictor order of ``method="dpm_solver_v3"`` (the corrector adds one)."""
TRAJECTORY_TOL = 1e-8
"""rtol and atol of the tsit5 trajectories the statistics are estimated on."""


@dataclass(frozen=True)
class ModelStatistics:
    """The empirical model statistics of one model on one span (NumPy arrays).

    Attributes:
        t: ``(K + 1,)`` grid times from the start (noise) to the end (data).
        lam: ``(K + 1,)`` the half log-SNR at ``t`` (uniformly spaced).
        l, s, b: ``(K + 1, D)`` the coefficients (``D``: the size of one sample).
        info: what they were estimated on (model, samples, cost), JSON-serialisable.
    """

    t: np.ndarray
    lam: np.ndarray
    l: np.ndarray  # noqa: E741 (the paper's name)
    s: np.ndarray
    b: np.ndarray
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        problems = _problems(self)
        if problems:
            raise SolveError("not valid model statistics: " + "; ".join(problems))

    @property
    def statistics(self) -> Statistics:
        """The arrays as the sampler's `~modelc.solvers.dpm_v3.Statistics`."""
        return Statistics(np.asarray(self.t, float), np.asarray(self.lam, float),
                          np.asarray(self.l, float), np.asarray(self.s, float),
                          np.asarray(self.b, float))

    @property
    def dims(self) -> int:
        """``D``, the size of one sample."""
        return int(np.shape(self.l)[1])

    def digest(self) -> str:
        """A hash of the arrays (the key of compiled runs)."""
        h = hashlib.sha256()
        for a in self.statistics:
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()[:16]

    def save(self, path) -> Path:
        """Write a ``.npz`` file (arrays and ``info`` as JSON; reloads bit for bit)."""
        path = Path(path)
        if path.suffix != ".npz":
            raise SolveError(f"statistics file {str(path)!r}: use a .npz name")
        with open(path, "wb") as fh:
            np.savez(fh, format=np.asarray(FORMAT), t=self.t, lam=self.lam, l=self.l, s=self.s,
                     b=self.b, info=np.asarray(json.dumps(self.info)))
        return path


def _problems(st) -> list[str]:
    """What is wrong with the arrays of a `ModelStatistics`."""
    t, lam = np.asarray(st.t), np.asarray(st.lam)
    if t.ndim != 1 or t.size < 3 or lam.shape != t.shape:
        return ["t and lam must be vectors of the same length, at least 3"]
    out = []
    for name in ("l", "s", "b"):
        a = np.asarray(getattr(st, name))
        if a.ndim != 2 or a.shape[0] != t.size or a.shape[1] < 1:
            out.append(f"{name} has shape {a.shape}; expected ({t.size}, D)")
        elif not np.all(np.isfinite(a)):
            out.append(f"{name} is not finite")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(lam))):
        out.append("t and lam must be finite")
    elif len({np.asarray(getattr(st, n)).shape for n in ("l", "s", "b")}) == 1:
        dl = np.diff(lam)
        if not (np.all(dl > 0) and np.allclose(dl, dl[0], rtol=1e-6, atol=0.0)):
            out.append("lam must increase uniformly (a grid uniform in log-SNR)")
        if not (np.all(np.diff(t) < 0) or np.all(np.diff(t) > 0)):
            out.append("t must be strictly monotone")
    return out


def load_statistics(path) -> ModelStatistics:
    """Read a file written by `ModelStatistics.save` (`SolveError` if it is not one)."""
    path = Path(path)
    if not path.is_file():
        raise SolveError(f"statistics file {str(path)!r} does not exist")
    try:
        with np.load(path, allow_pickle=False) as z:
            if "format" not in z or str(z["format"]) != FORMAT:
                raise SolveError(f"statistics {str(path)!r}: not a {FORMAT} file")
            arrays = {k: z[k] for k in ("t", "lam", "l", "s", "b")}
            info = json.loads(str(z["info"]))
    except (KeyError, TypeError, ValueError, OSError) as exc:
        raise SolveError(f"statistics {str(path)!r} are malformed: {exc}") from exc
    return ModelStatistics(**arrays, info=info)


def _resolve(statistics) -> ModelStatistics:
    if isinstance(statistics, (str, Path)):
        return load_statistics(statistics)
    if not isinstance(statistics, ModelStatistics):
        raise SolveError("method 'dpm_solver_v3' needs statistics= a ModelStatistics or the "
                         "path of one saved by modelc.ems.estimate_model_statistics (got "
                         f"{type(statistics).__name__})")
    return statistics


def _one_array_state(model):
    names = model.array_state_names
    if len(names) != 1 or len(model.state_names) != 1:
        raise SolveError(f"model {model.name!r}: DPM-Solver-v3's statistics need exactly one "
                         "state, an array whose leading axis holds the samples (state x: array)")
    return names[0]


def _sampler_parts(model, params: dict, y0: dict, externals, t0, t1):
    """``(eps, schedule, x, unpack)`` of the model (`modelc.searched_schedule.model_sampler`)
    for resolved ``params`` (all of them, by name)."""
    from .searched_schedule import model_sampler

    p = model.module.parameter_vector(params)
    return model_sampler(model.module, p, y0, externals, t0, t1)


def estimate_model_statistics(model, eps, n_samples: int = 256, *, y0: dict | None = None,
                              sample_shape=None, t=None, params=None, grid: int = 200,
                              seed: int = 0, probes: int | None = None) -> ModelStatistics:
    """Estimate DPM-Solver-v3's statistics of ``model`` with the noise prediction ``eps``.

    Args:
        model: a compiled diffusion model (`modelc.load`) with ``external eps`` and one
            array state (the samples along its leading axis).
        eps: the model's ``eps`` external (a JAX callable ``eps(x, t)``).
        n_samples: noise samples (standard normal, ``seed``) when ``y0`` is not given.
        y0: the start samples, e.g. ``{"x": noise}`` (instead of ``n_samples``).
        sample_shape: the shape of one sample (needed without ``y0``), e.g. ``(2,)``.
        t: ``(t0, t1)``, default the file's ``simulate t``.
        params: parameter values by name (defaults from the file).
        grid: intervals of the statistics grid (uniform in log-SNR); a solve may take
            at most ``grid`` steps.
        probes: Rademacher probes for ``diag(grad eps)`` (default: exact, one JVP per
            dimension of a sample).

    Returns:
        The `ModelStatistics`; ``info`` holds the samples, the grid and the cost
        (evaluations of ``eps`` per sample: trajectory and statistics; seconds).
    """
    from .array_model import check_sampler
    from .options import model_values

    check_sampler(model.module, model.name, "dpm_solver_v3")
    name = _one_array_state(model)
    externals = model.check_externals({"eps": eps})
    if int(grid) < 2:
        raise SolveError(f"grid must be at least 2 intervals, got {grid}")
    if y0 is None:
        if sample_shape is None:
            raise SolveError("give y0={name: noise} or sample_shape= (the shape of one sample)")
        y0 = {name: jax.random.normal(jax.random.PRNGKey(seed),
                                      (int(n_samples), *tuple(sample_shape)))}
    t = _span(model, t)
    start = time.perf_counter()
    values, _ = model_values(model, params, None)
    y0 = {k: jnp.asarray(v, float) for k, v in y0.items()}
    eps_flat, schedule, x, _ = _sampler_parts(model, values, y0, externals, *t)
    n = int(jnp.shape(y0[name])[0])
    dims = int(x.size) // n
    lam = np.linspace(float(schedule.lam(jnp.asarray(t[0]))),
                      float(schedule.lam(jnp.asarray(t[1]))), int(grid) + 1)
    times = np.array(jax.vmap(schedule.t_of_lambda)(jnp.asarray(lam)))
    times[0], times[-1] = t
    sol = model.solve(t=t, saveat=times, y0=y0, externals=externals, params=params,
                      method="tsit5", rtol=TRAJECTORY_TOL, atol=TRAJECTORY_TOL)
    xs = jnp.reshape(jnp.asarray(sol.fields[name]), (times.size, n, dims))

    def eps_rows(rows, tt):
        return jnp.reshape(eps_flat(jnp.reshape(rows, (-1,)), tt), rows.shape)

    st = estimate_statistics(eps_rows, schedule, xs, times, probes)
    per_point = (dims if probes is None else probes) + 2
    info = {"model": model.name, "t": [float(t[0]), float(t[1])], "samples": n, "dims": dims,
            "grid": int(grid), "probes": probes,
            "cost": {"trajectory_evaluations": int(sol.stats["nfe"]),
                     "statistics_evaluations": per_point * (int(grid) + 1),
                     "seconds": round(time.perf_counter() - start, 2)}}
    return ModelStatistics(st.t, st.lam, st.l, st.s, st.b, info)


def _span(model, t):
    sim = model.simulate_defaults
    if t is None:
        if "t0" not in sim:
            raise SolveError(f"model {model.name!r} has no time span: pass t=(t0, t1)")
        t = (sim["t0"], sim["t1"])
    return float(t[0]), float(t[-1])


def _check_fit(stats: ModelStatistics, schedule, x_size: int, t=None):
    """The statistics must fit the solve: span, noise schedule (when concrete), sample size."""
    span = (float(stats.t[0]), float(stats.t[-1]))
    if t is not None and not np.allclose((float(t[0]), float(t[-1])), span, rtol=1e-12, atol=0.0):
        raise SolveError(f"the statistics run from t = {span[0]:g} to {span[1]:g}, not "
                         f"{float(t[0]):g} to {float(t[-1]):g}: give t={span} or none")
    if x_size % stats.dims:
        raise SolveError(f"the statistics are for samples of {stats.dims} values; the state has "
                         f"{x_size} (not a whole number of samples)")
    try:
        lam = np.asarray(jax.vmap(schedule.lam)(jnp.asarray(stats.t)))
    except (jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError):
        return
    if not np.allclose(lam, stats.lam, rtol=1e-6, atol=1e-6):
        raise SolveError("the statistics were estimated for another noise schedule (log-SNR "
                         "at their grid times differs by up to "
                         f"{np.max(np.abs(lam - stats.lam)):.2g}): estimate them for these "
                         "parameters")


def _run(stats: ModelStatistics, steps: int, spacing: str, order: int):
    """``(eps, schedule, x) -> (ts, xs)`` of DPM-Solver-v3 with ``steps`` steps."""
    st = stats.statistics
    try:
        idx = step_indexes(st, steps, spacing)
    except ValueError as exc:
        raise SolveError(f"dpm_solver_v3: {exc}") from exc

    def run(eps, schedule, x):
        reps = x.size // stats.dims

        def tile(row):
            return jnp.tile(jnp.asarray(row, x.dtype), reps)

        xs, _ = v3_trajectory(eps, schedule, x, st, idx, tile, V3Options(order=order))
        return jnp.asarray(st.t[idx], x.dtype), xs

    return run


def _steps_spacing(steps, schedule):
    """``(steps, spacing)`` checked (``steps`` given: the caller applies its default)."""
    if schedule is not None and (not isinstance(schedule, str) or schedule not in ("logsnr", "time")):
        shown = schedule if isinstance(schedule, str) else "<array>"
        raise SolveError(f"method 'dpm_solver_v3': schedule={shown!r}; choose 'logsnr' or "
                         "'time' (step times are snapped to the statistics grid)")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise SolveError(f"steps must be a positive integer, got {steps!r}")
    return int(steps), schedule or "logsnr"


def solve_v3(model, t, saveat, params, y0, dtype, externals, steps, schedule, dt0, statistics):
    """`CompiledModel.solve` with ``method="dpm_solver_v3"`` (``externals`` checked,
    ``dtype`` resolved); a `Solution` at the step times."""
    from .array_model import check_array_y0, check_sampler
    from .options import cast, model_values
    from .solution import Solution
    from .solvers import RawSolution

    check_sampler(model.module, model.name, "dpm_solver_v3")
    if saveat is not None or dt0 is not None:
        raise SolveError("method 'dpm_solver_v3' outputs at its step times: give steps= (and "
                         "schedule='logsnr' or 'time'), not saveat or dt0")
    stats = _resolve(statistics)
    _one_array_state(model)
    steps, spacing = _steps_spacing(steps, schedule)
    span = (float(stats.t[0]), float(stats.t[-1]))
    params, y0 = model_values(model, params, y0)
    check_array_y0(model.module, model.name, y0)
    y0 = cast(y0, dtype)
    _, sched, x, _ = _sampler_parts(model, params, y0, externals, *span)
    _check_fit(stats, sched, int(x.size), t)
    run = _run(stats, steps, spacing, DEFAULT_ORDER)

    def go(y0, params):
        eps, sched, x, unpack = _sampler_parts(model, params, y0, externals, *span)
        ts, xs = run(eps, sched, x)
        return ts, xs, unpack(xs)

    key = ("dpm_solver_v3", steps, spacing, DEFAULT_ORDER, stats.digest(), int(x.size))
    ts, ys, unpacked = model.runs.get(key, externals, lambda: jax.jit(go))(y0, cast(params, dtype))
    raw = RawSolution(ts=np.asarray(ts), ys=ys, status=0, nfe=steps, steps=steps,
                      accepted=steps, rejected=0)
    return Solution.from_raw(raw, state_names=model.state_names, method="dpm_solver_v3",
                             unpacked=unpacked, separate=model.array_state_names)


def v3_solver(model, steps, schedule, statistics, bound, full_output):
    """`CompiledModel.solver` with ``method="dpm_solver_v3"``: ``solve(y0, params, ts=None,
    externals=None)`` with values at the step times (``ts``, if given and concrete, must
    span the statistics' times)."""
    from .array_model import check_array_y0, check_sampler
    from .options import model_values
    from .runs import bound_externals

    check_sampler(model.module, model.name, "dpm_solver_v3")
    stats = _resolve(statistics)
    _one_array_state(model)
    steps, spacing = _steps_spacing(steps, schedule)
    run = _run(stats, steps, spacing, DEFAULT_ORDER)
    span = (float(stats.t[0]), float(stats.t[-1]))

    def solve(y0, params, ts=None, externals=None):
        ext = bound_externals(model, externals, bound)
        params, y0 = model_values(model, params, y0, shapes=False)
        check_array_y0(model.module, model.name, y0)
        eps, sched, x, unpack = _sampler_parts(model, params, y0, ext, *span)
        concrete = ts
        try:
            concrete = None if ts is None else np.asarray(ts)
        except jax.errors.TracerArrayConversionError:
            concrete = None
        _check_fit(stats, sched, int(x.size), concrete)
        ts_out, xs = run(eps, sched, x)
        states = unpack(xs)
        if full_output:
            return states, {"ts": ts_out, "nfe": jnp.asarray(steps), "status": jnp.asarray(0)}
        return states

    return solve
