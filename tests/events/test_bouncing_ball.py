"""A bouncing ball against its closed form: bounce times, heights, and the dense outputs.

h' = v, v' = -g from h0 at rest; at h = 0 the speed reverses and shrinks by e (and h is
set to 0). Impact k (k = 0, 1, ...) is at t_k = t_0 + 2 sum_{j=1..k} e^j v_0 / g with
t_0 = sqrt(2 h0 / g), v_0 = sqrt(2 g h0); between impacts the flight is a parabola.
"""

from __future__ import annotations

import numpy as np
import pytest

import modelc

from event_models import BALL, exact_height, impacts


@pytest.fixture(scope="module")
def ball():
    return modelc.parse(BALL, "ball.model")


def test_bounce_times_and_heights_match_the_closed_form(ball):
    ts = np.linspace(0, 3.5, 71)
    sol = ball.solve(saveat=ts, rtol=1e-10, atol=1e-12)
    assert sol.ok and sol.status == modelc.Status.SUCCESS
    times, speeds = impacts(n=5)
    fired = np.array([tk for tk, _ in sol.events])
    assert [name for _, name in sol.events] == ["bounce"] * 5
    np.testing.assert_allclose(fired, times, rtol=0, atol=1e-8)
    np.testing.assert_allclose(sol["h"], exact_height(ts), rtol=0, atol=1e-8)
    # the apex heights: (e^k v0)^2 / (2 g)
    np.testing.assert_allclose(sol["energy"][ts > times[-1]], speeds[-1] ** 2 / 2, rtol=1e-8)


@pytest.mark.slow  # a second compile (other output count)
def test_an_output_at_the_event_time_shows_the_post_event_state(ball):
    first = ball.solve(t=(0, 0.6), points=4, rtol=1e-10, atol=1e-12)
    t1 = first.events[0][0]
    sol = ball.solve(saveat=[0.0, 0.2, t1, 0.6], rtol=1e-10, atol=1e-12)  # same steps
    assert sol.events[0][0] == t1
    v0 = np.sqrt(2 * 9.81)
    np.testing.assert_allclose([sol["h"][2], sol["v"][2]], [0.0, 0.9 * v0], atol=1e-8)
    np.testing.assert_allclose(sol["h"], exact_height(sol.t), atol=1e-8)


@pytest.mark.slow  # one compile per method
@pytest.mark.parametrize("method", ["rk4", "euler"])
def test_fixed_step_methods_locate_the_bounce_on_the_hermite_interpolant(ball, method):
    sol = ball.solve(t=(0, 1.0), points=11, method=method, dt0=1e-3)
    fired = np.array([tk for tk, _ in sol.events])
    # the free fall is a parabola: the Hermite cubic of rk4 is exact, euler's steps are O(h)
    tol = 1e-9 if method == "rk4" else 5e-3
    np.testing.assert_allclose(fired, impacts(n=1)[0], atol=tol)


@pytest.mark.slow  # a compile with another capacity
def test_more_bounces_than_max_events_end_with_event_limit_and_keep_the_recorded_ones():
    m = modelc.parse(BALL, "ball.model")
    with pytest.warns(RuntimeWarning, match="more events fired"):
        sol = m.solve(t=(0, 3), points=5, method="tsit5", rtol=1e-10, atol=1e-12, max_events=3)
    assert sol.status == modelc.Status.EVENT_LIMIT and not sol.ok
    times, _ = impacts(n=3)
    np.testing.assert_allclose([tk for tk, _ in sol.events], times, atol=1e-8)
