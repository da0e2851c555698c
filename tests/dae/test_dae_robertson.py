"""Robertson's kinetics as an index-1 DAE on the numerical path against SciPy's Radau on
the ODE form (the issue's acceptance test), and what the solve reports about it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import modelc
from modelc.errors import SolveError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

K1, K2, K3 = 0.04, 3e7, 1e4
TIMES = np.array([0.0, 1e-3, 1e-1, 1.0, 10.0, 1e2, 1e3, 1e4, 1e5])


@pytest.fixture(scope="module")
def robertson():
    """examples/robertson_dae.model with its constraint forced onto the numerical path."""
    return modelc.load(EXAMPLES / "robertson_dae.model", constraints="numerical")


@pytest.fixture(scope="module")
def radau():
    """SciPy Radau on the ODE form (y3' = k2 y2^2), tight tolerances, at TIMES."""
    def f(t, y):
        return [-K1 * y[0] + K3 * y[1] * y[2], K1 * y[0] - K3 * y[1] * y[2] - K2 * y[1] ** 2,
                K2 * y[1] ** 2]

    def jac(t, y):
        return [[-K1, K3 * y[2], K3 * y[1]],
                [K1, -K3 * y[2] - 2 * K2 * y[1], -K3 * y[1]],
                [0.0, 2 * K2 * y[1], 0.0]]

    ref = solve_ivp(f, (0, TIMES[-1]), [1.0, 0.0, 0.0], method="Radau", jac=jac, rtol=1e-12,
                    atol=1e-20, t_eval=TIMES)
    assert ref.success
    return ref.y.T


def test_the_constraint_stays_a_state_with_an_algebraic_row(robertson):
    assert robertson.state_names == ("y1", "y2", "y3")
    assert robertson.module.ALGEBRAIC_STATES == ("y3",)
    assert robertson.module.CONSTRAINT_PATHS == (("y3", "numerical"),)


def test_robertson_dae_agrees_with_radau_on_the_ode_form_up_to_t_1e5(robertson, radau):
    # a bad starting guess for y3 (0.3, not 0): the consistent initialisation corrects it;
    # method="auto" on a DAE is rodas5 with the mass matrix, and says why
    sol = robertson.solve(saveat=TIMES, method="auto", rtol=1e-8, atol=1e-14, y0={"y3": 0.3})
    assert sol.ok, sol.message
    assert sol.stats["method"] == "rodas5" and "differential-algebraic" in sol.stats["auto"]
    assert sol.stats["constraints"] == {"y3": "solved numerically (rodas5, mass matrix)"}
    y = np.stack([sol["y1"], sol["y2"], sol["y3"]], axis=1)
    np.testing.assert_allclose(y, radau, rtol=2e-6, atol=1e-14)
    # the conservation law holds to the tolerance at every output, t0 included
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    # der(y3) of a numerically solved state: derived from the constraint, -(y1' + y2')
    np.testing.assert_allclose(sol["production3"], K2 * sol["y2"] ** 2, rtol=1e-9, atol=1e-14)


def test_the_symbolic_path_reports_itself(examples_dir):
    m = modelc.load(examples_dir / "robertson_dae.model")
    assert m.module.ALGEBRAIC_STATES == ()
    assert m.module.CONSTRAINT_PATHS == (("y3", "symbolic"),)


@pytest.mark.parametrize("method", ["tsit5", "kvaerno5", "rk4", "exprb43"])
def test_other_methods_are_refused_naming_the_ones_that_can(robertson, method):
    with pytest.raises(SolveError, match="use rodas5 or auto"):
        robertson.solve(saveat=[0.0, 1.0], method=method)
    with pytest.raises(SolveError, match="use rodas5 or auto"):
        robertson.solver(method=method)
