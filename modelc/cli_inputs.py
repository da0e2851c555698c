"""Command-line inputs that are not numbers: external functions and array values.

``--external NAME=SOURCE:ATTRIBUTE`` binds a model's ``external NAME(...)`` to a
Python callable the user wrote: ``SOURCE`` is an importable module
(``mypkg.scores``) or the path of a ``.py`` file (``examples/diffusion_gmm.py``),
``ATTRIBUTE`` a dotted name inside it (``gmm_eps``, ``Net.apply``).  The
module is imported as Python imports it (a script's ``if __name__ ==
"__main__":`` block does not run); nothing of the command line is evaluated as
code, and every name is checked to be an identifier first.

``--y0 NAME=@FILE.npy`` reads an array state's value from a NumPy file (a
``.npz`` needs ``@FILE.npz:KEY``); plain ``NAME=VALUE`` stays a number.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Callable

import numpy as np

__all__ = ["parse_externals", "parse_values"]


def parse_externals(items: list[str]) -> dict[str, Callable]:
    """``["eps=examples/diffusion_gmm.py:gmm_eps", ...]`` -> ``{"eps": gmm_eps}``.

    Raises ``ValueError`` naming the flag and the item for a malformed item, a
    module or file that cannot be imported, a missing attribute or one that is
    not callable.
    """
    bound = {}
    for item in items:
        name, sep, target = item.partition("=")
        source, colon, attribute = target.rpartition(":")
        name = name.strip()
        if not sep or not colon or not source or not _dotted(attribute) or not name.isidentifier():
            raise ValueError(f"--external expects NAME=MODULE:FUNCTION or NAME=FILE.py:FUNCTION, "
                             f"got {item!r}")
        value = _module(source.strip(), item)
        for part in attribute.split("."):
            if not hasattr(value, part):
                raise ValueError(f"--external {item!r}: {source.strip()!r} has no attribute "
                                 f"{attribute!r}")
            value = getattr(value, part)
        if not callable(value):
            raise ValueError(f"--external {item!r}: {attribute!r} is not callable")
        bound[name] = value
    return bound


def parse_values(items: list[str], flag: str) -> dict:
    """``["k=0.5", "x=@noise.npy", "z=@data.npz:z0"]`` -> numbers and arrays by name."""
    values = {}
    for item in items:
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name:
            raise ValueError(f"{flag} expects NAME=VALUE or NAME=@FILE.npy, got {item!r}")
        if value.startswith("@"):
            values[name] = _array(value[1:], flag, name)
            continue
        try:
            values[name] = float(value)
        except ValueError:
            raise ValueError(f"{flag} {name}: {value!r} is not a number (an array is given "
                             "as @FILE.npy)") from None
    return values


def _dotted(text: str) -> bool:
    return bool(text) and all(part.isidentifier() for part in text.split("."))


def _module(source: str, item: str):
    """The module named by ``source``: a ``.py`` path, else a dotted module name."""
    if source.endswith(".py"):
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"--external {item!r}: no file {source!r}")
        module_name = "modelc_external_" + "".join(c if c.isalnum() else "_" for c in path.stem)
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
        return module
    if not _dotted(source):
        raise ValueError(f"--external {item!r}: {source!r} is neither a module name nor a "
                         ".py file")
    try:
        return importlib.import_module(source)
    except ImportError as err:
        raise ValueError(f"--external {item!r}: cannot import {source!r} ({err})") from None


def _array(spec: str, flag: str, name: str) -> np.ndarray:
    """The array of ``FILE.npy`` or ``FILE.npz:KEY``."""
    path, colon, key = spec.partition(":") if ".npz:" in spec else (spec, "", "")
    if not Path(path).is_file():
        raise ValueError(f"{flag} {name}: no file {path!r}")
    if path.endswith(".npz"):
        with np.load(path) as archive:
            if key not in archive:
                raise ValueError(f"{flag} {name}: {path!r} holds {sorted(archive)}, not "
                                 f"{key or '(no key given: write FILE.npz:KEY)'!r}")
            return np.asarray(archive[key], float)
    return np.asarray(np.load(path, allow_pickle=False), float)
