"""The run-time side of array states, external functions and the DPM-Solver samplers.

An array model's generated module (`modelc.codegen.arrays`) works on a tuple
of states and a mapping of externals; the solvers work on one flat vector.
`problem` flattens the tuple (``jax.flatten_util.ravel_pytree``, shapes from
``y0`` at trace time) and closes the generated functions over the externals.
For scalar models it passes the module's functions through unchanged.
`sample_problem` runs a DPM-Solver / DDIM sampler on any model of the form
``der(x) = a(t) x + b(t) g(x, t)`` (``NOISE_FORM`` in the module).
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from . import solvers
from .errors import SolveError
from .solvers.diffusion import SAMPLER_NAMES, coefficient_schedule, time_grid, trajectory

__all__ = ["Problem", "problem", "check_externals", "check_array_y0", "is_array_module",
           "SAMPLERS", "SCHEDULES", "sample_problem", "sampler_grid"]

SAMPLERS = tuple(SAMPLER_NAMES)
"""Method names of the diffusion samplers (fixed step, need ``NOISE_FORM``)."""
SCHEDULES = ("time", "logsnr")


class Problem(NamedTuple):
    """A model ready for a solver: flat ``y0``, ``rhs(t, y, args)``, ``args``, ``split``,
    ``observables(t, y, args)`` and ``unpack(ys) -> {state: values}`` (None for scalar
    models). ``args`` is the parameter vector, or for array models ``(p, consts)``
    where ``consts`` are the values the bound externals close over that take part in
    differentiation (``jax.closure_convert``): passing them as solver arguments, not
    closures, lets ``jax.grad`` reach a network's weights through the solver's adjoint."""

    y0: jax.Array
    rhs: Callable
    args: object
    split: object
    observables: Callable
    unpack: Callable | None


def is_array_module(module) -> bool:
    """True for the module of a model with array states or external functions."""
    return hasattr(module, "EXTERNAL_NAMES")


def check_externals(module, model_name: str, externals) -> dict:
    """The ``externals`` mapping, checked against the model's declarations (`SolveError`)."""
    declared = getattr(module, "EXTERNAL_NAMES", ())
    given = dict(externals or {})
    for name, fn in given.items():
        if name not in declared:
            known = ", ".join(declared) or "none"
            raise SolveError(f"externals: model {model_name!r} declares no external {name!r} "
                             f"(its externals: {known})")
        if not callable(fn):
            raise SolveError(f"externals[{name!r}] must be a callable (a JAX function), "
                             f"got {type(fn).__name__}")
    missing = [n for n in declared if n not in given]
    if missing:
        arity = dict(zip(declared, module.EXTERNAL_ARITIES))
        n = missing[0]
        raise SolveError(f"model {model_name!r} calls external {n!r} ({arity[n]} arguments) but no "
                         f"function was bound to it: pass externals={{{n!r}: fn}} to solve or solver")
    return given


def check_array_y0(module, model_name: str, y0: dict) -> None:
    """Every array state must be given in ``y0`` (`SolveError`)."""
    for name in getattr(module, "ARRAY_STATES", ()):
        if name not in y0:
            raise SolveError(f"array state {name!r} of model {model_name!r} takes its value from y0: "
                             f"pass y0={{{name!r}: array}} (its shape is the state's shape)")


def with_constants(module, p):
    """``p`` followed by the module's hoisted constants, computed once per solve (modules
    without ``with_constants``, e.g. of field or array models, take ``p`` as it is)."""
    extend = getattr(module, "with_constants", None)
    return p if extend is None else extend(p)


def given_parameters(module, params: dict, args):
    """``(given, prepare)`` for a solve whose loop arguments are ``args`` (a
    `Problem`'s): ``given`` holds only the parameters the caller passed, one
    leaf each, and ``prepare(given)`` rebuilds ``args`` from them (defaults and
    hoisted constants filled in) once per solve, inside the differentiated
    solve, so forward sensitivities count one direction per given parameter
    (`modelc.solvers.adjoint.differentiable`)."""
    given = dict(params)
    if not is_array_module(module):
        return given, lambda g: with_constants(module, module.parameter_vector(g))
    rest = args[1:]
    return (given, *rest), lambda a: (module.parameter_vector(a[0]), *a[1:])


def problem(module, p, y0: dict, externals: dict, split) -> Problem:
    """The model as flat-vector functions for the solvers (module docstring); ``split`` is
    the scalar model's `modelc.solvers.Split` (array models build theirs)."""
    if not is_array_module(module):
        return Problem(module.initial_state(p, y0), module.rhs, with_constants(module, p), split,
                       module.observables, None)
    states = module.initial_state(p, y0)
    y, unravel = ravel_pytree(states)
    t_like = jnp.zeros((), y.dtype)

    def flat(values):
        return jnp.concatenate([jnp.ravel(v) for v in values]).astype(y.dtype)

    def converted(generated):
        """``generated`` (rhs or nonlinear) on the flat vector, its closed-over tracers hoisted."""
        fn, consts = jax.closure_convert(
            lambda t, y, p: flat(generated(t, unravel(y), p, externals)), t_like, y, p)
        return fn, tuple(consts)

    rhs_fn, rhs_consts = converted(module.rhs)
    nl_fn, nl_consts = converted(module.nonlinear) if module.LINEAR_KIND == "scalar" else (None, ())
    args = (p, rhs_consts, nl_consts)

    def rhs(t, y, args):
        return rhs_fn(t, y, args[0], *args[1])

    def observables(t, y, args):
        return module.observables(t, unravel(y), args[0], externals)

    def unpack(ys):
        return dict(zip(module.STATE_NAMES, jax.vmap(unravel)(ys)))

    array_split = None
    if nl_fn is not None:
        array_split = solvers.Split(
            "scalar", lambda t, args: module.linear_operator(t, args[0]),
            lambda t, y, args: nl_fn(t, y, args[0], *args[2]), constant=bool(module.LINEAR_CONSTANT))
    return Problem(y, rhs, args, array_split, observables, unpack)


def check_sampler(module, model_name: str, method: str) -> None:
    """A sampler needs ``der(x) = a(t) x + b(t) g(x, t)`` (`SolveError` otherwise)."""
    if not getattr(module, "NOISE_FORM", False):
        raise SolveError(
            f"method {method!r} samples a diffusion ODE der(x) = a(t)*x + b(t)*eps(x, t) (the same "
            f"a and nonzero b for every state, both of t and parameters only); model {model_name!r} "
            "is not of this form. Use an ODE method (tsit5, rodas5, ...) instead")


def sampler_grid(schedule, t0, t1, steps: int | None, spacing):
    """The sampler's step times: ``steps`` steps uniform in ``"time"`` or ``"logsnr"``,
    or the given array of times."""
    if not isinstance(spacing, str):
        return jnp.asarray(spacing)
    return time_grid(schedule, t0, t1, steps, spacing)


def sample_problem(module, prob: Problem, p, t0, t1, method: str, steps, spacing):
    """Run sampler ``method`` (a name of `SAMPLERS`) from ``t0`` to ``t1``:
    returns ``(ts, ys, nfe)`` with ``ys`` the flat state at every grid time."""
    drift, noise = module.drift_coefficient, module.noise_coefficient
    log_alpha = getattr(module, "log_alpha", None)
    schedule = coefficient_schedule(drift, noise, p, t0, t1, log_alpha)
    ts = sampler_grid(schedule, t0, t1, steps, spacing).astype(prob.y0.dtype)

    def g(x, t):
        """The noise prediction: ``(rhs - a x) / b``."""
        return (prob.rhs(t, x, prob.args) - drift(t, p) * x) / noise(t, p)

    ys, nfe = trajectory(g, schedule, prob.y0, ts, SAMPLER_NAMES[method])
    return ts, ys, nfe
