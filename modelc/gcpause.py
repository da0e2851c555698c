"""Python's cyclic garbage collector, relaxed for the length of one compilation.

Parsing and lowering a model allocates millions of small objects (lark tokens
and trees, SymPy expressions), almost none of them in reference cycles. With
the default thresholds (700, 10, 10) the collector runs a young-generation pass
every 700 net allocations and, as the heap grows, repeated full passes over
everything alive (JAX's and SymPy's modules included): on a 3,200-species
network about a third of the front end's CPU time (6.5 s -> 4.5 s with
`relaxed_collection`; ``docs/benchmarks.md``). `relaxed_collection` raises the
thresholds to `COMPILE_THRESHOLDS` while a compilation runs and puts the
previous ones back afterwards; the collector stays on, so cyclic garbage is
still freed (peak memory on that network: 190 MB -> 195 MB).
"""

from __future__ import annotations

import gc

from .outermost import outermost

__all__ = ["relaxed_collection", "COMPILE_THRESHOLDS"]

COMPILE_THRESHOLDS = (100_000, 50, 100)
"""``gc.set_threshold`` while compiling: a young pass every 100,000 net allocations."""

_saved: list = []   # the thresholds to restore while relaxed


def _relax() -> None:
    saved = gc.get_threshold()
    _saved[:] = saved
    if saved[0]:   # 0: automatic collection is off already
        gc.set_threshold(*(max(a, b) for a, b in zip(COMPILE_THRESHOLDS, saved)))


def _restore() -> None:
    gc.set_threshold(*_saved)


relaxed_collection = outermost(_relax, _restore)
"""Decorator: the function runs with the collector's thresholds at `COMPILE_THRESHOLDS`
(never below the user's own; a threshold of 0, collection off, is kept); nested and
concurrent calls share one setting, restored when the outermost call returns."""
