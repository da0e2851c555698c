"""``modelc fit MODEL DATA --params a,b``: estimate parameters of a model file from data.

Before any solve, the command refuses what would be silently ignored or
dropped: a bound or starting value for a name that is not estimated (a typo
gets the close name suggested), a data file without rows, a data time that is
not finite, out of order or before the model's start time, and an infinite
data value — each naming the file and row.
"""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path

from .assignments import (UsageError, function, number, number_or_array, open_interval,
                          parse_assignments, split_list)
from .options import add_method_option, add_model_inputs, check_count, check_solver_options

__all__ = ["add_parser", "run", "parse_bounds", "check_estimated", "check_data"]


def add_parser(sub) -> None:
    """Register ``modelc fit MODEL DATA --params a,b [--bounds a=lo:hi,...]``."""
    p = sub.add_parser("fit", help="estimate parameters from data (least squares)")
    p.add_argument("file", metavar="MODEL")
    p.add_argument("data", metavar="DATA", help="CSV with a 't' column and columns named "
                   "after states or observables, or .npz with arrays 't' and those names "
                   "(an array state's of shape (times, *shape))")
    p.add_argument("--params", required=True, help="comma-separated names to estimate")
    p.add_argument("--bounds", default="", help="e.g. k1=0:10,k2=1e-3: (empty side = none)")
    p.add_argument("--initial", default="", help="starting values, e.g. k1=0.5,k2=2")
    add_model_inputs(p)
    add_method_option(p, default="tsit5")
    p.add_argument("--rtol", type=float, default=1e-8)
    p.add_argument("--atol", type=float, default=1e-10)
    p.add_argument("--max-iter", type=int, default=500)
    p.add_argument("--starts", type=int, default=1,
                   help="local fits to run: the first from --initial, the others from a Latin "
                        "hypercube within --bounds (finite bounds needed); the best is kept")
    p.add_argument("--windows", type=int, default=1,
                   help="fit the first 1/N of the data, then 2/N, ..., then all of it, each "
                        "from the last estimate (oscillating data: try 4)")
    p.add_argument("--seed", type=int, default=0, help="the Latin hypercube's seed")
    p.add_argument("--plot", help="write a PNG of the fit against the data and the loss curve")
    p.add_argument("--out", "-o", help="write the estimates as JSON")
    p.set_defaults(run=run)


def parse_bounds(text: str) -> dict:
    """``"k1=0:10,k2=1e-3:"`` -> ``{"k1": (0.0, 10.0), "k2": (0.001, None)}``."""
    return parse_assignments(split_list(text), "--bounds", open_interval,
                             expects="NAME=LOW:HIGH")


def check_estimated(flag: str, names, params: list[str], model_params) -> None:
    """Refuse a ``--bounds``/``--initial`` name that is not among ``--params``.

    A name the model does not have gets the closest parameter name suggested;
    a parameter that is not estimated is named as such.
    """
    for name in names:
        if name in params:
            continue
        if name in model_params:
            raise UsageError(f"{flag} {name}: {name!r} is not estimated (--params "
                             f"{','.join(params)}); add it to --params or leave it out")
        close = difflib.get_close_matches(name, params, n=1) or difflib.get_close_matches(
            name, model_params, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UsageError(f"{flag} {name}: the model has no parameter named {name!r}{hint}")


def check_data(data: dict, source: str, t0: float | None, csv: bool) -> None:
    """Refuse data the fit would drop or misread, naming the row.

    Args:
        data: columns by name, ``t`` included (`modelc.fitting.read_data`).
        source: the file name, for messages.
        t0: the model's start time, or None (the fit then starts at the
            first data time).
        csv: rows are CSV lines (row i is line i + 2, after the header);
            otherwise entries of the ``.npz`` arrays.
    """
    import numpy as np

    t = np.asarray(data["t"], float).ravel()
    if t.size == 0:
        raise UsageError(f"{source}: no data rows (only the header)" if csv
                         else f"{source}: the array 't' is empty")
    row = (lambda i: f"{source}:{i + 2}") if csv else (lambda i: f"{source}: row {i}")
    bad = _first(~np.isfinite(t))
    if bad is not None:
        raise UsageError(f"{row(bad)}: the time is {'missing' if np.isnan(t[bad]) else t[bad]}; "
                         "every row needs a finite time")
    for name, column in data.items():
        values = np.reshape(np.asarray(column, float), (len(column), -1))
        bad = _first(np.isinf(values).any(axis=1))
        if bad is not None:
            raise UsageError(f"{row(bad)}: {name!r} is infinite; leave a missing value "
                             "empty (NaN in a .npz)")
    bad = _first(np.diff(t) < 0)
    if bad is not None:
        raise UsageError(f"{row(bad + 1)}: t = {t[bad + 1]:g} comes after t = {t[bad]:g}; "
                         "the rows must be in time order")
    if t0 is not None and t[0] < t0:
        raise UsageError(f"{row(0)}: t = {t[0]:g} is before the model's start time {t0:g} "
                         "(its simulate t); drop the row or change the model's start")


def _first(flags) -> int | None:
    """The index of the first true entry, or None."""
    import numpy as np

    hits = np.flatnonzero(flags)
    return int(hits[0]) if hits.size else None


def run(args) -> int:
    """Fit and report; 0 when the optimizer converged, else 1."""
    check_solver_options(args)
    check_count("--max-iter", args.max_iter)
    check_count("--starts", args.starts)
    check_count("--windows", args.windows)
    params = split_list(args.params)
    if not params:
        raise UsageError("--params names no parameter (write e.g. --params k1,k2)")
    bounds = parse_bounds(args.bounds)
    initial = parse_assignments(split_list(args.initial), "--initial", number)
    y0 = parse_assignments(args.y0, "--y0", number_or_array,
                           expects="NAME=VALUE or NAME=@FILE.npy")
    externals = parse_assignments(args.external, "--external", function,
                                  expects="NAME=MODULE:FUNCTION or NAME=FILE.py:FUNCTION")

    from ..api import load
    from ..fitting import fit, read_data

    model = load(args.file)
    for flag, names in (("--bounds", bounds), ("--initial", initial)):
        check_estimated(flag, names, params, model.param_names)
    data = read_data(args.data)
    check_data(data, args.data, model.simulate_defaults.get("t0"),
               csv=not str(args.data).endswith(".npz"))
    res = fit(model, data, params, bounds=bounds, initial=initial, method=args.method,
              rtol=args.rtol, atol=args.atol, max_iter=args.max_iter, y0=y0,
              externals=externals or None, starts=args.starts, windows=args.windows,
              seed=args.seed)
    _report(model, params, res)
    if args.out:
        Path(args.out).write_text(json.dumps({"params": res.params, "stderr": res.stderr,
                                              "loss": res.loss, "history": res.history,
                                              "success": res.success}, indent=2))
        print(f"wrote {args.out}")
    if args.plot:
        res.plot(args.plot)
        print(f"wrote {args.plot}")
    sys.stdout.flush()
    return 0 if res.success else 1


def _report(model, params: list[str], res) -> None:
    print(f"{model.name}: {res.message}; loss {res.loss:.6g} after {len(res.history)} evaluations")
    if len(res.starts) > 1:
        print("loss of each start: " + " ".join(f"{v:.3g}" for v in res.starts))
    width = max(len(p) for p in params)
    for p in params:
        print(f"  {p:>{width}} = {res.params[p]:.6g} ± {res.stderr[p]:.2g}")
    print("loss curve: " + " ".join(f"{v:.3g}" for v in res.history[:: max(1, len(
        res.history) // 10)]))
