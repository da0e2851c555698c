"""``modelc sample-search``: search a diffusion sampler schedule for a budget of evaluations.

    modelc sample-search MODEL.model --budget 10 --eps module:function --out schedule.npz

fits a schedule (`modelc.schedule_search.search`) on ``--samples`` start
points (standard normal noise of shape ``(samples, --dim)`` for the model's
array state, or ``--y0 x=@noise.npy``) against modelc's own tsit5 references,
writes it (``.npz`` or ``.json``), prints its per-step choices, and compares
every fixed sampler with it on ``--eval-samples`` other start points: a table
and a plot (``--plot``, default the schedule's name with ``.png``) of the mean
error against the number of evaluations. Several budgets (``--budget 5 10
20``) search one schedule each (``NAME_<budget>.npz``). A progress line is
drawn on stderr (``--progress``; default when stderr is a terminal).
Exposes `add_parser` (the subcommand) and `run` (its action).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


from ..errors import SolveError
from .assignments import function, number, number_or_array, parse_assignments

__all__ = ["COMPARED", "add_parser", "run"]

COMPARED = ("ddim", "dpm_solver_2", "dpm_solver_3", "dpm_solver_pp_2m", "deis_1", "deis_2",
            "deis_3", "deis_rho_2", "deis_rho_3")
"""The fixed samplers the schedule is compared with (on log-SNR grids)."""
PER_STEP = {"dpm_solver_2": 2, "dpm_solver_3": 3}


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``sample-search`` to an ``argparse`` subparsers object; returns its parser."""
    p = subparsers.add_parser(
        "sample-search", help="search a few-step diffusion sampler schedule (USF / S3 style)",
        description=__doc__.splitlines()[0])
    p.add_argument("file", metavar="MODEL", help="a diffusion model file (external eps)")
    p.add_argument("--budget", type=int, nargs="+", required=True,
                   help="eps evaluations per sample (one schedule per budget)")
    p.add_argument("--eps", required=True, metavar="SOURCE:FUNCTION",
                   help="the noise prediction: module:function or file.py:function")
    p.add_argument("--out", required=True, help="the schedule file (.npz or .json)")
    p.add_argument("--samples", type=int, default=64, help="start points to fit on (default 64)")
    p.add_argument("--eval-samples", type=int, default=500,
                   help="other start points to compare the samplers on (default 500; 0: skip)")
    p.add_argument("--dim", type=int, default=2, help="dimension of one sample (default 2)")
    p.add_argument("--y0", action="append", default=[], metavar="NAME=@FILE.npy",
                   help="the fitting start points instead of normal noise")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--t", type=float, nargs=2, metavar=("T0", "T1"),
                   help="the span (default: the file's simulate t)")
    p.add_argument("--seed", type=int, default=1, help="seed of the fitting noise (default 1)")
    p.add_argument("--rounds", type=int, default=3, help="greedy + fine-tuning rounds")
    p.add_argument("--iterations", type=int, default=300, help="Adam steps per round")
    p.add_argument("--plot", default=None, help="plot file (default: OUT with .png)")
    p.add_argument("--no-plot", action="store_true", help="write no plot")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show a progress line (default: when stderr is a terminal)")
    p.set_defaults(run=run)
    return p


def _noise(samples: int, dim: int, seed: int):
    import numpy as np  # here, not at the top: `modelc --help` and `check` do not load numpy

    import jax

    return np.asarray(jax.random.normal(jax.random.PRNGKey(seed), (samples, dim)))


def _start(model, args):
    """``(y0 to fit on, y0 to evaluate on)`` for the model's one array state."""
    import numpy as np  # here, not at the top: `modelc --help` and `check` do not load numpy

    arrays = model.array_state_names
    if len(arrays) != 1:
        raise SolveError(f"model {model.name!r} has array states {list(arrays)}; sample-search "
                         "needs exactly one (the samples, leading axis: sample)")
    name = arrays[0]
    given = parse_assignments(args.y0, "--y0", number_or_array, expects="NAME=@FILE.npy")
    fit = {name: given[name]} if name in given else {name: _noise(args.samples, args.dim, args.seed)}
    shape = np.shape(fit[name])
    test = {name: _noise(args.eval_samples, int(np.prod(shape[1:])), 0).reshape(
        (args.eval_samples, *shape[1:]))}
    return fit, test, name


def _out_path(out: Path, budget: int, several: bool) -> Path:
    return out.with_name(f"{out.stem}_{budget}{out.suffix}") if several else out


def _compare(model, externals, t, test, name, schedules, budgets):
    """``{method: {budget: (error, nfe)}}`` on the evaluation start points."""
    import numpy as np  # here, not at the top: `modelc --help` and `check` do not load numpy

    from ..schedule_search import reference_samples

    ref = np.asarray(reference_samples(model, test, externals, t)[0])
    n = ref.shape[0]

    def error(sol):
        return float(np.mean(np.linalg.norm(np.asarray(sol[name][-1]).reshape(n, -1) - ref,
                                            axis=-1)))

    rows = {}
    for method in COMPARED:
        rows[method] = {}
        for b in budgets:
            steps = max(1, b // PER_STEP.get(method, 1))
            sol = model.solve(t=t, y0=test, externals=externals, method=method, steps=steps)
            rows[method][b] = (error(sol), int(sol.stats["nfe"]))
    rows["searched"] = {b: (error(model.solve(t=t, y0=test, externals=externals,
                                              method="searched", schedule=s)), b)
                        for b, s in schedules.items()}
    return rows


def _table(rows, budgets) -> str:
    lines = [f"{'method':<18}" + "".join(f"{'nfe':>5}{'error':>10}" for _ in budgets)]
    for method, cells in rows.items():
        lines.append(f"{method:<18}" + "".join(f"{cells[b][1]:>5}{cells[b][0]:>10.2e}"
                                               for b in budgets))
    return "\n".join(lines)


def _plot(rows, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for method, cells in rows.items():
        nfe = [cells[b][1] for b in cells]
        err = [cells[b][0] for b in cells]
        style = ({"lw": 2.5, "color": "k", "marker": "o"} if method == "searched"
                 else {"marker": "."})
        ax.loglog(nfe, err, label=method, **style)
    ax.set_xlabel("eps evaluations per sample")
    ax.set_ylabel("mean error against tsit5 (rtol 1e-10)")
    ax.set_title(title)
    ax.legend(fontsize=8, ncol=2)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def run(args) -> int:
    """Search, save, print and compare (module docstring); returns the exit status 0."""
    import modelc

    from ..schedule_search import search

    model = modelc.load(args.file)
    declared = getattr(model.module, "EXTERNAL_NAMES", ())
    ext_name = declared[0] if len(declared) == 1 else "eps"
    externals = parse_assignments([f"{ext_name}={args.eps}"], "--eps", function,
                                  expects="MODULE:FUNCTION or FILE.py:FUNCTION")
    params = parse_assignments(args.param, "--param", number)
    t = tuple(args.t) if args.t else None
    if t is None:
        sim = model.simulate_defaults
        if "t0" not in sim:
            raise SolveError(f"model {model.name!r} has no simulate t: give --t T0 T1")
        t = (sim["t0"], sim["t1"])
    fit, test, name = _start(model, args)
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    out = Path(args.out)
    budgets = sorted(set(args.budget))
    schedules = {}
    for b in budgets:
        sched = search(model, b, externals=externals, y0=fit, t=t, params=params or None,
                       rounds=args.rounds, iterations=args.iterations, progress=progress)
        path = sched.save(_out_path(out, b, len(budgets) > 1))
        schedules[b] = sched
        cost = sched.info["cost"]
        print(sched.describe())
        print(f"fit error {sched.info['fit_error']:.3e} on {sched.info['fit_samples']} samples; "
              f"{cost['seconds']:.1f} s, {cost['sampler_runs']} sampler runs, "
              f"{cost['gradient_steps']} gradient steps, {cost['eps_evaluations']:,} eps "
              f"evaluations; wrote {path}")
    if args.eval_samples <= 0:
        return 0
    rows = _compare(model, externals, t, test, name, schedules, budgets)
    print(f"\nmean error on {args.eval_samples} other samples (fixed samplers on log-SNR grids):")
    print(_table(rows, budgets))
    if not args.no_plot:
        plot = Path(args.plot) if args.plot else out.with_suffix(".png")
        _plot(rows, plot, f"{model.name}: error against evaluations")
        print(f"wrote {plot}")
    return 0
