"""Helpers for PDE tests: integrate a model's generated semi-discrete system with SciPy.

Solving the generated ``rhs`` (jitted alone, which compiles in well under a
second) with SciPy's DOP853 at tight tolerances measures the spatial
discretisation on its own, independent of modelc's time steppers.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest
from scipy.integrate import solve_ivp

import modelc


class SemiDiscrete:
    """A compiled field model with ``run(t1, params)`` -> unpacked fields at ``t1``."""

    def __init__(self, text: str):
        self.model = modelc.parse(text, cache_modules=False)
        self.module = self.model.module

    def run(self, t1: float, params: dict | None = None, rtol: float = 1e-12, method: str = "DOP853",
            times=None):
        """Integrate from 0 to ``t1``; returns the list of unpacked states at ``times`` (default [t1])."""
        p = self.module.parameter_vector(dict(params or {}))
        y0 = np.asarray(self.module.initial_state(p, {}))
        rhs = jax.jit(self.module.rhs)
        fun = lambda t, y: np.asarray(rhs(t, y, p))  # noqa: E731
        times = [t1] if times is None else list(times)
        unpack = jax.jit(self.module.unpack)
        # step to each output time (dense output would add its own interpolation error)
        t, y, states = 0.0, y0, []
        for t_out in times:
            if t_out > t:
                out = solve_ivp(fun, (t, t_out), y, method=method, rtol=rtol, atol=rtol * 1e-2)
                assert out.success, out.message
                t, y = t_out, out.y[:, -1]
            states.append({k: np.asarray(v) for k, v in unpack(t, y, p).items()})
        return states

    def grid(self, params: dict | None = None):
        """The grid nodes by axis."""
        return self.model.grid(params)


@pytest.fixture
def semi_discrete():
    """Factory: model text -> `SemiDiscrete`."""
    return SemiDiscrete
