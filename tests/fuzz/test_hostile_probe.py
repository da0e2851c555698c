"""The hostile-input probe in the default suite (issue 20): 300 generated cases through
model text, the Python API and the command line end in a result equal to an independent
evaluation or a clean refusal: never a raw exception, a traceback or a wrong success.
`benchmarks/hostile_probe.py` runs the same cases by the thousand, with a watchdog and
the solves this quick run leaves out (here constants are judged by the generated
module's parameter values and model texts are compiled, not solved)."""

from __future__ import annotations

import pytest
from hostile import run_case

CASES = {"constants": 100, "text": 80, "api": 70, "cli": 50}

# Open bugs the probe found (reported in the closing note; not in this branch's files).
# A case listed here that passes fails the test too, so the list cannot go stale.
KNOWN: dict = {}   # (class, seed): why it fails, for failures known and not yet fixed


@pytest.mark.parametrize("kind", list(CASES))
def test_generated_cases_end_in_a_result_or_a_clean_refusal(kind):
    bad, fixed = [], []
    for seed in range(CASES[kind]):
        outcome = run_case(kind, seed, solve=False)
        failed = outcome.kind not in ("ok", "refused")
        if failed and (kind, seed) not in KNOWN:
            bad.append(f"#{seed} {outcome.kind}: {outcome.detail}")
        if not failed and (kind, seed) in KNOWN:
            fixed.append(f"#{seed} now passes: remove it from KNOWN ({KNOWN[kind, seed]})")
    assert not bad and not fixed, "\n".join(bad + fixed)
