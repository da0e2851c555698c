"""Careless and hostile API input (issue #20): every bad argument ends fast in a
`SolveError` (or `ModelError`) whose message names it; no hang, no raw exception,
no silently wrong answer. Most cases are refused before anything compiles."""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest

import modelc
from modelc.errors import ModelcError, ModelError, SolveError

NAN, INF = float("nan"), float("inf")

BAD_SOLVE_ARGUMENTS = [
    # times: non-finite times used to hang the loop
    (dict(t=(0, NAN)), r"t\[1\] \(t1\) = nan is not finite"),
    (dict(t=(0, INF)), r"t\[1\] \(t1\) = inf is not finite"),
    (dict(t=(-INF, 1)), r"t\[0\] \(t0\) = -inf is not finite"),
    (dict(saveat=[0, NAN, 1]), r"saveat\[1\] = nan is not finite"),
    (dict(saveat=[0, 1, INF]), r"saveat\[2\] = inf is not finite"),
    (dict(t=(0,)), r"t must be a pair \(t0, t1\)"),
    (dict(t=1), r"t must be a pair \(t0, t1\)"),
    (dict(t=(0, 1j)), r"t\[1\] \(t1\) must be a real number.*complex"),
    (dict(t="0 1"), r"t must be a pair \(t0, t1\)"),
    (dict(saveat=[0, 0.5, 0.25, 1]), r"saveat must be sorted.*0\.25 after 0\.5"),
    (dict(saveat=[]), r"saveat is empty"),
    (dict(saveat=[0, 1j]), r"saveat must be an array of times.*complex"),
    (dict(t=(0, 1), saveat=[0.5, 2]), r"saveat has times outside t = \(0, 1\)"),
    # values by name
    (dict(params={"k": None}), r"params\['k'\] must be a number"),
    (dict(params={"k": "fast"}), r"params\['k'\] must be a number"),
    (dict(params={"k": [1.0, 2.0]}), r"params\['k'\] must be a single number.*shape \(2,\)"),
    (dict(params={"k": 1j}), r"params\['k'\] = 1j is complex"),
    (dict(params=[0.5]), r"params must be a dict"),
    (dict(y0={"u": None}), r"y0\['u'\] must be a number"),
    (dict(y0=(1.0,)), r"y0 must be a dict"),
    (dict(params={"kk": 1.0}), r"no parameter named 'kk'; did you mean 'k'"),
    # counts: refused, never truncated
    (dict(points=INF), r"points must be a whole number, got inf"),
    (dict(points=2.7), r"points must be a whole number, got 2\.7.*not rounded"),
    (dict(points=0), r"points must be at least 2, got 0"),
    (dict(points=True), r"points must be a whole number"),
    (dict(method="rk4", steps=2.5), r"steps must be a whole number, got 2\.5"),
    (dict(method="rk4", steps=0), r"steps must be at least 1"),
    (dict(max_steps=10**30), r"max_steps must be at most 2147483647"),
    (dict(max_steps=0), r"max_steps must be at least 1"),
    (dict(max_steps=1.5), r"max_steps must be a whole number"),
    # options
    (dict(dtype="banana"), r"dtype must be 'float32' or 'float64', got 'banana'"),
    (dict(dtype="int32"), r"dtype must be 'float32' or 'float64'"),
    (dict(atol=-1e-8), r"atol = -1e-08 is negative"),
    (dict(rtol=-1e-6), r"rtol = -1e-06 is negative"),
    (dict(atol=NAN), r"atol = nan is not finite"),
    (dict(rtol=NAN), r"rtol = nan is not finite"),
    (dict(rtol="tight"), r"rtol must be a number"),
    (dict(dt0=-0.1), r"dt0 must be positive"),
    (dict(dt0=NAN), r"dt0 = nan is not finite"),
    (dict(method="rk45"), r"unknown method 'rk45'"),
    (dict(method=["tsit5"]), r"unknown method \['tsit5'\]"),
    (dict(phi="fast"), r"phi='fast'"),
]


@pytest.mark.parametrize("arguments, message", BAD_SOLVE_ARGUMENTS,
                         ids=[repr(a) for a, _ in BAD_SOLVE_ARGUMENTS])
def test_bad_solve_arguments_are_a_solve_error_naming_them(decay, arguments, message):
    with pytest.raises(SolveError, match=message):
        decay.solve(**arguments)


def test_solve_errors_are_value_errors_and_modelc_errors():
    assert issubclass(SolveError, ValueError) and issubclass(SolveError, ModelcError)
    assert issubclass(ModelError, ModelcError) and modelc.ModelcError is ModelcError


@pytest.mark.parametrize("arguments, message", [
    (dict(atol=-1.0), "atol = -1 is negative"),
    (dict(rtol=NAN), "rtol = nan is not finite"),
    (dict(max_steps=10**30), "max_steps must be at most"),
    (dict(method="rk4", steps=2.5), "steps must be a whole number"),
    (dict(dt0=0.0), "dt0 must be positive"),
])
def test_bad_solver_options_are_refused_when_the_solver_is_built(decay, arguments, message):
    with pytest.raises(SolveError, match=message):
        decay.solver(**arguments)


@pytest.mark.parametrize("y0, params, ts, message", [
    ({}, {"kk": 1.0}, [0.0, 1.0], "no parameter named 'kk'"),
    ({"v": 1.0}, {}, [0.0, 1.0], "no state named 'v'"),
    ({}, {"k": None}, [0.0, 1.0], r"params\['k'\] must be a number"),
    ({}, {}, [0.0, 0.5, 0.25, 1.0], r"ts must be sorted"),
    ({}, {}, [0.0, NAN], r"ts\[1\] = nan is not finite"),
])
def test_solver_functions_check_names_and_times(decay, y0, params, ts, message):
    f = decay.solver()
    with pytest.raises(SolveError, match=message):
        f(y0, params, jnp.asarray(ts))


def test_resolved_values_rejects_unknown_names(decay):
    with pytest.raises(SolveError, match="no parameter named 'nonexistent'"):
        decay.resolved_values({"nonexistent": 3})
    with pytest.raises(SolveError, match="no state named 'w'"):
        decay.resolved_values(y0={"w": 3})
    assert decay.resolved_values({"k": 1.0})["u"] == pytest.approx(2.0)


def test_saveat_starts_at_the_files_t0(decay):
    """The initial values belong to the file's t0 = 0: ``saveat=[1, 2]`` integrates from 0
    and outputs only at 1 and 2 (u = exp(-t/2), u(0) = 1)."""
    sol = decay.solve(saveat=[1.0, 2.0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sol.t, [1.0, 2.0])
    np.testing.assert_allclose(sol["u"], np.exp(-0.5 * sol.t), rtol=1e-8)


def test_decreasing_saveat_integrates_backwards(decay):
    """Strictly decreasing output times with ``t`` from 2 back to 0: u(t) = u(2) e^{(2-t)/2}."""
    sol = decay.solve(t=(2.0, 0.0), saveat=[2.0, 1.5, 0.5], y0={"u": 1.0}, rtol=1e-10,
                      atol=1e-12)
    np.testing.assert_allclose(sol["u"], np.exp(0.5 * (2.0 - sol.t)), rtol=1e-8)


def test_empty_ensemble_batch_is_refused(decay):
    with pytest.raises(SolveError, match="ensemble batch is empty"):
        decay.ensemble(params={"k": []})
    with pytest.raises(SolveError, match=r"params\['k'\] must be a number or a 1-D array"):
        decay.ensemble(params={"k": np.ones((2, 2))})


@pytest.mark.parametrize("text, message", [
    (b"model m\nstate x = 1\nder(x) = -x\n", "must be a str, got bytes"),
    (None, "must be a str, got NoneType"),
    (3, "must be a str, got int"),
])
def test_parse_needs_text(text, message):
    with pytest.raises(ModelError, match=message):
        modelc.parse(text)


def test_star_import_and_model_class():
    """Every name in ``modelc.__all__`` resolves (``from modelc import *`` works), and
    ``modelc.Model`` is the class `load` and `parse` return."""
    namespace: dict = {}
    exec("from modelc import *", namespace)  # noqa: S102  (a fixed statement, no user text)
    assert set(modelc.__all__) <= set(namespace)
    from modelc.compiled import CompiledModel

    assert modelc.Model is CompiledModel


def test_max_steps_is_reported_not_exceeded(decay):
    with pytest.warns(RuntimeWarning):
        sol = decay.solve(t=(0, 4), points=3, max_steps=2, dt0=1e-3, rtol=1e-10)
    assert sol.status == modelc.Status.MAX_STEPS_REACHED and sol.stats["steps"] <= 2
    assert math.isnan(sol["u"][-1])


FIT_DATA = {"t": np.array([1.0, 2.0, 3.0]), "u": np.exp(-0.5 * np.array([1.0, 2.0, 3.0]))}


@pytest.mark.parametrize("changes, message", [
    (dict(bounds={"kk": (0, 1)}), r"bounds: 'kk' is not a parameter being fitted; did you mean 'k'"),
    (dict(initial={"kk": 1.0}), r"initial: 'kk' is not a parameter being fitted"),
    (dict(fixed={"sclae": 1.0}), r"no parameter named 'sclae'; did you mean 'scale'"),
    (dict(data={"t": np.array([]), "u": np.array([])}), "the data have no rows"),
    (dict(data={"t": np.array([-1.0, 1.0]), "u": np.ones(2)}),
     r"1 data row\(s\) lie before t0 = 0 \(the first at t = -1\)"),
    (dict(data={"t": np.array([1.0, 3.0, 2.0]), "u": np.ones(3)}), "must be sorted"),
    (dict(data={"t": np.array([1.0, 2.0]), "u": np.array([1.0, np.inf])}),
     r"infinite value at t = 2"),
    (dict(data={"t": np.array([1.0, np.nan]), "u": np.ones(2)}), r"\[1\] = nan is not finite"),
])
def test_fit_refuses_careless_input_before_solving(decay, changes, message):
    """Typos in bounds/initial/fixed, empty data, rows before t0, unsorted or
    non-finite times and infinite values (NaN stays 'missing')."""
    pytest.importorskip("scipy")
    arguments = dict(data=FIT_DATA, params=["k"]) | changes
    with pytest.raises(SolveError, match=message):
        modelc.fit(decay, **arguments)


def test_an_array_schedule_with_an_ode_method_is_refused(decay):
    with pytest.raises(SolveError, match="schedule= is for the diffusion samplers"):
        decay.solve(schedule=np.array([0.0, 1.0]))


def test_outputs_that_cannot_fit_in_memory_are_refused_before_allocating(decay):
    """10^12 output times: refused with the estimate in the message, before the time
    grid (8 TB) is built."""
    with pytest.raises(SolveError, match=r"points = 1000000000000 outputs of 2 values.*GB"):
        decay.solve(points=10**12)


def test_a_traced_nan_output_time_ends_within_the_step_budget():
    """Concrete NaN times are refused before solving; traced ones (under jit) cannot be
    checked there, and the loop's budget must still end the solve (it spun for ever)."""
    import jax
    import jax.numpy as jnp

    m = modelc.parse("state x = 1\nder(x) = -x\n")
    f = jax.jit(m.solver(method="tsit5", max_steps=10, full_output=True))
    ys, info = f({}, {}, jnp.array([0.0, jnp.nan]))
    assert int(info["status"]) != 0
    assert jnp.isnan(ys["x"][-1])
