"""The `modelc` command: exit codes, messages, outputs."""

from __future__ import annotations

import re

import numpy as np
import pytest

from modelc.cli import main


def test_check_valid(examples_dir, capsys):
    assert main(["check", str(examples_dir / "lorenz.model")]) == 0
    assert "ok (3 states, 3 parameters" in capsys.readouterr().out


def test_check_reports_errors_without_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.model"
    bad.write_text("model bad\nstate x = 1\nder(x) = -y\n")
    assert main(["check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:3:11" in err
    assert "Traceback" not in err


def test_missing_file_is_an_error_not_a_traceback(capsys):
    assert main(["check", "no/such/file.model"]) == 1
    assert "Traceback" not in capsys.readouterr().err


def test_show(examples_dir, capsys):
    assert main(["show", str(examples_dir / "pendulum.model")]) == 0
    out = capsys.readouterr().out
    assert "dtheta/dt = omega" in out
    assert "energy" in out


def test_compile_writes_importable_module(examples_dir, tmp_path, capsys):
    out = tmp_path / "lorenz_gen.py"
    assert main(["compile", str(examples_dir / "lorenz.model"), "-o", str(out)]) == 0
    text = out.read_text()
    assert "def rhs(t, state, parameter):" in text


def test_simulate_writes_csv_npz_and_plot(examples_dir, tmp_path, capsys):
    csv, npz, png = tmp_path / "v.csv", tmp_path / "v.npz", tmp_path / "v.png"
    model = str(examples_dir / "vanderpol.model")
    assert main(["simulate", model, "--t", "0", "5", "--points", "51", "--out", str(csv),
                 "--plot", str(png)]) == 0
    data = np.genfromtxt(csv, delimiter=",", names=True)
    assert data.dtype.names == ("t", "x", "v") and len(data) == 51
    assert png.stat().st_size > 1000
    assert main(["simulate", model, "--t", "0", "5", "--points", "51", "--out", str(npz),
                 "-p", "mu=2", "--y0", "x=1"]) == 0
    arrays = np.load(npz)
    assert arrays["x"][0] == 1.0


@pytest.mark.parametrize("method", ["rodas5", "auto"])
def test_simulate_progress_changes_no_number(examples_dir, tmp_path, capsys, method):
    """--progress draws from inside the one solve: the same steps, Jacobians, auto choice
    and values as without it (issue 19, item 7: it used to restart the solve in chunks)."""
    model = str(examples_dir / "vanderpol.model")
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    args = ["simulate", model, "--t", "0", "10", "--points", "101", "--rtol", "1e-8",
            "--atol", "1e-10", "--method", method, "--no-cache"]
    assert main(args + ["--out", str(a), "--no-progress"]) == 0
    quiet = capsys.readouterr()
    assert main(args + ["--out", str(b), "--progress"]) == 0
    shown = capsys.readouterr()
    assert "1000/1000" in shown.err
    # method (and auto's reason), steps, accepted/rejected, rhs evaluations, Jacobians
    summary = [re.sub(r", [0-9.]+ s$", "", out.strip().splitlines()[0]) for out in (quiet.out, shown.out)]
    assert summary[0] == summary[1] and "steps" in summary[0]
    np.testing.assert_array_equal(np.loadtxt(a, delimiter=",", skiprows=1),
                                  np.loadtxt(b, delimiter=",", skiprows=1))


def test_simulate_bad_param_is_clear(examples_dir, capsys):
    assert main(["simulate", str(examples_dir / "lorenz.model"), "-p", "rh=1"]) == 1
    assert "did you mean 'rho'" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["check", "show", "compile", "simulate"])
def test_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: modelc" in capsys.readouterr().out


def test_show_simplify_prints_before_after_and_totals(tmp_path, capsys):
    model = tmp_path / "factor.model"
    model.write_text("model factor\nparameter k1 = 2\nstate x = 1\nstate y = 1\nstate z = 1\n"
                     "der(x) = k1*x*y + k1*x*z + k1*x\nder(y) = 0\nder(z) = 0\n", encoding="utf-8")
    assert main(["show", str(model), "--simplify"]) == 0
    out = capsys.readouterr().out
    assert "der(x):" in out and "before" in out and "after" in out
    assert "total after CSE: cost" in out
    assert main(["show", str(model), "--simplify", "--latex"]) == 0
    assert "k_{1}" in capsys.readouterr().out


def test_show_no_simplify_skips_the_pass(examples_dir, capsys):
    assert main(["show", str(examples_dir / "lotka_volterra.model"), "--simplify",
                 "--no-simplify"]) == 0
    assert "simplification" not in capsys.readouterr().out


def test_simulate_phi_reaches_the_split_methods(examples_dir, tmp_path, monkeypatch, capsys):
    """--phi dense and --phi krylov both solve the fd heat equation with etd1 (exact in
    time: u = expm(t L) u0) to the same values, and the option reaches `split_with`;
    an unknown choice is a usage error (exit 2)."""
    from modelc.compiled import CompiledModel

    seen = []
    split_with = CompiledModel.split_with
    monkeypatch.setattr(CompiledModel, "split_with",
                        lambda self, phi="auto": seen.append(phi) or split_with(self, phi))
    model = str(examples_dir / "heat_1d.model")
    fields = {}
    for phi in ("dense", "krylov"):
        out = tmp_path / f"{phi}.npz"
        assert main(["simulate", model, "--t", "0", "0.1", "--method", "etd1", "--dt", "0.02",
                     "--points", "2", "--phi", phi, "--out", str(out)]) == 0
        fields[phi] = np.load(out)["u"][-1]
    assert [phi for phi in seen if phi != "auto"] == ["dense", "krylov"]
    np.testing.assert_allclose(fields["krylov"], fields["dense"], atol=1e-10)
    with pytest.raises(SystemExit) as exit_:
        main(["simulate", model, "--phi", "pade"])
    assert exit_.value.code == 2


ARRAY_MODEL = """
model forced_decay
parameter k = 2.0, a = 3.0
external f(x, t)
state x: array
der(x) = -k*x + a*f(x, t)
"""

FORCING = """
import jax.numpy as jnp


def one(x, t):
    return jnp.ones_like(x)
"""


def _array_model_files(tmp_path):
    model, forcing, x0 = tmp_path / "forced.model", tmp_path / "forcing.py", tmp_path / "x0.npy"
    model.write_text(ARRAY_MODEL)
    forcing.write_text(FORCING)
    np.save(x0, np.array([[0.0, 1.0], [2.0, -1.0], [0.5, 4.0]]))
    return str(model), f"f={forcing}:one", f"x=@{x0}"


def test_simulate_binds_an_external_from_a_file_and_an_array_y0(tmp_path, capsys):
    """``x' = -k x + a f`` with ``f = 1`` from a .py file and ``x0`` from a .npy file:
    ``x(t) = a/k + (x0 - a/k) e^{-k t}`` in the .npz, in the CSV's ``x[i][j]`` columns
    and in the plot."""
    model, external, y0 = _array_model_files(tmp_path)
    npz, csv, png = tmp_path / "x.npz", tmp_path / "x.csv", tmp_path / "x.png"
    args = ["simulate", model, "--external", external, "--y0", y0, "--t", "0", "1",
            "--points", "5", "--rtol", "1e-10", "--atol", "1e-12"]
    assert main(args + ["--out", str(npz), "--plot", str(png)]) == 0, capsys.readouterr().err
    x0 = np.load(y0[3:])
    t = np.load(npz)["t"]
    exact = 1.5 + (x0[None] - 1.5) * np.exp(-2.0 * t)[:, None, None]
    np.testing.assert_allclose(np.load(npz)["x"], exact, rtol=1e-8, atol=1e-10)
    assert png.stat().st_size > 1000
    assert main(args + ["--out", str(csv)]) == 0
    table = np.genfromtxt(csv, delimiter=",", names=True, deletechars="")
    assert table.dtype.names[:3] == ("t", "x[0][0]", "x[0][1]")
    np.testing.assert_allclose(table["x[2][1]"], exact[:, 2, 1], rtol=1e-8)


@pytest.mark.parametrize("spec, message", [
    ("f=no_such_module_here:one", "cannot import 'no_such_module_here'"),
    ("f=os:sep", "'sep' is not callable"),
    ("f:one", "expects NAME=MODULE:FUNCTION"),
    ("f=os:no_such_attribute", "has no attribute 'no_such_attribute'"),
])
def test_bad_external_is_a_clear_error(tmp_path, capsys, spec, message):
    model, _, y0 = _array_model_files(tmp_path)
    assert main(["simulate", model, "--external", spec, "--y0", y0]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.slow
def test_fit_binds_externals_and_reads_npz_data(tmp_path, capsys):
    """``modelc fit`` on the array model: data from the exact solution with k = 2
    (a = 3) in a .npz; the estimate recovers k."""
    model, external, y0 = _array_model_files(tmp_path)
    t = np.linspace(0.0, 1.0, 6)
    x0 = np.load(y0[3:])
    np.savez(tmp_path / "d.npz", t=t, x=1.5 + (x0[None] - 1.5) * np.exp(-2.0 * t)[:, None, None])
    code = main(["fit", model, str(tmp_path / "d.npz"), "--params", "k", "--initial", "k=1",
                 "--external", external, "--y0", y0, "--bounds", "k=0:10"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "k = 2" in out or "k = 1.99999" in out


def test_simulate_prints_the_events_that_fired(examples_dir, capsys):
    """The bouncing ball: the first ten events with their times, then how many more.
    Bounce k (k >= 1) is at t1 (1 + 2 e + ... + 2 e^(k-1)), t1 = sqrt(2 h0 / g)."""
    assert main(["simulate", str(examples_dir / "bouncing_ball.model")]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("events:"))
    count = int(re.match(r"events: (\d+) fired: ", line).group(1))
    times = [float(x) for x in re.findall(r"bounce at t = ([0-9.e+-]+)", line)]
    assert len(times) == 10 and line.endswith(f"... ({count - 10} more)")
    t1, e = (2 / 9.81) ** 0.5, 0.8
    exact = [t1 * (1 + 2 * sum(e ** j for j in range(1, k))) for k in range(1, 11)]
    np.testing.assert_allclose(times, exact, rtol=1e-5)


def test_events_line_for_few_and_no_events():
    from modelc.cli.simulate import events_line

    assert events_line(()) == "events: none fired"
    assert events_line(((0.5, "dose"), (1.5, "dose"))) == "events: 2 fired: dose at t = 0.5, dose at t = 1.5"
