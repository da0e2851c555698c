"""SBML's rule for simultaneous non-persistent events: an event whose condition an earlier
execution at the same time made false is cancelled (persistent ones still run)."""

import numpy as np
import pytest

import modelc

MODEL = """
state z = 0, Q = 0, R = 0, reset = 0
der(z) = 1
event qinc when t - reset >= 1, priority = 1, persistent = {p}: reset = t, Q = Q + 1
event rinc when t - reset >= 1, priority = 1, persistent = {p}: reset = t, R = R + 1
"""


@pytest.mark.parametrize("persistent, q, r", [("false", 5, 0), ("true", 5, 5)])
def test_an_execution_that_makes_a_condition_false_cancels_a_non_persistent_event(persistent, q, r):
    m = modelc.parse(MODEL.format(p=persistent), "ticks.model")
    sol = m.solve(t=(0, 5.5), points=2, method="tsit5", rtol=1e-8)
    assert sol.ok
    np.testing.assert_allclose([float(sol["Q"][-1]), float(sol["R"][-1])], [q, r])
    names = [name for _, name in sol.events]
    assert names.count("qinc") == 5 and names.count("rinc") == r
