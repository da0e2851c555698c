"""Differential tests: every example and a sample of SBML suite cases compile to the same
right-hand side and the same solution with and without e-graph simplification."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest

import modelc

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.model"))
SUITE = Path(os.environ.get("MODELC_SBML_SUITE")
             or Path(__file__).resolve().parents[3] / "shared" / "sbml-test-suite" / "cases")
SBML_SAMPLE = ["00024", "00056", "00112", "00238", "00290", "00522", "00740", "00950",
               "01220", "01338"]


def _pair(text: str):
    return (modelc.parse(text, cache_modules=False, simplify=False),
            modelc.parse(text, cache_modules=False, simplify=True))


def _assert_same_rhs(plain, simplified, seed=0):
    rng = np.random.default_rng(seed)
    p = plain.module.parameter_vector({})
    y0 = np.asarray(plain.module.initial_state(p, {}))
    past = ()  # a model with delay(...): its rhs reads a history (here constant: the initial values)
    if hasattr(plain.module, "DELAY_COLUMNS"):
        past = (lambda q: jnp.asarray(y0)[jnp.asarray(plain.module.DELAY_COLUMNS, int)],)
    for _ in range(5):
        y = jnp.asarray(np.abs(y0) * rng.uniform(0.5, 1.5, y0.shape) + rng.uniform(0.1, 1, y0.shape))
        t = float(rng.uniform(0, 1))
        want = np.asarray(plain.module.rhs(t, y, p, *past))
        tol = {"rtol": 1e-10, "atol": 1e-12 * (1 + np.abs(want).max(initial=0))}
        np.testing.assert_allclose(np.asarray(simplified.module.rhs(t, y, p, *past)), want, **tol)
        # the hoisted constants appended, as a solve passes them (field modules hoist nothing)
        extended = getattr(simplified.module, "with_constants", lambda q: q)(p)
        np.testing.assert_allclose(np.asarray(simplified.module.rhs(t, y, extended, *past)), want, **tol)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_rhs_unchanged(path):
    plain, simplified = _pair(path.read_text(encoding="utf-8"))
    assert simplified.cost_report()["cost_after"] <= plain.cost_report()["cost_before"]
    if plain.is_array_model:  # externals: not simplified (no values to compare without y0)
        assert [str(e) for e in simplified.simplified] == [str(e) for e in plain.simplified]
        return
    _assert_same_rhs(plain, simplified)


@pytest.mark.parametrize("name", ["lotka_volterra", "michaelis_menten"])
def test_example_solution_unchanged(name):
    plain, simplified = _pair((EXAMPLES[0].parent / f"{name}.model").read_text(encoding="utf-8"))
    a = plain.solve(rtol=1e-9, atol=1e-12, points=21)
    b = simplified.solve(rtol=1e-9, atol=1e-12, points=21)
    np.testing.assert_allclose(b.y, a.y, rtol=1e-6, atol=1e-9)


def test_load_simplify_false_compiles_as_written(examples_dir):
    m = modelc.load(examples_dir / "lotka_volterra.model", simplify=False)
    assert m.cost_report()["stopped"] == "off"
    assert m.simplified == m.equations


def test_cost_report_fields(examples_dir):
    report = modelc.load(examples_dir / "lotka_volterra.model").cost_report()
    assert {"cost_before", "cost_after", "ops_before", "ops_after", "seconds"} <= set(report)
    assert report["ops_after"] <= report["ops_before"]


def test_assume_positive_must_name_a_parameter_or_state(examples_dir):
    with pytest.raises(ValueError, match="nope"):
        modelc.load(examples_dir / "lotka_volterra.model", assume_positive=["nope"])


def _sbml_text(case: str) -> str:
    pytest.importorskip("libsbml")
    from modelc.io.sbml import translate_sbml
    from modelc.io.sbml_cases import sbml_file

    return translate_sbml(sbml_file(SUITE / case)).text


def _assert_same_solution(text: str):
    from modelc.io.sbml_cases import SOLVER_OPTIONS

    plain, simplified = _pair(text)
    if not plain.state_names:
        return False
    _assert_same_rhs(plain, simplified)
    options = {**SOLVER_OPTIONS, "rtol": 1e-8, "atol": 1e-12}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        a = plain.solve(t=(0.0, 5.0), points=11, **options)
        b = simplified.solve(t=(0.0, 5.0), points=11, **options)
    scale = np.abs(a.y).max(axis=0, initial=0) + 1e-10
    assert np.all(np.abs(b.y - a.y) <= 1e-5 * scale + 1e-9), (a.y, b.y)
    return True


needs_suite = pytest.mark.skipif(not SUITE.is_dir(), reason=f"no SBML test suite at {SUITE}")


@needs_suite
@pytest.mark.parametrize("case", SBML_SAMPLE)
def test_sbml_case_rhs_unchanged(case):
    plain, simplified = _pair(_sbml_text(case))
    if plain.state_names:
        _assert_same_rhs(plain, simplified)


@needs_suite
@pytest.mark.slow
def test_whole_sbml_suite_same_solution(capsys):
    """Every case the importer reads: same rhs at random states and same solution to the
    solver's tolerance with and without simplification (a summary is printed; run with -s)."""
    from modelc.errors import ModelError

    cases = sorted(p.name for p in SUITE.iterdir() if p.is_dir() and p.name.isdigit())
    failures, refused, stateless, compared = [], {}, [], []
    for case in cases:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                text = _sbml_text(case)
        except (ModelError, FileNotFoundError) as err:
            refused[case] = str(err).splitlines()[0][:120]
            continue   # the importer refuses it: nothing to compare
        try:
            if _assert_same_solution(text):
                compared.append(case)
            else:
                stateless.append(case)
        except AssertionError as err:
            failures.append(f"{case}: {str(err)[:200]}")
    with capsys.disabled():
        print(f"\nSBML suite, simplified vs as written: {len(compared)} same solution, "
              f"{len(stateless)} without states (nothing to integrate), {len(failures)} differ, "
              f"{len(refused)} refused by the importer: "
              + "; ".join(f"{c} ({why})" for c, why in refused.items()))
    assert not failures, "\n".join(failures)


def test_field_model_report_says_why_it_is_not_simplified(examples_dir):
    report = modelc.load(examples_dir / "heat_1d.model", cache_modules=False).cost_report()
    assert report["stopped"].startswith("field model")
    assert report["cost_after"] == report["cost_before"] and report["constants"] == 0
