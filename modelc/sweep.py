"""Parameter sweeps for the CLI: one ensemble over evenly spaced values, its outputs.

``modelc simulate m.model --sweep rho=20:40:64`` solves the model for 64 values
of ``rho`` from 20 to 40 as one ensemble (`modelc.ensemble`: batched, one
compiled program), writes one NPZ (every series with a leading member axis, the
swept values as ``sweep``) or one CSV in long form (a row per member and time:
``member``, the parameter, ``t``, the states and observables), and plots the
family of curves (`modelc.plot.plot_family`). A state's name sweeps its
initial value.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import SolveError
from .solution import Solution

__all__ = ["sweep_values", "run_sweep", "write_sweep"]


def sweep_values(start: float, stop: float, count: int) -> np.ndarray:
    """``count`` evenly spaced values from ``start`` to ``stop`` (both included)."""
    return np.linspace(float(start), float(stop), int(count))


def run_sweep(model, name: str, values, *, params=None, y0=None, **options) -> Solution:
    """The ensemble of ``model`` over ``values`` of parameter ``name`` (or of the initial
    value of state ``name``), the other ``params`` and ``y0`` shared by every member;
    ``options`` as `CompiledModel.ensemble` takes them. SolveError for a name that is
    neither."""
    values = np.asarray(values, dtype=float)
    params, y0 = dict(params or {}), dict(y0 or {})
    if name in model.param_names:
        params[name] = values
    elif name in model.state_names:
        y0[name] = values
    else:
        raise SolveError(f"--sweep {name}: not a parameter or state of model {model.name!r} "
                         f"(parameters: {', '.join(model.param_names) or 'none'})")
    return model.ensemble(params=params or None, y0=y0 or None, **options)


def write_sweep(sol: Solution, name: str, values, path: str | Path) -> Path:
    """Write the sweep's outputs: ``.npz`` (every series, shape ``(members, times)``, plus
    ``t``, ``sweep`` and ``sweep_name``) or ``.csv`` (long form, module docstring)."""
    path = Path(path)
    values = np.asarray(values, dtype=float)
    if path.suffix == ".npz":
        arrays = {"t": sol.t, "sweep": values, "sweep_name": np.asarray(name)}
        arrays.update({n: sol[n] for n in sol.names})
        arrays.update(sol.fields)
        arrays.update({f"grid_{axis}": nodes for axis, nodes in sol.grid.items()})
        arrays["status"] = np.asarray(sol.status, dtype=int)
        np.savez(path, **arrays)
        return path
    members, times = len(values), len(sol.t)
    columns = [np.repeat(np.arange(members), times), np.repeat(values, times),
               np.tile(sol.t, members)]
    columns += [np.asarray(sol[n]).reshape(-1) for n in sol.names]
    header = ",".join(["member", name, "t", *sol.names])
    np.savetxt(path, np.column_stack(columns), delimiter=",", header=header, comments="")
    return path
