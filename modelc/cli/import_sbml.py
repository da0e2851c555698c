"""``modelc import FILE.xml [-o OUT.model]``: SBML file -> editable ``.model`` file."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["add_parser", "run"]


def add_parser(sub) -> None:
    """Register ``modelc import FILE [-o OUT]``."""
    imp = sub.add_parser("import", help="translate an SBML file into an editable .model file")
    imp.add_argument("file", metavar="FILE", help="SBML file (level 2 or 3, .xml)")
    imp.add_argument("-o", "--out", help="output .model file (default: print to stdout)")
    imp.set_defaults(run=run)


def run(args) -> int:
    """Translate ``args.file`` (SBML) to model text; write it to ``args.out`` or stdout.

    The text is parsed and checked before it is written, so a file that this
    command writes always loads. Returns the exit status (0 ok, 1 on errors);
    `ModelError` propagates for the CLI to render.
    """
    from ..api import compile_source
    from ..io.sbml import SbmlSupportMissing, translate_sbml

    try:
        result = translate_sbml(args.file)
    except SbmlSupportMissing as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    from ..passes.unsupported import NotYetSolvable

    out = getattr(args, "out", None)
    try:
        compile_source(result.text, out or f"{Path(args.file).stem}.model", simplify=False)
    except NotYetSolvable as err:   # valid: written, with a note of what cannot be solved yet
        print(f"note: the model is valid, but {len(err.diagnostics)} construct(s) cannot be "
              "solved yet (events, delays or numerical constraints)", file=sys.stderr)
    if out:
        Path(out).write_text(result.text, encoding="utf-8")
        renamed = {k: v for k, v in result.names.items() if k != v and "." not in k
                   and k in result.quantities}
        print(f"wrote {out}" + (f" (renamed: {renamed})" if renamed else ""))
    else:
        sys.stdout.write(result.text)
    return 0
