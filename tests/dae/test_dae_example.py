"""examples/rectifier_dae.model (a transcendental constraint: Shockley's diode law) against
an independent reference: SciPy Radau on the ODE for vc, the diode current found by
bracketing at every evaluation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

import modelc

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rectifier_dae.model"
V, F, RS, RL, C, IS, NVT = 5.0, 50.0, 10.0, 1000.0, 1e-4, 1e-12, 0.05


def diode_current(vs, vc):
    """The root i of i = Is (exp((vs - vc - Rs i)/nVt) - 1), increasing in i: one root in
    [-Is, max((vs - vc)/Rs, 0) + 1]."""
    def g(i):
        return i - IS * np.expm1((vs - vc - RS * i) / NVT)
    return brentq(g, -IS, max((vs - vc) / RS, 0.0) + 1.0, xtol=1e-18, rtol=1e-15)


@pytest.mark.slow  # compiles the example (~10 s) and a Python-level reference (~5 s)
def test_rectifier_dae_matches_an_ode_reference_with_the_current_solved_by_bracketing():
    m = modelc.load(EXAMPLE)
    assert m.module.CONSTRAINT_PATHS == (("i", "numerical"),)
    ts = np.linspace(0, 0.1, 201)
    sol = m.solve(saveat=ts)  # the file's rodas5, rtol 1e-9
    assert sol.ok, sol.message
    assert sol.stats["constraints"] == {"i": "solved numerically (rodas5, mass matrix)"}

    def f(t, y):
        vs = V * np.sin(2 * np.pi * F * t)
        return [(diode_current(vs, y[0]) - y[0] / RL) / C]

    ref = solve_ivp(f, (0, 0.1), [0.0], method="Radau", rtol=1e-10, atol=1e-12, max_step=1e-4,
                    t_eval=ts)
    assert ref.success
    np.testing.assert_allclose(sol["vc"], ref.y[0], rtol=1e-6, atol=1e-7)
    vs = V * np.sin(2 * np.pi * F * ts)
    current = np.array([diode_current(a, b) for a, b in zip(vs, sol["vc"])])
    # between steps i comes from the dense output: a few 1e-9 A where the diode turns on
    np.testing.assert_allclose(sol["i"], current, rtol=1e-6, atol=1e-8)


@pytest.mark.slow  # compiles the example through the CLI
def test_the_cli_says_how_the_constraint_was_solved_and_plots(tmp_path, capsys):
    from modelc.cli import main

    plot = tmp_path / "rectifier.png"
    assert main(["simulate", str(EXAMPLE), "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert "integration successful; method rodas5" in out
    assert "constraints: i solved numerically (rodas5, mass matrix)" in out
    assert plot.stat().st_size > 0
    assert main(["simulate", str(EXAMPLE), "--method", "tsit5"]) != 0
    assert "use rodas5 or auto" in capsys.readouterr().err
