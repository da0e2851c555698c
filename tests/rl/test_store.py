"""Policy files: save/load round trip, metadata, errors, and use from models."""

import json

import numpy as np
import pytest

import modelc
from modelc.errors import SolveError
from modelc.rl import PolicyController, as_controller, load, load_params, save
from modelc.rl import policy as pol
from modelc.solvers import PIController


def test_save_load_round_trip(tmp_path, random_params):
    path = save(tmp_path / "p.npz", random_params, {"problem": "osc", "method": "tsit5"})
    params, meta = load_params(path)
    assert set(params) == set(random_params)
    for k in params:
        np.testing.assert_array_equal(params[k], random_params[k])
    assert meta["problem"] == "osc" and meta["method"] == "tsit5"
    assert tuple(meta["features"]) == pol.FEATURES
    assert load(path) == PolicyController.from_params(random_params, {
        k: v for k, v in meta.items() if k not in ("features", "actions")})


def test_a_file_with_other_features_is_refused(tmp_path, random_params):
    path = save(tmp_path / "p.npz", random_params, {"features": ["something_else"]})
    with pytest.raises(ValueError, match="other features"):
        load(path)


def test_a_file_of_another_version_is_refused(tmp_path, random_params):
    path = save(tmp_path / "p.npz", random_params, {"format_version": 99})
    with pytest.raises(ValueError, match="version"):
        load(path)


def test_as_controller_resolves_names_paths_and_instances(tmp_path, random_params):
    path = save(tmp_path / "p.policy", random_params)
    assert as_controller(None) is None
    assert as_controller("pi") == PIController()
    assert isinstance(as_controller("rl"), PolicyController)
    assert isinstance(as_controller(str(path)), PolicyController)
    assert as_controller(PIController(safety=0.8)) == PIController(safety=0.8)
    with pytest.raises(ValueError, match="policy file"):
        as_controller(tmp_path / "missing.npz")


def test_shipped_policy_has_metadata():
    from modelc.rl import default_policy

    info = default_policy().info
    assert info["method"] == "tsit5"
    assert "three_body" in info["problem"]
    json.loads(info["rtol_range"].replace("'", '"'))


def test_model_solve_with_rl_and_a_policy_file(tmp_path, random_params, examples_dir):
    m = modelc.load(examples_dir / "vanderpol.model")
    path = save(tmp_path / "p.npz", random_params)
    ref = m.solve(t=(0, 5), rtol=1e-9, atol=1e-9, points=6)
    for ctrl in ("rl", str(path)):
        sol = m.solve(t=(0, 5), rtol=1e-7, atol=1e-7, points=6, controller=ctrl)
        assert sol.ok
        np.testing.assert_allclose(sol.y, ref.y, atol=1e-4)
    with pytest.raises(SolveError, match="controller"):
        m.solve(t=(0, 5), controller="nonsense")
