"""The ``modelc`` command: check, show, compile, simulate and fit model files."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .cli_inputs import parse_externals, parse_values
from .errors import ModelError, SolveError
from .fit_cli import add_fit_parser
from .io.commands import add_import_parser
from .rl.commands import add_rl_parser
from .solvers.krylov import PHI_METHODS

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 on errors in the input)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except ModelError as err:
        print(err.render(), file=sys.stderr)
        return 1
    except (SolveError, OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelc", description="Compile model files to JAX and simulate them."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = sub.add_parser("check", help="parse and check model files; exit 1 on errors")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.set_defaults(run=_check)

    show = sub.add_parser("show", help="print a model's states, parameters and equations")
    show.add_argument("file", metavar="FILE")
    show.add_argument("--code", action="store_true", help="also print the generated module")
    show.add_argument("--reduce-conservation", action="store_true",
                      help="eliminate one species per conservation law first")
    _add_split_option(show)
    show.add_argument("--simplify", dest="simplify_report", action="store_true",
                      help="print each equation before and after simplification, with costs")
    show.add_argument("--latex", action="store_true", help="with --simplify: LaTeX expressions")
    _add_simplify_options(show)
    show.set_defaults(run=_show)

    comp = sub.add_parser("compile", help="write the generated JAX module of a model")
    comp.add_argument("file", metavar="FILE")
    comp.add_argument("-o", "--out", required=True, help="output .py file")
    _add_simplify_options(comp)
    comp.set_defaults(run=_compile)

    add_import_parser(sub)
    add_rl_parser(sub)
    add_fit_parser(sub)

    sim = sub.add_parser("simulate", help="solve a model; write CSV/NPZ and a plot")
    sim.add_argument("file", metavar="FILE")
    sim.add_argument("--t", nargs=2, type=float, metavar=("T0", "T1"), help="time span")
    sim.add_argument("--points", type=int, help="number of evenly spaced outputs")
    sim.add_argument("--method", help="a name from modelc.solvers.METHODS: tsit5, dopri5, "
                     "dopri8, bosh3, rodas5, kvaerno5, auto, rk4, euler, exprb32, exprb43, "
                     "etdrk43, etd1, etdrk2, etdrk4, etdrk4b, lawson4, etdab2, etdab3, "
                     "etdab4")
    sim.add_argument("--rtol", type=float)
    sim.add_argument("--atol", type=float)
    sim.add_argument("--dt", type=float, help="initial step (adaptive) or step (fixed-step)")
    sim.add_argument("--max-steps", type=int, default=100_000)
    sim.add_argument("--controller", help="pi (default), rl (the shipped learned policy) "
                                          "or a policy .npz file")
    sim.add_argument("--param", "-p", action="append", default=[], metavar="NAME=VALUE")
    sim.add_argument("--y0", action="append", default=[], metavar="NAME=VALUE",
                     help="initial value of a state; an array state's from a file: "
                          "NAME=@FILE.npy (or @FILE.npz:KEY)")
    sim.add_argument("--external", action="append", default=[],
                     metavar="NAME=MODULE:FUNCTION",
                     help="bind the model's external NAME to a Python function: MODULE is "
                          "an importable module or a .py file (repeatable)")
    sim.add_argument("--steps", type=int,
                     help="fixed-step methods and diffusion samplers: the number of steps")
    sim.add_argument("--dtype", choices=["float64", "float32"])
    sim.add_argument("--out", "-o", help="output file: .csv or .npz")
    sim.add_argument("--plot", help="write a PNG plot of the solution")
    sim.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                     help="show a progress bar (default: when stderr is a terminal)")
    sim.add_argument("--reduce-conservation", action="store_true",
                     help="eliminate one species per conservation law of the network")
    sim.add_argument("--no-cache", action="store_true",
                     help="recompile instead of using the module and XLA caches")
    _add_split_option(sim)
    sim.add_argument("--phi", choices=list(PHI_METHODS), default="auto",
                     help="phi-functions of a matrix-free L (fd fields, split kinds banded/"
                          "operator): dense (Pade), krylov (Arnoldi) or auto (dense up to "
                          "64 unknowns)")
    _add_simplify_options(sim)
    sim.set_defaults(run=_simulate)
    return parser


def _add_split_option(sub) -> None:
    sub.add_argument("--split", choices=["auto", "diagonal", "none"], default="auto",
                     help="semilinear split rhs = L*u + N for exponential methods "
                          "(default auto: the largest safe linear part)")


def _add_simplify_options(command) -> None:
    command.add_argument("--no-simplify", dest="simplify", action="store_false",
                         help="compile the equations as written (no e-graph simplification)")
    command.add_argument("--assume-positive", action="append", default=[], metavar="NAME",
                         help="treat this parameter or state as positive when simplifying "
                              "(repeatable)")


def _check(args) -> int:
    from .api import compile_source

    failed = False
    for name in args.files:
        try:
            # checking needs no simplification
            model, _ = compile_source(Path(name).read_text(encoding="utf-8"), name, simplify=False)
        except ModelError as err:
            print(err.render(), file=sys.stderr)
            failed = True
            continue
        counts = ", ".join(_plural(len(items), noun) for items, noun in (
            (model.states, "state"), (model.parameters, "parameter"), (model.observes, "observable")))
        print(f"{name}: ok ({counts})")
    return 1 if failed else 0


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _show(args) -> int:
    from .api import compile_source
    from .show import describe, describe_simplification

    model, source = compile_source(Path(args.file).read_text(encoding="utf-8"), args.file,
                                   reduce_conservation=args.reduce_conservation,
                                   split=args.split, simplify=args.simplify,
                                   assume_positive=args.assume_positive)
    print(describe(model))
    if args.simplify and model.simplification is not None and (args.simplify_report or args.latex):
        print(describe_simplification(model.simplification, latex=args.latex))
    if args.code:
        print("\n# generated module\n" + source)
    return 0


def _compile(args) -> int:
    from .api import compile_to_file

    out = compile_to_file(args.file, args.out, simplify=args.simplify,
                          assume_positive=args.assume_positive)
    print(f"wrote {out}")
    return 0


def _simulate(args) -> int:
    from .api import load
    from .cache import enable_compilation_cache
    from .simulate import run_simulation

    started = time.perf_counter()
    if not args.no_cache:
        enable_compilation_cache()
    model = load(args.file, cache_modules=not args.no_cache,
                 reduce_conservation=args.reduce_conservation, split=args.split,
                 simplify=args.simplify, assume_positive=args.assume_positive)
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    sol = run_simulation(
        model,
        t=args.t,
        points=args.points,
        method=args.method,
        rtol=args.rtol,
        atol=args.atol,
        dt0=args.dt,
        max_steps=args.max_steps,
        params=_assignments(args.param, "--param"),
        y0=parse_values(args.y0, "--y0"),
        externals=parse_externals(args.external) or None,
        steps=args.steps,
        dtype=args.dtype,
        progress=progress,
        controller=args.controller,
        phi=args.phi,
    )
    elapsed = time.perf_counter() - started
    stats = sol.stats
    print(f"{model.name}: {sol.message}; method {stats['method']}, {stats['steps']} steps "
          f"({stats['accepted']} accepted, {stats['rejected']} rejected), {stats['nfe']} rhs "
          f"evaluations" + (f", {stats['njev']} Jacobians" if stats.get("njev") else "")
          + f", {elapsed:.2f} s")
    if "auto" in stats:
        print(f"method auto: {stats['auto']}")
    if args.out:
        out = Path(args.out)
        if out.suffix == ".npz":
            sol.to_npz(out)
        else:
            sol.to_csv(out)
        print(f"wrote {out}")
    if args.plot:
        from .plot import plot_solution
        from .plot_fields import plot_fields

        from .plot_arrays import plot_arrays

        plot = (plot_arrays if model.is_array_model else plot_fields if sol.fields
                else plot_solution)
        plot(sol, args.plot, title=model.doc or model.name)
        print(f"wrote {args.plot}")
    return 0 if sol.ok else 1


def _assignments(items: list[str], flag: str) -> dict[str, float]:
    values = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"{flag} expects NAME=VALUE, got {item!r}")
        try:
            values[name.strip()] = float(value)
        except ValueError:
            raise ValueError(f"{flag} {name.strip()}: {value!r} is not a number") from None
    return values


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
