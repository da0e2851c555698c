"""Plots of array states (``state x: array``), whose shape comes from ``y0``.

One row per array state, chosen by its shape per output ``(times, *shape)``:

* points in the plane, shape ``(n, 2)`` (e.g. diffusion-model samples): a
  scatter of the first and of the last output;
* a few components (at most :data:`_LINES` in all): each against time;
* otherwise the components flattened, as an image over time and component.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .solution import Solution

__all__ = ["plot_arrays"]

_LINES = 10


def plot_arrays(sol: Solution, path: str | Path, title: str = "") -> Path:
    """Write a PNG with one row per array state (module docstring)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(sol.fields)
    fig, axes = plt.subplots(len(names), 2, figsize=(9, 3.6 * len(names) + 0.6), squeeze=False)
    for row, name in enumerate(names):
        values = np.asarray(sol.fields[name])
        values = np.abs(values) if np.iscomplexobj(values) else values
        left, right = axes[row]
        if values.ndim == 3 and values.shape[-1] == 2:
            for ax, i in ((left, 0), (right, -1)):
                ax.scatter(values[i, :, 0], values[i, :, 1], s=2, alpha=0.5)
                ax.set_title(f"{name} at t = {sol.t[i]:.4g}")
                ax.set_aspect("equal", adjustable="datalim")
            continue
        flat = values.reshape(values.shape[0], -1)
        if flat.shape[1] <= _LINES:
            left.plot(sol.t, flat, linewidth=1.0)
            left.set_xlabel("t")
            left.set_title(name)
        else:
            image = left.imshow(flat.T, aspect="auto", origin="lower",
                                extent=(sol.t[0], sol.t[-1], 0, flat.shape[1]))
            fig.colorbar(image, ax=left)
            left.set_xlabel("t")
            left.set_ylabel(f"{name} component")
        right.hist(flat[-1], bins=40)
        right.set_title(f"{name} at t = {sol.t[-1]:.4g}: values")
    fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
