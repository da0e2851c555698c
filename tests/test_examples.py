"""Every example compiles and runs; reference solutions and invariants hold."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import modelc

EXAMPLE_NAMES = ["lorenz", "vanderpol", "lotka_volterra", "pendulum", "three_body", "robertson",
                 "michaelis_menten"]


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_example_runs(examples_dir, name):
    m = modelc.load(examples_dir / f"{name}.model")
    sol = m.solve(t=(0, 1), points=11)
    assert sol.ok, sol.message
    assert np.all(np.isfinite(sol.y))


def test_lorenz_agrees_with_scipy_dop853(examples_dir):
    m = modelc.load(examples_dir / "lorenz.model")
    ts = np.linspace(0, 5, 51)
    ref = solve_ivp(
        lambda t, u: [10 * (u[1] - u[0]), u[0] * (28 - u[2]) - u[1], u[0] * u[1] - 8 / 3 * u[2]],
        (0, 5), [1.0, 1.0, 1.0], method="DOP853", rtol=1e-13, atol=1e-13, t_eval=ts,
    )
    for method in ("tsit5", "dopri8"):
        sol = m.solve(t=(0, 5), saveat=ts, method=method, rtol=1e-10, atol=1e-10)
        err = np.max(np.abs(sol.y - ref.y.T)) / np.max(np.abs(ref.y))
        assert err < 1e-7, (method, err)


def test_three_body_conserves_energy(examples_dir):
    m = modelc.load(examples_dir / "three_body.model")
    sol = m.solve(t=(0, 10), points=201, method="dopri8", rtol=1e-12, atol=1e-12)
    assert sol.ok, sol.message
    energy = sol["energy"]
    e0 = -(12 / 5 + 15 / 4 + 20 / 3)  # potential energy of the 3-4-5 triangle at rest
    assert energy[0] == pytest.approx(e0, rel=1e-14)
    assert np.max(np.abs(energy - e0)) / abs(e0) < 1e-8
    assert np.min(sol["r_min"]) < 0.1  # it passes a close encounter


def test_lotka_volterra_invariant(examples_dir):
    m = modelc.load(examples_dir / "lotka_volterra.model")
    sol = m.solve(rtol=1e-10, atol=1e-10)
    v = sol["V"]
    assert np.max(np.abs(v - v[0])) / abs(v[0]) < 1e-8


def test_pendulum_energy(examples_dir):
    m = modelc.load(examples_dir / "pendulum.model")
    sol = m.solve()
    e = sol["energy"]
    assert np.max(np.abs(e - e[0])) / e[0] < 1e-7


def test_robertson_network_agrees_with_scipy_radau(examples_dir):
    m = modelc.load(examples_dir / "robertson.model")
    ts = np.concatenate([[0.0], np.logspace(-4, 5, 28)])
    k1, k2, k3 = 0.04, 3e7, 1e4

    def f(t, y):
        return [-k1 * y[0] + k3 * y[1] * y[2], k1 * y[0] - k3 * y[1] * y[2] - k2 * y[1] ** 2,
                k2 * y[1] ** 2]

    ref = solve_ivp(f, (0, 1e5), [1.0, 0.0, 0.0], method="Radau", rtol=1e-12, atol=1e-22,
                    t_eval=ts).y.T
    sol = m.solve(saveat=ts, method="rodas5", rtol=1e-8, atol=1e-20)
    assert sol.ok, sol.message
    big = ref > 1e-12
    assert np.max(np.abs(sol.y[big] - ref[big]) / ref[big]) < 1e-6
    assert np.max(np.abs(sol.y.sum(axis=1) - 1.0)) < 1e-10


PDE_EXAMPLES = ["heat_2d", "burgers", "kuramoto_sivashinsky", "nlse_soliton", "nlse_collision",
                "nlse_modulation", "kdv", "allen_cahn", "gray_scott", "keller_segel", "chromatography"]


def _short_field_run(path):
    m = modelc.load(path)
    sol = m.solve(t=(0, 0.05), points=3)
    assert sol.ok, sol.message
    assert sol.fields and all(np.all(np.isfinite(v)) for v in sol.fields.values())
    assert all(v.shape == (3, *(g.size for g in sol.grid.values())) for v in sol.fields.values())
    return sol


def test_pde_example_heat_1d_runs(examples_dir):
    sol = _short_field_run(examples_dir / "heat_1d.model")
    x = sol.grid["x"]
    assert np.max(np.abs(sol["u"][-1] - np.exp(-np.pi**2 * 0.05) * np.sin(np.pi * x))) < 1e-3


@pytest.mark.slow
@pytest.mark.parametrize("name", PDE_EXAMPLES)
def test_pde_example_runs(examples_dir, name):
    _short_field_run(examples_dir / f"{name}.model")


def test_diffusion_gmm_example_samples_the_mixture(examples_dir):
    """examples/diffusion_gmm.model with the mixture's exact eps: DPM-Solver++(2M) at 10
    evaluations puts the samples on the 8 modes (radius 2, std 0.05)."""
    import sys

    sys.path.insert(0, str(examples_dir))
    try:
        from diffusion_gmm import means, sample
    finally:
        sys.path.remove(str(examples_dir))
    x, nfe = sample("dpm_solver_pp_2m", 10, samples=400)
    assert nfe == 10
    distance = np.min(np.linalg.norm(np.asarray(x)[:, None, :] - np.asarray(means()), axis=-1), axis=1)
    assert np.median(distance) < 0.1
