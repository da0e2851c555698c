"""Warm starts without tracing: a model's compiled solve serialized to disk.

JAX's persistent compilation cache (`modelc.xla_cache`) saves the XLA compile
of a second process, not the Python tracing and lowering of the solve, which
for a large model costs more than the compile. `ExportedRun` wraps the jitted
``run`` of `modelc.runs.run_function`: the first call with concrete arguments
looks for ``<modelc cache>/exported/<key>.executable``; if it is there, the
compiled executable is loaded (`jax.experimental.serialize_executable`) and
called, so nothing of the model is traced or compiled again; if not, the run
is lowered and compiled (once, as a jit would), stored, and called. The key is
made of the generated module's key (model text, file stem, compile options,
compiler fingerprint), the run's static options (method, step budget,
controller, ...), a fingerprint of modelc's sources (solvers included), the
JAX and jaxlib versions, the backend and CPU, and the shapes and dtypes of the
arguments. (`jax.export` would store portable StableHLO instead, but its
serialization needs the ``flatbuffers`` package.)

The file is a pickle (JAX's executable serialization uses one): like JAX's own
compilation cache and the generated modules beside it, the cache folder is
trusted, so do not share it with users you do not trust. It is used only when
the persistent cache is on (`modelc.xla_cache.active`), for calls with
concrete arguments (under ``vmap``/``grad``/``jit``, as in `modelc.fit` and
ensembles, the plain jitted run is traced as before), and not for runs with
externals or progress callbacks. A file that does not load (damaged, or from
another JAX) is replaced; any failure to serialize falls back to the plain
jitted run. An executable that calls LAPACK (the LU of stiff methods and of
the stiffness probe) is loaded after JAX's LAPACK kernels are registered,
which JAX otherwise does only when it lowers a linear solve itself.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
from functools import lru_cache
from pathlib import Path

import jax

from .cache import cache_dir

__all__ = ["ExportedRun", "runtime_fingerprint", "remembered_numbers", "remembered_value"]

logger = logging.getLogger("modelc.exported")
_PACKAGE = Path(__file__).resolve().parent

@lru_cache(maxsize=1)
def runtime_fingerprint() -> str:
    """A hash of modelc's sources (solvers and runtime included), JAX's versions and the
    backend: a change to any of them exports the solve again."""
    import jaxlib

    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        digest.update(str(path.relative_to(_PACKAGE)).encode())
        digest.update(path.read_bytes())
    digest.update(f"{jax.__version__} {jaxlib.__version__} {jax.default_backend()} "
                  f"{jax.config.jax_enable_x64} {_cpu()}".encode())
    return digest.hexdigest()


def _cpu() -> str:
    """The CPU model and flags (a compiled CPU executable may use any of them)."""
    import platform

    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines()
        wanted = [ln for ln in lines if ln.startswith(("model name", "flags"))][:2]
    except OSError:
        wanted = []
    return platform.machine() + platform.processor() + "".join(wanted)


def _signature(args) -> str:
    """The tree structure, shapes and dtypes of ``args`` (what an export is specialised to)."""
    leaves, tree = jax.tree_util.tree_flatten(args)
    parts = [str(tree)]
    for leaf in leaves:
        aval = jax.typeof(leaf) if hasattr(jax, "typeof") else jax.core.get_aval(leaf)
        parts.append(f"{aval.shape}:{aval.dtype}:{getattr(aval, 'weak_type', False)}")
    return ";".join(parts)


class ExportedRun:
    """``jitted`` (a jitted run) that serializes itself on its first concrete call and,
    in a later process, runs from the serialized form (module docstring)."""

    def __init__(self, jitted, key: str):
        self.jitted = jitted
        self.key = key
        self.loaded: dict = {}

    def __call__(self, *args):
        """Run on ``args``: the exported program for concrete arguments, else ``jitted``."""
        leaves = jax.tree_util.tree_leaves(args)
        if any(isinstance(x, jax.core.Tracer) for x in leaves):
            return self.jitted(*args)
        sig = _signature(args)
        fn = self.loaded.get(sig)
        if fn is None:
            fn = self._load_or_export(args, sig)
            self.loaded[sig] = fn
        if fn is self.jitted:
            return fn(*args)
        try:
            # wait for the result here: a failure of the stored program surfaces only when
            # its output is ready (asynchronous dispatch), after this handler otherwise
            return jax.block_until_ready(fn(*args))
        except jax.errors.JaxRuntimeError as err:  # e.g. a kernel this process has not registered
            logger.warning("modelc: the stored solve did not run (%s); tracing it instead", err)
            self.loaded[sig] = self.jitted
            self._forget(sig)
            return self.jitted(*args)

    def _forget(self, sig: str) -> None:
        """Remove the stored program for ``sig`` (it loads but does not run), so the next
        process exports it afresh instead of failing and tracing every time."""
        try:
            self._path(sig).unlink(missing_ok=True)
        except OSError as err:   # a read-only cache: each process falls back as this one did
            logger.info("modelc: the stored solve could not be removed (%s)", err)

    def _path(self, sig: str) -> Path:
        digest = hashlib.sha256("\0".join((self.key, runtime_fingerprint(), sig)).encode())
        return cache_dir() / "exported" / f"r_{digest.hexdigest()[:40]}.executable"

    def _load_or_export(self, args, sig: str):
        from jax.experimental import serialize_executable

        path = self._path(sig)
        if path.exists():
            try:
                payload, in_tree, out_tree, lapack = pickle.loads(path.read_bytes())
                if lapack:
                    _prepare_lapack()
                return serialize_executable.deserialize_and_load(payload, in_tree, out_tree)
            except Exception as err:  # damaged or foreign: compile and store again below
                logger.warning("modelc: the stored solve %s does not load (%s); compiling it "
                               "again", path, err)
        try:
            compiled = self.jitted.lower(*args).compile()
            lapack = "lapack_" in compiled.as_text()   # LU solves, in stiff methods and the probe
            data = pickle.dumps((*serialize_executable.serialize(compiled), lapack))
        except Exception as err:   # not serializable: the plain jitted run
            logger.info("modelc: the compiled solve cannot be stored (%s); it is traced per "
                        "process", err)
            return self.jitted
        _store(path, data)
        return compiled


def remembered_numbers(key: str, build) -> list:
    """The list of numbers ``build()`` returns, stored beside the exported solves under
    ``key`` (plus the runtime fingerprint) so that a later process reads it instead of
    tracing what ``build`` measures (`modelc.runs.choose_method`'s predicted work)."""
    import json

    digest = hashlib.sha256("\0".join((key, runtime_fingerprint())).encode())
    path = cache_dir() / "exported" / f"n_{digest.hexdigest()[:40]}.json"
    try:
        return [float(x) for x in json.loads(path.read_text(encoding="utf-8"))]
    except (OSError, ValueError, TypeError):
        numbers = [float(x) for x in build()]
        _store(path, json.dumps(numbers).encode())
        return numbers


def remembered_value(key: str, build):
    """The JSON-able value ``build()`` returns, stored beside the exported solves under
    ``key`` (plus the runtime fingerprint), so that a later process reads it instead of
    computing it again (`modelc.runs.choose_method`'s choice for the same inputs)."""
    import json

    digest = hashlib.sha256("\0".join((key, runtime_fingerprint())).encode())
    path = cache_dir() / "exported" / f"v_{digest.hexdigest()[:40]}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        value = build()
        _store(path, json.dumps(value).encode())
        return value


def _prepare_lapack() -> None:
    """Register JAX's LAPACK kernels, which JAX does lazily when it first lowers a linear
    solve: a loaded executable that calls them before that crashes the process."""
    import jax.numpy as jnp
    from jaxlib import lapack

    lapack.prepare_lapack_call("getrf_ffi", jnp.dtype("float64"))


def _store(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (a reader never sees half a file)."""
    import os
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError as err:   # a read-only cache: the next process exports again
        logger.info("modelc: cannot store the exported solve (%s)", err)
