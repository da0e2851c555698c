"""SBML's rule for simultaneous events (L3 section 4.12.6): after each execution the priorities
of the events still pending are evaluated again on the new state and the largest runs next."""

import numpy as np
import pytest

import modelc

# SBML test case 00934 in the model language: three events at one time; a = 10 runs first and
# swaps the priorities of the other two (b: 2*S2 falls from 2 to 0, c: 2*S1 rises from 0 to 2).
MODEL = """
state S1 = 0, S2 = 1, u = 0
der(u) = 1
event a when u >= 0.99, priority = 10: S1 = 1, S2 = 0
event b when u >= 0.99, priority = {pb}: S1 = 2, S2 = 1
event c when u >= 0.99, priority = {pc}: S1 = 3, S2 = 2
"""


@pytest.mark.parametrize("pb, pc, order, s1, s2", [
    # re-evaluated: after a, c (priority 2) beats b (0); the last to run is b
    ("2*S2", "2*S1", ["a", "c", "b"], 2, 1),
    # the same numbers at the trigger, constant afterwards: b (2) before c (0)
    ("2", "0", ["a", "b", "c"], 3, 2),
])
def test_priorities_are_evaluated_again_after_each_execution(pb, pc, order, s1, s2):
    m = modelc.parse(MODEL.format(pb=pb, pc=pc), "priorities.model")
    sol = m.solve(t=(0, 2), points=3, method="tsit5", rtol=1e-8)
    assert sol.ok
    assert [name for _, name in sol.events] == order
    np.testing.assert_allclose([float(sol["S1"][-1]), float(sol["S2"][-1])], [s1, s2])
