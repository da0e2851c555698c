"""Events whose conditions are constant once compiled (no crossing function left): a
number as a condition, or a state that a constraint fixes (SBML cases 01284, 01578)."""

from __future__ import annotations

import numpy as np

import modelc

TS = np.array([0.0, 1.0, 2.0])


def test_constant_true_condition_fires_at_t0_only():
    m = modelc.parse("state p = 5\nstate x = 0\nder(x) = 1\n"
                     "event E when 3 != 0, initial = false: p = p + 2\n", cache_modules=False)
    sol = m.solve(t=(0, 2), saveat=TS, method="tsit5")
    assert sol.ok
    np.testing.assert_allclose(sol["p"], [7.0, 7.0, 7.0])
    np.testing.assert_allclose(sol["x"], TS, rtol=1e-12)


def test_condition_on_a_state_a_constraint_fixes():
    m = modelc.parse("state k1 = 0\nstate P1 = 1\nconstraint 10 - k1 = 0\n"
                     "event E when k1 > 4.5, initial = false: P1 = 3\n", cache_modules=False)
    sol = m.solve(t=(0, 2), saveat=TS, method="rk4", dt0=1.0)
    assert sol.ok
    np.testing.assert_allclose(sol["k1"], 10.0)
    np.testing.assert_allclose(sol["P1"], 3.0)
