"""The entry points of the runtime: :func:`integrate` and ``method="auto"``.

``integrate(rhs, y0, ts, args, method=..., rtol=..., ...)`` checks its inputs,
resolves the method in the registry (:mod:`.methods`), builds the loop's
:class:`~.loop.LoopSpec` (static) and :class:`~.loop.LoopInputs` (run-time)
and runs :func:`~.loop.run_loop` through :func:`~.adjoint.differentiable`.
Its settings are the fields of :class:`IntegrateOptions`.  Imports go one way:
this module uses the loop, the adjoint, the registry and the stiffness probe;
none of them imports it.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from . import coefficients
from .adjoint import differentiable
from .controllers import ConstantStepController, PIController
from .history import initial_history_rhs
from .loop import LoopInputs, LoopSpec, RawSolution, run_loop, run_loop_jit
from .methods import METHODS, AutoStepper, resolve_method
from .stepper import AdaptiveStepper, DenseOutputStepper, SplitStepper
from .cost import measure_work
from .stiffness import candidates, choose_method, classify, probe_spectra

__all__ = ["integrate", "IntegrateOptions", "integrate_options", "Problem", "check_tolerance", "integrate_stepper",
           "integrate_auto", "static_direction"]

logger = logging.getLogger("modelc.solvers")


@dataclass(frozen=True)
class IntegrateOptions:
    """The settings of a solve (every keyword of :func:`integrate` but ``method``).

    ``rtol``/``atol``: tolerances of adaptive methods; ``dt0``: the (first) step
    size, chosen automatically if None (required by fixed-step methods);
    ``max_steps``: step budget; ``controller``: defaults to
    :class:`~.controllers.PIController` for adaptive steppers and
    :class:`~.controllers.ConstantStepController` otherwise; ``dtmin``: lower
    bound on rejected step sizes (default ``10 eps |t|``); ``jac(t, y, args)``:
    the Jacobian ``df/dy`` for stiff methods (default ``jax.jacfwd``);
    ``adjoint``: how reverse mode differentiates the solve (:mod:`.adjoint`);
    ``split``: the :class:`~.expint.Split` ``f = L y + N`` of split exponential
    steppers (ignored by the others); ``prepare``: maps ``args`` to what
    ``rhs``, ``jac`` and ``split`` take, inside the differentiated solve;
    ``delays``: a :class:`~.history.DelaySpec` for a delay model, whose rhs is then
    ``rhs(t, y, args, history)`` (:mod:`.history`; increasing time only).
    ``events``: an :class:`~.events.EventSpec` (its functions take ``(t, y, args)``
    like ``rhs``).
    """

    rtol: Any = 1e-6
    atol: Any = 1e-9
    dt0: Any = None
    max_steps: int = 100_000
    controller: Any = None
    dtmin: Any = None
    jac: Callable | None = None
    adjoint: Any = None
    split: Any = None
    prepare: Callable | None = None
    progress: Callable | None = None
    delays: Any = None
    events: Any = None  # a modelc.solvers.events.EventSpec (None: no events)


def integrate_options(options: IntegrateOptions | None, settings: dict) -> IntegrateOptions:
    """``options`` (default :class:`IntegrateOptions`) with the keyword ``settings`` applied;
    TypeError naming the valid settings for an unknown one."""
    names = [f.name for f in dataclasses.fields(IntegrateOptions)]
    unknown = sorted(set(settings) - set(names))
    if unknown:
        raise TypeError(f"unknown solver setting(s) {', '.join(unknown)}; "
                        f"the settings are {', '.join(names)}")
    return dataclasses.replace(options or IntegrateOptions(), **settings)


class Problem(NamedTuple):
    """``dy/dt = rhs(t, y, args)`` from ``y0`` with outputs at ``ts``."""

    rhs: Callable
    y0: Any
    ts: Any
    args: Any = None


def integrate(rhs: Callable, y0, ts, args: Any = None, *, method="tsit5",
              options: IntegrateOptions | None = None, **settings) -> RawSolution:
    """Integrate ``dy/dt = rhs(t, y, args)`` from ``ts[0]`` and return ``y`` at all ``ts``.

    ``y0`` is a 1-D array (its float dtype is used throughout), ``ts`` a
    monotonic 1-D array (decreasing for backward integration), ``args`` any
    pytree.  ``method`` is a name from ``METHODS`` or a stepper instance.
    ``settings`` are :class:`IntegrateOptions` fields by keyword (``rtol``,
    ``atol``, ``dt0``, ``max_steps``, ``controller``, ``dtmin``, ``jac``,
    ``adjoint``, ``split``, ``prepare``; an unknown name is a TypeError),
    applied over ``options``.  ``method="auto"`` chooses ``tsit5``, ``rodas5``
    or (with ``split``) the adaptive exponential ``etdrk43``, whichever has the least
    predicted work (:func:`~modelc.solvers.stiffness.choose_method`).  Returns a
    :class:`~.loop.RawSolution`; on failure (see :class:`~.loop.Status`) the
    loop stops and outputs after the failure time are NaN.
    jit/vmap/jacfwd/grad compatible (:mod:`.adjoint`).
    """
    options = integrate_options(options, settings)
    stepper = resolve_method(method)
    problem = Problem(rhs, y0, ts, args)
    if isinstance(stepper, (AdaptiveStepper, AutoStepper)):  # fixed steps do not use rtol
        check_tolerance(options.rtol, y0)
    if isinstance(stepper, AutoStepper):
        if options.prepare is not None:  # the stiffness probe needs the prepared args
            problem = problem._replace(args=options.prepare(args))
            options = dataclasses.replace(options, prepare=None)
        return integrate_auto(stepper, problem, options)
    return integrate_stepper(problem, stepper, options)


def check_tolerance(rtol, y0) -> None:
    """Raise ValueError when a concrete ``rtol`` is below what ``y0``'s float type can
    deliver (``10 eps``: about 1.2e-6 in float32, 2.2e-15 in float64)."""
    if isinstance(rtol, jax.core.Tracer):
        return
    dtype = jnp.result_type(y0)
    if not jnp.issubdtype(dtype, jnp.floating):
        return
    floor = 10 * float(jnp.finfo(dtype).eps)
    if float(np.min(np.asarray(rtol))) < floor:
        raise ValueError(f"rtol = {float(np.min(np.asarray(rtol))):g} is below what {dtype} "
                         f"can deliver (about {floor:.1e}); raise rtol or use float64")


def static_direction(ts):
    """+1/-1 if ``ts`` is concrete, else None (decided at run time)."""
    if isinstance(ts, jax.core.Tracer):
        return None
    ts = np.asarray(ts)
    if ts.ndim != 1 or ts.shape[0] < 1:
        raise ValueError("ts must be a non-empty 1-D array of output times")
    return 1 if ts[-1] >= ts[0] else -1


def default_controller(stepper):
    """:class:`PIController` for an adaptive stepper, else :class:`ConstantStepController`."""
    return PIController() if isinstance(stepper, AdaptiveStepper) else ConstantStepController()


def _check_pair(stepper, controller, dt0) -> None:
    """ValueError for a stepper/controller pair that cannot run."""
    if isinstance(controller, ConstantStepController):
        if dt0 is None:
            raise ValueError(f"method {type(stepper).__name__} with a constant step "
                             "needs dt0 (the step size)")
    elif not isinstance(stepper, AdaptiveStepper):
        raise ValueError(f"{type(stepper).__name__} is a fixed-step method: give dt0 "
                         "and use ConstantStepController (the default)")
    elif not isinstance(stepper, DenseOutputStepper):
        raise ValueError(f"{type(stepper).__name__} has no dense output for adaptive use")


def integrate_stepper(problem: Problem, stepper, options: IntegrateOptions, jit: bool = True):
    """Check the stepper/controller pair and run the (jitted) loop."""
    split = options.split
    if isinstance(stepper, SplitStepper):
        if split is None:
            raise ValueError(f"{type(stepper).__name__} is an exponential integrator for "
                             "f = L y + N: pass split=Split(kind, linear, nonlinear)")
    else:
        split = None
    controller = options.controller
    if controller is None:
        controller = default_controller(stepper)
    _check_pair(stepper, controller, options.dt0)
    if options.delays is not None:
        _check_delays(stepper, problem.ts)
    y0 = jnp.asarray(problem.y0)
    if not jnp.issubdtype(y0.dtype, jnp.floating):
        y0 = y0.astype(jnp.result_type(float))
    if coefficients.applies(stepper, controller, split):  # stages stay in Fourier space
        stepper, controller = coefficients.stepping_in_coefficients(stepper, controller, split)
        rhs, split, y0_map, ys_map = coefficients.in_coefficients(split)
        raw = integrate_stepper(Problem(rhs, y0_map(y0), problem.ts, problem.args), stepper,
                                dataclasses.replace(options, controller=controller, split=split),
                                jit)
        return raw._replace(ys=ys_map(raw.ys).astype(y0.dtype).at[0].set(y0))
    spec = LoopSpec(problem.rhs, stepper, controller, int(options.max_steps),
                    static_direction(problem.ts), options.dt0 is None, options.dtmin is None,
                    options.jac, split, options.progress, options.delays,
                    options.events)
    inputs = LoopInputs(y0, problem.ts, problem.args, options.rtol, options.atol, options.dt0,
                        options.dtmin)
    return differentiable(run_loop_jit if jit else run_loop, spec, options.adjoint, inputs,
                          prepare=options.prepare)


def _check_delays(stepper, ts) -> None:
    """ValueError for a delay model with a stepper or a time direction the history
    does not serve (split exponential steppers; decreasing time)."""
    if isinstance(stepper, SplitStepper):
        raise ValueError(f"{type(stepper).__name__} (an exponential integrator) does not run "
                         "models with delay(...); use an explicit, Rosenbrock or ESDIRK method")
    if static_direction(ts) == -1:
        raise ValueError("a model with delay(...) is integrated forward in time only (t1 > t0)")


def _is_traced(tree) -> bool:
    return any(isinstance(x, jax.core.Tracer) for x in jax.tree_util.tree_leaves(tree))


def integrate_auto(auto: AutoStepper, problem: Problem, options: IntegrateOptions):
    """``integrate`` for an :class:`~.methods.AutoStepper`: with concrete inputs the
    method is chosen before tracing (:func:`~.stiffness.choose_method`, logged);
    under ``jit`` every candidate loop is compiled and ``lax.switch`` runs one."""
    rhs, y0, ts, args = problem
    split, rtol = options.split, options.rtol
    if options.delays is not None:  # delays: the probes see the history before t0 (exact at t0)
        solve_rhs, rhs = rhs, initial_history_rhs(rhs, y0, options.delays.columns)
    if not _is_traced((y0, ts, args, rtol, options.atol, options.dt0, options.dtmin)):
        ts_np = np.asarray(ts)
        name, reason = choose_method(rhs, options.jac, (ts_np[0], ts_np[-1]), y0, args, rtol,
                                     auto, split=split)
        logger.info("method='auto': %s", reason)
        if options.delays is not None:
            rhs = solve_rhs
        return integrate(rhs, y0, ts, args, method=name,
                         options=dataclasses.replace(options, controller=None))
    ts = jnp.asarray(ts)
    rtol_a = jnp.asarray(rtol, jnp.result_type(float))
    n = int(jnp.shape(y0)[0])
    rho, rho_n = probe_spectra(rhs, options.jac, split, ts[0], ts[-1], y0, args)
    work = measure_work(rhs, options.jac, split, ts[0], y0, args)  # from shapes: static
    code = classify(rho, rho_n, jnp.abs(ts[-1] - ts[0]), rtol_a, split, n, work)
    codes = candidates(split, n)
    plain = dataclasses.replace(options, controller=None)

    if options.delays is not None:
        rhs = solve_rhs

    def run(name):
        return lambda: integrate_stepper(Problem(rhs, y0, ts, args), METHODS[name], plain,
                                         jit=False)

    index = jnp.sum(jnp.asarray(codes) < code)
    return lax.switch(index, [run(auto.names[c]) for c in codes])
