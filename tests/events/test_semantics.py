"""Event semantics against closed forms: dosing, integrate-and-fire, a thermostat, a landing
(stop), delays with trigger/execution values and persistence, priorities, cascades, Zeno."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import modelc

LIF = """
model lif
parameter drive = 1.5, tau = 10, vth = 1, vreset = 0
state V = 0, spikes = 0
der(V) = (drive - V)/tau
event spike when V > vth: V = vreset, spikes = spikes + 1
"""

PROJECTILE = """
model projectile
parameter g = 9.81, vy0 = 10, y0 = 2
state x = 0, y = y0, vy = vy0
der(x) = 3
der(y) = vy
der(vy) = -g
event land when y < 0: stop
"""

THERMOSTAT = """
model thermostat
parameter k = 0.5, ta = 10, p = 8
state T = 20, on = 0
der(T) = -k*(T - ta) + p*on
event heat when T < 18: on = 1
event cool when T > 22: on = 0
"""

DELAYS = """
state y = 0, x = 0, z = 0, w = 0
der(y) = 1
event trig when t >= 1, delay = 0.5: x = y
event exe when t >= 1, delay = 0.5, values = execution: z = y
event gone when t >= 1 and t < 1.2, delay = 0.5, persistent = false: w = 1
"""

ORDER = """
state x = 1, s = 0, a = 0, b = 0
der(s) = 1
event low when s >= 1, priority = 1, values = execution: x = x + 1
event high when s >= 1, priority = 2, values = execution: x = 2*x
event chain when x > 2.5: a = 1
event chain2 when a > 0.5: b = 1
"""

CYCLE = """
state s = 0, y = 0
der(s) = 1
event start when s > 1: y = 1
event p when y > 0: y = -1
event q when y < 0: y = 1
"""


def solve(text, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return modelc.parse(text, "m.model").solve(**kw)


def test_repeated_dosing_is_a_superposition_of_bateman_functions(examples_dir):
    m = modelc.load(examples_dir / "dosing.model")
    ts = np.linspace(0, 96, 97)
    sol = m.solve(saveat=ts, rtol=1e-10, atol=1e-12)
    # initial = false: the condition holds at t0, a dose at 0; the one at t1 = 96 runs too
    doses = np.arange(0, 97.0, 12.0)
    np.testing.assert_allclose([tk for tk, _ in sol.events], doses, atol=1e-9)
    assert [name for _, name in sol.events] == ["dose"] * 9
    D, ka, ke = 100.0, 1.2, 0.15

    def bateman(s):  # the central amount after one dose at s = 0
        return np.where(s >= 0, D * ka / (ka - ke) * (np.exp(-ke * s) - np.exp(-ka * s)), 0.0)

    exact = sum(bateman(ts - d) for d in doses)
    np.testing.assert_allclose(sol["central"], exact, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(sol["next_dose"][-1], 96.0 + 12.0)
    np.testing.assert_allclose(sol["gut"][-1], D + D * np.exp(-ka * 12) / (1 - np.exp(-ka * 12))
                               * (1 - np.exp(-ka * 96)), rtol=1e-8)


@pytest.mark.slow  # one compile each; the default suite keeps dosing, stop, order
def test_integrate_and_fire_spikes_at_the_closed_form_times():
    sol = solve(LIF, saveat=np.linspace(0, 100, 101), rtol=1e-10, atol=1e-12)
    isi = 10 * np.log(1.5 / 0.5)  # tau ln((I - vreset)/(I - vth))
    n = int(100 // isi)
    np.testing.assert_allclose([tk for tk, _ in sol.events], isi * np.arange(1, n + 1), rtol=1e-9)
    assert sol["spikes"][-1] == n
    phase = sol.t - isi * np.floor(sol.t / isi + 1e-12)
    np.testing.assert_allclose(sol["V"], 1.5 * (1 - np.exp(-phase / 10)), atol=1e-8)


def test_a_stop_event_ends_the_solution_at_the_landing_time():
    m = modelc.parse(PROJECTILE, "projectile.model")
    sol = m.solve(t=(0, 5), points=51, rtol=1e-10, atol=1e-12)
    t_land = (10 + np.sqrt(100 + 2 * 9.81 * 2)) / 9.81
    assert sol.status == modelc.Status.STOPPED and sol.ok
    assert sol.events == ((pytest.approx(t_land, abs=1e-9), "land"),)
    assert sol.t[-1] == pytest.approx(t_land, abs=1e-9) and np.all(np.diff(sol.t) > 0)
    np.testing.assert_allclose(sol["x"][-1], 3 * t_land, rtol=1e-9)
    np.testing.assert_allclose(sol["y"][-1], 0.0, atol=1e-8)


@pytest.mark.slow  # a second compile (the pure function)
def test_the_pure_function_keeps_its_shape_after_a_stop():
    m = modelc.parse(PROJECTILE, "projectile.model")
    f = m.solver(rtol=1e-10, atol=1e-12, full_output=True)
    states, info = f({}, {}, np.linspace(0, 5, 6))
    assert int(info["status"]) == modelc.Status.STOPPED and int(info["event_count"]) == 1
    assert np.all(np.isfinite(states["y"][:3])) and np.all(np.isnan(states["y"][3:]))


@pytest.mark.slow  # two compiles
def test_a_hysteresis_thermostat_switches_at_the_analytic_times():
    sol = solve(THERMOSTAT, t=(0, 20), points=201, rtol=1e-10, atol=1e-12)
    k, ta, p = 0.5, 10.0, 8.0
    cool = np.log((22 - ta) / (18 - ta)) / k           # 22 -> 18 heater off
    warm = np.log((18 - ta - p / k) / (22 - ta - p / k)) / k   # 18 -> 22 heater on
    first = np.log((20 - ta) / (18 - ta)) / k
    expected = [first]
    while expected[-1] + warm < 20:
        expected.append(expected[-1] + warm)
        if expected[-1] + cool < 20:
            expected.append(expected[-1] + cool)
    names = [name for _, name in sol.events]
    assert names == ["heat", "cool"] * (len(expected) // 2) + ["heat"] * (len(expected) % 2)
    np.testing.assert_allclose([tk for tk, _ in sol.events], expected, rtol=1e-9)
    assert np.all((sol["T"] > 18 - 1e-6) & (sol["T"] < 22 + 1e-6))


@pytest.mark.slow  # one compile each; the default suite keeps dosing, stop, order
def test_delays_trigger_values_and_persistence():
    sol = solve(DELAYS, saveat=[0, 1, 1.4, 1.6, 2], rtol=1e-10, atol=1e-12)
    assert [name for _, name in sol.events] == ["trig", "exe"]  # `gone` was cancelled at 1.2
    np.testing.assert_allclose([tk for tk, _ in sol.events], [1.5, 1.5], atol=1e-9)
    np.testing.assert_allclose(sol["x"], [0, 0, 0, 1, 1], atol=1e-9)      # y at the trigger
    np.testing.assert_allclose(sol["z"], [0, 0, 0, 1.5, 1.5], atol=1e-9)  # y at execution
    np.testing.assert_allclose(sol["w"], 0.0)


@pytest.mark.slow  # one compile
def test_priorities_then_file_order_then_cascades():
    sol = solve(ORDER, saveat=[0, 2], rtol=1e-10, atol=1e-12)
    assert [name for _, name in sol.events] == ["high", "low", "chain", "chain2"]
    np.testing.assert_allclose(sol.y[-1], [3, 2, 1, 1])  # x = 2*1 + 1


@pytest.mark.slow  # one compile each; the default suite keeps dosing, stop, order
def test_an_endless_cascade_ends_with_a_status():
    sol = solve(CYCLE, saveat=[0, 2], rtol=1e-10, atol=1e-12)
    assert sol.status == modelc.Status.EVENT_CASCADE and not sol.ok
    assert "cascade" in sol.message and np.isnan(sol["y"][-1])


@pytest.mark.slow  # one compile each; the default suite keeps dosing, stop, order
def test_accumulating_bounces_end_with_a_zeno_status():
    ball = ("parameter e = 0.5\nstate h = 1, v = 0\nder(h) = v\nder(v) = -9.81\n"
            "event bounce when h < 0: v = -e*v, h = 0\n")
    sol = solve(ball, saveat=[0, 1, 2], rtol=1e-10, atol=1e-12)
    assert sol.status == modelc.Status.EVENT_ZENO and "Zeno" in sol.message
    v0 = np.sqrt(2 * 9.81)
    t_inf = np.sqrt(2 / 9.81) + 2 * v0 * 0.5 / (9.81 * 0.5)  # the accumulation point
    np.testing.assert_allclose(sol.events[-1][0], t_inf, rtol=1e-9)
