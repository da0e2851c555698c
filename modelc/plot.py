"""Plots of solutions (needs the `plot` extra: matplotlib)."""

from __future__ import annotations

from pathlib import Path

from .solution import Solution

__all__ = ["plot_solution"]


def plot_solution(sol: Solution, path: str | Path, title: str = "") -> Path:
    """Write a PNG with the states (top) and observables (bottom, if any) against time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = 2 if sol.observable_names else 1
    fig, axes = plt.subplots(rows, 1, figsize=(9, 3.2 * rows + 0.6), sharex=True, squeeze=False)
    for name in sol.state_names:
        axes[0, 0].plot(sol.t, sol[name], label=name, linewidth=1.0)
    axes[0, 0].set_ylabel("states")
    axes[0, 0].legend(loc="upper right", fontsize="small", ncol=min(4, len(sol.state_names)))
    if sol.observable_names:
        for name in sol.observable_names:
            axes[1, 0].plot(sol.t, sol[name], label=name, linewidth=1.0)
        axes[1, 0].set_ylabel("observables")
        axes[1, 0].legend(loc="upper right", fontsize="small")
    axes[-1, 0].set_xlabel("t")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
