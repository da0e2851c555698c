"""etdrk43's error estimate compares N at the same times, so it cannot see a right-hand
side that reads t itself (on u' = -2u + sin(t) it took 5 steps over [0, 1] at rtol 1e-10
and was off by 1.3e-3): such models refuse it, and auto leaves it out for them."""

import numpy as np
import pytest

import modelc
from modelc.errors import SolveError

FORCED = "model forced\nstate u = 1\nder(u) = -2*u + sin(t)\n"
VIA_LET = "model via_let\nstate u = 1\nlet drive = cos(3*t)\nder(u) = -2*u + drive\n"
AUTONOMOUS = "model plain\nstate u = 1\nlet rate = 2\nder(u) = -rate*u + u^2/10\n"


@pytest.mark.parametrize("text, expected", [(FORCED, True), (VIA_LET, True), (AUTONOMOUS, False)])
def test_explicit_time_flag(text, expected):
    assert modelc.parse(text, "m.model").module.EXPLICIT_TIME is expected


def test_forced_model_refuses_etdrk43_and_names_what_works():
    m = modelc.parse(FORCED, "forced.model")
    with pytest.raises(SolveError, match="reads t itself.*etdrk4 with steps= or dt0=, exprb43"):
        m.solve(t=(0, 1), method="etdrk43", rtol=1e-10)


def test_forced_model_is_accurate_with_auto():
    """u = 1.2 e^{-2t} + (2 sin t - cos t)/5; auto's choice is not etdrk43."""
    sol = modelc.parse(FORCED, "forced.model").solve(t=(0, 1), rtol=1e-10, atol=1e-12)
    exact = 1.2 * np.exp(-2.0) + (2 * np.sin(1.0) - np.cos(1.0)) / 5
    assert sol.stats["method"] != "etdrk43"
    np.testing.assert_allclose(np.asarray(sol["u"])[-1], exact, rtol=1e-8)


def test_autonomous_model_keeps_etdrk43():
    sol = modelc.parse(AUTONOMOUS, "plain.model").solve(t=(0, 1), method="etdrk43", rtol=1e-8)
    assert sol.stats["method"] == "etdrk43"
