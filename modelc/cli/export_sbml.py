"""``modelc export FILE.model [-o OUT.xml]``: model file -> SBML Level 3 Version 2."""

from __future__ import annotations

import sys
from pathlib import Path

from .assignments import UsageError
from .options import read_source

__all__ = ["add_parser", "run"]


def add_parser(sub) -> None:
    """Register ``modelc export FILE [-o OUT]``."""
    exp = sub.add_parser("export", help="write a model as SBML (level 3 version 2)")
    exp.add_argument("file", metavar="FILE", help="model file (.model)")
    exp.add_argument("-o", "--out", help="output .xml file (default: print to stdout)")
    exp.set_defaults(run=run)


def run(args) -> int:
    """Export ``args.file``; write ``args.out`` or print. `ModelError` (also for constructs
    SBML cannot express) propagates for the CLI to render. Returns the exit status."""
    from ..io.sbml import SbmlSupportMissing
    from ..io.sbml_export import model_to_sbml

    try:
        xml = model_to_sbml(read_source(args.file), args.file)
    except (SbmlSupportMissing, UsageError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    out = getattr(args, "out", None)
    if out:
        Path(out).write_text(xml, encoding="utf-8")
        print(f"wrote {out}")
    else:
        sys.stdout.write(xml)
    return 0
