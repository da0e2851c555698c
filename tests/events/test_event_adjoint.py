"""The discrete adjoint (``CheckpointAdjoint``) through events.

The gradient of a quantity after a bounce or a dose, by reverse mode through the replayed
steps and events (modelc/solvers/event_adjoint.py), against the closed form of the ball,
central finite differences of the dosing model, and the forward sensitivities (exact
through the events by construction); under ``vmap``; and the refusals that remain.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import modelc
from modelc.solvers.adjoint import _event_adjoint
from modelc.solvers.event_adjoint import _jacobian_correction

from event_models import BALL, exact_height

CHECKPOINT = modelc.CheckpointAdjoint()


@pytest.fixture(scope="module")
def ball():
    return modelc.parse(BALL, "ball.model")


def _central(fun, x, d):
    return (fun(x + d) - fun(x - d)) / (2 * d)


@pytest.mark.slow  # two gradient compiles
def test_adjoint_grad_after_a_bounce_equals_the_closed_form_and_forward_mode(ball):
    ts = jnp.array([0.0, 1.0])  # one bounce (at 0.4515) before t = 1

    def height(adjoint):
        f = ball.solver(rtol=1e-10, atol=1e-12, adjoint=adjoint)
        return jax.jit(jax.grad(lambda e, h0: f({}, {"e": e, "h0": h0}, ts)["h"][-1],
                                argnums=(0, 1)))

    grad = np.asarray(height(CHECKPOINT)(0.9, 1.0))
    exact = [_central(lambda e: exact_height([1.0], e=e)[0], 0.9, 1e-6),
             _central(lambda h0: exact_height([1.0], h0=h0)[0], 1.0, 1e-6)]
    np.testing.assert_allclose(grad, exact, rtol=1e-6)
    forward = np.asarray(height(modelc.ForwardAdjoint())(0.9, 1.0))
    np.testing.assert_allclose(grad, forward, rtol=1e-8)


@pytest.mark.slow  # two gradient compiles and a solve compile
def test_adjoint_grad_of_the_dosing_model_equals_finite_differences_and_forward_mode():
    m = modelc.load("examples/dosing.model")  # a dose at t0 (initial = false), then every tau
    ts = jnp.array([0.0, 12.0, 30.0])  # an output at the second dose's time
    fs = m.solver(method="tsit5", rtol=1e-10, atol=1e-12)

    def central(f):
        return lambda ke, tau: jnp.sum(f({}, {"ke": ke, "tau": tau}, ts)["central"])

    def grad(adjoint):
        f = m.solver(method="tsit5", rtol=1e-10, atol=1e-12, adjoint=adjoint)
        return np.asarray(jax.jit(jax.grad(central(f), argnums=(0, 1)))(0.15, 12.0))

    c = jax.jit(central(fs))
    d = 1e-4  # tau: from below, where the output at 12 shows the state after the dose
    # (its derivative at a fixed time: the post-dose trajectory moved by dt*/dtau = 1)
    left = (3 * float(c(0.15, 12.0)) - 4 * float(c(0.15, 12.0 - d)) + float(c(0.15, 12.0 - 2 * d))) / (2 * d)
    fd = [_central(lambda ke: float(c(ke, 12.0)), 0.15, 1e-5), left]
    adjoint = grad(CHECKPOINT)
    np.testing.assert_allclose(adjoint, fd, rtol=1e-6)
    np.testing.assert_allclose(grad(modelc.ForwardAdjoint()), adjoint, rtol=1e-8)


@pytest.mark.slow  # a batched gradient compile
def test_vmap_of_the_adjoint_gradient_equals_the_closed_form_per_member(ball):
    f = ball.solver(rtol=1e-10, atol=1e-12, adjoint=CHECKPOINT)
    ts = jnp.array([0.0, 0.8, 1.6])
    es = jnp.array([0.7, 0.8, 0.9])  # different numbers of bounces before 1.6

    def total(e):
        return jnp.sum(f({}, {"e": e}, ts)["h"][1:])

    grads = np.asarray(jax.jit(jax.vmap(jax.grad(total)))(es))
    exact = [_central(lambda x: np.sum(exact_height([0.8, 1.6], e=x)), float(e), 1e-6)
             for e in es]
    np.testing.assert_allclose(grads, exact, rtol=1e-6)


def test_backsolve_adjoint_is_refused_for_event_models_with_a_clear_message(ball):
    f = ball.solver(adjoint=modelc.BacksolveAdjoint())
    with pytest.raises(ValueError, match="does not support models with events; use CheckpointAdjoint"):
        jax.grad(lambda e: f({}, {"e": e}, jnp.array([0.0, 1.0]))["h"][-1])(0.9)


def test_checkpoint_adjoint_refuses_delayed_events_with_a_clear_message():
    m = modelc.parse("""
    parameter k = 1
    state x = 1
    der(x) = -k*x
    event kick when t >= 1, delay = 0.5: x = x + 1
    """, "delayed.model")
    f = m.solver(adjoint=CHECKPOINT)
    with pytest.raises(ValueError, match="does not support delayed events"):
        jax.grad(lambda k: f({}, {"k": k}, jnp.array([0.0, 2.0]))["x"][-1])(1.0)


def test_the_default_adjoint_of_an_event_model_is_forward_and_checkpoint_is_checked():
    class Spec:  # the two facts _event_adjoint reads from an EventSpec
        def __init__(self, delayed, consistent=None):
            self.delayed, self.consistent = delayed, consistent

    assert isinstance(_event_adjoint(None, Spec((False, False))), modelc.ForwardAdjoint)
    assert _event_adjoint(CHECKPOINT, Spec((False,))) is CHECKPOINT
    with pytest.raises(ValueError, match="does not support events in a DAE"):
        _event_adjoint(CHECKPOINT, Spec((False,), consistent=object()))


def test_the_jump_correction_is_zero_in_value_and_the_jacobian_in_derivative():
    def ymap(t, y, a):  # a stand-in for the rounds: a loop whose carry is the state
        return jax.lax.while_loop(lambda c: c[1] < 3, lambda c: (c[0] * a["p"] + t, c[1] + 1),
                                  (y, 0))[0]

    def value(t, y, p):
        sg = jax.lax.stop_gradient
        return jnp.sum(ymap(sg(t), sg(y), {"p": sg(p), "n": 3})
                       + _jacobian_correction(ymap, t, y, {"p": p, "n": 3}))

    t, y, p = 0.5, jnp.array([1.0, 2.0]), 2.0
    np.testing.assert_array_equal(value(t, y, p), jnp.sum(ymap(t, y, {"p": p})))
    grad = jax.grad(value, argnums=(0, 1, 2))(t, y, p)  # reverse mode (no while_loop transposed)
    # y p^3 + t (p^2 + p + 1): d/dt = 2 (p^2 + p + 1), d/dy = p^3, d/dp = sum(3 y p^2 + t (2p + 1))
    np.testing.assert_allclose(grad[0], 2 * (p * p + p + 1))
    np.testing.assert_allclose(grad[1], [p ** 3, p ** 3])
    np.testing.assert_allclose(grad[2], np.sum(3 * np.asarray(y) * p * p + t * (2 * p + 1)))


def _dosed_central_dke(t, dose, tau, ka, ke):
    """d central(t) / d ke in closed form: doses at 0, tau, 2 tau, ... each add
    ``D ka / (ka - ke) (e^{-ke s} - e^{-ka s})`` (``s`` the time since the dose)."""
    s = t - tau * np.arange(int(t // tau) + 1)
    return float(np.sum(dose * ka * ((np.exp(-ke * s) - np.exp(-ka * s)) / (ka - ke) ** 2
                                     - s * np.exp(-ke * s) / (ka - ke))))


def test_auto_with_the_discrete_adjoint_keeps_the_exponential_method():
    """The dosing model is linear between doses (a dense-matrix L), so auto picks etdrk43
    for it, also under the checkpointed adjoint, which runs through it (the matrix
    exponential's custom derivative, modelc/solvers/phi.py). The continuous adjoint,
    which does not integrate split methods backwards, leaves it out."""
    m = modelc.load("examples/dosing.model")
    assert m.solver(rtol=1e-10, atol=1e-12).method == "etdrk43"
    assert m.solver(rtol=1e-10, atol=1e-12, adjoint=CHECKPOINT).method == "etdrk43"
    assert m.solver(rtol=1e-10, atol=1e-12, adjoint=modelc.BacksolveAdjoint()).method != "etdrk43"


@pytest.mark.slow  # a gradient compile through etdrk43 and the events
def test_discrete_adjoint_through_etdrk43_and_doses_equals_the_closed_form():
    """jax.grad of the central amount after three doses w.r.t. the elimination rate, by
    the checkpointed adjoint through etdrk43 (auto's choice), equals the closed form."""
    f = modelc.load("examples/dosing.model").solver(method="etdrk43", rtol=1e-10, atol=1e-12,
                                                    adjoint=CHECKPOINT)
    ts = jnp.array([0.0, 30.0])
    grad = jax.grad(lambda ke: f({}, {"ke": ke}, ts)["central"][-1])(0.15)
    np.testing.assert_allclose(grad, _dosed_central_dke(30.0, 100.0, 12.0, 1.2, 0.15), rtol=1e-7)
