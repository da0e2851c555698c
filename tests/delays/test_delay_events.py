"""Delays together with events, in event expressions and in observables, from the maths:
the method of steps across an event's jump (SymPy), closed forms for delayed triggers,
delayed assignments, delayed observables and a delayed ``der(x)``; the history's jump
(left and right limits at one time) on its own."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy

import modelc
from modelc.solvers.history import DelayLoop, DelaySpec, History

from .reference import linear_exact

KICKED = """
model kicked "x' = -x(t - 1), x = 1 before 0, x jumps by 1 at t = 0.5"
state x = 1
event kick when t >= 0.5: x = x + 1
der(x) = -delay(x, 1)
observe lagged = delay(x, 1)
"""


def kicked_pieces(end: int = 6):
    """x on ``[k/2, (k+1)/2]`` for k < end, by the method of steps (exact, SymPy):
    ``x_k(t) = x_k(k/2) - int_{k/2}^t x(s - 1) ds`` with ``x(s - 1)`` the piece two
    back (1 before 0), and the jump of 1 added to the start of the piece at 0.5."""
    t, s = sympy.symbols("t s", real=True)
    half = sympy.Rational(1, 2)
    pieces = []
    for k in range(end):
        a = k * half
        past = sympy.Integer(1) if k < 2 else pieces[k - 2].subs(t, s - 1)
        start = sympy.Integer(1) if k == 0 else pieces[k - 1].subs(t, a)
        if a == half:
            start += 1
        pieces.append(sympy.expand(start - sympy.integrate(past.subs(t, s) if k < 2 else past,
                                                           (s, a, t))))
    return t, pieces


def kicked_exact(ts, end: int = 6):
    """x at ``ts`` in ``[0, end/2]`` (at a piece boundary, the later piece: the value after
    the jump at 0.5)."""
    t, pieces = kicked_pieces(end)
    fns = [sympy.lambdify(t, p, "numpy") for p in pieces]
    ts = np.asarray(ts, dtype=float)
    k = np.clip(np.floor(2 * ts + 1e-12).astype(int), 0, end - 1)
    return np.array([fns[i](v) for i, v in zip(k, ts)], dtype=float)


def test_reference_pieces_by_hand():
    """The first pieces worked by hand: 1 - t, then 2 - t after the jump, then
    5/2 - 2t + t^2/2 on [1, 3/2] (x(t - 1) = 2 - t there)."""
    t, p = kicked_pieces(4)
    assert sympy.simplify(p[0] - (1 - t)) == 0
    assert sympy.simplify(p[1] - (2 - t)) == 0
    assert sympy.simplify(p[2] - (sympy.Rational(5, 2) - 2 * t + t ** 2 / 2)) == 0
    np.testing.assert_allclose(kicked_exact([0.5, 1.5, 2.0], 4), [1.5, 0.625, 0.0], atol=1e-15)


@pytest.fixture(scope="module")
def kicked():
    return modelc.parse(KICKED, "kicked.model")


def _check_kicked(sol):
    assert sol.ok, sol.message
    np.testing.assert_allclose(sol["x"], kicked_exact(sol.t), atol=1e-8)
    # the observable reads x one lag back: 1 before t = 1, the jump seen at t = 1.5
    lagged = np.where(sol.t < 1, 1.0, kicked_exact(np.maximum(sol.t - 1, 0)))
    np.testing.assert_allclose(sol["lagged"], lagged, atol=1e-8)
    assert [name for _, name in sol.events] == ["kick"]
    np.testing.assert_allclose([t for t, _ in sol.events], [0.5], atol=1e-12)


def test_event_jump_in_a_delay_equation_matches_the_method_of_steps(kicked):
    """tsit5 at rtol 1e-10 against the exact pieces on [0, 3], outputs on both sides of the
    jump at 0.5 and of its echo at 1.5 (where x' jumps) and 2.5 (x'')."""
    ts = np.sort(np.r_[np.linspace(0, 3, 13), 0.4999, 1.4999, 1.5001, 2.5001])
    _check_kicked(kicked.solve(t=(0, 3), saveat=ts, method="tsit5", rtol=1e-10, atol=1e-12))


@pytest.mark.slow
@pytest.mark.parametrize("method", ["rodas5", "dopri5"])
def test_event_jump_in_a_delay_equation_other_methods(kicked, method):
    ts = np.linspace(0, 3, 13)
    _check_kicked(kicked.solve(t=(0, 3), saveat=ts, method=method, rtol=1e-10, atol=1e-12))


@pytest.mark.slow
def test_event_jump_fixed_step_rk4_is_exact_on_the_polynomial_pieces(kicked):
    """On [0, 3] every piece is a polynomial of degree <= 3 and x(t - 1) one of degree <= 2:
    rk4 and the cubic history are exact on them, so with steps of 0.07 (which divide
    neither the lag nor the event time) only landing on the jump at 0.5 and on its echoes
    1.5 and 2.5 (where x' and x'' jump, both sides' slopes kept) keeps the error at
    roundoff."""
    sol = kicked.solve(t=(0, 3), saveat=np.linspace(0, 3, 13), method="rk4", dt0=0.07)
    assert sol.ok, sol.message
    np.testing.assert_allclose(sol["x"], kicked_exact(sol.t), atol=1e-11)


DELAYED_EVENTS = """
model delayed_events "delays in a trigger, an assignment and observables"
state x = 0, u = 1, z = 0, w = 0
der(x) = 1
der(u) = -u
event late when delay(x, 1) > 0.5: z = t
event read when t > 3: w = delay(x, 1) + delay(u, 2)
observe rate = delay(der(u), 1)
observe lagged = delay(u, 1)
"""


@pytest.mark.slow
def test_delayed_trigger_assignment_and_observables_match_closed_forms():
    """x = t, u = exp(-t): the trigger delay(x, 1) > 1/2 fires at t = 3/2; at t = 3,
    w = x(2) + u(1) = 2 + 1/e; delay(der(u), 1) is 0 before t = 1 (the history before
    t0 is constant) and -exp(-(t - 1)) after; delay(u, 1) is 1 before t = 1."""
    m = modelc.parse(DELAYED_EVENTS, "delayed_events.model")
    ts = np.sort(np.r_[0.0, 1.0, np.linspace(0.05, 3.95, 14)])  # not on the event times
    sol = m.solve(t=(0, 4), saveat=ts, method="tsit5", rtol=1e-10, atol=1e-12)
    assert sol.ok, sol.message
    assert [name for _, name in sol.events] == ["late", "read"]
    np.testing.assert_allclose([t for t, _ in sol.events], [1.5, 3.0], atol=1e-9)
    np.testing.assert_allclose(sol["z"], np.where(ts >= 1.5, 1.5, 0.0), atol=1e-9)
    np.testing.assert_allclose(sol["w"], np.where(ts > 3, 2 + np.exp(-1), 0.0), atol=1e-8)
    np.testing.assert_allclose(sol["rate"], np.where(ts < 1, 0.0, -np.exp(-(ts - 1))), atol=1e-8)
    np.testing.assert_allclose(sol["lagged"], np.where(ts < 1, 1.0, np.exp(-(ts - 1))), atol=1e-8)


@pytest.mark.slow
def test_delayed_observable_against_the_exact_delay_solution():
    """y = delay(x, 1) for x' = -x(t - 1) is x one lag back: 1 before t = 1."""
    m = modelc.parse("state x = 1\nder(x) = -delay(x, 1)\nobserve y = delay(x, 1)\n"
                     "observe z = 2*delay(x, 0.5)\n")
    ts = np.linspace(0, 5, 21)
    sol = m.solve(t=(0, 5), saveat=ts, method="tsit5", rtol=1e-10, atol=1e-12)
    assert sol.ok, sol.message
    np.testing.assert_allclose(sol["y"], linear_exact(np.maximum(ts - 1, 0)), atol=1e-9)
    np.testing.assert_allclose(sol["z"], 2 * linear_exact(np.maximum(ts - 0.5, 0)), atol=1e-9)


def test_generated_observables_outside_the_loop_read_nan():
    """Called without a history (outside the integration loop) a delayed observable is NaN,
    never a wrong number; the others are computed."""
    m = modelc.parse("state x = 1\nder(x) = -x\nobserve y = delay(x, 1)\nobserve v = 2*x\n")
    assert m.module.OBSERVABLES_HISTORY
    out = np.asarray(m.module.observables(0.5, jnp.asarray([3.0]), m.module.parameter_vector({})))
    assert np.isnan(out[0]) and out[1] == 6.0


def test_event_functions_read_the_history_at_the_event_time():
    m = modelc.parse("state x = 0, z = 0\nder(x) = 1\nevent e when delay(x, 1) > 0.5: z = delay(x, 2)\n")
    mod, p = m.module, m.module.parameter_vector({})
    asked = []

    class Fake:
        def __call__(self, q):
            asked.append(float(q))
            return jnp.asarray([10 * float(q)])

    y = jnp.asarray([4.0, 0.0])
    assert bool(mod.event_conditions(4.0, y, p, Fake())[0])
    np.testing.assert_allclose(np.asarray(mod.event_assignments(4.0, y, p, Fake()))[0], [4.0, 20.0])
    assert 3.0 in asked and 2.0 in asked


def _linear_loop():
    """A DelayLoop of x' = -1 (rhs without delays) holding t0 = 0 and a step end at 1."""
    spec = DelaySpec(lambda t, y, a: jnp.asarray([1.0]), (True,), (0,))
    loop = DelayLoop(spec, lambda t, y, a, h: -jnp.ones_like(y), 4, False, jnp.float64,
                     events=True)
    b, _ = loop.start(0.0, jnp.asarray([1.0]), None)
    b = loop.append(b, 1.0, jnp.asarray([0.0]), jnp.asarray([-1.0]))
    return loop, b


def test_a_jump_keeps_the_history_before_it_and_reads_the_right_limit_at_its_time():
    """x = 1 - t on [0, 1], the step truncated by an event at 0.25 that sets x = 5: before
    0.25 the history is unchanged, at 0.25 the right side reads 5 and the left 0.75; the
    constant history before t0 is not "started"."""
    loop, b = _linear_loop()

    @jax.jit  # one compile instead of one per eager operation
    def probe(b):
        j = loop.jump(b, 0.25, jnp.asarray([5.0]), None)
        right, left = History(j), History(j, left=True)
        values = jnp.stack([right(0.1)[0], left(0.1)[0], right(0.25)[0], left(0.25)[0],
                            right(-1.0)[0], right.started(0.25), right.started(-0.5)])
        return values, j.count, j.evals, j.jumps[-1]

    values, count, evals, last = probe(b)
    assert int(count) == 3 and int(evals) == 1 and float(last) == 0.25
    np.testing.assert_allclose(np.asarray(values), [0.9, 0.9, 5.0, 0.75, 1.0, 1.0, 0.0], atol=1e-14)


def test_a_jump_adds_the_lags_discontinuity_stops_after_it():
    """With a constant lag 1 (order 4: stops t0 + 1 ... t0 + 4), a jump at 0.25 makes the
    steps land on 1.25 as well."""
    loop, b = _linear_loop()
    j = loop.jump(b, 0.25, jnp.asarray([5.0]), None)
    h, hit, goal, at_stop = loop.limit(jnp.asarray(0.25), jnp.asarray(0.5), False, 10.0, j, False)
    assert not bool(at_stop)
    h, hit, goal, at_stop = loop.limit(jnp.asarray(1.1), jnp.asarray(0.5), False, 10.0, j, False)
    assert bool(at_stop)
    np.testing.assert_allclose(float(goal), 1.25)
