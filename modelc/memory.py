"""How much memory a solve may use: the limit (``MODELC_MEMORY_LIMIT`` or the memory
available now) and byte counts in words. A leaf module: it imports nothing numeric."""

from __future__ import annotations

import os
import re

__all__ = ["ENV_VAR", "available_memory", "memory_limit", "parse_bytes", "format_bytes"]

ENV_VAR = "MODELC_MEMORY_LIMIT"

_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
          "t": 10**12, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def available_memory() -> int | None:
    """Bytes of memory available now (Linux ``MemAvailable``), else None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def parse_bytes(text: str) -> int:
    """``"8GB"``, ``"512 MiB"``, ``"2e9"`` -> bytes; ValueError for anything else."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)\s*([a-zA-Z]*)\s*", text)
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _UNITS:
        raise ValueError(f"{text!r} is not an amount of memory (write e.g. 8GB, 512MiB or 2e9)")
    value = float(match.group(1)) * _UNITS[unit]
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{text!r} is not a positive amount of memory")
    return int(value)


def memory_limit() -> tuple[int | None, str]:
    """``(bytes, where it comes from)``: ``MODELC_MEMORY_LIMIT`` when set, else the memory
    available now (None when unknown, e.g. not on Linux).

    Raises:
        ValueError: for a ``MODELC_MEMORY_LIMIT`` that is not an amount of memory.
    """
    text = os.environ.get(ENV_VAR)
    if text:
        return parse_bytes(text), f"the limit {ENV_VAR}={text}"
    have = available_memory()
    return have, "the memory available now (set MODELC_MEMORY_LIMIT to change the limit)"


def format_bytes(n: float) -> str:
    """``n`` bytes in words: ``"1.6 GB"``, ``"800 MB"``, ``"12 kB"``."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} bytes"
