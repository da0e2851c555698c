"""`modelc simulate --plot` with --vars, --logy, grouping by scale, field observables,
and `--sweep` (issue 19 item 10). The figures are inspected through their axes and
lines (Agg backend), not their pixels."""

from __future__ import annotations

import numpy as np
import pytest

from modelc.cli import main

pytest.importorskip("matplotlib")


@pytest.fixture
def figures(monkeypatch):
    """Every figure saved during the test (its axes stay inspectable after close)."""
    from matplotlib.figure import Figure

    saved = []
    original = Figure.savefig

    def record(self, *args, **kwargs):
        saved.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", record)
    return saved


def _lines(ax) -> dict:
    return {line.get_label(): np.asarray(line.get_ydata()) for line in ax.get_lines()}


def test_grouping_by_scale_separates_a_tiny_species(examples_dir, tmp_path, figures):
    """Robertson: A and C near 1 share a subplot, B (below 4e-5) gets its own."""
    png = tmp_path / "r.png"
    assert main(["simulate", str(examples_dir / "robertson.model"), "--points", "21",
                 "--plot", str(png)]) == 0
    (fig,) = figures
    groups = [sorted(_lines(ax)) for ax in fig.axes]
    assert groups == [["A", "C"], ["B"]]
    b = _lines(fig.axes[1])["B"]
    assert 0 < np.max(b) < 1e-4
    # --vars and --logy: only B, on a log axis
    assert main(["simulate", str(examples_dir / "robertson.model"), "--points", "21",
                 "--plot", str(png), "--vars", "B", "--logy"]) == 0
    (ax,) = figures[1].axes
    assert list(_lines(ax)) == ["B"] and ax.get_yscale() == "log"


def test_unknown_var_is_refused_with_a_suggestion(examples_dir, tmp_path, capsys):
    assert main(["simulate", str(examples_dir / "robertson.model"), "--plot",
                 str(tmp_path / "r.png"), "--vars", "Bb"]) != 0
    err = capsys.readouterr().err
    assert "did you mean 'B'" in err and "Traceback" not in err


def test_field_model_plots_its_observables(examples_dir, tmp_path, figures):
    """heat_1d: the space-time image of u, then its observable `heat` against time."""
    png = tmp_path / "h.png"
    assert main(["simulate", str(examples_dir / "heat_1d.model"), "--plot", str(png)]) == 0
    (fig,) = figures
    curves = [_lines(ax) for ax in fig.axes if ax.get_lines()]
    assert [list(c) for c in curves] == [["heat"]]
    heat = curves[0]["heat"]
    # integral of exp(-pi^2 t) sin(pi x) over [0, 1] = 2/pi exp(-pi^2 t), t in [0, 0.1]
    t = np.linspace(0, 0.1, len(heat))
    np.testing.assert_allclose(heat, 2 / np.pi * np.exp(-np.pi ** 2 * t), rtol=2e-3)


def test_sweep_writes_one_npz_one_csv_and_a_family_plot(examples_dir, tmp_path, figures):
    """Exponential decay k: the swept curves are exp(-k t) for each value of k."""
    model = tmp_path / "decay.model"
    model.write_text("model decay\nparameter k = 1\nstate x = 1\nder(x) = -k*x\n"
                     "simulate t = [0, 2], points = 11\n")
    npz, csv, png = tmp_path / "s.npz", tmp_path / "s.csv", tmp_path / "s.png"
    assert main(["simulate", str(model), "--sweep", "k=0.5:2:4", "--out", str(npz),
                 "--plot", str(png)]) == 0
    data = np.load(npz)
    k = np.array([0.5, 1.0, 1.5, 2.0])
    np.testing.assert_allclose(data["sweep"], k)
    np.testing.assert_allclose(data["x"], np.exp(-np.outer(k, data["t"])), rtol=1e-5)
    (fig,) = figures
    lines = fig.axes[0].get_lines()
    assert len(lines) == 4 and fig.axes[0].get_ylabel() == "x"
    # no "1e-12 + 1" offset ticks on a near-constant series (a walkthrough rough edge)
    assert fig.axes[0].yaxis.get_major_formatter().get_useOffset() is False
    np.testing.assert_allclose(lines[-1].get_ydata(), np.exp(-2.0 * data["t"]), rtol=1e-5)
    assert main(["simulate", str(model), "--sweep", "k=0.5:2:4", "--out", str(csv)]) == 0
    table = np.genfromtxt(csv, delimiter=",", names=True)
    assert table.dtype.names == ("member", "k", "t", "x") and len(table) == 4 * 11
    np.testing.assert_allclose(table["x"], np.exp(-table["k"] * table["t"]), rtol=1e-5)


@pytest.mark.parametrize("spec", ["k=1:2", "k=a:b:3", "k=1:2:1", "=1:2:3"])
def test_bad_sweep_is_a_usage_error(tmp_path, capsys, spec):
    model = tmp_path / "decay.model"
    model.write_text("model decay\nparameter k = 1\nstate x = 1\nder(x) = -k*x\n")
    assert main(["simulate", str(model), "--sweep", spec]) != 0
    err = capsys.readouterr().err
    assert "--sweep" in err and "Traceback" not in err


def test_sweep_of_an_unknown_name_is_refused(tmp_path, capsys):
    model = tmp_path / "decay.model"
    model.write_text("model decay\nparameter k = 1\nstate x = 1\nder(x) = -k*x\n")
    assert main(["simulate", str(model), "--sweep", "kk=1:2:3"]) != 0
    err = capsys.readouterr().err
    assert "not a parameter or state" in err and "Traceback" not in err


def test_show_prints_the_linear_part_in_the_model_language(tmp_path, capsys):
    """A rough edge of the walkthrough: `show` printed `(D)*d^(2,) + (r)*d^(0,)`."""
    model = tmp_path / "fisher.model"
    model.write_text("parameter D = 1, r = 1\ndomain x = [0, 60], points = 31\nfield u = exp(-x^2)\n"
                     "boundary diff(u, x) = 0 at x = 0\nboundary diff(u, x) = 0 at x = 60\n"
                     "der(u) = D*diff(u, x, 2) + r*u*(1 - u)\n")
    assert main(["show", str(model)]) == 0
    out = capsys.readouterr().out
    assert "u: D*diff(u, x, 2) + r*u" in out and "d^(" not in out


def test_sweep_of_a_field_model_writes_the_fields_on_their_grid(examples_dir, tmp_path):
    """heat_1d swept over D: the NPZ holds the grid like a single run's NPZ, and u with a
    member axis: exp(-pi^2 D t) sin(pi x) at each D (second-order differences: 1e-3)."""
    npz = tmp_path / "s.npz"
    assert main(["simulate", str(examples_dir / "heat_1d.model"), "--sweep", "D=0.5:1:2",
                 "--out", str(npz)]) == 0
    data = np.load(npz)
    x, t = data["grid_x"], data["t"]
    assert x.shape == (41,) and data["u"].shape == (2, len(t), 41)
    np.testing.assert_allclose(x, np.linspace(0, 1, 41))
    for i, d in enumerate([0.5, 1.0]):
        exact = np.exp(-np.pi ** 2 * d * t)[:, None] * np.sin(np.pi * x)[None, :]
        np.testing.assert_allclose(data["u"][i], exact, atol=2e-3)
        np.testing.assert_allclose(data["heat"][i], 2 / np.pi * np.exp(-np.pi ** 2 * d * t), rtol=2e-3)
