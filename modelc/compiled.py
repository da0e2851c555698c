"""A compiled model: the generated JAX module plus solve/solver entry points.

`CompiledModel` holds the declarations and the generated functions; its
`solve`, `solver` and `ensemble` check their options in `modelc.options`,
run the jitted functions of `modelc.runs` and pack the results with
`modelc.solution.Solution.from_raw`.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from functools import cached_property

import jax.numpy as jnp
import numpy as np

from . import solvers
from .array_model import SAMPLERS, check_externals, is_array_module, with_constants
from .diagnose import nonfinite_report
from .errors import SolveError
from .options import (DEFAULT_ATOL, DEFAULT_MAX_STEPS, DEFAULT_POINTS,
                      SOLVER_DEFAULT_METHOD,
                      DEFAULT_RTOL, SolveOptions, cast, check_method_fits, model_values,
                      prepare_solve)
from .runs import (DEFAULT_MAX_EVENTS, RunCache, choose_method, choose_once, constraint_stats,
                   run_function, solver_function, trial_runner)
from .solution import Solution
from .solvers.adjoint import BacksolveAdjoint

__all__ = ["CompiledModel", "DEFAULT_RTOL", "DEFAULT_ATOL", "DEFAULT_POINTS",
           "EXTERNAL_CACHE_SIZE"]

# Jitted runs that close over bound externals: at most this many per model (least
# recently used dropped), so a new callable per call cannot grow the cache without bound.
EXTERNAL_CACHE_SIZE = 8


class CompiledModel:
    """A model compiled to JAX: metadata, generated functions, `solve` and `solver`.

    Build one with `modelc.load` or `modelc.parse`.
    """

    def __init__(self, module, *, source: str, ir=None, recompile=None):
        """``module``: the generated module; ``source``: its text; ``ir``: the model IR,
        or None and ``recompile()`` returns it on demand (a module from the cache)."""
        self.module = module
        self.generated_source = source
        self._ir = ir
        self._recompile = recompile
        self.runs = RunCache(EXTERNAL_CACHE_SIZE)
        """The model's jitted functions (`modelc.runs.RunCache`)."""

    # -- declarations -------------------------------------------------------
    @property
    def name(self) -> str:
        """The model's name from its header."""
        return self.module.MODEL_NAME

    @property
    def doc(self) -> str | None:
        """The model's doc string from its header, if any."""
        return self.module.MODEL_DOC

    @property
    def state_names(self) -> tuple[str, ...]:
        """State names in the order of the state vector."""
        return self.module.STATE_NAMES

    @property
    def param_names(self) -> tuple[str, ...]:
        """Parameter names in the order of the parameter vector."""
        return self.module.PARAMETER_NAMES

    @property
    def observable_names(self) -> tuple[str, ...]:
        """Observable names."""
        return self.module.OBSERVABLE_NAMES

    @property
    def simulate_defaults(self) -> dict:
        """The options of the file's ``simulate`` lines."""
        return dict(self.module.SIMULATE)

    @cached_property
    def defaults(self) -> dict[str, float]:
        """Default parameter values and initial state values, by name."""
        return self.resolved_values()

    def resolved_values(self, params: dict | None = None, y0: dict | None = None) -> dict:
        """Every parameter and initial state value, by name, after the given overrides
        (defaults that use an overridden parameter follow it); an unknown name or a
        value that is not a number is a `SolveError`."""
        params, y0 = model_values(self, params, y0)
        p = self.module.parameter_vector(params)
        values = dict(zip(self.param_names, np.asarray(p).tolist()))
        if self.is_array_model:
            given = [n for n in self.state_names if n in y0 or n not in self.array_state_names]
            y = self.module.initial_state(p, {**{n: 0.0 for n in self.array_state_names}, **y0})
            values.update({n: np.asarray(v) if np.ndim(v) else float(v)
                           for n, v in zip(self.state_names, y) if n in given})
            return values
        y = self.module.initial_state(p, y0)
        if self.is_field_model:
            unpacked = self.module.unpack(jnp.asarray(0.0, p.dtype), y, p)
            values.update({k: (np.asarray(v) if np.ndim(v) else float(v)) for k, v in unpacked.items()})
        else:
            values.update(zip(self.state_names, np.asarray(y).tolist()))
        return values

    @property
    def is_array_model(self) -> bool:
        """True for a model with array states or external functions."""
        return is_array_module(self.module)

    @property
    def external_names(self) -> tuple[str, ...]:
        """The model's ``external`` functions (bound at solve time with ``externals=``)."""
        return getattr(self.module, "EXTERNAL_NAMES", ())

    @property
    def array_state_names(self) -> tuple[str, ...]:
        """The states declared ``state x: array`` (their values come from ``y0``)."""
        return getattr(self.module, "ARRAY_STATES", ())

    @property
    def is_field_model(self) -> bool:
        """True for a model with fields on a grid (see `field_names`, `grid`)."""
        return hasattr(self.module, "STATE_LAYOUT")

    @property
    def field_names(self) -> tuple[str, ...]:
        """The fields of a PDE model (empty for an ODE model)."""
        return getattr(self.module, "FIELD_NAMES", ())

    def grid(self, params: dict | None = None) -> dict:
        """The grid nodes of each axis of a field model, by axis name (after parameter overrides)."""
        p = self.module.parameter_vector(dict(params or {}))
        return {k: np.asarray(v) for k, v in self.module.grid(p).items()}

    def to_sbml(self, path=None) -> str:
        """The model as SBML Level 3 Version 2 text (written to ``path`` when given);
        see `modelc.io.sbml_export` (needs python-libsbml). Raises `ModelError` for
        constructs SBML cannot express (fields, externals, ``stop`` events)."""
        from .io.sbml_export import model_to_sbml   # (owned by io/: SBML export)

        return model_to_sbml(self.ir.source, self.ir.file, path)

    @property
    def ir(self):
        """The model IR (parsed on demand when the module came from the cache)."""
        if self._ir is None and self._recompile is not None:
            self._ir = self._recompile()
        return self._ir

    @property
    def network(self):
        """The reaction network (`modelc.ir.ReactionNetwork`: stoichiometry, conservation
        laws, complexes, deficiency), or None for a model without reactions."""
        return self.ir.network

    @property
    def equations(self) -> list:
        """The model as written, as SymPy equations ``Eq(Derivative(x, t), rhs)``, lets inlined."""
        from .passes.rewrite import unsimplified

        return _equations(unsimplified(self.ir))

    @property
    def simplified(self) -> list:
        """The equations as compiled, after e-graph simplification (same form as `equations`,
        hoisted constants written out in parameters; the same as `equations` when the model
        was loaded with ``simplify=False``)."""
        return _equations(self.ir)

    def cost_report(self) -> dict:
        """What simplification did: ``cost_before``/``cost_after`` (weighted operation counts
        of the emitted rhs and lets, see docs/simplify.md), ``ops_before``/``ops_after``
        (SymPy ``count_ops`` after common-subexpression elimination), ``seconds``,
        ``rounds``, ``enodes``, ``stopped`` (None, or why the search ended early) and
        ``safe_forms`` (the rewrites made for floating-point accuracy, see docs/simplify.md)."""
        from .passes.rewrite import report_of

        return {**report_of(self.ir).as_dict(), "safe_forms": list(self.ir.safe_forms)}

    # -- solving --------------------------------------------------------------
    def solve(self, t=None, saveat=None, *, method=None, rtol=None, atol=None, params=None,
              y0=None, points=None, dt0=None, max_steps=DEFAULT_MAX_STEPS, dtype=None,
              controller=None, externals=None, steps=None, schedule=None,
              phi="auto", progress=False, max_events=DEFAULT_MAX_EVENTS,
              history_capacity=None, statistics=None) -> Solution:
        """Integrate the model and return a `Solution`. Every argument is checked first
        (`modelc.options`): a bad one is a `SolveError` that names it.

        Args:
            t: ``(t0, t1)``, finite; defaults to the file's ``simulate t = [...]``.
            saveat: output times (an array, finite, increasing or, backwards,
                decreasing); the solve starts at ``t[0]``, else at the file's t0;
                default ``points`` evenly spaced times over ``t``.
            method: tsit5, dopri5, dopri8, bosh3 (explicit adaptive), rodas5, kvaerno5
                (stiff, with the generated Jacobian), rk4, euler (fixed step), or auto
                (tsit5, rodas5 or, for a model with a split whose stiffness is in L,
                etdrk43, from the spectra of the Jacobian and of N's Jacobian at the
                start; the choice and its reason are in ``sol.stats["method"]`` and
                ``["auto"]``); exponential: exprb32, exprb43 (adaptive, with the
                Jacobian) and, for a model with a split (``m.split``), etdrk43
                (adaptive), etd1, etdrk2, etdrk4, krogstad (= etdrk4b), lawson4, and the
                exponential Adams-Bashforth etdab2, etdab3, etdab4 (one N per step; constant
                L only) (fixed step ``dt0``, default span/1000); diffusion samplers for ``der(x) =
                a(t)*x + b(t)*eps(x, t)``: ddim, dpm_solver_1, dpm_solver_2,
                dpm_solver_3, dpm_solver_pp_2m, deis_1, deis_2, deis_3, deis_rho_1,
                deis_rho_2, deis_rho_3 (``steps``, default 20; the solution holds
                the step times, ``saveat`` is refused); searched (``schedule=`` a
                searched schedule) and dpm_solver_v3 (``statistics=``).
            rtol, atol: tolerances of adaptive methods.
            params, y0: values by name; missing ones come from the file.
            points: number of evenly spaced outputs when ``saveat`` is not given.
            dt0: initial step (adaptive) or the step (fixed-step methods).
            max_steps: step budget (at most 2**31 - 1); reaching it is reported in
                ``sol.status``.
            externals: the model's ``external`` functions by name, each a JAX callable
                (e.g. a network closed over its weights); every declared one is needed.
            steps: fixed-step methods: the number of steps (instead of ``dt0``, which
                then must not be given). For a sampler, steps uniform in log-SNR
                unless ``schedule`` says otherwise.
            schedule: samplers only: "logsnr" (default), "time", or an array of step
                times from t0 to t1 (then ``steps`` and ``t`` are not needed).
            dtype: "float64" (default on CPU) or "float32".
            controller: step-size controller of adaptive methods: None or "pi" (the
                PI rule), "rl" (the shipped learned policy), a policy file written by
                `modelc.rl.save` / ``modelc rl train``, or a controller instance.
            phi: phi-functions of a matrix-free ``L`` (split kinds "banded"/"operator"):
                "dense" (Pade), "krylov" (Arnoldi) or "auto" (dense up to 64 unknowns).
            progress: redraw a progress line on stderr during the solve (a host callback
                in the loop; the steps, Jacobians and the auto choice are the same).
            max_events: models with events: how many fired events the solve records
                (more ends it with ``Status.EVENT_LIMIT``); ``sol.events`` lists them.
            history_capacity: for a model with ``delay(...)``, the step ends its history
                keeps (default 4096); more steps within the largest lag end the solve
                with status ``HISTORY_OVERFLOW`` (docs/delays.md).
            statistics: ``method="dpm_solver_v3"`` only: the empirical model statistics
                (`modelc.ems.estimate_model_statistics`, or the path of a saved ``.npz``).
        """
        externals = self.check_externals(externals)
        if method in SAMPLERS or (method is None and self.simulate_defaults.get("method") in SAMPLERS):
            from .sampling import solve_with_sampler

            return solve_with_sampler(self, t, saveat, method or self.simulate_defaults["method"],
                                      params, y0, dtype, externals, steps, schedule, dt0,
                                      statistics)
        if statistics is not None:
            raise SolveError(f"statistics= is for method 'dpm_solver_v3', not {method!r}")
        opts, (ts, start), params, y0 = prepare_solve(
            self, t=t, saveat=saveat, points=points, params=params, y0=y0, method=method,
            rtol=rtol, atol=atol, dt0=dt0, steps=steps, schedule=schedule, max_steps=max_steps,
            dtype=dtype, controller=controller, phi=phi, history_capacity=history_capacity)
        auto = {}
        if opts.method == "auto":
            trial = trial_runner(self, opts, ts, params, y0, externals, _max_events(max_events))
            method, reason = choose_method(self, ts, params, y0, opts.rtol, opts.dtype, externals,
                                           trial)
            opts, auto = replace(opts, method=method), {"auto": reason}
        dt0 = opts.step(abs(ts[-1] - ts[0]))
        run = run_function(self, opts, dt0 is not None, externals, progress=bool(progress),
                           max_events=_max_events(max_events))
        raw, obs, extra = run(cast(y0, opts.dtype), cast(params, opts.dtype),
                              jnp.asarray(ts, opts.dtype), opts.rtol, opts.atol, dt0)
        sol = Solution.from_raw(raw, state_names=self.state_names, method=opts.method,
                                observables=obs, observable_names=self.observable_names,
                                start=start, stats={**auto, **constraint_stats(self.module, opts.method)},
                                **self.unpacked(extra),
                                event_names=self.event_names)
        if sol.status == solvers.Status.STOPPED:
            sol = self._stopped(sol, raw, params, opts.dtype)
        if sol.status == solvers.Status.NONFINITE_STATE:
            report = nonfinite_report(self, sol, params)
            sol = replace(sol, stats={**sol.stats, "nonfinite": report}) if report else sol
        if not sol.ok:
            warnings.warn(f"model {self.name!r}: {sol.message}", RuntimeWarning, stacklevel=2)
        return sol

    @property
    def event_names(self) -> tuple[str, ...]:
        """The model's events, in file order (empty without events)."""
        return getattr(self.module, "EVENT_NAMES", ())

    def _stopped(self, sol: Solution, raw, params, dtype) -> Solution:
        """``sol`` ended at its stop event: cut there, with the state at the stop time."""
        p = with_constants(self.module, self.module.parameter_vector(cast(params, dtype)))
        t_end, y_end = raw.t_end, raw.y_end
        obs_end = self.module.observables(t_end, y_end, p)
        return sol.ended_at(float(t_end), np.asarray(y_end), np.asarray(obs_end))

    def unpacked(self, extra) -> dict:
        """`Solution.from_raw`'s ``unpacked``, ``separate`` and ``grid`` from the ``extra``
        of a run (`modelc.runs.run_function`): empty for a scalar model."""
        if extra is None:
            return {}
        if self.is_field_model:
            unpacked, grid = extra
            return {"unpacked": unpacked, "separate": self.field_names, "grid": grid}
        return {"unpacked": extra, "separate": self.array_state_names}

    def ensemble(self, params=None, y0=None, *, t=None, saveat=None, method=None, rtol=None,
                 atol=None, points=None, dt0=None, max_steps=DEFAULT_MAX_STEPS, dtype=None,
                 chunk_size=None, progress=None, devices=None, externals=None) -> Solution:
        """Solve for a batch of parameters and/or initial states (see `modelc.ensemble`).

        ``params`` and ``y0`` map names to scalars (shared) or 1-D arrays (one
        value per member, all the same length).  Members run ``chunk_size`` at
        a time (default: all at once, or on CPU devices 128 per device, which
        keeps the batched loop in the caches), split over ``devices`` (default:
        every device, all hosts); ``progress`` shows a progress line (default:
        on a terminal when a given ``chunk_size`` makes several chunks).  Returns a `Solution` with
        ``y`` of shape ``(members, times, states)``, per-member ``status`` and
        per-member counters in ``stats``. Other arguments as in `solve`;
        ``method="auto"`` probes every member and runs all with the most robust
        method any member needs (``stats["method"]``, ``stats["auto"]``).

        Models with array states or externals: an array state's ``y0`` is a batch
        with a leading member axis, shape ``(members, *shape)`` (share one array with
        ``np.broadcast_to``); ``externals`` are bound once for all members; array
        states come back in ``fields`` with shape ``(members, times, *shape)``.
        """
        from .ensemble import ensemble
        return ensemble(self, params, y0, t=t, saveat=saveat, method=method, rtol=rtol,
                        atol=atol, points=points, dt0=dt0, max_steps=max_steps, dtype=dtype,
                        chunk_size=chunk_size, progress=progress, devices=devices,
                        externals=externals)

    def check_externals(self, externals) -> dict:
        """``externals=`` checked against the model (an empty dict for models without any)."""
        if not self.is_array_model:
            if externals:
                raise SolveError(f"externals: model {self.name!r} declares no external functions "
                                 f"(got {', '.join(map(repr, externals))})")
            return {}
        return check_externals(self.module, self.name, externals)

    def solver(self, method: str = SOLVER_DEFAULT_METHOD, rtol: float = DEFAULT_RTOL,
               atol: float = DEFAULT_ATOL, *, dt0=None, max_steps: int = DEFAULT_MAX_STEPS,
               full_output: bool = False, controller=None, adjoint=None, externals=None,
               steps=None, schedule=None, phi="auto", max_events=DEFAULT_MAX_EVENTS,
               history_capacity=None, statistics=None):
        """A pure JAX function ``f(y0, params, ts, externals=None) -> {state: values at ts}``.

        ``y0`` and ``params`` are dicts keyed by name (missing entries take the
        file's values); ``ts`` is an array whose first entry is the start time.
        The function composes with `jax.jit`, `jax.vmap`, `jax.jacfwd` and `jax.grad`
        (w.r.t. ``y0`` and ``params``; ``adjoint`` is `modelc.ForwardAdjoint`
        (forward sensitivities), `modelc.CheckpointAdjoint` (the discrete adjoint),
        `modelc.BacksolveAdjoint`, or None: forward sensitivities for at most
        `modelc.solvers.adjoint.FORWARD_MAX_PERTURBED` differentiated scalars,
        else the discrete adjoint). With
        ``full_output=True`` it returns ``(states, info)`` where ``info`` holds
        ``status``, ``nfe``, ``steps``, ``accepted``, ``rejected``. ``controller`` and
        ``phi`` (and ``history_capacity``, for delays) as in `solve`.

        ``externals`` binds the model's external functions (checked now); the
        returned function also takes ``externals=`` at call time, which replaces
        them for that call: to differentiate with respect to a network's weights,
        bind a closure over traced weights there (or build the solver inside the
        differentiated function). ``steps`` (fixed-step methods: ``dt0 =
        (ts[-1] - ts[0]) / steps``) and ``schedule`` as in `solve`. With a
        diffusion sampler (ddim, dpm_solver_*, deis_*) ``ts[0]`` and ``ts[-1]`` give the
        span and the values are at the sampler's ``steps + 1`` step times (or at
        ``ts`` itself with ``schedule="given"``); ``info`` then holds ``ts`` and ``nfe``;
        ``statistics`` as in `solve` (dpm_solver_v3).
        ``method="auto"`` (the default) chooses once, when the function is built and
        outside any ``jit``: the method `solve` would choose for the file's span,
        parameters and initial state at ``rtol`` (`modelc.runs.choose_once`); the
        returned function runs that one method, named by its attribute ``method``
        (``f.auto`` says why; for a named method ``f.auto`` is None).
        For a model with events ``info`` also holds ``event_times``, ``event_index``
        (arrays of length ``max_events``, NaN and -1 past ``event_count``) and
        ``event_count``; outputs after a ``stop`` event are NaN; the default ``adjoint``
        is forward sensitivities (the only one that runs through events).
        """
        bound = self.check_externals(externals) if externals is not None else None
        if method in SAMPLERS:
            from .sampling import sampler_solver

            return sampler_solver(self, method, steps, schedule, bound, full_output, statistics)
        if statistics is not None:
            raise SolveError(f"statistics= is for method 'dpm_solver_v3', not {method!r}")
        opts = SolveOptions.resolve(method=method, rtol=rtol, atol=atol, dt0=dt0, steps=steps,
                                    schedule=schedule, max_steps=max_steps,
                                    controller=controller, phi=phi,
                                    history_capacity=history_capacity)
        reason = None
        if opts.method == "auto":   # chosen once, now: the returned function runs one method
            # the continuous adjoint does not integrate the split methods backwards
            backsolve = isinstance(adjoint, BacksolveAdjoint)
            chosen, reason = choose_once(self, opts.rtol, bound, exponential=not backsolve)
            opts = replace(opts, method=chosen)
        check_method_fits(self.module, self.name, opts.method)
        f = solver_function(self, opts, bound, full_output, adjoint, _max_events(max_events))
        f.method, f.auto = opts.method, reason
        return f

    @cached_property
    def jacobian(self):
        """The generated symbolic Jacobian ``jacobian(t, state, parameter)``, if the module has one
        (with its sparse form, `modelc.solvers.sparse.SparseJacobianFunction`, when the module
        gives its nonzeros: a structured network, issue 16); for a finite-difference grid
        model, which has none, a `modelc.solvers.colouring.StencilJacobian` (its nonzeros
        by compressed differentiation)."""
        dense = getattr(self.module, "jacobian", None)
        if dense is None:   # a finite-difference grid model: its stencil's sparse Jacobian
            from .solvers.colouring import stencil_jacobian

            return stencil_jacobian(self.module)
        if not hasattr(self.module, "jacobian_values"):
            return dense
        return solvers.SparseJacobianFunction(dense, self.module.jacobian_values, self.module.JACOBIAN_ROWS,
                                              self.module.JACOBIAN_COLS, len(self.module.STATE_NAMES))

    @cached_property
    def split(self):
        """The semilinear split ``rhs = L u + N`` as a `modelc.solvers.Split` (kind,
        ``linear_operator(t, parameter)``, ``nonlinear(t, state, parameter)``), or None
        when the model has no linear part or was loaded with ``split=False``.  The
        symbolic form is ``m.ir.split``; ``modelc show`` prints it."""
        return self.split_with()

    def split_with(self, phi: str = "auto"):
        """`split`, with the phi-function evaluation of a matrix-free ``L`` (kinds
        "banded"/"operator") chosen by ``phi``: "dense", "krylov" or "auto"
        (`modelc.solvers.krylov`; other kinds ignore it)."""
        if phi not in solvers.krylov.PHI_METHODS:
            raise SolveError(f"phi={phi!r}; choose one of {', '.join(solvers.krylov.PHI_METHODS)}")
        kind = getattr(self.module, "LINEAR_KIND", None)
        if kind is None:
            return None
        if kind in ("banded", "operator"):
            linear = solvers.krylov.matrix_free_linear(self.module.linear_apply, self.module.STATE_SIZE, phi)
            return solvers.Split("operator", linear, self.module.nonlinear, constant=True)
        transform = None
        if kind == "fourier":
            # Field model on a periodic spectral grid: L is diagonal in Fourier space.
            kind, transform = "diagonal", (self.module.forward, self.module.inverse)
        return solvers.Split(kind, self.module.linear_operator, self.module.nonlinear,
                             constant=bool(self.module.LINEAR_CONSTANT), transform=transform,
                             nonlinear_hat=getattr(self.module, "nonlinear_hat", None))


def _max_events(value) -> int:
    """``max_events`` checked: a positive integer (`SolveError` otherwise)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise SolveError(f"max_events={value!r}: give a positive integer (the number of fired "
                         "events a solve records)")
    return int(value)


def _equations(model) -> list:
    import sympy

    from .passes.inline import constant_values, inline_lets

    flat = inline_lets(model)
    constants = constant_values(model)   # hoisted constants back in parameters
    t = sympy.Symbol("t", real=True)
    return [sympy.Eq(sympy.Derivative(sympy.Symbol(d.state, real=True), t), d.expr.xreplace(constants))
            for d in flat.derivatives]
