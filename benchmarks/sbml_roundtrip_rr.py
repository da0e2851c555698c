"""RoadRunner on modelc's exported SBML agrees with modelc on SBML Test Suite cases.

    python benchmarks/sbml_roundtrip_rr.py [CASES_DIR ...] [--count N] [--only 00001,00002]

For each case: import the suite's SBML (`translate_sbml`), solve it with modelc as
`benchmarks/sbml_suite.py` does and keep it only if it passes the suite's check; then
export modelc's model text as SBML (`model_to_sbml`, what `m.to_sbml()` writes),
simulate the exported file with libroadrunner (CVODE, rtol 1e-10) at the case's
output times, and compare every requested variable (by its name in the model) with
modelc's solution under the case's tolerances, ``|rr - modelc| <= absolute +
relative*|modelc|``. Prints one line per case that is not agreed and the counts:
agreed / disagreed / export refused / roadrunner error, plus the cases skipped
because modelc does not pass them. ``--count N`` takes N cases spread evenly over
each folder (default: all). CASES_DIR defaults to the base cases next to this
repository.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SUITE = Path(__file__).resolve().parents[2] / "shared" / "sbml-test-suite"
DEFAULT_CASES = SUITE / "cases"
RR_RTOL = 1e-10

#: Outcomes, in the order they are printed.
OUTCOMES = ("agreed", "disagreed", "export refused", "roadrunner error", "modelc does not pass")


@dataclass(frozen=True)
class RoundTrip:
    """One case's outcome (one of `OUTCOMES`) and why, for all but ``agreed``."""

    case: str
    outcome: str
    reason: str = ""


def round_trip_case(case_dir) -> RoundTrip:
    """Import, solve and check one case with modelc, export it, simulate the export with
    RoadRunner and compare (see the module docstring)."""
    import roadrunner

    from modelc.errors import ModelError
    from modelc.io.sbml import translate_sbml
    from modelc.io.sbml_cases import check_case, sbml_file, solve_case, worst_ratio
    from modelc.io.sbml_export import model_to_sbml

    case_dir = Path(case_dir)
    case = case_dir.name
    try:
        translation = translate_sbml(sbml_file(case_dir))
        solved = solve_case(case_dir, translation)
        checked = check_case(case, translation, solved)
    except Exception as err:  # noqa: BLE001 - refusals and not-yet-solvable cases are skipped
        return RoundTrip(case, "modelc does not pass", f"{type(err).__name__}: {_first(err)}")
    if not checked.passed:
        return RoundTrip(case, "modelc does not pass", checked.reason)
    try:
        xml = model_to_sbml(translation.text, f"{case}.model")
    except ModelError as err:
        first = err.diagnostics[0].message if err.diagnostics else str(err)
        return RoundTrip(case, "export refused", first)
    settings, sol = solved.settings, solved.solution
    names = {}
    for var in settings.variables:
        quantity = translation.quantities[var]
        names[var] = quantity.name
    if "time" in names.values():
        # RoadRunner's selection "time" is always the simulation time
        return RoundTrip(case, "roadrunner error", "a quantity named `time` cannot be selected")
    selected = sorted(set(names.values()))
    try:
        rr = roadrunner.RoadRunner(xml)
        rr.integrator.relative_tolerance = RR_RTOL
        rr.integrator.absolute_tolerance = max(min(1e-12, 1e-3 * settings.absolute), 1e-20)
        rr.timeCourseSelections = ["time"] + selected
        result = rr.simulate(times=[float(t) for t in settings.times])
    except Exception as err:  # noqa: BLE001 - RoadRunner's refusals are counted, not raised
        return RoundTrip(case, "roadrunner error", f"{type(err).__name__}: {_first(err)}")
    reasons = []
    for var, name in names.items():
        quantity = translation.quantities[var]
        if quantity.role == "parameter":
            ours = np.full(len(sol.t), solved.model.defaults[name])
        else:
            ours = np.asarray(sol[name], dtype=float)
        theirs = np.asarray(result[:, 1 + selected.index(name)], dtype=float)
        ratio = worst_ratio(theirs, ours, settings)
        if not ratio <= 1.0:
            reasons.append(f"{name}: {ratio:.3g} x the tolerance")
    if reasons:
        return RoundTrip(case, "disagreed", "; ".join(reasons[:2]))
    return RoundTrip(case, "agreed")


def _first(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0][:160] if text else ""


def pick_cases(folders, count: int | None = None, only: set[str] | None = None) -> list[Path]:
    """The case folders of each folder in ``folders``: all, the ``only`` ones, or ``count``
    spread evenly over each folder."""
    picked: list[Path] = []
    for folder in folders:
        cases = sorted(p for p in Path(folder).iterdir() if p.is_dir() and p.name.isdigit())
        if only:
            cases = [p for p in cases if p.name in only]
        elif count and count < len(cases):
            cases = [cases[int(i)] for i in np.linspace(0, len(cases) - 1, count)]
        picked.extend(cases)
    return picked


def run(cases: list[Path]) -> list[RoundTrip]:
    """Round-trip every case, printing each one that is not agreed as it finishes."""
    from modelc.cache import enable_compilation_cache

    enable_compilation_cache()
    out = []
    for case_dir in cases:
        trip = round_trip_case(case_dir)
        if trip.outcome != "agreed":
            print(f"{case_dir.parent.parent.name}/{case_dir.parent.name}/{trip.case}  {trip.outcome:20s} {trip.reason}",
                  flush=True)
        out.append(trip)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", default=[str(DEFAULT_CASES)], help="cases folders")
    parser.add_argument("--count", type=int, help="cases per folder, spread evenly")
    parser.add_argument("--only", help="comma-separated case numbers")
    args = parser.parse_args(argv)
    missing = [c for c in args.cases if not Path(c).is_dir()]
    if missing:
        print(f"error: no cases folder at {missing[0]}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    trips = run(pick_cases(args.cases, args.count, set(args.only.split(",")) if args.only else None))
    counts = Counter(t.outcome for t in trips)
    print(f"\n{len(trips)} cases: " + ", ".join(f"{counts[o]} {o}" for o in OUTCOMES))
    print(f"wall {time.perf_counter() - started:.0f} s")
    return 0 if counts["disagreed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
