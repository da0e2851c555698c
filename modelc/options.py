"""Solve options: filled in from the model file, checked once, one message per mistake.

`SolveOptions` is the numerical configuration of a solve (method, tolerances,
step, step budget, controller, precision). `SolveOptions.resolve` fills in the
file's ``simulate`` defaults and checks every value, so that `solve`, `solver`,
`ensemble`, `fit` and the diffusion samplers refuse the same mistakes with the
same words: a `SolveError` that names the argument. `output_times` does the
same for ``t``, ``saveat`` and ``points``; `named_values` for ``params`` and
``y0``; `prepare_solve` runs all three for `solve` and `ensemble`.

Nothing here runs a solver: it reads plain values, the names-only method table
(`modelc.methods`) and the generated module's metadata.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .array_model import check_array_y0
from .errors import SolveError
from .memory import available_memory
from .methods import ALL_METHOD_NAMES, METHOD_INFO, SAMPLER_NAMES

__all__ = ["SolveOptions", "PreparedSolve", "TimeGrid", "prepare_solve", "output_times",
           "check_output_times", "check_output_size", "time_span", "named_values", "model_values", "whole_number",
           "fixed_step_request", "resolve_dtype", "rtol_floor", "check_method",
           "check_method_fits", "TIME_BLIND_ESTIMATE",
           "cast", "DEFAULT_METHOD", "SOLVER_DEFAULT_METHOD", "DEFAULT_RTOL", "DEFAULT_ATOL",
           "DEFAULT_POINTS", "DEFAULT_MAX_STEPS", "DEFAULT_FIXED_STEPS", "MAX_STEPS_LIMIT"]

DEFAULT_METHOD = "auto"
"""``solve``, ``ensemble`` and ``modelc simulate`` without a method (nor one on the file's
``simulate`` line): tsit5, rodas5 or etdrk43 by predicted cost (`modelc.solvers.stiffness`)."""
SOLVER_DEFAULT_METHOD = "auto"
"""``CompiledModel.solver`` without a method: ``auto``, chosen once when the function is
built (`modelc.runs.choose_once`), so the pure function compiles one method under ``jit``."""
DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 1e-8
DEFAULT_POINTS = 1001
DEFAULT_MAX_STEPS = 100_000
DEFAULT_FIXED_STEPS = 1000
"""A fixed-step method given neither ``dt0`` nor ``steps`` takes ``span / 1000``."""
MAX_STEPS_LIMIT = 2**31 - 1
"""The loop counts steps in int32."""


# -- single values -------------------------------------------------------------------------
def _is_traced(value) -> bool:
    return isinstance(value, jax.core.Tracer)


def _array(value, name: str, what: str) -> np.ndarray:
    """``value`` as a NumPy array of real numbers (`SolveError` naming ``name`` otherwise)."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        array = None
    if array is None or array.dtype.kind not in "iuf":
        kind = "complex" if array is not None and array.dtype.kind == "c" else type(value).__name__
        raise SolveError(f"{name} must be {what}, got {value!r} ({kind})")
    return array


def _real(value, name: str, *, positive: bool = False, nonnegative: bool = False) -> float:
    """One finite real number (strictly positive or at least 0 when asked)."""
    number = _array(value, name, "a real number")
    if number.ndim != 0:
        raise SolveError(f"{name} must be a single number, got an array of shape {number.shape}")
    number = float(number)
    if not np.isfinite(number):
        raise SolveError(f"{name} = {number} is not finite: give a finite number")
    if positive and number <= 0:
        raise SolveError(f"{name} must be positive, got {number:g}")
    if nonnegative and number < 0:
        raise SolveError(f"{name} must not be negative, got {number:g}")
    return number


def whole_number(value, name: str, minimum: int, maximum: int | None = None) -> int:
    """``value`` as an int: an integer, or a float with an integer value (never rounded),
    from ``minimum`` to ``maximum``."""
    if isinstance(value, (bool, np.bool_)):
        raise SolveError(f"{name} must be a whole number, got {value!r}")
    if not isinstance(value, (int, np.integer)):
        number = _array(value, name, "a whole number")
        if number.ndim != 0 or not np.isfinite(number):
            raise SolveError(f"{name} must be a whole number, got {value!r}")
        if float(number) != int(float(number)):
            raise SolveError(f"{name} must be a whole number, got {value!r} (a fraction is "
                             "refused, not rounded)")
        value = int(float(number))
    value = int(value)
    if value < minimum:
        raise SolveError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise SolveError(f"{name} must be at most {maximum}, got {value}")
    return value


def _tolerance(value, name: str):
    """``rtol``/``atol``: finite and not negative (a number, or per-state array)."""
    if _is_traced(value):
        return value
    array = _array(value, name, "a number")
    shown = f"{float(array):g}" if array.ndim == 0 else repr(value)
    if not np.all(np.isfinite(array)):
        raise SolveError(f"{name} = {shown} is not finite: give a finite tolerance")
    if np.any(array < 0):
        raise SolveError(f"{name} = {shown} is negative: tolerances are at least 0")
    return float(array) if array.ndim == 0 else value


def resolve_dtype(dtype):
    """The solve's float type: float64 (the default with x64 on) or float32."""
    if dtype is None:  # no array made: an eager op would compile a kernel (issue 16)
        return jnp.dtype(jnp.result_type(float))
    try:
        resolved = jnp.dtype(dtype)
    except (TypeError, ValueError):
        resolved = None
    if resolved is None or resolved not in (jnp.dtype("float32"), jnp.dtype("float64")):
        raise SolveError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    return resolved


def rtol_floor(dtype) -> float:
    """The smallest meaningful relative tolerance in ``dtype`` (``10 eps``)."""
    return 10 * float(jnp.finfo(dtype).eps)


def check_method(method) -> str:
    """``method`` if it names a solve method or a sampler (`SolveError` listing them)."""
    if not isinstance(method, str) or method not in METHOD_INFO:
        raise SolveError(f"unknown method {method!r}; choose one of {', '.join(ALL_METHOD_NAMES)}")
    return method


DAE_METHODS = ("rodas5", "auto")
"""The methods of a model with numerically solved constraints (`modelc.solvers.dae.DAE_METHODS`,
not imported: checking options needs no JAX)."""


TIME_BLIND_ESTIMATE = ("etdrk43",)
"""Adaptive methods whose error estimate cannot see an explicit dependence of the rhs
on ``t`` (etdrk43's compares ``N`` at the same times: docs/expint.md); refused for
models with ``EXPLICIT_TIME``, and left out of ``method="auto"`` for them."""


def check_method_fits(module, model_name: str, method: str) -> None:
    """A split method needs the model's split ``rhs = L u + N``; an exponential
    Adams-Bashforth method a constant ``L``; a model with numerically solved constraints
    (``ALGEBRAIC_STATES``) one of `DAE_METHODS` (`SolveError` otherwise)."""
    info = METHOD_INFO[method]
    algebraic = getattr(module, "ALGEBRAIC_STATES", ())
    if algebraic and method not in DAE_METHODS:  # DAE engineer (issue 17): docs/dae.md
        raise SolveError(
            f"method {method!r} cannot solve model {model_name!r}: its constraints for "
            f"{', '.join(algebraic)} are solved numerically (a differential-algebraic system); "
            f"use {' or '.join(DAE_METHODS)} (Rodas5 with the mass matrix)")
    has_split = getattr(module, "LINEAR_KIND", None) is not None
    if info.needs_split and not has_split and hasattr(module, "EXTERNAL_NAMES"):
        raise SolveError(
            f"method {method!r} needs rhs = a(t)*x + N with one scalar a for all states; "
            f"model {model_name!r} (with array states or externals) has no such linear part")
    if info.constant_linear and not getattr(module, "LINEAR_CONSTANT", True):
        raise SolveError(
            f"method {method!r} (exponential Adams-Bashforth) needs a constant linear part "
            f"L, but L of model {model_name!r} depends on t; use etdrk4 or etdrk43")
    if method in TIME_BLIND_ESTIMATE and getattr(module, "EXPLICIT_TIME", False):
        raise SolveError(
            f"method {method!r} cannot solve model {model_name!r} accurately: its right-hand "
            f"side reads t itself (a forcing term or a time-dependent coefficient), and "
            f"{method}'s error estimate compares N at the same times, so it does not see that "
            f"dependence (u' = L u + sin(t) took one step over [0, 1] at rtol 1e-10 and was off "
            f"by 1e-3); use etdrk4 with steps= or dt0=, exprb43, tsit5 or rodas5")
    if info.needs_split and not has_split:
        raise SolveError(
            f"method {method!r} integrates rhs = L*u + N exactly in L, but model "
            f"{model_name!r} has no linear part (or was loaded with split=False); use "
            "exprb32/exprb43 (exponential Rosenbrock with the Jacobian) or rodas5")


def fixed_step_request(steps, dt0) -> tuple[int | None, float | None]:
    """``steps`` and ``dt0`` checked: not both; a whole number of steps; a positive step."""
    if steps is not None and dt0 is not None:
        raise SolveError("give steps= or dt0=, not both")
    if steps is not None:
        steps = whole_number(steps, "steps", 1)
    if dt0 is not None and not _is_traced(dt0):
        dt0 = _real(dt0, "dt0", positive=True)
    return steps, dt0


def _controller(spec):
    """Resolve ``controller=`` (None, "pi", "rl", a policy file, an instance)."""
    if spec is None:
        return None
    from .rl.store import as_controller

    try:
        return as_controller(spec)
    except (ValueError, TypeError) as err:
        raise SolveError(f"controller: {err}") from None


# -- the options of one solve ----------------------------------------------------------------
@dataclass(frozen=True)
class SolveOptions:
    """The numerical configuration of a solve, resolved and checked (`resolve`).

    Attributes:
        method: an ODE method name (`modelc.methods.METHOD_NAMES`).
        rtol, atol: tolerances (``rtol`` at least 10 eps of ``dtype`` for adaptive methods).
        dtype: the float type (float32 or float64).
        dt0: the given step (fixed-step methods) or first step (adaptive), or None.
        steps: the given number of steps of a fixed-step method, or None.
        max_steps: the step budget (1 to `MAX_STEPS_LIMIT`).
        controller: the resolved step-size controller, or None (the method's default).
        phi: phi-functions of a matrix-free ``L``: "dense", "krylov" or "auto".
        history_capacity: step ends a model with delays keeps (None: the solvers'
            default, `modelc.solvers.history.DEFAULT_CAPACITY`).
    """

    method: str
    rtol: object
    atol: object
    dtype: object
    dt0: float | None = None
    steps: int | None = None
    max_steps: int = DEFAULT_MAX_STEPS
    controller: object = None
    phi: str = "auto"
    history_capacity: int | None = None

    @property
    def fixed_step(self) -> bool:
        """True for a method that takes a given step."""
        return METHOD_INFO[self.method].fixed_step

    @property
    def needs_span(self) -> bool:
        """True when `step` depends on the span (``steps`` given, or a fixed step by default)."""
        return self.steps is not None or (self.dt0 is None and self.fixed_step)

    def step(self, span):
        """The loop's ``dt0`` for a solve over ``span = |t1 - t0|`` (a number or a traced
        scalar): ``span / steps``, the given ``dt0``, or for a fixed-step method given
        neither ``span / DEFAULT_FIXED_STEPS``."""
        if self.steps is not None:
            return span / self.steps
        if self.dt0 is None and self.fixed_step:
            return span / DEFAULT_FIXED_STEPS
        return self.dt0

    @classmethod
    def resolve(cls, defaults: Mapping | None = None, *, method=None, rtol=None, atol=None,
                dt0=None, steps=None, schedule=None, max_steps=DEFAULT_MAX_STEPS, dtype=None,
                controller=None, phi="auto", history_capacity=None) -> SolveOptions:
        """The options with the file's ``simulate`` ``defaults`` filled in, every value
        checked (`SolveError` naming the argument). Samplers are refused here: they
        have their own path (`modelc.sampling`)."""
        sim = dict(defaults or {})
        method = check_method(method or sim.get("method", DEFAULT_METHOD))
        if method in SAMPLER_NAMES:
            raise SolveError(f"method {method!r} is a diffusion sampler, not an ODE method here")
        dtype = resolve_dtype(dtype)
        floor = rtol_floor(dtype)
        if rtol is None:
            rtol = sim["rtol"] if "rtol" in sim else max(DEFAULT_RTOL, floor)
        rtol = _tolerance(rtol, "rtol")
        atol = _tolerance(atol if atol is not None else sim.get("atol", DEFAULT_ATOL), "atol")
        fixed = METHOD_INFO[method].fixed_step
        if fixed and not _is_traced(rtol):
            rtol = np.maximum(rtol, floor) if np.ndim(rtol) else max(rtol, floor)  # unused
        elif not _is_traced(rtol) and float(np.min(rtol)) < floor:
            raise SolveError(
                f"rtol = {float(np.min(rtol)):g} is below what {dtype} can deliver (about "
                f"{floor:.1e}); raise rtol or use dtype='float64'")
        if schedule is not None and not (isinstance(schedule, str) and schedule == "time"):
            raise SolveError(f"schedule= is for the diffusion samplers; method {method!r} takes "
                             "steps uniform in time (schedule='time')")
        steps, dt0 = fixed_step_request(steps, dt0)
        if steps is not None and not fixed:
            raise SolveError(f"steps= is for fixed-step methods; {method!r} is adaptive (use dt0 "
                             "for its first step)")
        max_steps = whole_number(max_steps, "max_steps", 1, MAX_STEPS_LIMIT)
        if phi not in ("dense", "krylov", "auto"):
            raise SolveError(f"phi={phi!r}; choose one of dense, krylov, auto")
        if history_capacity is not None:  # delays: the history's ring length
            history_capacity = whole_number(history_capacity, "history_capacity", 2, MAX_STEPS_LIMIT)
        return cls(method, rtol, atol, dtype, dt0, steps, max_steps, _controller(controller), phi,
                   history_capacity)


# -- times ------------------------------------------------------------------------------------
def time_span(t) -> tuple[float, float]:
    """``t = (t0, t1)``: two finite real numbers (`SolveError` otherwise)."""
    if isinstance(t, (str, bytes, Mapping)) or np.ndim(t) != 1 or len(t) != 2:
        raise SolveError(f"t must be a pair (t0, t1) of numbers, got {t!r}")
    return _real(t[0], "t[0] (t0)"), _real(t[1], "t[1] (t1)")


def _times(values, name: str) -> np.ndarray:
    """Output times: a non-empty 1-D array of finite real numbers."""
    times = _array(values, name, "an array of times").astype(float).ravel()
    if times.size == 0:
        raise SolveError(f"{name} is empty: give at least one output time")
    bad = np.flatnonzero(~np.isfinite(times))
    if bad.size:
        raise SolveError(f"{name}[{bad[0]}] = {times[bad[0]]} is not finite: every output time "
                         "must be a finite number")
    return times


def _check_order(ts: np.ndarray, name: str, t0_added: bool) -> None:
    """The loop visits ``ts`` in order: they must not change direction."""
    diffs = np.diff(ts)
    nonzero = diffs[diffs != 0]
    if nonzero.size == 0:
        return
    direction = np.sign(nonzero[0])
    wrong = np.flatnonzero(diffs * direction < 0)
    if wrong.size:
        i = wrong[0]
        start = f" from t0 = {ts[0]:g}" if t0_added else ""
        raise SolveError(
            f"{name} must be sorted{start}: increasing (or decreasing, to integrate "
            f"backwards), got {ts[i + 1]:g} after {ts[i]:g}; sort the output times")


def check_output_times(ts, name: str = "ts"):
    """``ts`` (a `solver` function's output times, a sampler's schedule) checked when
    concrete: finite, in one direction; returned as a NumPy array (traced: as given)."""
    if _is_traced(ts):
        return ts
    times = _times(ts, name)
    _check_order(times, name, False)
    return times


class TimeGrid(NamedTuple):
    """The times the loop visits, ``ts[0]`` being the start time; the outputs are
    ``ts[start:]`` (``start`` is 1 when the start time is not an output time)."""

    ts: np.ndarray
    start: int


OUTPUT_COPIES = 2
"""Copies of the output array a solve holds at once, at least (the loop's buffer and its
host copy); counting only these refuses only what certainly cannot fit."""


def check_output_size(times: int, width: int, name: str = "points") -> None:
    """Refuse outputs that cannot fit in memory: ``times`` rows of ``width`` float64
    values, `OUTPUT_COPIES` times, against the memory available (`SolveError` with the
    estimate; nothing is allocated before)."""
    need = times * (width + 1) * 8 * OUTPUT_COPIES
    have = available_memory()
    if have is not None and need > have:
        raise SolveError(f"{name} = {times} outputs of {width} values each need about "
                         f"{need / 1e9:.3g} GB, more than the {have / 1e9:.3g} GB of memory "
                         "available; ask for fewer output times")


def output_times(defaults: Mapping, t=None, saveat=None, points=None,
                 model_name: str = "model", width: int = 1) -> TimeGrid:
    """The loop's times from ``t``, ``saveat`` and ``points`` (and the file's defaults).

    With ``saveat`` the solve starts at ``t[0]``, else at the file's ``t0`` (where the
    initial values belong), else at the first output time; it outputs only at
    ``saveat``. Without, at ``points`` evenly spaced times over ``t``. ``width`` (the
    values per output time) sizes the memory check (`check_output_size`).
    """
    sim = dict(defaults)
    if saveat is not None:
        out = _times(saveat, "saveat")
        check_output_size(out.size, width, "saveat")
        span = time_span(t) if t is not None else None
        t0 = span[0] if span else float(sim["t0"]) if "t0" in sim else out[0]
        start = 0 if out[0] == t0 else 1
        ts = out if start == 0 else np.concatenate([[t0], out])
        _check_order(ts, "saveat", bool(start))
        if span is not None and (out.min() < min(span) or out.max() > max(span)):
            raise SolveError(f"saveat has times outside t = ({span[0]:g}, {span[1]:g}): from "
                             f"{out.min():g} to {out.max():g}; widen t or drop them")
        return TimeGrid(ts, start)
    if t is None and "t0" in sim:
        t = (sim["t0"], sim["t1"])
    if t is None:
        raise SolveError(
            f"model {model_name!r} has no time span: pass t=(t0, t1) or add a line "
            "`simulate t = [t0, t1]` to the model file")
    t0, t1 = time_span(t)
    if t0 == t1:
        raise SolveError(f"the time span is empty: t0 = t1 = {t0}")
    n = whole_number(points if points is not None else sim.get("points", DEFAULT_POINTS),
                     "points", 2)
    check_output_size(n, width)
    return TimeGrid(np.linspace(t0, t1, n), 0)


# -- values by name ------------------------------------------------------------------------------
def named_values(values, known, kind: str, model_name: str, *, argument: str,
                 scalars=(), batched: bool = False) -> dict:
    """``params``/``y0`` (``argument``) as a dict whose names are all ``known``.

    Each concrete value must be numeric; the names in ``scalars`` (parameters and
    plain states) take one real number each, or with ``batched`` a 1-D array of them.
    """
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise SolveError(f"{argument} must be a dict {{name: value}}, got {type(values).__name__}"
                         f" (the model's {kind}s: {', '.join(known) or 'none'})")
    values = dict(values)
    for name, value in values.items():
        if name not in known:
            close = difflib.get_close_matches(str(name), known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise SolveError(f"model {model_name!r} has no {kind} named {name!r}{hint} "
                             f"(its {kind}s: {', '.join(known) or 'none'})")
        if not _is_traced(value):
            _check_value(value, f"{argument}[{name!r}]", name in scalars, batched)
    return values


def _check_value(value, label: str, scalar: bool, batched: bool) -> None:
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        array = None
    if array is None or array.dtype.kind not in "biufc":
        raise SolveError(f"{label} must be a number (or an array), got {value!r}")
    if not scalar:
        return
    if array.dtype.kind == "c":
        raise SolveError(f"{label} = {value!r} is complex; this value is real")
    if array.ndim > (1 if batched else 0):
        what = "a number or a 1-D array (one per member)" if batched else "a single number"
        raise SolveError(f"{label} must be {what}, got an array of shape {array.shape}")


def cast(values: dict, dtype) -> dict:
    """Every value as a JAX array of ``dtype``."""
    return {k: jnp.asarray(v, dtype=dtype) for k, v in values.items()}


class PreparedSolve(NamedTuple):
    """What `solve` and `ensemble` run: options, times and checked values."""

    options: SolveOptions
    times: TimeGrid
    params: dict
    y0: dict


def prepare_solve(model, *, t=None, saveat=None, points=None, params=None, y0=None,
                  batched: bool = False, **options) -> PreparedSolve:
    """`SolveOptions.resolve`, `output_times` and `named_values` for ``model`` (a
    `CompiledModel`): everything `solve` and `ensemble` check before compiling."""
    defaults = model.simulate_defaults
    if getattr(model.module, "ALGEBRAIC_STATES", ()) and "method" not in defaults:
        defaults = {**defaults, "method": "auto"}  # a DAE (issue 17): auto = rodas5, not tsit5
    opts = SolveOptions.resolve(defaults, **options)
    width = getattr(model.module, "STATE_SIZE", len(model.state_names)) + len(model.observable_names)
    times = output_times(model.simulate_defaults, t, saveat, points, model.name, width)
    params, y0 = model_values(model, params, y0, batched=batched)
    check_array_y0(model.module, model.name, y0)
    check_method_fits(model.module, model.name, opts.method)
    return PreparedSolve(opts, times, params, y0)


def model_values(model, params, y0, *, batched: bool = False,
                 shapes: bool = True) -> tuple[dict, dict]:
    """``params`` and ``y0`` of ``model`` checked by `named_values` (``shapes=False``:
    names and kinds only, as in a `solver` function, which may be ``vmap``-ed)."""
    plain = [n for n in model.state_names
             if n not in model.array_state_names and n not in model.field_names]
    common = dict(model_name=model.name, batched=batched)
    params = named_values(params, model.param_names, "parameter", argument="params",
                          scalars=model.param_names if shapes else (), **common)
    y0 = named_values(y0, model.state_names, "state", argument="y0",
                      scalars=plain if shapes else (), **common)
    return params, y0
