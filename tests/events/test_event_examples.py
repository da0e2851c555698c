"""The event examples through the CLI (`modelc simulate ... --plot`), as a user runs them."""

from __future__ import annotations

import numpy as np
import pytest

from modelc.cli import main


@pytest.mark.slow  # compiles the example (the dosing example is solved in the default suite)
def test_simulate_the_bouncing_ball_example_with_a_plot(examples_dir, tmp_path, capsys):
    csv, png = tmp_path / "ball.csv", tmp_path / "ball.png"
    assert main(["simulate", str(examples_dir / "bouncing_ball.model"), "--out", str(csv),
                 "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "a stop event ended the solve" in out and png.stat().st_size > 0
    table = np.loadtxt(csv, delimiter=",", skiprows=1)
    t, h = table[:, 0], table[:, 1]
    # impacts accumulate at t0 + 2 v0 e / (g (1 - e)); the stop comes before it, when the
    # rebound speed e^k v0 first falls below vmin = 0.05
    v0, e, g = np.sqrt(2 * 9.81), 0.8, 9.81
    k = int(np.ceil(np.log(0.05 / v0) / np.log(e)))
    t_stop = np.sqrt(2 / g) + 2 * v0 * np.sum(e ** np.arange(1, k)) / g
    assert t[-1] == pytest.approx(t_stop, abs=1e-7) and np.all(np.isfinite(h))
    assert np.all(h > -1e-9)
