"""Warm starts: the Python API turns on JAX's persistent compilation cache.

`modelc.load` and `modelc.parse` call `use_compilation_cache` (once per
process), so a second process that solves a model solved before loads the
compiled XLA programs from disk instead of compiling them again, as the
``modelc simulate`` command does. JAX keys each program by its lowered code
(which contains the model's equations and the solve's static options:
method, step budget, controller, ...), the compile options, the JAX version
and the device, so a changed model, option or JAX version compiles afresh.

This changes two global JAX settings of the process, and only when the user
has not set them: ``jax_compilation_cache_dir`` (to ``<modelc cache>/xla``,
see `modelc.cache.cache_dir`) and ``jax_persistent_cache_min_compile_time_secs``
(to `MIN_COMPILE_TIME_S`, so that the solver's programs, which compile in
0.1-1 s for small models, are stored; JAX's default stores only programs
that took 1 s). Every program of the process above that threshold is then
cached, not only modelc's. Turn it off with ``MODELC_XLA_CACHE=0`` in the
environment, with ``cache_modules=False`` in `load`/`parse`, or with JAX's
own switch ``jax.config.update("jax_enable_compilation_cache", False)``.
"""

from __future__ import annotations

import os
from pathlib import Path

from .cache import cache_dir

__all__ = ["ENV", "MIN_COMPILE_TIME_S", "use_compilation_cache", "wanted", "active"]

ENV = "MODELC_XLA_CACHE"
"""Environment variable: ``0``/``off``/``false``/``no`` keeps JAX's settings untouched."""

MIN_COMPILE_TIME_S = 0.1
"""Programs that compile faster than this are not written to disk (the many tiny
programs of eager array operations would cost more to store than to compile)."""

_done: list[Path | None] = []


def wanted() -> bool:
    """Whether the environment allows modelc to turn the cache on (``MODELC_XLA_CACHE``)."""
    return os.environ.get(ENV, "1").strip().lower() not in ("0", "off", "false", "no")


def use_compilation_cache() -> Path | None:
    """Turn on JAX's persistent compilation cache in ``<modelc cache>/xla`` unless it is
    unwanted (`wanted`), disabled in JAX, or the user already chose a folder (theirs is
    kept). Returns the folder in use (None when off). Runs once per process; the
    settings changed are listed in the module docstring."""
    if _done:
        return _done[0]
    path = None
    if wanted():
        import jax

        if not jax.config.jax_enable_compilation_cache:
            path = None
        elif jax.config.jax_compilation_cache_dir:
            path = Path(jax.config.jax_compilation_cache_dir)   # the user's own choice
        else:
            path = cache_dir() / "xla"
            try:
                path.mkdir(parents=True, exist_ok=True)
            except OSError:  # a read-only cache folder: run without the cache
                path = None
            else:
                jax.config.update("jax_compilation_cache_dir", str(path))
                if jax.config.jax_persistent_cache_min_compile_time_secs >= 1.0:  # JAX's default
                    jax.config.update("jax_persistent_cache_min_compile_time_secs",
                                      MIN_COMPILE_TIME_S)
    _done.append(path)
    return path


def active() -> bool:
    """Whether `use_compilation_cache` turned the cache on (or kept the user's) in this
    process: then `modelc.exported` may store serialized solves beside it."""
    return bool(_done) and _done[0] is not None
