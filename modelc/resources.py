"""Files shipped with modelc: where the grammar lives."""

from __future__ import annotations

from pathlib import Path

__all__ = ["grammar_path"]

_PACKAGE = Path(__file__).resolve().parent


def grammar_path() -> Path:
    """The grammar file: inside the installed package (wheel), else the source tree's ``grammar/``."""
    for candidate in (_PACKAGE / "grammar" / "modelc.lark", _PACKAGE.parent / "grammar" / "modelc.lark"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        "modelc's grammar file modelc.lark is missing from the installation; reinstall modelc"
    )
