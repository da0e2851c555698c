"""Compile once: a disk cache of generated modules and JAX's compilation cache.

A generated module is stored under a key made of the model text, the stem of
its file name (a model without a header is named after its file) and a
fingerprint of the compiler (its version, grammar and the source of the
passes that produce code), so a change to any recompiles. A SHA-256 checksum
is stored beside each module; an entry whose checksum does not match
(truncated, emptied, overwritten) is removed with a warning and compiled
again. Loading a cached module needs neither SymPy nor the parser.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
import warnings
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


def module_key(text: str, options: str = "", file: str = "") -> str:
    """The cache key of a model's text compiled with ``options`` from ``file`` (only
    its stem counts: it names a model without a header)."""
    digest = hashlib.sha256()
    for part in (compiler_fingerprint(), options, Path(file).stem, text):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def cached_module_path(key: str) -> Path:
    """Where the generated module for ``key`` is (or would be) stored. A stored module
    whose checksum does not match is removed first, with a warning, so that it does
    not exist and the caller compiles the model again."""
    path = _module_path(key)
    if path.exists() and not _intact(path):
        warnings.warn(f"modelc: the cached module {path} is damaged (its checksum does not "
                      "match); compiling the model again", RuntimeWarning, stacklevel=2)
        for stale in (path, _checksum_path(path)):
            stale.unlink(missing_ok=True)
    return path


def _module_path(key: str) -> Path:
    return cache_dir() / "modules" / f"m_{key}.py"


def _checksum_path(module: Path) -> Path:
    return module.with_suffix(".sha256")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _intact(path: Path) -> bool:
    """Whether the module at ``path`` matches the checksum stored beside it."""
    try:
        expected = _checksum_path(path).read_text(encoding="ascii").strip()
        return expected == _digest(path.read_bytes())
    except (OSError, UnicodeDecodeError):
        return False


def store_module(key: str, source: str) -> Path:
    """Write a generated module and its checksum atomically into the cache (the checksum
    first, so a module on disk always has one); return its path."""
    path = _module_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = source.encode("utf-8")
    _write_atomic(_checksum_path(path), _digest(data).encode("ascii"))
    _write_atomic(path, data)
    return path


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


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
