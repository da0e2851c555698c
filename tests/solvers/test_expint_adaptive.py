"""etdrk43 (adaptive ETDRK4 with an embedded order-3 estimate): orders of the solution
and of the estimate, tolerance proportionality, dense output, work counters, and
method="auto" choosing it (eagerly and under jit)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from modelc.solvers import ConstantStepController, ETDRK43, SplitRHS, integrate
from modelc.solvers.stiffness import choose_method

from test_expint import PROBLEMS, T_END, exact


def _fixed(kind, dt):
    f, split = PROBLEMS[kind]
    sol = integrate(f, exact(0.0), jnp.array([0.0, T_END]), None, method="etdrk43", dt0=dt,
                    controller=ConstantStepController(), split=split)
    assert int(sol.status) == 0
    return float(jnp.abs(sol.ys[-1] - exact(T_END)).max())


@pytest.mark.parametrize("kind,dt_max", [("diagonal", 1 / 128), ("scalar", 1 / 128),
                                         ("mild", 1 / 16)])
def test_solution_is_fourth_order(kind, dt_max):
    """With fixed steps etdrk43 is ETDRK4: error falls like h^4 (asymptotic regime, as
    in test_expint)."""
    dts = np.array([dt_max / 2**k for k in range(3)])
    errs = [_fixed(kind, dt) for dt in dts]
    assert abs(np.polyfit(np.log(dts), np.log(errs), 1)[0] - 4) < 0.3, errs


@pytest.mark.parametrize("kind,h_max", [("diagonal", 0.0125), ("mild", 0.1)])
def test_embedded_estimate_is_third_order(kind, h_max):
    """The local error estimate of one step from the exact solution behaves like h^4
    (an order-3 embedded solution), and estimates the true local error of the
    order-3 solution: it exceeds the order-4 solution's error."""
    f, split = PROBLEMS[kind]
    rhs = SplitRHS(f, split)
    stepper = ETDRK43()
    t = 0.3
    y = exact(t)
    state, _ = stepper.init(rhs, t, y, None)
    hs = np.array([h_max / 2**k for k in range(4)])  # h |L| <= 1.25: the asymptotic regime
    ests, errs = [], []
    for h in hs:
        y1, err, _, _, nfe = stepper.step(rhs, t, y, h, None, state)
        ests.append(float(jnp.abs(err).max()))
        errs.append(float(jnp.abs(y1 - exact(t + h)).max()))
        assert nfe == 4
    assert 3.4 < np.polyfit(np.log(hs), np.log(ests), 1)[0] < 4.5
    assert all(e < 0.5 * est for e, est in zip(errs, ests))


@pytest.mark.parametrize("kind", ["diagonal", "scalar", "matrix"])
def test_adaptive_meets_tolerance(kind):
    """Error over [0, T_END] proportional to the tolerance: within 50x of it (error per
    step is controlled; the stiff problem takes 15..280 steps) and falling about as fast."""
    f, split = PROBLEMS[kind]
    errs = []
    for tol in (1e-4, 1e-6, 1e-8):
        sol = integrate(f, exact(0.0), jnp.array([0.0, 1.0, T_END]), None, method="etdrk43",
                        rtol=tol, atol=tol, split=split)
        assert int(sol.status) == 0
        err = float(jnp.abs(sol.ys - jax.vmap(exact)(sol.ts)).max())
        assert err < 50 * tol
        errs.append(err)
    assert errs[1] < errs[0] / 20 and errs[2] < errs[1] / 20


def test_dense_output_and_counters():
    """Outputs inside steps (the exponential continuous extension) are accurate; nfe =
    start + 4 per step + 3 per output-bearing step (+1 for the automatic first step)."""
    f, split = PROBLEMS["diagonal"]
    ts = jnp.linspace(0.0, T_END, 201)
    sol = integrate(f, exact(0.0), ts, None, method="etdrk43", rtol=1e-6, atol=1e-6,
                    split=split)
    assert int(sol.status) == 0 and int(sol.steps) < 100  # most outputs fall inside steps
    assert float(jnp.abs(sol.ys - jax.vmap(exact)(ts)).max()) < 1e-4
    extra = int(sol.nfe) - 2 - 4 * int(sol.steps)
    assert extra % 3 == 0 and 0 < extra // 3 <= len(ts) - 1


@pytest.mark.parametrize("kind", ["diagonal", "scalar",
                                  pytest.param("matrix", marks=pytest.mark.slow)])
def test_dense_output_is_exact_for_a_linear_problem(kind):
    """``y' = L y`` (N = 0): every step is exact, the estimate is zero and the steps grow
    to the whole span; the outputs inside the step are ``e^{tL} y0`` to rounding (a
    polynomial interpolant of y is off by about h^4 |L|^4 / 384 here)."""
    from modelc.solvers import Split

    lam = jnp.array([-0.5, -3.0, -40.0])
    value = {"diagonal": lam, "scalar": jnp.asarray(-3.0), "matrix": jnp.diag(lam)}[kind]
    rates = lam if kind != "scalar" else jnp.full(3, -3.0)
    linear = Split(kind, lambda t, a: value, lambda t, y, a: jnp.zeros_like(y))
    f = lambda t, y, a: rates * y  # noqa: E731
    y0 = jnp.array([1.0, 2.0, -1.0])
    ts = jnp.linspace(0.0, 1.0, 9)
    sol = integrate(f, y0, ts, None, method="etdrk43", rtol=1e-8, atol=1e-10, split=linear)
    exact_ys = y0 * jnp.exp(ts[:, None] * rates)
    np.testing.assert_allclose(sol.ys, exact_ys, rtol=1e-12, atol=1e-14)


def test_time_dependent_linear_part_recomputes_first_stage():
    """A time-dependent L: 5 evaluations of N per step, still accurate."""
    f, split = PROBLEMS["scalar"]
    assert not split.constant
    sol = integrate(f, exact(0.0), jnp.array([0.0, T_END]), None, method="etdrk43",
                    rtol=1e-7, atol=1e-7, split=split, dt0=0.01)
    assert int(sol.nfe) == 1 + 5 * int(sol.steps) + 3  # + the dense output at T_END
    assert float(jnp.abs(sol.ys[-1] - exact(T_END)).max()) < 1e-6


def test_needs_a_split():
    f, _ = PROBLEMS["diagonal"]
    with pytest.raises(ValueError, match="split"):
        integrate(f, exact(0.0), jnp.array([0.0, 1.0]), None, method="etdrk43")


def test_auto_prefers_exponential_when_l_carries_the_stiffness():
    """Stiff L with a mild N: etdrk43 (eagerly, and under jit through lax.switch)."""
    f, split = PROBLEMS["diagonal"]
    span = jnp.array([0.0, 200.0])
    name, reason = choose_method(f, None, (0.0, 200.0), exact(0.0), None, 1e-6, split=split)
    assert name == "etdrk43" and "stiff in L" in reason
    eager = integrate(f, exact(0.0), span, None, method="auto", rtol=1e-6, atol=1e-6,
                      split=split)
    direct = integrate(f, exact(0.0), span, None, method="etdrk43", rtol=1e-6, atol=1e-6,
                       split=split)
    np.testing.assert_array_equal(eager.ys, direct.ys)
    jitted = jax.jit(lambda y0: integrate(f, y0, span, None, method="auto", rtol=1e-6,
                                          atol=1e-6, split=split))(exact(0.0))
    np.testing.assert_allclose(jitted.ys, direct.ys, rtol=1e-12, atol=1e-14)
    assert int(jitted.steps) == int(direct.steps)
    # without the split the same problem is merely stiff: rodas5
    assert choose_method(f, None, (0.0, 200.0), exact(0.0), None, 1e-6)[0] == "rodas5"
