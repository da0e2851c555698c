"""Run the SBML Test Suite's semantic cases through modelc's SBML importer.

    python benchmarks/sbml_suite.py [CASES_DIR] [--workers N] [--only 00001,00002]

Prints one line per case that does not pass (failed, refused, not-yet-solvable
or error, with a reason) and then the counts and the pass rate. A case that
raises anything is counted as an error with the exception's first line; the
run never stops on one case. Not-yet-solvable: imported and checked, but it
uses events, delays or numerical constraints that the solvers do not run yet. CASES_DIR defaults to
../shared/sbml-test-suite/cases next to this repository.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

DEFAULT_CASES = Path(__file__).resolve().parents[2] / "shared" / "sbml-test-suite" / "cases"


CASE_SECONDS = 600
"""A case still running after this long is stopped and counted as an error (where
Python gets control back: a hang inside one XLA call ends with that call)."""


class _CaseTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise _CaseTimeout(f"timed out after {CASE_SECONDS} s")


def _run_one(case_dir: str):
    import signal

    from modelc.cache import enable_compilation_cache
    from modelc.io.sbml_cases import simulate_case

    enable_compilation_cache()  # a second run of the suite skips XLA compilation

    started = time.perf_counter()
    timer = hasattr(signal, "SIGALRM")
    if timer:
        signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(CASE_SECONDS)
    try:
        _, result = simulate_case(case_dir)
    except BaseException as err:  # noqa: BLE001 - one case's failure never stops the suite
        if isinstance(err, KeyboardInterrupt):
            raise
        from modelc.io.sbml_cases import CaseResult

        result = CaseResult(Path(case_dir).name, "error", f"{type(err).__name__}: {err}"[:200])
    finally:
        if timer:
            signal.alarm(0)
    return result, time.perf_counter() - started


def run_suite(cases_dir: Path, workers: int = 2, only: set[str] | None = None):
    """Run every case folder under ``cases_dir``; returns the list of `CaseResult`s."""
    cases = sorted(p for p in cases_dir.iterdir() if p.is_dir() and p.name.isdigit())
    if only:
        cases = [p for p in cases if p.name in only]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            outcomes = [_report(o) for o in pool.map(_run_one, [str(p) for p in cases], chunksize=4)]
    else:
        outcomes = [_report(_run_one(str(p))) for p in cases]
    return [result for result, _ in outcomes], sum(seconds for _, seconds in outcomes)


def _report(outcome):
    """Print a case that did not pass as soon as it is known (long runs show progress)."""
    result, seconds = outcome
    if not result.passed:
        print(f"{result.case}  {result.status:16s} {result.reason}", flush=True)
    return outcome


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="?", default=str(DEFAULT_CASES), help="cases folder")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--only", help="comma-separated case numbers")
    args = parser.parse_args(argv)
    cases_dir = Path(args.cases)
    if not cases_dir.is_dir():
        print(f"error: no cases folder at {cases_dir}", file=sys.stderr)
        return 2
    only = set(args.only.split(",")) if args.only else None
    started = time.perf_counter()
    results, cpu = run_suite(cases_dir, args.workers, only)
    counts = {"passed": 0, "failed": 0, "refused": 0, "not-yet-solvable": 0, "error": 0}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    total = len(results)
    rate = 100.0 * counts["passed"] / total if total else 0.0
    print(f"\n{total} cases: {counts['passed']} passed, {counts['failed']} failed, "
          f"{counts['refused']} refused, {counts['not-yet-solvable']} not yet solvable, "
          f"{counts['error']} errors; pass rate {rate:.1f}%")
    print(f"wall {time.perf_counter() - started:.0f} s, {cpu:.0f} s in cases, "
          f"{args.workers} worker(s)")
    return 0 if counts["passed"] == total else 1


if __name__ == "__main__":
    sys.exit(main())
