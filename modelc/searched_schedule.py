"""Searched sampler schedules: the saved, inspectable per-step choices, and ``method="searched"``.

A :class:`SamplerSchedule` holds a :class:`~modelc.solvers.searched.Plan`
(step times, order, prediction type, singlestep or multistep update and
corrections per step) with what it was fitted on. It is written by
`modelc.schedule_search.search` and used by ``m.solve(method="searched",
schedule=...)`` and ``m.solver(method="searched", schedule=...)`` like any
sampler (``schedule`` a `SamplerSchedule` or the path of a saved one).

Files: ``.json`` (one object per step, human readable; floats written with
``repr``, which round-trips exactly) or ``.npz`` (arrays ``ts``, ``order``,
``prediction`` and ``update`` as strings, ``corrections``, and ``info`` as a
JSON string; no pickles). Both reload bit for bit. A file that is not a
schedule, names an unknown choice, or does not fit the solve (another number
of evaluations, another time span, a model that is not a diffusion ODE) is
refused with a `SolveError` that says why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from .errors import SolveError
from .solvers.diffusion import coefficient_schedule
from .solvers.searched import Plan, check_plan, plan_trajectory

__all__ = [
    "FORMAT",
    "SamplerSchedule",
    "load_schedule",
    "model_sampler",
    "resolve_schedule",
    "searched_solver",
    "solve_searched",
]

FORMAT = "modelc-sampler-schedule"
PREDICTIONS = ("noise", "data")
UPDATES = ("multistep", "singlestep")


@dataclass(frozen=True)
class SamplerSchedule:
    """A searched sampler: per-step choices as NumPy arrays (see `modelc.solvers.searched`).

    Attributes:
        ts: ``(N + 1,)`` step times from the start (noise) to the end (data).
        order: ``(N,)`` polynomial order per step (1..3).
        data: ``(N,)`` 1 for data prediction, 0 for noise prediction.
        single: ``(N,)`` 1 for a singlestep update (from the previous point).
        corrections: ``(N, 3)`` per-step corrections of the integrals.
        info: what it was fitted on (model, errors, search cost), JSON-serialisable.
    """

    ts: np.ndarray
    order: np.ndarray
    data: np.ndarray
    single: np.ndarray
    corrections: np.ndarray
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        problems = check_plan(self.plan_arrays())
        if problems:
            raise SolveError("not a valid sampler schedule: " + "; ".join(problems))

    @property
    def budget(self) -> int:
        """Evaluations of ``eps`` per sample (= steps)."""
        return int(np.asarray(self.ts).size - 1)

    def plan_arrays(self) -> Plan:
        """The choices as a `Plan` of NumPy arrays."""
        return Plan(np.asarray(self.ts, float), np.asarray(self.order, np.int32),
                    np.asarray(self.data, np.int32), np.asarray(self.single, np.int32),
                    np.asarray(self.corrections, float))

    def plan(self, dtype=None) -> Plan:
        """The choices as a `Plan` of JAX arrays (times and corrections in ``dtype``)."""
        p = self.plan_arrays()
        return Plan(jnp.asarray(p.ts, dtype), jnp.asarray(p.order), jnp.asarray(p.data),
                    jnp.asarray(p.single), jnp.asarray(p.corrections, dtype))

    def steps_table(self) -> list[dict]:
        """One dict per step: times, order, prediction, update and corrections."""
        p = self.plan_arrays()
        return [{"t": float(p.ts[i]), "t_next": float(p.ts[i + 1]), "order": int(p.order[i]),
                 "prediction": PREDICTIONS[p.data[i]], "update": UPDATES[p.single[i]],
                 "corrections": [float(c) for c in p.corrections[i]]} for i in range(self.budget)]

    def describe(self) -> str:
        """The per-step choices as a text table."""
        lines = [f"searched schedule, {self.budget} evaluations"]
        lines.append(f"{'step':>4} {'t':>12} {'t_next':>12} order prediction update     corrections")
        for i, s in enumerate(self.steps_table()):
            corr = " ".join(f"{c:+.3f}" for c in s["corrections"][:s["order"]])
            lines.append(f"{i:>4} {s['t']:>12.6g} {s['t_next']:>12.6g} {s['order']:>5} "
                         f"{s['prediction']:<10} {s['update']:<10} {corr}")
        return "\n".join(lines)

    def save(self, path) -> Path:
        """Write to ``path`` (``.json`` or ``.npz``); returns the path."""
        path = Path(path)
        if path.suffix == ".json":
            doc = {"format": FORMAT, "version": 1, "budget": self.budget,
                   "ts": [float(t) for t in self.plan_arrays().ts],
                   "steps": self.steps_table(), "info": self.info}
            path.write_text(json.dumps(doc, indent=1))
        elif path.suffix == ".npz":
            p = self.plan_arrays()
            with open(path, "wb") as f:
                np.savez(f, format=np.array(FORMAT), ts=p.ts, order=p.order,
                         prediction=np.array([PREDICTIONS[d] for d in p.data]),
                         update=np.array([UPDATES[s] for s in p.single]),
                         corrections=p.corrections, info=np.array(json.dumps(self.info)))
        else:
            raise SolveError(f"schedule file {str(path)!r}: use a .json or .npz name")
        return path


def _index(values, names, what, where):
    """Positions of ``values`` in ``names`` (`SolveError` naming an unknown one)."""
    out = []
    for v in values:
        if v not in names:
            raise SolveError(f"schedule {where}: unknown {what} {v!r}; choose one of "
                             f"{', '.join(names)}")
        out.append(names.index(v))
    return np.asarray(out, np.int32)


def load_schedule(path) -> SamplerSchedule:
    """Read a schedule written by `SamplerSchedule.save` (`SolveError` if it is not one)."""
    path = Path(path)
    if not path.exists():
        raise SolveError(f"schedule file {str(path)!r} does not exist")
    try:
        if path.suffix == ".json":
            doc = json.loads(path.read_text())
            if not isinstance(doc, dict) or doc.get("format") != FORMAT:
                raise SolveError(f"schedule {str(path)!r}: not a {FORMAT} file")
            steps = doc["steps"]
            ts = np.asarray(doc["ts"], float)
            if len(steps) != int(doc["budget"]) or ts.size != len(steps) + 1:
                raise SolveError(f"schedule {str(path)!r}: budget {doc['budget']} but "
                                 f"{len(steps)} steps and {ts.size} times")
            order = np.asarray([s["order"] for s in steps], np.int32)
            data = _index([s["prediction"] for s in steps], PREDICTIONS, "prediction", path)
            single = _index([s["update"] for s in steps], UPDATES, "update", path)
            corrections = np.asarray([s["corrections"] for s in steps], float)
            info = doc.get("info", {})
        elif path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                if "format" not in z or str(z["format"]) != FORMAT:
                    raise SolveError(f"schedule {str(path)!r}: not a {FORMAT} file")
                ts, order, corrections = z["ts"], z["order"], z["corrections"]
                data = _index([str(v) for v in z["prediction"]], PREDICTIONS, "prediction", path)
                single = _index([str(v) for v in z["update"]], UPDATES, "update", path)
                info = json.loads(str(z["info"]))
        else:
            raise SolveError(f"schedule file {str(path)!r}: use a .json or .npz name")
    except (KeyError, TypeError, ValueError) as exc:
        raise SolveError(f"schedule {str(path)!r} is malformed: {exc}") from exc
    return SamplerSchedule(ts, order, data, single, corrections, info)


def resolve_schedule(schedule, steps=None, t=None) -> SamplerSchedule:
    """``schedule=`` of ``method="searched"`` as a `SamplerSchedule`, checked against
    ``steps`` (the evaluation budget) and ``t`` (the span) when they are given."""
    if isinstance(schedule, (str, Path)):
        schedule = load_schedule(schedule)
    if not isinstance(schedule, SamplerSchedule):
        raise SolveError("method 'searched' needs schedule= a SamplerSchedule or the path of "
                         "one saved by `modelc sample-search` / modelc.schedule_search.search "
                         f"(got {type(schedule).__name__})")
    if steps is not None and int(steps) != schedule.budget:
        raise SolveError(f"the schedule was searched for {schedule.budget} evaluations, not "
                         f"steps={steps}: search one for that budget (modelc sample-search "
                         f"--budget {steps})")
    if t is not None:
        span = (float(schedule.ts[0]), float(schedule.ts[-1]))
        if not np.allclose((float(t[0]), float(t[-1])), span, rtol=1e-12, atol=0.0):
            raise SolveError(f"the schedule runs from t = {span[0]:g} to {span[1]:g}, not "
                             f"{float(t[0]):g} to {float(t[-1]):g}: give t={span} or none")
    return schedule


def model_sampler(module, p, y0: dict, externals: dict, t0, t1):
    """``(eps, schedule, x, unpack)``: the noise prediction ``(rhs - a x) / b`` of a
    diffusion model's generated module on the flat state, its noise schedule on
    ``[t0, t1]``, the flat start state and ``unpack(xs) -> {state: values}``."""
    from .array_model import problem

    prob = problem(module, p, y0, externals, None)
    drift, noise = module.drift_coefficient, module.noise_coefficient
    schedule = coefficient_schedule(drift, noise, p, t0, t1, getattr(module, "log_alpha", None))

    def eps(x, t):
        return (prob.rhs(t, x, prob.args) - drift(t, p) * x) / noise(t, p)

    return eps, schedule, prob.y0, prob.unpack


def _runner(model, externals):
    """The jitted run ``(y0, params, plan) -> (ys, unpacked)`` (one per budget and externals)."""
    module = model.module

    def run(y0, params, plan):
        p = module.parameter_vector(params).astype(plan.ts.dtype)
        eps, schedule, x, unpack = model_sampler(module, p, y0, externals, plan.ts[0], plan.ts[-1])
        ys, _ = plan_trajectory(eps, schedule, x, plan)
        return ys, (unpack(ys) if unpack else None)

    return run


def solve_searched(model, t, saveat, params, y0, dtype, externals, steps, schedule, dt0):
    """`CompiledModel.solve` with ``method="searched"`` (``externals`` checked, ``dtype``
    resolved); returns a `Solution` at the schedule's step times."""
    from .array_model import check_array_y0, check_sampler
    from .options import cast, model_values
    from .solution import Solution
    from .solvers import RawSolution

    check_sampler(model.module, model.name, "searched")
    if saveat is not None or dt0 is not None:
        raise SolveError("method 'searched' outputs at its schedule's step times: give "
                         "schedule=, not saveat or dt0")
    sched = resolve_schedule(schedule, steps, t)
    params, y0 = model_values(model, params, y0)
    check_array_y0(model.module, model.name, y0)
    run = model.runs.get(("searched", sched.budget), externals,
                         lambda: jax.jit(_runner(model, externals)))
    ys, unpacked = run(cast(y0, dtype), cast(params, dtype), sched.plan(dtype))
    n = sched.budget + 1
    raw = RawSolution(ts=np.asarray(sched.ts, dtype), ys=ys, status=0, nfe=sched.budget,
                      steps=n - 1, accepted=n - 1, rejected=0)
    extra = {} if unpacked is None else {"unpacked": unpacked, "separate": model.array_state_names}
    return Solution.from_raw(raw, state_names=model.state_names, method="searched", **extra)


def _check_span(sched, ts):
    """``ts`` must span the schedule's times (checked when ``ts`` is concrete)."""
    try:
        span = np.asarray(ts)
    except jax.errors.TracerArrayConversionError:
        return
    resolve_schedule(sched, None, span)


def searched_solver(model, steps, schedule, bound, full_output):
    """`CompiledModel.solver` with ``method="searched"``: ``solve(y0, params, ts=None,
    externals=None)``; ``ts`` (if given) must span the schedule's times, and the values
    are at the schedule's step times."""
    from .array_model import check_array_y0, check_sampler
    from .options import model_values
    from .runs import bound_externals

    check_sampler(model.module, model.name, "searched")
    sched = resolve_schedule(schedule, steps)

    def solve(y0, params, ts=None, externals=None):
        ext = bound_externals(model, externals, bound)
        params, y0 = model_values(model, params, y0, shapes=False)
        check_array_y0(model.module, model.name, y0)
        if ts is not None:
            _check_span(sched, ts)
        plan = sched.plan()
        ys, unpacked = _runner(model, ext)(y0, params, plan)
        states = unpacked if unpacked is not None else {
            n: ys[:, i] for i, n in enumerate(model.module.STATE_NAMES)}
        if full_output:
            return states, {"ts": plan.ts, "nfe": jnp.asarray(sched.budget), "status": jnp.asarray(0)}
        return states

    return solve
