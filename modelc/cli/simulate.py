"""``modelc simulate FILE``: solve a model; print a summary, write CSV/NPZ and a plot."""

from __future__ import annotations

import argparse
import difflib
import math
import re
import sys
import time
import warnings
from pathlib import Path

from ..methods import PHI_METHODS
from .assignments import UsageError, function, number, number_or_array, parse_assignments
from .options import (add_method_option, add_model_inputs, add_simplify_options,
                      add_split_option, check_count, check_solver_options, check_times)

__all__ = ["add_parser", "run"]


def add_parser(sub) -> None:
    """Register ``modelc simulate FILE [options]``."""
    sim = sub.add_parser("simulate", help="solve a model; write CSV/NPZ and a plot")
    sim.add_argument("file", metavar="FILE")
    sim.add_argument("--t", nargs=2, type=float, metavar=("T0", "T1"), help="time span")
    sim.add_argument("--points", type=int, help="number of evenly spaced outputs")
    add_method_option(sim)
    sim.add_argument("--rtol", type=float)
    sim.add_argument("--atol", type=float)
    sim.add_argument("--dt", type=float, help="initial step (adaptive) or step (fixed-step)")
    sim.add_argument("--max-steps", type=int, default=100_000)
    sim.add_argument("--controller", help="pi (default), rl (the shipped learned policy) "
                                          "or a policy .npz file")
    sim.add_argument("--param", "-p", action="append", default=[], metavar="NAME=VALUE")
    add_model_inputs(sim)
    sim.add_argument("--steps", type=int,
                     help="fixed-step methods and diffusion samplers: the number of steps")
    sim.add_argument("--dtype", choices=["float64", "float32"])
    sim.add_argument("--out", "-o", help="output file: .csv or .npz")
    sim.add_argument("--plot", help="write a PNG plot of the solution (of the family of "
                                    "curves with --sweep)")
    sim.add_argument("--vars", metavar="A,B", help="plot only these states, observables or "
                                                   "fields (comma-separated)")
    sim.add_argument("--logy", action="store_true", help="logarithmic y axes in the plot")
    sim.add_argument("--sweep", metavar="NAME=START:STOP:COUNT",
                     help="solve for COUNT evenly spaced values of a parameter (or a state's "
                          "initial value) as one ensemble; --out writes one NPZ/CSV, --plot "
                          "the family of curves")
    sim.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                     help="show a progress bar (default: when stderr is a terminal)")
    sim.add_argument("--reduce-conservation", action="store_true",
                     help="eliminate one species per conservation law of the network")
    sim.add_argument("--no-cache", action="store_true",
                     help="recompile instead of using the module and XLA caches")
    add_split_option(sim)
    sim.add_argument("--phi", choices=list(PHI_METHODS), default="auto",
                     help="phi-functions of a matrix-free L (fd fields, split kinds banded/"
                          "operator): dense (Pade), krylov (Arnoldi) or auto (dense up to "
                          "64 unknowns)")
    add_simplify_options(sim)
    sim.set_defaults(run=run)


def run(args) -> int:
    """Solve and report; 0 when the solver reached the final time, else 1."""
    check_times("--t", args.t)
    check_count("--points", args.points, least=2)
    check_solver_options(args)
    params = parse_assignments(args.param, "--param", number)
    y0 = parse_assignments(args.y0, "--y0", number_or_array,
                           expects="NAME=VALUE or NAME=@FILE.npy")
    externals = parse_assignments(args.external, "--external", function,
                                  expects="NAME=MODULE:FUNCTION or NAME=FILE.py:FUNCTION")

    sweep = _parse_sweep(args.sweep)
    names = _parse_vars(args.vars)

    from ..api import load
    from ..cache import enable_compilation_cache
    from ..simulate import run_simulation
    from ..xla_cache import wanted as xla_cache_wanted

    started = time.perf_counter()
    if not args.no_cache and xla_cache_wanted():   # MODELC_XLA_CACHE=0 turns it off
        enable_compilation_cache()
    model = load(args.file, cache_modules=not args.no_cache,
                 reduce_conservation=args.reduce_conservation, split=args.split,
                 simplify=args.simplify, assume_positive=args.assume_positive)
    _check_vars(model, names)
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    if sweep is not None:
        return _run_sweep(model, args, sweep, names, params, y0, externals, started)
    with warnings.catch_warnings():   # a failed solve is said once, in the summary line
        warnings.filterwarnings("ignore", message=re.escape(f"model {model.name!r}: "),
                                category=RuntimeWarning)
        sol = run_simulation(model, t=args.t, points=args.points, method=args.method,
                             rtol=args.rtol, atol=args.atol, dt0=args.dt, max_steps=args.max_steps,
                             params=params, y0=y0, externals=externals or None, steps=args.steps,
                             dtype=args.dtype, progress=progress, controller=args.controller,
                             phi=args.phi)
    print(_summary(model, sol, time.perf_counter() - started))
    if args.out:
        _write(sol, Path(args.out))
    if args.plot:
        _plot(model, sol, args.plot, names, args.logy)
    return 0 if sol.ok else 1


def _parse_sweep(text: str | None):
    """``NAME=START:STOP:COUNT`` -> ``(name, values)``; UsageError otherwise."""
    if text is None:
        return None
    name, sep, spec = text.partition("=")
    parts = spec.split(":")
    try:
        if not sep or not name.strip() or len(parts) != 3:
            raise ValueError
        start, stop, count = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise UsageError(f"--sweep {text}: expected NAME=START:STOP:COUNT, e.g. "
                         "rho=20:40:64") from None
    if not (math.isfinite(start) and math.isfinite(stop)) or count < 2:
        raise UsageError(f"--sweep {text}: START and STOP must be finite and COUNT at least 2")
    from ..sweep import sweep_values

    return name.strip(), sweep_values(start, stop, count)


def _parse_vars(text: str | None):
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise UsageError("--vars: give names separated by commas, e.g. --vars x,y")
    return names


def _check_vars(model, names) -> None:
    """Refuse an unknown name in ``--vars`` before solving, with the close name."""
    if names is None:
        return
    known = (tuple(model.state_names) + tuple(model.observable_names)
             + tuple(getattr(model, "field_names", ()) or ()))
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise UsageError(f"--vars: no state, observable or field named {name!r}; {hint}"
                             f"(known: {', '.join(known)})")


def _run_sweep(model, args, sweep, names, params, y0, externals, started) -> int:
    """``--sweep``: the ensemble over the values, its summary, outputs and plot."""
    from ..errors import SolveError
    from ..sweep import run_sweep, write_sweep

    import numpy as np

    name, values = sweep
    if name in params or name in y0:
        raise UsageError(f"--sweep {name}: also given by --param/--y0; give it once")
    try:
        sol = run_sweep(model, name, values, t=args.t, points=args.points, method=args.method,
                        rtol=args.rtol, atol=args.atol, dt0=args.dt, max_steps=args.max_steps,
                        params=params or None, y0=y0 or None, externals=externals or None,
                        dtype=args.dtype)
    except SolveError as exc:
        raise UsageError(str(exc)) from None
    status = np.asarray(sol.status, dtype=int)
    ok = int((status == 0).sum())
    print(f"{model.name}: sweep of {name} over {len(values)} values in [{values[0]:g}, "
          f"{values[-1]:g}]: {ok} of {len(values)} reached the final time; method "
          f"{sol.stats['method']}, {time.perf_counter() - started:.2f} s"
          + (f"\nmethod auto: {sol.stats['auto']}" if "auto" in sol.stats else ""))
    if args.out:
        print(f"wrote {write_sweep(sol, name, values, args.out)}")
    if args.plot:
        from ..plot import plot_family

        plot_family(sol, args.plot, name, values, title=model.doc or model.name,
                    names=names, logy=args.logy)
        print(f"wrote {args.plot}")
    return 0 if ok == len(values) else 1


def _summary(model, sol, elapsed: float) -> str:
    """The summary line (then how each constraint was solved, and the auto method's reason)."""
    stats = sol.stats
    line = (f"{model.name}: {sol.message}; method {stats['method']}, {stats['steps']} steps "
            f"({stats['accepted']} accepted, {stats['rejected']} rejected), {stats['nfe']} rhs "
            f"evaluations" + (f", {stats['njev']} Jacobians" if stats.get("njev") else "")
            + f", {elapsed:.2f} s")
    if "constraints" in stats:  # how each constraint was solved (docs/dae.md)
        line += "\nconstraints: " + ", ".join(f"{state} {how}" for state, how in stats["constraints"].items())
    if getattr(model, "event_names", ()):
        line += "\n" + events_line(sol.events)
    return line + (f"\nmethod auto: {stats['auto']}" if "auto" in stats else "")


EVENTS_SHOWN = 10


def events_line(events, shown: int = EVENTS_SHOWN) -> str:
    """The events that fired, ``(time, name)`` in order, on one line: the first ``shown``
    and how many more."""
    if not events:
        return "events: none fired"
    listed = ", ".join(f"{name} at t = {t:.6g}" for t, name in events[:shown])
    more = f", ... ({len(events) - shown} more)" if len(events) > shown else ""
    return f"events: {len(events)} fired: {listed}{more}"


def _write(sol, out: Path) -> None:
    if out.suffix == ".npz":
        sol.to_npz(out)
    else:
        sol.to_csv(out)
    print(f"wrote {out}")


def _plot(model, sol, path: str, names=None, logy: bool = False) -> None:
    from ..plot import plot_solution
    from ..plot_arrays import plot_arrays
    from ..plot_fields import plot_fields

    title = model.doc or model.name
    if model.is_array_model:
        plot_arrays(sol, path, title=title)
    elif sol.fields:
        plot_fields(sol, path, title=title, names=names, logy=logy)
    else:
        plot_solution(sol, path, title=title, names=names, logy=logy)
    print(f"wrote {path}")
