"""Episode distributions from models, and the ``modelc rl`` commands."""

import numpy as np
import pytest

import modelc
from modelc.cli import main
from modelc.rl import from_model, save
from modelc.rl.problems import THREE_BODY_MASSES, three_body_positions


def test_three_body_sampler_puts_masses_at_rest_in_the_unit_square(examples_dir):
    m = modelc.load(examples_dir / "three_body.model")
    eps = from_model(m, 2.0, sampler=three_body_positions, invariant="energy",
                     params=THREE_BODY_MASSES)
    y0, args = eps.sample(np.random.default_rng(0), 5)
    names = m.state_names
    pos = [names.index(k) for k in ("x1", "y1", "x2", "y2", "x3", "y3")]
    vel = [i for i in range(len(names)) if i not in pos]
    assert y0.shape == (5, 12) and args.shape == (5, len(m.param_names))
    assert np.all((y0[:, pos] >= 0) & (y0[:, pos] <= 1)) and np.all(y0[:, vel] == 0)
    masses = args[:, [m.param_names.index(k) for k in ("m1", "m2", "m3")]]
    assert np.all(masses == 1.0)
    assert float(eps.error(y0[0], y0[0], args[0])) == 0.0  # no drift without motion


def test_ranges_name_unknown_states(examples_dir):
    m = modelc.load(examples_dir / "vanderpol.model")
    eps = from_model(m, 1.0, ranges={"mu": (1, 2), "speed": (0, 1)})
    with pytest.raises(ValueError, match="speed"):
        eps.sample(np.random.default_rng(0), 2)
    with pytest.raises(ValueError, match="exactly one"):
        from_model(m, 1.0)


def test_rl_info_prints_the_metadata(tmp_path, random_params, capsys):
    path = save(tmp_path / "p.npz", random_params, {"problem": "oscillator"})
    assert main(["rl", "info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "problem: oscillator" in out and "weights" in out


def test_rl_train_without_a_distribution_is_an_error(tmp_path, examples_dir, capsys):
    code = main(["rl", "train", str(examples_dir / "vanderpol.model"), "--t1", "1",
                 "--out", str(tmp_path)])
    assert code == 1
    assert "--range" in capsys.readouterr().err
