"""A setting held for the length of the outermost of nested calls.

`modelc.symcache.unbounded_cache` and `modelc.gcpause.relaxed_collection` change
a process-wide setting (SymPy's caches, the garbage collector's thresholds)
while a compilation runs. Compilations nest (``compile_source`` parses) and may
run in threads; the setting is made when the first call enters and undone when
the last one leaves.
"""

from __future__ import annotations

import functools
import threading
from typing import Callable

__all__ = ["outermost"]


def outermost(enter: Callable[[], None], leave: Callable[[], None]):
    """A decorator: the functions it wraps run with ``enter()`` called before the
    outermost of their nested or concurrent calls and ``leave()`` after it returns (or
    raises). Every function wrapped by the one decorator shares one count."""
    lock = threading.RLock()
    depth = 0

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            nonlocal depth
            with lock:
                if depth == 0:
                    enter()
                depth += 1
            try:
                return fn(*args, **kwargs)
            finally:
                with lock:
                    depth -= 1
                    if depth == 0:
                        leave()

        return wrapper

    return decorator
