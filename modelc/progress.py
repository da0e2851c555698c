"""One overwritten progress line on stderr, shared by simulate, ensembles and RL training."""

from __future__ import annotations

import sys

__all__ = ["draw_progress"]


def draw_progress(done: int, total: int, detail: str = "", width: int = 30) -> None:
    """Redraw ``[####....] done/total detail`` on stderr (a newline once complete is
    the caller's choice: lines of later output would otherwise join this one)."""
    filled = width * done // max(total, 1)
    line = f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
    sys.stderr.write(f"{line} {detail}" if detail else line)
    sys.stderr.flush()
