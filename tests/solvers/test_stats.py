"""Counters: nfe is consistent with the number of steps (accounting in __init__)."""

import jax.numpy as jnp
import pytest

from modelc.solvers import METHODS, integrate

from problems import LORENZ_P, lorenz

TS = jnp.linspace(0.0, 2.0, 5)


@pytest.mark.parametrize("method,per_step,dt0", [("tsit5", 6, None), ("tsit5", 6, 1e-3),
                                                 ("dopri5", 6, None), ("bosh3", 3, None)])
def test_fsal_accounting(method, per_step, dt0):
    """1 (f(t0, y0)) + 1 (automatic initial step) + (stages - 1) per step."""
    init = 2 if dt0 is None else 1
    sol = integrate(lorenz, jnp.ones(3), TS, jnp.asarray(LORENZ_P), method=method,
                    rtol=1e-6, atol=1e-6, dt0=dt0)
    steps = int(sol.steps)
    assert steps == int(sol.accepted) + int(sol.rejected)
    assert int(sol.rejected) >= 0 and int(sol.accepted) > 0
    assert int(sol.nfe) == init + per_step * steps


def test_dopri8_accounting():
    sol = integrate(lorenz, jnp.ones(3), TS, jnp.asarray(LORENZ_P), method="dopri8",
                    rtol=1e-6, atol=1e-6)
    steps, nfe = int(sol.steps), int(sol.nfe)
    extra = nfe - 2 - 12 * steps  # 3 lazily evaluated dense stages per output-bearing step
    assert extra % 3 == 0 and 0 < extra // 3 <= len(TS) - 1


@pytest.mark.parametrize("method,stages", [("rk4", 4), ("euler", 1)])
def test_fixed_accounting(method, stages):
    sol = integrate(lorenz, jnp.ones(3), TS, jnp.asarray(LORENZ_P), method=method, dt0=0.01)
    assert int(sol.steps) == 200 and int(sol.rejected) == 0
    assert int(sol.nfe) == stages * 200


def test_methods_registry():
    assert set(METHODS) == {"tsit5", "dopri5", "dopri8", "bosh3", "rk4", "euler", "rodas5",
                            "kvaerno5", "auto", "etd1", "etdrk2", "etdrk4", "etdrk4b", "krogstad",
                            "lawson4", "etdrk43", "exprb32", "exprb43", "etdab2", "etdab3",
                            "etdab4"}
    for m in METHODS.values():
        assert m.order >= 1
