"""The integration loop: its static configuration, carry, step pieces and result.

One ``lax.while_loop`` nest (:func:`run_loop`) serves every stepper and controller:

* an inner *stepping* loop takes steps until the next output time is reached;
  its carry (:class:`Carry`) holds only small arrays (a packed scalar vector,
  ``[y; f]`` -- or ``y`` and a stepper state of several rows shaped like
  ``y``, as etdrk43's cached phi-functions -- and the last step's dense-output
  data), so XLA's CPU runtime executes its body as a plain sequence of kernels
  without scheduling overhead;
* an outer loop, once per output-bearing step, runs the stepping loop and then
  a small loop writing every output time passed by the last step, from the
  stepper's dense output (adaptive controllers) or, for a
  :class:`ConstantStepController` (steps shortened to land exactly on the
  output times), from the state itself.

The loop is configured by a :class:`LoopSpec` (static: functions, stepper,
controller, sizes; one hashable ``jit`` argument) and fed :class:`LoopInputs`
(run-time arrays).  :class:`Loop` holds the pieces of one trace:
:meth:`Loop.start` gives the first :class:`Carry` and the :class:`Layout` of
its rows and scalars (see :class:`Slot`, :class:`Counter`),
:meth:`Loop.grid` the attempted step, :meth:`Loop.advance` the stepper's
result (a :class:`StepRecord`) and :meth:`Loop.settle` the controller's
decision.  :func:`~.stepwise.stepwise` strings them one step at a time for the
discrete adjoint and :mod:`.internals`.

Time is signed (``ts`` may decrease); step magnitudes are positive and the
signed step is ``direction * h``.

Stiff steppers (:class:`~modelc.solvers.implicit.ImplicitStepper`) get the rhs
as a :class:`~modelc.solvers.implicit.StiffRHS` (with the Jacobian and the
tolerances) and report their work as ``(nfe, njev, nlu)``, which may be
traced (Newton iterations); only for them the integer carry grows by these
three counters, so the explicit path compiles to exactly what it did before.
Split steppers (:class:`~modelc.solvers.stepper.SplitStepper`: the ETD
family) get the rhs as a :class:`~modelc.solvers.expint.SplitRHS` carrying
the ``split`` of the spec; for every other stepper ``split`` is None.
"""

from __future__ import annotations

import copy
import enum
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from .controllers import (AbstractController, ConstantStepController, StepAttempt, StepStart,
                          Tolerance)
from .expint import SplitRHS
from .history import DelayArgs, DelayLoop, History
from .implicit import ImplicitStepper, StiffRHS, make_jacobian
from .ops import select
from .phi import CommonStep, SplitKind
from .stepper import (AbstractStepper, ExtraDenseStagesStepper, FSALStepper, MultistepState,
                      SplitStepper)

__all__ = ["Status", "OK_STATUSES", "RawSolution", "LoopSpec", "LoopInputs", "Carry", "Layout", "Slot",
           "Counter", "StepRecord", "Loop", "run_loop", "run_loop_jit", "Grid"]


class Status(enum.IntEnum):
    """Outcome of an integration; ``Status(code).message`` explains it to users."""

    SUCCESS = 0
    MAX_STEPS_REACHED = 1
    STEP_SIZE_UNDERFLOW = 2
    NONFINITE_STATE = 3
    HISTORY_OVERFLOW = 4  # delays: the history ring no longer holds a lag's time
    # DAE engineer (issue 17, constraints): the consistent initialisation of a DAE failed
    # (`modelc.solvers.dae`); a value apart from the others' new codes.
    INCONSISTENT_INITIAL = 8
    # Events (modelc.solvers.events); codes from 10 leave room for other statuses.
    STOPPED = 10
    EVENT_CASCADE = 11
    EVENT_ZENO = 12
    EVENT_LIMIT = 13
    # events engineer 2 (issue 17): the constraints of a DAE not solvable after an event
    EVENT_INCONSISTENT = 14

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
    Status.HISTORY_OVERFLOW: (
        "a delay reaches further back than the stored history (more steps within the "
        "largest lag than history_capacity step ends); raise history_capacity, or loosen "
        "the tolerances so that fewer steps fit in one lag"),
    Status.INCONSISTENT_INITIAL: (  # DAE engineer (issue 17): see modelc.solvers.dae
        "no consistent initial values: Newton's method on the constraints at t0 did not "
        "converge from the given starting guesses of the constrained states; give better "
        "initial values for them, or check that each constraint determines its state "
        "(its derivative in that state is nonzero: index 1)"),
    Status.STOPPED: ("a stop event ended the solve (the solution ends at the stop time; "
                     "in a pure solver function the outputs after it are NaN)"),
    Status.EVENT_CASCADE: (
        "events kept triggering each other at one time (a cascade deeper than the bound); "
        "check the event conditions and assignments for a cycle"),
    Status.EVENT_ZENO: (
        "events accumulated: too many fired without the time moving (Zeno behaviour); "
        "add a condition that stops the accumulation (e.g. stop a ball whose speed is tiny)"),
    Status.EVENT_LIMIT: (
        "more events fired (or were pending) than the solve can record; raise max_events"),
    Status.EVENT_INCONSISTENT: (  # events engineer 2 (issue 17): see modelc.solvers.dae
        "after an event, Newton's method on the constraints did not converge for the "
        "constrained states (the event's new values leave them no consistent solution "
        "near the old one); check the event's assignments against the constraints"),
}

#: Statuses that end a solve normally (`Solution.ok`).
OK_STATUSES = (Status.SUCCESS, Status.STOPPED)


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
    # Models with events only (None otherwise, modelc.solvers.events): the fired events
    # (times, event indices, count; fixed capacity) and the final time and state.
    event_times: Any = None
    event_index: Any = None
    event_count: Any = None
    t_end: Any = None
    y_end: Any = None
    # Delays in observables only (history.DelaySpec.observed): the observables at ``ts``,
    # evaluated from the history inside the loop (None otherwise).
    observed: Any = None


class LoopSpec(NamedTuple):
    """The loop's static configuration: one hashable static argument of ``jit``.

    ``rhs(t, y, args)``; ``direction``: +1/-1 when ``ts`` is concrete, None
    when it is decided at run time; ``auto_dt0`` / ``auto_dtmin``: the first
    step / the step floor are chosen by the loop (the inputs' ``dt0`` /
    ``dtmin`` are then unused); ``jac``: the Jacobian for stiff steppers (None:
    ``jax.jacfwd``); ``split``: the :class:`~modelc.solvers.expint.Split` of a
    split stepper, else None; ``progress(t, t0, t1)``: a host callback after each
    output-bearing step, or None; ``events``: a :class:`~.events.EventSpec` whose hooks
    run at t0, after every step attempt and at the end (None: nothing of it is traced).
    """

    rhs: Callable
    stepper: AbstractStepper
    controller: AbstractController
    max_steps: int
    direction: int | None
    auto_dt0: bool
    auto_dtmin: bool
    jac: Callable | None = None
    split: Any = None
    progress: Callable | None = None
    delays: Any = None  # delays: a history.DelaySpec (rhs(t, y, args, history)), else None
    events: Any = None  # a modelc.solvers.events.EventSpec, or None: no event hooks at all


class LoopInputs(NamedTuple):
    """The loop's run-time inputs (a pytree; ``dt0``/``dtmin`` may be None)."""

    y0: Any
    ts: Any
    args: Any
    rtol: Any
    atol: Any
    dt0: Any = None
    dtmin: Any = None


class Carry(NamedTuple):
    """The stepping loop's carry (a pytree: no run-time cost over a plain tuple).

    ``scalars``: one packed vector (:class:`Slot`); ``rows``: ``[y; stepper
    state rows; multistep history rows; dense-output rows of the last step]``
    (:class:`Layout`); ``counters``: int32 (:class:`Counter`).
    """

    scalars: jax.Array
    rows: jax.Array
    counters: jax.Array
    history: Any = None  # delays: the history.Buffer of past step ends, else None
    events: Any = None  # the events' state (modelc.solvers.events.EventState), if any


class Slot(enum.IntEnum):
    """Positions in :attr:`Carry.scalars`: the time, the next step size, the last
    step's start and ``1 / (signed step)``; the controller state's leaves follow
    from ``CONTROLLER``, then a multistep state's scalars."""

    T = 0
    DT = 1
    T_PREV = 2
    INV_HS = 3
    CONTROLLER = 4


class Counter(enum.IntEnum):
    """Positions in :attr:`Carry.counters` (the last three for implicit steppers only)."""

    ACCEPTED = 0
    REJECTED = 1
    STATUS = 2
    NFE = 3
    NJEV = 4
    NLU = 5


class Layout(NamedTuple):
    """How :meth:`Loop.start` packed the carry (static, fixed once per trace).

    ``fsal``: stepper state rows follow ``y``; ``nrow``: the rows a step reads
    (``y``, state rows, history rows; dense-output rows follow); ``hist_rows``:
    rows of a :class:`~modelc.solvers.stepper.MultistepState`; ``cs_tree`` /
    ``n_cs``: the controller state's tree and leaf count; ``dtypes``: of every
    packed scalar.
    """

    fsal: bool
    nrow: int
    hist_rows: int
    cs_tree: Any
    n_cs: int
    dtypes: tuple


class Grid(NamedTuple):
    """The attempted step (:meth:`Loop.grid`): start ``t``, magnitude ``h``, signed
    ``hs``, whether it lands on ``goal``, the controller state, the nominal step
    ``dt`` and a multistep state's scalars (None without one)."""

    t: Any
    h: Any
    hs: Any
    hit: Any
    goal: Any
    cs: Any
    dt: Any
    hist: Any


class StepRecord(NamedTuple):
    """What one step attempt produced (:meth:`Loop.advance`): from ``y`` at ``t``
    over ``h`` to ``y1``, the error estimate ``err`` (None for fixed-step
    steppers), the traced work ``(nfe, njev, nlu)`` of implicit steppers (else
    ``()``) and a multistep state's new scalars (else None)."""

    t: Any
    h: Any
    y: Any
    y1: Any
    err: Any
    work: Any
    hist: Any


def _pack(xs, dtype):
    """Stack scalars into one vector (one loop-carry buffer, one fusion)."""
    return jnp.stack([jnp.asarray(x).astype(dtype) for x in xs])


def _unpack(vec, dtypes):
    """Inverse of :func:`_pack`, restoring the given dtypes."""
    return [vec[i].astype(dt) for i, dt in enumerate(dtypes)]


def _replaced(x, entries: dict):
    """``x`` with the leading-axis entries ``{index: value}`` replaced (selects on an iota)."""
    index = lax.broadcasted_iota(jnp.int32, x.shape, 0)
    for i, v in entries.items():
        x = jnp.where(index == int(i), v, x)
    return x


class Loop:
    """The pieces of the integration loop for one trace: start, one step, dense values.

    :func:`run_loop` strings them into the fast ``while_loop`` nest; the
    discrete adjoint (:mod:`.adjoint`) replays single steps with ``jax.vjp``
    (:func:`~.stepwise.stepwise`).  ``args`` is an explicit argument of every piece that
    evaluates the rhs, so the adjoint can differentiate with respect to it.
    The pieces after :meth:`start` need its :class:`Layout`:
    ``loop.laid_out(layout)``.
    """

    def __init__(self, spec: LoopSpec, inputs: LoopInputs, dtype, differentiable=False):
        stepper = spec.stepper
        # Steppers with inner loops (Newton) offer a reverse-differentiable step; events
        # swap their loops for reverse-differentiable forms (solvers.event_adjoint).
        self.differentiable = differentiable
        self.step_fn = stepper.differentiable_step if differentiable else stepper.step
        self.stepper, self.controller, self.max_steps = stepper, spec.controller, spec.max_steps
        self.dtype, self.direction = dtype, spec.direction
        self.ts = ts = jnp.asarray(inputs.ts, dtype)
        self.tol = Tolerance(jnp.asarray(inputs.rtol, dtype), jnp.asarray(inputs.atol, dtype))
        self.nts = ts.shape[0]
        self.finfo = jnp.finfo(dtype)
        rhs = spec.rhs
        self.f = f = lambda t, y, a: jnp.asarray(rhs(t, y, a), dtype)  # noqa: E731
        # --- delays (history.py): the steppers' args become DelayArgs(args, buffer) ---
        self.delays = None
        if spec.delays is not None:
            self.delays = DelayLoop(spec.delays, rhs, stepper.order,
                                    isinstance(stepper, FSALStepper), dtype,
                                    events=spec.events is not None)
            self.f = f = lambda t, y, a: jnp.asarray(self.delays.f(t, y, a), dtype)  # noqa: E731
        self.t0, self.t1 = ts[0], ts[-1]
        # Signed time; step magnitudes are positive, hs = d * h is the signed step.
        if spec.direction is None:
            self.d = d = select(self.t1 >= self.t0, jnp.asarray(1.0, dtype), -1.0)
        else:
            self.d = d = float(spec.direction)
        self.fwd = (lambda x: x) if spec.direction == 1 else (lambda x: d * x)  # noqa: E731
        self.implicit = isinstance(stepper, ImplicitStepper)
        # delays: jacfwd through the history; issue 16 (network): steppers that take a
        # sparse Jacobian get it (solvers.sparse)
        jac = None if self.delays is not None else spec.jac
        self.fn = (StiffRHS(f, make_jacobian(f, jac, dtype,
                                             getattr(stepper, "sparse_jacobian", False)), *self.tol)
                   if self.implicit else f)
        if spec.split is not None:
            self.fn = SplitRHS(f, spec.split)
        self.user_dtmin = None if spec.auto_dtmin else jnp.asarray(inputs.dtmin, dtype)
        self.land = isinstance(spec.controller, ConstantStepController)
        self.lazy = (not self.land) and isinstance(stepper, ExtraDenseStagesStepper)
        self.counts = {"step": 0, "dense": 0}  # static rhs-evaluation counts, set while tracing
        self.layout: Layout | None = None
        self.nominal = None  # the constant step, a loop invariant (run_loop sets it)
        self.events = spec.events
        # Events of t0 (``initial = false``) run in the loop's first iteration, by the code
        # of every later event (run_loop; delays keep running them before the loop); the
        # first step is sized from the state before them, and the step size kept after them.
        self.events_at_t0 = (spec.events is not None and spec.delays is None
                             and not all(spec.events.initial))
        self.dt0 = None if spec.auto_dt0 else jnp.asarray(inputs.dt0, dtype)

    def laid_out(self, layout: Layout, nominal=None) -> Loop:
        """This loop with the carry layout from :meth:`start` (and the constant step
        ``nominal``, a loop invariant, if any); shares the static counts."""
        loop = copy.copy(self)
        loop.layout, loop.nominal = layout, nominal
        return loop

    def start(self, y0, args, dt0, sized_from=None):
        """``(carry, nfe, layout)``: the initial :class:`Carry`, the rhs evaluations it
        took and the :class:`Layout` it fixes. ``sized_from``: the state the first step is
        sized from, if not ``y0`` (the replay of :mod:`.stepwise` runs the events of ``t0``
        before the loop, on ``y0`` given before them, as :func:`run_loop` sizes the first
        step from the state before them, :attr:`events_at_t0`)."""
        stepper, dtype = self.stepper, self.dtype
        buffer, nfe_hist = None, 0
        if self.delays is not None:  # delays: the history holds t0; the rhs reads it
            buffer, nfe_hist = self.delays.start(self.t0, y0, args)
            args = DelayArgs(args, buffer)
        fstate, nfe_init = stepper.init(self.fn, self.t0, y0, args)
        nfe_init = nfe_init + nfe_hist
        # A multistep stepper's history: rows next to y, scalars next to the step size.
        hist = fstate if isinstance(fstate, MultistepState) else None
        fstate = None if hist is not None else fstate
        # A stepper state of several rows (etdrk43's cached phi-functions) leads with f.
        f0 = fstate if fstate is None or fstate.ndim == 1 else fstate[0]
        if sized_from is None:
            dt, cstate, nfe_dt = self.first_step(args, self.t0, y0, f0, dt0)
        else:
            fs = stepper.init(self.fn, self.t0, sized_from, args)[0]
            fs = None if isinstance(fs, MultistepState) else fs
            dt, cstate, nfe_dt = self.first_step(args, self.t0, sized_from,
                                                 fs if fs is None or fs.ndim == 1 else fs[0], dt0)
        ok0 = jnp.all(jnp.isfinite(y0))
        if fstate is not None:
            ok0 = ok0 & jnp.all(jnp.isfinite(fstate))
        status0 = select(ok0, jnp.asarray(Status.SUCCESS, jnp.int32), Status.NONFINITE_STATE)
        state_rows = [] if fstate is None else [fstate[None] if fstate.ndim == 1 else fstate]
        cs_leaves, cs_tree = jax.tree_util.tree_flatten(cstate)
        hist_scalars = [] if hist is None else list(jnp.asarray(hist.scalars, dtype))
        hist_rows = 0 if hist is None else hist.rows.shape[0]
        layout = Layout(
            fsal=fstate is not None,
            nrow=1 + sum(r.shape[0] for r in state_rows) + hist_rows,
            hist_rows=hist_rows, cs_tree=cs_tree, n_cs=len(cs_leaves),
            dtypes=tuple([dtype] * 4 + [jnp.asarray(x).dtype for x in cs_leaves]
                         + [dtype] * len(hist_scalars)))
        sc0 = _pack([self.t0, dt, self.t0, self.t0, *cs_leaves, *hist_scalars], dtype)
        zero = jnp.asarray(0, jnp.int32)
        ic0 = jnp.stack([zero, zero, status0] + ([zero] * 3 if self.implicit else []))
        # rows = [y; f (FSAL) or the stepper's state rows, or a multistep history;
        # dense-output rows of the last step]: one buffer, one select.
        rows0 = [y0[None], *state_rows]
        if hist is not None:
            rows0.append(jnp.asarray(hist.rows, dtype))
        if not self.land:
            rows0.append(jnp.zeros((stepper.dense_carry_rows, y0.shape[0]), dtype))
        return Carry(sc0, jnp.concatenate(rows0), ic0, buffer), nfe_init + nfe_dt, layout

    def first_step(self, args, t, y, f0, dt0):
        """``(dt, controller state, nfe)``: the controller's first step from ``(t, y)``
        (``f0``: the FSAL derivative there, or None)."""
        stepper, d, fwd = self.stepper, self.d, self.fwd
        # A split stepper may size its first step by N alone (L is integrated exactly).
        f = stepper.controller_rhs(self.fn, self.dtype)
        g = f if self.direction == 1 else (lambda t, y, a: d * f(d * t, y, a))  # forward time
        start = StepStart(fwd(t), fwd(self.t1), y, None if f0 is None else fwd(f0))
        return self.controller.init(stepper, g, start, args, self.tol, dt0)

    def step_cond(self, c):
        """Keep stepping: no failure, output ``target`` not reached (or events of ``t0``
        still to run in the loop), budget left."""
        carry, target = c
        ic = carry.counters
        go = self.fwd(target - carry.scalars[Slot.T]) > 0
        if self.events is not None and self.events_at_t0:
            go = go | self.events.pending(carry)
        return ((ic[Counter.STATUS] == 0) & go
                & (ic[Counter.ACCEPTED] + ic[Counter.REJECTED] < self.max_steps))

    def step_body(self, args, c):
        """One step attempt on ``(carry, target)``: :meth:`grid` (the attempted step,
        a function of the scalars only), :meth:`advance` (the stepper) and
        :meth:`settle` (controller and carry update)."""
        carry, target = c
        grid = self.grid(carry.scalars, target)
        if self.delays is not None:
            return self._delay_step(args, grid, carry), target
        new, record = self.advance(args, grid, carry.rows)
        carry1, acc = self.settle(grid, carry, new, record)
        if self.events is not None:  # detect, locate and run events (modelc.solvers.events)
            before = c[0] if self.events_at_t0 else None  # t0's events: this step discarded
            carry = self.events.after_step(self, args, grid, carry1, acc, record, before)
            return carry, target
        return carry1, target


    def _delay_step(self, args, grid: Grid, carry: Carry) -> Carry:
        """Delays (history.py): :meth:`step_body` with the step bounded by the lags and
        landing on discontinuity stops, the rhs reading the history, the history's
        interpolation error joined to the step's error estimate, the accepted step end
        recorded and a history too short for the step ending the solve."""
        delays, lay, b = self.delays, self.layout, carry.history
        h, hit, goal, at_stop = delays.limit(grid.t, grid.h, grid.hit, grid.goal, b, self.land)
        grid = grid._replace(h=h, hs=self.fwd(h), hit=hit, goal=goal)
        hargs = self.call_args(args, carry)
        new, record = self.advance(hargs, grid, carry.rows)
        t_new = select(hit, goal, grid.t + grid.hs)
        f_row = (new[1] if delays.fsal_row and lay.fsal and lay.nrow == 2 and not lay.hist_rows
                 else None)
        f1 = delays.end_slope(args, b, t_new, record.y1, f_row, at_stop)
        if f_row is not None:  # on a stop: the next step starts from the right-hand f
            new = new.at[1].set(f1)
        stop_evals = 0 if f_row is None else at_stop.astype(jnp.int32)  # the right-hand f
        left, f_end = None, f1
        if self.events is not None:  # an event's jump makes x' jump on later stops: both sides
            f_end, left_evals = delays.left_slope(args, b, t_new, record.y1, f_row, f1, at_stop)
            left, stop_evals = (at_stop, f_end), stop_evals + left_evals
        if record.err is not None and not self.land and not self.lazy:
            p = self.stepper.dense_from_carry(self.f, hargs, grid.t, None, new[lay.nrow:])[0]
            mid = self.stepper.eval_dense_poly(p, jnp.asarray(0.5, self.dtype))
            # (the step's own cubic: the left-hand slope at its end)
            record = record._replace(err=delays.with_history_error(record.err, b, h, record.y1,
                                                                   f_end, mid))
        carry1, acc = self.settle(grid, carry, new, record)
        carry1 = carry1._replace(history=delays.record(b, t_new, record.y1, f1, acc, stop_evals,
                                                       left))
        if self.events is not None:  # events read the history; their jumps are recorded in it
            carry1 = self._delay_events(args, grid, carry1, acc, record)
        # The ring no longer holds what this step reads: end here, the step not taken.
        short = delays.short_of(grid.t, carry.rows[0], h, args, b)
        ic = carry.counters.at[Counter.STATUS].set(jnp.int32(Status.HISTORY_OVERFLOW))
        return jax.tree_util.tree_map(lambda x, y: select(short, x, y),
                                      carry._replace(counters=ic), carry1)

    def _delay_events(self, args, grid: Grid, carry: Carry, acc, record) -> Carry:
        """Events after a delay step (the step's end already in the history): the event
        functions and the restarted stepper read ``DelayArgs``; when the events moved the
        time back to an event time or changed the state, the history records the jump
        (:meth:`~.history.DelayLoop.jump`)."""
        t1, y1 = carry.scalars[Slot.T], carry.rows[0]
        after = self.events.after_step(self, DelayArgs(args, carry.history), grid, carry, acc,
                                       record)
        t_e, y_e = after.scalars[Slot.T], after.rows[0]
        moved = (t_e != t1) | jnp.any(y_e != y1)
        b = lax.cond(moved, lambda: self.delays.jump(after.history, t_e, y_e, args),
                     lambda: after.history)
        return after._replace(history=b)

    def call_args(self, args, carry: Carry):
        """The ``args`` the steppers' rhs takes: ``args`` itself, or with delays
        ``DelayArgs(args, carry.history)``."""
        return args if self.delays is None else DelayArgs(args, carry.history)

    def restart(self, args, sc, rows, t, y):
        """``(scalars, rows, nfe)`` restarted at ``(t, y)`` after events: ``T = t``, the
        stepper state (FSAL derivative, cached rows, a multistep history and its scalars)
        rebuilt by ``stepper.init``; the step size, controller state and the last step's
        dense rows are kept."""
        lay = self.layout
        fstate, nfe = self.stepper.init(self.fn, t, y, args)
        # Written by selects on the row/slot index, not by dynamic updates: selects fuse with
        # what computes the new values (one kernel per buffer; each update would be its own).
        new_sc = {Slot.T: jnp.asarray(t, sc.dtype)}
        new_rows = {0: y.astype(rows.dtype)}
        if lay.hist_rows:
            new_rows.update(enumerate(jnp.asarray(fstate.rows, rows.dtype), start=1))
            new_sc.update(enumerate(jnp.asarray(fstate.scalars, sc.dtype),
                                    start=Slot.CONTROLLER + lay.n_cs))
        elif lay.fsal:
            block = fstate[None] if fstate.ndim == 1 else fstate
            new_rows.update(enumerate(block.astype(rows.dtype), start=1))
        return _replaced(sc, new_sc), _replaced(rows, new_rows), nfe

    def grid(self, sc, target) -> Grid:
        """The attempted :class:`Grid` step from the packed scalars ``sc``.

        Step sizes are taken under ``stop_gradient`` by the controllers, so
        nothing here carries a derivative (the adjoint treats it as constant).
        """
        lay = self.layout
        t, dt, _, _, *cl = _unpack(sc, lay.dtypes)
        cs = jax.tree_util.tree_unflatten(lay.cs_tree, cl[:lay.n_cs])
        hist = jnp.stack(cl[lay.n_cs:]) if lay.hist_rows else None
        goal = target if self.land else self.t1
        rem = self.fwd(goal - t)
        if self.land:  # land exactly on the output (a step up to 1e-6 longer is fine)
            hit = rem <= dt * (1 + 1e-6)
            h = select(hit, rem, dt)
        else:
            hit = rem <= dt
            h = jnp.minimum(rem, dt)
        return Grid(t, h, self.fwd(h), hit, goal, cs, dt, hist)

    def advance(self, args, grid: Grid, yz):
        """The stepper on the rows ``yz`` over ``grid``: ``(new rows, StepRecord)``.

        The new rows ``[y1; f1; dense data]`` are what an accepted step stores;
        as a function of ``(args, yz)`` this is the map the discrete adjoint
        differentiates (the error estimate only feeds the controller).
        """
        lay, t, h, hs = self.layout, grid.t, grid.h, grid.hs
        nrow = lay.nrow
        y, fs = yz[0], (None if not lay.fsal else yz[1] if nrow == 2 else yz[1:nrow])
        if lay.hist_rows:
            fs = MultistepState(yz[:1 + lay.hist_rows], grid.hist)  # y and the history
        if self.common_step_branch:
            y1, err, dinfo, fs1, work = self._constant_step(args, t, y, hs, fs)
        else:
            fn = self.fn if self.nominal is None else self.fn._replace(nominal=self.nominal)
            y1, err, dinfo, fs1, work = self.step_fn(fn, t, y, hs, args, fs)
        if not self.implicit:
            self.counts["step"], work = work, ()
        rows = [y1[None]] + ([] if not lay.fsal else [fs1[None] if fs1.ndim == 1 else fs1])
        hist1 = None
        if lay.hist_rows:
            rows, hist1 = [y1[None], fs1.rows], fs1.scalars
        if not self.land:
            rows.append(self.stepper.dense_carry(dinfo))
        return jnp.concatenate(rows), StepRecord(t, h, y, y1, err, work, hist1)

    @property
    def common_step_branch(self) -> bool:
        """A one-step split stepper on a constant step: :meth:`_constant_step` applies."""
        return (self.nominal is not None and self.land and not self.layout.fsal
                and not self.layout.hist_rows and isinstance(self.stepper, SplitStepper)
                and self.fn.split.kind == SplitKind.DIAGONAL)

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

    def settle(self, grid: Grid, carry: Carry, new, record: StepRecord):
        """Controller decision and carry update after :meth:`advance`.

        Returns ``(carry, acc)``; ``acc`` (the step was accepted and is finite)
        selects ``new`` as the next rows.
        """
        t, h, hs, hit, goal, cs, dt, hist = grid
        sc, yz, ic = carry.scalars, carry.rows, carry.counters
        y1 = record.y1
        accept, dt_next, cs1 = self.controller.adapt_step_size(
            self.stepper, StepAttempt(t, h, yz[0], y1, record.err), cs, self.tol)
        if self.land:
            dt_next = dt  # keep the nominal step, not the shortened one
        t_new = select(hit, goal, t + hs)
        y1_ok = jnp.all(jnp.isfinite(y1))
        floor = jnp.maximum(10 * self.finfo.eps * jnp.abs(t), self.finfo.smallest_normal)
        if self.user_dtmin is not None:
            floor = jnp.maximum(floor, self.user_dtmin)
        # A rejected attempt of a nominal step under the floor ends the solve (the nominal
        # dt, not the proposal dt_next: the controller's exp and log then feed only the
        # packed scalars, and XLA fuses them there instead of a kernel each)
        underflow = (~accept) & (dt < floor)
        status = select((accept | underflow) & ~y1_ok, Status.NONFINITE_STATE,
                        select(underflow, Status.STEP_SIZE_UNDERFLOW, ic[Counter.STATUS]))
        acc = accept & y1_ok
        ai = accept.astype(jnp.int32)
        icl = [ic[Counter.ACCEPTED] + ai, ic[Counter.REJECTED] + 1 - ai, status.astype(jnp.int32)]
        if self.implicit:  # data-dependent work counters (nfe, njev, nlu)
            icl += [ic[Counter.NFE + k] + jnp.asarray(w, jnp.int32)
                    for k, w in enumerate(record.work)]
        ic = jnp.stack(icl)
        inv_hs = 1.0 / select(hs == 0, 1.0, hs)  # for the dense output
        hist_sc = [] if hist is None else list(select(acc, record.hist.astype(self.dtype), hist))
        sc = _pack([select(acc, t_new, t), dt_next, t, inv_hs,
                    *jax.tree_util.tree_leaves(cs1), *hist_sc], self.dtype)
        return Carry(sc, select(acc, new, yz), ic, carry.history, carry.events), acc

    def dense(self, args, sc, yz, hoisted=False):
        """``value(ti)``: the state at a time ``ti`` in the last step ``(t_prev, t]``
        (``hoisted``: the dense polynomial is built once, outside ``value``, for callers that
        evaluate it many times, as the event location does)."""
        if self.land:
            return lambda ti: yz[0]
        stepper, nrow = self.stepper, self.layout.nrow
        rhs = self.fn if isinstance(stepper, SplitStepper) else self.f  # split: N and L
        if hoisted and hasattr(stepper, "restep_value"):  # exprb: event location by a re-step
            restep = stepper.restep_value(self.fn, args, sc[Slot.T_PREV], yz[nrow:])
            return lambda ti: select(ti == sc[Slot.T], yz[0], restep(ti))
        if hoisted and not self.lazy:
            poly = stepper.dense_from_carry(rhs, args, sc[Slot.T_PREV], None, yz[nrow:])[0]
            return lambda ti: select(ti == sc[Slot.T], yz[0], stepper.eval_dense_poly(
                poly, (ti - sc[Slot.T_PREV]) * sc[Slot.INV_HS]))
        if self.lazy:
            poly, self.counts["dense"] = stepper.dense_from_carry(
                rhs, args, sc[Slot.T_PREV], 1.0 / sc[Slot.INV_HS], yz[nrow:])

        def value(ti):  # sliced here, inside the write loop, so that XLA fuses it there
            t_prev, inv_hs = sc[Slot.T_PREV], sc[Slot.INV_HS]
            p = poly if self.lazy else stepper.dense_from_carry(rhs, args, t_prev, None,
                                                                yz[nrow:])[0]
            theta = (ti - t_prev) * inv_hs
            return select(ti == sc[Slot.T], yz[0], stepper.eval_dense_poly(p, theta))

        return value

    def dense_slope(self, args, sc, yz):
        """``slope(ti)``: the time derivative of the last step's dense polynomial (no rhs
        evaluation: the event code's ``f`` at a located time, which only its derivatives
        use), or None where the method builds its dense output lazily or has none."""
        if self.land or self.lazy:
            return None
        stepper, nrow = self.stepper, self.layout.nrow
        rhs = self.fn if isinstance(stepper, SplitStepper) else self.f
        poly = stepper.dense_from_carry(rhs, args, sc[Slot.T_PREV], None, yz[nrow:])[0]

        def slope(ti):
            def at(s):
                return stepper.eval_dense_poly(poly, (s - sc[Slot.T_PREV]) * sc[Slot.INV_HS])
            return jax.jvp(at, (ti,), (jnp.ones_like(ti),))[1]

        return slope

    def s_at(self, i):
        """Output time ``ts[i]`` (clamped index)."""
        return lax.dynamic_slice(self.ts, (jnp.minimum(i, self.nts - 1),), (1,))[0]


def _float_dtype(y0):
    return y0.dtype if jnp.issubdtype(y0.dtype, jnp.floating) else jnp.result_type(float)


def run_loop(spec: LoopSpec, inputs: LoopInputs) -> RawSolution:
    """The ``while_loop`` nest (module docstring) for ``spec`` on ``inputs``."""
    y0 = jnp.asarray(inputs.y0)
    dtype = _float_dtype(y0)
    y0 = y0.astype(dtype)
    args = inputs.args
    loop = Loop(spec, inputs, dtype)
    if spec.events is not None:  # events at t0 (initial = false) act before the first step
        eargs = args  # with delays, the event functions read the history (t0 only here)
        if loop.delays is not None:
            eargs = DelayArgs(args, loop.delays.start(loop.t0, y0, args)[0])
        y0, ev0, ev_status = spec.events.start(loop, y0, eargs, in_loop=loop.events_at_t0)
    carry0, nfe_start, layout = loop.start(y0, args, None if spec.auto_dt0 else inputs.dt0)
    if spec.events is not None:
        carry0 = spec.events.attach(carry0, ev0, ev_status)
    nominal = None
    if loop.land and isinstance(loop.fn, SplitRHS) and loop.fn.split.constant:
        # The constant step enters the loops as an invariant, so that the steppers'
        # phi-functions of h L are evaluated once, before the loop (phi.step_phis).
        nominal = loop.fwd(carry0.scalars[Slot.DT])
    loop = loop.laid_out(layout, nominal)
    nts, fwd, s_at = loop.nts, loop.fwd, loop.s_at
    ys = jnp.full((nts, y0.shape[0]), jnp.nan, dtype).at[0].set(y0)
    observed = None if spec.delays is None else spec.delays.observed
    if observed is not None:  # delays in observables: written from the history at each output
        cols = loop.delays.cols

        def observe(t, y, history):
            return jnp.asarray(observed(t, y, args, History(history, False, (t, y[cols]))), dtype)

        o0 = observe(loop.t0, y0, carry0.history)
        ys = (ys, jnp.full((nts, o0.shape[0]), jnp.nan, dtype).at[0].set(o0))

    # Inner loop: steps until the next output time ``s_at(idx)`` is reached.  Only small
    # buffers live here (XLA CPU then runs the body sequentially, without scheduling
    # cost); it carries the index, not the time, so that the time is sliced where it is
    # used (in the condition; in the body only for fixed steps), not in a kernel of its own.
    def step_cond(c):
        carry, idx = c
        return loop.step_cond((carry, s_at(idx)))

    def step_body(c):
        carry, idx = c
        return loop.step_body(args, (carry, s_at(idx)))[0], idx

    # Outer loop: one iteration per output-bearing step.  Each iteration takes a step or
    # writes an output (the stepping loop ends at or after the next output time), or the
    # loop ends; only a NaN output time (never reached) would make no progress.
    def out_cond(c):
        carry, idx = c[0], c[1]
        ic = carry.counters
        target = s_at(idx)
        return ((ic[Counter.STATUS] == 0) & (idx < nts) & (target == target)
                & (ic[Counter.ACCEPTED] + ic[Counter.REJECTED] < loop.max_steps))

    def out_body(c):
        carry, idx, ys = c[:3]
        carry, _ = lax.while_loop(step_cond, step_body, (carry, idx))
        # Everything is sliced/evaluated inside the write loop so XLA fuses it there
        # (no extra kernels in this body).
        value = loop.dense(loop.call_args(args, carry), carry.scalars, carry.rows)

        def wcond(w):
            i, _ = w
            return (i < nts) & (fwd(s_at(i) - carry.scalars[Slot.T]) <= 0)

        def wbody(w):
            i, ys = w
            ti = s_at(i)
            yi = value(ti)
            if observed is None:
                return i + 1, lax.dynamic_update_slice(ys, yi[None], (i, jnp.int32(0)))
            ys, obs = ys
            oi = observe(ti, yi, carry.history)
            return i + 1, (lax.dynamic_update_slice(ys, yi[None], (i, jnp.int32(0))),
                           lax.dynamic_update_slice(obs, oi[None], (i, jnp.int32(0))))

        idx, ys = lax.while_loop(wcond, wbody, (idx, ys))
        if spec.progress is not None:
            jax.debug.callback(spec.progress, carry.scalars[Slot.T], s_at(0), s_at(nts - 1))
        if not loop.lazy:
            return carry, idx, ys
        return carry, idx, ys, c[3] + 1  # lazy dense output: its evaluations, counted

    # Events of t0 run in the first iteration (Loop.events_at_t0): that iteration writes
    # ys[0], the state after them (not an output-bearing step: the lazy count starts at -1).
    first = 0 if loop.events_at_t0 else 1
    init = (carry0, jnp.asarray(first, jnp.int32), ys) + ((jnp.asarray(first - 1, jnp.int32),)
                                                          if loop.lazy else ())
    carry, idx, ys, *nd = lax.while_loop(out_cond, out_body, init)
    nd = nd[0] if nd else 0
    if carry.history is not None:  # delays: the right-hand f evaluated on stops
        nfe_start = nfe_start + carry.history.evals
    obs = None
    if observed is not None:
        ys, obs = ys
    raw = _finish(loop, carry.counters, (idx, ys, nd), nfe_start)._replace(observed=obs)
    return raw if spec.events is None else spec.events.finish(carry, raw)


def _finish(loop: Loop, ic, outputs, nfe_start):
    """The :class:`RawSolution` from the final counters and ``outputs = (outputs
    written, ys, output-bearing steps)``."""
    idx, ys, nd = outputs
    zero = jnp.asarray(0, jnp.int32)
    nacc, nrej, status = ic[Counter.ACCEPTED], ic[Counter.REJECTED], ic[Counter.STATUS]
    status = select((status == 0) & (idx < loop.nts), Status.MAX_STEPS_REACHED,
                    status).astype(jnp.int32)
    steps = nacc + nrej
    step_nfe = ic[Counter.NFE] if loop.implicit else loop.counts["step"] * steps
    startup = loop.stepper.startup_nfe(steps)  # multistep: the one-step starting steps
    if not (isinstance(startup, int) and startup == 0):
        step_nfe = step_nfe + startup
    nfe = nfe_start + step_nfe + loop.counts["dense"] * nd
    if loop.delays is not None:  # delays: f at each attempted step's end (not FSAL)
        nfe = nfe + loop.delays.extra_nfe * steps
    njev, nlu = (ic[Counter.NJEV], ic[Counter.NLU]) if loop.implicit else (zero, zero)
    return RawSolution(ts=loop.ts, ys=ys, status=status, nfe=jnp.asarray(nfe, jnp.int32),
                       steps=steps, accepted=nacc, rejected=nrej, njev=njev, nlu=nlu)


run_loop_jit = jax.jit(run_loop, static_argnums=(0,))
""":func:`run_loop` compiled (the spec static)."""
