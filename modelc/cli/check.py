"""``modelc check FILE...``: parse and check model files; exit 1 when any has errors.

Every file is checked and reported, also after one that fails or cannot be
read. Imports neither JAX nor anything that does (the front door is fast).
"""

from __future__ import annotations

import sys

from ..errors import ModelError
from .assignments import UsageError
from .options import read_source

__all__ = ["add_parser", "run"]


def add_parser(sub) -> None:
    """Register ``modelc check FILE...``."""
    check = sub.add_parser("check", help="parse and check model files; exit 1 on errors")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.set_defaults(run=run)


def run(args) -> int:
    """Check each of ``args.files``: one ``ok`` line or its errors each; 1 if any failed."""
    return max(_check_one(name) for name in args.files)


def _check_one(name: str) -> int:
    """0 after printing ``NAME: ok (counts)``, 1 after printing the file's errors."""
    from ..api import compile_source
    from ..passes.unsupported import NotYetSolvable

    try:
        # checking needs no simplification
        model, _ = compile_source(read_source(name), name, simplify=False)
    except NotYetSolvable as err:
        print(f"{name}: ok (the model is valid; {len(err.diagnostics)} construct(s) cannot be "
              "solved yet:)")
        print(err.render(), file=sys.stderr)
        return 0
    except ModelError as err:
        print(err.render(), file=sys.stderr)
        return 1
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    counts = ", ".join(_plural(len(items), noun) for items, noun in (
        (model.states, "state"), (model.parameters, "parameter"), (model.observes, "observable")))
    print(f"{name}: ok ({counts})")
    return 0


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
