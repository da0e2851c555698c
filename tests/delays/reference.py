"""References for delay equations that owe nothing to modelc: the method of steps,
exactly (SymPy) for x' = -x(t - tau), numerically (SciPy) for the others."""

from __future__ import annotations

import numpy as np
import sympy
from scipy.integrate import solve_ivp


def linear_pieces(pieces: int, tau=1):
    """``(t, [p_1, ...])``: x on ``[(k-1) tau, k tau]`` for x' = -x(t - tau), x = 1 for
    t <= 0 (``x_k(t) = x_{k-1}((k-1) tau) - int x_{k-1}(s - tau) ds``)."""
    t, s = sympy.symbols("t s", real=True)
    tau = sympy.nsimplify(tau)
    previous, out = sympy.Integer(1), []
    for k in range(1, pieces + 1):
        start = previous.subs(t, (k - 1) * tau) if out else sympy.Integer(1)
        piece = sympy.expand(start - sympy.integrate(previous.subs(t, s - tau), (s, (k - 1) * tau, t)))
        out.append(piece)
        previous = piece
    return t, out


def linear_exact(ts, tau=1, pieces: int = 8):
    """The exact solution of x' = -x(t - tau) at ``ts`` in ``[0, pieces * tau]``."""
    t, polys = linear_pieces(pieces, tau)
    fns = [sympy.lambdify(t, p, "numpy") for p in polys]
    ts = np.asarray(ts, dtype=float)
    k = np.clip(np.ceil(ts / float(tau) - 1e-12).astype(int), 1, pieces) - 1
    return np.array([fns[i](v) for i, v in zip(k, ts)], dtype=float)


def hutchinson_steps(r, K, tau, x0, t_end, rtol=1e-12, atol=1e-14):
    """x' = r x (1 - x(t - tau)/K), x = x0 for t <= 0, by the method of steps with
    `solve_ivp` (DOP853): one solve per lag interval, the delayed term read from
    the previous interval's dense output. Returns ``value(t)``."""
    pieces = []

    def past(s):
        if s <= 0:
            return x0
        for a, b, sol in pieces:
            if a <= s <= b:
                return sol.sol(s)[0]
        raise ValueError(s)

    a, y = 0.0, x0
    while a < t_end - 1e-12:
        b = min(a + tau, t_end)
        sol = solve_ivp(lambda s, x: [r * x[0] * (1 - past(s - tau) / K)], (a, b), [y],
                        method="DOP853", rtol=rtol, atol=atol, dense_output=True)
        pieces.append((a, b, sol))
        a, y = b, sol.y[0, -1]

    def value(ts):
        return np.array([past(s) if s > 0 else x0 for s in np.atleast_1d(ts)])

    return value


def pantograph_exact(ts, terms: int = 40):
    """x' = x(t/2), x(0) = 1 (the lag t/2 grows with t): x = sum t^n / (n! 2^(n(n-1)/2))."""
    ts = np.asarray(ts, dtype=float)
    out = np.zeros_like(ts)
    for n in range(terms):
        out += ts ** n / (float(sympy.factorial(n)) * 2.0 ** (n * (n - 1) / 2))
    return out
