"""The integration loop (``integrate``), its result type and status codes.

One ``lax.while_loop`` nest serves every stepper and controller:

* an inner *stepping* loop takes steps until the next output time is reached;
  its carry holds only small arrays (a packed scalar vector, ``[y; f]`` -- or
  ``y`` and a stepper state of several rows shaped like ``y``, as etdrk43's
  cached phi-functions -- and the last step's dense-output data), so XLA's
  CPU runtime executes its body as a plain sequence of kernels without
  scheduling overhead;
* an outer loop, once per output-bearing step, runs the stepping loop and then
  a small loop writing every output time passed by the last step, from the
  stepper's dense output (adaptive controllers) or, for a
  :class:`ConstantStepController` (steps shortened to land exactly on the
  output times), from the state itself.

Time is signed (``ts`` may decrease); step magnitudes are positive and the
signed step is ``direction * h``.

Stiff steppers (:class:`~modelc.solvers.implicit.ImplicitStepper`) get the rhs
as a :class:`~modelc.solvers.implicit.StiffRHS` (with the Jacobian and the
tolerances) and report their work as ``(nfe, njev, nlu)``, which may be
traced (Newton iterations); only for them the integer carry grows by these
three counters, so the explicit path compiles to exactly what it did before.
``method="auto"`` is resolved in :mod:`stiffness` (before tracing when the
inputs are concrete, else by a ``lax.cond`` between two loops).

Split steppers (:class:`~modelc.solvers.expint.SplitStepper`: the ETD
family) get the rhs as a :class:`~modelc.solvers.expint.SplitRHS` carrying
the ``split`` given to :func:`integrate` (one more static argument); for
every other stepper ``split`` is ignored (``None``).
"""

from __future__ import annotations

import enum
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .controllers import ConstantStepController, PIController
from .erk import (AdaptiveStepper, AbstractStepper, DenseOutputStepper,
                  ExtraDenseStagesStepper, StepHistory, _select)
from .expint import SplitRHS, SplitStepper
from .phi import CommonStep
from .implicit import ImplicitStepper, StiffRHS, make_jacobian


class Status(enum.IntEnum):
    """Outcome of an integration; ``Status(code).message`` explains it to users."""

    SUCCESS = 0
    MAX_STEPS_REACHED = 1
    STEP_SIZE_UNDERFLOW = 2
    NONFINITE_STATE = 3

    @property
    def message(self) -> str:
        """A user-facing explanation of the status code."""
        return _MESSAGES[self]


_MESSAGES = {
    Status.SUCCESS: "integration successful",
    Status.MAX_STEPS_REACHED: (
        "the maximum number of steps was reached before the final time; increase "
        "max_steps, loosen the tolerances, or check for stiffness (an explicit "
        "method on a stiff problem takes tiny steps)"),
    Status.STEP_SIZE_UNDERFLOW: (
        "the step size became too small relative to the time (step-size underflow); "
        "the solution probably has a singularity (e.g. blows up in finite time) or "
        "the model is extremely stiff"),
    Status.NONFINITE_STATE: (
        "the state or its derivative became non-finite (NaN or inf); the "
        "right-hand side produced NaN/inf (check the model equations, parameters, "
        "and the initial state)"),
}


class RawSolution(NamedTuple):
    """Solver output (a pytree).

    ``ts``: output times ``(T,)``; ``ys``: states ``(T, n)`` with ``ys[0] = y0``
    and NaN after a failure; ``status``: int32 :class:`Status` code; ``nfe``:
    rhs evaluations; ``steps = accepted + rejected``; ``njev``: Jacobian
    evaluations and ``nlu``: LU factorisations (0 for explicit methods); all
    int32 arrays.
    """

    ts: jax.Array
    ys: jax.Array
    status: jax.Array
    nfe: jax.Array
    steps: jax.Array
    accepted: jax.Array
    rejected: jax.Array
    njev: jax.Array = 0
    nlu: jax.Array = 0


def _resolve_method(method) -> AbstractStepper:
    from . import METHODS
    if isinstance(method, AbstractStepper):
        return method
    if isinstance(method, str) and method.lower() in METHODS:
        return METHODS[method.lower()]
    raise ValueError(f"unknown method {method!r}; choose one of {sorted(METHODS)} "
                     "or pass a stepper instance")


def _static_direction(ts):
    """+1/-1 if ``ts`` is concrete, else None (decided at run time)."""
    if isinstance(ts, jax.core.Tracer):
        return None
    ts = np.asarray(ts)
    if ts.ndim != 1 or ts.shape[0] < 1:
        raise ValueError("ts must be a non-empty 1-D array of output times")
    return 1 if ts[-1] >= ts[0] else -1


def integrate(rhs: Callable, y0, ts, args: Any = None, *, method="tsit5", rtol=1e-6,
              atol=1e-9, dt0=None, max_steps: int = 100_000, controller=None,
              dtmin=None, jac: Callable | None = None, adjoint=None,
              split=None, prepare: Callable | None = None) -> RawSolution:
    """Integrate ``dy/dt = rhs(t, y, args)`` from ``ts[0]`` and return ``y`` at all ``ts``.

    ``y0`` is a 1-D array (its float dtype is used throughout), ``ts`` a
    monotonic 1-D array (decreasing for backward integration), ``args`` any
    pytree.  ``method`` is a name from ``METHODS`` or a stepper instance;
    ``controller`` defaults to :class:`PIController` for adaptive steppers and
    :class:`ConstantStepController` (``dt0`` required) otherwise.  ``dt0`` is
    the (first) step size, chosen automatically if None.  ``dtmin`` is a lower
    bound on rejected step sizes (default ``10 eps |t|``).  ``jac(t, y, args)
    -> (n, n)`` is the Jacobian ``df/dy`` used by stiff methods (``rodas5``,
    ``kvaerno5``); without it they use ``jax.jacfwd`` of ``rhs``.
    ``method="auto"`` chooses ``tsit5``, ``rodas5`` or (with ``split``) the
    adaptive exponential ``etdrk43`` from a stiffness estimate
    (:func:`~modelc.solvers.stiffness.choose_method`).  ``split`` is
    a :class:`~modelc.solvers.expint.Split` ``f = L y + N``, required by the
    split exponential steppers (etd1, etdrk2, etdrk4, etdrk4b, lawson4, etdab2-4) and
    ignored by the others.  Returns a
    :class:`RawSolution`; on failure (see :class:`Status`) the loop stops and
    outputs after the failure time are NaN.  jit/vmap/jacfwd/grad compatible:
    ``adjoint`` chooses how reverse mode differentiates the loop
    (:class:`~modelc.solvers.adjoint.ForwardAdjoint`,
    :class:`~modelc.solvers.adjoint.CheckpointAdjoint` or
    :class:`~modelc.solvers.adjoint.BacksolveAdjoint`; None: chosen by the
    number of perturbed inputs); see :mod:`.adjoint`.  ``prepare`` (optional)
    maps ``args`` to what ``rhs``, ``jac`` and ``split`` take, once per solve
    inside the differentiated solve, so that derivatives are counted on
    ``args``' own leaves (see :func:`~modelc.solvers.adjoint.differentiable`).
    """
    stepper = _resolve_method(method)
    if isinstance(stepper, (AdaptiveStepper, AutoStepper)):  # fixed steps do not use rtol
        check_tolerance(rtol, y0)
    if isinstance(stepper, AutoStepper):
        if prepare is not None:  # the stiffness probe needs the prepared args
            args, prepare = prepare(args), None
        return integrate_auto(stepper, rhs, y0, ts, args, rtol=rtol, atol=atol, dt0=dt0,
                              max_steps=max_steps, dtmin=dtmin, jac=jac, adjoint=adjoint,
                              split=split)
    return _integrate_stepper(rhs, y0, ts, args, stepper, rtol, atol, dt0, max_steps,
                              controller, dtmin, jac, adjoint=adjoint, split=split,
                              prepare=prepare)


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


def _integrate_stepper(rhs, y0, ts, args, stepper, rtol, atol, dt0, max_steps, controller,
                       dtmin, jac, jit=True, adjoint=None, split=None, prepare=None):
    """Check the stepper/controller pair and run the (jitted) loop."""
    if isinstance(stepper, SplitStepper):
        if split is None:
            raise ValueError(f"{type(stepper).__name__} is an exponential integrator for "
                             "f = L y + N: pass split=Split(kind, linear, nonlinear)")
    else:
        split = None
    if controller is None:
        controller = (PIController() if isinstance(stepper, AdaptiveStepper)
                      else ConstantStepController())
    if isinstance(controller, ConstantStepController):
        if dt0 is None:
            raise ValueError(f"method {type(stepper).__name__} with a constant step "
                             "needs dt0 (the step size)")
    elif not isinstance(stepper, AdaptiveStepper):
        raise ValueError(f"{type(stepper).__name__} is a fixed-step method: give dt0 "
                         "and use ConstantStepController (the default)")
    elif not isinstance(stepper, DenseOutputStepper):
        raise ValueError(f"{type(stepper).__name__} has no dense output for adaptive use")
    y0 = jnp.asarray(y0)
    if not jnp.issubdtype(y0.dtype, jnp.floating):
        y0 = y0.astype(jnp.result_type(float))
    if coefficients.applies(stepper, controller, split):  # stages stay in Fourier space
        stepper, controller = coefficients.stepping_in_coefficients(stepper, controller, split)
        rhs, split, y0_map, ys_map = coefficients.in_coefficients(split)
        raw = _integrate_stepper(rhs, y0_map(y0), ts, args, stepper, rtol, atol, dt0, max_steps,
                                 controller, dtmin, jac, jit, adjoint, split, prepare)
        return raw._replace(ys=ys_map(raw.ys).astype(y0.dtype).at[0].set(y0))
    static = (rhs, stepper, controller, int(max_steps), _static_direction(ts), dt0 is None,
              dtmin is None, jac, split)
    run = _integrate_jit if jit else _integrate
    return differentiable(run, static, adjoint, y0, ts, args, rtol,
                          atol, dt0, dtmin, prepare=prepare)


def _pack(xs, dtype):
    """Stack scalars into one vector (one loop-carry buffer, one fusion)."""
    return jnp.stack([jnp.asarray(x).astype(dtype) for x in xs])


def _unpack(vec, dtypes):
    """Inverse of :func:`_pack`, restoring the given dtypes."""
    return [vec[i].astype(dt) for i, dt in enumerate(dtypes)]


class _Loop:
    """The pieces of the integration loop for one trace: start, one step, dense values.

    :func:`_integrate` strings them into the fast ``while_loop`` nest; the
    discrete adjoint (:mod:`.adjoint`) replays single steps with ``jax.vjp``.
    ``args`` is an explicit argument of every piece that evaluates the rhs, so
    the adjoint can differentiate with respect to it.
    """

    def __init__(self, rhs, stepper, controller, max_steps, direction, auto_dtmin, jac,
                 dtype, ts, rtol, atol, dtmin, differentiable=False, split=None):
        # Steppers with inner loops (Newton) offer a reverse-differentiable step.
        self.step_fn = (getattr(stepper, "differentiable_step", stepper.step)
                        if differentiable else stepper.step)
        self.stepper, self.controller, self.max_steps = stepper, controller, max_steps
        self.dtype, self.direction = dtype, direction
        self.ts = ts = jnp.asarray(ts, dtype)
        self.rtol, self.atol = jnp.asarray(rtol, dtype), jnp.asarray(atol, dtype)
        self.nts = ts.shape[0]
        self.finfo = jnp.finfo(dtype)
        self.f = f = lambda t, y, a: jnp.asarray(rhs(t, y, a), dtype)  # noqa: E731
        self.t0, self.t1 = ts[0], ts[-1]
        # Signed time; step magnitudes are positive, hs = d * h is the signed step.
        if direction is None:
            self.d = d = _select(self.t1 >= self.t0, jnp.asarray(1.0, dtype), -1.0)
        else:
            self.d = d = float(direction)
        self.fwd = (lambda x: x) if direction == 1 else (lambda x: d * x)  # noqa: E731
        self.implicit = isinstance(stepper, ImplicitStepper)
        self.fn = (StiffRHS(f, make_jacobian(f, jac, dtype), self.rtol, self.atol)
                   if self.implicit else f)
        if split is not None:
            self.fn = SplitRHS(f, split)
        self.user_dtmin = None if auto_dtmin else jnp.asarray(dtmin, dtype)
        self.land = isinstance(controller, ConstantStepController)
        self.lazy = (not self.land) and isinstance(stepper, ExtraDenseStagesStepper)
        self.counts = {"step": 0, "dense": 0}  # static rhs-evaluation counts, set while tracing
        self.nominal = None  # the constant step, a loop invariant (set by _integrate only)

    def start(self, y0, args, dt0):
        """Initial ``(sc, yz, ic)`` carry and the rhs evaluations it took.

        Also fixes the carry layout (``fsal``, ``nrow``, controller-state tree).
        """
        stepper, dtype, f, d, fwd = self.stepper, self.dtype, self.f, self.d, self.fwd
        fstate, nfe_init = stepper.init(self.fn, self.t0, y0, args)
        # A multistep stepper's history: rows next to y, scalars next to the step size.
        hist = fstate if isinstance(fstate, StepHistory) else None
        fstate = None if hist is not None else fstate
        # A stepper state of several rows (etdrk43's cached phi-functions) leads with f.
        f0 = fstate if fstate is None or fstate.ndim == 1 else fstate[0]
        # A split stepper may size its first step by N alone (L is integrated exactly).
        if hasattr(stepper, "controller_rhs"):
            f = stepper.controller_rhs(self.fn, dtype)
        g = f if self.direction == 1 else (lambda t, y, a: d * f(d * t, y, a))  # forward time
        dt, cstate, nfe_dt = self.controller.init(
            stepper, g, fwd(self.t0), fwd(self.t1), y0,
            None if f0 is None else fwd(f0), args, self.rtol, self.atol, dt0)
        ok0 = jnp.all(jnp.isfinite(y0))
        if fstate is not None:
            ok0 = ok0 & jnp.all(jnp.isfinite(fstate))
        status0 = _select(ok0, jnp.asarray(Status.SUCCESS, jnp.int32), Status.NONFINITE_STATE)
        self.fsal = fstate is not None  # the stepper state: rows shaped like y
        state_rows = [] if fstate is None else [fstate[None] if fstate.ndim == 1 else fstate]
        self.nrow = 1 + sum(r.shape[0] for r in state_rows)
        cs_leaves, self.cs_tree = jax.tree_util.tree_flatten(cstate)
        self.sc_dtypes = [dtype] * 4 + [jnp.asarray(x).dtype for x in cs_leaves]
        self.n_cs = len(cs_leaves)
        hist_scalars = [] if hist is None else list(jnp.asarray(hist.scalars, dtype))
        self.hist_rows = 0 if hist is None else hist.rows.shape[0]
        self.nrow += self.hist_rows
        self.sc_dtypes += [dtype] * len(hist_scalars)
        sc0 = _pack([self.t0, dt, self.t0, self.t0, *cs_leaves, *hist_scalars], dtype)
        zero = jnp.asarray(0, jnp.int32)
        ic0 = jnp.stack([zero, zero, status0] + ([zero] * 3 if self.implicit else []))
        # yz = [y; f (FSAL) or the stepper's state rows, or a multistep history;
        # dense-output rows of the last step]: one buffer, one select.
        rows0 = [y0[None], *state_rows]
        if hist is not None:
            rows0.append(jnp.asarray(hist.rows, dtype))
        if not self.land:
            rows0.append(jnp.zeros((stepper.dense_carry_rows, y0.shape[0]), dtype))
        return (sc0, jnp.concatenate(rows0), ic0), nfe_init + nfe_dt

    def step_cond(self, c):
        """Keep stepping: no failure, output ``target`` not reached, budget left."""
        sc, _, ic, target = c
        return ((ic[2] == 0) & (self.fwd(target - sc[0]) > 0)
                & (ic[0] + ic[1] < self.max_steps))

    def step_body(self, args, c):
        """One step attempt on the carry ``(sc, yz, ic, target)``.

        sc = [t, dt, t_prev, 1/hs_prev, *controller state]; ic = [accepted, rejected, status].
        Composed of :meth:`grid` (the attempted step, a function of ``sc`` only),
        :meth:`advance` (the stepper) and :meth:`settle` (controller and carry update).
        """
        sc, yz, ic, target = c
        grid = self.grid(sc, target)
        new, aux = self.advance(args, grid, yz)
        sc, yz, ic, _ = self.settle(grid, sc, yz, ic, new, aux)
        return sc, yz, ic, target

    def grid(self, sc, target):
        """The attempted step ``(t, h, hs, hit, goal, controller state, dt, history
        scalars)`` from ``sc`` (the last None without a multistep history).

        Step sizes are taken under ``stop_gradient`` by the controllers, so
        nothing here carries a derivative (the adjoint treats it as constant).
        """
        t, dt, _, _, *cl = _unpack(sc, self.sc_dtypes)
        cs = jax.tree_util.tree_unflatten(self.cs_tree, cl[:self.n_cs])
        hist = jnp.stack(cl[self.n_cs:]) if self.hist_rows else None
        goal = target if self.land else self.t1
        rem = self.fwd(goal - t)
        if self.land:  # land exactly on the output (a step up to 1e-6 longer is fine)
            hit = rem <= dt * (1 + 1e-6)
            h = _select(hit, rem, dt)
        else:
            hit = rem <= dt
            h = jnp.minimum(rem, dt)
        return t, h, self.fwd(h), hit, goal, cs, dt, hist

    def advance(self, args, grid, yz):
        """The stepper on ``yz`` over ``grid``: ``(new yz rows, (err, work, y1, history
        scalars))``.

        The new rows ``[y1; f1; dense data]`` are what an accepted step stores;
        as a function of ``(args, yz)`` this is the map the discrete adjoint
        differentiates (the error estimate only feeds the controller).
        """
        t, h, hs = grid[:3]
        nrow = self.nrow
        y, fs = yz[0], (None if not self.fsal else yz[1] if nrow == 2 else yz[1:nrow])
        if self.hist_rows:
            fs = StepHistory(yz[:1 + self.hist_rows], grid[7])  # y and the history
        if self.common_step_branch:
            y1, err, dinfo, fs1, work = self._constant_step(args, t, y, hs, fs)
        else:
            fn = self.fn if self.nominal is None else self.fn._replace(nominal=self.nominal)
            y1, err, dinfo, fs1, work = self.step_fn(fn, t, y, hs, args, fs)
        self.last = (t, h, err, y, y1)  # for internals.step_history, read in the same trace
        if not self.implicit:
            self.counts["step"], work = work, ()
        rows = [y1[None]] + ([] if not self.fsal else [fs1[None] if fs1.ndim == 1 else fs1])
        hist1 = None
        if self.hist_rows:
            rows, hist1 = [y1[None], fs1.rows], fs1.scalars
        if not self.land:
            rows.append(self.stepper.dense_carry(dinfo))
        return jnp.concatenate(rows), (err, work, y1, hist1)

    @property
    def common_step_branch(self) -> bool:
        """A one-step split stepper on a constant step: :meth:`_constant_step` applies."""
        return (self.nominal is not None and self.land and not self.fsal
                and not self.hist_rows and isinstance(self.stepper, SplitStepper)
                and self.fn.split.kind == "diagonal")

    def _constant_step(self, args, t, y, hs, fs):
        """The step as a ``lax.cond`` between the common step (``hs`` the nominal step:
        loop-invariant phi-functions, :class:`~modelc.solvers.phi.CommonStep`, traced
        outside the cond so that they stay loop invariants) and a shortened one
        (phi-functions of ``hs``); ``(y1, None, None, None, work)``."""
        works = []

        def branch(nominal):
            def run():
                y1, _, _, _, work = self.step_fn(self.fn._replace(nominal=nominal), t, y, hs,
                                                 args, fs)
                works.append(work)
                return y1
            return run

        common = CommonStep(self.nominal, {})
        branch(common)()  # traces the phi-functions here, outside the cond (the step is unused)
        y1 = lax.cond(hs == self.nominal, branch(common), branch(None))
        return y1, None, None, None, works[0]

    def settle(self, grid, sc, yz, ic, new, aux):
        """Controller decision and carry update after :meth:`advance`.

        Returns ``(sc, yz, ic, acc)``; ``acc`` (the step was accepted and is
        finite) selects ``new`` as the next ``yz``.
        """
        t, h, hs, hit, goal, cs, dt, hist = grid
        err, work, y1, hist1 = aux
        y = yz[0]
        accept, dt_next, cs1 = self.controller.adapt_step_size(self.stepper, t, h, y, y1, err,
                                                               cs, self.rtol, self.atol)
        if self.land:
            dt_next = dt  # keep the nominal step, not the shortened one
        t_new = _select(hit, goal, t + hs)
        y1_ok = jnp.all(jnp.isfinite(y1))
        floor = jnp.maximum(10 * self.finfo.eps * jnp.abs(t), self.finfo.smallest_normal)
        if self.user_dtmin is not None:
            floor = jnp.maximum(floor, self.user_dtmin)
        underflow = (~accept) & (dt_next < floor)
        status = _select((accept | underflow) & ~y1_ok, Status.NONFINITE_STATE,
                           _select(underflow, Status.STEP_SIZE_UNDERFLOW, ic[2]))
        acc = accept & y1_ok
        ai = accept.astype(jnp.int32)
        icl = [ic[0] + ai, ic[1] + 1 - ai, status.astype(jnp.int32)]
        if self.implicit:  # data-dependent work counters (nfe, njev, nlu)
            icl += [ic[3 + k] + jnp.asarray(w, jnp.int32) for k, w in enumerate(work)]
        ic = jnp.stack(icl)
        inv_hs = 1.0 / _select(hs == 0, 1.0, hs)  # for the dense output
        hist_sc = [] if hist is None else list(_select(acc, hist1.astype(self.dtype), hist))
        sc = _pack([_select(acc, t_new, t), dt_next, t, inv_hs,
                    *jax.tree_util.tree_leaves(cs1), *hist_sc], self.dtype)
        return sc, _select(acc, new, yz), ic, acc

    def dense(self, args, sc, yz):
        """``value(ti)``: the state at a time ``ti`` in the last step ``(t_prev, t]``."""
        if self.land:
            return lambda ti: yz[0]
        stepper, nrow = self.stepper, self.nrow
        rhs = self.fn if isinstance(stepper, SplitStepper) else self.f  # split: N and L
        if self.lazy:
            poly, self.counts["dense"] = stepper.dense_from_carry(rhs, args, sc[2],
                                                                  1.0 / sc[3], yz[nrow:])

        def value(ti):
            t_prev, inv_hs = sc[2], sc[3]
            p = poly if self.lazy else stepper.dense_from_carry(rhs, args, t_prev, None,
                                                                yz[nrow:])[0]
            theta = (ti - t_prev) * inv_hs
            return _select(ti == sc[0], yz[0], stepper.eval_dense_poly(p, theta))

        return value

    def s_at(self, i):
        """Output time ``ts[i]`` (clamped index)."""
        return lax.dynamic_slice(self.ts, (jnp.minimum(i, self.nts - 1),), (1,))[0]


def _integrate(rhs, stepper, controller, max_steps, direction, auto_dt0, auto_dtmin, jac,
               split, y0, ts, args, rtol, atol, dt0, dtmin):
    y0 = jnp.asarray(y0)
    dtype = y0.dtype if jnp.issubdtype(y0.dtype, jnp.floating) else jnp.result_type(float)
    y0 = y0.astype(dtype)
    L = _Loop(rhs, stepper, controller, max_steps, direction, auto_dtmin, jac, dtype, ts,
              rtol, atol, dtmin, split=split)
    nts, fwd, s_at = L.nts, L.fwd, L.s_at
    (sc0, yz0, ic0), nfe_start = L.start(y0, args, None if auto_dt0 else dt0)
    if L.land and isinstance(L.fn, SplitRHS) and L.fn.split.constant:
        # The constant step enters the loops as an invariant, so that the steppers'
        # phi-functions of h L are evaluated once, before the loop (phi.step_phis).
        L.nominal = fwd(sc0[1])
    ys = jnp.full((nts, y0.shape[0]), jnp.nan, dtype).at[0].set(y0)

    # Inner loop: steps until the next output time is reached.  Only small buffers
    # live here (XLA CPU then runs the body sequentially, without scheduling cost).
    def step_body(c):
        return L.step_body(args, c)

    # Outer loop: one iteration per output-bearing step.
    def out_cond(c):
        (sc, _, ic), idx, _, _ = c
        return (ic[2] == 0) & (idx < nts) & (ic[0] + ic[1] < max_steps)

    def out_body(c):
        (sc, yz, ic), idx, ys, nd = c
        sc, yz, ic, _ = lax.while_loop(L.step_cond, step_body, (sc, yz, ic, s_at(idx)))
        # Everything is sliced/evaluated inside the write loop so XLA fuses it there
        # (no extra kernels in this body).
        value = L.dense(args, sc, yz)

        def wcond(w):
            i, _ = w
            return (i < nts) & (fwd(s_at(i) - sc[0]) <= 0)

        def wbody(w):
            i, ys = w
            return i + 1, lax.dynamic_update_slice(ys, value(s_at(i))[None], (i, jnp.int32(0)))

        idx, ys = lax.while_loop(wcond, wbody, (idx, ys))
        return (sc, yz, ic), idx, ys, nd + 1

    carry = ((sc0, yz0, ic0), jnp.asarray(1, jnp.int32), ys, jnp.asarray(0, jnp.int32))
    (_, _, ic), idx, ys, nd = lax.while_loop(out_cond, out_body, carry)
    return _finish(L, ic, idx, ys, nd, nfe_start)


def _finish(L, ic, idx, ys, nd, nfe_start):
    """The :class:`RawSolution` from the final counters."""
    zero = jnp.asarray(0, jnp.int32)
    nacc, nrej, status = ic[0], ic[1], ic[2]
    status = _select((status == 0) & (idx < L.nts), Status.MAX_STEPS_REACHED,
                       status).astype(jnp.int32)
    steps = nacc + nrej
    step_nfe = ic[3] if L.implicit else L.counts["step"] * steps
    if hasattr(L.stepper, "startup_nfe"):  # multistep: the one-step starting steps
        step_nfe = step_nfe + L.stepper.startup_nfe(steps)
    nfe = nfe_start + step_nfe + L.counts["dense"] * nd
    njev, nlu = (ic[4], ic[5]) if L.implicit else (zero, zero)
    return RawSolution(ts=L.ts, ys=ys, status=status, nfe=jnp.asarray(nfe, jnp.int32),
                       steps=steps, accepted=nacc, rejected=nrej, njev=njev, nlu=nlu)


_integrate_jit = jax.jit(_integrate, static_argnums=(0, 1, 2, 3, 4, 5, 6, 7, 8))

from . import coefficients  # noqa: E402
from .adjoint import differentiable  # noqa: E402  (uses this module)
from .stiffness import AutoStepper, integrate_auto  # noqa: E402  (uses this module)
