"""One overwritten progress line on stderr, shared by simulate, ensembles and RL training."""

from __future__ import annotations

import sys
import time

__all__ = ["draw_progress", "time_progress", "finish_time_progress"]

_REDRAW_SECONDS = 0.1
_last_drawn = [0.0]


def draw_progress(done: int, total: int, detail: str = "", width: int = 30) -> None:
    """Redraw ``[####....] done/total detail`` on stderr (a newline once complete is
    the caller's choice: lines of later output would otherwise join this one)."""
    filled = width * done // max(total, 1)
    line = f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
    sys.stderr.write(f"{line} {detail}" if detail else line)
    sys.stderr.flush()


def time_progress(t, t0, t1) -> None:
    """The loop's progress callback (`modelc.solvers.IntegrateOptions.progress`): redraw
    the line for time ``t`` of ``[t0, t1]`` at most every 0.1 s. One function for every
    solve, so that passing it does not change the compiled program between calls."""
    now = time.perf_counter()
    if now - _last_drawn[0] < _REDRAW_SECONDS:
        return
    _last_drawn[0] = now
    span = float(t1) - float(t0)
    done = 1000 if span == 0 else int(1000 * min(max((float(t) - float(t0)) / span, 0.0), 1.0))
    draw_progress(done, 1000, f"t = {float(t):.6g}", width=40)


def finish_time_progress() -> None:
    """Draw the full line and end it (after a solve that showed `time_progress`)."""
    draw_progress(1000, 1000, "", width=40)
    sys.stderr.write("\n")
    sys.stderr.flush()
    _last_drawn[0] = 0.0
