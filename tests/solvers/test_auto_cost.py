"""method="auto" by predicted cost (issue 19 item 1).

The FitzHugh--Nagumo reproducer: 201 points, a stiff-looking Laplacian (index
1.9e3) that etdrk43 integrates exactly but only through a Krylov space per
phi-function; auto chose etdrk43 (37-73 s) where tsit5 takes 0.4 s. Choosing by
predicted work (steps x work per step) must pick tsit5 there, keep etdrk43 where
L is diagonal and N mild, and rodas5 on a small stiff system.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import modelc
from modelc.solvers import cost, stiffness
from modelc.solvers.phi import SplitKind

FHN = """model fhn "FitzHugh-Nagumo on a line"
parameter D = 1, a = 0.7, b = 0.8, eps = 0.08
domain x = [0, 100], points = 201
field v = 2*exp(-x^2/20) - 1.2
field w = -0.6
boundary diff(v, x) = 0 at x = 0
boundary diff(v, x) = 0 at x = 100
der(v) = D*diff(v, x, 2) + v - v^3/3 - w
der(w) = eps*(v + a - b*w)
simulate t = [0, 100], rtol = 1e-8, points = 101
"""


class _Split:
    def __init__(self, kind, transform=None):
        self.kind, self.transform = kind, transform


def _fd_work(n=402):
    """Work of the FHN grid: f ~ 9 flops per state, a Krylov L (m = 30 applications)."""
    f = 9.0 * n + cost.OVERHEAD
    lu, solve = 2.0 * n ** 3 / 3 + cost.OVERHEAD, 2.0 * n ** 2 + cost.OVERHEAD
    return cost.Work(f, n * f, lu, solve, f, cost.phi_work(SplitKind.OPERATOR, n, f, False), n)


def test_fhn_spectra_choose_the_explicit_method():
    """The probe's numbers on FHN (rho 18.9, rho_N 4.04 over 100 at rtol 1e-8): tsit5's
    ~2e3 steps at 6 evaluations beat etdrk43's steps at 5 Krylov phi-combinations."""
    split, work = _Split(SplitKind.OPERATOR), _fd_work()
    code = int(stiffness.classify(18.9, 4.04, 100.0, 1e-8, split, 402, work))
    assert code == 0
    codes, costs, _ = stiffness.predicted(18.9, 4.04, 100.0, 1e-8, split, 402, work)
    assert codes == (0, 1, 2) and float(costs[2]) > 100 * float(costs[0])


def test_cheap_diagonal_l_with_a_mild_n_goes_exponential():
    """A Fourier-diagonal L (phi-functions elementwise) carrying all the stiffness."""
    n = 128
    split = _Split(SplitKind.DIAGONAL, transform=(None, None))
    work = cost.heuristic_work(n, split)
    assert int(stiffness.classify(2e4, 5.0, 100.0, 1e-6, split, n, work)) == 2


def test_a_small_stiff_system_goes_implicit_and_a_calm_one_explicit():
    work = cost.heuristic_work(3)
    assert int(stiffness.classify(1e4, math.inf, 1e5, 1e-6, None, 3, work)) == 1
    assert int(stiffness.classify(20.0, math.inf, 20.0, 1e-6, None, 3, work)) == 0
    # a NaN probe counts as infinitely stiff
    assert int(stiffness.classify(math.nan, math.inf, 1.0, 1e-6, None, 3, work)) == 1


def test_predicted_costs_are_traceable_and_agree_with_the_eager_choice():
    split, work = _Split(SplitKind.OPERATOR), _fd_work()
    args = (jnp.asarray(18.9), jnp.asarray(4.04), jnp.asarray(100.0), jnp.asarray(1e-8))
    traced = jax.jit(lambda r, rn, s, tol: stiffness.classify(r, rn, s, tol, split, 402, work))
    assert int(traced(*args)) == int(stiffness.classify(18.9, 4.04, 100.0, 1e-8, split, 402, work))


def test_measured_work_counts_the_right_hand_side_and_the_lu():
    """XLA's cost analysis of f = -k y (n states): about n flops, the LU 2 n^3 / 3."""
    n = 50
    w = cost.measure_work(lambda t, y, k: -k * y, None, None, 0.0, jnp.ones(n), jnp.asarray(2.0))
    np.testing.assert_allclose(w.f - cost.OVERHEAD - n, n, rtol=0.5)
    np.testing.assert_allclose(w.lu - cost.OVERHEAD, 2 * n ** 3 / 3)
    assert w.jac == n * w.f and math.isinf(w.phi)


def test_counted_work_weights_the_counters():
    w = cost.Work(10.0, 100.0, 1000.0, 5.0, 7.0, 50.0, 4)
    assert cost.counted_work("tsit5", {"nfe": 12, "steps": 2}, w) == 120.0
    assert cost.counted_work("rodas5", {"nfe": 16, "steps": 2, "njev": 2, "nlu": 2}, w) == \
        16 * 10 + 2 * 100 + 2 * 1000 + 8 * 2 * 5
    assert cost.counted_work("etdrk43", {"nfe": 8, "steps": 2}, w) == 8 * 7 + 5 * 2 * 50


def test_robertson_works_out_of_the_box_with_the_default(examples_dir):
    """The stiff classic without a method: auto picks rodas5; A + B + C = 1 and y(1e5)
    matches SciPy's Radau at tight tolerances."""
    from scipy.integrate import solve_ivp
    text = (examples_dir / "robertson.model").read_text().replace("method = rodas5, ", "")
    sol = modelc.parse(text).solve(points=3)
    assert sol.ok and sol.stats["method"] == "rodas5"
    total = sol["A"] + sol["B"] + sol["C"]
    np.testing.assert_allclose(total, 1.0, rtol=1e-8)
    k1, k2, k3 = 0.04, 3e7, 1e4

    def f(t, y):
        a, b, c = y
        return [-k1 * a + k3 * b * c, k1 * a - k2 * b * b - k3 * b * c, k2 * b * b]

    ref = solve_ivp(f, (0, 1e5), [1.0, 0.0, 0.0], method="Radau", rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose([sol["A"][-1], sol["C"][-1]], ref.y[[0, 2], -1], rtol=1e-4)


def _comparison_cases():
    return ["lorenz", "vanderpol", "robertson", "heat_1d", "heat_2d", "kdv",
            "kuramoto_sivashinsky", "fhn"]


@pytest.mark.slow
@pytest.mark.timeout(1800)  # runs every candidate: rodas5 and etdrk43 on FHN's 402 states
@pytest.mark.parametrize("name", _comparison_cases())
def test_auto_is_within_twice_the_best_candidate(examples_dir, name, monkeypatch):
    """Auto's counted work (evaluations weighted by their measured cost) is at most 2x
    that of the best of tsit5, rodas5 and etdrk43 on the examples and FHN."""
    text = FHN if name == "fhn" else (examples_dir / f"{name}.model").read_text()
    m = modelc.parse(text)
    seen = []
    measure = cost.measure_work
    monkeypatch.setattr(cost, "measure_work", lambda *a: seen.append(measure(*a)) or seen[-1])
    auto = m.solve(method="auto", max_steps=200_000)
    (work,) = seen
    candidates = ["tsit5", "rodas5"] + (["etdrk43"] if m.split is not None else [])
    works = {}
    for method in candidates:
        sol = auto if method == auto.stats["method"] else m.solve(method=method, max_steps=200_000)
        works[method] = cost.counted_work(method, sol.stats, work) if sol.ok else math.inf
    best = min(works.values())
    assert auto.ok and works[auto.stats["method"]] <= 2 * best, (works, auto.stats["auto"])


def test_the_eager_probe_agrees_with_the_compiled_one():
    """Small systems are probed op by op (no program to compile): the same radii as the
    compiled probe, within the Gelfand estimate's overestimate n^(1/32)."""
    k = jnp.asarray([0.04, 3e7, 1e4])

    def robertson(t, y, k):
        a, b, c = y
        return jnp.stack([-k[0] * a + k[2] * b * c, k[0] * a - k[1] * b * b - k[2] * b * c,
                          k[1] * b * b])

    y0 = jnp.asarray([1.0, 0.0, 0.0])
    eager = stiffness.probe_eager(robertson, None, None, 0.0, 1e5, y0, k)
    compiled = [float(v) for v in stiffness.probe_spectra(robertson, None, None, 0.0, 1e5, y0, k)]
    assert math.isinf(eager[1]) and math.isinf(compiled[1])
    assert eager[0] <= compiled[0] <= eager[0] * 3 ** (1 / 32) * (1 + 1e-9)


def test_a_clear_prediction_runs_no_trial_and_a_close_one_lists_the_close_candidates():
    """Robertson-like radii: rodas5 far ahead, no trial; equal steps for tsit5 and rodas5
    at small n: rodas5's ~3x work per step puts both within the factor."""
    from modelc.solvers import trial

    work = cost.heuristic_work(3, None)
    close, _ = trial.uncertain((3.7e3, math.inf), (0.0, 1e5), 1e-6, None, 3, work)
    assert close == ["rodas5"]
    close, fraction = trial.uncertain((1.0, math.inf), (0.0, 10.0), 1e-6, None, 3,
                                      cost.Work(100.0, 300.0, 10.0, 10.0, 100.0, 0.0, 3))
    assert close[0] == "tsit5" and "rodas5" in close and 0 < fraction <= 1


def test_the_trial_decides_by_counted_work_extrapolated_to_the_span():
    """A fake run: the candidate the prediction put second does less counted work in
    the trial, so it is chosen; a failed trial counts as infinite work; ties keep the
    predicted order (the list's). Deterministic: counters, never wall time."""
    from modelc.solvers import trial

    work = cost.Work(100.0, 300.0, 50.0, 20.0, 100.0, 0.0, 3)
    counters = {"tsit5": dict(nfe=600, steps=100, njev=0, nlu=0, ok=True),
                "rodas5": dict(nfe=60, steps=10, njev=10, nlu=10, ok=True)}
    calls = []

    def run(name, fraction):
        calls.append((name, fraction))
        return counters[name]

    name, sentence = trial.decide_by_trial(["tsit5", "rodas5"], 0.1, work, run)
    assert name == "rodas5" and calls == [("tsit5", 0.1), ("rodas5", 0.1)]
    assert "tsit5 6e+05" in sentence and sentence.endswith("using rodas5")
    counters["rodas5"] = dict(counters["rodas5"], ok=False)
    assert trial.decide_by_trial(["tsit5", "rodas5"], 0.1, work, run)[0] == "tsit5"
    same = dict(nfe=60, steps=10, njev=0, nlu=0, ok=True)   # equal counted work for tsit5
    assert trial.decide_by_trial(["tsit5", "etdrk43"], 0.5, cost.Work(1.0, 0, 0, 0, 1.0, 0, 3),
                                 lambda name, f: same)[0] == "tsit5"


@pytest.mark.slow
def test_a_trial_overrules_an_uncertain_prediction(examples_dir, monkeypatch, tmp_path):
    """Van der Pol, mu = 100 on [0, 20] at rtol 1e-6: the probe at t0 predicts tsit5
    (1.2e6 flops) a little ahead of rodas5 (1.9e6); the trial over the first 5% measures
    rodas5 cheaper, and over the whole span rodas5 does ~18x less counted work."""
    monkeypatch.setenv("MODELC_CACHE_DIR", str(tmp_path))   # the work is measured, not remembered
    m = modelc.parse((examples_dir / "vanderpol.model").read_text(), cache_modules=False)
    seen = []
    measure = cost.measure_work
    monkeypatch.setattr(cost, "measure_work", lambda *a: seen.append(measure(*a)) or seen[-1])
    kw = dict(t=(0, 20), params={"mu": 100.0}, rtol=1e-6, max_steps=200_000)
    auto = m.solve(method="auto", **kw)
    reason = auto.stats["auto"]
    assert "least work: using tsit5" in reason and "uncertain" in reason
    assert auto.ok and auto.stats["method"] == "rodas5"
    (work,) = seen
    explicit = m.solve(method="tsit5", **kw)
    assert cost.counted_work("rodas5", auto.stats, work) * 5 < cost.counted_work("tsit5", explicit.stats, work)
