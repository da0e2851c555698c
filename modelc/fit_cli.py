"""The ``modelc fit`` command: estimate parameters of a model file from data (CSV or .npz)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

__all__ = ["add_fit_parser", "parse_bounds"]


def add_fit_parser(sub) -> None:
    """Register ``modelc fit MODEL DATA --params a,b [--bounds a=lo:hi,...]``."""
    p = sub.add_parser("fit", help="estimate parameters from data (least squares)")
    p.add_argument("file", metavar="MODEL")
    p.add_argument("data", metavar="DATA", help="CSV with a 't' column and columns named "
                   "after states or observables, or .npz with arrays 't' and those names "
                   "(an array state's of shape (times, *shape))")
    p.add_argument("--params", required=True, help="comma-separated names to estimate")
    p.add_argument("--bounds", default="", help="e.g. k1=0:10,k2=1e-3: (empty side = none)")
    p.add_argument("--initial", default="", help="starting values, e.g. k1=0.5,k2=2")
    p.add_argument("--y0", action="append", default=[], metavar="NAME=VALUE",
                   help="initial value of a state; an array state's NAME=@FILE.npy")
    p.add_argument("--external", action="append", default=[], metavar="NAME=MODULE:FUNCTION",
                   help="bind the model's external NAME to a Python function (a module or "
                        "a .py file; repeatable)")
    p.add_argument("--method", default="tsit5")
    p.add_argument("--rtol", type=float, default=1e-8)
    p.add_argument("--atol", type=float, default=1e-10)
    p.add_argument("--max-iter", type=int, default=500)
    p.add_argument("--plot", help="write a PNG of the fit against the data and the loss curve")
    p.add_argument("--out", "-o", help="write the estimates as JSON")
    p.set_defaults(run=_fit)


def parse_bounds(text: str) -> dict:
    """``"k1=0:10,k2=1e-3:"`` -> ``{"k1": (0.0, 10.0), "k2": (0.001, None)}``."""
    bounds = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        name, sep, rng = item.partition("=")
        lo, colon, hi = rng.partition(":")
        if not sep or not colon:
            raise ValueError(f"--bounds expects NAME=LOW:HIGH, got {item!r}")
        bounds[name.strip()] = (float(lo) if lo.strip() else None,
                                float(hi) if hi.strip() else None)
    return bounds


def _values(text: str) -> dict:
    out = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--initial expects NAME=VALUE, got {item!r}")
        out[name.strip()] = float(value)
    return out


def _fit(args) -> int:
    from .api import load
    from .cli_inputs import parse_externals, parse_values
    from .fitting import fit

    model = load(args.file)
    params = [p.strip() for p in args.params.split(",") if p.strip()]
    res = fit(model, args.data, params, bounds=parse_bounds(args.bounds),
              initial=_values(args.initial), method=args.method, rtol=args.rtol,
              atol=args.atol, max_iter=args.max_iter, y0=parse_values(args.y0, "--y0"),
              externals=parse_externals(args.external) or None)
    print(f"{model.name}: {'converged' if res.success else 'NOT converged'} "
          f"({res.message}); loss {res.loss:.6g} after {len(res.history)} iterations")
    width = max(len(p) for p in params)
    for p in params:
        print(f"  {p:>{width}} = {res.params[p]:.6g} ± {res.stderr[p]:.2g}")
    print("loss curve: " + " ".join(f"{v:.3g}" for v in res.history[:: max(1, len(
        res.history) // 10)]))
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
