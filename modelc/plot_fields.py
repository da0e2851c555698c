"""Plots of field solutions: a space-time image (1-D) or snapshots (2-D) per field, and
the scalar states and observables against time below them (grouped by scale as in
`modelc.plot`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .plot import group_by_scale
from .solution import Solution

__all__ = ["plot_fields"]

_SNAPSHOTS = 4


def plot_fields(sol: Solution, path: str | Path, title: str = "", names=None,
                logy: bool = False) -> Path:
    """Write a PNG with one row per field: x-t image for 1-D grids, snapshots for 2-D ones;
    then the observables and scalar states against time, one row per group of similar
    scale (log axes with ``logy``). ``names`` picks fields and scalars (default all).

    Complex fields are shown by their modulus; a 3-D field by its middle slice.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scalars = list(sol.state_names) + list(sol.observable_names)
    if names is None:
        fields = list(sol.fields)
    else:
        for name in names:
            sol[name]  # noqa: B018 -- a KeyError names an unknown one
        fields = [n for n in names if n in sol.fields]
        scalars = [n for n in names if n not in sol.fields]
    groups = group_by_scale({n: sol[n] for n in scalars}) if scalars else []
    axes_names = list(sol.grid)
    one_d = len(axes_names) == 1
    cols = 1 if one_d else _SNAPSHOTS
    rows = len(fields) + len(groups)
    fig = plt.figure(figsize=(3.2 * cols + 3 * one_d, 3.0 * len(fields) + 2.4 * len(groups) + 0.6))
    grid = fig.add_gridspec(rows, cols)
    for row, name in enumerate(fields):
        values = sol.fields[name]
        label = f"|{name}|" if np.iscomplexobj(values) else name
        values = np.abs(values) if np.iscomplexobj(values) else values
        if one_d:
            _space_time(fig, fig.add_subplot(grid[row, 0]), sol, values, axes_names[0], label)
        else:
            row_axes = [fig.add_subplot(grid[row, c]) for c in range(cols)]
            _snapshots(fig, row_axes, sol, values, axes_names, label)
    for row, group in enumerate(groups, start=len(fields)):
        ax = fig.add_subplot(grid[row, :])
        for name in group:
            ax.plot(sol.t, sol[name], label=name, linewidth=1.0)
        if logy:
            ax.set_yscale("log")
        else:
            ax.ticklabel_format(axis="y", useOffset=False)
        ax.set_xlabel("t")
        ax.legend(loc="best", fontsize="small", ncol=min(4, len(group)))
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
