"""Compile once: a disk cache of generated modules and JAX's compilation cache.

A generated module is stored under a key made of the model text and a
fingerprint of the compiler (its version, grammar and the source of the
passes that produce code), so a change to either recompiles. Loading a
cached module needs neither SymPy nor the parser.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from types import ModuleType

from .resources import grammar_path

__all__ = [
    "cache_dir",
    "module_key",
    "cached_module_path",
    "store_module",
    "import_module_file",
    "enable_compilation_cache",
]

_PACKAGE = Path(__file__).resolve().parent
# Everything that decides what code a model file compiles to.
_COMPILER_PARTS = ("frontend", "passes", "codegen", "ir.py", "functions.py", "__init__.py", "runtime.py",
                   "spatial.py", "fieldops.py", "gridshape.py", "special.py")


def cache_dir() -> Path:
    """The cache folder: ``$MODELC_CACHE_DIR``, else ``$XDG_CACHE_HOME/modelc``, else ``~/.cache/modelc``."""
    if os.environ.get("MODELC_CACHE_DIR"):
        return Path(os.environ["MODELC_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "modelc"


@lru_cache(maxsize=1)
def compiler_fingerprint() -> str:
    """A hash of the compiler's own source and grammar."""
    digest = hashlib.sha256()
    files = [Path(grammar_path())]
    for part in _COMPILER_PARTS:
        path = _PACKAGE / part
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    for f in files:
        digest.update(f.name.encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()


def module_key(text: str, options: str = "") -> str:
    """The cache key of a model's text compiled with ``options``."""
    digest = hashlib.sha256()
    for part in (compiler_fingerprint(), options, text):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def cached_module_path(key: str) -> Path:
    """Where the generated module for ``key`` is (or would be) stored."""
    return cache_dir() / "modules" / f"m_{key}.py"


def store_module(key: str, source: str) -> Path:
    """Write a generated module atomically into the cache; return its path."""
    path = cached_module_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(source)
    os.replace(tmp, path)
    return path


def import_module_file(path: str | Path, name: str | None = None) -> ModuleType:
    """Import a generated module from a file path."""
    path = Path(path)
    name = name or f"modelc_generated_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def enable_compilation_cache(path: str | Path | None = None) -> Path:
    """Turn on JAX's persistent compilation cache (in the modelc cache folder by default).

    A second run of an unchanged model then loads its compiled XLA program
    from disk instead of compiling it again.
    """
    import jax

    path = Path(path) if path is not None else cache_dir() / "xla"
    path.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return path
