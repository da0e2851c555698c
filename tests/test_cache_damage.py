"""A damaged cache entry is detected, compiled again and warned about; the cached
module of one file never names another (issue 20, items 9 and 14)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import modelc
from modelc import cache

TEXT = "parameter k = 0.5\nstate u = 1\nder(u) = -k*u\nsimulate t = [0, 1]\n"


@pytest.fixture
def cache_folder(tmp_path, monkeypatch):
    """An empty cache folder for one test."""
    monkeypatch.setenv("MODELC_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _entry(path) -> object:
    key = cache.module_key(path.read_text(), options="", file=str(path))
    return cache._module_path(key)


@pytest.mark.parametrize("damage", [
    lambda data: data[: len(data) // 2],       # truncated
    lambda data: b"",                          # emptied
    lambda data: b"\x00\xff garbage ((( \n",   # overwritten
    lambda data: data.replace(b"-k", b"+k"),   # edited: valid Python, wrong model
])
def test_damaged_entry_is_compiled_again_with_a_warning(tmp_path, cache_folder, damage):
    path = tmp_path / "decay.model"
    path.write_text(TEXT)
    modelc.load(path)
    entry = _entry(path)
    assert entry.exists() and entry.with_suffix(".sha256").exists()
    entry.write_bytes(damage(entry.read_bytes()))
    with pytest.warns(RuntimeWarning, match="damaged"):
        m = modelc.load(path)
    assert m.name == "decay"
    sol = m.solve(points=3)
    np.testing.assert_allclose(sol["u"], np.exp(-0.5 * sol.t), rtol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        modelc.load(path)                          # repaired: no warning


def test_same_text_in_two_files_keeps_each_files_name(tmp_path, cache_folder):
    for name in ("alpha", "beta"):
        (tmp_path / f"{name}.model").write_text(TEXT)
    assert modelc.load(tmp_path / "alpha.model").name == "alpha"
    assert modelc.load(tmp_path / "beta.model").name == "beta"
    assert modelc.load(tmp_path / "alpha.model").name == "alpha"
