"""Entry points: model text or file -> compiled model (`CompiledModel`).

The pipeline is `PASSES` applied in order to the parsed IR, then code
generation. A file's generated module is cached on disk (see `modelc.cache`),
so loading an unchanged file again skips parsing and code generation.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from . import cache
from .compiled import CompiledModel

__all__ = ["load", "parse", "compile_source", "compile_to_file", "PASSES"]

# Pure passes ``ir.Model -> ir.Model``, in order. (Reaction lowering, PDE
# discretisation, simplification and splitting join here as they are built.)
PASSES: tuple = ()


def _lower(model):
    for run_pass in PASSES:
        model = run_pass(model)
    return model


def compile_source(text: str, file: str = "<string>") -> tuple[object, str]:
    """Parse, check, lower and generate: returns ``(ir_model, module_source)``.

    Raises:
        ModelError: for any problem in the model text, with file:line:col.
    """
    from .codegen.module import generate_module
    from .frontend.parser import parse_source

    model = _lower(parse_source(text, file))
    return model, generate_module(model, source_hash=cache.module_key(text))


def parse(text: str, file: str = "<string>", *, cache_modules: bool = True) -> CompiledModel:
    """Compile model text into a `CompiledModel` (its generated module is cached too).

    Raises:
        ModelError: for any problem in the text, naming ``file:line:col``.
    """
    key = cache.module_key(text)
    cached = cache.cached_module_path(key)
    if cache_modules and cached.exists():
        module = cache.import_module_file(cached)
        return CompiledModel(module, source=cached.read_text(encoding="utf-8"),
                             model_text=text, file=file)
    model, source = compile_source(text, file)
    if cache_modules:
        module_path = cache.store_module(key, source)
    else:
        folder = Path(tempfile.mkdtemp(prefix="modelc_"))
        module_path = folder / f"m_{key}.py"
        module_path.write_text(source, encoding="utf-8")
    return CompiledModel(cache.import_module_file(module_path), source=source, ir=model)


def load(path: str | Path, *, cache_modules: bool = True) -> CompiledModel:
    """Compile a ``.model`` file into a `CompiledModel`, using the module cache.

    Args:
        path: the model file.
        cache_modules: reuse (and store) the generated module in the cache
            folder; ``False`` always recompiles.
    Raises:
        ModelError: for any problem in the file, naming ``path:line:col``.
    """
    path = Path(path)
    return parse(path.read_text(encoding="utf-8"), str(path), cache_modules=cache_modules)


def compile_to_file(path: str | Path, out: str | Path) -> Path:
    """Compile a model file and write its generated module to ``out``."""
    path = Path(path)
    _, source = compile_source(path.read_text(encoding="utf-8"), str(path))
    out = Path(out)
    out.write_text(source, encoding="utf-8")
    return out
