"""The collector's thresholds during a compilation (modelc.gcpause)."""

import gc

import pytest

from modelc.gcpause import COMPILE_THRESHOLDS, relaxed_collection


@pytest.fixture
def thresholds():
    saved = gc.get_threshold()
    yield
    gc.set_threshold(*saved)


def test_raised_inside_restored_after_even_on_error(thresholds):
    gc.set_threshold(700, 10, 10)
    seen = []

    @relaxed_collection
    def inner():
        seen.append(gc.get_threshold())

    @relaxed_collection
    def outer():
        inner()
        seen.append(gc.get_threshold())
        raise ValueError("boom")

    with pytest.raises(ValueError):
        outer()
    assert seen == [COMPILE_THRESHOLDS, COMPILE_THRESHOLDS]
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.isenabled()


def test_user_settings_kept_when_higher_or_off(thresholds):
    probe = relaxed_collection(gc.get_threshold)
    gc.set_threshold(500_000, 5, 500)
    assert probe() == (500_000, 50, 500)
    gc.set_threshold(0)   # automatic collection off: stays off
    assert probe()[0] == 0


def test_compile_source_runs_relaxed(thresholds, monkeypatch):
    from modelc import api, codegen

    gc.set_threshold(700, 10, 10)
    seen = []
    real = codegen.generate_module

    def spy(*args, **kwargs):
        seen.append(gc.get_threshold())
        return real(*args, **kwargs)

    monkeypatch.setattr(codegen, "generate_module", spy)
    api.compile_source("state x = 1\nder(x) = -x\n")
    assert seen == [COMPILE_THRESHOLDS]
    assert gc.get_threshold() == (700, 10, 10)
