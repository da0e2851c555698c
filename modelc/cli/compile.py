"""``modelc compile FILE -o OUT.py``: write the generated JAX module of a model."""

from __future__ import annotations

from .options import add_simplify_options

__all__ = ["add_parser", "run"]


def add_parser(sub) -> None:
    """Register ``modelc compile FILE -o OUT.py``."""
    comp = sub.add_parser("compile", help="write the generated JAX module of a model")
    comp.add_argument("file", metavar="FILE")
    comp.add_argument("-o", "--out", required=True, help="output .py file")
    add_simplify_options(comp)
    comp.set_defaults(run=run)


def run(args) -> int:
    """Write the module (of a model file, or of an SBML file translated); 0."""
    from pathlib import Path

    from ..api import compile_source
    from .options import read_source

    _, source = compile_source(read_source(args.file), args.file, simplify=args.simplify,
                               assume_positive=args.assume_positive)
    out = Path(args.out)
    out.write_text(source, encoding="utf-8")
    print(f"wrote {out}")
    return 0
