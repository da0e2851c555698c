"""Cold against warm starts of a new process, through the Python API and the CLI.

Run with ``python benchmarks/warm_start.py [--sizes 200] [--repeats 1]``.

For Lorenz (examples/lorenz.model) and the random mass-action networks of
benchmarks/network_scaling.py (issue 16's recipe, ``--sizes`` species), each
run is a fresh Python process with its own modelc cache folder:

* cold: an empty cache folder;
* warm: the same folder again (generated module and compiled XLA programs on disk);
* warm, XLA cache off: the folder again with ``MODELC_XLA_CACHE=0`` (the
  generated module is reused, every program is compiled again: the Python API
  before the persistent compilation cache was turned on by default).

The API process times ``import modelc`` + ``modelc.load(file)`` and the first
``m.solve(t=(0, 10))`` (default method, ``auto``), and counts JAX's persistent
cache hits; the CLI run times ``python -m modelc simulate FILE --t 0 10`` from
outside (a whole process). The total excludes Python's own start; its
``load`` column is the time the CLI's summary line reports (load + solve, after
the imports). ``CPU`` is
CPU time, every thread: for the API after ``import modelc`` (load + first
solve), for the CLI the whole process less a bare Python start's.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))


def api_worker(path: str) -> dict:
    """Timings of one load and first solve in this process."""
    start = time.perf_counter()
    import jax

    events: dict[str, int] = {}
    jax.monitoring.register_event_listener(lambda name, **kw: events.__setitem__(name, events.get(name, 0) + 1))
    import modelc

    imported = time.perf_counter()
    cpu = time.process_time()
    m = modelc.load(path)
    loaded = time.perf_counter()
    sol = m.solve(t=(0.0, 10.0))
    jax.block_until_ready(sol.t)
    solved = time.perf_counter()
    return {"import": imported - start, "load": loaded - imported, "solve": solved - loaded,
            "total": solved - start, "cpu": time.process_time() - cpu, "ok": bool(sol.ok),
            "hits": events.get("/jax/compilation_cache/cache_hits", 0),
            "misses": events.get("/jax/compilation_cache/cache_misses", 0)}


def _api(path: str, cache: str, xla: bool) -> dict:
    env = dict(os.environ, MODELC_CACHE_DIR=cache, PYTHONPATH=str(ROOT))
    env["MODELC_XLA_CACHE"] = "1" if xla else "0"
    out = subprocess.run([sys.executable, __file__, "--worker", path], env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cli(path: str, cache: str) -> dict:
    """The whole ``modelc simulate`` process: wall clock and CPU time (every thread),
    less a bare Python start's."""
    env = dict(os.environ, MODELC_CACHE_DIR=cache, PYTHONPATH=str(ROOT))
    start, cpu = time.perf_counter(), _children_cpu()
    out = subprocess.run([sys.executable, "-m", "modelc", "simulate", path, "--t", "0", "10"],
                         env=env, capture_output=True, check=True, text=True)
    total, cpu = time.perf_counter() - start, _children_cpu() - cpu
    start, bare = time.perf_counter(), _children_cpu()
    subprocess.run([sys.executable, "-c", "pass"], check=True)   # Python's own start
    # the summary line's own time: load + solve, after the imports (as "load" + "solve")
    after_imports = float(re.search(r", ([0-9.]+) s$", out.stdout.splitlines()[0]).group(1))
    return {"total": total - (time.perf_counter() - start), "cpu": cpu - (_children_cpu() - bare),
            "load": after_imports}


def measure(path: str) -> dict:
    """Cold, warm and warm-without-XLA-cache rows for the API and the CLI."""
    rows = {}
    with tempfile.TemporaryDirectory() as cache:
        rows["api cold"] = _api(path, cache, True)
        rows["api warm"] = _api(path, cache, True)
        rows["api warm, MODELC_XLA_CACHE=0"] = _api(path, cache, False)
    with tempfile.TemporaryDirectory() as cache:
        rows["cli cold"] = _cli(path, cache)
        rows["cli warm"] = _cli(path, cache)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[200])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(api_worker(args.worker)))
        return
    from network_scaling import model_text

    print(f"{'model':<10} {'run':<32} {'import':>7} {'load':>7} {'solve':>7} {'total':>7} "
          f"{'CPU':>7} {'hits':>5} {'misses':>6}")
    with tempfile.TemporaryDirectory() as folder:
        models = [("lorenz", str(ROOT / "examples" / "lorenz.model"))]
        for n in args.sizes:
            path = Path(folder) / f"net{n}.model"
            path.write_text(model_text(n), encoding="utf-8")
            models.append((f"net{n}", str(path)))
        for name, path in models:
            rows = measure(path)
            for run, r in rows.items():
                cols = " ".join(f"{r[k]:7.2f}" if k in r else f"{'':>7}"
                                for k in ("import", "load", "solve", "total", "cpu"))
                print(f"{name:<10} {run:<32} {cols} {r.get('hits', ''):>5} {r.get('misses', ''):>6}",
                      flush=True)
            cold, warm = rows["api cold"]["total"], rows["api warm"]["total"]
            print(f"{name:<10} api warm / cold = {warm / cold:.2f}; "
                  f"cli warm / cold = {rows['cli warm']['total'] / rows['cli cold']['total']:.2f}",
                  flush=True)


if __name__ == "__main__":
    main()
