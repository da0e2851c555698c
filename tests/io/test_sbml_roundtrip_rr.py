"""RoadRunner simulating modelc's exported SBML agrees with modelc on suite cases
(benchmarks/sbml_roundtrip_rr.py, issue 18's acceptance: at least 100 cases).

For each case modelc passes, the model text imported from the suite's SBML is exported
again (`model_to_sbml`), simulated by libroadrunner at the case's output times, and
compared with modelc's solution under the case's own tolerances. Needs the suite in
../shared and libroadrunner; slow (about a second per case, compile included)."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("libsbml")
pytest.importorskip("roadrunner")

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT.parent / "shared" / "sbml-test-suite"


def _script():
    spec = importlib.util.spec_from_file_location("sbml_roundtrip_rr",
                                                  ROOT / "benchmarks" / "sbml_roundtrip_rr.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module      # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.skipif(not (SUITE / "cases").is_dir() or not (SUITE / "extended" / "cases").is_dir(),
                    reason=f"no SBML test suite at {SUITE}")
def test_roadrunner_agrees_with_exported_suite_cases():
    script = _script()
    # 100 base cases and 30 extended ones (events, rules, fast reactions), spread evenly
    cases = (script.pick_cases([SUITE / "cases"], 100)
             + script.pick_cases([SUITE / "extended" / "cases"], 30))
    trips = script.run(cases)
    counts = Counter(t.outcome for t in trips)
    disagreed = [f"{t.case}: {t.reason}" for t in trips if t.outcome == "disagreed"]
    assert not disagreed, "\n".join(disagreed)
    assert counts["export refused"] == 0, [t for t in trips if t.outcome == "export refused"]
    assert counts["agreed"] >= 100, counts
