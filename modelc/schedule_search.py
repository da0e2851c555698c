"""Search a diffusion sampler's per-step schedule for a budget of evaluations (USF / S³ style).

Given a compiled diffusion model (``der(x) = a(t) x + b(t) eps(x, t)`` with
``external eps``), a budget ``N`` of ``eps`` evaluations and a few start
samples, :func:`search` fits a `~modelc.searched_schedule.SamplerSchedule` to
reference end points that modelc computes itself (tsit5 at ``rtol = atol =
1e-10``), minimising the mean Euclidean distance at the end:

1. *time grid*: the grids uniform in log-SNR and in ``t^(1/rho)`` (rho = 1, 2,
   3), each with data-prediction multistep steps of order 2 and of order 3;
   the best one starts the search;
2. *discrete choices, greedy*: step by step, every (order, prediction,
   update) the step allows is tried (all of them in one vmapped run) and the
   best kept;
3. *continuous fine-tuning*: Adam (optax) on the interior log-SNR points
   (softmax of the increments, so the grid stays monotone) and the per-step
   corrections, with gradients through the sampler (`jax.grad`);

and 2-3 once more on the tuned grid (``rounds``). Every run of the sampler
evaluates the model at ``N`` points per sample; the schedule's ``info``
records the cost (runs, evaluations, gradient steps, seconds) and the fit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .errors import SolveError
from .progress import draw_progress
from .searched_schedule import SamplerSchedule, model_sampler
from .solvers.searched import MAX_ORDER, Plan, check_plan, plan_sample

__all__ = ["SearchProblem", "grid_candidates", "reference_samples", "search", "search_problem"]

REFERENCE_TOL = 1e-10
"""rtol and atol of the tsit5 reference."""


@dataclass(frozen=True)
class SearchProblem:
    """What the search runs: the sampler on the model and the references.

    Attributes:
        eps: the noise prediction on the flat state, ``eps(x, t)``.
        schedule: the model's noise schedule on the span.
        x: the flat start state (all samples).
        reference: ``(samples, dims)`` reference end points.
        per_sample: ``flat -> (samples, dims)``.
        t0, t1: the span (start: noise, end: data).
    """

    eps: Callable
    schedule: object
    x: jax.Array
    reference: jax.Array
    per_sample: Callable
    t0: float
    t1: float

    def error(self, plan: Plan):
        """Mean over samples of the Euclidean distance of the end point to the reference."""
        end, _ = plan_sample(self.eps, self.schedule, self.x, plan)
        diff = self.per_sample(end) - self.reference
        return jnp.mean(jnp.sqrt(jnp.sum(diff**2, axis=-1) + 1e-30))


def _rows(unpacked: dict, names, index):
    """The states at time ``index`` as ``(samples, dims)`` (leading axis: samples)."""
    parts = [jnp.reshape(unpacked[n][index], (jnp.shape(unpacked[n][index])[0], -1)) for n in names]
    return jnp.concatenate(parts, axis=1)


def reference_samples(model, y0: dict, externals: dict, t, params=None):
    """End points ``(samples, dims)`` of tsit5 at ``rtol = atol = 1e-10`` and its rhs count."""
    sol = model.solve(t=t, y0=y0, externals=externals, params=params, method="tsit5",
                      rtol=REFERENCE_TOL, atol=REFERENCE_TOL, points=2)
    names = model.array_state_names
    if not names:
        raise SolveError(f"model {model.name!r} has no array state: the search needs samples "
                         "along the leading axis of an array state (state x: array)")
    return _rows(sol.fields, names, -1), int(sol.stats["nfe"])


def search_problem(model, y0: dict, externals: dict, t, params=None, reference=None) -> SearchProblem:
    """The `SearchProblem` of a model, start samples and span (references computed
    here unless ``reference`` is given as ``(samples, dims)``)."""
    from .array_model import check_sampler
    from .options import model_values

    check_sampler(model.module, model.name, "searched")
    externals = model.check_externals(externals)
    if reference is None:
        reference, _ = reference_samples(model, y0, externals, t, params)
    module = model.module
    params, _ = model_values(model, params, None)
    p = module.parameter_vector(params)
    y0 = {k: jnp.asarray(v, float) for k, v in y0.items()}
    eps, schedule, x, unpack = model_sampler(module, p, y0, externals, float(t[0]), float(t[-1]))
    names = model.array_state_names

    def per_sample(flat):
        return _rows(unpack(flat[None]), names, 0)

    return SearchProblem(eps, schedule, x, jnp.asarray(reference), per_sample,
                         float(t[0]), float(t[-1]))


def grid_candidates(schedule, t0: float, t1: float, budget: int) -> dict:
    """Named step grids: uniform in log-SNR and in ``t^(1/rho)`` for rho = 1, 2, 3."""
    from .solvers.diffusion import time_grid

    grids = {"logsnr": np.array(time_grid(schedule, t0, t1, budget, "logsnr"))}
    u = np.linspace(0.0, 1.0, budget + 1)
    for rho in (1, 2, 3):
        a, b = t0 ** (1 / rho), t1 ** (1 / rho)
        grids[f"time^1/{rho}"] = (a + u * (b - a)) ** rho
    for g in grids.values():
        g[0], g[-1] = t0, t1
    return grids


def _default_choices(budget: int, order: int):
    """Data-prediction multistep steps of ``order`` (lower while the history fills)."""
    k = np.minimum(np.arange(budget) + 1, order).astype(np.int32)
    return k, np.ones(budget, np.int32), np.zeros(budget, np.int32)


def _step_options(i: int):
    """Every ``(order, data, single)`` step ``i`` allows."""
    return [(k, d, s) for s in (0, 1) if not (s and i == 0)
            for k in range(1, min(MAX_ORDER, i + 1) + 1) for d in (0, 1)]


class _Counter:
    """Sampler runs and gradient steps, for the search's cost."""

    def __init__(self):
        self.runs = 0
        self.grads = 0


BATCH = 12
"""Plans per vmapped run (the most options of a step); smaller batches are padded so
that one compilation serves the whole search."""


def _batched_error(problem: SearchProblem):
    """``plans -> errors`` for a stacked batch of plans (one compilation, batches padded
    to a multiple of `BATCH`)."""
    run = jax.jit(jax.vmap(problem.error))

    def errors_of(plans: Plan):
        n = plans.ts.shape[0]
        pad = -n % BATCH
        padded = Plan(*(jnp.concatenate([a, jnp.repeat(a[-1:], pad, axis=0)]) for a in plans))
        return jnp.concatenate([run(Plan(*(a[i:i + BATCH] for a in padded)))
                                for i in range(0, n + pad, BATCH)])[:n]

    return errors_of


def _stack(plans):
    return Plan(*(jnp.stack([jnp.asarray(getattr(p, f)) for p in plans]) for f in Plan._fields))


def _greedy(errors_of, plan: Plan, counter, progress):
    """One sweep over the steps, each step's choice the best of all it allows."""
    n = plan.order.shape[0]
    order, data, single = (np.array(a) for a in (plan.order, plan.data, plan.single))
    corrections = np.array(plan.corrections)
    for i in range(n):
        options = _step_options(i)
        plans = []
        for k, d, s in options:
            o, dd, ss, c = order.copy(), data.copy(), single.copy(), corrections.copy()
            o[i], dd[i], ss[i] = k, d, s
            if (k, d, s) != (order[i], data[i], single[i]):
                c[i] = 0.0
            plans.append(Plan(plan.ts, o, dd, ss, c))
        errs = np.asarray(errors_of(_stack(plans)))
        counter.runs += len(plans)
        best = options[int(np.nanargmin(errs))]
        if best != (order[i], data[i], single[i]):
            corrections[i] = 0.0
        order[i], data[i], single[i] = best
        progress(f"greedy step {i + 1}/{n}")
    return Plan(plan.ts, order, data, single, corrections)


def _lambda_params(problem: SearchProblem, ts):
    """Softmax logits of the log-SNR increments of ``ts`` (fractions of the total)."""
    lam = np.asarray(jax.vmap(problem.schedule.lam)(jnp.asarray(ts)))
    return jnp.log(jnp.asarray(np.diff(lam) / (lam[-1] - lam[0])))


def _times(problem: SearchProblem, logits):
    """Step times from softmax logits of the log-SNR increments (ends fixed, monotone;
    the inverse of ``lambda`` carries the derivatives, `Schedule.t_of_lambda`)."""
    s = problem.schedule
    lam0, lam1 = s.lam(jnp.asarray(problem.t0)), s.lam(jnp.asarray(problem.t1))
    lam = lam0 + (lam1 - lam0) * jnp.cumsum(jax.nn.softmax(logits))[:-1]
    inner = jax.vmap(s.t_of_lambda)(lam)
    return jnp.concatenate([jnp.asarray([problem.t0]), inner, jnp.asarray([problem.t1])])


def _tuner(problem: SearchProblem, iterations: int, learning_rate: float = 2e-2,
           penalty: float = 1e-4):
    """``(optimizer, update)``: Adam on the log-SNR logits and the corrections, with
    ``update(params, state, fixed) -> (params, state, loss, ts)`` jitted once per search
    (the discrete choices ``fixed`` are arguments, so every round reuses it)."""
    opt = optax.adam(optax.cosine_decay_schedule(learning_rate, max(iterations, 1)))

    def loss(params, fixed):
        logits, corr = params
        p = Plan(_times(problem, logits), *fixed, corr)
        return problem.error(p) + penalty * jnp.sum(corr**2), p.ts

    @jax.jit
    def update(params, state, fixed):
        (value, ts), grads = jax.value_and_grad(loss, has_aux=True)(params, fixed)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state, value, ts

    return opt, update


def _fine_tune(problem: SearchProblem, plan: Plan, tuner, errors_of, iterations: int,
               counter, progress):
    """Run the tuner from ``plan``; the best iterate (by the unpenalised error) is kept."""
    opt, update = tuner
    fixed = tuple(jnp.asarray(a) for a in (plan.order, plan.data, plan.single))
    params = (_lambda_params(problem, plan.ts), jnp.asarray(plan.corrections))
    state = opt.init(params)
    best = (float(errors_of(_stack([plan]))[0]), plan)
    counter.runs += 1
    for it in range(iterations):
        new, state, value, ts = update(params, state, fixed)
        counter.grads += 1
        value = float(value)
        if np.isfinite(value) and value < best[0]:
            best = (value, Plan(np.asarray(ts), *map(np.asarray, fixed), np.asarray(params[1])))
        if not all(bool(jnp.all(jnp.isfinite(a))) for a in jax.tree_util.tree_leaves(new)):
            break
        params = new
        if it % 10 == 9 or it == iterations - 1:
            progress(f"fine-tune {it + 1}/{iterations}, error {best[0]:.3e}")
    return best[1]


def _start(problem: SearchProblem, budget: int, errors_of, counter):
    """The best (grid, default choices) pair of `grid_candidates`, and all their errors."""
    grids = grid_candidates(problem.schedule, problem.t0, problem.t1, budget)
    named, plans = [], []
    for name, ts in grids.items():
        for order in (2, 3):
            named.append(f"{name}, data multistep order {order}")
            plans.append(Plan(ts, *_default_choices(budget, order), np.zeros((budget, MAX_ORDER))))
    errs = np.asarray(errors_of(_stack(plans)))
    counter.runs += len(plans)
    i = int(np.nanargmin(errs))
    return plans[i], {n: float(e) for n, e in zip(named, errs)}, named[i]


def search(model, budget: int, *, externals: dict, y0: dict, t=None, params=None,
           reference=None, rounds: int = 3, iterations: int = 300,
           progress: bool | Callable | None = None) -> SamplerSchedule:
    """Search a sampler schedule of ``budget`` evaluations for ``model`` (module docstring).

    Args:
        model: a compiled diffusion model (`modelc.load`), with ``external eps``.
        budget: evaluations of ``eps`` per sample (= steps), at least 1.
        externals: the model's external functions (``{"eps": fn}``).
        y0: the start samples, e.g. ``{"x": noise}`` (leading axis: samples).
        t: ``(t0, t1)``, default the file's ``simulate t``.
        params: parameter values by name (defaults from the file).
        reference: ``(samples, dims)`` end points to fit (default: tsit5, rtol 1e-10).
        rounds: greedy + fine-tuning rounds.
        iterations: Adam steps per round.
        progress: True for a progress line on stderr, or a callable ``(done, total, detail)``.

    Returns:
        The `SamplerSchedule`; its ``info`` holds the fitted error, the errors of the
        start grids, and the cost (sampler runs, evaluations, gradient steps, seconds).
    """
    if int(budget) < 1:
        raise SolveError(f"budget must be at least 1 evaluation, got {budget}")
    budget = int(budget)
    sim = model.simulate_defaults
    if t is None:
        if "t0" not in sim:
            raise SolveError(f"model {model.name!r} has no time span: pass t=(t0, t1)")
        t = (sim["t0"], sim["t1"])
    start = time.perf_counter()
    problem = search_problem(model, y0, externals, t, params, reference)
    samples = int(problem.reference.shape[0])
    total = 1 + rounds * (budget + iterations // 10)
    done = [0]

    def report(detail):
        done[0] += 1
        if callable(progress):
            progress(min(done[0], total), total, detail)
        elif progress:
            draw_progress(min(done[0], total), total, detail)

    counter = _Counter()
    errors_of = _batched_error(problem)
    plan, start_errors, start_name = _start(problem, budget, errors_of, counter)
    report(f"start: {start_name}")
    tuner = _tuner(problem, iterations)
    for _ in range(rounds):
        plan = _greedy(errors_of, plan, counter, report)
        plan = _fine_tune(problem, plan, tuner, errors_of, iterations, counter, report)
    error = float(errors_of(_stack([plan]))[0])
    if progress is True:
        import sys

        sys.stderr.write("\n")
    if check_plan(plan):
        raise SolveError("the search produced an invalid plan: " + "; ".join(check_plan(plan)))
    info = {"model": model.name, "budget": budget, "t": [problem.t0, problem.t1],
            "fit_samples": samples, "fit_error": error, "start": start_name,
            "start_errors": start_errors, "rounds": rounds, "iterations": iterations,
            "cost": {"sampler_runs": counter.runs + 1, "gradient_steps": counter.grads,
                     "eps_evaluations": (counter.runs + 1 + counter.grads) * budget * samples,
                     "seconds": round(time.perf_counter() - start, 2)}}
    return SamplerSchedule(np.asarray(plan.ts, float), np.asarray(plan.order, np.int32),
                           np.asarray(plan.data, np.int32), np.asarray(plan.single, np.int32),
                           np.asarray(plan.corrections, float), info)
