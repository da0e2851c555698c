"""Events in a DAE: after an event the constraints are solved again before Rodas5 restarts.

The reference is independent of the DAE path: the same model as an ODE in ``x`` alone, the
algebraic state found by SciPy's ``brentq`` at each evaluation, integrated by SciPy's Radau
piecewise (stop at the dose, add it, restart).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

import modelc
from modelc.solvers import Status

K, DOSE, T_DOSE = 0.5, 2.0, 1.0
MODEL = f"""parameter k = {K}, dose = {DOSE}
state x = 1, y = 0.5
der(x) = -k*y
constraint y^3 + y = x
event give when t > {T_DOSE}: x = x + dose
"""


def _y_of(x):
    """The one real root of ``y^3 + y = x`` (monotone in ``y``)."""
    return brentq(lambda y: y ** 3 + y - x, -10.0, 10.0, xtol=1e-15, rtol=1e-15)


def _reference(ts):
    rhs = lambda t, x: [-K * _y_of(x[0])]  # noqa: E731
    first = solve_ivp(rhs, (0, T_DOSE), [1.0], method="Radau", rtol=1e-12, atol=1e-14,
                      dense_output=True)
    x_dose = first.y[0, -1] + DOSE
    second = solve_ivp(rhs, (T_DOSE, ts[-1]), [x_dose], method="Radau", rtol=1e-12, atol=1e-14,
                       dense_output=True)
    x = np.array([first.sol(t)[0] if t <= T_DOSE else second.sol(t)[0] for t in ts])
    return x, np.array([_y_of(v) for v in x])


def test_a_dose_in_a_dae_matches_the_piecewise_reference_and_keeps_the_constraint():
    m = modelc.parse(MODEL, "dae_dose.model", cache_modules=False)
    assert m.ir.constraint_paths == (("y", "numerical"),)
    ts = np.linspace(0, 3, 13)
    sol = m.solve(t=(0, 3), saveat=ts, method="rodas5", rtol=1e-8, atol=1e-10)
    assert sol.status == Status.SUCCESS
    assert [name for _, name in sol.events] == ["give"]
    np.testing.assert_allclose(sol.events[0][0], T_DOSE, atol=1e-8)
    x_ref, y_ref = _reference(ts)
    np.testing.assert_allclose(sol["x"], x_ref, rtol=1e-6)
    # y jumped with x at the dose (the event assigns x only) and stays on the constraint
    np.testing.assert_allclose(sol["y"], y_ref, rtol=1e-6)
    np.testing.assert_allclose(sol["y"] ** 3 + sol["y"], sol["x"], rtol=1e-7)


def test_an_event_that_leaves_the_constraints_unsolvable_is_a_status():
    # y^2 = x has no real solution once the event makes x negative
    m = modelc.parse("state x = 4, y = 2\nder(x) = -x\nconstraint y^2 = x\n"
                     "event e when x < 1: x = -1\n", "bad.model", cache_modules=False)
    with pytest.warns(RuntimeWarning, match="after an event"):
        sol = m.solve(t=(0, 3), method="rodas5")
    assert sol.status == Status.EVENT_INCONSISTENT and not sol.ok
    assert "constraints" in Status.EVENT_INCONSISTENT.message


@pytest.mark.slow  # differentiates through the event and Newton (compiles twice)
def test_the_dose_derivative_matches_finite_differences():
    import jax
    import jax.numpy as jnp

    m = modelc.parse(MODEL, "dae_dose.model", cache_modules=False)
    f = m.solver(method="rodas5", rtol=1e-10, atol=1e-12)
    ts = jnp.array([0.0, 2.0])

    def y_end(dose):
        return f({}, {"dose": dose}, ts)["y"][-1]

    g = jax.jacfwd(y_end)(DOSE)
    eps = 1e-5
    fd = (_reference_end(DOSE + eps) - _reference_end(DOSE - eps)) / (2 * eps)
    np.testing.assert_allclose(g, fd, rtol=1e-5)


def _reference_end(dose, t_end=2.0):
    rhs = lambda t, x: [-K * _y_of(x[0])]  # noqa: E731
    first = solve_ivp(rhs, (0, T_DOSE), [1.0], method="Radau", rtol=1e-13, atol=1e-14)
    second = solve_ivp(rhs, (T_DOSE, t_end), [first.y[0, -1] + dose], method="Radau",
                       rtol=1e-13, atol=1e-14)
    return _y_of(second.y[0, -1])


@pytest.mark.slow  # compiles a vmapped rodas5 with events
def test_vmapped_doses_match_the_piecewise_reference():
    import jax
    import jax.numpy as jnp

    m = modelc.parse(MODEL, "dae_dose.model", cache_modules=False)
    f = m.solver(method="rodas5", rtol=1e-10, atol=1e-12)
    doses = jnp.array([0.5, 2.0, 4.0])
    y_end = jax.jit(jax.vmap(lambda d: f({}, {"dose": d}, jnp.array([0.0, 2.0]))["y"][-1]))(doses)
    np.testing.assert_allclose(y_end, [_reference_end(float(d)) for d in doses], rtol=1e-7)
