"""SymPy's expression cache, unbounded for the length of one compilation.

SymPy memoizes the construction of expressions (and with them their computed
assumptions) in LRU caches of 1,000 entries each (``SYMPY_CACHE_SIZE``). A
model with a few thousand terms needs more than that: past 1,000 the caches
evict what the next pass asks for again, every ``x*exp(-x/7)`` is rebuilt and
its assumptions deduced again, and each pass grows superlinearly (a 2,000-term
sum: differentiation 6x slower than with a large cache, the whole compile 2-3x;
``benchmarks/codegen_scaling.py``). `unbounded_cache` swaps in unbounded caches
for the duration of a compilation and puts SymPy's own caches (with their
contents) back afterwards, so the memory held is released and the user's
SymPy setting is what remains.

This reaches into ``sympy.core.cache``: each cached function is a wrapper whose
closure holds its ``functools.lru_cache``. Where that structure is not found
(another SymPy version, ``SYMPY_USE_CACHE=no`` or ``debug``), nothing is
changed and compilation runs with SymPy's caches as they are.
"""

from __future__ import annotations

import functools

from .outermost import outermost

__all__ = ["unbounded_cache"]

_saved: list = []   # (closure cell, SymPy's lru_cache, wrapper) while swapped


def _swap_in() -> None:
    from sympy.core import cache

    for wrapper in list(cache.CACHE):
        names = getattr(getattr(wrapper, "__code__", None), "co_freevars", ())
        cells = dict(zip(names, getattr(wrapper, "__closure__", None) or ()))
        cell, func = cells.get("cfunc"), getattr(wrapper, "__wrapped__", None)
        if cell is None or func is None or not hasattr(cell.cell_contents, "cache_info"):
            continue
        if cell.cell_contents.cache_info().maxsize is None:
            continue   # already unbounded (SYMPY_CACHE_SIZE=None)
        big = functools.lru_cache(maxsize=None, typed=True)(func)
        _saved.append((cell, cell.cell_contents, wrapper))
        cell.cell_contents = big
        wrapper.cache_info, wrapper.cache_clear = big.cache_info, big.cache_clear


def _swap_out() -> None:
    while _saved:
        cell, original, wrapper = _saved.pop()
        cell.cell_contents = original
        wrapper.cache_info, wrapper.cache_clear = original.cache_info, original.cache_clear


unbounded_cache = outermost(_swap_in, _swap_out)
"""Decorator: the function runs with SymPy's caches unbounded (see the module doc);
nested and concurrent calls share one swap, undone when the outermost call returns."""
