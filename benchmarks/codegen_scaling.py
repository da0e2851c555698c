"""Compile time against model size: ``modelc compile`` of one n-term sum and of n parameters.

Each size is compiled in a fresh process (empty module cache) and timed by that
process's CPU time (user + system: less sensitive than wall time to the other
jobs of a shared machine). The growth column is the time ratio to the previous
size, which is ~2 for a linear compiler when the sizes double.

    python benchmarks/codegen_scaling.py --sizes 500 1000 2000 4000
    python benchmarks/codegen_scaling.py --root /path/to/old . --sizes 1000 2000  # interleaved

The models (issue 20 item 4): ``der(x) = -(k0*exp(-x/1)*y + k1*exp(-x/2)*y + ...)*1e-6``
(n distinct terms over 10 parameters; nothing to collect) and
``der(x) = -x*(p0 + p1*x + p2*x^2 + p3 + ...)*1e-6`` over n parameters.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def long_sum(n: int) -> str:
    """A model whose ``der(x)`` is one n-term sum of distinct terms."""
    params = ", ".join(f"k{i} = {0.1 + i % 7}" for i in range(10))
    terms = " + ".join(f"k{i % 10}*exp(-x/{i + 1})*y" for i in range(n))
    return (f"model longsum\nparameter {params}\nstate x = 1, y = 2\n"
            f"der(x) = -({terms})*1e-6\nder(y) = -y\n")


def many_parameters(n: int) -> str:
    """A model with n parameters, all in one sum."""
    params = ", ".join(f"p{i} = {1 + i % 5}" for i in range(n))
    terms = " + ".join(f"p{i}*x^{i % 3}" for i in range(n))
    return f"model manyp\nparameter {params}\nstate x = 1\nder(x) = -x*({terms})*1e-6\n"


def compile_seconds(text: str, root: Path, timeout: float) -> float:
    """CPU seconds of ``python -m modelc compile`` of ``text`` in a fresh process
    (``nan`` when it fails or runs past ``timeout``)."""
    with tempfile.TemporaryDirectory(prefix="codegen-scaling-") as tmp:
        model = Path(tmp) / "m.model"
        model.write_text(text)
        env = dict(os.environ, PYTHONPATH=str(root), MODELC_CACHE_DIR=str(Path(tmp) / "cache"))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        try:
            done = subprocess.run([sys.executable, "-m", "modelc", "compile", str(model), "-o",
                                   str(Path(tmp) / "m.py")], env=env, capture_output=True,
                                  text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return float("nan")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            print(done.stderr.strip().splitlines()[-1:], file=sys.stderr)
            return float("nan")
        return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv=None) -> int:
    """Print the table; 0."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000, 4000])
    ap.add_argument("--root", type=Path, nargs="+", default=[ROOT],
                    help="the checkouts to time, interleaved size by size (default: this one)")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per compile")
    ap.add_argument("--kinds", nargs="+", default=["sum", "parameters"], choices=["sum", "parameters"])
    args = ap.parse_args(argv)
    build = {"sum": long_sum, "parameters": many_parameters}
    for i, root in enumerate(args.root):
        base = compile_seconds("model tiny\nstate x = 1\nder(x) = -x\n", root, args.timeout)
        print(f"[{i}] {root}: a 1-line model compiles in {base:.2f} s CPU (imports included)")
    heads = " ".join(f"{f'[{i}] CPU s':>10} {'growth':>7}" for i in range(len(args.root)))
    ratio = f" {'[0]/[1]':>8}" if len(args.root) == 2 else ""
    print(f"{'model':>11} {'n':>6} {heads}{ratio}")
    for kind in args.kinds:
        previous = [None] * len(args.root)
        for n in args.sizes:
            cells, now = [], []
            for i, root in enumerate(args.root):
                seconds = compile_seconds(build[kind](n), root, args.timeout)
                growth = f"{seconds / previous[i]:7.2f}" if previous[i] else f"{'':>7}"
                cells.append(f"{seconds:10.2f} {growth}")
                previous[i] = seconds
                now.append(seconds)
            extra = f" {now[0] / now[1]:8.2f}" if len(now) == 2 else ""
            print(f"{kind:>11} {n:>6} {' '.join(cells)}{extra}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
