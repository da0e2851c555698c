"""A compiled model: the generated JAX module plus solve/solver entry points."""

from __future__ import annotations

import difflib
import warnings
from collections import OrderedDict
from functools import cached_property

import jax
import jax.numpy as jnp
import numpy as np

from . import solvers
from .array_model import (SAMPLERS, check_array_y0, check_externals, given_parameters,
                          is_array_module, problem)
from .errors import SolveError
from .solution import Solution

__all__ = ["CompiledModel", "DEFAULT_RTOL", "DEFAULT_ATOL", "DEFAULT_POINTS"]

DEFAULT_METHOD = "tsit5"
DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 1e-8
DEFAULT_POINTS = 1001
FIXED_STEP_METHODS = ("rk4", "euler", "etd1", "etdrk2", "etdrk4", "etdrk4b", "krogstad", "lawson4",
                      "etdab2", "etdab3", "etdab4")
# Jitted runs that close over bound externals: at most this many per model (least
# recently used dropped), so a new callable per call cannot grow the cache without bound.
EXTERNAL_CACHE_SIZE = 8


class CompiledModel:
    """A model compiled to JAX: metadata, generated functions, `solve` and `solver`.

    Build one with `modelc.load` or `modelc.parse`.
    """

    def __init__(self, module, *, source: str, ir=None, model_text: str | None = None,
                 file: str = "<string>", options: dict | None = None):
        self.module = module
        self.generated_source = source
        self._ir = ir
        self._model_text = model_text
        self._file = file
        self._options = dict(options or {})
        self._jitted: dict = {}
        self._jitted_externals: OrderedDict = OrderedDict()

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
        (defaults that use an overridden parameter follow it)."""
        p = self.module.parameter_vector(dict(params or {}))
        values = dict(zip(self.param_names, np.asarray(p).tolist()))
        if self.is_array_model:
            y0 = dict(y0 or {})
            given = [n for n in self.state_names if n in y0 or n not in self.array_state_names]
            y = self.module.initial_state(p, {**{n: 0.0 for n in self.array_state_names}, **y0})
            values.update({n: np.asarray(v) if np.ndim(v) else float(v)
                           for n, v in zip(self.state_names, y) if n in given})
            return values
        y = self.module.initial_state(p, dict(y0 or {}))
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

    @property
    def ir(self):
        """The model IR (parsed on demand when the module came from the cache)."""
        if self._ir is None:
            from .api import compile_source

            self._ir, _ = compile_source(self._model_text, self._file, **self._options)
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
        ``rounds``, ``enodes`` and ``stopped`` (None, or why the search ended early)."""
        from .passes.rewrite import report_of

        return report_of(self.ir).as_dict()

    # -- solving --------------------------------------------------------------
    def solve(self, t=None, saveat=None, *, method=None, rtol=None, atol=None, params=None,
              y0=None, points=None, dt0=None, max_steps=100_000, dtype=None,
              controller=None, externals=None, steps=None, schedule=None,
              phi="auto") -> Solution:
        """Integrate the model and return a `Solution`.

        Args:
            t: ``(t0, t1)``; defaults to the file's ``simulate t = [...]``.
            saveat: output times (an array); default ``points`` evenly spaced times.
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
                the step times, ``saveat`` is refused).
            rtol, atol: tolerances of adaptive methods.
            params, y0: values by name; missing ones come from the file.
            points: number of evenly spaced outputs when ``saveat`` is not given.
            dt0: initial step (adaptive) or the step (fixed-step methods).
            max_steps: step budget; reaching it is reported in ``sol.status``.
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
        """
        externals = self._externals(externals)
        if method in SAMPLERS or (method is None and self.simulate_defaults.get("method") in SAMPLERS):
            from .sampling import solve_with_sampler

            return solve_with_sampler(self, t, saveat, method or self.simulate_defaults["method"],
                                      params, y0, _dtype(dtype), externals, steps, schedule, dt0)
        (method, rtol, atol, dtype, ts, drop_first, dt0, params, y0) = self._solve_options(
            t, saveat, method, rtol, atol, points, dt0, params, y0, dtype, steps, schedule)
        auto_reason = None
        if method == "auto":
            method, auto_reason = self._choose_method(ts, params, y0, rtol, dtype, externals)
        run = self._run_function(method, max_steps, dt0 is not None, _controller(controller),
                                 externals, phi)
        raw, obs, extra = run(_cast(y0, dtype), _cast(params, dtype), jnp.asarray(ts, dtype),
                              rtol, atol, dt0)
        status = solvers.Status(int(raw.status))
        if status != solvers.Status.SUCCESS:
            warnings.warn(f"model {self.name!r}: {status.message}", RuntimeWarning, stacklevel=2)
        start = 1 if drop_first else 0
        y, state_names, fields, grid = np.asarray(raw.ys)[start:], self.state_names, {}, {}
        if self.is_array_model:
            state_names, y, fields = self._split_arrays(extra, start, len(raw.ts))
        elif extra is not None:
            unpacked, grid = extra
            state_names = tuple(n for n in self.state_names if n not in self.field_names)
            y = np.stack([np.asarray(unpacked[n])[start:] for n in state_names], axis=-1) if state_names \
                else np.zeros((len(raw.ts) - start, 0))
            fields = {n: np.asarray(unpacked[n])[start:] for n in self.field_names}
            grid = {k: np.asarray(v) for k, v in grid.items()}
        return Solution(
            t=np.asarray(raw.ts)[start:],
            y=y,
            state_names=state_names,
            observables=np.asarray(obs)[start:],
            observable_names=self.observable_names,
            stats=_stats(raw, method, auto_reason),
            status=status,
            fields=fields,
            grid=grid,
        )

    def ensemble(self, params=None, y0=None, *, t=None, saveat=None, method=None, rtol=None,
                 atol=None, points=None, dt0=None, max_steps=100_000, dtype=None,
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

    def _split_arrays(self, unpacked, start, n_times):
        """Scalar states as ``y`` columns, array states as ``fields`` (shape ``(times, *shape)``)."""
        scalars = tuple(n for n in self.state_names if n not in self.array_state_names)
        y = np.stack([np.asarray(unpacked[n])[start:] for n in scalars], axis=-1) if scalars \
            else np.zeros((n_times - start, 0))
        fields = {n: np.asarray(unpacked[n])[start:] for n in self.array_state_names}
        return scalars, y, fields

    def _externals(self, externals) -> dict:
        """``externals=`` checked against the model (an empty dict for models without any)."""
        if not self.is_array_model:
            if externals:
                raise SolveError(f"externals: model {self.name!r} declares no external functions "
                                 f"(got {', '.join(map(repr, externals))})")
            return {}
        return check_externals(self.module, self.name, externals)

    def _cached(self, key, externals, build):
        """A jitted function from the per-model cache; keys with externals live in a
        bounded LRU (`EXTERNAL_CACHE_SIZE`)."""
        if not externals:
            if key not in self._jitted:
                self._jitted[key] = build()
            return self._jitted[key]
        key = key + (tuple(sorted(externals.items(), key=lambda kv: kv[0])),)
        cache = self._jitted_externals
        if key in cache:
            cache.move_to_end(key)
        else:
            cache[key] = build()
            while len(cache) > EXTERNAL_CACHE_SIZE:
                cache.popitem(last=False)
        return cache[key]

    def _solve_options(self, t, saveat, method, rtol, atol, points, dt0, params, y0, dtype,
                       steps=None, schedule=None):
        """The solve options with the file's defaults filled in and checked."""
        sim = self.simulate_defaults
        method = method or sim.get("method", DEFAULT_METHOD)
        dtype = _dtype(dtype)
        floor = _rtol_floor(dtype)
        if rtol is None and "rtol" not in sim:
            rtol = max(DEFAULT_RTOL, floor)  # the default follows the precision
        rtol = float(rtol if rtol is not None else sim["rtol"])
        atol = float(atol if atol is not None else sim.get("atol", DEFAULT_ATOL))
        if method in FIXED_STEP_METHODS:
            rtol = max(rtol, floor)  # unused by fixed steps: never a reason to refuse
        elif rtol < floor:
            raise SolveError(
                f"rtol = {rtol:g} is below what {dtype} can deliver (about {floor:.1e}); "
                "raise rtol or use dtype='float64'")
        ts, drop_first = self._time_grid(t, saveat, points)
        dt0 = _fixed_step(method, dt0, steps, schedule, abs(ts[-1] - ts[0]))
        params = self._named(params, self.param_names, "parameter")
        y0 = self._named(y0, self.state_names, "state")
        check_array_y0(self.module, self.name, y0)
        _check_method(method)
        self._check_split(method)
        return method, rtol, atol, dtype, ts, drop_first, dt0, params, y0

    def solver(self, method: str = DEFAULT_METHOD, rtol: float = DEFAULT_RTOL,
               atol: float = DEFAULT_ATOL, *, dt0=None, max_steps: int = 100_000,
               full_output: bool = False, controller=None, adjoint=None, externals=None,
               steps=None, schedule=None, phi="auto"):
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
        ``phi`` as in `solve`.

        ``externals`` binds the model's external functions (checked now); the
        returned function also takes ``externals=`` at call time, which replaces
        them for that call: to differentiate with respect to a network's weights,
        bind a closure over traced weights there (or build the solver inside the
        differentiated function). ``steps`` (fixed-step methods: ``dt0 =
        (ts[-1] - ts[0]) / steps``) and ``schedule`` as in `solve`. With a
        diffusion sampler (ddim, dpm_solver_*, deis_*) ``ts[0]`` and ``ts[-1]`` give the
        span and the values are at the sampler's ``steps + 1`` step times (or at
        ``ts`` itself with ``schedule="given"``); ``info`` then holds ``ts`` and ``nfe``.
        """
        module = self.module
        controller = _controller(controller)
        names = self.state_names
        jacobian = self.jacobian
        fielded = self.is_field_model
        bound = self._externals(externals) if externals is not None else None
        if method in SAMPLERS:
            from .sampling import sampler_solver

            return sampler_solver(self, method, steps, schedule, bound, full_output)
        _check_method(method)
        self._check_split(method)
        split = self.split_with(phi)
        if steps is not None:
            _fixed_step(method, dt0, steps, schedule, 1.0)  # the same checks as solve

        def solve(y0, params, ts, externals=None):
            ext = self._call_externals(externals, bound)
            check_array_y0(module, self.name, y0)
            p = module.parameter_vector(params)
            prob = problem(module, p, y0, ext, split)
            step = dt0 if steps is None else jnp.abs(ts[-1] - ts[0]) / steps
            given, prepare = given_parameters(module, params, prob.args)
            raw = solvers.integrate(prob.rhs, prob.y0, ts, given, method=method, rtol=rtol,
                                    atol=atol, dt0=step, max_steps=max_steps, jac=jacobian,
                                    controller=controller, split=prob.split, adjoint=adjoint,
                                    prepare=prepare)
            if prob.unpack is not None:
                states = prob.unpack(raw.ys)
            elif fielded:
                states = jax.vmap(module.unpack, in_axes=(0, 0, None))(raw.ts, raw.ys, p)
            else:
                states = {name: raw.ys[:, i] for i, name in enumerate(names)}
            if full_output:
                info = {k: getattr(raw, k) for k in _COUNTERS + ("status",)}
                return states, info
            return states

        return solve

    def _call_externals(self, externals, bound):
        """The externals of one call of a `solver` function: those given to the call,
        else those bound by `solver` (checked either way)."""
        if externals is not None:
            return self._externals(externals)
        return bound if bound is not None else self._externals(None)

    def _run_function(self, method: str, max_steps: int, has_dt0: bool, controller=None,
                      externals=None, phi="auto"):
        _check_method(method)
        module = self.module
        jacobian = self.jacobian
        fielded = self.is_field_model
        split = self.split_with(phi)
        externals = dict(externals or {})

        def run(y0, params, ts, rtol, atol, dt0):
            p = module.parameter_vector(params).astype(ts.dtype)
            prob = problem(module, p, y0, externals, split)
            raw = solvers.integrate(prob.rhs, prob.y0, ts, prob.args, method=method, rtol=rtol,
                                    atol=atol, dt0=dt0, max_steps=max_steps, jac=jacobian,
                                    controller=controller, split=prob.split)
            obs = jax.vmap(prob.observables, in_axes=(0, 0, None))(raw.ts, raw.ys, prob.args)
            extra = None
            if prob.unpack is not None:
                extra = prob.unpack(raw.ys)
            elif fielded:
                unpacked = jax.vmap(module.unpack, in_axes=(0, 0, None))(raw.ts, raw.ys, p)
                extra = (unpacked, module.grid(p))
            return raw, obs, extra

        return self._cached((method, max_steps, has_dt0, controller, phi), externals,
                            lambda: jax.jit(run))

    @property
    def jacobian(self):
        """The generated symbolic Jacobian ``jacobian(t, state, parameter)``, if the module has one."""
        return getattr(self.module, "jacobian", None)

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
            raise ValueError(f"phi={phi!r}; choose one of {', '.join(solvers.krylov.PHI_METHODS)}")
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

    def _check_split(self, method):
        if self.is_array_model and isinstance(solvers.METHODS[method], solvers.SplitStepper) \
                and getattr(self.module, "LINEAR_KIND", None) is None:
            raise SolveError(
                f"method {method!r} needs rhs = a(t)*x + N with one scalar a for all states; "
                f"model {self.name!r} (with array states or externals) has no such linear part")
        multistep = isinstance(solvers.METHODS[method], solvers.ETDAB)
        if multistep and not getattr(self.module, "LINEAR_CONSTANT", True):
            raise SolveError(
                f"method {method!r} (exponential Adams-Bashforth) needs a constant linear part "
                f"L, but L of model {self.name!r} depends on t; use etdrk4 or etdrk43")
        if self.is_array_model:
            return
        if isinstance(solvers.METHODS[method], solvers.SplitStepper) and self.split is None:
            raise SolveError(
                f"method {method!r} integrates rhs = L*u + N exactly in L, but model "
                f"{self.name!r} has no linear part (or was loaded with split=False); use "
                "exprb32/exprb43 (exponential Rosenbrock with the Jacobian) or rodas5")

    def _choose_method(self, ts, params, y0, rtol, dtype, externals=None):
        """``method="auto"``: pick an explicit, a stiff or an exponential method (solvers.stiffness)."""
        p = self.module.parameter_vector(_cast(params, dtype)).astype(dtype)
        prob = problem(self.module, p, _cast(y0, dtype), dict(externals or {}), self.split)
        return solvers.choose_method(prob.rhs, self.jacobian, (ts[0], ts[-1]), prob.y0, prob.args,
                                     rtol, split=prob.split)

    def _time_grid(self, t, saveat, points):
        sim = self.simulate_defaults
        if saveat is not None:
            ts = np.asarray(saveat, dtype=float).ravel()
            if ts.size == 0:
                raise SolveError("saveat is empty: give at least one output time")
            if t is None or float(t[0]) == ts[0]:
                return ts, False
            return np.concatenate([[float(t[0])], ts]), True
        if t is None and "t0" in sim:
            t = (sim["t0"], sim["t1"])
        if t is None:
            raise SolveError(
                f"model {self.name!r} has no time span: pass t=(t0, t1) or add a line "
                "`simulate t = [t0, t1]` to the model file"
            )
        t0, t1 = float(t[0]), float(t[1])
        if t0 == t1:
            raise SolveError(f"the time span is empty: t0 = t1 = {t0}")
        n = int(points or sim.get("points", DEFAULT_POINTS))
        if n < 2:
            raise SolveError(f"points must be at least 2, got {n}")
        return np.linspace(t0, t1, n), False

    def _named(self, values, known, kind):
        values = dict(values or {})
        for name in values:
            if name not in known:
                close = difflib.get_close_matches(name, known, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise SolveError(
                    f"model {self.name!r} has no {kind} named {name!r}{hint} "
                    f"(its {kind}s: {', '.join(known) or 'none'})"
                )
        return values


def _equations(model) -> list:
    import sympy

    from .passes.inline import constant_values, inline_lets

    flat = inline_lets(model)
    constants = constant_values(model)   # hoisted constants back in parameters
    t = sympy.Symbol("t", real=True)
    return [sympy.Eq(sympy.Derivative(sympy.Symbol(d.state, real=True), t), d.expr.xreplace(constants))
            for d in flat.derivatives]


def _fixed_step(method, dt0, steps, schedule, span):
    """The step of a fixed-step method: ``dt0``, or ``span / steps``, or span/1000."""
    if steps is not None and dt0 is not None:
        raise SolveError("give steps= or dt0=, not both")
    if schedule not in (None, "time"):
        raise SolveError(f"schedule= is for the diffusion samplers; method {method!r} takes "
                         "steps uniform in time (schedule='time')")
    if steps is not None:
        if method not in FIXED_STEP_METHODS:
            raise SolveError(f"steps= is for fixed-step methods; {method!r} is adaptive (use dt0 "
                             "for its first step)")
        if int(steps) < 1:
            raise SolveError(f"steps must be at least 1, got {steps}")
        return span / int(steps)
    if method in FIXED_STEP_METHODS and dt0 is None:
        return span / 1000
    return dt0



def _check_method(method):
    if method not in solvers.METHODS:
        raise SolveError(f"unknown method {method!r}; choose one of "
                         f"{', '.join((*solvers.METHODS, *SAMPLERS))}")


def _controller(spec):
    """Resolve ``controller=`` (None, "pi", "rl", a policy file, an instance)."""
    if spec is None:
        return None
    from .rl.store import as_controller

    try:
        return as_controller(spec)
    except (ValueError, TypeError) as err:
        raise SolveError(str(err)) from None


def _dtype(dtype):
    """The solve's float type: float64 (the default with x64 on) or float32."""
    dtype = jnp.dtype(dtype) if dtype is not None else jnp.asarray(0.0).dtype
    if dtype not in (jnp.dtype("float32"), jnp.dtype("float64")):
        raise SolveError(f"dtype must be float32 or float64, got {dtype}")
    return dtype


def _rtol_floor(dtype) -> float:
    """The smallest meaningful relative tolerance in ``dtype`` (``10 eps``)."""
    return 10 * float(jnp.finfo(dtype).eps)


def _cast(values: dict, dtype) -> dict:
    return {k: jnp.asarray(v, dtype=dtype) for k, v in values.items()}


_COUNTERS = ("nfe", "steps", "accepted", "rejected", "njev", "nlu")


def _stats(raw, method, auto_reason=None) -> dict:
    stats = {k: int(getattr(raw, k)) for k in _COUNTERS}
    stats["method"] = method
    if auto_reason is not None:
        stats["auto"] = auto_reason
    return stats
