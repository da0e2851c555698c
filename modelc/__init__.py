"""modelc: a symbolic-to-numeric modeling compiler for JAX.

Public API (imported lazily, so that loading a cached model never imports
SymPy or the parser):

- `load(path)` and `parse(text)` give a compiled `Model`;
- `Model.solve(...)` returns a `Solution`; `Model.solver(...)` a pure JAX function;
- `Model.ensemble(...)` solves a batch (sharded over devices); `fit(...)` estimates
  parameters from data; `CheckpointAdjoint`/`BacksolveAdjoint`/`ForwardAdjoint`
  choose reverse mode (default: chosen by the number of differentiated scalars);
- `modelc.rl` holds learned step-size controllers (`controller="rl"`);
- `ModelError` is raised for problems in a model file, with file:line:col;
  `SolveError` (also a `ValueError`) for a solve that cannot be set up; both
  derive from `ModelcError`.

Importing ``modelc`` loads neither JAX nor SymPy. JAX's 64-bit mode (the modelc
default; ``MODELC_X64=0`` turns it off) is switched on by `modelc.runtime`, which
the numeric parts import first: the solvers, every generated module, and any of
the names below on first use.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import ModelcError, ModelError, SolveError

__all__ = [
    "__version__",
    "load",
    "parse",
    "compile_to_file",
    "Model",
    "Solution",
    "ModelcError",
    "ModelError",
    "SolveError",
    "Status",
    "enable_compilation_cache",
    "rl",
    "CheckpointAdjoint",
    "BacksolveAdjoint",
    "ForwardAdjoint",
    "fit",
    "distributed",
]

_LAZY = {
    "load": ("modelc.api", "load"),
    "parse": ("modelc.api", "parse"),
    "compile_to_file": ("modelc.api", "compile_to_file"),
    "Model": ("modelc.compiled", "CompiledModel"),
    "enable_compilation_cache": ("modelc.cache", "enable_compilation_cache"),
    "Solution": ("modelc.solution", "Solution"),
    "Status": ("modelc.solvers", "Status"),
    "CheckpointAdjoint": ("modelc.solvers.adjoint", "CheckpointAdjoint"),
    "BacksolveAdjoint": ("modelc.solvers.adjoint", "BacksolveAdjoint"),
    "ForwardAdjoint": ("modelc.solvers.adjoint", "ForwardAdjoint"),
    "fit": ("modelc.fitting", "fit"),
    "distributed": ("modelc.distributed", None),
    "rl": ("modelc.rl", None),
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        importlib.import_module("modelc.runtime")  # float64 before any array is made

        module_name, attr = _LAZY[name]
        module = importlib.import_module(module_name)
        value = module if attr is None else getattr(module, attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'modelc' has no attribute {name!r}")
