"""The one reader of ``NAME=VALUE`` options, and the readers of their values.

Every option of the form ``NAME=VALUE`` (``--param``, ``--y0``, ``--external``,
``--bounds``, ``--initial``, ``--range``) goes through `parse_assignments`: the
name must be an identifier and given once, and the value is read by a small
function that turns text into data — a finite number, a ``LOW:HIGH``
interval, an array from a NumPy file, or a Python function named
``MODULE:FUNCTION``. Nothing from the command line is evaluated as code: a
number is read by `float`, and ``--external`` imports a module the way Python
imports it, after checking every name in the spec is an identifier.
"""

from __future__ import annotations

import importlib
import importlib.util
import keyword
import math
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

__all__ = ["UsageError", "parse_assignments", "split_list", "number", "interval",
           "open_interval", "number_or_array", "function"]

T = TypeVar("T")


class UsageError(ValueError):
    """A command-line value that cannot be used; the CLI prints it as one ``error:`` line."""


def parse_assignments(items: Iterable[str], flag: str, read: Callable[[str], T],
                      expects: str = "NAME=VALUE") -> dict[str, T]:
    """``["k=0.5", "mu=2"]`` -> ``{"k": read("0.5"), "mu": read("2")}``.

    Args:
        items: the option's values, one assignment each.
        flag: the option, for messages (``--param``).
        read: turns the text after ``=`` into a value; raises ``ValueError``
            with a message that names no flag (this function adds it).
        expects: the form shown when an item has no ``=`` or no valid name.
    Raises:
        UsageError: for an item without ``=``, a name that is not an
            identifier, a name given twice, or a value ``read`` refuses.
    """
    values: dict[str, T] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier() or keyword.iskeyword(name):
            raise UsageError(f"{flag} expects {expects}, got {item!r}")
        if name in values:
            raise UsageError(f"{flag} {name} is given twice")
        try:
            values[name] = read(text.strip())
        except UsageError:
            raise
        except ValueError as err:
            raise UsageError(f"{flag} {name}: {err}") from None
    return values


def split_list(text: str) -> list[str]:
    """``"a=1, b=2,"`` -> ``["a=1", "b=2"]`` (a comma-separated option value)."""
    return [part.strip() for part in text.split(",") if part.strip()]


def number(text: str) -> float:
    """A finite number written as Python's `float` reads it (``2``, ``-1e-3``)."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value


def interval(text: str) -> tuple[float, float]:
    """``"0.5:3"`` -> ``(0.5, 3.0)``: both ends given, low below high."""
    low, high = open_interval(text)
    if low is None or high is None:
        raise ValueError(f"{text!r} needs both ends (write NAME=LOW:HIGH)")
    return low, high


def open_interval(text: str) -> tuple[float | None, float | None]:
    """``"0:10"`` -> ``(0.0, 10.0)``; an empty side is None (``"1e-3:"`` has no upper end)."""
    low, colon, high = text.partition(":")
    if not colon:
        raise ValueError(f"{text!r} is not LOW:HIGH (write NAME=LOW:HIGH; leave a side empty "
                         "for none)")
    ends = tuple(number(end.strip()) if end.strip() else None for end in (low, high))
    if None not in ends and ends[0] > ends[1]:
        raise ValueError(f"the low end {ends[0]:g} is above the high end {ends[1]:g}")
    return ends


def number_or_array(text: str):
    """A number, or an array from a NumPy file: ``@FILE.npy`` or ``@FILE.npz:KEY``."""
    if not text.startswith("@"):
        try:
            return number(text)
        except ValueError as err:
            raise ValueError(f"{err} (an array is given as @FILE.npy)") from None
    import numpy as np

    spec = text[1:]
    path, _, key = spec.partition(":") if ".npz:" in spec else (spec, "", "")
    if not Path(path).is_file():
        raise ValueError(f"no file {path!r}")
    if not path.endswith(".npz"):
        return np.asarray(np.load(path, allow_pickle=False), float)
    with np.load(path, allow_pickle=False) as archive:
        if key not in archive:
            raise ValueError(f"{path!r} holds {sorted(archive)}, not "
                             f"{key or '(no key given: write FILE.npz:KEY)'!r}")
        return np.asarray(archive[key], float)


def function(text: str) -> Callable:
    """The callable named ``MODULE:ATTRIBUTE`` or ``FILE.py:ATTRIBUTE`` (``ATTRIBUTE`` dotted).

    ``MODULE`` is an importable module (``mypkg.scores``), ``FILE.py`` the
    path of a Python file, imported as Python imports it (a script's ``if
    __name__ == "__main__":`` block does not run).
    """
    source, colon, attribute = text.rpartition(":")
    source = source.strip()
    if not colon or not source or not _dotted(attribute):
        raise ValueError(f"expects NAME=MODULE:FUNCTION or NAME=FILE.py:FUNCTION, got {text!r}")
    value = _module(source)
    for part in attribute.split("."):
        if not hasattr(value, part):
            raise ValueError(f"{source!r} has no attribute {attribute!r}")
        value = getattr(value, part)
    if not callable(value):
        raise ValueError(f"{attribute!r} is not callable")
    return value


def _dotted(text: str) -> bool:
    return bool(text) and all(part.isidentifier() for part in text.split("."))


def _module(source: str):
    """The module named by ``source``: a ``.py`` path, else a dotted module name."""
    if source.endswith(".py"):
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"no file {source!r}")
        module_name = "modelc_external_" + "".join(c if c.isalnum() else "_" for c in path.stem)
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as err:  # the user's file failed: say so in one line
            del sys.modules[module_name]
            raise ValueError(f"running {source!r} failed ({type(err).__name__}: {err})") from None
        return module
    if not _dotted(source):
        raise ValueError(f"{source!r} is neither a module name nor a .py file")
    try:
        return importlib.import_module(source)
    except ImportError as err:
        raise ValueError(f"cannot import {source!r} ({err})") from None
    except Exception as err:  # the module raised while importing
        raise ValueError(f"importing {source!r} failed ({type(err).__name__}: {err})") from None
