"""Plots of solutions (needs the `plot` extra: matplotlib).

`plot_solution` draws scalar states and observables against time, grouped by
scale into subplots (:func:`group_by_scale`): a membrane potential near 100 and
gating variables in [0, 1] do not share an axis, nor does a species at 1e-7
with one at 1; ``logy`` puts every subplot on a logarithmic axis. `plot_family`
draws the curves of a parameter sweep (an ensemble), one subplot per variable,
coloured by the swept value.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .solution import Solution

__all__ = ["plot_solution", "plot_family", "group_by_scale", "series_names", "DECADES"]

DECADES = 1.5
"""Series whose magnitudes (largest absolute value) differ by more than this many
decades from the first of a subplot's group go to another subplot."""
_MAX_FAMILY_PANELS = 6


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def series_names(sol: Solution, names=None) -> list[str]:
    """The scalar series to plot: ``names`` (checked: a KeyError names an unknown one),
    else every state and observable (fields and array states excluded)."""
    if names is None:
        return list(sol.state_names) + list(sol.observable_names)
    for name in names:
        sol[name]  # noqa: B018 -- raises KeyError with a suggestion for an unknown name
    return list(names)


def _magnitude(values) -> float:
    """``log10`` of the largest finite absolute value (-inf for an all-zero series)."""
    values = np.abs(np.asarray(values, dtype=float))
    values = values[np.isfinite(values)]
    peak = float(values.max()) if values.size else 0.0
    return math.log10(peak) if peak > 0 else -math.inf


def group_by_scale(series: dict[str, np.ndarray], decades: float = DECADES) -> list[list[str]]:
    """``series`` split into groups of similar magnitude, largest first: a series joins
    the current group when its magnitude is within ``decades`` of the group's largest
    (all-zero series join whatever group they follow)."""
    ordered = sorted(series, key=lambda n: -_magnitude(series[n]))
    groups: list[list[str]] = []
    top = None
    for name in ordered:
        m = _magnitude(series[name])
        if groups and (m == -math.inf or top - m <= decades):
            groups[-1].append(name)
            continue
        groups.append([name])
        top = m
    return groups


def plot_solution(sol: Solution, path: str | Path, title: str = "", names=None,
                  logy: bool = False) -> Path:
    """Write a PNG of the scalar states and observables (or ``names``) against time, one
    subplot per group of similar scale (:func:`group_by_scale`), log axes with ``logy``."""
    plt = _pyplot()
    names = series_names(sol, names)
    groups = group_by_scale({n: sol[n] for n in names})
    fig, axes = plt.subplots(len(groups), 1, figsize=(9, 2.8 * len(groups) + 0.8), sharex=True,
                             squeeze=False)
    for ax, group in zip(axes[:, 0], groups):
        for name in group:
            ax.plot(sol.t, sol[name], label=name, linewidth=1.0)
        _finish_axis(ax, logy, ncol=min(4, len(group)))
    axes[-1, 0].set_xlabel("t")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def _finish_axis(ax, logy: bool, ncol: int = 1) -> None:
    if logy:
        ax.set_yscale("log")
    else:  # a conserved total drawn as "1e-12 + 1" offset ticks is noise, not information
        ax.ticklabel_format(axis="y", useOffset=False)
    ax.legend(loc="best", fontsize="small", ncol=ncol)


def plot_family(sol: Solution, path: str | Path, parameter: str, values, title: str = "",
                names=None, logy: bool = False) -> Path:
    """Write a PNG of an ensemble's curves: one subplot per variable (``names``, default
    the states and observables, at most 6), one line per member coloured by its value
    of the swept ``parameter`` (``values``, one per member), with a colour bar."""
    plt = _pyplot()
    from matplotlib import cm, colors

    names = series_names(sol, names)[:_MAX_FAMILY_PANELS]
    values = np.asarray(values, dtype=float)
    norm = colors.Normalize(vmin=float(values.min()), vmax=float(values.max()))
    cmap = plt.get_cmap("viridis")
    fig, axes = plt.subplots(len(names), 1, figsize=(9, 2.6 * len(names) + 0.8), sharex=True,
                             squeeze=False, layout="constrained")
    for ax, name in zip(axes[:, 0], names):
        curves = np.asarray(sol[name])
        for member, value in enumerate(values):
            ax.plot(sol.t, curves[member], color=cmap(norm(value)), linewidth=0.8)
        ax.set_ylabel(name)
        if logy:
            ax.set_yscale("log")
        else:
            ax.ticklabel_format(axis="y", useOffset=False)
    fig.colorbar(cm.ScalarMappable(norm=norm, cmap=cmap), ax=list(axes[:, 0]), label=parameter)
    axes[-1, 0].set_xlabel("t")
    fig.suptitle(title)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
