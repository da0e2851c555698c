"""x'(t) = -x(t - 1), x = 1 for t <= 0, against the method of steps done exactly.

On [k-1, k] the solution is a polynomial of degree k: x_k(t) = x_{k-1}(k-1) -
int_{k-1}^t x_{k-1}(s - 1) ds. SymPy builds the pieces here, so the reference
owes nothing to modelc.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import modelc

LINEAR = """
parameter tau = 1
state x = 1
der(x) = -delay(x, tau)
"""


def method_of_steps(pieces: int):  # kept readable here; reference.py has the general lag
    """The exact pieces ``[p_1, ..., p_pieces]`` of x on ``[k-1, k]`` (SymPy polynomials in t)."""
    t, s = sympy.symbols("t s", real=True)
    previous, out = sympy.Integer(1), []
    for k in range(1, pieces + 1):
        start = previous.subs(t, k - 1) if out else sympy.Integer(1)
        piece = sympy.expand(start - sympy.integrate(previous.subs(t, s - 1), (s, k - 1, t)))
        out.append(piece)
        previous = piece
    return t, out


def exact(ts, pieces: int = 6):
    """The exact solution at the times ``ts`` in ``[0, pieces]``."""
    t, polys = method_of_steps(pieces)
    fns = [sympy.lambdify(t, p, "numpy") for p in polys]
    ts = np.asarray(ts, dtype=float)
    k = np.clip(np.ceil(ts).astype(int), 1, pieces) - 1
    return np.array([fns[i](v) for i, v in zip(k, ts)], dtype=float)


def test_method_of_steps_reference():
    """The reference itself: x = 1 - t on [0, 1], then 1 - t + (t-1)^2/2 on [1, 2]."""
    t, polys = method_of_steps(2)
    assert sympy.expand(polys[0] - (1 - t)) == 0
    assert sympy.expand(polys[1] - (1 - t + (t - 1) ** 2 / 2)) == 0


@pytest.fixture(scope="module")
def linear():
    return modelc.parse(LINEAR)


@pytest.mark.parametrize("method", ["tsit5", pytest.param("dopri5", marks=pytest.mark.slow),
                                    pytest.param("rodas5", marks=pytest.mark.slow)])
def test_linear_delay_matches_method_of_steps(linear, method):
    sol = linear.solve(t=(0, 6), points=61, method=method, rtol=1e-10, atol=1e-12)
    assert sol.status == 0
    np.testing.assert_allclose(np.asarray(sol["x"]), exact(sol.t), rtol=0, atol=1e-9)


def test_loose_tolerance_stays_near_tolerance(linear):
    """With rtol 1e-4 the error stays near the tolerance over six lags: the kinks at
    0, 1, 2, ... are step stops and the history's interpolation error is part of the
    step's error estimate (without it tsit5 takes whole-lag steps here, exact for the
    solver, and at rtol 1e-10 1.7e-3 off at t = 4.5 through the cubic history)."""
    sol = linear.solve(t=(0, 6), points=61, method="tsit5", rtol=1e-4, atol=1e-6)
    assert sol.status == 0
    np.testing.assert_allclose(np.asarray(sol["x"]), exact(sol.t), rtol=0, atol=1e-4)
