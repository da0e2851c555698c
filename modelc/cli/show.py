"""``modelc show FILE``: a model's states, parameters and equations (and its generated code).

Imports neither JAX nor anything that does.
"""

from __future__ import annotations

from .options import add_simplify_options, add_split_option, read_source

__all__ = ["add_parser", "run"]


def add_parser(sub) -> None:
    """Register ``modelc show FILE [--code] [--simplify [--latex]] ...``."""
    show = sub.add_parser("show", help="print a model's states, parameters and equations")
    show.add_argument("file", metavar="FILE")
    show.add_argument("--code", action="store_true", help="also print the generated module")
    show.add_argument("--reduce-conservation", action="store_true",
                      help="eliminate one species per conservation law first")
    add_split_option(show)
    show.add_argument("--simplify", dest="simplify_report", action="store_true",
                      help="print each equation before and after simplification, with costs")
    show.add_argument("--latex", action="store_true", help="with --simplify: LaTeX expressions")
    add_simplify_options(show)
    show.set_defaults(run=run)


def run(args) -> int:
    """Print the description (and with ``--code`` the module); 0."""
    from ..api import compile_source
    from ..show import describe, describe_simplification

    model, source = compile_source(read_source(args.file), args.file,
                                   reduce_conservation=args.reduce_conservation,
                                   split=args.split, simplify=args.simplify,
                                   assume_positive=args.assume_positive)
    print(describe(model))
    if args.simplify and model.simplification is not None and (args.simplify_report or args.latex):
        print(describe_simplification(model.simplification, latex=args.latex))
    if args.code:
        print("\n# generated module\n" + source)
    return 0
