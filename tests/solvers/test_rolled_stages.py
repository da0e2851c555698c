"""Issue 16 item 4: rolled stages (a loop over the tableau) give the unrolled results,
and the rhs appears once in the program whatever the number of stages."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from modelc.solvers import integrate
from modelc.solvers.methods import METHODS
from modelc.solvers.rolled import ROLL_MIN_RHS_EQNS, rhs_size, use_rolled

TS = jnp.linspace(0.0, 1.0, 6)


def brusselator_chain(t, y, p):
    """A chain of diffusively coupled Brusselators (``sin`` marks each rhs evaluation)."""
    u, v = y[0::2], y[1::2]
    lap = jnp.roll(u, 1) + jnp.roll(u, -1) - 2 * u
    du = p[0] + u * u * v - (p[1] + 1) * u + p[2] * lap + 0.01 * jnp.sin(t)
    dv = p[1] * u - u * u * v
    return jnp.stack([du, dv], axis=1).ravel()


P = jnp.array([1.0, 3.0, 0.1])
Y0 = jnp.tile(jnp.array([1.2, 3.1]), 4) + 0.1 * jnp.arange(8)


def _solve(name: str, roll: bool):
    stepper = type(METHODS[name])(roll=roll)
    opts = dict(dt0=1e-3) if name in ("euler", "rk4") else dict(rtol=1e-8, atol=1e-10)
    fn = jax.jit(lambda: integrate(brusselator_chain, Y0, TS, P, method=stepper, **opts))
    return fn


@pytest.mark.parametrize("name", ["rk4", "tsit5", pytest.param("bosh3", marks=pytest.mark.slow),
                                  pytest.param("dopri8", marks=pytest.mark.slow), "rodas5"])
def test_rolled_and_unrolled_agree_to_rounding(name):
    unrolled, rolled = _solve(name, False)(), _solve(name, True)()
    assert int(rolled.status) == int(unrolled.status) == 0
    assert int(rolled.steps) == int(unrolled.steps)           # the same accepted/rejected steps
    np.testing.assert_allclose(rolled.ys, unrolled.ys, rtol=1e-12, atol=1e-12)


def test_the_rolled_program_does_not_grow_with_the_stages(primitive_count):
    # bosh3 (4 stages), tsit5 (7), dopri8 (12 + 3 dense): one rhs (one sin) per step when rolled
    names = ("bosh3", "tsit5", "dopri8")
    rolled = {name: primitive_count(_solve(name, True), "sin") for name in names}
    unrolled = {name: primitive_count(_solve(name, False), "sin") for name in names}
    assert rolled["bosh3"] == rolled["tsit5"]
    assert rolled["dopri8"] == rolled["tsit5"] + 1    # its dense-output stages: one more loop
    assert unrolled["tsit5"] - unrolled["bosh3"] == 7 - 4   # one rhs per further stage
    assert unrolled["dopri8"] > rolled["dopri8"] + 10


def test_the_default_rolls_a_large_rhs_not_a_long_state():
    def small(t, y, p):          # a long state, a short program (a field model's shape)
        return -y

    def large(t, y, p):
        for _ in range(ROLL_MIN_RHS_EQNS):
            y = y * 0.999
        return y

    long_state, short_state = jnp.zeros(4096), jnp.zeros(2)
    assert not use_rolled(None, small, 0.0, long_state, None)
    assert use_rolled(None, large, 0.0, short_state, None)
    assert rhs_size(large, 0.0, short_state, None) == ROLL_MIN_RHS_EQNS
    assert use_rolled(True, small, 0.0, short_state, None)
    assert not use_rolled(False, large, 0.0, long_state, None)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["tsit5", "rodas5"])
def test_gradients_through_rolled_stages_equal_the_unrolled_ones(name):
    def loss(p, roll):
        stepper = type(METHODS[name])(roll=roll)
        sol = integrate(brusselator_chain, Y0, TS, p, method=stepper, rtol=1e-8, atol=1e-10)
        return jnp.sum(sol.ys[-1] ** 2)

    g_rolled = jax.jit(jax.grad(lambda p: loss(p, True)))(P)
    g_unrolled = jax.jit(jax.grad(lambda p: loss(p, False)))(P)
    assert np.all(np.isfinite(g_rolled))
    np.testing.assert_allclose(g_rolled, g_unrolled, rtol=1e-9, atol=1e-12)


def test_rolled_rodas5_keeps_the_mass_matrix():
    """Robertson as a DAE (y3 algebraic: 0 = y1 + y2 + y3 - 1), rolled and unrolled
    (needs the dae branch's MassRodas5; skipped without it)."""
    dae = pytest.importorskip("modelc.solvers.dae")

    def robertson(t, y, p):
        y1, y2, y3 = y[0], y[1], y[2]
        return jnp.stack([-0.04 * y1 + 1e4 * y2 * y3, 0.04 * y1 - 1e4 * y2 * y3 - 3e7 * y2 * y2,
                          y1 + y2 + y3 - 1.0])

    ts = jnp.array([0.0, 0.4, 4.0, 40.0])
    runs = [integrate(robertson, jnp.array([1.0, 0.0, 0.0]), ts, None,
                      method=dae.MassRodas5(algebraic=(2,), roll=roll), rtol=1e-8, atol=1e-10)
            for roll in (False, True)]
    assert [int(r.status) for r in runs] == [0, 0]
    np.testing.assert_allclose(runs[1].ys, runs[0].ys, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(jnp.sum(runs[1].ys, axis=1), 1.0, rtol=1e-10)   # the constraint


def test_kvaerno5_reverse_mode_rolled_equals_unrolled_and_keeps_its_order():
    """Reverse mode through kvaerno5 (the exact Newton step of every stage, rolled over the
    tableau or unrolled): the same gradient to rounding, and with constant steps its error
    against the exact d y(T)/d w of the rotation y = (cos wt, sin wt) falls as dt**5."""
    from modelc.solvers import ConstantStepController

    def rotation(t, y, w):
        return w * jnp.stack([-y[1], y[0]])

    T, w = 2.0, 1.3

    def make(roll):
        stepper = type(METHODS["kvaerno5"])(roll=roll)

        def final(w, dt):
            sol = integrate(rotation, jnp.array([1.0, 0.0]), jnp.array([0.0, T]), w,
                            method=stepper, dt0=dt, controller=ConstantStepController(),
                            rtol=1e-13, atol=1e-13)
            return sol.ys[-1]
        return jax.jit(jax.jacrev(final))

    exact = np.array([-T * np.sin(w * T), T * np.cos(w * T)])
    rolled, unrolled = make(True), make(False)
    dts = np.array([0.2, 0.1, 0.05, 0.025])
    errs = []
    for dt in dts:
        g_rolled, g_unrolled = rolled(w, dt), unrolled(w, dt)
        np.testing.assert_allclose(g_rolled, g_unrolled, rtol=1e-12, atol=1e-14)
        errs.append(np.abs(np.asarray(g_rolled) - exact).max())
    slope = np.polyfit(np.log(dts), np.log(errs), 1)[0]
    assert abs(slope - 5) < 0.5, (slope, errs)
