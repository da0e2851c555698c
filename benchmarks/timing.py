"""Timing helpers shared by the benchmark scripts: interleaved pairs and compile times."""

from __future__ import annotations

import os
import statistics
import time

# Compile times must be measured cold: modelc.load would otherwise turn on JAX's
# persistent compilation cache (modelc/xla_cache.py) and a "fresh" compile would be
# read from disk. Set before any benchmark loads a model.
os.environ.setdefault("MODELC_XLA_CACHE", "0")

import jax  # noqa: E402

__all__ = ["compile_seconds", "timed", "run_pairs"]


def compile_seconds(make, repeats: int = 5) -> float:
    """Median time to trace and XLA-compile a freshly built jitted function ``make()``."""
    times = []
    for _ in range(repeats):
        jax.clear_caches()
        fn = make()
        start = time.perf_counter()
        fn.lower().compile()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def timed(fn) -> float:
    """Seconds for one call of ``fn``, waiting for JAX results."""
    start = time.perf_counter()
    jax.block_until_ready(fn())
    return time.perf_counter() - start


def run_pairs(a, b, pairs: int):
    """Median over interleaved pairs of (time a / time b), and each one's median time."""
    ta, tb = [], []
    for _ in range(pairs):
        ta.append(timed(a))
        tb.append(timed(b))
    ratios = [x / y for x, y in zip(ta, tb)]
    return statistics.median(ratios), statistics.median(ta), statistics.median(tb)
