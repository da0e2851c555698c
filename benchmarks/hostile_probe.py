"""Hostile-input probe (issue 20): thousands of generated cases through model text, the
Python API and the command line, each in a watchdog process, counted by outcome.

    python benchmarks/hostile_probe.py --n 2500                 # 2,500 of each class
    python benchmarks/hostile_probe.py --n 100 --root /tmp/old  # another checkout, same cases
    python benchmarks/hostile_probe.py --n 50 --fast            # constants without JIT

Outcomes (tests/fuzz/hostile.py): ok, refused (a clean ModelError/SolveError or exit 1),
raw (another exception from the API), traceback (the CLI printed one), wrong (success that
disagrees with the independent evaluation), hang (past --limit seconds: the worker is
killed and restarted). Only ok and refused are acceptable; the others are listed.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("ok", "refused", "raw", "traceback", "wrong", "hang")


def _worker(root: str, fuzz: str, solve: bool, inbox, outbox) -> None:
    sys.path[:0] = [root, fuzz]
    os.environ.setdefault("MODELC_CACHE_DIR", tempfile.mkdtemp(prefix="hostile-probe-cache-"))
    from hostile import run_case

    while True:
        job = inbox.get()
        if job is None:
            return
        kind, seed = job
        try:
            out = run_case(kind, seed, solve)
            outbox.put((out.kind, out.detail))
        except BaseException as exc:  # noqa: BLE001 - the probe itself must go on
            outbox.put(("raw", f"harness: {type(exc).__name__}: {exc}"))


class Probe:
    """A worker process fed one case at a time; killed and restarted on a hang."""

    def __init__(self, root: Path, solve: bool):
        self.args = (str(root), str(ROOT / "tests" / "fuzz"), solve)
        self.ctx = mp.get_context("spawn")
        self.proc = None

    def _start(self):
        self.inbox, self.outbox = self.ctx.Queue(), self.ctx.Queue()
        self.proc = self.ctx.Process(target=_worker, args=(*self.args, self.inbox, self.outbox),
                                     daemon=True)
        self.proc.start()

    def run(self, kind: str, seed: int, limit: float) -> tuple[str, str]:
        """``(outcome, detail)`` of one case."""
        if self.proc is None or not self.proc.is_alive():
            self._start()
            limit += 120   # the first case of a worker also imports modelc and JAX
        self.inbox.put((kind, seed))
        try:
            return self.outbox.get(timeout=limit)
        except Exception:  # noqa: BLE001 - queue.Empty: the case hangs (or the worker died)
            died = not self.proc.is_alive()
            self.proc.kill()
            self.proc.join()
            self.proc = None
            return ("raw", "the worker died (abort or kill)") if died else ("hang", f"> {limit:.0f} s")

    def close(self):
        if self.proc is not None and self.proc.is_alive():
            self.inbox.put(None)
            self.proc.join(10)


def main(argv=None) -> int:
    """Run the probe and print the counts; 0."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100, help="cases of each class")
    ap.add_argument("--classes", nargs="+", default=["constants", "text", "api", "cli"])
    ap.add_argument("--root", type=Path, default=ROOT, help="the modelc checkout to probe")
    ap.add_argument("--limit", type=float, default=60.0, help="seconds before a case is a hang")
    ap.add_argument("--fast", action="store_true", help="constants judged without solving")
    ap.add_argument("--first", type=int, default=0, help="first seed")
    args = ap.parse_args(argv)
    probe = Probe(args.root, solve=not args.fast)
    counts: dict = {}
    start = time.perf_counter()
    try:
        for cls in args.classes:
            counts[cls] = collections.Counter()
            for seed in range(args.first, args.first + args.n):
                kind, detail = probe.run(cls, seed, args.limit)
                counts[cls][kind] += 1
                if kind not in ("ok", "refused"):
                    print(f"  {cls} #{seed}: {kind}: {detail}"[:400], flush=True)
    finally:
        probe.close()
    print(f"\nroot {args.root}, seeds {args.first}..{args.first + args.n - 1}, "
          f"{time.perf_counter() - start:.0f} s")
    print(f"{'class':>10} " + " ".join(f"{k:>9}" for k in KINDS))
    for cls, c in counts.items():
        print(f"{cls:>10} " + " ".join(f"{c[k]:>9}" for k in KINDS))
    total = sum(counts.values(), collections.Counter())
    print(f"{'total':>10} " + " ".join(f"{total[k]:>9}" for k in KINDS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
