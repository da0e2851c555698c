"""Time to import SBML and to the first solution, for large SBML files, against libRoadRunner.

    python benchmarks/sbml_import_time.py [--reactions 1000 | 0] [--case DIR | --no-case]

Two files: the largest case of the SBML Test Suite (by file size, over ``cases/`` and
``extended/cases`` next to this repository, or ``--case``), solved on its output times
with the suite runner's options (`modelc.io.sbml_cases.case_options`), and a random
mass-action network of ``--reactions`` reactions (half as many species) written as
SBML by `network_scaling.sbml_text`, solved with tsit5 at rtol 1e-6 to t = 10 (11
points). Each measurement runs in a fresh process with empty caches (cold) and
prints: reading the SBML into model text (`translate_sbml`), `modelc.parse` of that
text (passes, code generation, import of the module), the first solve (trace, XLA
compile and run), and the total, in CPU seconds of the process (all threads: steadier
than wall time on a shared machine), and the wall time; then RoadRunner's load (``RoadRunner(sbml)``) and
first ``simulate`` of the same file on the same times in its own fresh process.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from network_scaling import run_worker, sbml_text  # noqa: E402

SUITE = Path(__file__).resolve().parents[2] / "shared" / "sbml-test-suite"
NETWORK = {"t_end": 10.0, "points": 11, "method": "tsit5", "rtol": 1e-6, "atol": 1e-9}


def largest_case() -> Path | None:
    """The suite case folder holding the largest SBML file (None without the suite)."""
    files = [p for folder in (SUITE / "cases", SUITE / "extended" / "cases") if folder.is_dir()
             for p in folder.glob("*/*-sbml-l*v*.xml")]
    return max(files, key=lambda p: p.stat().st_size).parent if files else None


def modelc_worker(path: str, case: str) -> dict:
    """Cold timings of modelc in this (fresh) process: SBML -> text, parse, first solve."""
    import numpy as np

    wall, start = time.perf_counter(), time.process_time()
    from modelc.io.sbml import translate_sbml

    translation = translate_sbml(path)
    translated = time.process_time()
    import modelc

    model = modelc.parse(translation.text, Path(path).stem + ".model")
    parsed = time.process_time()
    if case:
        from modelc.io.sbml_cases import case_options, read_settings

        settings = read_settings(Path(case) / f"{Path(case).name}-settings.txt")
        ts = settings.times
        options = case_options(model, settings)
    else:
        ts = np.linspace(0.0, NETWORK["t_end"], NETWORK["points"])
        options = {k: NETWORK[k] for k in ("method", "rtol", "atol")}
    sol = model.solve(t=(0.0, float(ts[-1])), saveat=ts, **options)
    solved = time.process_time()
    return {"translate": translated - start, "parse": parsed - translated,
            "first_solve": solved - parsed, "total": solved - start, "ok": bool(sol.ok),
            "wall": time.perf_counter() - wall,
            "states": len(model.state_names), "method": options["method"]}


def roadrunner_worker(path: str, case: str) -> dict:
    """Cold timings of libRoadRunner in this (fresh) process: load and first simulate."""
    import roadrunner

    if case:
        from modelc.io.sbml_cases import read_settings

        settings = read_settings(Path(case) / f"{Path(case).name}-settings.txt")
        times = [float(t) for t in settings.times]
        rtol = 1e-10
    else:
        times = [NETWORK["t_end"] * i / (NETWORK["points"] - 1) for i in range(NETWORK["points"])]
        rtol = NETWORK["rtol"]
    wall, start = time.perf_counter(), time.process_time()
    rr = roadrunner.RoadRunner(path)
    loaded = time.process_time()
    rr.integrator.relative_tolerance = rtol
    rr.simulate(times=times)
    done = time.process_time()
    return {"load": loaded - start, "first": done - loaded, "total": done - start,
            "wall": time.perf_counter() - wall}


def _row(label: str, mc: dict, rr: dict) -> str:
    if "error" in mc:
        return f"{label:34s} modelc error: {mc['error']}"
    text = (f"{label:34s} {mc['translate']:9.2f} {mc['parse']:9.2f} {mc['first_solve']:11.2f} "
            f"{mc['total']:9.2f} {mc['wall']:8.1f}   {mc['method']:6s} {'ok' if mc['ok'] else 'NOT ok':6s}")
    if "error" in rr:
        return text + f"  RoadRunner error: {rr['error']}"
    return text + f" {rr['load']:8.2f} {rr['first']:8.2f} {rr['total']:8.2f} {rr['wall']:8.1f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reactions", type=int, default=1000, help="0: no network")
    parser.add_argument("--case", help="a suite case folder (default: the largest SBML file)")
    parser.add_argument("--no-case", action="store_true", help="time the network only")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        kind, path, case = args.worker
        worker = modelc_worker if kind == "modelc" else roadrunner_worker
        print(json.dumps(worker(path, case if case != "-" else "")))
        return 0
    case = None if args.no_case else Path(args.case) if args.case else largest_case()
    with tempfile.TemporaryDirectory() as folder:
        runs = []
        if case is not None:
            xml = max(case.glob("*-sbml-l*v*.xml"), key=lambda p: p.name)
            runs.append((f"suite {case.name} ({xml.stat().st_size // 1024} KB)", xml, str(case)))
        if args.reactions > 0:
            network = Path(folder) / f"network_{args.reactions}.xml"
            network.write_text(sbml_text(args.reactions // 2), encoding="utf-8")
            runs.append((f"network, {args.reactions} reactions "
                         f"({network.stat().st_size // 1024} KB)", network, "-"))
        print(f"{'file':34s} {'SBML->text':>9s} {'parse':>9s} {'first solve':>11s} {'total':>9s}"
              f" {'wall':>8s}   method status {'RR load':>8s} {'RR sim':>8s} {'RR total':>8s}"
              f" {'RR wall':>8s}")
        print("(CPU seconds of the process, all threads, cold; wall: its elapsed seconds)")
        for label, path, case_arg in runs:
            mc = run_worker(["modelc", str(path), case_arg], __file__)
            rr = run_worker(["roadrunner", str(path), case_arg], __file__)
            print(_row(label, mc, rr), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
