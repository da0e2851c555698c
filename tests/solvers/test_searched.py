"""The searched sampler: a per-step plan runtime, saved schedules, and the search.

The closed-form problem is Gaussian data N(0, sd^2) under the VP schedule (as in
test_diffusion.py): eps(x, t) = sigma_t x / s_t^2, exact flow x_t = x_T s_t / s_T."""

import functools
import json
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from modelc.errors import SolveError
from modelc.searched_schedule import SamplerSchedule, load_schedule, resolve_schedule
from modelc.solvers.diffusion import sample, time_grid
from modelc.solvers.searched import Plan, check_plan, plan_sample
from gaussian_sampling import EXACT, SCHEDULE, T0, T1, X_T, eps

ROOT = Path(__file__).resolve().parents[2]
RUN = jax.jit(lambda x, plan: plan_sample(eps, SCHEDULE, x, plan)[0])
"""One compilation per number of steps (the tests share 6, 40, 80 and 160)."""


def _error(plan):
    return float(jnp.max(jnp.abs(RUN(X_T, plan) - EXACT)))


@functools.cache
def _grid(n):
    return time_grid(SCHEDULE, T0, T1, n, "logsnr")


def _plan(n, order=1, data=1, single=None, ts=None):
    ts = _grid(n) if ts is None else ts
    k = np.minimum(np.arange(n) + 1, order)
    single = np.zeros(n, int) if single is None else np.asarray(single)
    return Plan(ts, jnp.asarray(k), jnp.full(n, data), jnp.asarray(single), jnp.zeros((n, 3)))


@pytest.mark.parametrize("data", [0, 1])
def test_order_one_on_the_logsnr_grid_is_ddim(data):
    """Order 1, noise (DPM-Solver-1) or data (DPM-Solver++(1)) prediction: DDIM to rounding."""
    plan = _plan(6, 1, data)
    ref, _ = sample(eps, SCHEDULE, X_T, plan.ts, "ddim")
    assert float(jnp.max(jnp.abs(RUN(X_T, plan) - ref))) < 1e-12
    assert plan_sample(eps, SCHEDULE, X_T, _plan(6, 1, data))[1] == 6


@pytest.mark.slow
@pytest.mark.parametrize("order", [2, 3])
def test_multistep_orders_converge(order):
    """Data-prediction multistep of order k: the error falls at least like h^k (on this
    linear-eps problem order 3 converges faster still)."""
    ns = np.array([40, 80, 160])
    errs = [_error(_plan(int(n), order)) for n in ns]
    slope = -np.polyfit(np.log(ns), np.log(errs), 1)[0]
    assert order - 0.35 < slope < order + 1.2, (slope, errs)


@pytest.mark.slow
def test_singlestep_pair_is_second_order():
    """Alternating (order 1 to a midpoint, then order 2 singlestep from the previous point):
    DPM-Solver-2's structure, second order."""
    errs = []
    for pairs in (20, 40, 80):
        n = 2 * pairs
        single = np.arange(n) % 2
        plan = _plan(n, 2, 0, single)
        plan = plan._replace(order=jnp.asarray(1 + single))
        errs.append(_error(plan))
    slope = -np.polyfit(np.log([20, 40, 80]), np.log(errs), 1)[0]
    assert abs(slope - 2) < 0.35, (slope, errs)


def test_jit_vmap_and_grad():
    """One compilation runs plans with other choices; vmap over start points and over plans;
    the gradient w.r.t. the corrections is finite and matches a finite difference."""
    run = RUN
    a, b = _plan(6, 2, 1), _plan(6, 3, 0)
    xa = run(X_T, a)
    assert float(jnp.max(jnp.abs(run(X_T, b) - xa))) > 0
    batched = jax.vmap(run, in_axes=(0, None))(jnp.stack([X_T, 2 * X_T]), a)
    assert jnp.allclose(batched[0], xa, rtol=0, atol=1e-13)
    plans = Plan(*(jnp.stack([u, v]) for u, v in zip(a, b)))
    both = jax.vmap(run, in_axes=(None, 0))(X_T, plans)
    assert jnp.allclose(both[0], xa, rtol=0, atol=1e-13)

    def loss(c):
        return jnp.sum((run(X_T, a._replace(corrections=c)) - EXACT) ** 2)

    c = jnp.zeros((6, 3))
    g = jax.grad(loss)(c)
    d = 1e-6
    fd = (loss(c.at[3, 1].set(d)) - loss(c.at[3, 1].set(-d))) / (2 * d)
    assert np.all(np.isfinite(np.asarray(g))) and abs(float(g[3, 1]) - float(fd)) < 1e-6


def _schedule(n=6, info=None):
    plan = _plan(n, 2, 1, [0, 0, 1, 0, 0, 0][:n])
    corr = np.linspace(-0.1, 0.1, 3 * n).reshape(n, 3)
    return SamplerSchedule(np.asarray(plan.ts), np.asarray(plan.order), np.asarray(plan.data),
                           np.asarray(plan.single), corr, info or {"note": "test"})


@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_saved_schedule_reloads_bit_for_bit(tmp_path, suffix):
    """Every array round-trips exactly, and so do the samples."""
    sched = _schedule()
    back = load_schedule(sched.save(tmp_path / f"s{suffix}"))
    for name in ("ts", "order", "data", "single", "corrections"):
        assert np.array_equal(getattr(sched, name), getattr(back, name)), name
    assert back.info == sched.info
    x1, x2 = RUN(X_T, sched.plan()), RUN(X_T, back.plan())
    assert np.array_equal(np.asarray(x1), np.asarray(x2))
    assert "singlestep" in back.describe()


def test_bad_plans_are_refused():
    """check_plan names each problem; SamplerSchedule refuses them."""
    good = _plan(4, 2, 1, ts=jnp.linspace(T0, T1, 5))
    assert check_plan(good) == []
    cases = {"order 3 needs 3": good._replace(order=jnp.asarray([1, 3, 2, 2])),
             "order 4": good._replace(order=jnp.asarray([1, 2, 4, 2])),
             "step 0 cannot be singlestep": good._replace(single=jnp.asarray([1, 0, 0, 0])),
             "monotone": good._replace(ts=good.ts.at[2].set(2.0)),
             "corrections has shape": good._replace(corrections=jnp.zeros((4, 2)))}
    for message, plan in cases.items():
        assert any(message in p for p in check_plan(plan)), (message, check_plan(plan))
        with pytest.raises(SolveError, match="not a valid sampler schedule"):
            SamplerSchedule(*(np.asarray(a) for a in plan))


def test_schedule_files_and_fit_are_checked(tmp_path):
    """Unknown choices, other formats, another budget or span: a SolveError that says why."""
    path = _schedule().save(tmp_path / "s.json")
    doc = json.loads(path.read_text())
    doc["steps"][1]["prediction"] = "velocity"
    path.write_text(json.dumps(doc))
    with pytest.raises(SolveError, match="unknown prediction 'velocity'"):
        load_schedule(path)
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(SolveError, match="not a modelc-sampler-schedule"):
        load_schedule(tmp_path / "x.json")
    with pytest.raises(SolveError, match=r"\.json or \.npz"):
        _schedule().save(tmp_path / "s.txt")
    with pytest.raises(SolveError, match="searched for 6 evaluations, not steps=10"):
        resolve_schedule(_schedule(), steps=10)
    with pytest.raises(SolveError, match="runs from t = 1 to 0.001"):
        resolve_schedule(_schedule(), t=(1.0, 0.01))
    with pytest.raises(SolveError, match="needs schedule="):
        resolve_schedule(b"logsnr")


def _gmm():
    sys.path.insert(0, str(ROOT / "examples"))
    from diffusion_gmm import MODEL, gmm_eps, noise

    import modelc

    return modelc.load(MODEL), gmm_eps, noise


def test_method_searched_solve_and_solver(tmp_path):
    """m.solve(method="searched") and m.solver agree with the runtime and with each other,
    and reproduce a reloaded schedule's samples bit for bit; wrong budgets are refused."""
    m, gmm_eps, noise = _gmm()
    x = noise(16)
    sched = _schedule()
    sol = m.solve(y0={"x": x}, externals={"eps": gmm_eps}, method="searched", schedule=sched)
    assert sol.stats["nfe"] == 6 and sol["x"].shape == (7, 16, 2)
    again = m.solve(y0={"x": x}, externals={"eps": gmm_eps}, method="searched",
                    schedule=str(sched.save(tmp_path / "s.npz")))
    assert np.array_equal(sol["x"], again["x"])
    solver = m.solver(method="searched", schedule=sched, externals={"eps": gmm_eps})
    states = jax.jit(lambda x: solver({"x": x}, {}, jnp.asarray([1.0, 1e-3])))(x)
    assert np.allclose(states["x"][-1], sol["x"][-1], rtol=0, atol=1e-12)
    with pytest.raises(SolveError, match="not steps=7"):
        m.solve(y0={"x": x}, externals={"eps": gmm_eps}, method="searched", schedule=sched,
                steps=7)
    with pytest.raises(SolveError, match="needs schedule="):
        m.solve(y0={"x": x}, externals={"eps": gmm_eps}, method="searched")


@pytest.mark.slow
def test_search_beats_ddim_at_ten_evaluations():
    """A small search (16 fitting samples, one round) at budget 10 beats DDIM and
    DPM-Solver++(2M) on 200 other samples by a wide margin."""
    from modelc.schedule_search import reference_samples, search

    m, gmm_eps, noise = _gmm()
    ext = {"eps": gmm_eps}
    sched = search(m, 10, externals=ext, y0={"x": noise(16, seed=1)}, t=(1.0, 1e-3),
                   rounds=1, iterations=100)
    x = noise(200, seed=0)
    ref = np.asarray(reference_samples(m, {"x": x}, ext, (1.0, 1e-3))[0])

    def err(method, **kw):
        out = m.solve(t=(1.0, 1e-3), y0={"x": x}, externals=ext, method=method, **kw)["x"][-1]
        e = float(np.mean(np.linalg.norm(np.asarray(out) - ref, axis=-1)))
        assert np.isfinite(e)
        return e

    searched = err("searched", schedule=sched)
    assert searched < err("ddim", steps=10) / 5
    assert searched < err("dpm_solver_pp_2m", steps=10) / 3
