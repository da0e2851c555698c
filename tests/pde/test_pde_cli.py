"""The command line with a field model: check, show and simulate --plot."""

from __future__ import annotations

import pytest

from modelc.cli import main


def test_check_and_show_a_field_model(examples_dir, capsys):
    assert main(["check", str(examples_dir / "keller_segel.model")]) == 0
    assert main(["show", str(examples_dir / "kuramoto_sivashinsky.model")]) == 0


@pytest.mark.slow
def test_simulate_a_field_model_writes_a_space_time_plot(examples_dir, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "heat.png"
    npz = tmp_path / "heat.npz"
    assert main(["simulate", str(examples_dir / "heat_1d.model"), "--plot", str(out), "-o", str(npz),
                 "--no-cache"]) == 0
    assert out.stat().st_size > 0 and npz.stat().st_size > 0
