"""The policy controller: PI equivalence, accuracy, fallback, jit/vmap, rollout parity."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from modelc.rl import PolicyController, policy as pol
from modelc.rl.rollout import rollout
from modelc.solvers import PIController, StepAttempt, Tolerance, Tsit5, integrate

from rl_problems import oscillator

TS = jnp.linspace(0.0, 6.0, 7)
Y0 = jnp.array([1.0, 0.0])
W = jnp.array([2.0])


def exact(t, w=2.0):
    return np.stack([np.cos(w * t), -w * np.sin(w * t)], axis=-1)


def test_zero_output_policy_is_the_pi_rule(zero_params):
    ctrl = PolicyController.from_params(zero_params)
    a = integrate(oscillator, Y0, TS, W, rtol=1e-7, atol=1e-9)
    b = integrate(oscillator, Y0, TS, W, rtol=1e-7, atol=1e-9, controller=ctrl)
    assert (int(a.accepted), int(a.rejected), int(a.nfe)) == \
        (int(b.accepted), int(b.rejected), int(b.nfe))
    np.testing.assert_allclose(b.ys, a.ys, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("rtol", [1e-5, 1e-8])
def test_random_policy_reaches_its_tolerance(random_params, rtol):
    ctrl = PolicyController.from_params(random_params)
    r = integrate(oscillator, Y0, TS, W, rtol=rtol, atol=rtol, controller=ctrl)
    assert int(r.status) == 0
    err = np.abs(np.asarray(r.ys) - exact(np.asarray(TS))).max()
    # the global error of a tolerance-proportional method stays within a modest
    # multiple of the tolerance over a few periods
    assert err < 100 * rtol


def test_shipped_policy_reaches_its_tolerance():
    from modelc.rl import default_policy

    r = integrate(oscillator, Y0, TS, W, rtol=1e-8, atol=1e-8, controller=default_policy())
    assert int(r.status) == 0
    assert np.abs(np.asarray(r.ys) - exact(np.asarray(TS))).max() < 1e-6


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nonfinite_features_fall_back_to_pi(random_params, bad):
    stepper, pi = Tsit5(), PIController()
    params = {k: jnp.asarray(v) for k, v in random_params.items()}
    y0, y1 = jnp.array([1.0, 0.0]), jnp.array([0.9, -0.1])
    err = jnp.array([bad, 1e-9])
    pi_state = (jnp.asarray(np.log(1e-4)), jnp.asarray(False))
    state = (pi_state, pol.initial_history(jnp.float64))
    decide = jax.jit(lambda *a: pol.decide(params, pi, stepper, *a))
    accept, dt, _, _, _, ok = decide(0.1, y0, y1, err, state, 1e-6, 1e-9, jnp.zeros(2))
    pi_accept, pi_dt, _ = pi.adapt_step_size(stepper, StepAttempt(0.0, 0.1, y0, y1, err),
                                             pi_state, Tolerance(1e-6, 1e-9))
    assert not bool(ok)
    assert bool(accept) == bool(pi_accept) is False
    assert float(dt) == pytest.approx(float(pi_dt))


def test_step_factor_stays_in_the_safe_range(random_params):
    stepper, pi = Tsit5(), PIController()
    params = {k: jnp.asarray(v) * 50 for k, v in random_params.items()}  # saturate
    y0 = jnp.array([1.0, 0.0])
    state = ((jnp.asarray(np.log(1e-4)), jnp.asarray(False)), pol.initial_history(jnp.float64))
    decide = jax.jit(lambda e, noise: pol.decide(params, pi, stepper, 1.0, y0, y0,
                                                 jnp.array([e, e]), state, 1e-6, 1e-6,
                                                 jnp.full(2, noise))[1])
    for e in [1e-14, 1e-9, 1e-6, 1e-3]:
        for noise in [-5.0, 5.0]:
            dt = decide(e, noise)
            assert pi.factor_min - 1e-12 <= float(dt) <= pi.factor_max + 1e-12


def test_jit_and_vmap_over_initial_states(random_params):
    ctrl = PolicyController.from_params(random_params)
    ys0 = jnp.array([[1.0, 0.0], [0.5, 0.3], [2.0, -1.0]])
    f = jax.jit(jax.vmap(lambda y: integrate(oscillator, y, TS, W, rtol=1e-6, atol=1e-8,
                                             controller=ctrl)))
    batch = f(ys0)
    for i in range(3):
        one = integrate(oscillator, ys0[i], TS, W, rtol=1e-6, atol=1e-8, controller=ctrl)
        assert int(batch.nfe[i]) == int(one.nfe)
        np.testing.assert_allclose(batch.ys[i], one.ys, rtol=1e-12, atol=1e-14)


def test_training_rollout_takes_the_loops_steps(random_params):
    """The rollout (training) and the loop (inference) share the decision function."""
    ctrl = PolicyController.from_params(random_params)
    params = {k: jnp.asarray(v) for k, v in random_params.items()}
    ts = jnp.array([0.0, 6.0])
    r = integrate(oscillator, Y0, ts, W, rtol=1e-6, atol=1e-8, controller=ctrl)
    ep = rollout(params, oscillator, Tsit5(), Y0, W, 6.0, 1e-6, 1e-8, jnp.zeros((400, 2)))
    assert bool(ep.reached)
    assert int(ep.valid.sum()) == int(r.steps)
    assert int(ep.nfe) == int(r.nfe)
    np.testing.assert_allclose(ep.y1, r.ys[-1], rtol=1e-10, atol=1e-12)


def test_controller_is_hashable_and_compares_by_weights(random_params):
    a = PolicyController.from_params(random_params, {"problem": "x"})
    b = PolicyController.from_params({k: v.copy() for k, v in random_params.items()},
                                     {"problem": "x"})
    assert a == b and hash(a) == hash(b)
    assert a.info["problem"] == "x"
