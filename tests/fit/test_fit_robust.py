"""Fits that end at the optimum say so; multi-start and time windows escape local minima
(issue 19, item 6). Lotka-Volterra, 31 points, 5% noise."""

import numpy as np
import pytest

import modelc
from modelc.errors import SolveError
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TRUE = {"alpha": 1.5, "beta": 1.0, "delta": 1.0, "gamma": 3.0}


@pytest.fixture(scope="module")
def lotka_volterra():
    m = modelc.load(ROOT / "examples" / "lotka_volterra.model")
    t = np.linspace(0, 15, 31)
    sol = m.solve(saveat=t, t=(0, 15))
    rng = np.random.default_rng(1)
    data = {"t": t, "prey": sol["prey"] * (1 + 0.05 * rng.normal(size=t.size)),
            "predator": sol["predator"] * (1 + 0.05 * rng.normal(size=t.size))}
    truth = m.solve(saveat=t, t=(0, 15), params=TRUE)
    noise = np.mean(np.concatenate([truth["prey"] - data["prey"], truth["predator"] - data["predator"]]) ** 2)
    return m, data, float(noise)


@pytest.mark.slow
def test_a_fit_at_the_optimum_reports_convergence(lotka_volterra):
    m, data, noise = lotka_volterra
    res = modelc.fit(m, data, list(TRUE), initial={"alpha": 1.45, "beta": 0.95, "delta": 1.05, "gamma": 2.9})
    assert res.success and res.message.startswith("converged")
    assert res.loss <= noise                                  # at least as good as the truth
    for name, value in TRUE.items():
        assert abs(res.params[name] - value) < 4 * res.stderr[name], (name, res.params)


@pytest.mark.slow
def test_time_windows_escape_the_phase_mismatched_minimum(lotka_volterra):
    """From 10% off, a fit to all the data at once ends in a local minimum (loss >> noise);
    growing windows reach the noise level."""
    m, data, noise = lotka_volterra
    start = {"alpha": 1.4, "beta": 0.9, "delta": 1.1, "gamma": 2.8}
    stuck = modelc.fit(m, data, list(TRUE), initial=start)
    assert stuck.loss > 100 * noise
    res = modelc.fit(m, data, list(TRUE), initial=start, windows=4)
    assert res.loss <= noise


def test_starts_need_finite_bounds():
    m = modelc.parse("parameter k = 1\nstate x = 1\nder(x) = -k*x\n")
    data = {"t": np.array([0.0, 1.0]), "x": np.array([1.0, 0.4])}
    with pytest.raises(SolveError, match="finite bounds for k"):
        modelc.fit(m, data, ["k"], starts=3)
    with pytest.raises(SolveError, match="windows="):
        modelc.fit(m, data, ["k"], windows=5)


def test_multi_start_keeps_the_best_fit():
    m = modelc.parse("parameter k = 1\nstate x = 1\nder(x) = -k*x\n")
    t = np.linspace(0, 2, 9)
    data = {"t": t, "x": np.exp(-0.7 * t)}
    res = modelc.fit(m, data, ["k"], bounds={"k": (0.1, 5)}, starts=3, initial={"k": 4.0})
    assert len(res.starts) == 3 and res.loss == min(res.starts)
    assert abs(res.params["k"] - 0.7) < 1e-6 and res.success
