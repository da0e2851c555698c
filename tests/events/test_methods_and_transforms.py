"""Events in every adaptive method, under jit/vmap/grad, and in float32.

Location accuracy: the spike times of a leaky integrate-and-fire neuron (closed form
``t_k = k tau ln((I - V_r)/(I - V_th))``) within 10x the requested tolerance. Gradients: the
ball's height after a bounce w.r.t. restitution and drop height against the derivative of
the closed form (central differences of it, to 1e-6 relative).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import modelc

from event_models import BALL, exact_height

LIF = """
parameter drive = 1.5, tau = 10, vth = 1, vreset = 0
state V = 0, spikes = 0
der(V) = (drive - V)/tau
event spike when V > vth: V = vreset, spikes = spikes + 1
"""
ISI = 10 * np.log(1.5 / 0.5)


@pytest.fixture(scope="module")
def ball():
    return modelc.parse(BALL, "ball.model")


@pytest.fixture(scope="module")
def lif():
    return modelc.parse(LIF, "lif.model")


def test_grad_through_a_bounce_matches_the_closed_form(ball):
    f = ball.solver(rtol=1e-10, atol=1e-12)
    ts = jnp.array([0.0, 1.0])

    def height(e, h0):
        return f({}, {"e": e, "h0": h0}, ts)["h"][-1]

    grad = jax.jit(jax.grad(height, argnums=(0, 1)))(0.9, 1.0)
    d = 1e-6
    exact = [(exact_height([1.0], e=0.9 + d)[0] - exact_height([1.0], e=0.9 - d)[0]) / (2 * d),
             (exact_height([1.0], h0=1 + d)[0] - exact_height([1.0], h0=1 - d)[0]) / (2 * d)]
    np.testing.assert_allclose(np.asarray(grad), exact, rtol=1e-6)


@pytest.mark.slow  # vmap compiles the batched loop
def test_vmap_over_a_parameter_that_moves_the_events_equals_single_solves(ball):
    f = ball.solver(rtol=1e-10, atol=1e-12, full_output=True)
    ts = jnp.linspace(0, 2.0, 9)
    es = jnp.array([0.7, 0.8, 0.9, 1.0])  # (0.6 accumulates before t = 2)
    states, info = jax.jit(jax.vmap(lambda e: f({}, {"e": e}, ts)))(es)
    for i, e in enumerate(es):
        one, one_info = f({}, {"e": e}, ts)
        np.testing.assert_allclose(states["h"][i], one["h"], rtol=1e-12, atol=1e-14)
        n = int(one_info["event_count"])
        assert int(info["event_count"][i]) == n
        np.testing.assert_allclose(info["event_times"][i][:n], one_info["event_times"][:n],
                                   rtol=1e-12)
        np.testing.assert_allclose(one["h"], exact_height(np.asarray(ts), e=float(e)), atol=1e-8)


@pytest.mark.slow  # one compile per method
@pytest.mark.parametrize("method", ["tsit5", "dopri5", "dopri8", "bosh3", "rodas5", "kvaerno5",
                                    "etdrk43", "exprb43", "exprb32"])
def test_event_location_is_within_ten_times_the_tolerance_for_every_adaptive_method(lif, method):
    rtol, atol = 1e-6, 1e-9
    sol = lif.solve(t=(0, 60), points=7, method=method, rtol=rtol, atol=atol)
    times = np.array([tk for tk, _ in sol.events])
    expected = ISI * np.arange(1, 6)
    assert times.shape == expected.shape
    # each interval starts afresh from the reset: the error per interval is what one location costs
    np.testing.assert_array_less(np.abs(np.diff(np.concatenate([[0], times])) - ISI),
                                 10 * (rtol * ISI + atol))


@pytest.mark.slow  # a float32 compile
def test_float32_runs_locate_to_float32_accuracy(lif):
    sol = lif.solve(t=(0, 60), points=7, rtol=1e-5, atol=1e-6, dtype="float32")
    assert sol.ok and sol.y.dtype == np.float32
    times = np.array([tk for tk, _ in sol.events])
    np.testing.assert_allclose(times, ISI * np.arange(1, 6), rtol=1e-4)
    assert sol["spikes"][-1] == 5


@pytest.mark.slow  # an ensemble compile
def test_ensembles_and_auto_run_event_models(ball):
    ens = ball.ensemble(params={"e": np.array([0.7, 0.9])}, t=(0, 2), points=5, rtol=1e-10,
                        atol=1e-12)
    assert ens.ok and list(ens.stats["event_count"]) == [4, 3]
    for i, e in enumerate((0.7, 0.9)):
        np.testing.assert_allclose(ens.y[i][:, 0], exact_height(ens.t, e=e), atol=1e-8)
    sol = ball.solve(t=(0, 2), points=5, method="auto", rtol=1e-10, atol=1e-12)
    assert sol.stats["method"] in ("tsit5", "rodas5") and len(sol.events) == 3
