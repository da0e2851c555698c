"""Plots of field solutions: a space-time image (1-D) or snapshots (2-D)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .solution import Solution

__all__ = ["plot_fields"]

_SNAPSHOTS = 4


def plot_fields(sol: Solution, path: str | Path, title: str = "") -> Path:
    """Write a PNG with one row per field: x-t image for 1-D grids, snapshots for 2-D ones.

    Complex fields are shown by their modulus; a 3-D field by its middle slice.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(sol.fields)
    axes_names = list(sol.grid)
    one_d = len(axes_names) == 1
    cols = 1 if one_d else _SNAPSHOTS
    fig, axes = plt.subplots(len(names), cols, figsize=(3.2 * cols + 3 * one_d, 3.0 * len(names) + 0.6),
                             squeeze=False)
    for row, name in enumerate(names):
        values = sol.fields[name]
        label = f"|{name}|" if np.iscomplexobj(values) else name
        values = np.abs(values) if np.iscomplexobj(values) else values
        if one_d:
            _space_time(fig, axes[row, 0], sol, values, axes_names[0], label)
        else:
            _snapshots(fig, axes[row], sol, values, axes_names, label)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def _space_time(fig, ax, sol, values, axis, label):
    x = sol.grid[axis]
    image = ax.pcolormesh(x, sol.t, values, shading="auto", cmap="viridis")
    ax.set_xlabel(axis)
    ax.set_ylabel("t")
    fig.colorbar(image, ax=ax, label=label)


def _snapshots(fig, row_axes, sol, values, axes_names, label):
    x, y = sol.grid[axes_names[0]], sol.grid[axes_names[1]]
    picks = np.linspace(0, len(sol.t) - 1, len(row_axes)).round().astype(int)
    for ax, i in zip(row_axes, picks):
        frame = values[i]
        while frame.ndim > 2:
            frame = frame[..., frame.shape[-1] // 2]
        image = ax.pcolormesh(x, y, frame.T, shading="auto", cmap="viridis")
        ax.set_aspect("equal")
        ax.set_title(f"{label}, t = {sol.t[i]:.3g}", fontsize="small")
        fig.colorbar(image, ax=ax, fraction=0.046)
