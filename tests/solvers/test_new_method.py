"""Adding an explicit Runge--Kutta method: one tableau and one registry line
(the recipe in docs/design.md), checked by its order of convergence."""

import jax.numpy as jnp
import numpy as np

from modelc import solvers
from modelc.solvers.butcher import ButcherTableau, lower
from modelc.solvers.erk import explicit_rk

from problems import rotation, rotation_exact

HEUN = ButcherTableau("heun", c=np.array([0.0, 1.0]), a=lower([{}, {0: 1.0}]),
                      b=np.array([0.5, 0.5]), order=2)
MIDPOINT = ButcherTableau("midpoint", c=np.array([0.0, 0.5]), a=lower([{}, {0: 0.5}]),
                          b=np.array([0.0, 1.0]), order=2)


def observed_order(method, dts, t_end=2.0):
    y0 = jnp.array([1.0, 0.0])
    errs = []
    for dt in dts:
        sol = solvers.integrate(rotation, y0, jnp.array([0.0, t_end]), None, method=method,
                                dt0=dt)
        assert int(sol.status) == 0 and int(sol.nfe) == 2 * int(round(t_end / dt))
        errs.append(np.abs(np.asarray(sol.ys[-1]) - rotation_exact(t_end)).max())
    return np.polyfit(np.log(dts), np.log(errs), 1)[0]


def test_a_registered_tableau_is_a_method(monkeypatch):
    monkeypatch.setitem(solvers.METHODS, "heun", explicit_rk(HEUN))  # the registry line
    dts = np.array([0.1 / 2**k for k in range(4)])
    assert abs(observed_order("heun", dts) - 2) < 0.2


def test_a_stepper_instance_needs_no_registry():
    dts = np.array([0.1 / 2**k for k in range(4)])
    assert abs(observed_order(explicit_rk(MIDPOINT), dts) - 2) < 0.2
