"""Parameter fitting: recovery from synthetic data within the noise-implied uncertainty."""

from pathlib import Path

import numpy as np
import pytest

import modelc
from modelc.cli import main
from modelc.fitting import fit as fit_model
from modelc.cli.fit import parse_bounds

ROOT = Path(__file__).resolve().parent.parent.parent
DECAY = """
model decay
parameter k = 1.0
state u = 2.0
der(u) = -k*u
simulate t = [0, 3]
"""


@pytest.mark.slow
def test_decay_rate_recovered_from_noisy_data_within_three_standard_errors():
    m = modelc.parse(DECAY)
    t = np.linspace(0.2, 3.0, 30)
    rng = np.random.default_rng(1)
    data = {"t": t, "u": 2.0 * np.exp(-0.8 * t) + 0.01 * rng.normal(size=t.size)}
    data["u"][5] = np.nan  # missing values are skipped
    res = modelc.fit(m, data, ["k"], initial={"k": 0.3}, bounds={"k": (0.0, None)})
    assert res.success
    assert abs(res.params["k"] - 0.8) < 3 * res.stderr["k"]
    assert 0 < res.stderr["k"] < 0.01
    assert res.history[-1] <= res.history[0]


def test_cli_fit_prints_estimates_and_writes_outputs(tmp_path, capsys):
    model = tmp_path / "decay.model"
    model.write_text(DECAY)
    t = np.linspace(0.0, 3.0, 16)
    np.savetxt(tmp_path / "d.csv", np.column_stack([t, 2.0 * np.exp(-1.3 * t)]),
               delimiter=",", header="t,u", comments="")
    code = main(["fit", str(model), str(tmp_path / "d.csv"), "--params", "k",
                 "--bounds", "k=0:10", "--out", str(tmp_path / "fit.json"),
                 "--plot", str(tmp_path / "fit.png")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "k = 1.3" in out or "k = 1.29999" in out
    assert (tmp_path / "fit.png").stat().st_size > 0
    import json
    assert abs(json.loads((tmp_path / "fit.json").read_text())["params"]["k"] - 1.3) < 1e-6


def test_parse_bounds():
    assert parse_bounds("a=0:10, b=1e-3:") == {"a": (0.0, 10.0), "b": (1e-3, None)}
    with pytest.raises(ValueError, match="NAME=LOW:HIGH"):
        parse_bounds("a=3")


@pytest.mark.slow
def test_lotka_volterra_parameters_recovered_within_noise():
    m = modelc.load(ROOT / "examples" / "lotka_volterra.model")
    true = {"alpha": 1.5, "beta": 1.0, "delta": 1.0, "gamma": 3.0}
    t = np.linspace(0.5, 10, 40)
    sol = m.solve(saveat=t, t=(0, 10))
    rng = np.random.default_rng(0)
    data = {"t": t, "prey": sol["prey"] + 0.2 * rng.normal(size=t.size),
            "predator": sol["predator"] + 0.2 * rng.normal(size=t.size)}
    res = modelc.fit(m, data, list(true), initial={"alpha": 1.2, "beta": 0.8, "delta": 1.2,
                                                   "gamma": 2.5})
    for name, value in true.items():
        assert abs(res.params[name] - value) < 3 * res.stderr[name], (name, res.params)
    assert 0.5 * 0.04 < res.loss < 2 * 0.04  # the noise variance


@pytest.mark.slow
def test_michaelis_menten_rate_constants_recovered_from_simulated_data():
    m = modelc.load(ROOT / "examples" / "michaelis_menten.model")
    t = np.linspace(1, 40, 25)
    sol = m.solve(saveat=t, t=(0, 40))
    data = {"t": t, "S": sol["S"], "P": sol["P"], "ES": sol["ES"]}
    res = modelc.fit(m, data, ["kf", "kr", "kcat"], initial={"kf": 1.0, "kr": 2.0, "kcat": 1.0},
                     bounds={"kf": (0, None), "kr": (0, None), "kcat": (0, None)})
    np.testing.assert_allclose([res.params[k] for k in ("kf", "kr", "kcat")], [2, 1, 1.5],
                               rtol=1e-4)


def test_data_reader_keeps_missing_cells_and_refuses_text(tmp_path):
    from modelc.errors import SolveError
    from modelc.fitting import read_data

    good = tmp_path / "good.csv"
    good.write_text("t,x,y\n0,1,\n1,0.5,2\n")
    data = read_data(good)
    np.testing.assert_array_equal(data["t"], [0.0, 1.0])
    assert np.isnan(data["y"][0]) and data["y"][1] == 2.0
    bad = tmp_path / "bad.csv"
    bad.write_text("t,x\n0,1\n1,oops\n")
    with pytest.raises(SolveError, match=r"bad\.csv:3:2: 'oops' in column 'x'"):
        read_data(bad)


ARRAY_MODEL = """
model array_decay
parameter k = 0.5, a = 0.3
external f(x, t)
state x: array, y = 1
der(x) = -k*x + a*f(x, t)
der(y) = -k*y
"""


@pytest.mark.slow
def test_array_model_parameters_recovered_from_array_state_data():
    """Data for an array state (shape (times, 3, 2)) of a model with an external:
    k and a are recovered from exact synthetic data; a = 0 is the decay x0 exp(-k t)."""
    import jax.numpy as jnp
    m = modelc.parse(ARRAY_MODEL)
    x0 = np.linspace(-1.0, 1.0, 6).reshape(3, 2)
    t = np.linspace(0.25, 2.0, 8)
    ext = {"f": lambda x, t: jnp.sin(x)}
    exact = x0[None] * np.exp(-1.3 * t)[:, None, None]
    res = fit_model(m, {"t": t, "x": exact}, ["k"], fixed={"a": 0.0}, y0={"x": x0},
                     externals=ext, t0=0.0)
    assert res.success and abs(res.params["k"] - 1.3) < 1e-6
    synth = m.solve(params={"k": 1.3, "a": 0.8}, y0={"x": x0}, saveat=np.concatenate([[0], t]),
                    rtol=1e-11, atol=1e-12, externals=ext)
    data = {"t": t, "x": synth["x"][1:].copy(), "y": synth["y"][1:]}
    data["x"][2, 1, 0] = np.nan  # missing entries are skipped
    res = fit_model(m, data, ["k", "a"], y0={"x": x0}, externals=ext, t0=0.0)
    assert res.success
    assert abs(res.params["k"] - 1.3) < 1e-6 and abs(res.params["a"] - 0.8) < 1e-6
    assert res.solution.fields["x"].shape[1:] == (3, 2)


def test_array_state_data_needs_one_array_per_time():
    import jax.numpy as jnp
    m = modelc.parse(ARRAY_MODEL)
    x0 = np.ones((3, 2))
    with pytest.raises(modelc.SolveError, match="one value .* per time"):
        fit_model(m, {"t": np.linspace(0, 1, 4), "x": x0}, ["k"], y0={"x": x0},
                   externals={"f": lambda x, t: jnp.sin(x)})


def test_modelc_fit_stays_the_function_after_the_cli_is_imported():
    """Importing the CLI (which loads the fitting module) must not turn `modelc.fit`
    into a module."""
    import modelc.cli.fit  # noqa: F401

    assert callable(modelc.fit) and modelc.fit is fit_model
