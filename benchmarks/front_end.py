"""CPU time of the front end (model text -> generated module source) on large networks.

Run with ``python benchmarks/front_end.py [--sizes 800 3200] [--pairs 5] [--peer /path/to/checkout]``.

For the random mass-action networks of benchmarks/network_scaling.py (issue 16's
recipe), each measurement is a fresh process that imports modelc and then times
``api.compile_source(text)`` (parse, check, lowering passes, code generation;
nothing of JAX is traced) with ``time.process_time``. With ``--peer`` the same
measurement runs on another checkout (e.g. main) in alternating pairs, and the
median of the per-pair ratios (this checkout / peer) is printed: on a loaded
machine the pairs see about the same load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

_WORKER = """
import sys, time
from modelc import api
text = open(sys.argv[1], encoding="utf-8").read()
cpu = time.process_time()
api.compile_source(text, "net.model")
print(time.process_time() - cpu)
"""


def cpu_seconds(checkout: Path, model: Path) -> float:
    """CPU seconds of one ``compile_source`` of ``model`` by ``checkout``'s modelc."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, PYTHONPATH=str(checkout), MODELC_CACHE_DIR=cache)
        out = subprocess.run([sys.executable, "-c", _WORKER, str(model)], env=env, cwd=checkout,
                             capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[800, 3200])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--peer", type=Path, help="another checkout to compare with, in pairs")
    args = parser.parse_args()
    from network_scaling import model_text

    print(f"{'species':>7} {'this (median CPU s)':>20} {'peer':>8} {'this / peer (median of pairs)':>31}")
    with tempfile.TemporaryDirectory() as folder:
        for n in args.sizes:
            model = Path(folder) / f"net{n}.model"
            model.write_text(model_text(n), encoding="utf-8")
            ours, theirs, ratios = [], [], []
            for _ in range(args.pairs):
                ours.append(cpu_seconds(ROOT, model))
                if args.peer:
                    theirs.append(cpu_seconds(args.peer, model))
                    ratios.append(ours[-1] / theirs[-1])
            peer = f"{statistics.median(theirs):8.2f}" if theirs else f"{'':>8}"
            ratio = f"{statistics.median(ratios):31.2f}" if ratios else ""
            print(f"{n:>7} {statistics.median(ours):>20.2f} {peer} {ratio}", flush=True)


if __name__ == "__main__":
    main()
